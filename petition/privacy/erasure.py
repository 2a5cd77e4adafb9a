"""Data-protection duties: erase one signer on request, and delete recordings after retention.

Supporting a petition is a political opinion (GDPR art. 9), so both are first-class operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition import audit
from petition.integrity import replays
from petition.models import (
    Call,
    Campaign,
    Reason,
    Recording,
    RecordingStatus,
    Signature,
    SignatureState,
    utcnow,
)
from petition.privacy import phones


@dataclass(frozen=True)
class Erasure:
    signatures: int
    recordings: int


def erase_signer(
    session: so.Session, campaign: Campaign, number: str, *, hash_key: str, actor: str
) -> Erasure:
    """Remove everything that identifies the caller of `number` in `campaign`.

    Their signatures leave the count (state rejected, reason erased) but stay as empty rows, so
    numbering and the audit trail still add up; name, transcript and recording are deleted.
    """
    e164 = phones.normalize(number)
    if e164 is None:
        raise ValueError(f"not a phone number: {number}")
    caller_hash = phones.hash_number(e164, hash_key)
    signatures = session.scalars(
        sa.select(Signature).where(
            Signature.campaign_id == campaign.id, Signature.caller_hash == caller_hash
        )
    ).all()
    recordings = 0
    for sig in signatures:
        before = audit.snapshot(sig)
        sig.state = SignatureState.REJECTED
        sig.reason = Reason.ERASED
        sig.name = sig.name_key = sig.transcript = None
        sig.counted_key = None
        sig.caller_hash = None
        sig.caller_masked = "erased"
        recordings += _delete_audio(sig.recording)
        # Never processed again: a worker would fetch the audio anew and write the name back.
        sig.recording.status = RecordingStatus.DONE
        sig.recording.stage = "erased"
        sig.recording.claimed_by = sig.recording.claimed_until = None
        audit.record(
            session,
            actor=actor,
            action="erased",
            signature=sig,
            before=before,
            after=audit.snapshot(sig),
        )
    for call in session.scalars(
        sa.select(Call).where(Call.campaign_id == campaign.id, Call.caller_hash == caller_hash)
    ):
        call.caller_hash = None
        call.caller_masked = "erased"
        call.caller_range = None
    return Erasure(signatures=len(signatures), recordings=recordings)


def apply_retention(session: so.Session) -> int:
    """Delete stored recordings older than their campaign's retention period. Returns how many."""
    now = utcnow()
    deleted = 0
    for campaign in session.scalars(sa.select(Campaign)):
        cutoff = now - timedelta(days=campaign.retention_days)
        old = session.scalars(
            sa.select(Recording).where(
                Recording.campaign_id == campaign.id,
                Recording.created_at < cutoff,
                Recording.deleted_at.is_(None),
                Recording.status != "pending",
            )
        )
        for rec in old:
            deleted += _delete_audio(rec)
    return deleted


def _delete_audio(rec: Recording) -> int:
    """Delete a recording's file, its fingerprint and the keys pressed with it; its hash stays
    as proof of what was there."""
    if rec.deleted_at is not None:
        return 0
    if rec.storage_path:
        Path(rec.storage_path).unlink(missing_ok=True)
    rec.storage_path = None
    rec.fingerprint = None
    rec.keypad = None  # the keys the caller pressed go with their voice
    session = so.object_session(rec)
    if session is not None:
        replays.forget(session, [rec.id])
    rec.deleted_at = utcnow()
    return 1
