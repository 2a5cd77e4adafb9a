"""Finding campaigns and opening or closing them."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition import audit
from petition.models import Campaign, utcnow


def by_slug(session: so.Session, slug: str) -> Campaign | None:
    return session.scalar(sa.select(Campaign).where(Campaign.slug == slug))


def set_open(session: so.Session, campaign: Campaign, is_open: bool, *, actor: str) -> None:
    """Open or close a campaign to callers; the change is audited."""
    before = {"is_open": campaign.is_open}
    campaign.is_open = is_open
    campaign.closed_at = None if is_open else utcnow()
    audit.record(
        session,
        actor=actor,
        action="campaign_opened" if is_open else "campaign_closed",
        campaign_id=campaign.id,
        before=before,
        after={"is_open": is_open},
    )
