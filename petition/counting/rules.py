"""The counting rules: what a transcribed recording becomes.

The count is people who called and spoke. A name the machine could not make out does not hold
the count back; it is flagged for a person to check. What stays out of the count until a person
decides: withheld caller IDs, blocked numbers, the same name from another number, and what
guards the count against stuffing (petition/integrity/guards.py and replays.py): the same
audio from another number, a failed STIR/SHAKEN attestation, a burst from one number range.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.exc
import sqlalchemy.orm as so

from petition import audit
from petition.counting.regions import region_for_postcode
from petition.integrity import guards, replays
from petition.models import (
    BlockedNumber,
    Campaign,
    NameStatus,
    Reason,
    Signature,
    SignatureState,
    utcnow,
)
from petition.names import namecheck
from petition.names.namecheck import Heard, HeardWord
from petition.names.reading import normalize_name, strip_hallucinations

__all__ = ["Heard", "HeardWord", "count", "decide", "uncount"]

# Less speech than this (as the voice-activity filter measured it) is a silent recording.
MIN_SPEECH_SECONDS = 0.3


def decide(session: so.Session, signature: Signature, heard: Heard, *, actor: str) -> Signature:
    """Apply the counting rules to a transcribed signature and log the change.

    The name check decides the name's status: `machine` when it calls the reading clear (and
    the campaign does not send every name to a person), `to_check` otherwise. A transcript that
    is a repetition loop holds no name: the recording goes to a person as unclear.
    """
    before = audit.snapshot(signature)
    text = strip_hallucinations(heard.text)
    signature.transcript = heard.text
    signature.confidence = heard.confidence
    signature.speech_seconds = heard.speech_seconds
    call = signature.call
    signature.postcode = call.postcode
    signature.region = region_for_postcode(call.postcode).value
    if call.language:
        signature.language = call.language

    if not text and heard.speech_seconds < MIN_SPEECH_SECONDS:
        _set(signature, SignatureState.REJECTED, Reason.SILENT)
    elif not text:
        # Someone spoke, but all Whisper made of it was nothing or a known hallucination.
        _set(signature, SignatureState.NEEDS_REVIEW, Reason.UNCLEAR)
    else:
        result = namecheck.check(heard, signature.language)
        signature.name_signals = {**result.signals, "doubts": list(result.doubts)}
        if result.loop:
            signature.name = signature.name_key = None
            _set(signature, SignatureState.NEEDS_REVIEW, Reason.UNCLEAR)
        else:
            signature.name = result.name
            signature.name_key = normalize_name(result.name) if result.name else None
            campaign = session.get_one(Campaign, signature.campaign_id)
            clear = result.clear and not campaign.check_every_name
            signature.name_status = NameStatus.MACHINE if clear else NameStatus.TO_CHECK
            _count_or_hold(session, signature)

    audit.record(
        session,
        actor=actor,
        action="transcribed",
        signature=signature,
        before=before,
        after=audit.snapshot(signature),
    )
    return signature


def _set(signature: Signature, state: SignatureState, reason: Reason | None = None) -> None:
    signature.state = state
    signature.reason = reason


def _count_or_hold(session: so.Session, signature: Signature) -> None:
    campaign = session.get_one(Campaign, signature.campaign_id)
    if signature.call.is_test:  # placed from the staff pages to try the line
        _set(signature, SignatureState.REJECTED, Reason.TEST_CALL)
        return
    if _join_twins(session, signature):
        _set(signature, SignatureState.NEEDS_REVIEW, Reason.SAME_AUDIO)
        return
    if signature.caller_withheld or signature.caller_hash is None:
        _set(signature, SignatureState.NEEDS_REVIEW, Reason.WITHHELD)
        return
    if _is_blocked(session, signature):
        _set(signature, SignatureState.NEEDS_REVIEW, Reason.BLOCKED)
        return
    if guards.attestation_failed(signature.call.stir_verstat):
        _set(signature, SignatureState.NEEDS_REVIEW, Reason.ATTESTATION_FAILED)
        return
    if signature.call.declared is False:
        _set(signature, SignatureState.NEEDS_REVIEW, Reason.NOT_DECLARED)
        return
    earlier = _earlier_from_same_number(session, signature)
    if earlier is not None:
        signature.duplicate_of_id = earlier.id
        _set(signature, SignatureState.REJECTED, Reason.DUPLICATE)
        return
    if campaign.hold_bursts and guards.in_burst(session, campaign, signature.call):
        _set(signature, SignatureState.NEEDS_REVIEW, Reason.BURST)
        return
    same_name = _same_name_other_number(session, signature)
    if same_name is not None:
        signature.duplicate_of_id = same_name.id
        _set(signature, SignatureState.NEEDS_REVIEW, Reason.POSSIBLE_DUPLICATE)
        return
    count(session, signature)


def _join_twins(session: so.Session, signature: Signature) -> bool:
    """Put the signature in an audio group with the recordings from other numbers that are the
    same audio; True when there are any. A twin counted before it had any twin is taken out of
    the count to wait with the others (a twin a person already accepted stays counted).

    The group's id is the smallest signature id involved, so two workers deciding two twins at
    the same moment agree on it.
    """
    others = [
        twin
        for twin in replays.twins(session, signature)
        if twin.caller_hash is None or twin.caller_hash != signature.caller_hash
    ]
    if not others:
        return False
    group = min([signature.id, *(twin.audio_group_id or twin.id for twin in others)])
    merged = {twin.audio_group_id for twin in others} - {None, group}
    if merged:  # two groups turn out to be one voice
        session.execute(
            sa.update(Signature)
            .where(Signature.campaign_id == signature.campaign_id)
            .where(Signature.audio_group_id.in_(merged))
            .values(audio_group_id=group)
            .execution_options(synchronize_session="fetch")
        )
    for twin in others:
        first_time = twin.audio_group_id is None
        twin.audio_group_id = group
        if first_time and twin.state == SignatureState.COUNTED:
            before = audit.snapshot(twin)
            uncount(twin)
            _set(twin, SignatureState.NEEDS_REVIEW, Reason.SAME_AUDIO)
            audit.record(
                session,
                actor="worker",
                action="same_audio",
                signature=twin,
                before=before,
                after=audit.snapshot(twin),
                note=f"same audio as {signature.public_id}, from another number",
            )
    signature.audio_group_id = group
    signature.duplicate_of_id = others[0].id  # shown beside it, to listen to both
    return True


def count(session: so.Session, signature: Signature) -> bool:
    """Put a signature in the count. False if its number was counted meanwhile.

    The unique (campaign, counted_key) constraint makes two workers racing on two calls from the
    same number end with one counted and one duplicate. A test call's signature never counts.
    """
    if signature.call.is_test:
        _set(signature, SignatureState.REJECTED, Reason.TEST_CALL)
        return False
    try:
        with session.begin_nested():
            signature.counted_key = signature.caller_hash or f"signature:{signature.public_id}"
            signature.state = SignatureState.COUNTED
            signature.reason = None
            signature.counted_at = utcnow()
            session.flush()
        return True
    except sqlalchemy.exc.IntegrityError:
        uncount(signature)
        earlier = _earlier_from_same_number(session, signature)
        signature.duplicate_of_id = earlier.id if earlier else None
        _set(signature, SignatureState.REJECTED, Reason.DUPLICATE)
        return False


def uncount(signature: Signature) -> None:
    """Free the signature's place in the unique (campaign, counted_key) constraint."""
    signature.counted_key = None
    signature.counted_at = None


def _is_blocked(session: so.Session, signature: Signature) -> bool:
    return (
        session.scalar(
            sa.select(BlockedNumber.id).where(
                BlockedNumber.campaign_id == signature.campaign_id,
                BlockedNumber.caller_hash == signature.caller_hash,
            )
        )
        is not None
    )


def _earlier_from_same_number(session: so.Session, signature: Signature) -> Signature | None:
    return session.scalar(
        sa.select(Signature)
        .where(
            Signature.campaign_id == signature.campaign_id,
            Signature.caller_hash == signature.caller_hash,
            Signature.id != signature.id,
            # Only counted ones: a first call held for review (unclear, not declared) must not
            # keep the same caller's clear second call out of the count.
            Signature.state == SignatureState.COUNTED,
        )
        .order_by(Signature.signed_at, Signature.id)
        .limit(1)
    )


def _same_name_other_number(session: so.Session, signature: Signature) -> Signature | None:
    # A reading a person must check anyway is too unsure to call anyone a duplicate.
    if not signature.name_key or signature.name_status != NameStatus.MACHINE:
        return None
    return session.scalar(
        sa.select(Signature)
        .where(
            Signature.campaign_id == signature.campaign_id,
            Signature.name_key == signature.name_key,
            Signature.id != signature.id,
            Signature.state == SignatureState.COUNTED,
        )
        .order_by(Signature.signed_at, Signature.id)
        .limit(1)
    )
