"""Calls and counted signatures per hour and per day, split by language, grouped in SQL.

No Flask here: the queries group in the database (one row per bucket and language), so they
stay fast with 100,000 signatures. Buckets are UTC, like every timestamp in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

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


def _bucket(session: so.Session, column: Any, hourly: bool) -> Any:
    """SQL for the bucket a timestamp falls in, as text like '2025-03-01 14' or '2025-03-01'."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM-DD HH24" if hourly else "YYYY-MM-DD")
    # SQLite keeps datetimes as text "YYYY-MM-DD HH:MM:SS.ffffff": a prefix is the bucket, and
    # substr is cheaper than strftime on every row.
    return sa.func.substr(column, 1, 13 if hourly else 10)


def _series(
    session: so.Session,
    model: Any,
    time_column: Any,
    where: list[Any],
    since: datetime,
    buckets: list[str],
    hourly: bool,
) -> Series:
    bucket = _bucket(session, time_column, hourly)
    language = sa.func.coalesce(model.language, "unknown")
    rows = session.execute(
        sa.select(bucket, language, sa.func.count())
        .where(*where, time_column >= since)
        .group_by(bucket, language)
    ).all()
    by_language: dict[str, dict[str, int]] = {}
    for key, lang, n in rows:
        by_language.setdefault(str(lang), {})[str(key)] = int(n)
    return Series(buckets=buckets, by_language=by_language)


def _both(
    session: so.Session, campaign: Campaign, since: datetime, buckets: list[str], hourly: bool
) -> tuple[Series, Series]:
    calls = _series(
        session, Call, Call.started_at, [Call.campaign_id == campaign.id], since, buckets, hourly
    )
    counted = [Signature.campaign_id == campaign.id, Signature.state == SignatureState.COUNTED]
    signatures = _series(session, Signature, Signature.signed_at, counted, since, buckets, hourly)
    return calls, signatures


def hourly(
    session: so.Session, campaign: Campaign, now: datetime, hours: int = 48
) -> tuple[Series, Series]:
    """(calls, counted signatures) per hour over the last `hours` hours, this hour included."""
    last = now.replace(minute=0, second=0, microsecond=0)
    since = last - timedelta(hours=hours - 1)
    buckets = [(since + timedelta(hours=i)).strftime(HOUR_FORMAT) for i in range(hours)]
    return _both(session, campaign, since, buckets, True)


def daily(session: so.Session, campaign: Campaign, now: datetime) -> tuple[Series, Series]:
    """(calls, counted signatures) per day since the campaign opened (at most MAX_DAYS)."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    opened = (campaign.opened_at or now).replace(hour=0, minute=0, second=0, microsecond=0)
    since = max(opened, today - timedelta(days=MAX_DAYS - 1))
    days = (today - since).days + 1
    buckets = [(since + timedelta(days=i)).strftime(DAY_FORMAT) for i in range(days)]
    return _both(session, campaign, since, buckets, False)
