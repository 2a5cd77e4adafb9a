"""The petition as data: counted signatures, no phone numbers, same data in, same bytes out.

JSON is for machines: codes and UTC times, whatever the language. The CSV is for people too:
given a Localizer, its headings, regions and name statuses are in that language and its times
in the campaign's time zone; without one it keeps the codes (the staff API's CSV).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition.counting.regions import NAMES as REGION_NAMES
from petition.counting.regions import Region
from petition.i18n import N_, Localizer, time_zone
from petition.models import Campaign, NameStatus, Signature, SignatureState

CSV_COLUMNS = (
    "number",
    "name",
    "postcode",
    "region",
    "signed_at",
    "signature_id",
    "language",
    "name_status",
)
# The CSV's headings for people, in the column order above.
CSV_HEADINGS = {
    "number": N_("No."),
    "name": N_("Name"),
    "postcode": N_("Postcode"),
    "region": N_("Region"),
    "signed_at": N_("Date and time (%(zone)s)"),
    "signature_id": N_("Signature id"),
    "language": N_("Language of the call"),
    "name_status": N_("Name status"),
}
NAME_STATUS_WORDS = {
    NameStatus.CONFIRMED.value: N_("confirmed by a person"),
    NameStatus.CALLER.value: N_("confirmed by the caller in the call"),
    NameStatus.MACHINE.value: N_("machine reading, clear"),
    NameStatus.TO_CHECK.value: N_("to check"),
    NameStatus.MISSING.value: N_("no name given"),
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Edition:
    """The language an export speaks, and who exported it on which day (on the PDF's cover).

    Inputs like the data: the same edition of the same data gives the same bytes.
    """

    language: str = "en"
    exported_by: str | None = None
    exported_on: date | None = None

    def localizer(self, campaign: Campaign) -> Localizer:
        """The edition's language, with times in the campaign's time zone."""
        return Localizer(self.language, time_zone(campaign.time_zone))


@dataclass(frozen=True)
class ExportRow:
    number: int
    name: str
    postcode: str
    region: str
    signed_at: str  # ISO 8601, UTC
    signature_id: str
    language: str
    # confirmed: by a person; machine: the machine's reading, called clear by the name check;
    # to_check: the machine's reading, waiting for a person; missing: no name given.
    name_status: str


def counted_rows(session: so.Session, campaign: Campaign) -> Iterator[ExportRow]:
    """Counted signatures in signing order, numbered from 1."""
    query = (
        sa.select(
            Signature.name,
            Signature.postcode,
            Signature.region,
            Signature.signed_at,
            Signature.public_id,
            Signature.language,
            Signature.name_status,
        )
        .where(Signature.campaign_id == campaign.id, Signature.state == SignatureState.COUNTED)
        .order_by(Signature.signed_at, Signature.id)
        .execution_options(yield_per=2000)
    )
    # `with`: a reader that stops early must not leave a server-side cursor open.
    with session.execute(query) as result:
        for n, row in enumerate(result, start=1):
            yield ExportRow(
                number=n,
                name=row.name or "",
                postcode=row.postcode or "",
                region=row.region,
                signed_at=row.signed_at.isoformat(timespec="seconds") + "Z",
                signature_id=row.public_id,
                language=row.language or "",
                name_status=row.name_status,
            )


def local_signed_at(signed_at: str, zone: ZoneInfo, iso: bool = False) -> str:
    """An ExportRow's UTC time ("2025-03-03T14:30:00Z") as the wall-clock time in `zone`:
    "2025-03-03 15:30:00", or with `iso` "2025-03-03T15:30:00+01:00"."""
    moment = datetime.fromisoformat(signed_at.removesuffix("Z")).replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    return local.isoformat() if iso else local.strftime("%Y-%m-%d %H:%M:%S")


def escape_cell(value: Any) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: make them plain text."""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(
    rows: Iterator[ExportRow], out: io.TextIOBase | Any, loc: Localizer | None = None
) -> int:
    """The rows as CSV: with the codes as headings, or, given `loc`, for people reading its
    language (headings, regions and name statuses in words, local times)."""
    writer = csv.writer(out, lineterminator="\n")
    if loc is None:
        writer.writerow(CSV_COLUMNS)
    else:
        zone = loc.zone.key
        writer.writerow([loc.gettext(CSV_HEADINGS[c], zone=zone) for c in CSV_COLUMNS])
        regions = {r.value: loc.gettext(REGION_NAMES[r]) for r in Region}
        statuses = {code: loc.gettext(word) for code, word in NAME_STATUS_WORDS.items()}
    count = 0
    for row in rows:
        values = asdict(row)
        if loc is not None:
            values["region"] = regions.get(row.region, row.region)
            values["name_status"] = statuses.get(row.name_status, row.name_status)
            values["signed_at"] = local_signed_at(row.signed_at, loc.zone, iso=True)
        writer.writerow([escape_cell(values[c]) for c in CSV_COLUMNS])
        count += 1
    return count


def write_json(
    campaign: Campaign,
    rows: Iterator[ExportRow],
    out: Any,
    *,
    guarded: dict[str, dict[str, int]] | None = None,
) -> int:
    """A JSON document; written row by row so a large petition never sits in memory twice.

    `guarded` (integrity.guard_counts) says how many signatures were held for a person or
    taken out as replays of one recording, bursts from one number range or failed caller-ID
    attestations: a receiver sees that the count was guarded.
    """
    head: dict[str, Any] = {"campaign": campaign.slug, "title": campaign.title}
    if guarded is not None:
        head["guarded"] = guarded
    out.write(json.dumps(head, ensure_ascii=False, sort_keys=False)[:-1])
    out.write(', "signatures": [')
    count = 0
    for row in rows:
        out.write(
            ("," if count else "")
            + "\n  "
            + json.dumps(asdict(row), ensure_ascii=False, sort_keys=True)
        )
        count += 1
    out.write("\n]}\n")
    return count
