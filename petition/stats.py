"""Tallies for the dashboard, the staff API and the public progress page."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition import review
from petition.campaigns import line_state, takes_calls
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
from petition.regions import Region
from petition.thresholds import CUSTOM, Rule, Tally, closes_at, progress, rule_for


def campaign_rule(campaign: Campaign) -> Rule:
    if campaign.rule_key == CUSTOM:
        return rule_for(CUSTOM, custom_total=campaign.rule_total, deadline=campaign.rule_deadline)
    return rule_for(campaign.rule_key)


def window_start(campaign: Campaign) -> datetime:
    """Where a rule's window (the Bundestag's six weeks) starts: the opening date-time the
    campaign set, else when it was created or last opened by hand."""
    return campaign.opens_at or campaign.opened_at


def _window_count(session: so.Session, campaign: Campaign, rule: Rule, now: datetime) -> int | None:
    """Counted signatures inside the rule's window (Bundestag: six weeks), or None."""
    closes = closes_at(rule, window_start(campaign), now) if rule.window_days else None
    if closes is None:
        return None
    return session.scalar(
        sa.select(sa.func.count()).where(
            Signature.campaign_id == campaign.id,
            Signature.state == SignatureState.COUNTED,
            Signature.counted_at < closes,
        )
    )


def _tally(
    campaign: Campaign,
    by_region: dict[str, int],
    by_country: dict[str, int],
    in_window: int | None,
) -> Tally:
    return Tally(
        total=sum(by_region.values()),
        by_region={Region(k): v for k, v in by_region.items()},
        by_country=by_country,
        opened_at=window_start(campaign),
        counted_in_window=in_window,
    )


def counted_tally(session: so.Session, campaign: Campaign, now: datetime | None = None) -> Tally:
    """Counted signatures by region and by caller country: what a threshold rule needs."""
    by_region: dict[str, int] = {}
    by_country: dict[str, int] = {}
    for region, country, n in session.execute(
        sa.select(Signature.region, Signature.caller_country, sa.func.count())
        .where(Signature.campaign_id == campaign.id, Signature.state == SignatureState.COUNTED)
        .group_by(Signature.region, Signature.caller_country)
    ):
        by_region[region] = by_region.get(region, 0) + n
        if country:
            by_country[country] = by_country.get(country, 0) + n
    rule = campaign_rule(campaign)
    return _tally(
        campaign, by_region, by_country, _window_count(session, campaign, rule, now or utcnow())
    )


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
    names_waiting = session.scalar(
        sa.select(sa.func.count()).where(review.queue_filter(campaign.id, review.NAME_CHECKS))
    )
    calls = session.scalar(sa.select(sa.func.count()).where(Call.campaign_id == campaign.id))
    failed = session.scalar(
        sa.select(sa.func.count()).where(
            Recording.campaign_id == campaign.id, Recording.status == RecordingStatus.FAILED
        )
    )
    rule = campaign_rule(campaign)
    tally = _tally(
        campaign, dict(by_region), dict(by_country), _window_count(session, campaign, rule, now)
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
        "names_per_hour": review.names_per_hour(session, campaign.id, now),
        "calls": calls or 0,
        "failed_recordings": failed or 0,
        "by_reason": dict(sorted(by_reason.items())),
        # Why the signatures waiting for a person wait (same_audio, burst, withheld, ...).
        "held_by_reason": dict(sorted(held_by_reason.items())),
        "by_region": {r.value: tally.by_region.get(r, 0) for r in Region},
        "by_language": dict(sorted(by_language.items())),
        "threshold": progress(rule, tally, now).to_dict(),
        "generated_at": now.isoformat(timespec="seconds") + "Z",
        "time_zone": campaign.time_zone,
        "asks_postcode": campaign.ask_postcode,
    }
