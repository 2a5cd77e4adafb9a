"""GET /metrics: Prometheus text for a token holder or an allowed address, refused otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from rq import SimpleWorker

from ivr.app import create_app
from petition.config import Settings
from petition.db import Database
from petition.models import ApiToken
from petition.operations.users import hash_token
from tests.conftest import make_settings, run_worker
from tests.workers.test_pipeline import phone
from workers.queue import recordings_queue

PROMETHEUS = "10.9.8.7"
DOCUMENTED = {
    "petition_webhook_requests",
    "petition_webhook_request_seconds",
    "petition_signatures",
    "petition_recordings_waiting",
    "petition_recordings_oldest_waiting_seconds",
    "petition_recordings_failed",
    "petition_jobs_queued",
    "petition_jobs_failed",
    "petition_transcription_seconds",
    "petition_recordings_decided",
    "petition_workers",
    "petition_worker_last_heartbeat_timestamp_seconds",
    "petition_database_up",
    "petition_redis_up",
}


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    return make_settings(tmp_path, database_url, redis_url, METRICS_ALLOW=f"{PROMETHEUS}/32")


@pytest.fixture
def token(db: Database) -> str:
    with db.session() as s:
        s.add(ApiToken(token_hash=hash_token("scraper-token"), role="viewer", label="prometheus"))
    return "scraper-token"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


@pytest.fixture
def registered_worker(settings: Settings, db: Database) -> Iterator[str]:
    """A worker registered on this deployment's queue, as `petition worker` registers one."""
    conn = redis.Redis.from_url(settings.redis_url or "")
    worker = SimpleWorker([recordings_queue(settings, db, conn)], connection=conn)
    worker.register_birth()
    worker.heartbeat()
    yield worker.name
    worker.register_death()


@pytest.mark.whisper
@pytest.mark.usefixtures("campaign")
def test_a_token_holder_reads_every_documented_series_with_the_calls_counted(
    settings: Settings,
    db: Database,
    client: FlaskClient,
    live_url: str,
    token: str,
    registered_worker: str,
    transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    with phone(settings, live_url, speech("Je m'appelle Sophie Dubois", "fr")):
        waiting = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        run_worker(settings, transcriber)
    resp = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert families(resp.text) >= DOCUMENTED

    before, after = samples(waiting.text), samples(resp.text)
    assert before[("petition_recordings_waiting", ())] == 1
    assert after[("petition_recordings_waiting", ())] == 0
    signatures = {labels: n for (name, labels), n in after.items() if name == "petition_signatures"}
    assert sum(signatures.values()) == 1
    ((labels, _),) = signatures.items()
    assert dict(labels)["campaign"] == "glenn" and dict(labels)["state"] == "counted"
    assert dict(labels)["name_status"] in ("confirmed", "machine", "to_check", "missing")
    voice_ok = ("endpoint", "ivr.voice"), ("status", "200")
    assert after[("petition_webhook_requests_total", voice_ok)] >= 1
    assert after[("petition_webhook_request_seconds_count", (("endpoint", "ivr.recorded"),))] >= 1
    assert after[("petition_transcription_seconds_count", ())] >= 1
    assert after[("petition_recordings_decided_total", (("state", "counted"),))] >= 1
    assert after[("petition_workers", ())] == 1
    assert (
        "petition_worker_last_heartbeat_timestamp_seconds",
        (("worker", registered_worker),),
    ) in after
    assert after[("petition_database_up", ())] == after[("petition_redis_up", ())] == 1


def test_a_client_inside_metrics_allow_needs_no_token(client: FlaskClient) -> None:
    resp = client.get("/metrics", environ_base={"REMOTE_ADDR": PROMETHEUS})
    assert resp.status_code == 200
    assert "petition_recordings_waiting" in families(resp.text)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic c2NyYXBlcjp4"}],
    ids=["no token", "unknown token", "not a bearer token"],
)
def test_anyone_else_is_refused(client: FlaskClient, token: str, headers: dict[str, str]) -> None:
    resp = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": "10.9.8.6"})
    assert resp.status_code == 401
    assert b"petition_" not in resp.data


def test_a_revoked_token_is_refused(client: FlaskClient, db: Database, token: str) -> None:
    with db.session() as s:
        s.query(ApiToken).update({"revoked": True})
    assert client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_nobody_is_allowed_by_address_when_metrics_allow_is_empty(
    tmp_path: Path, database_url: str, redis_url: str, db: Database
) -> None:
    app: Flask = create_app(make_settings(tmp_path, database_url, redis_url), {"TESTING": True})
    resp = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert resp.status_code == 401
    app.extensions["petition"].db.dispose()


def test_metrics_answer_while_redis_is_down_and_say_so(app: Flask, client: FlaskClient) -> None:
    from rq import Queue

    from workers.queue import connect

    app.extensions["petition"]._queue = Queue("x", connection=connect("redis://127.0.0.1:1/0"))
    resp = client.get("/metrics", environ_base={"REMOTE_ADDR": PROMETHEUS})
    assert resp.status_code == 200
    found = samples(resp.text)
    assert found[("petition_redis_up", ())] == 0
    assert found[("petition_database_up", ())] == 1
    assert ("petition_recordings_waiting", ()) in found


def test_every_response_carries_a_request_id(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-Id"]
    assert first and first != client.get("/healthz").headers["X-Request-Id"]
    given = "edge-proxy-0123456789"
    assert client.get("/healthz", headers={"X-Request-Id": given}).headers["X-Request-Id"] == given
