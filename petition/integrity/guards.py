"""Integrity of the count: a number calling again and again, bursts from one number range, and
what the carrier says about the caller ID.

A voice line is cheap to stuff: a SIP trunk can play one recording from hundreds of spoofed
numbers, usually walking through one block of numbers. The defences here, each with a campaign
setting or a constant, are written down in README ("Integrity of the count"):

- the per-number limit: beyond `Campaign.repeat_call_limit` calls from one number within
  REPEAT_WINDOW, the caller hears a short goodbye and nothing is recorded;
- bursts: calls per number range (phones.number_range) within BURST_WINDOW, against the
  campaign's own baseline of the hour before; a range at or above `Campaign.burst_min_calls`
  and BURST_FACTOR times its baseline is in a burst, shown on the overview, and its calls are
  held for a person when `Campaign.hold_bursts` is on;
- STIR/SHAKEN: a failed attestation holds the signature for a person; none at all (usual in
  Belgium, whose carriers do not sign calls) changes nothing.

Same-audio recordings (replays) are in petition/integrity/replays.py.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition.models import Call, Campaign, Reason, Signature, SignatureState, utcnow

REPEAT_WINDOW = timedelta(minutes=10)
BURST_WINDOW = timedelta(minutes=5)
BASELINE = timedelta(minutes=60)
BURST_FACTOR = 5.0
# How far back the overview looks for bursts.
BURST_LOOKBACK = timedelta(hours=24)


# The highest per-number limit a campaign may set, and the most calls of one number the count
# reads: more than any limit needs.
MAX_REPEAT_CALL_LIMIT = 100
NUMBER_CALLS_READ = 2 * MAX_REPEAT_CALL_LIMIT


def earlier_calls(
    campaign_id: Any, caller_hash: Any, since: Any, until: Any, but: int | None = None
) -> sa.ScalarSelect[int]:
    """How many calls the number made to the campaign between `since` and `until` (the call
    `but` left out), as a subquery; the arguments may be bound parameters, so that the voice
    webhook can ask it inside its prepared INSERT.

    The number's recent calls are read first, by number alone and limited, and the campaign is
    picked from them after: so only the index led by the number (ix_calls_number_recent) can
    serve the query. Asked with the campaign inside, PostgreSQL without statistics on a young
    table (a new database, a new campaign) chose the campaign's timeline index and read every
    call of the window: 1.4 ms a call at 8,000 calls against 0.02 ms. Reading at most
    NUMBER_CALLS_READ calls counts short only for a number that called other campaigns that
    many times within the window."""
    recent = (
        sa.select(Call.id, Call.campaign_id)
        .where(Call.caller_hash == caller_hash, Call.started_at >= since, Call.started_at <= until)
        .order_by(Call.started_at.desc())
        .limit(NUMBER_CALLS_READ)
        .subquery("number_recent")
    )
    return (
        sa.select(sa.func.count())
        .select_from(recent)
        .where(
            recent.c.campaign_id == campaign_id,
            recent.c.id != (but if but is not None else -1),
        )
        .scalar_subquery()
    )


def over_limit(campaign: Campaign, call: Call, earlier: int) -> bool:
    """True when the number made the campaign's limit of calls before this one: this call gets
    a goodbye without a recording. Withheld numbers are not limited (they cannot be told
    apart; their signatures go to a person anyway)."""
    limit = campaign.repeat_call_limit
    return limit > 0 and call.caller_hash is not None and earlier >= limit


def too_many_calls(session: so.Session, campaign: Campaign, call: Call) -> bool:
    """over_limit for a call already stored."""
    if call.caller_hash is None:
        return False
    since = call.started_at - REPEAT_WINDOW
    earlier = session.scalar(
        sa.select(earlier_calls(campaign.id, call.caller_hash, since, call.started_at, call.id))
    )
    return over_limit(campaign, call, earlier or 0)


def attestation_failed(verstat: str | None) -> bool:
    """Twilio's StirVerstat: TN-Validation-Passed-A/B/C, TN-Validation-Failed-A/B/C, or
    No-TN-Validation (nothing to check). Only a failure says the caller ID may be spoofed."""
    return bool(verstat) and "failed" in (verstat or "").lower()


@dataclass(frozen=True)
class Burst:
    """Calls from one number range well above the campaign's baseline."""

    range: str
    start: datetime
    end: datetime
    calls: int
    baseline: float  # calls a range makes in BURST_WINDOW at the campaign's recent rate


def baseline(session: so.Session, campaign_id: int, before: datetime) -> float:
    """Calls one range makes in a BURST_WINDOW at the campaign's rate of the hour `before`:
    the hour's calls, spread over the ranges that called in it."""
    calls, ranges = session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(Call.caller_range))).where(
            Call.campaign_id == campaign_id,
            Call.caller_range.is_not(None),
            Call.started_at >= before - BASELINE,
            Call.started_at < before,
        )
    ).one()
    if not calls:
        return 0.0
    return float(calls) / max(1, ranges) * (BURST_WINDOW / BASELINE)


def _threshold(campaign: Campaign, base: float) -> float:
    return max(float(campaign.burst_min_calls), BURST_FACTOR * base)


def range_calls(
    campaign_id: int, caller_range: str, after: datetime, until: datetime
) -> sa.Select[int]:
    """How many calls the range made to the campaign after `after` up to `until`: read through
    ix_calls_range_recent."""
    return sa.select(sa.func.count()).where(
        Call.campaign_id == campaign_id,
        Call.caller_range == caller_range,
        Call.started_at > after,
        Call.started_at <= until,
    )


def in_burst(session: so.Session, campaign: Campaign, call: Call) -> bool:
    """Whether the call's range is in a burst at the time of the call: its calls in the
    BURST_WINDOW up to this call reach the threshold. Counted when the recording is decided,
    so the first calls of a burst may already count; staff take them out in bulk (bulk.py)."""
    if call.caller_range is None or campaign.burst_min_calls <= 0:
        return False
    start = call.started_at - BURST_WINDOW
    calls = session.scalar(range_calls(campaign.id, call.caller_range, start, call.started_at))
    if (calls or 0) < campaign.burst_min_calls:
        return False  # the cheap test first: most calls stop here
    return (calls or 0) >= _threshold(campaign, baseline(session, campaign.id, start))


def bursts(session: so.Session, campaign: Campaign, now: datetime | None = None) -> list[Burst]:
    """The bursts of the last BURST_LOOKBACK, newest first: for each range, the stretches in
    which every call had at least the threshold of calls from its range in the BURST_WINDOW
    before it (the call itself included)."""
    now = now or utcnow()
    if campaign.burst_min_calls <= 0:
        return []
    rows = session.execute(
        sa.select(Call.caller_range, Call.started_at)
        .where(
            Call.campaign_id == campaign.id,
            Call.caller_range.is_not(None),
            Call.started_at >= now - BURST_LOOKBACK,
        )
        .order_by(Call.started_at)
    )
    by_range: dict[str, list[datetime]] = defaultdict(list)
    for number_range, started in rows:
        by_range[str(number_range)].append(started)
    found: list[Burst] = []
    for number_range, times in by_range.items():
        if len(times) < campaign.burst_min_calls:
            continue
        stretch: list[datetime] = []
        for i, at in enumerate(times):
            recent = i + 1 - bisect_right(times, at - BURST_WINDOW)
            if recent >= campaign.burst_min_calls:
                stretch.append(at)
            elif stretch:
                found.extend(_confirmed(session, campaign, number_range, times, stretch))
                stretch = []
        if stretch:
            found.extend(_confirmed(session, campaign, number_range, times, stretch))
    return sorted(found, key=lambda burst: burst.start, reverse=True)


def _confirmed(
    session: so.Session,
    campaign: Campaign,
    number_range: str,
    times: list[datetime],
    stretch: list[datetime],
) -> list[Burst]:
    """The stretch as a burst, if it also stands out against the campaign's baseline."""
    start = stretch[0] - BURST_WINDOW
    base = baseline(session, campaign.id, start)
    first = bisect_left(times, start)
    calls = bisect_right(times, stretch[-1]) - first
    if calls < _threshold(campaign, base):
        return []
    return [Burst(number_range, times[first], stretch[-1], calls, round(base, 2))]


def guard_counts(session: so.Session, campaign_id: int) -> dict[str, dict[str, int]]:
    """What guarding the count did, for the export: signatures held for a person and signatures
    taken out, as replays of one recording (same_audio), bursts from one range, or failed
    caller-ID attestations."""
    reasons = (Reason.SAME_AUDIO, Reason.BURST, Reason.ATTESTATION_FAILED)
    rows = session.execute(
        sa.select(Signature.state, Signature.reason, sa.func.count())
        .where(
            Signature.campaign_id == campaign_id,
            Signature.reason.in_(reasons),
            Signature.state.in_([SignatureState.NEEDS_REVIEW, SignatureState.REJECTED]),
        )
        .group_by(Signature.state, Signature.reason)
    ).all()
    result = {
        "held": {reason.value: 0 for reason in reasons},
        "invalidated": {reason.value: 0 for reason in reasons},
    }
    for state, reason, n in rows:
        result["held" if state == SignatureState.NEEDS_REVIEW else "invalidated"][str(reason)] = n
    return result
