"""The counted tally against a campaign's rule: counted signatures by region and country, and
inside the rule's window."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition.counting.regions import Region
from petition.counting.thresholds import CUSTOM, Rule, Tally, closes_at, rule_for
from petition.models import Campaign, Signature, SignatureState, utcnow


def campaign_rule(campaign: Campaign) -> Rule:
    if campaign.rule_key == CUSTOM:
        return rule_for(CUSTOM, custom_total=campaign.rule_total, deadline=campaign.rule_deadline)
    return rule_for(campaign.rule_key)


def window_start(campaign: Campaign) -> datetime:
    """Where a rule's window (the Bundestag's six weeks) starts: the opening date-time the
    campaign set, else when it was created or last opened by hand."""
    return campaign.opens_at or campaign.opened_at


def window_count(session: so.Session, campaign: Campaign, rule: Rule, now: datetime) -> int | None:
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


def tally_from(
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
    return tally_from(
        campaign, by_region, by_country, window_count(session, campaign, rule, now or utcnow())
    )
