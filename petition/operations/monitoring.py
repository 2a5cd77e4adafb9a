"""What the database says about the pipeline, for metrics and the staff pages."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition.config import Network
from petition.models import Campaign, Recording, RecordingStatus, Signature


@dataclass(frozen=True)
class Waiting:
    count: int
    oldest: datetime | None  # when the oldest waiting recording arrived


def waiting_recordings(session: so.Session, campaign_id: int | None = None) -> Waiting:
    """Recordings not yet decided (queued, or being fetched and transcribed)."""
    query = sa.select(sa.func.count(), sa.func.min(Recording.created_at)).where(
        Recording.status == RecordingStatus.PENDING
    )
    if campaign_id is not None:
        query = query.where(Recording.campaign_id == campaign_id)
    count, oldest = session.execute(query).one()
    return Waiting(int(count or 0), oldest)


def failed_recordings(session: so.Session) -> int:
    """Recordings the workers gave up on; each waits for an operator (see `last_error`)."""
    return int(
        session.scalar(sa.select(sa.func.count()).where(Recording.status == RecordingStatus.FAILED))
        or 0
    )


def signatures_by_state_and_name_status(session: so.Session) -> list[tuple[str, str, str, int]]:
    """(campaign slug, state, name status, how many) for every signature."""
    rows = session.execute(
        sa.select(Campaign.slug, Signature.state, Signature.name_status, sa.func.count())
        .join(Campaign, Campaign.id == Signature.campaign_id)
        .group_by(Campaign.slug, Signature.state, Signature.name_status)
    ).all()
    return [(slug, state, status, int(n)) for slug, state, status, n in rows]


def address_allowed(address: str | None, networks: Sequence[Network]) -> bool:
    """Whether a client address lies inside one of the networks (none: nobody)."""
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks if ip.version == net.version)
