"""The carrier's view: signed webhooks in, TwiML out, parsed as XML."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from ivr.app import create_app
from petition.db import Database
from petition.line import calls
from petition.models import Call, Campaign, Recording, Signature, utcnow
from tests.conftest import Carrier, add_campaign, call_params, make_settings

pytestmark = pytest.mark.usefixtures("campaign")


def twiml(response) -> ET.Element:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)  # noqa: S314 (our own service's answer)
    assert root.tag == "Response"
    return root


def test_voice_webhook_offers_a_keypad_language_menu(carrier: Carrier) -> None:
    root = twiml(carrier.post("/ivr/voice", call_params("CA1")))
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert gather.get("action", "").endswith("/ivr/language")
    assert len(list(gather)) == 4  # one line per campaign language
    assert root.find("Redirect") is not None  # no key pressed: carry on in the first language


def test_choosing_french_plays_the_message_then_records_after_a_beep(
    carrier: Carrier, db: Database
) -> None:
    carrier.post("/ivr/voice", call_params("CA2"))
    root = twiml(carrier.post("/ivr/language", call_params("CA2", Digits="2")))
    verbs = [el.tag for el in root]
    assert verbs[0] in ("Play", "Say")
    assert "fr" in (root[0].text or "") or root[0].get("language") == "fr-FR"
    record = root.find("Record")
    assert record is not None
    assert record.get("maxLength") == "10"
    assert int(record.get("timeout", "0")) <= 5
    assert record.get("trim") == "trim-silence"
    assert record.get("finishOnKey") == "#"
    assert record.get("playBeep") == "true"
    assert record.get("action", "").endswith("/ivr/recorded")
    assert record.get("recordingStatusCallback", "").endswith("/ivr/recording-status")
    assert verbs.index("Record") > 0 and verbs[-1] == "Hangup"
    with db.session() as s:
        assert s.scalar(sa.select(Call.language).where(Call.call_sid == "CA2")) == "fr"


def test_greeting_audio_is_served_by_the_app(carrier: Carrier, client) -> None:  # type: ignore[no-untyped-def]
    carrier.post("/ivr/voice", call_params("CA3"))
    root = twiml(carrier.post("/ivr/language", call_params("CA3", Digits="1")))
    play = root.find("Play")
    assert play is not None and play.text
    path = play.text.removeprefix("https://petition.example.org")
    audio = client.get(path)
    try:
        assert audio.status_code == 200
        assert audio.data[:4] == b"RIFF"
    finally:
        audio.close()


def test_campaign_text_without_recorded_audio_is_spoken_in_the_callers_language(
    carrier: Carrier, db: Database
) -> None:
    with db.session() as s:
        c = s.scalar(sa.select(Campaign))
        assert c is not None
        c.prompts = {"greeting": {"de": "Hallo, dies ist unsere Petition."}}
    carrier.post("/ivr/voice", call_params("CA4"))
    root = twiml(carrier.post("/ivr/language", call_params("CA4", Digits="3")))
    say = root.find("Say")
    assert say is not None
    assert say.get("language") == "de-DE"
    assert say.text == "Hallo, dies ist unsere Petition."


def test_single_language_campaign_skips_the_menu(carrier: Carrier, db: Database) -> None:
    add_campaign(db, slug="solo", number="+3220000002", languages="nl")
    params = call_params("CA5")
    params["To"] = "+3220000002"
    root = twiml(carrier.post("/ivr/voice", params))
    assert root.find("Gather") is None
    assert root.find("Record") is not None


def test_unknown_number_hears_a_short_message_and_is_hung_up(carrier: Carrier) -> None:
    params = call_params("CA6")
    params["To"] = "+3229999999"
    root = twiml(carrier.post("/ivr/voice", params))
    assert [el.tag for el in root][-1] == "Hangup"
    assert root.find("Record") is None and root.find("Gather") is None


def test_closed_campaign_hears_a_short_message_and_is_hung_up(
    carrier: Carrier, db: Database
) -> None:
    with db.session() as s:
        c = s.scalar(sa.select(Campaign))
        assert c is not None
        c.is_open = False
    root = twiml(carrier.post("/ivr/voice", call_params("CA7")))
    assert [el.tag for el in root][-1] == "Hangup"
    assert root.find("Record") is None


@pytest.mark.parametrize(
    ("opens", "closes", "answered"),
    [
        (None, timedelta(minutes=-1), False),  # the closing date-time has passed
        (timedelta(hours=1), None, False),  # the opening date-time is still to come
        (timedelta(hours=-1), timedelta(hours=1), True),  # between the two
    ],
)
def test_the_line_opens_and_closes_by_itself_at_the_campaigns_dates(
    carrier: Carrier,
    db: Database,
    opens: timedelta | None,
    closes: timedelta | None,
    answered: bool,
) -> None:
    now = utcnow()
    with db.session() as s:
        c = s.scalar(sa.select(Campaign))
        assert c is not None
        c.opens_at = now + opens if opens is not None else None
        c.closes_at = now + closes if closes is not None else None
    root = twiml(carrier.post("/ivr/voice", call_params("CA7b")))
    assert (root.find("Hangup") is None) == answered


def test_forged_signature_is_refused_with_403(carrier: Carrier) -> None:
    params = call_params("CA8")
    forged = Carrier(carrier.client, token="not-the-real-token")
    assert forged.post("/ivr/voice", params).status_code == 403


def test_while_rotating_the_token_the_previous_one_is_accepted_too(
    tmp_path: Path, database_url: str, redis_url: str, db: Database, carrier: Carrier
) -> None:
    settings = make_settings(
        tmp_path, database_url, redis_url, TWILIO_PREVIOUS_AUTH_TOKEN="the-old-token"
    )
    app = create_app(settings, {"TESTING": True})
    rotating = app.test_client()
    old_signed = Carrier(rotating, token="the-old-token").post("/ivr/voice", call_params("CA8a"))
    assert old_signed.status_code == 200
    assert Carrier(rotating).post("/ivr/voice", call_params("CA8b")).status_code == 200
    forged = Carrier(rotating, token="not-the-real-token")
    assert forged.post("/ivr/voice", call_params("CA8c")).status_code == 403
    # Once the rotation is done (no previous token set), the old token is refused again.
    old = Carrier(carrier.client, token="the-old-token")
    assert old.post("/ivr/voice", call_params("CA8d")).status_code == 403
    app.extensions["petition"].db.dispose()


def test_missing_signature_is_refused_with_403(carrier: Carrier) -> None:
    assert carrier.post("/ivr/voice", call_params("CA9"), sign=False).status_code == 403


def test_signature_for_other_parameters_is_refused(carrier: Carrier) -> None:
    params = call_params("CA10")
    signature = carrier.validator.compute_signature(
        "https://petition.example.org/ivr/voice", params
    )
    tampered = {**params, "From": "+32470999999"}
    response = carrier.client.post(
        "/ivr/voice", data=tampered, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_every_webhook_checks_the_signature(carrier: Carrier) -> None:
    for path in (
        "/ivr/language",
        "/ivr/recorded",
        "/ivr/recording-status",
        "/ivr/status",
        "/ivr/postcode",
    ):
        assert carrier.post(path, call_params("CA11"), sign=False).status_code == 403, path


def test_signed_but_malformed_webhook_gets_400(carrier: Carrier) -> None:
    params = call_params("CA12")
    del params["CallSid"]
    assert carrier.post("/ivr/voice", params).status_code == 400
    bad = call_params("CA12", RecordingSid="RE1", RecordingUrl="ftp://x/y")
    assert carrier.post("/ivr/recording-status", bad).status_code == 400
    weird = call_params("CA 12 <script>")
    assert carrier.post("/ivr/voice", weird).status_code == 400


def test_repeated_voice_webhook_keeps_one_call(carrier: Carrier, db: Database) -> None:
    for _ in range(3):
        twiml(carrier.post("/ivr/voice", call_params("CA13")))
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Call)) == 1


def test_a_restarted_database_costs_no_call(carrier: Carrier, db: Database) -> None:
    """The new-call and status webhooks skip the pre-ping round trip; a pooled connection the
    database dropped in the meantime is retried on a new one, and nothing is stored twice."""
    twiml(carrier.post("/ivr/voice", call_params("CA30")))
    if db.engine.dialect.name == "postgresql":  # SQLite has no server to drop a connection
        with db.engine.connect() as conn:
            dropped = conn.scalar(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        assert dropped >= 1  # the web app's pooled connection, among others
    for _ in range(2):  # the first answer, then the carrier asking again
        menu = twiml(carrier.post("/ivr/voice", call_params("CA31"))).find("Gather")
        assert menu is not None, "the caller heard an apology, not the language menu"
    assert (
        carrier.post("/ivr/status", call_params("CA31", CallStatus="completed")).status_code == 204
    )
    with db.session() as s:
        assert s.scalars(sa.select(Call.call_sid).order_by(Call.call_sid)).all() == ["CA30", "CA31"]
        assert s.scalar(sa.select(Call.status).where(Call.call_sid == "CA31")) == "completed"


def test_a_new_call_answers_with_the_row_as_stored(db: Database) -> None:
    """answer_new_call builds the call from what it sent and the id it got back, not from a
    read of the row: what it builds must be what the database stored, column for column."""
    campaign_id = add_campaign(db, slug="solo", number="+3220000099", languages="fr")
    with db.session() as s:
        campaign = s.get_one(Campaign, campaign_id)
        s.expunge(campaign)
    for sid, caller in (("CA40", "+32470123456"), ("CA41", "+32470123456"), ("CA42", "private")):
        call, earlier = calls.answer_new_call(
            db, call_sid=sid, campaign=campaign, caller=caller, hash_key="k", stir_verstat="x"
        )
        with db.session() as s:
            stored = s.scalars(sa.select(Call).where(Call.call_sid == sid)).one()
            columns = [column.key for column in Call.__table__.columns]
            built = {c: getattr(call, c) for c in columns}
            assert built == {c: getattr(stored, c) for c in columns}
        assert earlier == (1 if sid == "CA41" else 0)


def _recording(call_sid: str, rec_sid: str, **extra: str) -> dict[str, str]:
    return call_params(
        call_sid,
        RecordingSid=rec_sid,
        RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/{rec_sid}",
        RecordingDuration="3",
        **extra,
    )


def test_duplicated_and_out_of_order_recording_callbacks_make_one_signature(
    carrier: Carrier, db: Database
) -> None:
    # The status callback first, twice, then the record action, then the voice webhook late.
    status = _recording("CA14", "RE14", RecordingStatus="completed")
    assert carrier.post("/ivr/recording-status", status).status_code == 204
    assert carrier.post("/ivr/recording-status", status).status_code == 204
    twiml(carrier.post("/ivr/recorded", _recording("CA14", "RE14", Digits="hangup")))
    twiml(carrier.post("/ivr/voice", call_params("CA14")))
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Recording)) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(Signature)) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(Call)) == 1


def test_record_action_thanks_the_caller_and_hangs_up(carrier: Carrier) -> None:
    carrier.post("/ivr/voice", call_params("CA15"))
    carrier.post("/ivr/language", call_params("CA15", Digits="4"))
    root = twiml(carrier.post("/ivr/recorded", _recording("CA15", "RE15")))
    assert [el.tag for el in root][-1] == "Hangup"
    assert root[0].tag in ("Play", "Say")


def test_late_in_progress_status_does_not_undo_completed(carrier: Carrier, db: Database) -> None:
    carrier.post("/ivr/voice", call_params("CA16"))
    assert (
        carrier.post(
            "/ivr/status", call_params("CA16", CallStatus="completed", CallDuration="31")
        ).status_code
        == 204
    )
    carrier.post("/ivr/status", call_params("CA16", CallStatus="in-progress"))
    with db.session() as s:
        call = s.scalar(sa.select(Call).where(Call.call_sid == "CA16"))
        assert call is not None and call.status == "completed" and call.duration_seconds == 31


def test_recording_is_stored_even_when_redis_is_down(carrier: Carrier, db: Database, app) -> None:  # type: ignore[no-untyped-def]
    from rq import Queue

    from workers.queue import connect

    svc = app.extensions["petition"]
    svc._queue = Queue("recordings", connection=connect("redis://127.0.0.1:1/0"))
    carrier.post("/ivr/voice", call_params("CA17"))
    twiml(carrier.post("/ivr/recorded", _recording("CA17", "RE17")))
    with db.session() as s:
        rec = s.scalar(sa.select(Recording).where(Recording.recording_sid == "RE17"))
        assert rec is not None and rec.enqueued_at is None and rec.status == "pending"


def test_stack_trace_never_reaches_the_caller(carrier: Carrier, app) -> None:  # type: ignore[no-untyped-def]
    app.extensions["petition"].db.dispose()
    app.extensions["petition"].db.sessionmaker.configure(bind=None)
    root = twiml(carrier.post("/ivr/voice", call_params("CA18")))
    assert [el.tag for el in root][-1] == "Hangup"
    assert b"Traceback" not in ET.tostring(root)


def test_a_campaign_closed_from_the_staff_pages_turns_new_calls_away_at_once(
    carrier: Carrier, db: Database
) -> None:
    from tests.ivr.test_staff import csrf, signed_in

    assert twiml(carrier.post("/ivr/voice", call_params("CA-open"))).find("Gather") is not None
    signed_in(carrier.client, db, "admin")
    token = csrf(carrier.client)
    carrier.client.post("/staff/c/glenn/settings/open", data={"open": "0", "csrf_token": token})
    root = twiml(carrier.post("/ivr/voice", call_params("CA-after-close")))
    assert root.find("Gather") is None and [el.tag for el in root][-1] == "Hangup"


def test_another_web_process_sees_a_closed_campaign_within_its_cache_second(
    carrier: Carrier, db: Database
) -> None:
    from ivr.campaign_cache import CAMPAIGN_CACHE_SECONDS

    assert twiml(carrier.post("/ivr/voice", call_params("CA-before"))).find("Gather") is not None
    with db.session() as s:  # closed by another process (the CLI, another web host)
        campaign = s.scalar(sa.select(Campaign))
        assert campaign is not None
        campaign.is_open = False
    time.sleep(CAMPAIGN_CACHE_SECONDS + 0.1)
    root = twiml(carrier.post("/ivr/voice", call_params("CA-later")))
    assert root.find("Gather") is None and [el.tag for el in root][-1] == "Hangup"
