"""The read-back in the call: webhooks after the beep, while the caller is still on the line.

The live lane decodes the recording while the caller hears "one moment"; `/ivr/read-back`
answers at once each time it is asked (the caller waits in one-second pauses), and gives up for
the thank-you when the name is not ready in time. The decisions are petition.names.readback's;
the keys a caller pressed are never logged.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, Response, abort, request
from werkzeug.exceptions import HTTPException

from ivr import twiml
from ivr.security import signed_by_carrier
from ivr.services import services
from ivr.webhooks import FALLBACK_LANGUAGES, SID, campaign_of, help_at_this_step, xml
from petition.models import Campaign, NameStatus, Recording, Signature, SignatureState, utcnow
from petition.names import keypad, readback

log = logging.getLogger(__name__)
bp = Blueprint("readback", __name__, url_prefix="/ivr")


@bp.errorhandler(Exception)
def signed_callers_hear_thanks(exc: Exception) -> Any:
    """The caller has signed by now: whatever failed, they hear the thank-you, not a problem
    that would make them call again."""
    if isinstance(exc, HTTPException):
        return exc
    log.exception("read-back failed")
    return xml(twiml.spoken_goodbye("thanks", FALLBACK_LANGUAGES))


# One poll takes a pause of a second and a round trip: the last poll must start before this.
_POLL_SECONDS = 1.0
# A poll that finds the name not ready looks again for this long before answering with a
# pause: the caller then hears the name as soon as it is ready, not at the next whole second.
_HOLD_SECONDS = 0.6
_LOOK_EVERY = 0.1


def _waiting_for(s: so.Session) -> tuple[Recording, Signature, Campaign, str]:
    """The recording named in the URL, its signature and campaign, and the call's language;
    400 when the URL or the call does not match."""
    recording_sid = request.args.get("r", "")
    if not SID.match(recording_sid):
        abort(400, "malformed recording")
    rec = s.scalar(sa.select(Recording).where(Recording.recording_sid == recording_sid))
    if rec is None or rec.call.call_sid != request.form.get("CallSid"):
        abort(400, "unknown recording for this call")
    signature = s.scalar(sa.select(Signature).where(Signature.recording_id == rec.id))
    if signature is None:
        abort(400, "no signature for this recording")
    campaign = campaign_of(rec.call)
    return rec, signature, campaign, rec.call.language or campaign.language_list[0]


def _number(name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 3 else default


def _undecided(signature: Signature) -> bool:
    return signature.state in (SignatureState.RECEIVED, SignatureState.TRANSCRIBED)


def _waited(rec: Recording, now: datetime) -> float:
    return (now - rec.created_at).total_seconds()


@bp.post("/read-back")
@signed_by_carrier
def read_back() -> Response:
    """Asked once a second after the beep: the read-back when the name is ready, else a pause,
    and the thank-you when it cannot be ready in time."""
    with services().db.session() as s:
        rec, signature, campaign, language = _waiting_for(s)
        held_until = time.monotonic() + _HOLD_SECONDS
        while _undecided(signature) and time.monotonic() < held_until:
            time.sleep(_LOOK_EVERY)
            s.commit()  # nothing written: ends the read, so the next one sees the worker's
            s.refresh(signature)
        if _undecided(signature):
            if _waited(rec, utcnow()) + _POLL_SECONDS <= readback.LONGEST_WAIT_SECONDS:
                return xml(twiml.keep_waiting(rec.recording_sid))
            return xml(twiml.thanks(campaign, language))
        name = readback.name_to_read_back(signature)
        if name is None:
            if campaign.keypad_spelling and readback.open_to_the_caller(signature):
                # The caller spoke but no name came out of it: ask for its letters at once.
                return xml(
                    twiml.spell(
                        campaign,
                        language,
                        rec.recording_sid,
                        readback.SURNAME,
                        problem=None,
                        attempt=1,
                        unheard=True,
                    )
                )
            return xml(twiml.thanks(campaign, language))
        letters = readback.letters(readback.surname_of(name))
        return xml(twiml.read_back(campaign, language, rec.recording_sid, name, letters))


@bp.post("/read-back/answer")
@signed_by_carrier
@help_at_this_step()
def read_back_answer() -> Response:
    """1: the name is right as heard. 2: spell the surname (or, without spelling, a person
    checks it). Another key: the question once more."""
    digits, attempt = request.form.get("Digits", ""), _number("n", 1)
    with services().db.session() as s:
        rec, signature, campaign, language = _waiting_for(s)
        name = readback.name_to_read_back(signature)
        if name is None:  # a person decided meanwhile, or a callback for an old call
            return xml(twiml.thanks(campaign, language))
        if digits == "1":
            readback.confirm(s, signature, name, how="as heard")
            return xml(twiml.goodbye_after_read_back(campaign, language, noted=True))
        if digits == "2":
            if campaign.keypad_spelling:
                return xml(
                    twiml.spell(
                        campaign,
                        language,
                        rec.recording_sid,
                        readback.SURNAME,
                        problem=None,
                        attempt=1,
                    )
                )
            return _unsure(s, signature, campaign, language)
        if attempt < twiml.ASKED_AT_MOST:
            letters = readback.letters(readback.surname_of(name))
            return xml(
                twiml.read_back(
                    campaign, language, rec.recording_sid, name, letters, attempt=attempt + 1
                )
            )
        return xml(twiml.thanks(campaign, language))


def _part() -> str:
    part = request.args.get("p", readback.SURNAME)
    if part not in readback.PARTS:
        abort(400, "malformed part")
    return part


@bp.post("/spelled")
@signed_by_carrier
@help_at_this_step(anywhere=True)  # no letter is on 0
def spelled() -> Response:
    """A part's keys (`p`: surname or given): the best spelling that fits them, read back letter
    by letter. With `x=1`, the exact spelling, two keys a letter."""
    attempt, part, exact = _number("n", 1), _part(), request.args.get("x") == "1"
    with services().db.session() as s:
        rec, signature, campaign, language = _waiting_for(s)
        if not readback.open_to_the_caller(signature):
            return xml(twiml.thanks(campaign, language))
        digits = request.form.get("Digits", "")
        keys = keypad.parse_key_pairs(digits) if exact else keypad.parse_keys(digits)
        if keys.problem is not None:
            if attempt < twiml.ASKED_AT_MOST:
                return xml(
                    twiml.spell(
                        campaign,
                        language,
                        rec.recording_sid,
                        part,
                        problem=keys.problem,
                        attempt=attempt + 1,
                        exact=exact,
                    )
                )
            if part == readback.GIVEN and signature.name_status == NameStatus.CALLER:
                # The surname is confirmed; a first name the caller did not give stays out.
                return xml(twiml.goodbye_after_read_back(campaign, language, noted=True))
            return _unsure(s, signature, campaign, language)
        readback.keep_keys(signature, readback.exact_key(part) if exact else part, digits_of(keys))
        found = _spellings(rec, signature, part, exact)
        if not found:  # nothing fits those keys: the letters exactly
            return xml(_exact_step(campaign, language, rec.recording_sid, part))
        return xml(
            twiml.offer_spelling(
                campaign,
                language,
                rec.recording_sid,
                part,
                readback.letters(found[0]),
                0,
                exact=exact,
            )
        )


def digits_of(keys: keypad.Keys) -> str:
    """What to keep of a spelling: the keys, or for an exact spelling its two-key pairs."""
    return keys.keys if keys.keys.isdigit() else keypad.key_pairs(keys.keys)


def _spellings(rec: Recording, signature: Signature, part: str, exact: bool) -> list[str]:
    kept = (rec.keypad or {}).get(readback.exact_key(part) if exact else part)
    if not kept:
        return []
    if exact:
        spelling = readback.exact_spelling(kept)
        return [spelling] if spelling else []
    return readback.spellings(signature, part, kept)


def _exact_step(campaign: Campaign, language: str, recording_sid: str, part: str) -> str:
    return twiml.spell(campaign, language, recording_sid, part, problem=None, attempt=1, exact=True)


@bp.post("/spelled/answer")
@signed_by_carrier
@help_at_this_step()
def spelling_answer() -> Response:
    """1: this spelling is right. 2: the next one, while there is one; then the letters
    exactly, two keys a letter; after that a person checks."""
    digits, index, attempt = request.form.get("Digits", ""), _number("i", 0), _number("n", 1)
    part, exact = _part(), request.args.get("x") == "1"
    with services().db.session() as s:
        rec, signature, campaign, language = _waiting_for(s)
        found = _spellings(rec, signature, part, exact)
        if not readback.open_to_the_caller(signature) or not found:
            return xml(twiml.thanks(campaign, language))
        if index >= len(found):
            abort(400, "no such spelling")
        if digits == "1":
            name = readback.with_part(signature.name, part, found[index])
            readback.confirm(s, signature, name, how=readback.how_spelled(part, exact=exact))
            if part == readback.SURNAME:
                return _given_name_check(signature, campaign, language, rec.recording_sid)
            return xml(twiml.goodbye_after_read_back(campaign, language, noted=True))
        if digits == "2":
            if index + 1 < len(found):
                letters = readback.letters(found[index + 1])
                return xml(
                    twiml.offer_spelling(
                        campaign, language, rec.recording_sid, part, letters, index + 1
                    )
                )
            if not exact:
                return xml(_exact_step(campaign, language, rec.recording_sid, part))
            return _unsure(s, signature, campaign, language)
        if attempt < twiml.ASKED_AT_MOST:
            letters = readback.letters(found[index])
            return xml(
                twiml.offer_spelling(
                    campaign,
                    language,
                    rec.recording_sid,
                    part,
                    letters,
                    index,
                    attempt=attempt + 1,
                    exact=exact,
                )
            )
        return _unsure(s, signature, campaign, language)


def _given_name_check(
    signature: Signature, campaign: Campaign, language: str, recording_sid: str
) -> Response:
    """After the surname: the first name as heard, spelled, for the caller to confirm too (the
    caller said the name was wrong, and it may have been both parts)."""
    given = readback.given_name_of(signature.name)
    if not given:  # only a surname was heard: the first name's letters too
        return xml(
            twiml.spell(campaign, language, recording_sid, readback.GIVEN, problem=None, attempt=1)
        )
    return xml(
        twiml.given_name_check(campaign, language, recording_sid, given, readback.letters(given))
    )


@bp.post("/given/answer")
@signed_by_carrier
@help_at_this_step()
def given_name_answer() -> Response:
    """1: the first name is right too. 2: spell it. Another key: the question once more."""
    digits, attempt = request.form.get("Digits", ""), _number("n", 1)
    with services().db.session() as s:
        rec, signature, campaign, language = _waiting_for(s)
        given = readback.given_name_of(signature.name)
        if not readback.open_to_the_caller(signature) or not given:
            return xml(twiml.thanks(campaign, language))
        if digits == "1":
            return xml(twiml.goodbye_after_read_back(campaign, language, noted=True))
        if digits == "2":
            return xml(
                twiml.spell(
                    campaign, language, rec.recording_sid, readback.GIVEN, problem=None, attempt=1
                )
            )
        if attempt < twiml.ASKED_AT_MOST:
            return xml(
                twiml.given_name_check(
                    campaign,
                    language,
                    rec.recording_sid,
                    given,
                    readback.letters(given),
                    attempt=attempt + 1,
                )
            )
        return xml(twiml.goodbye_after_read_back(campaign, language, noted=True))


def _unsure(s: so.Session, signature: Signature, campaign: Campaign, language: str) -> Response:
    """The caller said the name is wrong and no spelling settled it: a person checks it."""
    readback.refuse(s, signature)
    return xml(twiml.goodbye_after_read_back(campaign, language, noted=False))
