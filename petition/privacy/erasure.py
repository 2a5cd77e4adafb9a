"""Data-protection duties: erase one signer on request, and delete recordings after retention.

Supporting a petition is a political opinion (GDPR art. 9), so both are first-class operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
from petition.privacy import journal, phones


@dataclass(frozen=True)
class Erasure:
    signatures: int
    recordings: int
    calls: int = 0
    # The erasure list could not be written in the backup folder (it was in DATA_DIR).
    warnings: tuple[str, ...] = ()


def erase_signer(
    session: so.Session,
    campaign: Campaign,
    number: str,
    *,
    hash_key: str,
    actor: str,
    journal_paths: Sequence[Path] = (),
) -> Erasure:
    """Remove everything that identifies the caller of `number` in `campaign`.

    Their signatures leave the count (state rejected, reason erased) but stay as empty rows, so
    numbering and the audit trail still add up; name, transcript and recording are deleted.
    When anything was erased, the erasure is added to the lists at `journal_paths` before the
    caller commits (petition/privacy/journal.py), so that a restore applies it again.
    """
    e164 = phones.normalize(number)
    if e164 is None:
        raise ValueError(f"not a phone number: {number}")
    caller_hash = phones.hash_number(e164, hash_key)
    done = erase_hash(session, campaign, caller_hash, actor=actor)
    if journal_paths and (done.signatures or done.calls):
        warnings = journal.append(journal_paths, campaign.slug, caller_hash)
        return Erasure(done.signatures, done.recordings, done.calls, tuple(warnings))
    return done


def reapply(session: so.Session, entries: Iterable[journal.Entry], *, actor: str) -> int:
    """Erase again every signer in the erasure list (after a restore from an older backup).
    Signers erased already are not found again. Returns how many signatures were erased."""
    erased = 0
    campaigns: dict[str, Campaign | None] = {}
    for entry in entries:
        if entry.campaign not in campaigns:
            campaigns[entry.campaign] = session.scalar(
                sa.select(Campaign).where(Campaign.slug == entry.campaign)
            )
        campaign = campaigns[entry.campaign]
        if campaign is not None:
            erased += erase_hash(session, campaign, entry.caller_hash, actor=actor).signatures
    return erased


def erase_hash(session: so.Session, campaign: Campaign, caller_hash: str, *, actor: str) -> Erasure:
    """Erase the caller whose keyed hash is `caller_hash` in `campaign` (see erase_signer)."""
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
    calls = 0
    for call in session.scalars(
        sa.select(Call).where(Call.campaign_id == campaign.id, Call.caller_hash == caller_hash)
    ):
        call.caller_hash = None
        call.caller_masked = "erased"
        call.caller_range = None
        calls += 1
    return Erasure(signatures=len(signatures), recordings=recordings, calls=calls)


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
