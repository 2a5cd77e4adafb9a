"""Staff API, health and public progress, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue

from petition.db import Database
from petition.models import ApiToken
from petition.operations.users import hash_token
from tests.counting.test_counting import arrive, hear
from workers.queue import connect

pytestmark = pytest.mark.usefixtures("campaign")


@pytest.fixture
def token(db: Database) -> dict[str, str]:
    with db.session() as s:
        s.add(ApiToken(token_hash=hash_token("viewer-token"), role="viewer"))
    return {"Authorization": "Bearer viewer-token"}


def test_stats_need_a_valid_bearer_token(client: FlaskClient) -> None:
    assert client.get("/api/campaigns/glenn/stats").status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert client.get("/api/campaigns/glenn/stats", headers=bad).status_code == 401
    assert client.get("/api/campaigns/glenn/signatures.csv", headers=bad).status_code == 401


def test_stats_count_each_state_region_and_language(
    client: FlaskClient, db: Database, token: dict[str, str]
) -> None:
    hear(db, arrive(db, "+32470000201"), "Mijn naam is Jan Peeters")
    hear(db, arrive(db, "+32470000201"), "Mijn naam is Jan Peeters")  # same number again
    hear(db, arrive(db, "anonymous"), "My name is John Smith")
    arrive(db, "+32470000202")  # not transcribed yet
    stats = client.get("/api/campaigns/glenn/stats", headers=token).get_json()
    assert (stats["signatures"], stats["rejected"], stats["needs_review"], stats["pending"]) == (
        1,
        1,
        1,
        1,
    )
    assert stats["calls"] == 4
    # Over counted signatures: how far each name can be trusted.
    assert stats["names"] == {
        "confirmed": 0,
        "caller": 0,
        "machine": 1,
        "to_check": 0,
        "missing": 0,
    }
    assert stats["by_region"]["unknown"] == 1
    assert sum(stats["by_language"].values()) == 1
    assert stats["threshold"]["key"] == "be-chamber"
    assert stats["threshold"]["target"] == 25_000 and stats["threshold"]["missing"] >= 24_999
    assert client.get("/api/campaigns/nope/stats", headers=token).status_code == 404


def test_signatures_csv_has_counted_names_and_no_numbers(
    client: FlaskClient, db: Database, token: dict[str, str]
) -> None:
    hear(db, arrive(db, "+32470000203"), "Je m'appelle Sophie Dubois")
    hear(db, arrive(db, "+32470000204"), "")  # silent: not in the petition
    body = client.get("/api/campaigns/glenn/signatures.csv", headers=token).data.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["name"] for r in rows] == ["Sophie Dubois"]
    assert "470000203" not in body and "+32" not in body


def test_public_progress_shows_totals_and_nothing_personal(
    client: FlaskClient, db: Database
) -> None:
    hear(db, arrive(db, "+32470000205"), "Je m'appelle Sophie Dubois")
    data = client.get("/p/glenn/progress.json").get_json()
    assert data["signatures"] == 1 and data["target"] == 25_000
    text = str(data) + client.get("/p/glenn/badge.svg").data.decode()
    assert "Sophie" not in text and "470000205" not in text
    assert "1 / 25,000" in client.get("/p/glenn/badge.svg").data.decode()
    assert client.get("/p/nope/progress.json").status_code == 404


def test_health_and_readiness(client: FlaskClient, app: Flask) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").get_json()["checks"] == {"database": "ok", "redis": "ok"}
    app.extensions["petition"]._queue = Queue("x", connection=connect("redis://127.0.0.1:1/0"))
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.get_json()["checks"]["redis"].startswith("error")


def test_a_users_token_follows_the_user(client: FlaskClient, db: Database) -> None:
    from petition.models import User

    with db.session() as s:
        owner = User(email="v@example.org", password_hash="x", role="viewer")
        s.add(owner)
        s.flush()
        s.add(ApiToken(token_hash=hash_token("user-token"), role="viewer", user_id=owner.id))
    headers = {"Authorization": "Bearer user-token"}
    assert client.get("/api/campaigns/glenn/stats", headers=headers).status_code == 200
    with db.session() as s:
        s.query(User).update({"active": False})
    assert client.get("/api/campaigns/glenn/stats", headers=headers).status_code == 401
