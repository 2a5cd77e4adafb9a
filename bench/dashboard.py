"""Staff dashboard latency with a big campaign: n signatures in a temporary SQLite database.

The rows go in with SQLAlchemy Core bulk inserts (a realistic mix of states, languages, regions
and times over six weeks); then the pages and the stats API are timed through the Flask test
client, 20 requests each. "cold" clears the dashboard's short in-process caches before every
request (the first viewer after they expire); "warm" is what the next viewers get.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ivr.app import create_app
from ivr.staff import overview
from petition.config import load_settings
from petition.db import Database
from petition.models import Call, Campaign, CampaignNumber, Recording, Signature, utcnow
from petition.names.reading import normalize_name
from petition.operations import users

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")  # only read from
PASSWORD = "bench password 123"  # noqa: S105 (a throwaway account in a temporary database)
REQUESTS = 20
CHUNK = 5_000
DAYS = 42

FIRST = [
    "Jan",
    "Marie",
    "Luc",
    "Sophie",
    "An",
    "Pieter",
    "Els",
    "Thomas",
    "Julie",
    "Bram",
    "Lotte",
    "Nathalie",
    "Karim",
    "Fatima",
    "Emma",
    "Louis",
    "Noah",
    "Lea",
    "Anna",
    "Tom",
]
LAST = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
        "Wouters", "Dubois", "Lambert", "Martin", "Dupont", "Simon", "Laurent", "Leroy",
        "El Amrani", "Schmidt", "Smith", "Vermeulen"]  # fmt: skip
# (region, weight, postcode range, languages with weights)
REGIONS = [
    ("flanders", 55, (2000, 3999), [("nl", 93), ("fr", 2), ("en", 4), ("de", 1)]),
    ("wallonia", 30, (4000, 7999), [("fr", 92), ("nl", 2), ("de", 4), ("en", 2)]),
    ("brussels", 10, (1000, 1299), [("fr", 60), ("nl", 30), ("en", 10)]),
    ("unknown", 5, None, [("nl", 50), ("fr", 40), ("en", 10)]),
]
# (state, reason, name_check, weight)
OUTCOMES = [
    ("counted", None, False, 765),
    ("counted", None, True, 85),
    ("needs_review", "withheld", False, 16),
    ("needs_review", "possible_duplicate", False, 16),
    ("needs_review", "blocked", False, 8),
    ("rejected", "silent", False, 48),
    ("rejected", "duplicate", False, 32),
    ("received", None, False, 30),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def fill(db: Database, campaign_id: int, n: int, now: datetime, seed: int = 7) -> None:
    """Insert n calls, recordings and signatures for one campaign, in bulk."""
    rng = random.Random(seed)
    opened = now - timedelta(days=DAYS)
    calls: list[dict[str, Any]] = []
    recordings: list[dict[str, Any]] = []
    signatures: list[dict[str, Any]] = []

    def flush() -> None:
        with db.engine.begin() as conn:
            conn.execute(sa.insert(Call), calls)
            conn.execute(sa.insert(Recording), recordings)
            conn.execute(sa.insert(Signature), signatures)
        calls.clear()
        recordings.clear()
        signatures.clear()

    for i in range(1, n + 1):
        region, _w, codes, langs = rng.choices(REGIONS, weights=[r[1] for r in REGIONS])[0]
        language = rng.choices([lang for lang, _ in langs], weights=[w for _, w in langs])[0]
        state, reason, name_check, _w = rng.choices(OUTCOMES, weights=[o[3] for o in OUTCOMES])[0]
        # A launch spike that fades over six weeks, with quiet nights.
        at = opened + timedelta(days=DAYS * rng.random() ** 2.5)
        if at.hour < 7 and rng.random() < 0.7:
            at += timedelta(hours=9)
        at = min(at, now - timedelta(seconds=rng.randint(1, 60)))
        withheld = reason == "withheld"
        caller_hash = None if withheld else hashlib.sha256(f"caller{i}".encode()).hexdigest()
        masked = "withheld" if withheld else f"+32 •••••••{i % 100:02d}"
        silent = reason == "silent" or state == "received"
        name = None if silent else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        public_id = f"S-B{i:09d}"
        calls.append(
            {
                "id": i,
                "call_sid": f"CA{i:032d}",
                "campaign_id": campaign_id,
                "caller_hash": caller_hash,
                "caller_masked": masked,
                "caller_withheld": withheld,
                "caller_country": None if withheld else "BE",
                "language": language,
                "status": "completed",
                "duration_seconds": 25,
                "started_at": at - timedelta(seconds=25),
            }
        )
        pending = state == "received"
        recordings.append(
            {
                "id": i,
                "recording_sid": f"RE{i:032d}",
                "call_id": i,
                "campaign_id": campaign_id,
                "url": f"https://api.twilio.com/x/RE{i}",
                "carrier_duration": 3,
                "status": "pending" if pending else "done",
                "stage": "queued" if pending else "done",
                "created_at": at,
            }
        )
        counted = state == "counted"
        signatures.append(
            {
                "id": i,
                "public_id": public_id,
                "campaign_id": campaign_id,
                "call_id": i,
                "recording_id": i,
                "state": state,
                "reason": reason,
                "name": name,
                "name_key": normalize_name(name) if name else None,
                "name_check": name_check,
                "transcript": f"Mijn naam is {name}" if name else "",
                "confidence": 0.8,
                "language": language,
                "caller_hash": caller_hash,
                "caller_masked": masked,
                "caller_withheld": withheld,
                "caller_country": None if withheld else "BE",
                "postcode": str(rng.randint(*codes)) if codes else None,
                "region": region,
                "counted_key": (caller_hash or f"signature:{public_id}") if counted else None,
                "signed_at": at,
                "counted_at": at if counted else None,
                "updated_at": at,
            }
        )
        if len(signatures) >= CHUNK:
            flush()
    if signatures:
        flush()
    with db.session() as s:
        s.get_one(Campaign, campaign_id).opened_at = opened


def _time(label: str, get: Callable[[], Any], before: Callable[[], None] | None = None) -> None:
    timings = []
    for _ in range(REQUESTS):
        if before:
            before()
        start = time.perf_counter()
        resp = get()
        timings.append((time.perf_counter() - start) * 1000)
        assert resp.status_code == 200, (label, resp.status_code)
    median, p95 = statistics.median(timings), percentile(timings, 95)
    print(f"  {label:<42}{median:>10.1f}{p95:>10.1f}")


def run(n: int = 100_000, database_url: str | None = None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="petition-bench-dashboard-"))
    settings = load_settings(
        {
            "DATA_DIR": str(tmp),
            "DATABASE_URL": database_url or f"sqlite:///{tmp / 'bench.sqlite3'}",
            "REDIS_URL": REDIS_URL,
        }
    )
    db = Database(settings.database_url)
    db.migrate()
    with db.session() as s:
        number = CampaignNumber(number="+3220000099")
        campaign = Campaign(slug="bench", title="Bench", numbers=[number])
        s.add(campaign)
        s.flush()
        campaign_id = campaign.id
        admin = users.create_user(s, "bench@example.org", "admin", PASSWORD)
        _token, bearer = users.create_token(s, admin, "bench")
    started = time.perf_counter()
    fill(db, campaign_id, n, utcnow())
    print(f"\ndashboard: {n:,} signatures inserted in {time.perf_counter() - started:.1f} s")
    # Planner statistics as a running database has them (autovacuum), not as a bulk load left them.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    print(f"  database {settings.database_url.split(':', 1)[0]}, {REQUESTS} requests each")

    app = create_app(settings)
    client = app.test_client()
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/staff/login").text)
    assert found is not None
    form = {"email": "bench@example.org", "password": PASSWORD, "csrf_token": found.group(1)}
    assert client.post("/staff/login", data=form).status_code == 302
    with db.session() as s:
        held = s.scalar(
            sa.select(Signature.public_id)
            .where(Signature.state == "needs_review")
            .order_by(Signature.signed_at.desc())
            .limit(1)
        )
    api = {"Authorization": f"Bearer {bearer}"}
    requests: list[tuple[str, str, dict[str, str], bool]] = [
        ("overview page, cold", "/staff/c/bench/", {}, True),
        ("overview page, warm", "/staff/c/bench/", {}, False),
        ("live.json (polled), cold", "/staff/c/bench/live.json", {}, True),
        ("live.json (polled), warm", "/staff/c/bench/live.json", {}, False),
        ("stats API", "/api/campaigns/bench/stats", api, False),
        ("signatures, first page", "/staff/c/bench/signatures", {}, False),
        ("signatures, name search", "/staff/c/bench/signatures?q=peeters", {}, False),
        (
            "signatures, state+language+date",
            "/staff/c/bench/signatures?state=counted&language=fr&from=2000-01-01",
            {},
            False,
        ),
        ("review queue", "/staff/c/bench/review", {}, False),
        ("name checks", "/staff/c/bench/review?tab=names", {}, False),
        ("one signature in the queue", f"/staff/c/bench/s/{held}?tab=review", {}, False),
    ]
    print(f"  {'request':<42}{'p50 ms':>10}{'p95 ms':>10}")
    for label, url, headers, cold in requests:
        _time(
            label,
            lambda url=url, headers=headers: client.get(url, headers=headers),
            overview.clear_caches if cold else None,
        )
    app.extensions["petition"].db.dispose()
    db.dispose()


if __name__ == "__main__":
    run()
