"""Shared fixtures: real SQLite and PostgreSQL, real Redis, a real HTTP recording host."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from rq import SimpleWorker
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from ivr import public
from ivr.app import create_app
from ivr.staff import overview
from petition.config import Settings, load_settings
from petition.db import Database
from petition.models import Base, Campaign, CampaignNumber
from workers import context
from workers.queue import live_queue_for, recordings_queue

pytest_plugins = ["tests.conftest_audio"]

ADMIN_PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
PUBLIC_BASE_URL = "https://petition.example.org"
CAMPAIGN_NUMBER = "+3220000001"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32


@pytest.fixture(autouse=True)
def own_configuration_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The configuration file `petition run` writes goes to a folder of the test's own, for the
    commands run here and the processes they start: never the machine's, nor another test's."""
    folder = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    monkeypatch.delenv("PETITION_CONFIG", raising=False)
    return folder


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once."""
    name = f"petition_test_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_PG_URL.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    db.migrate()
    db.dispose()
    yield url
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_postgres(url: str) -> None:
    db = Database(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'petition.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


@pytest.fixture
def redis_url() -> Iterator[str]:
    conn = redis.Redis.from_url(TEST_REDIS_URL)
    conn.flushdb()
    yield TEST_REDIS_URL
    conn.flushdb()


def make_settings(tmp_path: Path, database_url: str, redis_url: str, **env: str) -> Settings:
    base = {
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "RECORDING_HOSTS": "127.0.0.1",
        "FETCH_BACKOFF": "0.05,0.1,0.2",
        "WHISPER_MODEL": str(Path(__file__).resolve().parents[1] / ".cache" / "whisper-base"),
    }
    base.update(env)
    return load_settings(base)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    return make_settings(tmp_path, database_url, redis_url)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def app(settings: Settings, db: Database) -> Iterator[Flask]:
    # The figures a process caches for a few seconds are another test's on a shared database.
    public.clear_cache()
    overview.clear_caches()
    application = create_app(settings, {"TESTING": True})
    yield application
    application.extensions["petition"].db.dispose()


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The app on a real HTTP port, as the carrier reaches it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def add_campaign(
    db: Database, slug: str = "glenn", number: str = CAMPAIGN_NUMBER, **fields: Any
) -> int:
    with db.session() as s:
        c = Campaign(
            slug=slug,
            title=fields.pop("title", "Better online protection of minors"),
            languages=fields.pop("languages", "nl,fr,de,en"),
            numbers=[CampaignNumber(number=number)],
            # Tests of other steps end the call at the beep; tests/ivr/test_read_back.py and
            # the pipeline's read-back tests switch it on.
            read_back=fields.pop("read_back", False),
            **fields,
        )
        s.add(c)
        s.flush()
        return c.id


@pytest.fixture
def campaign(db: Database) -> int:
    return add_campaign(db)


class Carrier:
    """Posts signed webhooks to the test client the way Twilio does."""

    def __init__(self, client: FlaskClient, token: str = AUTH_TOKEN) -> None:
        self.client = client
        self.validator = RequestValidator(token)

    def post(self, path: str, params: dict[str, str], *, sign: bool = True) -> TestResponse:
        headers = {}
        if sign:
            headers["X-Twilio-Signature"] = self.validator.compute_signature(
                PUBLIC_BASE_URL + path, params
            )
        return self.client.post(path, data=params, headers=headers)


@pytest.fixture
def carrier(client: FlaskClient) -> Carrier:
    return Carrier(client)


def call_params(call_sid: str, caller: str = "+32470123456", **extra: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": call_sid,
        "From": caller,
        "To": CAMPAIGN_NUMBER,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        **extra,
    }


def run_worker(settings: Settings, transcriber: Any) -> None:
    """Run queued jobs in this process, the way `petition worker` does, until the queue is empty."""
    ctx = context.configure(settings, transcriber=transcriber)
    conn = redis.Redis.from_url(settings.redis_url or "")
    try:
        q = recordings_queue(settings, ctx.db, conn)
        SimpleWorker([live_queue_for(q), q], connection=conn).work(burst=True)
    finally:
        ctx.db.dispose()


def kill_worker_once(
    settings: Settings, model_dir: Path, log_path: Path, ready: Any, seconds: float = 120.0
) -> dict[str, str]:
    """Start `petition worker` in its own process group, wait until `ready()` is true (say,
    a recording is being transcribed), then SIGKILL the whole group, as a dying machine.

    Returns the worker's environment, for starting another one afterwards.
    """
    env = {
        **os.environ,
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "RECORDING_HOSTS": "127.0.0.1",
        "WHISPER_MODEL": str(model_dir),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    }
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "ivr.cli", "worker"],
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,  # the kill takes its scheduler child too
        )
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not ready():
                time.sleep(0.01)
            assert ready(), log_path.read_text()
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
    return env


def burst_worker(env: dict[str, str]) -> None:
    """A new `petition worker --burst`: its first sweep finds what a dead worker held."""
    restarted = subprocess.run(
        [sys.executable, "-m", "ivr.cli", "worker", "--burst"],
        env=env,
        capture_output=True,
        timeout=240,
    )
    assert restarted.returncode == 0, restarted.stderr.decode()[-2000:]
