"""README's first scenario, as a user runs it: `petition run` on its embedded defaults, then a
simulated call in French, counted and visible in the stats API and the CSV export."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.whisper


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def petition(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ivr.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture
def one_machine(tmp_path: Path, whisper_model_dir: Path) -> Iterator[tuple[dict[str, str], str]]:
    """`petition run` with nothing configured but DATA_DIR (and the already assembled model)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "RECORDING_HOSTS", "PUBLIC_BASE_URL")
    }
    env["DATA_DIR"] = str(tmp_path / "data")
    env["WHISPER_MODEL"] = str(whisper_model_dir)
    port = free_port()
    log = open(tmp_path / "run.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "run", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail((tmp_path / "run.log").read_text())
        yield env, base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        log.close()


def test_a_simulated_french_call_is_counted_on_the_embedded_defaults(
    one_machine: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    env, base = one_machine
    petition(env, "campaign", "create", "--slug", "glenn", "--number", "+3220000001")
    out = petition(
        env,
        "simulate-call",
        "--campaign", "glenn",
        "--language", "fr",
        "--say", "Je m'appelle Sophie Dubois",
        "--base-url", base,
    )  # fmt: skip
    decided = json.loads(out.strip().splitlines()[-1])
    assert decided["state"] == "counted" and decided["name"] == "Sophie Dubois"

    token = petition(env, "token", "create", "--role", "viewer").strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    stats = requests.get(f"{base}/api/campaigns/glenn/stats", headers=headers, timeout=10).json()
    assert stats["signatures"] == 1 and stats["by_language"] == {"fr": 1}

    exported = tmp_path / "glenn.csv"
    petition(env, "export", "--campaign", "glenn", "--format", "csv", "--out", str(exported))
    with open(exported, newline="") as fh:
        assert [row["name"] for row in csv.DictReader(fh)] == ["Sophie Dubois"]
    # The embedded Redis lives under DATA_DIR, next to the SQLite file.
    assert (Path(env["DATA_DIR"]) / "petition.sqlite3").exists()
    assert (Path(env["DATA_DIR"]) / "redis.sock").exists()
