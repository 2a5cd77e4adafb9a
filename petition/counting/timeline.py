"""Counts per hour grouped in SQL, and the local days they fall on.

Timestamps are stored as naive UTC. The database groups them per UTC hour (one row per hour,
fast at 100,000 rows on SQLite and PostgreSQL alike); the hours are then moved to a campaign's
time zone here, so a day on a chart or in the export is the campaign's day, not London's.
(Zones a half hour off UTC would put up to 30 minutes in the neighbouring hour.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

HOUR_FORMAT = "%Y-%m-%d %H"


def hour_bucket(session: so.Session, column: Any) -> Any:
    """SQL for the UTC hour a timestamp falls in, as text like '2025-03-01 14'."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM-DD HH24")
    # SQLite keeps datetimes as text "YYYY-MM-DD HH:MM:SS.ffffff": a prefix is the bucket, and
    # substr is cheaper than strftime on every row.
    return sa.func.substr(column, 1, 13)


def hour_start(bucket: str) -> datetime:
    """The (naive UTC) start of an hour bucket."""
    return datetime.strptime(str(bucket), HOUR_FORMAT)


def local_hour(bucket: str, zone: ZoneInfo) -> datetime:
    """The wall-clock start, in `zone`, of a UTC hour bucket."""
    return hour_start(bucket).replace(tzinfo=UTC).astimezone(zone)


def local_days(hours: Iterable[tuple[str, int]], zone: ZoneInfo) -> Counter[date]:
    """Sum (UTC hour bucket, count) pairs into the days of `zone`."""
    days: Counter[date] = Counter()
    for bucket, n in hours:
        days[local_hour(bucket, zone).date()] += int(n)
    return days
