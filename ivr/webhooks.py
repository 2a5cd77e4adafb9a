"""Carrier webhooks: validate, store a minimal row, hand slow work to the queue, answer TwiML.

Nothing slow happens here. Every handler is idempotent on CallSid / RecordingSid.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

import redis
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, Response, abort, request, send_file
from werkzeug.exceptions import HTTPException

from audio.prompt_texts import LANGUAGES
from audio.prompts import default_prompt_path
from ivr import transfer, twiml
from ivr.media import uploaded_prompt_path
from ivr.security import F, signed_by_carrier
from ivr.services import services
from petition.counting.regions import parse_postcode
from petition.errors import UnknownNumber
from petition.integrity import guards
from petition.line import calls, campaigns, helpline
from petition.models import Call, Campaign, Recording, RecordingStatus, utcnow
from petition.privacy import phones
from workers.queue import dispatch_after_commit, enqueue_live, live_lane_waiting

log = logging.getLogger(__name__)
bp = Blueprint("ivr", __name__, url_prefix="/ivr")

SID = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
# Languages in which an unknown number is announced (no campaign to choose from).
FALLBACK_LANGUAGES = ("nl", "fr", "en")


def xml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


def field(name: str, pattern: re.Pattern[str] | None = None, required: bool = True) -> str | None:
    """A form field, or 400 when a required one is missing or malformed."""
    value = request.form.get(name)
    if value is None or value == "":
        if required:
            abort(400, f"missing {name}")
        return None
    if pattern is not None and not pattern.match(value):
        abort(400, f"malformed {name}")
    return value


def int_field(name: str) -> int | None:
    value = request.form.get(name)
    if value is None or value == "":
        return None
    if not value.lstrip("-").isdigit():
        abort(400, f"malformed {name}")
    return int(value)


def call_and_campaign(s: Any) -> tuple[Call, Campaign]:
    call_sid = field("CallSid", SID)
    assert call_sid is not None
    call = calls.find_call(s, call_sid)
    if call is None or call.campaign_id is None:
        abort(400, "unknown call")
    return call, campaign_of(call)


def campaign_of(call: Call) -> Campaign:
    assert call.campaign_id is not None
    campaign = services().campaigns.by_id(call.campaign_id)
    if campaign is None:
        abort(400, "unknown campaign")
    return campaign


def help_at_this_step(*, anywhere: bool = False) -> Callable[[F], F]:
    """A keypad step where 0 reaches the campaign's helpline (petition/line/helpline.py): as
    the first key, or with `anywhere` at any place (where keys spell letters and none is on
    0). Goes under @signed_by_carrier; other keys cost nothing here, and the step's own view
    handles every answer that is not a call for help."""

    def wrap(view: F) -> F:
        @functools.wraps(view)
        def step(*args: Any, **kwargs: Any) -> Any:
            digits = request.form.get("Digits") or ""
            if helpline.keys_ask_for_help(digits, anywhere=anywhere):
                with services().db.session() as s:
                    body = _put_through_if_asked(s, digits, anywhere=anywhere)
                if body is not None:
                    return xml(body)
            return view(*args, **kwargs)

        return step  # type: ignore[return-value]

    return wrap


def _put_through_if_asked(s: so.Session, digits: str, *, anywhere: bool) -> str | None:
    call = calls.find_call(s, request.form.get("CallSid", ""))
    if call is None or call.campaign_id is None:
        return None  # the step's view answers the request as it is
    campaign = services().campaigns.by_id(call.campaign_id)
    if campaign is None or not helpline.asks_for_help(campaign, digits, anywhere=anywhere):
        return None
    return transfer.put_through(s, campaign, language_of(call, campaign))


@bp.errorhandler(Exception)
def caller_never_hears_a_stack_trace(exc: Exception) -> Any:
    if isinstance(exc, HTTPException):
        return exc
    log.exception("webhook failed")
    if request.endpoint in ("ivr.status", "ivr.recording_status"):
        return Response(status=500)  # no caller on the line; the carrier may retry
    return xml(twiml.spoken_goodbye("technical_problem", FALLBACK_LANGUAGES))


@bp.post("/voice")
@signed_by_carrier
def voice() -> Response:
    call_sid = field("CallSid", SID)
    assert call_sid is not None
    svc = services()
    # A test call placed from the staff pages (ivr/staff/line.py) dials out from the campaign's
    # number to a staff phone: the campaign is the caller's side. The carrier signs the URL with
    # its query, so no one without the auth token can mark a call as a test.
    is_test = request.args.get("test") == "1"
    dialled, caller = ("From", "To") if is_test else ("To", "From")
    # Found in the process's cache: a new call costs one INSERT (see campaign_cache.py).
    campaign = svc.campaigns.by_number(request.form.get(dialled))
    if campaign is None:
        return xml(twiml.spoken_goodbye("unknown_number", FALLBACK_LANGUAGES))
    if not campaigns.takes_calls(campaign):  # closed, or outside its opening dates
        log.info("call to closed campaign %s", campaign.slug)
        return xml(twiml.spoken_goodbye("closed", campaign.language_list, campaign))
    # One statement, committed on its own: the call and the number's calls before it.
    call, earlier = calls.answer_new_call(
        svc.db,
        call_sid=call_sid,
        campaign=campaign,
        caller=request.form.get(caller),
        hash_key=svc.settings.phone_hash_key,
        stir_verstat=request.form.get("StirVerstat"),
        is_test=is_test,
    )
    if guards.over_limit(campaign, call, earlier):
        log.info("call turned away: the number's limit of calls is reached")
        languages = [call.language] if call.language else campaign.language_list
        return xml(twiml.spoken_goodbye("too_many_calls", languages, campaign))
    return xml(
        svc.campaigns.answer(first_answer_key(campaign, call), lambda: _first(campaign, call))
    )


def first_answer_key(campaign: Campaign, call: Call) -> tuple[object, ...]:
    """What the first answer depends on: the campaign, where the call stands, the base URL."""
    state = (call.language, call.postcode, call.postcode_attempts, call.declared, call.consented)
    return ("voice", campaign.id, request.url_root, *state)


def language_of(call: Call, campaign: Campaign) -> str:
    return call.language or campaign.language_list[0]


def _first(campaign: Campaign, call: Call) -> str:
    if call.language is None and len(campaign.language_list) > 1:
        return twiml.language_menu(campaign)
    return twiml.next_step(campaign, call, with_greeting=True)


@bp.post("/language")
@signed_by_carrier
@help_at_this_step()
def language() -> Response:
    with services().db.session() as s:
        call, campaign = call_and_campaign(s)
        chosen = twiml.MENU_KEYS.get(request.form.get("Digits", ""))
        if call.language is None:
            call.language = (
                chosen if chosen in campaign.language_list else campaign.language_list[0]
            )
        return xml(twiml.next_step(campaign, call, with_greeting=True))


@bp.post("/greeting-key")
@signed_by_carrier
@help_at_this_step()
def greeting_key() -> Response:
    """A key pressed during the greeting: 0 reaches the helpline (help_at_this_step); any
    other goes on with the call as if the greeting had ended."""
    with services().db.session() as s:
        call, campaign = call_and_campaign(s)
        return xml(twiml.next_step(campaign, call))


@bp.post("/helpline/ended")
@signed_by_carrier
def helpline_ended() -> Response:
    """The <Dial> to the helpline is over: the call ends, with the helpline's number to call
    back when no one answered."""
    with services().db.session() as s:
        call, campaign = call_and_campaign(s)
        status = request.form.get("DialCallStatus", "")
        # The number read out as the caller would dial it, from their own number's country.
        region = call.caller_country or phones.region_of(request.form.get("To"))
        return xml(twiml.helpline_ended(campaign, language_of(call, campaign), status, region))


@bp.post("/postcode")
@signed_by_carrier
@help_at_this_step()
def postcode() -> Response:
    with services().db.session() as s:
        call, campaign = call_and_campaign(s)
        digits = request.form.get("Digits", "")
        if call.postcode is None:
            call.postcode_attempts += 1
            call.postcode = parse_postcode(digits)
            if digits in ("", "*"):
                call.postcode_attempts = twiml.POSTCODE_TRIES  # skipped: no second prompt
        return xml(twiml.next_step(campaign, call))


@bp.post("/declaration")
@signed_by_carrier
@help_at_this_step()
def declaration() -> Response:
    with services().db.session() as s:
        call, campaign = call_and_campaign(s)
        if call.declared is None:
            call.declared = request.form.get("Digits") == "1"
        return xml(twiml.next_step(campaign, call))


@bp.post("/consent")
@signed_by_carrier
@help_at_this_step()
def consent() -> Response:
    with services().db.session() as s:
        call, campaign = call_and_campaign(s)
        if call.consented is None:
            call.consented = request.form.get("Digits") == "1"
        if not call.consented:
            return xml(twiml.thanks(campaign, call.language or campaign.language_list[0]))
        return xml(twiml.next_step(campaign, call))


def _register_recording(s: so.Session) -> tuple[str | None, Call | None]:
    """Store the recording named in this callback; returns its sid if it still needs queueing
    (and the call).

    The recording is marked as queued in the same transaction; the caller commits, then hands
    the sid to `_dispatch`: the worker must find the row, and if the queue cannot take the job,
    `_dispatch` takes the mark back so the sweeper queues it.
    """
    recording_sid = field("RecordingSid", SID, required=False)
    if recording_sid is None:
        return None, None
    url = field("RecordingUrl")
    assert url is not None
    if not url.startswith(("https://", "http://")):
        abort(400, "malformed RecordingUrl")
    call_sid = field("CallSid", SID)
    assert call_sid is not None
    try:
        arrival = calls.register_recording(
            s,
            call_sid=call_sid,
            recording_sid=recording_sid,
            url=url,
            duration=int_field("RecordingDuration"),
            dialled=request.form.get("To"),
            caller=request.form.get("From"),
            hash_key=services().settings.phone_hash_key,
        )
    except UnknownNumber:
        abort(400, "recording for an unknown number")
    if arrival.recording.enqueued_at is not None:
        return None, arrival.call
    arrival.recording.enqueued_at = utcnow()
    return recording_sid, arrival.call


def _dispatch(recording_sid: str | None, *, live: str | None = None) -> None:
    """Queue the recording after the commit; `live` also puts it in the live lane."""
    svc = services()
    if recording_sid is not None:
        dispatch_after_commit(svc.db, svc.queue, recording_sid, live=live == recording_sid)
    elif live is not None:  # queued by the other callback already: only the live lane is new
        try:
            enqueue_live(svc.queue, live)
        except redis.RedisError as exc:
            log.warning("live lane unreachable: %s", exc)


# The live lane has room for a read-back while this few recordings wait in it, and fewer than
# a worker's pack in the backlog: past that the caller would wait too long, and decoding names
# one by one would slow the backlog (the read-back helps the name, never the count).
LIVE_LANE_ROOM = 2


def _live_lane_has_room() -> bool:
    q = services().queue
    try:
        return live_lane_waiting(q) < LIVE_LANE_ROOM and q.count < services().settings.pack_size
    except redis.RedisError:
        return False


@bp.post("/recorded")
@signed_by_carrier
def recorded() -> Response:
    """The <Record> action: the caller has finished speaking."""
    live = None
    with services().db.session() as s:
        to_queue, call = _register_recording(s)
        if call is None:
            call, campaign = call_and_campaign(s)
        else:
            campaign = campaign_of(call)
        language = language_of(call, campaign)
        recording_sid = request.form.get("RecordingSid")
        if helpline.asks_for_help(campaign, request.form.get("Digits")):
            # 0 ended the recording: what was said before it is kept and counts as usual.
            body = transfer.put_through(s, campaign, language)
        elif (
            campaign.read_back
            and recording_sid is not None
            and pending_recording(s, recording_sid)
            and _live_lane_has_room()
        ):
            live = recording_sid
            body = twiml.one_moment(campaign, language, recording_sid)
        else:
            body = twiml.thanks(campaign, language)
    _dispatch(to_queue, live=live)
    return xml(body)


def pending_recording(s: so.Session, recording_sid: str) -> bool:
    return (
        s.scalar(
            sa.select(sa.func.count()).where(
                Recording.recording_sid == recording_sid,
                Recording.status == RecordingStatus.PENDING,
            )
        )
        == 1
    )


@bp.post("/recording-status")
@signed_by_carrier
def recording_status() -> Response:
    to_queue = None
    if request.form.get("RecordingStatus", "completed") == "completed":
        with services().db.session() as s:
            to_queue, _ = _register_recording(s)
    _dispatch(to_queue)
    return Response(status=204)


@bp.post("/status")
@signed_by_carrier
def status() -> Response:
    call_sid = field("CallSid", SID)
    call_status = field("CallStatus")
    assert call_sid is not None and call_status is not None
    duration = int_field("CallDuration")
    services().db.idempotent(
        lambda s: calls.update_call_status(
            s, call_sid=call_sid, status=call_status, duration=duration
        )
    )
    return Response(status=204)


@bp.get("/audio/<slug>/<language>/<name>.wav")
def prompt_audio(slug: str, language: str, name: str) -> Any:
    """Prompt audio the carrier plays: the campaign's upload, else the shipped default."""
    if language not in LANGUAGES or not re.fullmatch(r"[a-z_]{1,40}", name):
        abort(404)
    with services().db.session() as s:
        campaign = s.scalar(sa.select(Campaign).where(Campaign.slug == slug))
        if campaign is not None:
            uploaded = uploaded_prompt_path(campaign, name, language)
            if uploaded.exists():
                return send_file(uploaded, mimetype="audio/wav", max_age=300)
    default = default_prompt_path(name, language)
    if default is None:
        abort(404)
    return send_file(default, mimetype="audio/wav", max_age=3600)
