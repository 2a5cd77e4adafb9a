"""Exporting a large petition: time and peak memory of the PDF, CSV and JSON writers.

The database is filled once in this process with bulk inserts; each export then runs in a fresh
process, so its peak resident memory is its own and not the filler's. Each format is run twice:
once for the time and the peak RSS, once under tracemalloc for the peak Python heap (tracemalloc
slows Python code down several times, so its run is not timed).
"""

from __future__ import annotations

import multiprocessing
import random
import resource
import shutil
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from petition.counting.regions import region_for_postcode
from petition.db import Database
from petition.models import Call, Campaign, CampaignNumber, Recording, Signature

FORMATS = ("pdf", "csv", "json")
CHUNK = 5_000
FIRST = [
    "Jan", "Marie", "Françoise", "Łukasz", "Anna", "Mohamed", "Sophie", "Pieter", "Ines",
    "Zoë", "Jürgen", "Ayşe", "Noah", "Lotte", "Élodie", "Björn",
]  # fmt: skip
LAST = [
    "Peeters", "Janssens", "Maes", "Dubois", "Müller-Lüdenscheidt", "Wiśniewski", "Lambert",
    "Van den Bossche", "De Smet", "El Amrani", "Nowak", "Claes", "Dupont", "Vermeulen",
]  # fmt: skip
POSTCODES = ["1000", "1050", "2000", "3000", "4000", "4700", "5000", "8000", "9000", None]


def run(n: int = 100_000) -> None:
    """Fill a temporary SQLite database with `n` counted signatures and export them."""
    tmp = Path(tempfile.mkdtemp(prefix="petition-bench-export-"))
    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    try:
        started = time.perf_counter()
        fill(url, n)
        filled = time.perf_counter() - started
        print(f"\nexport: {n:,} counted signatures, SQLite ({filled:.1f} s to fill)")
        print(
            f"  {'format':<8}{'time s':>9}{'peak RSS MB':>14}{'RSS before':>12}"
            f"{'peak heap MB':>15}{'file MB':>10}"
        )
        spawn = multiprocessing.get_context("spawn")
        for fmt in FORMATS:
            out = tmp / f"export.{fmt}"
            with spawn.Pool(1) as pool:
                timed = pool.apply(measure, (url, fmt, str(out), False))
            with spawn.Pool(1) as pool:
                traced = pool.apply(measure, (url, fmt, str(out), True))
            print(
                f"  {fmt:<8}{timed['seconds']:>9.1f}{timed['max_rss_mb']:>14.0f}"
                f"{timed['rss_before_mb']:>12.0f}{traced['heap_peak_mb']:>15.1f}"
                f"{out.stat().st_size / 2**20:>10.1f}"
            )
        print("  RSS before: the process with its imports loaded, before the export started")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fill(url: str, n: int) -> None:
    """`n` counted signatures over 30 days, with their calls and recordings (no audio files)."""
    db = Database(url)
    db.migrate()
    with db.session() as s:
        campaign = Campaign(
            slug="bench",
            title="Better online protection of minors",
            numbers=[CampaignNumber(number="+3220000001")],
            opened_at=datetime(2025, 3, 1),
        )
        s.add(campaign)
        s.flush()
        campaign_id = campaign.id
    rnd = random.Random(7)
    start = datetime(2025, 3, 1, 8, 0, 0)
    span = 30 * 86_400
    with db.engine.begin() as conn:
        for first in range(1, n + 1, CHUNK):
            calls: list[dict[str, Any]] = []
            recordings: list[dict[str, Any]] = []
            signatures: list[dict[str, Any]] = []
            for i in range(first, min(first + CHUNK, n + 1)):
                # Front-loaded, as when a campaign is in the news: most calls come early.
                at = start + timedelta(seconds=int(span * (i / n) ** 2))
                postcode = rnd.choice(POSTCODES)
                key = f"{i:064x}"
                calls.append(
                    {"id": i, "call_sid": f"CA{i:032d}", "campaign_id": campaign_id,
                     "caller_hash": key, "caller_masked": "+32 ••••••••00", "postcode": postcode,
                     "status": "completed", "started_at": at}
                )  # fmt: skip
                recordings.append(
                    {"id": i, "recording_sid": f"RE{i:032d}", "call_id": i,
                     "campaign_id": campaign_id, "url": f"https://api.twilio.com/RE{i:032d}",
                     "status": "done", "stage": "done", "storage_path": f"/nowhere/{i}.wav",
                     "sha256": key, "size_bytes": 48_000, "created_at": at}
                )  # fmt: skip
                signatures.append(
                    {"id": i, "public_id": f"S-{i:010d}", "campaign_id": campaign_id,
                     "call_id": i, "recording_id": i, "state": "counted",
                     "name": f"{rnd.choice(FIRST)} {rnd.choice(LAST)}", "name_check": i % 9 == 0,
                     "language": "nl", "caller_hash": key, "counted_key": key,
                     "caller_masked": "+32 ••••••••00", "caller_country": "BE",
                     "postcode": postcode, "region": region_for_postcode(postcode).value,
                     "signed_at": at, "counted_at": at, "updated_at": at}
                )  # fmt: skip
            conn.execute(sa.insert(Call), calls)
            conn.execute(sa.insert(Recording), recordings)
            conn.execute(sa.insert(Signature), signatures)
    db.dispose()


def measure(url: str, fmt: str, out: str, trace: bool) -> dict[str, float]:
    """Export `fmt` to `out` in this (fresh) process; time, peak RSS and peak traced heap."""
    from petition.reporting.export import counted_rows, write_csv, write_json
    from petition.reporting.report import write_pdf

    db = Database(url)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with db.session() as s:
        campaign = s.scalars(sa.select(Campaign)).one()
        if fmt == "pdf":
            with open(out, "wb") as fh:
                write_pdf(s, campaign, fh)
        else:
            with open(out, "w", encoding="utf-8", newline="") as fh:
                if fmt == "csv":
                    write_csv(counted_rows(s, campaign), fh)
                else:
                    write_json(campaign, counted_rows(s, campaign), fh)
    seconds = time.perf_counter() - started
    heap_peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    db.dispose()
    return {
        "seconds": seconds,
        # Linux reports ru_maxrss in KiB.
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_mb": rss_before / 1024,
        "heap_peak_mb": heap_peak / 2**20,
    }
