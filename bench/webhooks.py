"""Webhook latency over real HTTP (waitress, as `petition serve` runs it), real Redis, SQLite."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis
import requests
from twilio.request_validator import RequestValidator
from waitress.server import create_server

from ivr.app import create_app
from petition.config import load_settings
from petition.db import Database
from petition.models import Campaign, CampaignNumber

NUMBER = "+3220000001"
REDIS_URL = "redis://127.0.0.1:6379/8"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(calls: int, database_url: str | None, clients: int = 1) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="petition-bench-"))
    settings = load_settings(
        {
            "DATA_DIR": str(tmp),
            "DATABASE_URL": database_url or f"sqlite:///{tmp / 'bench.sqlite3'}",
            "REDIS_URL": REDIS_URL,
            "TWILIO_AUTH_TOKEN": "bench-token",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        }
    )
    redis.Redis.from_url(REDIS_URL).flushdb()
    db = Database(settings.database_url)
    db.migrate()
    with db.session() as s:
        s.add(
            Campaign(
                slug="bench",
                title="Bench",
                languages="nl,fr",
                numbers=[CampaignNumber(number=NUMBER)],
            )
        )
    server = create_server(create_app(settings), host="127.0.0.1", port=0, threads=8)
    port = server.effective_port  # type: ignore[union-attr]
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    validator = RequestValidator("bench-token")
    timings: dict[str, list[float]] = {}
    local = threading.local()

    def post(path: str, params: dict[str, str]) -> None:
        http = getattr(local, "http", None) or requests.Session()
        local.http = http
        sig = validator.compute_signature(base + path, params)
        start = time.perf_counter()
        resp = http.post(base + path, data=params, headers={"X-Twilio-Signature": sig})
        timings.setdefault(path, []).append((time.perf_counter() - start) * 1000)
        assert resp.status_code in (200, 204), (path, resp.status_code, resp.text[:200])

    def one_call(i: int) -> None:
        common = {
            "CallSid": f"CA{i:032d}",
            "From": f"+32470{i:06d}",
            "To": NUMBER,
            "AccountSid": "AC0",
        }
        rec = {
            **common,
            "RecordingSid": f"RE{i:032d}",
            "RecordingDuration": "3",
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE{i:032d}",
        }
        post("/ivr/voice", {**common, "CallStatus": "ringing"})
        post("/ivr/language", {**common, "Digits": "2"})
        post("/ivr/recorded", rec)
        post("/ivr/recording-status", {**rec, "RecordingStatus": "completed"})
        post("/ivr/status", {**common, "CallStatus": "completed", "CallDuration": "30"})

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one_call, range(calls)))
    elapsed = time.perf_counter() - started
    server.close()
    every = [t for ts in timings.values() for t in ts]
    backend = settings.database_url.split(":", 1)[0]
    print(
        f"\nwebhooks: {len(every)} requests over HTTP ({calls} calls), {backend}, Redis, "
        f"{clients} concurrent client(s), waitress with 8 threads"
    )
    print(f"  {'endpoint':<24}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}")
    for path, ts in [*timings.items(), ("all", every)]:
        print(f"  {path:<24}{len(ts):>6}{statistics.median(ts):>10.1f}{percentile(ts, 99):>10.1f}")
    print(f"  throughput: {len(every) / elapsed:.0f} requests/s")
