"""The line's health while it runs, for the overview: calls per minute, webhooks refused for a
bad signature (and the likely cause), the carrier's own alerts, recordings it announced that
were never fetched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from rq import Queue

from ivr.carrier import refusals
from ivr.carrier.rest import Alert, Carrier, CarrierError, Said
from petition.config import Settings
from petition.models import Call, Campaign, Recording

# A recording the carrier announced this long ago and still not stored is overdue.
FETCH_OVERDUE = timedelta(minutes=10)
ALERTS_SHOWN = 10
ALERTS_SINCE = timedelta(hours=24)


@dataclass(frozen=True)
class LineHealth:
    calls_last_minute: int
    calls_per_minute: float  # over the last hour
    refused: refusals.Refusals | None  # None: Redis cannot be reached
    difference: refusals.Difference | None
    not_fetched: int
    oldest_not_fetched: datetime | None


def line_health(session: so.Session, queue: Queue, campaign: Campaign, now: datetime) -> LineHealth:
    def calls_since(delta: timedelta) -> int:
        return (
            session.scalar(
                sa.select(sa.func.count()).where(
                    Call.campaign_id == campaign.id, Call.started_at >= now - delta
                )
            )
            or 0
        )

    refused = refusals.recent_or_none(queue)
    difference = None
    if refused is not None and refused.signed and refused.checked:
        difference = refusals.difference(refused.signed, refused.checked)
    count, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(Recording.created_at)).where(
            Recording.campaign_id == campaign.id,
            Recording.storage_path.is_(None),
            Recording.deleted_at.is_(None),
            Recording.created_at < now - FETCH_OVERDUE,
        )
    ).one()
    return LineHealth(
        calls_last_minute=calls_since(timedelta(minutes=1)),
        calls_per_minute=round(calls_since(timedelta(hours=1)) / 60, 1),
        refused=refused,
        difference=difference,
        not_fetched=count or 0,
        oldest_not_fetched=oldest,
    )


def carrier_alerts(settings: Settings, now: datetime) -> list[Alert] | Said:
    """The account's alerts of the last day, newest first, or what kept the carrier from
    giving them."""
    try:
        return Carrier(settings).alerts(now - ALERTS_SINCE, limit=ALERTS_SHOWN)
    except CarrierError as exc:
        return exc.said
