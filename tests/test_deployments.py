"""Deployments that share a Redis server never take each other's work."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask.testing import FlaskClient

from ivr.app import create_app
from ivr.simulator import RecordingServer
from petition.config import Settings
from petition.db import Database
from petition.models import Signature
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    Carrier,
    add_campaign,
    call_params,
    make_settings,
    run_worker,
)
from workers.queue import enqueue, recordings_queue


def register_calls(client: FlaskClient, server: RecordingServer, sids: list[str]) -> None:
    """Calls whose recordings are announced by the carrier (and so queued)."""
    carrier = Carrier(client)
    for n, sid in enumerate(sids):
        call_sid = f"CA{sid}"
        carrier.post("/ivr/voice", call_params(call_sid, caller=f"+3247055{n:04d}"))
        recording = {
            **call_params(call_sid, caller=f"+3247055{n:04d}"),
            "RecordingSid": sid,
            "RecordingUrl": server.url_for(ACCOUNT_SID, sid),
            "RecordingDuration": "3",
        }
        assert carrier.post("/ivr/recorded", recording).status_code == 200


def states(db: Database) -> list[str]:
    with db.session() as s:
        return list(s.scalars(sa.select(Signature.state)))


@pytest.mark.whisper
def test_two_deployments_sharing_one_redis_database_each_decide_their_own_recordings_and_all(
    tmp_path: Path,
    redis_url: str,
    whisper_model_dir: Path,
    silence,  # type: ignore[no-untyped-def]
) -> None:
    deployments: dict[str, tuple[Settings, Database]] = {}
    for name in ("a", "b"):
        settings = make_settings(
            tmp_path / name, f"sqlite:///{tmp_path / name / 'petition.sqlite3'}", redis_url
        )
        db = Database(settings.database_url)
        db.migrate()
        add_campaign(db)
        deployments[name] = (settings, db)
    # The same RecordingSid in both is allowed too: each job id carries its deployment.
    sids = {"a": ["REshared", "REa1", "REa2"], "b": ["REshared", "REb1", "REb2", "REb3"]}
    with RecordingServer(silence(2.0), ACCOUNT_SID, AUTH_TOKEN) as server:
        for name, (settings, _db) in deployments.items():
            app = create_app(settings, {"TESTING": True})
            register_calls(app.test_client(), server, sids[name])
            app.extensions["petition"].db.dispose()
        workers = {
            name: subprocess.Popen(
                [sys.executable, "-m", "ivr.cli", "worker", "--burst"],
                env={
                    **os.environ,
                    "DATA_DIR": str(settings.data_dir),
                    "DATABASE_URL": settings.database_url,
                    "REDIS_URL": redis_url,
                    "RECORDING_HOSTS": "127.0.0.1",
                    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                    "WHISPER_MODEL": str(whisper_model_dir),
                },
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for name, (settings, _db) in deployments.items()
        }
        logs = {name: proc.communicate(timeout=240)[0] for name, proc in workers.items()}
    for name, (_settings, db) in deployments.items():
        assert workers[name].returncode == 0, logs[name][-3000:]
        assert "unknown recording" not in logs[name]
        assert logs[name].count("recording: rejected (silent)") == len(sids[name])
        assert states(db) == ["rejected"] * len(sids[name])
        db.dispose()
    assert redis.Redis.from_url(redis_url).dbsize() > 0  # one Redis database held both queues


def test_a_job_for_a_recording_the_database_does_not_know_is_logged_as_a_warning(
    settings: Settings, db: Database, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    enqueue(recordings_queue(settings, db, redis.Redis.from_url(redis_url)), "REnowhere")
    with caplog.at_level(logging.WARNING, logger="workers.jobs"):
        run_worker(settings, transcriber=None)
    warnings = [r for r in caplog.records if r.name == "workers.jobs"]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert "REnowhere" in warnings[0].getMessage()


def test_queue_names_differ_between_databases(
    tmp_path: Path, settings: Settings, db: Database, redis_url: str
) -> None:
    other = Database(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    other.migrate()
    conn = redis.Redis.from_url(redis_url)
    mine, theirs = recordings_queue(settings, db, conn), recordings_queue(settings, other, conn)
    assert mine.name.startswith("recordings-") and mine.name != theirs.name
    # Asked again, a database gives the same name: it is stored, not made up each time.
    assert recordings_queue(settings, db, conn).name == mine.name
    other.dispose()
