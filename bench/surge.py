"""The evening after a TV spot: 2,000 calls in 5 minutes at one machine.

    python -m bench --only surge [--surge-calls N] [--surge-seconds S] [--workers N]

Everything on this machine, on loopback: gunicorn (2 processes, 4 threads each) with the web
app, `petition worker` processes (at a lower CPU priority than the web: webhooks must stay
fast, transcription may wait), PostgreSQL, Redis, and a simulated carrier. The carrier places
the calls evenly over the period; each call posts the voice webhook, the language choice, the
record action, the recording status and the call status, spread over about fifteen seconds as
a real call is, and serves its recording (a short name in one of four languages, 8 kHz) over
HTTP with basic auth.

Printed: the webhooks' p50, p99 and slowest answer; how long until the last signature was
decided, and the longest a recording waited; and that nothing was lost (every call has its
recording and its signature, and every signature was decided).
"""

from __future__ import annotations

import base64
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import redis
import requests
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from audio.model import resolve_model
from bench.packing import make_calls
from bench.webhooks import percentile
from petition.db import Database
from petition.models import Call, Campaign, CampaignNumber, Recording, Signature

ADMIN_PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
TOKEN = "bench-auth-token"  # noqa: S105 (a throwaway token for a local benchmark)
SID = "AC" + "0" * 32
NUMBER = "+3220000001"
MENU = {"nl": "1", "fr": "2", "de": "3", "en": "4"}
DECIDE_WITHIN = 15 * 60  # the goal: every recording decided within 15 minutes
# When each webhook of a call arrives, in seconds after the call starts.
STEPS = (0.0, 3.0, 12.0, 12.2, 14.0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Recordings(BaseHTTPRequestHandler):
    """The carrier's media server: /Recordings/<sid>.wav, basic auth, one of the clips."""

    clips: dict[str, Path] = {}
    auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.headers.get("Authorization") != self.auth:
            self.send_response(401)
            self.end_headers()
            return
        sid = self.path.rsplit("/", 1)[-1].removesuffix(".wav")
        path = self.clips.get(sid)
        if path is None:
            self.send_response(404)
            self.end_headers()
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "audio/x-wav")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def run(calls: int = 2000, seconds: float = 300.0, workers: int = 1) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="petition-bench-surge-"))
    clips = make_calls(tmp / "clips")
    name = f"petition_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    database_url = ADMIN_PG_URL.rsplit("/", 1)[0] + f"/{name}"
    redis.Redis.from_url(REDIS_URL).flushdb()
    db = Database(database_url)
    db.migrate()
    with db.session() as s:
        s.add(
            Campaign(
                slug="surge",
                title="Surge",
                languages="nl,fr,de,en",
                numbers=[CampaignNumber(number=NUMBER)],
            )
        )
    media = ThreadingHTTPServer(("127.0.0.1", 0), _Recordings)
    threading.Thread(target=media.serve_forever, daemon=True).start()
    media_url = f"http://127.0.0.1:{media.server_address[1]}"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "PUBLIC_BASE_URL": base,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": SID,
        "RECORDING_HOSTS": "127.0.0.1",
        "DATA_DIR": str(tmp / "data"),
        "WHISPER_MODEL": resolve_model(
            "bundled", Path(__file__).resolve().parents[1] / ".cache" / "bench"
        ),
        "LOG_LEVEL": "warning",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    petition = str(Path(sys.executable).with_name("petition"))
    procs = [
        subprocess.Popen(
            [
                gunicorn,
                "-w",
                "2",
                "-k",
                "gthread",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "ivr.app:create_app()",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    ] + [
        subprocess.Popen(
            ["nice", "-n", "10", petition, "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        for _ in range(workers)
    ]
    validator = RequestValidator(TOKEN)
    callers = random.Random(2000)
    latencies: list[float] = []
    failures: list[str] = []
    local = threading.local()

    def post(path: str, params: dict[str, str]) -> None:
        http = getattr(local, "http", None) or requests.Session()
        local.http = http
        headers = {"X-Twilio-Signature": validator.compute_signature(base + path, params)}
        started = time.perf_counter()
        try:
            resp = http.post(base + path, data=params, headers=headers, timeout=15)
            ok = resp.status_code in (200, 204)
        except requests.RequestException as exc:
            ok, resp = False, None
            failures.append(f"{path}: {exc}")
        latencies.append(time.perf_counter() - started)
        if not ok and resp is not None:
            failures.append(f"{path}: HTTP {resp.status_code}")

    def one_call(i: int, at: float) -> None:
        language, _, wav = clips[i % len(clips)]
        call_sid, rec_sid = f"CA{secrets.token_hex(16)}", f"RE{secrets.token_hex(16)}"
        _Recordings.clips[rec_sid] = wav
        # Callers from all over the mobile ranges, as after a TV spot (one range would be a burst).
        caller = f"+3247{callers.randrange(10_000_000):07d}"
        common = {"AccountSid": SID, "CallSid": call_sid, "From": caller, "To": NUMBER}
        rec = {
            **common,
            "RecordingSid": rec_sid,
            "RecordingDuration": "3",
            "RecordingUrl": f"{media_url}/Recordings/{rec_sid}",
        }
        bodies = (
            ("/ivr/voice", {**common, "CallStatus": "ringing", "Direction": "inbound"}),
            ("/ivr/language", {**common, "Digits": MENU[language]}),
            ("/ivr/recorded", rec),
            ("/ivr/recording-status", {**rec, "RecordingStatus": "completed"}),
            ("/ivr/status", {**common, "CallStatus": "completed", "CallDuration": "16"}),
        )
        for offset, (path, params) in zip(STEPS, bodies, strict=True):
            time.sleep(max(0.0, at + offset - time.monotonic()))
            post(path, params)

    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        time.sleep(3)  # the worker loads its model
        start = time.monotonic()
        # Enough threads that every call in progress (about 15 s each) has its own.
        threads = int(calls / seconds * (STEPS[-1] + 2)) + 8
        with ThreadPoolExecutor(threads) as pool:
            for i in range(calls):
                pool.submit(one_call, i, start + i * seconds / calls)
        sent = time.monotonic() - start
        waited = _wait_for_decisions(db, calls, start, until=start + DECIDE_WITHIN + 300)
        last = time.monotonic() - start
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(60)
        media.shutdown()
    with db.session() as s:
        counts = {
            "calls": s.scalar(sa.select(sa.func.count()).select_from(Call)),
            "recordings": s.scalar(sa.select(sa.func.count()).select_from(Recording)),
            "signatures": s.scalar(sa.select(sa.func.count()).select_from(Signature)),
            "undecided": s.scalar(
                sa.select(sa.func.count()).where(Signature.state.in_(["received", "transcribed"]))
            ),
            "failed": s.scalar(sa.select(sa.func.count()).where(Recording.status == "failed")),
        }
        longest = s.scalar(
            sa.select(
                sa.func.max(sa.func.extract("epoch", Recording.processed_at - Recording.created_at))
            )
        )
    db.engine.dispose()
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    ms = sorted(1000 * t for t in latencies)
    print(
        f"\nsurge: {calls} calls in {seconds:.0f} s (sent in {sent:.0f} s) at one machine: "
        f"gunicorn 2x4, {workers} worker(s) at nice 10, PostgreSQL, Redis, all on loopback"
    )
    print(
        f"  webhooks: {len(ms)} answered, p50 {statistics.median(ms):.0f} ms, p99 "
        f"{percentile(ms, 99):.0f} ms, slowest {ms[-1]:.0f} ms; failures {len(failures)}"
    )
    print(
        f"  last signature decided {waited:.0f} s after the first call ({last:.0f} s in all); a "
        f"recording waited at most {float(longest or 0):.0f} s"
    )
    lost = (
        counts["calls"] != calls or counts["recordings"] != calls or counts["signatures"] != calls
    )
    print(
        f"  calls {counts['calls']}, recordings {counts['recordings']}, signatures "
        f"{counts['signatures']}, undecided {counts['undecided']}, failed {counts['failed']}: "
        + ("LOST SOMETHING" if lost or counts["undecided"] else "nothing lost")
    )
    for failure in failures[:5]:
        print(f"  {failure}")


def _wait_for_decisions(db: Database, calls: int, start: float, until: float) -> float:
    """Seconds from `start` (the first call) until every signature is decided (or time is up)."""
    while time.monotonic() < until:
        with db.session() as s:
            undecided = s.scalar(
                sa.select(sa.func.count()).where(Signature.state.in_(["received", "transcribed"]))
            )
            total = s.scalar(sa.select(sa.func.count()).select_from(Signature))
        if total == calls and not undecided:
            break
        time.sleep(2)
    return time.monotonic() - start
