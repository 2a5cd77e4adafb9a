"""`petition backup` of a service that takes calls: how long it takes, and what it costs the calls.

A SQLite campaign of n signatures with a stored recording each (16 KB, the size of a short
8 kHz name), served by waitress as `petition serve` runs it. One client posts signed
`/ivr/voice` webhooks (a new call each) without a pause; in each round their latency is
measured for as long as a backup takes, first with no backup running (the baseline), then
while `petition backup` runs in its own process, as the nightly one does.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import redis
import requests
import sqlalchemy as sa
from twilio.request_validator import RequestValidator
from waitress.server import create_server

from bench.dashboard import fill
from bench.webhooks import percentile
from ivr.app import create_app
from petition.config import load_settings
from petition.db import Database
from petition.models import Campaign, CampaignNumber, Recording, utcnow

NUMBER = "+3220000001"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
TOKEN = "bench-token"  # noqa: S105 (signs the bench's own webhooks)
RECORDING_BYTES = 16_000
ROUNDS = 3


def _store_recordings(db: Database, root: Path) -> int:
    """A file for every decided recording, as the workers leave them."""
    root.mkdir(parents=True, exist_ok=True)
    with db.engine.begin() as conn:
        ids = conn.scalars(sa.select(Recording.id).where(Recording.status == "done")).all()
        rows = []
        for rid in ids:
            path = root / f"RE{rid}.wav"
            path.write_bytes(os.urandom(RECORDING_BYTES))  # incompressible, like audio
            rows.append({"rid": rid, "path": str(path)})
        conn.execute(
            sa.update(Recording)
            .where(Recording.id == sa.bindparam("rid"))
            .values(storage_path=sa.bindparam("path")),
            rows,
        )
    return len(ids)


class Caller(threading.Thread):
    """Posts new calls' voice webhooks one after another, keeping each one's latency."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.validator = RequestValidator(TOKEN)
        self.http = requests.Session()
        self.latencies: list[tuple[float, float]] = []  # (when it started, ms)
        self.failed = 0
        self.stop = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            params = {
                "CallSid": f"CABENCH{i:026d}",
                "From": f"+32471{i % 1_000_000:06d}",
                "To": NUMBER,
                "AccountSid": "AC0",
                "CallStatus": "ringing",
            }
            url = self.base + "/ivr/voice"
            sig = self.validator.compute_signature(url, params)
            start = time.perf_counter()
            resp = self.http.post(url, data=params, headers={"X-Twilio-Signature": sig})
            self.latencies.append((start, (time.perf_counter() - start) * 1000))
            self.failed += resp.status_code != 200

    def between(self, start: float, end: float) -> list[float]:
        return [ms for at, ms in self.latencies if start <= at < end]


def run(n: int = 5_000) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="petition-bench-backup-"))
    env = {
        "DATA_DIR": str(tmp / "data"),
        "DATABASE_URL": f"sqlite:///{tmp / 'data' / 'petition.sqlite3'}",
        "REDIS_URL": REDIS_URL,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    }
    settings = load_settings(env)
    redis.Redis.from_url(REDIS_URL).flushdb()
    db = Database(settings.database_url)
    db.migrate()
    with db.session() as s:
        campaign = Campaign(
            slug="bench", title="Bench", languages="nl", numbers=[CampaignNumber(number=NUMBER)]
        )
        s.add(campaign)
        s.flush()
        campaign_id = campaign.id
    fill(db, campaign_id, n, utcnow())
    stored = _store_recordings(db, settings.recordings_dir)

    server = create_server(create_app(settings), host="127.0.0.1", port=0, threads=8)
    port = server.effective_port  # type: ignore[union-attr]
    threading.Thread(target=server.run, daemon=True).start()
    caller = Caller(f"http://127.0.0.1:{port}")
    caller.start()
    time.sleep(2)  # past the first requests' warm-up

    petition = Path(sys.executable).with_name("petition")
    child_env = {**os.environ, **env, "XDG_CONFIG_HOME": str(tmp / "config")}
    rounds: list[tuple[float, list[float], list[float], int]] = []
    for r in range(ROUNDS):
        out = tmp / f"backup-{r}.tar.gz"
        started = time.perf_counter()
        done = subprocess.run(
            [str(petition), "backup", "--out", str(out)],
            env=child_env,
            capture_output=True,
            text=True,
            check=False,
        )
        ended = time.perf_counter()
        if done.returncode != 0:
            raise SystemExit(f"petition backup failed: {done.stderr or done.stdout}")
        during = caller.between(started, ended)
        took = ended - started
        time.sleep(took)  # the baseline: as long again, with no backup running
        baseline = caller.between(ended, ended + took)
        rounds.append((took, baseline, during, out.stat().st_size))
    caller.stop.set()
    caller.join()
    server.close()
    db.dispose()
    shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\nbackup: {n} signatures, {stored} recordings of {RECORDING_BYTES // 1000} KB, "
        f"SQLite; `petition backup` in its own process while one client posts /ivr/voice "
        f"({datetime.now():%Y-%m-%d})"
    )
    print(
        f"  {'round':<7}{'backup s':>10}{'archive MB':>12}{'n base':>8}{'p50 base':>10}"
        f"{'p50 during':>12}{'p99 base':>10}{'p99 during':>12}"
    )
    for r, (took, base, during, size) in enumerate(rounds, start=1):
        print(
            f"  {r:<7}{took:>10.1f}{size / 1e6:>12.1f}{len(base):>8}"
            f"{statistics.median(base):>10.1f}{statistics.median(during):>12.1f}"
            f"{percentile(base, 99):>10.1f}{percentile(during, 99):>12.1f}"
        )
    base_all = [ms for _, b, _, _ in rounds for ms in b]
    during_all = [ms for _, _, d, _ in rounds for ms in d]
    print(
        f"  all rounds: p50 {statistics.median(during_all) / statistics.median(base_all):.2f}x "
        f"the baseline during a backup, p99 "
        f"{percentile(during_all, 99) / percentile(base_all, 99):.2f}x; "
        f"{caller.failed} webhook(s) not answered 200"
    )
