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
from collections.abc import Iterator
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
    log = (tmp_path / "run.log").read_text()
    assert f"data folder: {env['DATA_DIR']}" in log and "database: sqlite:///" in log
    assert "recorded in" in log and "Context impl" not in log
    # The embedded Redis lives under DATA_DIR, next to the SQLite file.
    assert (Path(env["DATA_DIR"]) / "petition.sqlite3").exists()
    assert (Path(env["DATA_DIR"]) / "redis.sock").exists()
