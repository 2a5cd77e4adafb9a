"""What the carrier tells us about a call, stored idempotently.

Callbacks arrive twice and in any order, so every function here is keyed on the carrier's ids
(CallSid, RecordingSid) and returns the existing row when it is called again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.exc
import sqlalchemy.orm as so

from petition import campaigns, phones
from petition.errors import CampaignClosed, UnknownNumber
from petition.models import (
    Call,
    Campaign,
    CampaignNumber,
    Recording,
    Signature,
    SignatureState,
    utcnow,
)
from petition.regions import region_for_postcode

T = TypeVar("T")

FINAL_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


def campaign_for_number(session: so.Session, dialled: str | None) -> Campaign | None:
    number = phones.normalize(dialled or "")
    if number is None:
        return None
    return session.scalar(
        sa.select(Campaign).join(CampaignNumber).where(CampaignNumber.number == number)
    )


def _get_or_create(
    session: so.Session, find: Callable[[], T | None], create: Callable[[], T]
) -> tuple[T, bool]:
    """Find a row or insert it; a concurrent insert of the same key wins and is returned."""
    existing = find()
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            row = create()
            session.add(row)
        return row, True
    except sqlalchemy.exc.IntegrityError:
        found = find()
        if found is None:
            raise
        return found, False


@dataclass(frozen=True)
class CallStart:
    call: Call
    campaign: Campaign


def start_call(
    session: so.Session, *, call_sid: str, dialled: str | None, caller: str | None, hash_key: str
) -> CallStart:
    """Record an incoming call. Raises UnknownNumber or CampaignClosed."""
    campaign = campaign_for_number(session, dialled)
    if campaign is None:
        raise UnknownNumber(dialled or "")
    if not campaigns.takes_calls(campaign):
        raise CampaignClosed(campaign)
    call, _ = get_or_create_call(
        session, call_sid=call_sid, campaign=campaign, caller=caller, hash_key=hash_key
    )
    return CallStart(call=call, campaign=campaign)


def get_or_create_call(
    session: so.Session,
    *,
    call_sid: str,
    campaign: Campaign | None,
    caller: str | None,
    hash_key: str,
) -> tuple[Call, bool]:
    def create() -> Call:
        who = phones.identify(caller, hash_key)
        return Call(
            call_sid=call_sid,
            campaign_id=campaign.id if campaign else None,
            caller_hash=who.hash,
            caller_masked=who.masked,
            caller_withheld=who.withheld,
            caller_country=who.country,
            language=campaign.language_list[0]
            if campaign and len(campaign.language_list) == 1
            else None,
        )

    return _get_or_create(session, lambda: find_call(session, call_sid), create)


def find_call(session: so.Session, call_sid: str) -> Call | None:
    return session.scalar(sa.select(Call).where(Call.call_sid == call_sid))


def update_call_status(
    session: so.Session, *, call_sid: str, status: str, duration: int | None
) -> Call | None:
    """Apply a call status callback. A late 'in-progress' never undoes a final status."""
    call = find_call(session, call_sid)
    if call is None:
        return None
    if call.status in FINAL_CALL_STATUSES and status not in FINAL_CALL_STATUSES:
        return call
    call.status = status
    if duration is not None:
        call.duration_seconds = duration
    if status in FINAL_CALL_STATUSES and call.ended_at is None:
        call.ended_at = utcnow()
    return call


@dataclass(frozen=True)
class RecordingArrival:
    recording: Recording
    signature: Signature
    created: bool


def register_recording(
    session: so.Session,
    *,
    call_sid: str,
    recording_sid: str,
    url: str,
    duration: int | None,
    dialled: str | None,
    caller: str | None,
    hash_key: str,
) -> RecordingArrival:
    """Store a recording the carrier announced, with its signature in state 'received'.

    Works whichever callback (record action or recording status) arrives first, and when the
    call itself was never seen (its row is then made from the callback's own From/To).
    """
    call = find_call(session, call_sid)
    if call is None:  # the voice webhook was never seen: make the call from this callback
        call, _ = get_or_create_call(
            session,
            call_sid=call_sid,
            campaign=campaign_for_number(session, dialled),
            caller=caller,
            hash_key=hash_key,
        )
    if call.campaign_id is None:
        raise UnknownNumber(dialled or "")

    def find_recording() -> Recording | None:
        return session.scalar(sa.select(Recording).where(Recording.recording_sid == recording_sid))

    recording, created = _get_or_create(
        session,
        find_recording,
        lambda: Recording(
            recording_sid=recording_sid,
            call_id=call.id,
            campaign_id=call.campaign_id,
            url=url,
            carrier_duration=duration,
        ),
    )
    if not recording.url and url:
        recording.url = url
    if recording.carrier_duration is None and duration is not None:
        recording.carrier_duration = duration

    def find_signature() -> Signature | None:
        return session.scalar(sa.select(Signature).where(Signature.recording_id == recording.id))

    signature, _ = _get_or_create(
        session,
        find_signature,
        lambda: Signature(
            public_id=new_public_id(),
            campaign_id=recording.campaign_id,
            call_id=call.id,
            recording_id=recording.id,
            state=SignatureState.RECEIVED,
            language=call.language,
            caller_hash=call.caller_hash,
            caller_masked=call.caller_masked,
            caller_withheld=call.caller_withheld,
            caller_country=call.caller_country,
            postcode=call.postcode,
            region=region_for_postcode(call.postcode).value,
        ),
    )
    return RecordingArrival(recording=recording, signature=signature, created=created)


def new_public_id() -> str:
    """A short id printed in the export and quoted by staff (no personal data in it)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
    return "S-" + "".join(secrets.choice(alphabet) for _ in range(10))
