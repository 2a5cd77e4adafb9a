"""Calls and counted signatures per hour and per day, split by language, grouped in SQL.

No Flask here: the queries group in the database per UTC hour (one row per hour and language),
so they stay fast with 100,000 signatures; the hours are then put on the campaign's own clock
(petition/counting/timeline.py), so the day and hour buckets are those of its time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition.counting.timeline import hour_bucket, local_hour
from petition.i18n import time_zone
from petition.models import Call, Campaign, Signature, SignatureState

HOUR_FORMAT = "%Y-%m-%d %H"
DAY_FORMAT = "%Y-%m-%d"
MAX_DAYS = 92  # a longer campaign shows its last three months per day


@dataclass(frozen=True)
class Series:
    """Counts per bucket and language; `buckets` holds every bucket, empty ones too."""

    buckets: list[str]
    by_language: dict[str, dict[str, int]]  # language -> bucket -> count

    def total(self, bucket: str) -> int:
        return sum(counts.get(bucket, 0) for counts in self.by_language.values())

    @property
    def languages(self) -> list[str]:
        return sorted(self.by_language)


def _series(
    session: so.Session,
    model: Any,
    time_column: Any,
    where: list[Any],
    since: datetime,
    buckets: list[str],
    label: Callable[[str], str],
) -> Series:
    hour = hour_bucket(session, time_column)
    language = sa.func.coalesce(model.language, "unknown")
    rows = session.execute(
        sa.select(hour, language, sa.func.count())
        .where(*where, time_column >= since)
        .group_by(hour, language)
    ).all()
    by_language: dict[str, dict[str, int]] = {}
    for key, lang, n in rows:
        counts = by_language.setdefault(str(lang), {})
        bucket = label(str(key))
        counts[bucket] = counts.get(bucket, 0) + int(n)
    return Series(buckets=buckets, by_language=by_language)


def _both(
    session: so.Session,
    campaign: Campaign,
    since: datetime,
    buckets: list[str],
    label: Callable[[str], str],
) -> tuple[Series, Series]:
    calls = _series(
        session, Call, Call.started_at, [Call.campaign_id == campaign.id], since, buckets, label
    )
    counted = [Signature.campaign_id == campaign.id, Signature.state == SignatureState.COUNTED]
    signatures = _series(session, Signature, Signature.signed_at, counted, since, buckets, label)
    return calls, signatures


def _zone(campaign: Campaign) -> ZoneInfo:
    return time_zone(campaign.time_zone)


def hourly(
    session: so.Session, campaign: Campaign, now: datetime, hours: int = 48
) -> tuple[Series, Series]:
    """(calls, counted signatures) per local hour over the last `hours` hours, this one too."""
    zone = _zone(campaign)
    last = now.replace(minute=0, second=0, microsecond=0)
    since = last - timedelta(hours=hours - 1)

    def label(bucket: str) -> str:
        return local_hour(bucket, zone).strftime(HOUR_FORMAT)

    # An hour the clocks go back through appears once, with both hours' counts.
    starts = [(since + timedelta(hours=i)).strftime(HOUR_FORMAT) for i in range(hours)]
    buckets = list(dict.fromkeys(label(start) for start in starts))
    return _both(session, campaign, since, buckets, label)


def daily(session: so.Session, campaign: Campaign, now: datetime) -> tuple[Series, Series]:
    """(calls, counted signatures) per local day since the campaign opened (at most MAX_DAYS)."""
    zone = _zone(campaign)
    today = now.replace(tzinfo=UTC).astimezone(zone).date()
    opened = (campaign.opened_at or now).replace(tzinfo=UTC).astimezone(zone).date()
    first = max(opened, today - timedelta(days=MAX_DAYS - 1))
    midnight = datetime.combine(first, datetime.min.time(), zone)
    since = midnight.astimezone(UTC).replace(tzinfo=None)
    days = (today - first).days + 1
    buckets = [(first + timedelta(days=i)).strftime(DAY_FORMAT) for i in range(days)]

    def label(bucket: str) -> str:
        return local_hour(bucket, zone).strftime(DAY_FORMAT)

    return _both(session, campaign, since, buckets, label)
