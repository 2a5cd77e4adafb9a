"""README's first scenario, as a user runs it: `petition run` on its embedded defaults, then a
simulated call in French from a Brussels postcode, counted, moving the Brussels bar, and visible
in the stats API and the CSV export made from another folder."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.whisper


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def petition(env: dict[str, str], *args: str, timeout: float = 180, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ivr.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class OneMachine:
    """`petition run` as a user starts it, its output in files, stopped at the end."""

    def __init__(self, tmp_path: Path, whisper_model_dir: Path, *args: str, **extra: str) -> None:
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "RECORDING_HOSTS", "PUBLIC_BASE_URL")
        }
        self.env["DATA_DIR"] = str(tmp_path / "data")
        self.env["WHISPER_MODEL"] = str(whisper_model_dir)
        self.env.update(extra)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.stdout = tmp_path / "run.out"
        self.stderr = tmp_path / "run.log"
        with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ivr.cli", "run", "--port", str(self.port), *args],
                env=self.env,
                stdout=out,
                stderr=err,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/readyz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            assert self.proc.poll() is None, self.log()
            time.sleep(0.2)
        pytest.fail(self.log())

    def log(self) -> str:
        return self.stderr.read_text()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(90)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # its children get SIGTERM from the kernel (parent death signal)
            return self.proc.wait(10)


@pytest.fixture
def start_run(tmp_path: Path, whisper_model_dir: Path) -> Iterator[Callable[..., OneMachine]]:
    started: list[OneMachine] = []

    def start(*args: str, **env: str) -> OneMachine:
        run = OneMachine(tmp_path, whisper_model_dir, *args, **env)
        started.append(run)
        run.wait_ready()
        return run

    yield start
    for run in started:
        run.stop()


@pytest.fixture
def one_machine(start_run: Callable[..., OneMachine]) -> tuple[dict[str, str], str]:
    """`petition run` with nothing configured but DATA_DIR (and the already assembled model)."""
    run = start_run()
    return run.env, run.base


def test_a_simulated_french_call_from_brussels_is_counted_on_the_embedded_defaults(
    one_machine: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, base = one_machine
    created = petition(env, "campaign", "create", "--slug", "glenn", "--number", "+3220000001",
                       "--languages", "nl,fr,de,en")  # fmt: skip
    assert "asks for a postcode" in created  # the Chamber's rule counts by region
    out = petition(
        env,
        "simulate-call",
        "--campaign", "glenn",
        "--language", "fr",
        "--postcode", "1000",
        "--say", "Je m'appelle Sophie Dubois",
        "--base-url", base,
    )  # fmt: skip
    assert "keys: 1000" in out
    decided = json.loads(out.strip().splitlines()[-1])
    assert decided["state"] == "counted" and decided["name"] == "Sophie Dubois"

    token = petition(env, "token", "create", "--role", "viewer").strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    stats = requests.get(f"{base}/api/campaigns/glenn/stats", headers=headers, timeout=10).json()
    assert stats["signatures"] == 1 and stats["by_language"] == {"fr": 1}
    # The worker is another process: its figures reach the web app's /metrics through the
    # multiprocess folder `petition run` gives its children.
    metrics = requests.get(f"{base}/metrics", headers=headers, timeout=10).text
    assert 'petition_recordings_decided_total{state="counted"} 1.0' in metrics
    assert "petition_transcription_seconds_count 1.0" in metrics
    brussels = next(r for r in stats["threshold"]["regions"] if r["region"] == "brussels")
    assert brussels["count"] == 1  # the Brussels bar moves
    page = requests.get(f"{base}/p/glenn/?lang=fr", timeout=10).text
    assert 'href="tel:+3220000001"' in page and "1 / 2\u202f500" in page

    # From another folder, without DATA_DIR: the data `petition run` recorded.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    anywhere = {k: v for k, v in env.items() if k != "DATA_DIR"}
    exported = elsewhere / "glenn.csv"
    petition(anywhere, "export", "--campaign", "glenn", "--format", "csv", "--out",
             str(exported), "--language", "en", cwd=elsewhere)  # fmt: skip
    with open(exported, newline="") as fh:
        assert [row["Name"] for row in csv.DictReader(fh)] == ["Sophie Dubois"]
    assert not (elsewhere / "data").exists()
    log = (tmp_path / "run.out").read_text() + (tmp_path / "run.log").read_text()
    assert f"data folder: {env['DATA_DIR']}" in log and "database: sqlite:///" in log
    assert "recorded in" in log and "Context impl" not in log
    # The embedded Redis lives under DATA_DIR, next to the SQLite file.
    assert (Path(env["DATA_DIR"]) / "petition.sqlite3").exists()
    assert (Path(env["DATA_DIR"]) / "redis.sock").exists()


def descendants(pid: int) -> dict[int, str]:
    """Every process below `pid` (children, grandchildren, ...), with its command line."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = command_line(child)
                todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_to_petition_run_leaves_no_process_behind(
    start_run: Callable[..., OneMachine],
) -> None:
    run = start_run("--workers", "2")
    # Redis, two workers, the web server, and the RQ scheduler one worker forks once it works.
    deadline = time.monotonic() + 60
    while len(children := descendants(run.proc.pid)) < 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    commands = " | ".join(children.values())
    assert "redis-server" in commands and commands.count("ivr.cli worker") >= 2, commands
    assert "ivr.cli serve" in commands and len(children) >= 5, commands

    run.proc.send_signal(signal.SIGTERM)
    assert run.proc.wait(90) == 0, run.log()
    left = {pid: cmd for pid, cmd in children.items() if running(pid)}
    assert left == {}, run.log()
    assert "stopped redis" in run.log() and "stopped web" in run.log()


def test_killed_embedded_redis_comes_back_and_a_call_made_meanwhile_is_counted(
    start_run: Callable[..., OneMachine],
) -> None:
    run = start_run(SWEEP_INTERVAL_SECONDS="2")
    petition(run.env, "campaign", "create", "--slug", "glenn", "--number", "+3220000001")
    (redis_pid,) = [p for p, cmd in descendants(run.proc.pid).items() if "redis-server" in cmd]
    os.kill(redis_pid, signal.SIGKILL)
    out = petition(
        run.env,
        "simulate-call",
        "--campaign", "glenn",
        "--language", "fr",
        "--say", "Je m'appelle Sophie Dubois",
        "--base-url", run.base,
    )  # fmt: skip
    assert json.loads(out.strip().splitlines()[-1])["state"] == "counted"
    assert "redis exited" in run.log() and "restarting" in run.log()
    (new_pid,) = [p for p, cmd in descendants(run.proc.pid).items() if "redis-server" in cmd]
    assert new_pid != redis_pid
    assert requests.get(run.base + "/readyz", timeout=5).status_code == 200


CALLERS = {
    "+32470123456": ("fr", "Je m'appelle Sophie Dubois"),
    "+32471987654": ("nl", "Mijn naam is Jan Peeters"),
    "+32499555111": ("de", "Ich heiße Anna Schmidt"),
}


def number_forms(e164: str) -> set[str]:
    national = "0" + e164.removeprefix("+32")
    spaced = f"{national[:4]} {national[4:6]} {national[6:8]} {national[8:]}"
    return {e164, e164.lstrip("+"), national, national[1:], spaced}


def test_json_logs_at_debug_level_never_name_a_caller_or_their_number(
    start_run: Callable[..., OneMachine],
) -> None:
    run = start_run(LOG_FORMAT="json", LOG_LEVEL="debug")
    petition(run.env, "campaign", "create", "--slug", "glenn", "--number", "+3220000001")
    heard: set[str] = set()
    for caller, (language, saying) in CALLERS.items():
        out = petition(
            run.env,
            "simulate-call",
            "--campaign", "glenn",
            "--language", language,
            "--say", saying,
            "--from", caller,
            "--base-url", run.base,
        )  # fmt: skip
        decided = json.loads(out.strip().splitlines()[-1])
        heard.update(f"{decided['name'] or ''} {decided['transcript'] or ''}".split())
    assert run.stop() == 0
    lines = [json.loads(line) for line in run.log().splitlines() if line.strip()]
    assert lines, "no log lines"
    said = {word.strip(".,") for _, saying in CALLERS.values() for word in saying.split()}
    names = {w for w in said | heard if w[:1].isupper() and len(w) > 2} - {"Mijn", "Ich", "Je"}
    numbers = set().union(*(number_forms(c) for c in CALLERS))
    for line in lines:
        text = json.dumps(line, ensure_ascii=False)
        assert not [n for n in numbers if n in text], text
        assert not [w for w in names if w.lower() in text.lower()], text
    # What the lines do carry instead: request ids, and the recording each job was about.
    assert any(line.get("request_id") and line.get("call_sid") for line in lines)
    assert any(line.get("recording_sid") and line["logger"] == "workers.jobs" for line in lines)
    assert any(line["level"] == "debug" for line in lines)
