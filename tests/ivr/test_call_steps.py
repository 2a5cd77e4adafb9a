"""Optional call steps: keypad postcode, age/residence declaration, consent (TwiML as XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from petition.counting.rules import Heard, decide
from petition.db import Database
from petition.models import Call, Campaign, Recording, Signature
from tests.conftest import Carrier, call_params
from tests.ivr.test_webhooks import _recording, twiml


@pytest.fixture
def steps(db: Database, campaign: int) -> Database:
    with db.session() as s:
        c = s.get_one(Campaign, campaign)
        c.languages = "nl"
        c.ask_postcode = True
    return db


def gather(root: ET.Element, action: str, digits: str) -> ET.Element:
    found = root.find("Gather")
    assert found is not None, ET.tostring(root)
    assert found.get("action", "").endswith(action)
    assert found.get("numDigits") == digits
    assert root.find("Redirect") is not None  # silence moves the call on
    return found


def test_postcode_is_asked_on_the_keypad_after_the_message(
    carrier: Carrier, steps: Database
) -> None:
    root = twiml(carrier.post("/ivr/voice", call_params("CA1")))
    assert root[0].tag in ("Play", "Say")  # the campaign message first
    gather(root, "/ivr/postcode", "4")
    assert root.find("Record") is None


def test_invalid_postcode_is_asked_again_once_then_the_call_moves_on(
    carrier: Carrier, steps: Database
) -> None:
    carrier.post("/ivr/voice", call_params("CA2"))
    again = twiml(carrier.post("/ivr/postcode", call_params("CA2", Digits="0999")))
    prompt = gather(again, "/ivr/postcode", "4")[0]
    assert prompt.tag == "Play" and (prompt.text or "").endswith("/nl/postcode_invalid.wav")
    after = twiml(carrier.post("/ivr/postcode", call_params("CA2", Digits="12")))
    assert after.find("Gather") is None and after.find("Record") is not None
    with steps.session() as s:
        call = s.scalar(sa.select(Call).where(Call.call_sid == "CA2"))
        assert call is not None and call.postcode is None


def test_valid_postcode_gives_the_signature_its_region(carrier: Carrier, steps: Database) -> None:
    carrier.post("/ivr/voice", call_params("CA3"))
    root = twiml(carrier.post("/ivr/postcode", call_params("CA3", Digits="1050")))
    assert root.find("Record") is not None
    carrier.post("/ivr/recorded", _recording("CA3", "RE3"))
    with steps.session() as s:
        sig = s.scalar(sa.select(Signature))
        assert sig is not None
        decide(s, sig, Heard("Je m'appelle Sophie Dubois", 1.5, 0.9), actor="test")
        assert (sig.postcode, sig.region, sig.state) == ("1050", "brussels", "counted")


def test_caller_may_skip_the_postcode_with_star(carrier: Carrier, steps: Database) -> None:
    carrier.post("/ivr/voice", call_params("CA4"))
    root = twiml(carrier.post("/ivr/postcode", call_params("CA4", Digits="*")))
    assert root.find("Gather") is None and root.find("Record") is not None


def test_declaration_and_consent_come_before_the_beep(carrier: Carrier, steps: Database) -> None:
    with steps.session() as s:
        c = s.scalar(sa.select(Campaign))
        assert c is not None
        c.ask_postcode, c.ask_declaration, c.ask_consent = False, True, True
    gather(twiml(carrier.post("/ivr/voice", call_params("CA5"))), "/ivr/declaration", "1")
    gather(
        twiml(carrier.post("/ivr/declaration", call_params("CA5", Digits="1"))), "/ivr/consent", "1"
    )
    root = twiml(carrier.post("/ivr/consent", call_params("CA5", Digits="1")))
    assert root.find("Record") is not None


def test_no_consent_means_no_recording(carrier: Carrier, steps: Database) -> None:
    with steps.session() as s:
        c = s.scalar(sa.select(Campaign))
        assert c is not None
        c.ask_postcode, c.ask_consent = False, True
    carrier.post("/ivr/voice", call_params("CA6"))
    root = twiml(carrier.post("/ivr/consent", call_params("CA6", Digits="2")))
    assert root.find("Record") is None and [el.tag for el in root][-1] == "Hangup"


def test_a_caller_who_does_not_confirm_the_declaration_is_held_for_review(
    carrier: Carrier, steps: Database
) -> None:
    with steps.session() as s:
        c = s.scalar(sa.select(Campaign))
        assert c is not None
        c.ask_postcode, c.ask_declaration = False, True
    carrier.post("/ivr/voice", call_params("CA7"))
    twiml(carrier.post("/ivr/declaration", call_params("CA7", Digits="9")))
    carrier.post("/ivr/recorded", _recording("CA7", "RE7"))
    with steps.session() as s:
        sig = s.scalar(sa.select(Signature).join(Recording).where(Recording.recording_sid == "RE7"))
        assert sig is not None
        decide(s, sig, Heard("Mijn naam is Jan Peeters", 1.5, 0.9), actor="test")
        assert (sig.state, sig.reason) == ("needs_review", "not_declared")
