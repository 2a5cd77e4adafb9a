"""The petition as data: counted signatures, no phone numbers, same data in, same bytes out."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition.models import Campaign, Signature, SignatureState

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
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


def escape_cell(value: Any) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: make them plain text."""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(rows: Iterator[ExportRow], out: io.TextIOBase | Any) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in rows:
        values = asdict(row)
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
