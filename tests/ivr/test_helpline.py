"""The helpline in the call: 0 at any step puts the caller through with <Dial> (TwiML parsed as
XML), the transfer is counted per day and linked to nothing, and the signature is kept when a
name was recorded and never made when none was."""

from __future__ import annotations

import dataclasses
import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from ivr import twiml as call_texts
from ivr.simulator import RecordingServer, simulate_call
from petition.config import Settings
from petition.counting.rules import Heard, decide
from petition.db import Database
from petition.i18n import Localizer
from petition.line import campaigns, helpline
from petition.models import ApiToken, Call, Campaign, HelplineTransfer, Recording, Signature
from petition.operations.users import hash_token
from petition.privacy import phones
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, CAMPAIGN_NUMBER, Carrier, call_params
from tests.ivr.test_read_back import follow, question, read_back_of
from tests.ivr.test_staff import csrf, details_form, signed_in
from tests.ivr.test_webhooks import _recording, twiml

HELPLINE = "+32116000"
CALLER = "+32470123456"


def offer(db: Database, campaign: int, **fields: object) -> None:
    with db.session() as s:
        c = s.get_one(Campaign, campaign)
        c.helpline, c.offer_helpline = HELPLINE, True
        for name, value in fields.items():
            setattr(c, name, value)


@pytest.fixture
def with_helpline(db: Database, campaign: int) -> Database:
    offer(db, campaign, languages="fr")
    return db


def transfers(db: Database) -> int:
    with db.session() as s:
        return sum(s.scalars(sa.select(HelplineTransfer.transfers)))


def signatures(db: Database) -> int:
    with db.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Signature)) or 0


def said(root: ET.Element) -> str:
    return " ".join((say.text or "") for say in root.iter("Say"))


def put_through(root: ET.Element, language: str = "fr") -> ET.Element:
    """The transfer: "we are putting you through" in the call's language, then the <Dial>."""
    dial = root.find("Dial")
    assert dial is not None, ET.tostring(root)
    assert Localizer(language).gettext(call_texts.HELPLINE_CONNECTING) in said(root)
    assert dial.findtext("Number") == HELPLINE
    assert dial.get("callerId") == CAMPAIGN_NUMBER  # the campaign's own number
    assert (dial.get("action") or "").endswith("/ivr/helpline/ended")
    assert dial.get("record") == "do-not-record"
    assert root.find("Record") is None and root.find("Gather") is None
    return dial


# --- the greeting and the offer -------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_greeting_sits_inside_a_gather_and_offers_0_in_the_calls_language(
    carrier: Carrier, db: Database, campaign: int, language: str
) -> None:
    offer(db, campaign, languages=language)
    root = twiml(carrier.post("/ivr/voice", call_params("CA1")))
    greeting = root[0]
    assert greeting.tag == "Gather" and greeting.get("numDigits") == "1"
    assert (greeting.get("action") or "").endswith("/ivr/greeting-key")
    assert greeting[0].tag in ("Play", "Say")  # the campaign's message, then the offer
    offer_text = greeting[-1]
    assert (
        offer_text.tag == "Say" and offer_text.get("language") == call_texts.SAY_LANGUAGE[language]
    )
    assert offer_text.text == Localizer(language).gettext(call_texts.HELPLINE_OFFER)
    # Silence after the greeting: the call goes on to the beep, where 0 ends the recording.
    record = root.find("Record")
    assert record is not None and record.get("finishOnKey") == "#0"


def test_without_a_helpline_the_greeting_is_as_before_and_0_is_only_a_digit(
    carrier: Carrier, db: Database, campaign: int
) -> None:
    with db.session() as s:
        c = s.get_one(Campaign, campaign)
        c.languages, c.ask_postcode, c.helpline = "fr", True, HELPLINE  # set, not offered
    root = twiml(carrier.post("/ivr/voice", call_params("CA1")))
    assert root[0].tag in ("Play", "Say")  # the greeting, outside any <Gather>
    assert all((g.get("action") or "").endswith("/ivr/postcode") for g in root.iter("Gather"))
    again = twiml(carrier.post("/ivr/postcode", call_params("CA1", Digits="0")))
    assert again.find("Dial") is None  # an invalid postcode, asked once more
    assert (again.find("Gather").get("action") or "").endswith("/ivr/postcode")  # type: ignore[union-attr]
    assert transfers(db) == 0


def test_0_during_the_greeting_puts_the_caller_through_and_no_signature_is_made(
    carrier: Carrier, with_helpline: Database
) -> None:
    carrier.post("/ivr/voice", call_params("CA1"))
    root = twiml(carrier.post("/ivr/greeting-key", call_params("CA1", Digits="0")))
    put_through(root)
    assert transfers(with_helpline) == 1
    # The carrier reports the call over: nothing was recorded, nothing counts.
    carrier.post("/ivr/status", call_params("CA1", CallStatus="completed", CallDuration="40"))
    assert signatures(with_helpline) == 0


def test_another_key_during_the_greeting_goes_on_with_the_call(
    carrier: Carrier, with_helpline: Database
) -> None:
    carrier.post("/ivr/voice", call_params("CA1"))
    root = twiml(carrier.post("/ivr/greeting-key", call_params("CA1", Digits="5")))
    assert root.find("Dial") is None and root.find("Record") is not None
    assert transfers(with_helpline) == 0


def test_0_pressed_twice_or_posted_twice_transfers_once(
    carrier: Carrier, with_helpline: Database
) -> None:
    carrier.post("/ivr/voice", call_params("CA1"))
    for _ in range(2):
        put_through(twiml(carrier.post("/ivr/greeting-key", call_params("CA1", Digits="0"))))
    assert transfers(with_helpline) == 1
    # Another caller is another transfer.
    carrier.post("/ivr/voice", call_params("CA2", caller="+32470999888"))
    carrier.post("/ivr/greeting-key", call_params("CA2", caller="+32470999888", Digits="0"))
    assert transfers(with_helpline) == 2


# --- every keypad step ----------------------------------------------------------------------


def test_0_as_the_first_key_of_the_postcode_is_the_helpline_later_zeros_are_digits(
    carrier: Carrier, db: Database, campaign: int
) -> None:
    offer(db, campaign, languages="nl", ask_postcode=True)
    carrier.post("/ivr/voice", call_params("CA1"))
    put_through(twiml(carrier.post("/ivr/postcode", call_params("CA1", Digits="0"))), "nl")
    carrier.post("/ivr/voice", call_params("CA2"))
    root = twiml(carrier.post("/ivr/postcode", call_params("CA2", Digits="1000")))
    assert root.find("Dial") is None and root.find("Record") is not None
    with db.session() as s:
        assert s.scalar(sa.select(Call.postcode).where(Call.call_sid == "CA2")) == "1000"
        assert s.scalar(sa.select(Call.postcode).where(Call.call_sid == "CA1")) is None
    assert transfers(db) == 1


@pytest.mark.parametrize("step", ["language", "declaration", "consent"])
def test_0_works_at_the_language_menu_and_the_one_key_steps(
    carrier: Carrier, db: Database, campaign: int, step: str
) -> None:
    languages = "nl,fr" if step == "language" else "de"
    offer(db, campaign, languages=languages, ask_declaration=True, ask_consent=True)
    carrier.post("/ivr/voice", call_params("CA1"))
    if step == "consent":
        carrier.post("/ivr/greeting-key", call_params("CA1", Digits="9"))
        carrier.post("/ivr/declaration", call_params("CA1", Digits="1"))
    root = twiml(carrier.post(f"/ivr/{step}", call_params("CA1", Digits="0")))
    put_through(root, "nl" if step == "language" else "de")
    assert transfers(db) == 1


def test_0_at_the_read_back_keeps_the_signature_of_a_caller_who_recorded_a_name(
    carrier: Carrier, db: Database, campaign: int
) -> None:
    offer(db, campaign, languages="fr", read_back=True, keypad_spelling=True)
    root = read_back_of(carrier, db, "CA1", "RE1", "Je m'appelle Sophie Dubois")
    _, gather = question(root)
    put_through(follow(carrier, gather.get("action") or "", "CA1", Digits="0"))
    with db.session() as s:
        sig = s.scalar(sa.select(Signature))
        assert sig is not None and sig.state == "counted" and sig.name == "Sophie Dubois"
    assert transfers(db) == 1


def test_0_while_spelling_is_the_helpline_and_the_letter_keys_never_clash(
    carrier: Carrier, db: Database, campaign: int
) -> None:
    offer(db, campaign, languages="fr", read_back=True, keypad_spelling=True)
    root = read_back_of(carrier, db, "CA1", "RE1", "Je m'appelle Jan Maas")
    _, gather = question(root)
    spell = follow(carrier, gather.get("action") or "", "CA1", Digits="2")
    action = spell.find("Gather").get("action") or ""  # type: ignore[union-attr]
    # Letters, star and hash are never the helpline ...
    offered = follow(carrier, action, "CA1", Digits="62*6237")
    assert offered.find("Dial") is None and "M, A, E, S" in said(offered)
    assert transfers(db) == 0
    # ... a 0 among the keys is: no letter sits on it.
    put_through(follow(carrier, action, "CA1", Digits="620"))
    assert transfers(db) == 1


def test_0_that_ends_the_recording_keeps_what_was_said_and_puts_the_caller_through(
    carrier: Carrier, with_helpline: Database
) -> None:
    carrier.post("/ivr/voice", call_params("CA1"))
    root = twiml(carrier.post("/ivr/recorded", _recording("CA1", "RE1", Digits="0")))
    put_through(root)
    with with_helpline.session() as s:
        sig = s.scalar(sa.select(Signature))
        assert sig is not None
        decide(s, sig, Heard("Je m'appelle Sophie Dubois", 1.5, 0.9), actor="test")
        assert sig.state == "counted"
    assert transfers(with_helpline) == 1


# --- when the helpline does not answer --------------------------------------------------------


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_a_helpline_that_does_not_answer_gives_its_number_to_call_back_then_ends(
    carrier: Carrier, with_helpline: Database, status: str
) -> None:
    carrier.post("/ivr/voice", call_params("CA1"))
    root = twiml(carrier.post("/ivr/helpline/ended", call_params("CA1", DialCallStatus=status)))
    [say] = root.findall("Say")
    assert say.get("language") == "fr-FR"
    call_back = Localizer("fr").gettext(call_texts.HELPLINE_UNANSWERED, number="1 1 6, 0 0 0")
    assert say.text == call_back
    assert (say.text or "").count("1 1 6, 0 0 0") == 2
    assert root[-1].tag == "Hangup" and root.find("Gather") is None


def test_a_transfer_the_helpline_took_ends_the_call_without_asking_for_a_name(
    carrier: Carrier, with_helpline: Database
) -> None:
    carrier.post("/ivr/voice", call_params("CA1"))
    root = twiml(
        carrier.post("/ivr/helpline/ended", call_params("CA1", DialCallStatus="completed"))
    )
    assert [verb.tag for verb in root] == ["Hangup"]


def test_helpline_webhooks_refuse_forged_and_malformed_requests(
    carrier: Carrier, with_helpline: Database
) -> None:
    carrier.post("/ivr/voice", call_params("CA1"))
    for path in ("/ivr/greeting-key", "/ivr/helpline/ended"):
        forged = carrier.post(path, call_params("CA1", Digits="0"), sign=False)
        assert forged.status_code == 403
        assert carrier.post(path, call_params("../../x", Digits="0")).status_code == 400
    assert transfers(with_helpline) == 0


def test_the_logs_of_a_transfer_hold_no_caller_number(
    carrier: Carrier, with_helpline: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    carrier.post("/ivr/voice", call_params("CA1"))
    carrier.post("/ivr/greeting-key", call_params("CA1", Digits="0"))
    carrier.post("/ivr/helpline/ended", call_params("CA1", DialCallStatus="no-answer"))
    assert any("helpline" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert CALLER not in record.getMessage() and "470123456" not in record.getMessage()


# --- counted, not tracked ---------------------------------------------------------------------


def test_transfers_are_a_count_per_day_in_the_stats_api_with_no_link_to_anyone(
    carrier: Carrier, client: FlaskClient, with_helpline: Database
) -> None:
    for n in range(3):
        carrier.post("/ivr/voice", call_params(f"CA{n}", caller=f"+3247012345{n}"))
        carrier.post("/ivr/greeting-key", call_params(f"CA{n}", Digits="0"))
    with with_helpline.session() as s:
        s.add(ApiToken(token_hash=hash_token("tok"), role="viewer"))
    stats = client.get(
        "/api/campaigns/glenn/stats", headers={"Authorization": "Bearer tok"}
    ).get_json()
    assert stats["helpline_transfers"] == 3
    assert list(stats["helpline_transfers_by_day"].values()) == [3]
    # The table holds a campaign, a day and a number: nothing names a call or a caller.
    columns = set(HelplineTransfer.__table__.columns.keys())
    assert columns == {"campaign_id", "day", "transfers"}


def test_the_overview_shows_the_transfers(
    carrier: Carrier, client: FlaskClient, with_helpline: Database
) -> None:
    carrier.post("/ivr/voice", call_params("CA1"))
    carrier.post("/ivr/greeting-key", call_params("CA1", Digits="0"))
    signed_in(client, with_helpline, "viewer")
    page = client.get("/staff/c/glenn/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", "", page).split())
    assert "1 caller asked to talk to someone and was put through." in text
    assert "Callers who press 0 are put through to 116 000." in text
    live = client.get("/staff/c/glenn/live.json").get_json()
    assert live["helpline_transfers"] == 1


# --- the setting ------------------------------------------------------------------------------


def test_a_helpline_that_is_not_a_number_one_can_call_is_refused_when_saved(
    db: Database, campaign: int
) -> None:
    with db.session() as s:
        c = s.get_one(Campaign, campaign)
        details = campaigns.CampaignDetails.of(c)
        for bad in ("+32 12", "help", "+32116123456789"):
            with pytest.raises(campaigns.CampaignInvalid) as refused:
                campaigns.update(
                    s, c, dataclasses.replace(details, helpline=bad, offer_helpline=True), actor="t"
                )
            assert set(refused.value.problems) == {"helpline"}
        with pytest.raises(campaigns.CampaignInvalid):  # offered without a number
            campaigns.update(s, c, dataclasses.replace(details, offer_helpline=True), actor="t")
        changed = campaigns.update(
            s, c, dataclasses.replace(details, helpline="116 000", offer_helpline=True), actor="t"
        )
        assert changed == {"helpline": HELPLINE, "offer_helpline": True}
        assert helpline.offered(c)


def test_the_staff_form_sets_the_helpline_and_refuses_a_bad_one(
    client: FlaskClient, db: Database, campaign: int
) -> None:
    signed_in(client, db, "admin")
    form = client.get("/staff/c/glenn/details").get_data(as_text=True)
    assert 'name="helpline"' in form and 'name="offer_helpline"' in form
    fields = {"csrf_token": csrf(client), **details_form(offer_helpline="1")}
    refused = client.post("/staff/c/glenn/details", data={**fields, "helpline": "help me"})
    assert refused.status_code == 400 and "help me" in refused.get_data(as_text=True)
    saved = client.post("/staff/c/glenn/details", data={**fields, "helpline": "116 000"})
    assert saved.status_code == 302
    with db.session() as s:
        c = s.scalar(sa.select(Campaign))
        assert c is not None and (c.helpline, c.offer_helpline) == (HELPLINE, True)


def test_a_helpline_number_is_read_out_digit_by_digit_as_the_caller_would_dial_it() -> None:
    assert phones.spoken_digits(HELPLINE) == "1 1 6, 0 0 0"
    assert phones.spoken_digits("+3270233443") == "0 7 0, 2 3, 3 4, 4 3"
    assert phones.spoken_digits("+3270233443", "FR") == "0 0, 3 2, 7 0, 2 3, 3 4, 4 3"


# --- the simulator ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "step", "outcome"),
    [
        ("nl", "postcode", "completed"),
        ("fr", "greeting", "no-answer"),
        ("de", "declaration", "busy"),
        ("en", "recording", "completed"),
    ],
)
def test_simulate_call_press_help_goes_through_the_transfer_in_each_language(
    settings: Settings,
    db: Database,
    campaign: int,
    live_url: str,
    tmp_path: Path,
    language: str,
    step: str,
    outcome: str,
) -> None:
    offer(db, campaign, languages=language, ask_postcode=True, ask_declaration=True)
    wav = tmp_path / "silence.wav"
    wav.write_bytes(b"RIFF")
    with RecordingServer(wav, ACCOUNT_SID, AUTH_TOKEN) as server:
        call = simulate_call(
            settings,
            base_url=live_url,
            dialled=CAMPAIGN_NUMBER,
            caller=CALLER,
            language=language,
            server=server,
            postcode="1000",
            wait_for_fetch=0,
            press_help=step,
            helpline_outcome=outcome,
        )
    heard = "\n".join(call.transcript)
    loc = Localizer(language)
    assert call.put_through_to == HELPLINE
    assert loc.gettext(call_texts.HELPLINE_OFFER) in heard
    assert loc.gettext(call_texts.HELPLINE_CONNECTING) in heard
    assert f"Dial: {HELPLINE} (caller ID {CAMPAIGN_NUMBER}): {outcome}" in heard
    call_back = loc.gettext(call_texts.HELPLINE_UNANSWERED, number="1 1 6, 0 0 0")
    assert (call_back in heard) == (outcome != "completed")
    # A name is recorded only when the caller pressed 0 after the beep.
    assert (call.recording_sid is not None) == (step == "recording")
    with db.session() as s:
        recorded = s.scalar(sa.select(sa.func.count()).select_from(Recording))
        assert recorded == (1 if step == "recording" else 0)
    assert transfers(db) == 1


def test_on_a_test_call_from_the_staff_pages_the_transfer_shows_the_campaigns_number(
    carrier: Carrier, with_helpline: Database
) -> None:
    # A test call dials out from the campaign's number to a staff phone: From and To swap.
    staff_phone = "+32475000111"
    params = call_params("CA1", caller=CAMPAIGN_NUMBER, To=staff_phone)
    carrier.post("/ivr/voice?test=1", params)
    root = twiml(carrier.post("/ivr/greeting-key", {**params, "Digits": "0"}))
    put_through(root)  # the caller ID is the campaign's number, not the staff phone
