"""Launch day: callbacks racing each other over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from petition.db import Database
from petition.line import work
from petition.models import Call, Recording, RecordingStatus, Signature
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, call_params

pytestmark = pytest.mark.usefixtures("campaign")


def post_all(live_url: str, requests_to_send: list[tuple[str, dict[str, str]]]) -> list[int]:
    validator = RequestValidator(AUTH_TOKEN)

    def post(item: tuple[str, dict[str, str]]) -> int:
        path, params = item
        signature = validator.compute_signature(PUBLIC_BASE_URL + path, params)
        resp = requests.post(
            live_url + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
        )
        return resp.status_code

    with ThreadPoolExecutor(12) as pool:
        return list(pool.map(post, requests_to_send))


def test_the_same_callbacks_arriving_at_once_store_one_call_and_one_signature(
    live_url: str, db: Database
) -> None:
    recording = call_params(
        "CA-race",
        RecordingSid="RE-race",
        RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE-race",
        RecordingDuration="3",
    )
    burst = [("/ivr/voice", call_params("CA-race"))] * 6
    burst += [("/ivr/recorded", recording)] * 6
    burst += [("/ivr/recording-status", {**recording, "RecordingStatus": "completed"})] * 6
    statuses = post_all(live_url, burst)
    assert set(statuses) <= {200, 204}, statuses
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Call)) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(Recording)) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(Signature)) == 1


def test_many_callers_at_once_each_get_their_own_signature(live_url: str, db: Database) -> None:
    burst = []
    for i in range(40):
        sid = f"CA-many-{i}"
        burst.append(
            (
                "/ivr/recording-status",
                call_params(
                    sid,
                    caller=f"+3247055{i:04d}",
                    RecordingSid=f"RE-many-{i}",
                    RecordingUrl=f"https://api.twilio.com/x/RE-many-{i}",
                    RecordingStatus="completed",
                ),
            )
        )
    assert set(post_all(live_url, burst)) == {204}
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Signature)) == 40
        hashes = s.scalars(sa.select(Signature.caller_hash)).all()
        assert len(set(hashes)) == 40


def test_the_backlog_is_what_waits_for_a_worker(db: Database, campaign: int) -> None:
    """Recordings held by a live worker, or decided, are not waiting; one whose holder's lease
    ran out is."""
    with db.session() as s:
        ids = []
        for n in range(4):
            call = Call(call_sid=f"CABACKLOG{n}", campaign_id=campaign, caller_masked="")
            s.add(call)
            s.flush()
            rec = Recording(
                recording_sid=f"REBACKLOG{n}", call_id=call.id, campaign_id=campaign, url="x"
            )
            s.add(rec)
            s.flush()
            ids.append(rec.id)
    with db.session() as s:
        assert work.backlog_reaches(s, 4) and not work.backlog_reaches(s, 5)
        assert not work.backlog_reaches(s, 0)
        assert work.claim(s, ids[0], "worker-a", lease_seconds=600)
        assert work.claim(s, ids[1], "worker-b", lease_seconds=-1)  # a lease already out
        s.get_one(Recording, ids[2]).status = RecordingStatus.DONE
    with db.session() as s:
        assert work.backlog_reaches(s, 2) and not work.backlog_reaches(s, 3)
