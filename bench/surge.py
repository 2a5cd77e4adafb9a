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
import collections
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from audio.model import resolve_model
from audio.synth import synthesize
from bench.evalset import default_dir
from bench.loopback import REDIS_URL, campaign_database, free_port, wait_for_port
from bench.packing import INTRODUCTIONS, NAMES
from bench.webhooks import percentile
from petition.db import Database
from petition.models import Call, Recording, Signature

TOKEN = "bench-auth-token"  # noqa: S105 (a throwaway token for a local benchmark)
SID = "AC" + "0" * 32
NUMBER = "+3220000001"
MENU = {"nl": "1", "fr": "2", "de": "3", "en": "4"}
DECIDE_WITHIN = 15 * 60  # the goal: every recording decided within 15 minutes
# When each webhook of a call arrives, in seconds after the call starts.
STEPS = (0.0, 3.0, 12.0, 12.2, 14.0)


VARIANTS = ("", "+m3", "+f2", "+f4")  # espeak-ng voices: the callers are different people


def make_callers(count: int) -> list[tuple[str, str, Path]]:
    """`count` different callers (language, name, recording): a given name, a surname and a voice
    each their own, so that no two recordings are the same audio (a replay would be held).
    Made once and kept beside the evaluation set."""
    directory = default_dir().parent / "surge"
    directory.mkdir(parents=True, exist_ok=True)
    people = []
    for variant in VARIANTS:
        for language, pairs in NAMES.items():
            names = [pair.strip().split(" ", 1) for pair in pairs.split(",")]
            for i, (given, _) in enumerate(names):
                for j, (_, surname) in enumerate(names):
                    people.append((language, f"{given} {surname}", variant, f"{i}-{j}"))
    # In the order they call: as random as a TV audience (people in the order made would put
    # one voice saying one given name eight times into a pack, which Whisper hears as a loop).
    random.Random(2000).shuffle(people)
    callers = []
    for n, (language, name, variant, key) in enumerate(people[:count]):
        # Each its own pace too: one synthetic voice saying the same introduction and given
        # name at the same speed is the same audio for most of the recording.
        speed = 130 + (n * 7) % 13 * 5
        wav = directory / f"{language}{variant.strip('+') or 'default'}-{key}-{speed}.wav"
        if not wav.exists():
            text = f"{INTRODUCTIONS[language]} {name}"
            synthesize(text, language, wav, variant=variant, words_per_minute=speed)
        callers.append((language, name, wav))
        if n and n % 500 == 0:
            print(f"  {n} callers' recordings ready", flush=True)
    return callers


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


def run(
    calls: int = 2000, seconds: float = 300.0, workers: int = 1, read_back: bool = True
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="petition-bench-surge-"))
    stopping = threading.Event()

    def stop(*_: object) -> None:
        # Python's default for SIGTERM would skip the `finally` that stops the servers; the
        # calls still to be placed are dropped.
        stopping.set()
        raise SystemExit(1)

    signal.signal(signal.SIGTERM, stop)
    clips = [(language, wav) for language, _, wav in make_callers(calls)]
    with campaign_database("surge", "nl,fr,de,en", NUMBER, read_back=read_back) as database_url:
        db = Database(database_url)
        media = ThreadingHTTPServer(("127.0.0.1", 0), _Recordings)
        threading.Thread(target=media.serve_forever, daemon=True).start()
        port = free_port()
        procs = _start_service(database_url, port, workers, tmp)
        try:
            wait_for_port(port)
            time.sleep(3)  # the worker loads its model
            carrier = _Carrier(f"http://127.0.0.1:{port}", media.server_address[1], stopping)
            start = time.monotonic()
            # Enough threads that every call in progress (about 15 s each) has its own.
            pool = ThreadPoolExecutor(int(calls / seconds * (STEPS[-1] + 2)) + 8)
            try:
                for i in range(calls):
                    pool.submit(carrier.call, i, clips[i % len(clips)], start + i * seconds / calls)
            finally:
                pool.shutdown(wait=not stopping.is_set(), cancel_futures=stopping.is_set())
            sent = time.monotonic() - start
            # Until every recording is decided, however long past the goal that takes.
            _wait_for_decisions(db, calls, until=start + 3 * DECIDE_WITHIN)
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                proc.wait(60)
            media.shutdown()
        print(f"\nsurge: the campaign reads names back: {'yes' if read_back else 'no'}")
        _report(db, calls, seconds, sent, workers, carrier, _pack_sizes(tmp))
        db.dispose()


def _start_service(
    database_url: str, port: int, workers: int, tmp: Path
) -> list[subprocess.Popen[bytes]]:
    """gunicorn with the web app, and `workers` workers at a lower CPU priority."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": SID,
        "RECORDING_HOSTS": "127.0.0.1",
        "DATA_DIR": str(tmp / "data"),
        "WHISPER_MODEL": resolve_model(
            "bundled", Path(__file__).resolve().parents[1] / ".cache" / "bench"
        ),
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    petition = str(Path(sys.executable).with_name("petition"))
    web = [gunicorn, "-w", "2", "-k", "gthread", "--threads", "4", "-b", f"127.0.0.1:{port}",
           "ivr.app:create_app()"]  # fmt: skip
    procs = [
        subprocess.Popen(
            web,
            env={**env, "LOG_LEVEL": "warning"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    for n in range(workers):
        # At info level a worker says what each job did, and how big its pack was.
        with (tmp / f"worker-{n}.log").open("wb") as log:
            procs.append(
                subprocess.Popen(
                    ["nice", "-n", "10", petition, "worker"],
                    env={**env, "LOG_LEVEL": "info"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    return procs


class _Carrier:
    """Places calls the way the carrier does: signed webhooks, spread over a call's length."""

    def __init__(self, base: str, media_port: int, stopping: threading.Event) -> None:
        self.base = base
        self.media_url = f"http://127.0.0.1:{media_port}"
        self.stopping = stopping
        self.validator = RequestValidator(TOKEN)
        self.callers = random.Random(2000)
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.read_backs: list[float | None] = []  # per call offered one: the wait, or None
        self.local = threading.local()

    def post(self, path: str, params: dict[str, str]) -> str:
        """Post one signed webhook; its answer's body ("" when it failed)."""
        http = getattr(self.local, "http", None) or requests.Session()
        self.local.http = http
        signature = self.validator.compute_signature(self.base + path, params)
        started = time.perf_counter()
        try:
            resp = http.post(
                self.base + path,
                data=params,
                headers={"X-Twilio-Signature": signature},
                timeout=15,
            )
            if resp.status_code not in (200, 204):
                self.failures.append(f"{path}: HTTP {resp.status_code}")
            body = resp.text
        except requests.RequestException as exc:
            self.failures.append(f"{path}: {exc}")
            body = ""
        self.latencies.append(time.perf_counter() - started)
        return body

    def read_back(self, answer: str, params: dict[str, str], recorded: float) -> None:
        """Follow the read-back as a caller's line does: one-second pauses until the question,
        then 1; the wait from the recording's end is kept (None: the caller got the thank-you).
        """
        while "<Redirect" in answer:
            path = answer.split("<Redirect", 1)[1].split(">", 1)[1].split("<", 1)[0]
            path = path.replace("&amp;", "&").removeprefix(self.base)
            if "<Pause" in answer:
                time.sleep(1.0)
            answer = self.post(path, params)
        if "<Gather" not in answer:
            self.read_backs.append(None)
            return
        self.read_backs.append(time.monotonic() - recorded)
        action = answer.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        self.post(action.removeprefix(self.base), {**params, "Digits": "1"})

    def call(self, i: int, clip: tuple[str, Path], at: float) -> None:
        language, wav = clip
        call_sid, rec_sid = f"CA{secrets.token_hex(16)}", f"RE{secrets.token_hex(16)}"
        _Recordings.clips[rec_sid] = wav
        # Callers from all over the mobile ranges, as after a TV spot (one range would be a burst).
        caller = f"+3247{self.callers.randrange(10_000_000):07d}"
        common = {"AccountSid": SID, "CallSid": call_sid, "From": caller, "To": NUMBER}
        rec = {
            **common,
            "RecordingSid": rec_sid,
            "RecordingDuration": "3",
            "RecordingUrl": f"{self.media_url}/Recordings/{rec_sid}",
        }
        bodies = (
            ("/ivr/voice", {**common, "CallStatus": "ringing", "Direction": "inbound"}),
            ("/ivr/language", {**common, "Digits": MENU[language]}),
            ("/ivr/recorded", rec),
            ("/ivr/recording-status", {**rec, "RecordingStatus": "completed"}),
            ("/ivr/status", {**common, "CallStatus": "completed", "CallDuration": "16"}),
        )
        answer = ""
        for offset, (path, params) in zip(STEPS, bodies, strict=True):
            if self.stopping.wait(max(0.0, at + offset - time.monotonic())):
                return
            reply = self.post(path, params)
            if path == "/ivr/recorded":
                answer = reply
            elif path == "/ivr/recording-status" and "<Redirect" in answer:
                # The caller is on the line: the read-back, before the call ends.
                self.read_back(answer, {**common, "CallStatus": "in-progress"}, at + STEPS[2])


def _pack_sizes(tmp: Path) -> list[tuple[int, bool]]:
    """The size of each pack the workers transcribed, and whether it was decoded greedily to
    catch up with a backlog, from their logs (a job whose recording another job had packed
    already did nothing)."""
    packs = []
    for log in tmp.glob("worker-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if "recording: " in line and "nothing to do" not in line and "held by" not in line:
                found = re.search(r"in a pack of (\d+)", line)
                packs.append((int(found.group(1)) if found else 1, "catching up" in line))
    return packs


def _report(
    db: Database,
    calls: int,
    seconds: float,
    sent: float,
    workers: int,
    carrier: _Carrier,
    packs: list[tuple[int, bool]],
) -> None:
    undecided = Signature.state.in_(["received", "transcribed"])
    with db.session() as s:
        counts = {
            "calls": s.scalar(sa.select(sa.func.count()).select_from(Call)),
            "recordings": s.scalar(sa.select(sa.func.count()).select_from(Recording)),
            "signatures": s.scalar(sa.select(sa.func.count()).select_from(Signature)),
            "undecided": s.scalar(sa.select(sa.func.count()).where(undecided)),
            "failed": s.scalar(sa.select(sa.func.count()).where(Recording.status == "failed")),
        }
        first_call = s.scalar(sa.select(sa.func.min(Call.started_at)))
        last_decision, longest = s.execute(
            sa.select(
                sa.func.max(Recording.processed_at),
                sa.func.max(
                    sa.func.extract("epoch", Recording.processed_at - Recording.created_at)
                ),
            )
        ).one()
        by_state = dict(
            s.execute(sa.select(Signature.state, sa.func.count()).group_by(Signature.state)).all()
        )
        held = dict(
            s.execute(
                sa.select(Signature.reason, sa.func.count())
                .where(Signature.state == "needs_review")
                .group_by(Signature.reason)
            ).all()
        )
    ms = sorted(1000 * t for t in carrier.latencies)
    print(
        f"\nsurge: {calls} calls in {seconds:.0f} s (sent in {sent:.0f} s) at one machine: "
        f"gunicorn 2x4, {workers} worker(s) at nice 10, PostgreSQL, Redis, all on loopback"
    )
    print(
        f"  webhooks: {len(ms)} answered, p50 {statistics.median(ms):.0f} ms, p99 "
        f"{percentile(ms, 99):.0f} ms, slowest {ms[-1]:.0f} ms; failures {len(carrier.failures)}"
    )
    if first_call and last_decision:
        print(
            f"  last signature decided {(last_decision - first_call).total_seconds():.0f} s after "
            f"the first call (goal: {DECIDE_WITHIN} s); a recording waited at most "
            f"{float(longest or 0):.0f} s"
        )
    complete = all(counts[k] == calls for k in ("calls", "recordings", "signatures"))
    print(
        f"  calls {counts['calls']}, recordings {counts['recordings']}, signatures "
        f"{counts['signatures']} ({', '.join(f'{k} {v}' for k, v in sorted(by_state.items()))}), "
        f"failed {counts['failed']}: "
        + ("nothing lost" if complete and not counts["failed"] else "SOMETHING IS MISSING")
    )
    if held:
        print("  held for review: " + ", ".join(f"{k} {v}" for k, v in sorted(held.items())))
    if counts["undecided"]:
        print(f"  still waiting when the bench stopped waiting: {counts['undecided']}")
    if packs:
        sizes = [size for size, _ in packs]
        by_size = sorted(collections.Counter(sizes).items())
        print(
            f"  {len(packs)} Whisper jobs, {sum(sizes)} recordings in them: packs of "
            f"{statistics.mean(sizes):.1f} on average ("
            + ", ".join(f"{n} of {size}" for size, n in by_size)
            + ")"
        )
        hurried = [size for size, greedy in packs if greedy]
        print(
            f"  decoded greedily while catching up (CATCH_UP_BACKLOG, names to a person): "
            f"{sum(hurried)} recordings in {len(hurried)} packs"
        )
    offered = carrier.read_backs
    waits = [w for w in offered if w is not None]
    print(
        f"  read-back: {len(offered)} callers heard 'one moment', {len(waits)} got their name "
        "read back"
        + (
            f" (wait from the recording's end p50 {percentile(waits, 50):.1f} s, p95 "
            f"{percentile(waits, 95):.1f} s, max {max(waits):.1f} s)"
            if waits
            else ""
        )
    )
    for failure in carrier.failures[:5]:
        print(f"  {failure}")


def _wait_for_decisions(db: Database, calls: int, until: float) -> None:
    """Until every signature is decided, or time is up."""
    while time.monotonic() < until:
        with db.session() as s:
            undecided = s.scalar(
                sa.select(sa.func.count()).where(Signature.state.in_(["received", "transcribed"]))
            )
            total = s.scalar(sa.select(sa.func.count()).select_from(Signature))
        if total == calls and not undecided:
            break
        time.sleep(2)
