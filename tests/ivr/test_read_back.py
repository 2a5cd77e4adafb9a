"""Read-back in the call: the TwiML a caller goes through after the beep, parsed as XML, and
what each answer does to the name."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import redis
import sqlalchemy as sa
from flask.testing import FlaskClient

from ivr import twiml as call_texts
from ivr.simulator import Caller, read_back_heard
from petition.config import Settings
from petition.counting.rules import Heard, decide
from petition.db import Database
from petition.i18n import Localizer
from petition.models import ApiToken, AuditEvent, Campaign, Recording, Signature
from petition.operations.users import hash_token
from petition.reporting.export import counted_rows, write_csv, write_json
from petition.reporting.report import write_pdf
from tests.conftest import Carrier, call_params
from tests.ivr.test_webhooks import _recording, twiml
from tests.reporting.test_report import pdf_text
from workers.queue import live_queue_for, recordings_queue


@pytest.fixture
def reading_back(db: Database, campaign: int) -> Database:
    with db.session() as s:
        c = s.get_one(Campaign, campaign)
        c.languages, c.read_back, c.keypad_spelling = "fr", True, True
    return db


def record(carrier: Carrier, call_sid: str, rec_sid: str) -> ET.Element:
    carrier.post("/ivr/voice", call_params(call_sid))
    return twiml(carrier.post("/ivr/recorded", _recording(call_sid, rec_sid)))


def heard(db: Database, rec_sid: str, text: str, speech: float = 1.5) -> None:
    """The live lane's decision, as a worker makes it from what Whisper heard."""
    with db.session() as s:
        sig = signature(s, rec_sid)
        decide(s, sig, Heard(text, speech, 0.9), actor="worker")


def signature(s: sa.orm.Session, rec_sid: str) -> Signature:
    found = s.scalar(sa.select(Signature).join(Recording).where(Recording.recording_sid == rec_sid))
    assert found is not None
    return found


def follow(carrier: Carrier, url: str, call_sid: str, **form: str) -> ET.Element:
    parsed = urlparse(url)
    return twiml(carrier.post(parsed.path + "?" + parsed.query, call_params(call_sid, **form)))


def question(root: ET.Element) -> tuple[str, ET.Element]:
    """The one-key question of a read-back: its spoken text and the Gather."""
    gather = root.find("Gather")
    assert gather is not None, ET.tostring(root)
    return " ".join((say.text or "") for say in gather.iter("Say")), gather


def read_back_of(carrier: Carrier, db: Database, call: str, rec: str, text: str) -> ET.Element:
    waiting = record(carrier, call, rec)
    heard(db, rec, text)
    redirect = waiting.find("Redirect")
    assert redirect is not None
    return follow(carrier, redirect.text or "", call)


def test_after_the_beep_the_caller_hears_one_moment_and_the_call_asks_again(
    carrier: Carrier, reading_back: Database
) -> None:
    root = record(carrier, "CA1", "RE1")

    assert [el.tag for el in root] == ["Say", "Redirect"]
    assert root[0].get("language") == "fr-FR" and root[0].text == "Un instant, s'il vous plaît."
    url = urlparse(root[1].text or "")
    assert url.path == "/ivr/read-back" and parse_qs(url.query)["r"] == ["RE1"]


def test_the_recording_goes_to_the_live_lane_ahead_of_the_backlog(
    carrier: Carrier, reading_back: Database, settings: Settings
) -> None:
    record(carrier, "CA1", "RE1")

    q = recordings_queue(settings, reading_back, redis.Redis.from_url(settings.redis_url or ""))
    live = live_queue_for(q)
    assert [job.args for job in live.jobs] == [("RE1",)]
    assert live.jobs[0].func_name == "workers.jobs.read_back_recording"
    # Its own job is queued too: if the live one expires or dies, nothing is lost.
    assert [job.args for job in q.jobs] == [("RE1",)]


def test_a_campaign_without_read_back_thanks_the_caller_at_once(
    carrier: Carrier, reading_back: Database
) -> None:
    with reading_back.session() as s:
        s.scalar(sa.select(Campaign)).read_back = False  # type: ignore[union-attr]

    root = record(carrier, "CA1", "RE1")

    assert root.find("Redirect") is None and [el.tag for el in root][-1] == "Hangup"


def test_behind_a_backlog_the_caller_just_hears_the_thank_you(
    carrier: Carrier, reading_back: Database, settings: Settings
) -> None:
    q = recordings_queue(settings, reading_back, redis.Redis.from_url(settings.redis_url or ""))
    for n in range(settings.pack_size):
        q.enqueue("workers.jobs.process_recording", f"REwaiting{n}")

    root = record(carrier, "CA1", "RE1")

    assert root.find("Redirect") is None and [el.tag for el in root][-1] == "Hangup"
    assert live_queue_for(q).count == 0
    assert q.count == settings.pack_size + 1  # the recording still takes the normal path


def test_while_the_name_is_not_ready_the_caller_waits_in_one_second_pauses(
    carrier: Carrier, reading_back: Database
) -> None:
    waiting = record(carrier, "CA1", "RE1")

    root = follow(carrier, waiting[1].text or "", "CA1")

    assert [el.tag for el in root] == ["Pause", "Redirect"]
    assert root[0].get("length") == "1"


def test_no_caller_waits_longer_than_six_seconds_for_the_read_back(
    carrier: Carrier, reading_back: Database
) -> None:
    waiting = record(carrier, "CA1", "RE1")
    with reading_back.session() as s:
        sig = signature(s, "RE1")
        sig.recording.created_at -= timedelta(seconds=5.5)

    root = follow(carrier, waiting[1].text or "", "CA1")

    assert root.find("Gather") is None and [el.tag for el in root][-1] == "Hangup"
    with reading_back.session() as s:
        assert signature(s, "RE1").state == "received"  # the worker still decides it


def test_the_read_back_says_the_name_and_spells_the_surname(
    carrier: Carrier, reading_back: Database
) -> None:
    root = read_back_of(carrier, reading_back, "CA1", "RE1", "Je m'appelle Sophie Dubois")

    text, gather = question(root)
    assert "Sophie Dubois, D, U, B, O, I, S." in text
    assert "1" in text and "2" in text
    assert gather.get("numDigits") == "1"
    assert urlparse(gather.get("action", "")).path == "/ivr/read-back/answer"
    # Silence: the thank-you, and the name stays as it was.
    assert [el.tag for el in root][-1] == "Hangup"


def test_pressing_1_makes_the_name_the_callers_own_once(
    carrier: Carrier, reading_back: Database
) -> None:
    root = read_back_of(carrier, reading_back, "CA1", "RE1", "Je m'appelle Sophie Dubois")
    _, gather = question(root)

    follow(carrier, gather.get("action", ""), "CA1", Digits="1")
    follow(carrier, gather.get("action", ""), "CA1", Digits="1")  # the carrier retried

    with reading_back.session() as s:
        sig = signature(s, "RE1")
        assert (sig.state, sig.name, sig.name_status) == ("counted", "Sophie Dubois", "caller")
        events = s.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "caller_confirmed")
        ).all()
        assert [(e.actor, e.note) for e in events] == [("caller", "as heard")]


def test_a_silent_recording_gets_no_read_back(carrier: Carrier, reading_back: Database) -> None:
    waiting = record(carrier, "CA1", "RE1")
    heard(reading_back, "RE1", "", speech=0.0)

    root = follow(carrier, waiting[1].text or "", "CA1")

    assert root.find("Gather") is None and [el.tag for el in root][-1] == "Hangup"


def spell(carrier: Carrier, db: Database, heard_as: str) -> ET.Element:
    root = read_back_of(carrier, db, "CA1", "RE1", heard_as)
    _, gather = question(root)
    return follow(carrier, gather.get("action", ""), "CA1", Digits="2")


def test_pressing_2_asks_for_the_surname_on_the_keypad_ending_on_hash(
    carrier: Carrier, reading_back: Database
) -> None:
    root = spell(carrier, reading_back, "Je m'appelle Thomas Maas")

    text, gather = question(root)
    assert gather.get("finishOnKey") == "#" and gather.get("numDigits") is None
    assert "une touche par lettre" in text and "dièse" in text
    assert urlparse(gather.get("action", "")).path == "/ivr/spelled"


def test_the_keys_of_maes_read_back_maes_and_1_confirms_it(
    carrier: Carrier, reading_back: Database
) -> None:
    _, gather = question(spell(carrier, reading_back, "Je m'appelle Thomas Maas"))

    offered = follow(carrier, gather.get("action", ""), "CA1", Digits="6237")
    text, answer = question(offered)
    assert "M, A, E, S" in text
    given = follow(carrier, answer.get("action", ""), "CA1", Digits="1")
    # The name was wrong, perhaps both parts: the first name is checked too.
    text, answer = question(given)
    assert "Thomas, T, H, O, M, A, S." in text
    follow(carrier, answer.get("action", ""), "CA1", Digits="1")

    with reading_back.session() as s:
        sig = signature(s, "RE1")
        assert (sig.name, sig.name_status) == ("Thomas Maes", "caller")
        assert sig.recording.keypad == {"surname": "6237"}
        event = s.scalar(sa.select(AuditEvent).where(AuditEvent.action == "caller_confirmed"))
        assert event is not None and event.before is not None
        assert (event.before["name"], event.after["name"], event.note) == (  # type: ignore[index]
            "Thomas Maas",
            "Thomas Maes",
            "surname spelled on the keypad",
        )


def test_a_caller_who_refuses_every_spelling_goes_to_a_person_with_the_keys(
    carrier: Carrier, reading_back: Database
) -> None:
    _, gather = question(spell(carrier, reading_back, "Je m'appelle Thomas Maas"))
    root = follow(carrier, gather.get("action", ""), "CA1", Digits="6237")
    offers = 0
    while root.find("Gather[@numDigits='1']") is not None:
        offers += 1
        _, answer = question(root)
        root = follow(carrier, answer.get("action", ""), "CA1", Digits="2")
    # Then the letters exactly, which this caller does not give either (twice).
    for _ in range(2):
        _, exact = question(root)
        assert "x=1" in exact.get("action", "")
        root = follow(carrier, exact.get("action", ""), "CA1", Digits="")

    assert 1 <= offers <= 3
    assert root.find("Gather") is None and [el.tag for el in root][-1] == "Hangup"
    with reading_back.session() as s:
        sig = signature(s, "RE1")
        assert sig.state == "counted" and sig.name_status == "to_check"
        assert sig.recording.keypad == {"surname": "6237"}


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        ("", "Nous n'avons reçu aucune touche"),
        ("0101", "0 et 1"),
        ("6" * 40, "trop de touches"),
    ],
)
def test_keys_that_spell_nothing_get_a_clear_answer_and_one_more_try(
    carrier: Carrier, reading_back: Database, keys: str, said: str
) -> None:
    _, gather = question(spell(carrier, reading_back, "Je m'appelle Thomas Maas"))

    again = follow(carrier, gather.get("action", ""), "CA1", Digits=keys)
    text, second = question(again)
    assert said in text and second.get("finishOnKey") == "#"
    last = follow(carrier, second.get("action", ""), "CA1", Digits=keys)

    assert last.find("Gather") is None and [el.tag for el in last][-1] == "Hangup"
    with reading_back.session() as s:
        assert signature(s, "RE1").state == "counted"  # the signature never depended on it


def test_a_star_mid_spelling_starts_the_surname_again(
    carrier: Carrier, reading_back: Database
) -> None:
    _, gather = question(spell(carrier, reading_back, "Je m'appelle Thomas Maas"))

    offered = follow(carrier, gather.get("action", ""), "CA1", Digits="99*6237")

    assert "M, A, E, S" in question(offered)[0]


def test_a_key_other_than_1_or_2_asks_the_question_once_more(
    carrier: Carrier, reading_back: Database
) -> None:
    root = read_back_of(carrier, reading_back, "CA1", "RE1", "Je m'appelle Sophie Dubois")
    _, gather = question(root)

    again = follow(carrier, gather.get("action", ""), "CA1", Digits="7")
    text, second = question(again)
    assert text.startswith("Veuillez appuyer sur 1 ou 2.")
    done = follow(carrier, second.get("action", ""), "CA1", Digits="7")
    assert done.find("Gather") is None


def test_read_back_webhooks_refuse_forged_and_malformed_requests(
    carrier: Carrier, reading_back: Database, client: FlaskClient
) -> None:
    record(carrier, "CA1", "RE1")
    record(carrier, "CA2", "RE2")

    unsigned = carrier.post("/ivr/read-back?r=RE1", call_params("CA1"), sign=False)
    malformed = carrier.post("/ivr/read-back?r=%3Cx%3E", call_params("CA1"))
    other_call = carrier.post("/ivr/read-back?r=RE2", call_params("CA1"))

    assert unsigned.status_code == 403
    assert malformed.status_code == 400 and other_call.status_code == 400


def test_a_name_the_caller_confirmed_says_so_in_stats_csv_json_and_pdf(
    carrier: Carrier, reading_back: Database, client: FlaskClient, tmp_path: Path
) -> None:
    with reading_back.session() as s:
        s.add(ApiToken(token_hash=hash_token("tok"), role="viewer"))
    api_token = "tok"
    root = read_back_of(carrier, reading_back, "CA1", "RE1", "Je m'appelle Sophie Dubois")
    follow(carrier, question(root)[1].get("action", ""), "CA1", Digits="1")

    with reading_back.session() as s:
        c = s.scalar(sa.select(Campaign))
        assert c is not None
        as_csv, as_json, as_pdf = io.StringIO(), io.StringIO(), io.BytesIO()
        write_csv(counted_rows(s, c), as_csv, Localizer("en"))
        write_json(c, counted_rows(s, c), as_json)
        write_pdf(s, c, as_pdf)
    assert [r["name_status"] for r in json.loads(as_json.getvalue())["signatures"]] == ["caller"]
    assert "confirmed by the caller in the call" in as_csv.getvalue()
    text = pdf_text(as_pdf.getvalue(), tmp_path)
    assert re.search(r"Sophie Dubois ☎", text)
    assert "1 name confirmed by the caller during the call" in text
    stats = client.get(
        "/api/campaigns/glenn/stats", headers={"Authorization": f"Bearer {api_token}"}
    ).get_json()
    assert stats["names"]["caller"] == 1 and stats["names"]["machine"] == 0


def test_a_caller_spells_the_first_name_too_when_it_was_heard_wrong(
    carrier: Carrier, reading_back: Database
) -> None:
    _, gather = question(spell(carrier, reading_back, "Je m'appelle Jon Maas"))
    _, answer = question(follow(carrier, gather.get("action", ""), "CA1", Digits="6237"))
    _, given = question(follow(carrier, answer.get("action", ""), "CA1", Digits="1"))

    asked = follow(carrier, given.get("action", ""), "CA1", Digits="2")
    text, keys = question(asked)
    assert "prénom" in text and keys.get("finishOnKey") == "#"
    offered = follow(carrier, keys.get("action", ""), "CA1", Digits="526")  # J A N
    text, answer = question(offered)
    assert "J, A, N" in text
    follow(carrier, answer.get("action", ""), "CA1", Digits="1")

    with reading_back.session() as s:
        sig = signature(s, "RE1")
        assert (sig.name, sig.name_status) == ("Jan Maes", "caller")
        assert sig.recording.keypad == {"surname": "6237", "given": "526"}


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_simulated_caller_hears_the_name_and_the_letters_in_each_language(
    language: str,
) -> None:
    loc = Localizer(language)
    said = loc.gettext(call_texts.READ_BACK, name="Jan Maas", letters="M, A, A, S")
    offered = loc.gettext(call_texts.SPELLED_CANDIDATE, letters="M, A, E, S")
    maes = Caller(language=language, name="Jan Maes")

    assert read_back_heard(said) == ("Jan Maas", ["M", "A", "A", "S"])
    assert maes.answers_read_back(*read_back_heard(said)) == "2"  # type: ignore[misc]
    assert maes.keys("surname") == "6237"
    assert maes.answers_spelling("surname", read_back_heard(offered)[1]) == "1"  # type: ignore[index]
    assert Caller(language, "Jan Maes", "spell-wrong").keys("surname") != "6237"


def test_a_caller_whose_name_was_not_made_out_spells_it_straight_away(
    carrier: Carrier, reading_back: Database
) -> None:
    waiting = record(carrier, "CA1", "RE1")
    heard(reading_back, "RE1", "Euh", speech=2.0)  # speech, but no name in it
    with reading_back.session() as s:
        sig = signature(s, "RE1")
        assert (sig.state, sig.name) == ("counted", None)

    asked = follow(carrier, waiting[1].text or "", "CA1")
    text, keys = question(asked)
    assert text.startswith("Nous n'avons pas compris votre nom.")
    _, answer = question(follow(carrier, keys.get("action", ""), "CA1", Digits="382647"))
    given = follow(carrier, answer.get("action", ""), "CA1", Digits="1")  # D, U, B, O, I, S
    text, keys = question(given)
    assert "prénom" in text  # no first name was heard: its letters are asked for too
    _, answer = question(
        follow(carrier, keys.get("action", ""), "CA1", Digits="767443")
    )  # S O P H I E
    follow(carrier, answer.get("action", ""), "CA1", Digits="1")

    with reading_back.session() as s:
        sig = signature(s, "RE1")
        assert (sig.name, sig.name_status) == ("Sophie Dubois", "caller")


def test_when_no_spelling_fits_the_caller_keys_the_letters_exactly_two_keys_a_letter(
    carrier: Carrier, reading_back: Database
) -> None:
    _, gather = question(spell(carrier, reading_back, "Je m'appelle Thomas Maas"))
    root = follow(carrier, gather.get("action", ""), "CA1", Digits="6237")
    while "x=1" not in (root.find("Gather").get("action", "")):  # type: ignore[union-attr]
        _, answer = question(root)
        root = follow(carrier, answer.get("action", ""), "CA1", Digits="2")

    text, keys = question(root)
    assert "6 puis 1" in text and keys.get("finishOnKey") == "#"
    bad = follow(carrier, keys.get("action", ""), "CA1", Digits="615")  # M, then half a letter
    assert "deux touches" in question(bad)[0]
    offered = follow(carrier, question(bad)[1].get("action", ""), "CA1", Digits="6121213274")
    text, answer = question(offered)
    assert "M, A, A, E, S" in text
    follow(carrier, answer.get("action", ""), "CA1", Digits="1")

    with reading_back.session() as s:
        sig = signature(s, "RE1")
        assert (sig.name, sig.name_status) == ("Thomas Maaes", "caller")
        assert sig.recording.keypad == {"surname": "6237", "surname_exact": "6121213274"}
