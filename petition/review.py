"""What a person decides about a signature: accept, reject, correct the name, mark a duplicate.

Two queues feed the reviewers: signatures held out of the count (`needs_review`: withheld or
blocked numbers, possible duplicates, ...) and counted signatures whose name the machine was
unsure of (`name_check`). Every decision is written to the audit log with who, before and after.
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition import audit
from petition.counting import count
from petition.errors import PetitionError
from petition.models import Reason, Signature, SignatureState
from petition.names import normalize_name

# Reasons a reviewer may give. ERASED is for erasure requests, never a review decision.
REJECT_REASONS = (
    Reason.NOT_A_NAME,
    Reason.SILENT,
    Reason.DUPLICATE,
    Reason.BLOCKED,
    Reason.WITHDRAWN,
    Reason.OTHER,
)
MAX_NAME_LENGTH = 200

# Which queue a signature is in.
REVIEW = "review"
NAME_CHECKS = "names"


class ReviewError(PetitionError, ValueError):
    """A decision that does not apply to this signature (any more); the edge shows why."""


def queue_filter(campaign_id: int, queue: str) -> sa.ColumnElement[bool]:
    """SQL condition for the signatures waiting in `queue` (REVIEW or NAME_CHECKS)."""
    if queue == NAME_CHECKS:
        return sa.and_(
            Signature.campaign_id == campaign_id,
            Signature.state == SignatureState.COUNTED,
            Signature.name_check.is_(True),
        )
    return sa.and_(
        Signature.campaign_id == campaign_id, Signature.state == SignatureState.NEEDS_REVIEW
    )


def waiting_in(signature: Signature) -> str | None:
    """The queue the signature waits in, or None when nobody needs to look at it."""
    if signature.state == SignatureState.NEEDS_REVIEW:
        return REVIEW
    if signature.state == SignatureState.COUNTED and signature.name_check:
        return NAME_CHECKS
    return None


def version(signature: Signature) -> str:
    """A short fingerprint of what a reviewer saw; a decision made on a stale page is refused
    when the fingerprint no longer matches (another reviewer was faster)."""
    data = json.dumps(audit.snapshot(signature), sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def accept(session: so.Session, signature: Signature, actor: str, name: str | None = None) -> bool:
    """Put a held signature in the count, or confirm the name of a counted one.

    With `name`, the name is corrected at the same time. Counting still allows one signature
    per number (withheld callers each count on their own); returns False when the number was
    counted meanwhile, in which case the signature ends rejected as a duplicate.
    """
    _require(signature, SignatureState.NEEDS_REVIEW, SignatureState.COUNTED)
    before = audit.snapshot(signature)
    if name is not None:
        _set_name(signature, name)
    signature.name_check = False
    counted = True
    if signature.state == SignatureState.NEEDS_REVIEW:
        signature.duplicate_of_id = None  # a person decided it is not a duplicate
        counted = count(session, signature)
    _audit(session, signature, actor, "accepted", before)
    return counted


def reject(session: so.Session, signature: Signature, actor: str, reason: str) -> None:
    """Keep a signature out of the count (taking it out if it was counted), with a reason."""
    if reason not in REJECT_REASONS:
        raise ReviewError(f"not a reason a reviewer can give: {reason!r}")
    _require(signature, SignatureState.NEEDS_REVIEW, SignatureState.COUNTED)
    before = audit.snapshot(signature)
    _uncount(signature)
    signature.state = SignatureState.REJECTED
    signature.reason = Reason(reason)
    _audit(session, signature, actor, "rejected", before)


def correct_name(session: so.Session, signature: Signature, actor: str, name: str) -> None:
    """Replace the transcribed name with what a person heard; the state does not change."""
    if signature.reason in (Reason.ERASED, Reason.WITHDRAWN):
        raise ReviewError("this signature was erased or withdrawn")
    before = audit.snapshot(signature)
    _set_name(signature, name)
    signature.name_check = False
    _audit(session, signature, actor, "name_corrected", before)


def mark_duplicate(session: so.Session, signature: Signature, of: Signature, actor: str) -> None:
    """Reject `signature` as the same person as `of` (e.g. the same name from another number)."""
    if of.campaign_id != signature.campaign_id or of.id == signature.id:
        raise ReviewError("a signature can only duplicate another one of the same campaign")
    _require(signature, SignatureState.NEEDS_REVIEW, SignatureState.COUNTED)
    before = audit.snapshot(signature)
    _uncount(signature)
    signature.state = SignatureState.REJECTED
    signature.reason = Reason.DUPLICATE
    signature.duplicate_of_id = of.id
    _audit(session, signature, actor, "marked_duplicate", before)


def _require(signature: Signature, *states: SignatureState) -> None:
    if signature.state not in states:
        raise ReviewError(f"signature {signature.public_id} is {signature.state} now")


def _set_name(signature: Signature, name: str) -> None:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ReviewError("the name is empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ReviewError(f"a name has at most {MAX_NAME_LENGTH} characters")
    signature.name = cleaned
    signature.name_key = normalize_name(cleaned)


def _uncount(signature: Signature) -> None:
    # Frees the number's place in the unique (campaign, counted_key) constraint.
    signature.counted_key = None
    signature.counted_at = None


def _audit(
    session: so.Session, signature: Signature, actor: str, action: str, before: dict[str, object]
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        signature=signature,
        before=before,
        after=audit.snapshot(signature),
    )
