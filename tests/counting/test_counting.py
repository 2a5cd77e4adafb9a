"""The counting rules, on SQLite and PostgreSQL, with transcripts given directly."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from petition.counting.rules import Heard, count, decide
from petition.db import Database
from petition.line import calls
from petition.models import AuditEvent, BlockedNumber, Signature
from petition.privacy.phones import identify
from tests.conftest import CAMPAIGN_NUMBER

KEY = "test-phone-key"
_sids = itertools.count(1)

pytestmark = pytest.mark.usefixtures("campaign")


def arrive(db: Database, caller: str) -> int:
    """A call with a recording, as the webhooks store it; returns the signature id."""
    n = next(_sids)
    with db.session() as s:
        arrival = calls.register_recording(
            s,
            call_sid=f"CA{n}",
            recording_sid=f"RE{n}",
            url=f"https://api.twilio.com/x/RE{n}",
            duration=3,
            dialled=CAMPAIGN_NUMBER,
            caller=caller,
            hash_key=KEY,
        )
        return arrival.signature.id


def hear(
    db: Database, signature_id: int, text: str, confidence: float = 0.9, speech: float | None = None
) -> Signature:
    """Decide a signature as if transcription heard `text` (speech: seconds the VAD kept)."""
    speech_seconds = speech if speech is not None else (1.5 if text else 0.0)
    with db.session() as s:
        sig = s.get_one(Signature, signature_id)
        decide(s, sig, Heard(text, speech_seconds, confidence), actor="test")
        return sig


def test_a_caller_who_says_their_name_is_counted(db: Database) -> None:
    sig = hear(db, arrive(db, "+32470000001"), "Mijn naam is Jan Peeters.")
    assert sig.state == "counted"
    assert sig.name == "Jan Peeters"
    assert sig.name_status == "machine"


def test_second_call_from_same_number_does_not_count_twice(db: Database) -> None:
    first = hear(db, arrive(db, "+32470000002"), "Je m'appelle Sophie Dubois")
    second = hear(db, arrive(db, "0470 00 00 02"), "Je m'appelle Sophie Dubois")
    assert first.state == "counted"
    assert second.state == "rejected" and second.reason == "duplicate"
    assert second.duplicate_of_id == first.id


def test_withheld_numbers_go_to_review_and_are_never_merged(db: Database) -> None:
    a = hear(db, arrive(db, "+266696687"), "My name is John Smith")
    b = hear(db, arrive(db, "anonymous"), "My name is Mary Jones")
    c = hear(db, arrive(db, "+266696687"), "My name is Peter Brown")
    for sig in (a, b, c):
        assert sig.state == "needs_review" and sig.reason == "withheld"
        assert sig.caller_hash is None and sig.duplicate_of_id is None


def test_silent_recording_is_rejected_as_silent(db: Database) -> None:
    sig = hear(db, arrive(db, "+32470000003"), "")
    assert sig.state == "rejected" and sig.reason == "silent"


@pytest.mark.parametrize(
    "text",
    [
        "Sous-titres réalisés par la communauté d'Amara.org",
        "Thank you for watching!",
        "Ondertiteld door de Amara.org gemeenschap",
    ],
)
def test_hallucination_string_never_becomes_a_name(db: Database, text: str) -> None:
    on_silence = hear(db, arrive(db, "+32470000004"), text, speech=0.0)
    assert on_silence.name is None
    assert (on_silence.state, on_silence.reason) == ("rejected", "silent")
    # Speech that Whisper only turned into a hallucination: out of the count, a person listens.
    on_speech = hear(db, arrive(db, "+32470000014"), text, speech=1.2)
    assert on_speech.name is None
    assert (on_speech.state, on_speech.reason) == ("needs_review", "unclear")


def test_same_name_from_another_number_is_held_for_review_not_merged(db: Database) -> None:
    first = hear(db, arrive(db, "+32470000005"), "Mijn naam is Jan Peeters")
    second = hear(db, arrive(db, "+32470000006"), "Mijn naam is Jan Peeters")
    assert first.state == "counted"
    assert second.state == "needs_review" and second.reason == "possible_duplicate"
    assert second.duplicate_of_id == first.id


def test_an_unclear_name_still_counts_and_is_flagged_for_a_name_check(db: Database) -> None:
    sig = hear(db, arrive(db, "+32470000007"), "Mijn naam is Maes", confidence=0.3)
    assert sig.state == "counted"
    assert sig.name_status == "to_check"


def test_a_repetition_loop_never_becomes_a_name(db: Database) -> None:
    loop = " ".join(["J'ai eu une personne qui m'a dit que"] * 20)
    sig = hear(db, arrive(db, "+32470000701"), loop, confidence=0.89)
    assert (sig.state, sig.reason, sig.name) == ("needs_review", "unclear", None)
    assert sig.name_signals is not None and "repetition" in sig.name_signals["doubts"]


def test_a_loop_whisper_itself_measured_is_never_a_name_either(db: Database) -> None:
    with db.session() as s:
        sig = s.get_one(Signature, arrive(db, "+32470000702"))
        heard = Heard("Mijn naam is Jan Peeters", 1.5, 0.95, compression_ratio=3.1)
        decide(s, sig, heard, actor="test")
        assert (sig.state, sig.reason, sig.name) == ("needs_review", "unclear", None)


def test_blocked_number_is_held_for_review(db: Database) -> None:
    who = identify("+32470000008", KEY)
    with db.session() as s:
        s.add(BlockedNumber(campaign_id=1, caller_hash=who.hash or "", caller_masked=who.masked))
    sig = hear(db, arrive(db, "+32470000008"), "My name is John Smith")
    assert sig.state == "needs_review" and sig.reason == "blocked"


def test_the_database_refuses_to_count_one_number_twice(db: Database) -> None:
    """Two workers deciding at once: the unique constraint keeps one."""
    a, b = arrive(db, "+32470000009"), arrive(db, "+32470000009")
    with db.session() as s:
        assert count(s, s.get_one(Signature, a))
    with db.session() as s:
        sig = s.get_one(Signature, b)
        assert not count(s, sig)
        assert sig.state == "rejected" and sig.reason == "duplicate"


def test_every_decision_is_in_the_audit_log(db: Database) -> None:
    sig = hear(db, arrive(db, "+32470000010"), "Ich heiße Anna Schmidt")
    with db.session() as s:
        events = s.scalars(sa.select(AuditEvent).where(AuditEvent.signature_id == sig.id)).all()
        assert [e.action for e in events] == ["transcribed"]
        assert events[0].before and events[0].before["state"] == "received"
        assert events[0].after and events[0].after["state"] == "counted"


def test_numbers_are_stored_only_as_hash_and_mask(db: Database) -> None:
    hear(db, arrive(db, "+32470123499"), "My name is John Smith")
    with db.engine.connect() as conn:
        for table in ("calls", "signatures"):
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):  # noqa: S608 (fixed names)
                assert not any("470123499" in str(v) for v in row), table


def test_a_clear_second_call_counts_when_the_first_was_held_for_review(db: Database) -> None:
    first = hear(db, arrive(db, "+32470000011"), "", speech=1.4)  # spoke, nothing recognised
    second = hear(db, arrive(db, "+32470000011"), "Mijn naam is Jan Peeters")
    assert (first.state, first.reason) == ("needs_review", "unclear")
    assert second.state == "counted"
