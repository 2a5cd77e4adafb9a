"""What the cover and the chart of the petition PDF say, as report.gather_facts reads it from
the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from petition.counting.regions import Region
from petition.counting.thresholds import Progress
from petition.names import sampling


@dataclass(frozen=True)
class ReportFacts:
    """What the cover and the chart say, read from the database in a few aggregate queries."""

    progress: Progress
    by_region: dict[Region, int]
    first: datetime | None
    last: datetime | None
    # Every day from first to last, zeros included: days in the campaign's time zone.
    per_day: tuple[tuple[date, int], ...]
    names: dict[str, int]  # counted signatures by name status
    estimate: sampling.Estimate | None  # the latest sample audit of machine readings
    with_postcode: int
    awaiting_review: int
    pending: int
    rejected: int
    # Held for a person and taken out, by reason: same_audio, burst, attestation_failed.
    guarded: dict[str, dict[str, int]]
