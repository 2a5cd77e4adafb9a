"""Tallies for the dashboard, the staff API and the public progress page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition.models import (
    Call,
    Campaign,
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
        return rule_for(CUSTOM, custom_total=campaign.rule_total)
    return rule_for(campaign.rule_key)


def counted_tally(session: so.Session, campaign: Campaign, now: datetime | None = None) -> Tally:
    counted = sa.and_(
        Signature.campaign_id == campaign.id, Signature.state == SignatureState.COUNTED
    )
    by_region = dict(
        session.execute(
            sa.select(Signature.region, sa.func.count()).where(counted).group_by(Signature.region)
        ).all()
    )
    by_country = dict(
        session.execute(
            sa.select(Signature.caller_country, sa.func.count())
            .where(counted, Signature.caller_country.is_not(None))
            .group_by(Signature.caller_country)
        ).all()
    )
    rule = campaign_rule(campaign)
    in_window = None
    closes = closes_at(rule, campaign.opened_at, now or utcnow()) if rule.window_days else None
    if closes is not None:
        in_window = session.scalar(
            sa.select(sa.func.count()).where(counted, Signature.counted_at < closes)
        )
    return Tally(
        total=sum(by_region.values()),
        by_region={Region(k): v for k, v in by_region.items()},
        by_country={str(k): v for k, v in by_country.items()},
        opened_at=campaign.opened_at,
        counted_in_window=in_window,
    )


def campaign_stats(session: so.Session, campaign: Campaign) -> dict[str, Any]:
    """The figures staff watch: states, calls, splits, and progress to the threshold."""
    by_state = dict(
        session.execute(
            sa.select(Signature.state, sa.func.count())
            .where(Signature.campaign_id == campaign.id)
            .group_by(Signature.state)
        ).all()
    )
    by_reason = dict(
        session.execute(
            sa.select(Signature.reason, sa.func.count())
            .where(Signature.campaign_id == campaign.id, Signature.reason.is_not(None))
            .group_by(Signature.reason)
        ).all()
    )
    by_language: dict[str, int] = {}
    for language, n in session.execute(
        sa.select(Signature.language, sa.func.count())
        .where(Signature.campaign_id == campaign.id, Signature.state == SignatureState.COUNTED)
        .group_by(Signature.language)
    ):
        by_language[language or "unknown"] = by_language.get(language or "unknown", 0) + n
    name_checks = session.scalar(
        sa.select(sa.func.count()).where(
            Signature.campaign_id == campaign.id,
            Signature.state == SignatureState.COUNTED,
            Signature.name_check.is_(True),
        )
    )
    calls = session.scalar(sa.select(sa.func.count()).where(Call.campaign_id == campaign.id))
    failed = session.scalar(
        sa.select(sa.func.count()).where(
            Recording.campaign_id == campaign.id, Recording.status == RecordingStatus.FAILED
        )
    )
    tally = counted_tally(session, campaign)
    now = utcnow()
    return {
        "campaign": campaign.slug,
        "open": campaign.is_open,
        "signatures": by_state.get(SignatureState.COUNTED, 0),
        "pending": by_state.get(SignatureState.RECEIVED, 0)
        + by_state.get(SignatureState.TRANSCRIBED, 0),
        "needs_review": by_state.get(SignatureState.NEEDS_REVIEW, 0),
        "rejected": by_state.get(SignatureState.REJECTED, 0),
        "name_checks": name_checks or 0,
        "calls": calls or 0,
        "failed_recordings": failed or 0,
        "by_reason": {str(k): v for k, v in sorted(by_reason.items())},
        "by_region": {r.value: tally.by_region.get(r, 0) for r in Region},
        "by_language": {str(k): v for k, v in sorted(by_language.items())},
        "threshold": progress(campaign_rule(campaign), tally, now).to_dict(),
        "generated_at": now.isoformat(timespec="seconds") + "Z",
    }
