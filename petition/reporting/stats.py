"""Tallies for the dashboard, the staff API and the public progress page."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition.counting.regions import Region
from petition.counting.tally import campaign_rule, tally_from, window_count
from petition.counting.thresholds import progress
from petition.line import helpline
from petition.line.campaigns import line_state, takes_calls
from petition.models import (
    Call,
    Campaign,
    NameStatus,
    Recording,
    RecordingStatus,
    Signature,
    SignatureState,
    utcnow,
)
from petition.review import queues


def campaign_stats(session: so.Session, campaign: Campaign) -> dict[str, Any]:
    """The figures staff watch: states, calls, splits, and progress to the threshold.

    One grouped pass over the campaign's signatures gives every split: at 100,000 signatures
    separate counts per figure cost several scans each time the dashboard polls.
    """
    now = utcnow()
    by_state: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    held_by_reason: Counter[str] = Counter()
    by_language: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    names: Counter[str] = Counter({status.value: 0 for status in NameStatus})
    split_by = (
        Signature.state,
        Signature.reason,
        Signature.region,
        Signature.language,
        Signature.caller_country,
        Signature.name_status,
    )
    groups = session.execute(
        sa.select(*split_by, sa.func.count())
        .where(Signature.campaign_id == campaign.id)
        .group_by(*split_by)
    )
    for state, reason, region, language, country, name_status, n in groups:
        by_state[state] += n
        if reason:
            by_reason[reason] += n
            if state == SignatureState.NEEDS_REVIEW:
                held_by_reason[reason] += n
        if state == SignatureState.COUNTED:
            by_region[region] += n
            by_language[language or "unknown"] += n
            if country:
                by_country[country] += n
            names[name_status] += n
    names_waiting = queues.waiting(session, campaign.id, queues.NAME_CHECKS)
    calls = session.scalar(sa.select(sa.func.count()).where(Call.campaign_id == campaign.id))
    failed = session.scalar(
        sa.select(sa.func.count()).where(
            Recording.campaign_id == campaign.id, Recording.status == RecordingStatus.FAILED
        )
    )
    transfers = helpline.transfers(session, campaign.id)
    rule = campaign_rule(campaign)
    tally = tally_from(
        campaign, dict(by_region), dict(by_country), window_count(session, campaign, rule, now)
    )
    return {
        "campaign": campaign.slug,
        "open": takes_calls(campaign, now),
        "line": line_state(campaign, now).value,
        "signatures": by_state[SignatureState.COUNTED],
        "pending": by_state[SignatureState.RECEIVED] + by_state[SignatureState.TRANSCRIBED],
        "needs_review": by_state[SignatureState.NEEDS_REVIEW],
        "rejected": by_state[SignatureState.REJECTED],
        # Among counted signatures: how far their names can be trusted (see NameStatus).
        "names": dict(names),
        # The name-check queue (to_check, and sampled machine readings) and the team's pace.
        "names_waiting": names_waiting or 0,
        "names_per_hour": queues.names_per_hour(session, campaign.id, now),
        "calls": calls or 0,
        "failed_recordings": failed or 0,
        "by_reason": dict(sorted(by_reason.items())),
        # Why the signatures waiting for a person wait (same_audio, burst, withheld, ...).
        "held_by_reason": dict(sorted(held_by_reason.items())),
        "by_region": {r.value: tally.by_region.get(r, 0) for r in Region},
        "by_language": dict(sorted(by_language.items())),
        "threshold": progress(rule, tally, now).to_dict(),
        # Callers put through to the helpline (counted per day, never linked to a call).
        "helpline_offered": helpline.offered(campaign),
        "helpline_transfers": transfers.total,
        "helpline_transfers_by_day": {day.isoformat(): n for day, n in transfers.by_day},
        "generated_at": now.isoformat(timespec="seconds") + "Z",
        "time_zone": campaign.time_zone,
        "asks_postcode": campaign.ask_postcode,
    }
