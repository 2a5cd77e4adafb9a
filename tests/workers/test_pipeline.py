"""A signature's whole path with the real parts: HTTP webhooks, Redis, RQ, Whisper, espeak-ng."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from ivr.simulator import RecordingServer, SimulatedCall, simulate_call
from petition.config import Settings
from petition.db import Database
from petition.models import ApiToken, Campaign, Recording, Signature
from petition.operations.users import hash_token
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CAMPAIGN_NUMBER,
    burst_worker,
    kill_worker_once,
    make_settings,
    run_worker,
)
from workers import queue as work_queue

pytestmark = [pytest.mark.whisper, pytest.mark.usefixtures("campaign")]


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    # The path through Whisper is slow; SQLite here, both databases in the faster tests.
    return f"sqlite:///{tmp_path / 'petition.sqlite3'}"


@contextmanager
def phone(
    settings: Settings, live_url: str, wav: Path, fail_first: int = 0
) -> Iterator[SimulatedCall]:
    """A call from a Belgian mobile, its recording served (over HTTP) until the block ends."""
    with RecordingServer(wav, ACCOUNT_SID, AUTH_TOKEN, fail_first=fail_first) as server:
        yield simulate_call(
            settings,
            base_url=live_url,
            dialled=CAMPAIGN_NUMBER,
            caller="+32470111222",
            language="fr",
            server=server,
            wait_for_fetch=0,
        )


def signature_for(db: Database, recording_sid: str | None) -> Signature:
    with db.session() as s:
        sig = s.scalar(
            sa.select(Signature).join(Recording).where(Recording.recording_sid == recording_sid)
        )
        assert sig is not None
        return sig


SOPHIE = "Je m'appelle Sophie Dubois"


def test_french_caller_is_counted_with_the_right_name_in_stats_and_csv(
    settings: Settings,
    db: Database,
    live_url: str,
    client,
    transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    with phone(settings, live_url, speech(SOPHIE, "fr")) as sim:
        run_worker(settings, transcriber)
    sig = signature_for(db, sim.recording_sid)
    assert sig.state == "counted"
    assert sig.name == "Sophie Dubois"
    with db.session() as s:
        s.add(ApiToken(token_hash=hash_token("tok"), role="viewer"))
    headers = {"Authorization": "Bearer tok"}
    stats = client.get("/api/campaigns/glenn/stats", headers=headers).get_json()
    assert stats["signatures"] == 1 and stats["calls"] == 1 and stats["by_language"] == {"fr": 1}
    body = client.get("/api/campaigns/glenn/signatures.csv", headers=headers).data.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["name"] for r in rows] == ["Sophie Dubois"]
    assert "470111222" not in body


def test_silent_recording_is_rejected_as_silent(
    settings: Settings,
    db: Database,
    live_url: str,
    transcriber,
    silence,  # type: ignore[no-untyped-def]
) -> None:
    with phone(settings, live_url, silence(4.0)) as sim:
        run_worker(settings, transcriber)
    sig = signature_for(db, sim.recording_sid)
    assert (sig.state, sig.reason, sig.name) == ("rejected", "silent", None)


def test_recording_host_outside_the_allowed_list_is_refused(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    db: Database,
    live_url: str,
    transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    strict = make_settings(tmp_path, database_url, redis_url, RECORDING_HOSTS="api.twilio.com")
    with RecordingServer(speech(SOPHIE, "fr"), ACCOUNT_SID, AUTH_TOKEN) as server:
        sim = simulate_call(
            strict,
            base_url=live_url,
            dialled=CAMPAIGN_NUMBER,
            caller="+32470111222",
            language="fr",
            server=server,
            wait_for_fetch=0,
        )
        run_worker(strict, transcriber)
        assert server.requests == 0
    with db.session() as s:
        rec = s.scalar(sa.select(Recording).where(Recording.recording_sid == sim.recording_sid))
        assert rec is not None and rec.status == "failed"
        assert "RECORDING_HOSTS" in (rec.last_error or "")
    assert signature_for(db, sim.recording_sid).state == "received"


def test_download_that_fails_twice_then_succeeds_is_counted_once(
    settings: Settings,
    db: Database,
    live_url: str,
    transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    with phone(settings, live_url, speech(SOPHIE, "fr"), fail_first=2) as sim:
        run_worker(settings, transcriber)
    assert signature_for(db, sim.recording_sid).state == "counted"
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Signature)) == 1
        rec = s.scalar(sa.select(Recording))
        assert rec is not None and rec.sha256 and rec.size_bytes


def test_work_stored_while_redis_was_down_is_done_once_it_is_back(
    settings: Settings,
    db: Database,
    app: Flask,
    live_url: str,
    transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    from rq import Queue

    svc = app.extensions["petition"]
    svc._queue = Queue(settings.queue_name, connection=work_queue.connect("redis://127.0.0.1:1/0"))
    with phone(settings, live_url, speech(SOPHIE, "fr")) as sim:
        run_worker(settings, transcriber)  # nothing queued: Redis was down for the webhook
        assert signature_for(db, sim.recording_sid).state == "received"
        live = work_queue.recordings_queue(
            settings, db, work_queue.connect(settings.redis_url or "")
        )
        assert work_queue.sweep(db, live) == 1
        run_worker(settings, transcriber)
    assert signature_for(db, sim.recording_sid).state == "counted"


def test_worker_killed_mid_transcription_loses_nothing(
    settings: Settings,
    db: Database,
    live_url: str,
    speech,
    tmp_path: Path,
    whisper_model_dir,  # type: ignore[no-untyped-def]
) -> None:
    with phone(settings, live_url, speech(SOPHIE, "fr")) as sim:

        def transcribing() -> bool:
            with db.session() as s:
                stage = s.scalar(
                    sa.select(Recording.stage).where(Recording.recording_sid == sim.recording_sid)
                )
            return stage == "transcribing"

        env = kill_worker_once(settings, whisper_model_dir, tmp_path / "worker.log", transcribing)
    assert signature_for(db, sim.recording_sid).state == "received"
    burst_worker(env)  # its first sweep finds the dead worker's recording and queues it again
    sig = signature_for(db, sim.recording_sid)
    assert sig.state == "counted" and sig.name == "Sophie Dubois"


def test_unreadable_audio_frees_the_recording_for_a_retry(
    settings: Settings,
    db: Database,
    live_url: str,
    transcriber,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    bogus = tmp_path / "bogus.wav"
    bogus.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + bytes(range(256)) * 8)
    with phone(settings, live_url, bogus) as sim:
        run_worker(settings, transcriber)
    with db.session() as s:
        rec = s.scalar(sa.select(Recording).where(Recording.recording_sid == sim.recording_sid))
        assert rec is not None
        assert rec.status == "pending" and rec.claimed_by is None
        assert "transcription failed" in (rec.last_error or "")
    assert signature_for(db, sim.recording_sid).state == "received"


@contextmanager
def caller_on_the_line(
    settings: Settings, db: Database, live_url: str, wav: Path, **caller: str
) -> Iterator[tuple[threading.Thread, list[SimulatedCall]]]:
    """A call with read-back, running in a thread (RQ's worker wants the main thread): the
    thread, and the list its finished call is put in."""
    with db.session() as s:
        s.scalar(sa.select(Campaign)).read_back = True  # type: ignore[union-attr]
    done: list[SimulatedCall] = []
    with RecordingServer(wav, ACCOUNT_SID, AUTH_TOKEN) as server:
        call = threading.Thread(
            target=lambda: done.append(
                simulate_call(
                    settings,
                    base_url=live_url,
                    dialled=CAMPAIGN_NUMBER,
                    caller="+32470111333",
                    language="fr",
                    server=server,
                    wait_for_fetch=0,
                    **caller,  # type: ignore[arg-type]
                )
            )
        )
        call.start()
        yield call, done


def call_while_a_worker_listens(
    settings: Settings, db: Database, live_url: str, transcriber, wav: Path, **caller: str
) -> SimulatedCall:  # type: ignore[no-untyped-def]
    """A caller on the line while a worker works both lanes in this process, as `petition
    worker` does."""
    with caller_on_the_line(settings, db, live_url, wav, **caller) as (call, done):
        while call.is_alive():
            run_worker(settings, transcriber)
            call.join(0.05)
    run_worker(settings, transcriber)
    assert done, "the simulated call failed"
    return done[0]


def test_a_caller_hears_their_name_read_back_and_confirms_it_in_the_call(
    settings: Settings,
    db: Database,
    live_url: str,
    transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    sim = call_while_a_worker_listens(
        settings, db, live_url, transcriber, speech(SOPHIE, "fr"), name="Sophie Dubois"
    )

    assert sim.read_backs == 1 and sim.read_back_after is not None
    assert any("Sophie Dubois, D, U, B, O, I, S." in line for line in sim.transcript)
    sig = signature_for(db, sim.recording_sid)
    assert (sig.state, sig.name, sig.name_status) == ("counted", "Sophie Dubois", "caller")


def test_a_caller_who_hangs_up_during_the_read_back_still_counts(
    settings: Settings,
    db: Database,
    live_url: str,
    transcriber,
    speech,  # type: ignore[no-untyped-def]
) -> None:
    sim = call_while_a_worker_listens(
        settings, db, live_url, transcriber, speech(SOPHIE, "fr"), listener="hangup"
    )

    assert sim.hung_up
    sig = signature_for(db, sim.recording_sid)
    assert sig.state == "counted" and sig.name_status in ("machine", "to_check")


def test_a_worker_killed_during_a_live_job_loses_nothing(
    settings: Settings,
    db: Database,
    live_url: str,
    speech,
    tmp_path: Path,
    whisper_model_dir,  # type: ignore[no-untyped-def]
) -> None:
    wav = speech(SOPHIE, "fr")
    with caller_on_the_line(settings, db, live_url, wav, name="Sophie Dubois") as (call, done):

        def transcribing() -> bool:
            with db.session() as s:
                return s.scalar(sa.select(Recording.stage)) == "transcribing"

        # The worker takes the live lane first: it dies holding the caller's live job.
        env = kill_worker_once(settings, whisper_model_dir, tmp_path / "worker.log", transcribing)
        call.join(30)
        assert done and done[0].read_backs == 0  # the caller was thanked, not kept waiting
        assert signature_for(db, done[0].recording_sid).state == "received"
        burst_worker(env)
    sig = signature_for(db, done[0].recording_sid)
    assert sig.state == "counted" and sig.name == "Sophie Dubois"
    assert sig.name_status in ("machine", "to_check")
