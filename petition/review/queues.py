"""What a person decides about a signature, and the queues that hand out the work.

Two queues feed the reviewers: signatures held out of the count (`needs_review`: withheld or
blocked numbers, possible duplicates, ...) and counted signatures whose name waits for a person
(name status `to_check`, or a machine reading drawn into a random sample). Several reviewers
work a queue at once: each item is handed out under a short lease, so two reviewers never get
the same one, and an abandoned lease returns the item to the queue when it runs out.

Every decision is written to the audit log with who, before and after, and a person's latest
decision on a signature can be undone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition import audit
from petition.counting.rules import count, uncount
from petition.errors import PetitionError
from petition.models import AuditEvent, NameStatus, Reason, Signature, SignatureState, utcnow
from petition.names import sampling
from petition.names.reading import normalize_name

# Reasons a reviewer may give. ERASED is for erasure requests, never a review decision.
REJECT_REASONS = (
    Reason.NOT_A_NAME,
    Reason.SILENT,
    Reason.DUPLICATE,
    Reason.BLOCKED,
    Reason.WITHDRAWN,
    Reason.SAME_AUDIO,
    Reason.OTHER,
)
# Rejections that say the machine's reading was not a name at all (a sampled reading was wrong).
NOT_A_NAME_REASONS = (Reason.NOT_A_NAME, Reason.SILENT)
MAX_NAME_LENGTH = 200
LEASE_SECONDS = 300

# Which queue a signature is in.
REVIEW = "review"
NAME_CHECKS = "names"
QUEUES = (REVIEW, NAME_CHECKS)

# Audit actions by which a person settles a name; the review pace counts them.
NAME_ACTIONS = ("name_confirmed", "name_corrected", "name_missing", "accepted")
# A person's decisions that can be undone from the signature's page.
UNDOABLE = (*NAME_ACTIONS, "rejected", "marked_duplicate")
SYSTEM_ACTORS = ("worker", "system")

EMPTY_NAME = "The name is empty: type the name you hear, or mark it as “no name given”."


class ReviewError(PetitionError, ValueError):
    """A decision that does not apply to this signature (any more); the edge shows why.

    `key` names the message for the edge to show in the reader's language, where there is one.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


# --- queues ------------------------------------------------------------------------------


def queue_filter(campaign_id: int, queue: str) -> sa.ColumnElement[bool]:
    """SQL condition for the signatures waiting in `queue` (REVIEW or NAME_CHECKS)."""
    if queue == NAME_CHECKS:
        return sa.and_(
            Signature.campaign_id == campaign_id,
            Signature.state == SignatureState.COUNTED,
            sa.or_(
                Signature.name_status == NameStatus.TO_CHECK,
                sa.and_(
                    Signature.name_status == NameStatus.MACHINE, Signature.sample_id.is_not(None)
                ),
            ),
        )
    return sa.and_(
        Signature.campaign_id == campaign_id, Signature.state == SignatureState.NEEDS_REVIEW
    )


def waiting(session: so.Session, campaign_id: int, queue: str) -> int:
    """How many signatures wait in `queue`: what the overview, the campaigns list and the
    review page's tabs show."""
    count = sa.select(sa.func.count()).select_from(Signature)
    return int(session.scalar(count.where(queue_filter(campaign_id, queue))) or 0)


def waiting_in(signature: Signature) -> str | None:
    """The queue the signature waits in, or None when nobody needs to look at it."""
    if signature.state == SignatureState.NEEDS_REVIEW:
        return REVIEW
    if signature.state == SignatureState.COUNTED and (
        signature.name_status == NameStatus.TO_CHECK
        or (signature.name_status == NameStatus.MACHINE and signature.sample_id is not None)
    ):
        return NAME_CHECKS
    return None


def _free_for(reviewer: str, now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        Signature.review_until.is_(None),
        Signature.review_until < now,
        Signature.review_by == reviewer,
    )


def take(
    session: so.Session,
    campaign_id: int,
    queue: str,
    reviewer: str,
    *,
    exclude: Collection[int] = (),
    now: datetime | None = None,
    seconds: int = LEASE_SECONDS,
) -> Signature | None:
    """Lease the next item of `queue` to `reviewer` and return it, or None when none is free.

    An item the reviewer already holds comes first (the one preloaded after the current one),
    then sampled machine readings (so the sample's estimate is ready early), then the oldest
    free item. The lease is a compare-and-set on the row: of two reviewers asking at the same
    moment, one wins each item and the other moves on to the next.
    """
    now = now or utcnow()
    in_queue = queue_filter(campaign_id, queue)
    skip = Signature.id.not_in(list(exclude)) if exclude else sa.true()
    held = session.scalar(
        sa.select(Signature)
        .where(in_queue, skip, Signature.review_by == reviewer, Signature.review_until >= now)
        .order_by(Signature.signed_at, Signature.id)
        .limit(1)
    )
    if held is not None:
        _lease(held, reviewer, now, seconds)
        return held
    # Sampled machine readings first, so the sample's estimate is ready early.
    passes = (
        [Signature.sample_id.is_not(None), Signature.sample_id.is_(None)]
        if queue == NAME_CHECKS
        else [sa.true()]
    )
    for extra in passes:
        for _attempt in range(20):
            query = (
                sa.select(Signature.id)
                .where(in_queue, skip, _free_for(reviewer, now), extra)
                .order_by(Signature.signed_at, Signature.id)
                .limit(1)
            )
            # PostgreSQL: rows another reviewer is leasing right now are skipped, not waited for.
            candidate = session.scalar(query.with_for_update(skip_locked=True))
            if candidate is None:
                break
            won = session.execute(
                sa.update(Signature)
                .where(Signature.id == candidate, _free_for(reviewer, now))
                .values(review_by=reviewer, review_until=now + timedelta(seconds=seconds))
                .execution_options(synchronize_session=False)
            )
            if won.rowcount == 1:  # type: ignore[attr-defined]
                signature = session.get_one(Signature, candidate)
                session.refresh(signature)
                return signature
    return None


def _lease(signature: Signature, reviewer: str, now: datetime, seconds: int) -> None:
    signature.review_by = reviewer
    signature.review_until = now + timedelta(seconds=seconds)


def renew(
    signature: Signature,
    reviewer: str,
    *,
    now: datetime | None = None,
    seconds: int = LEASE_SECONDS,
) -> bool:
    """Extend the reviewer's lease on a signature they are looking at; False if another holds it."""
    now = now or utcnow()
    if holder(signature, now) not in (None, reviewer):
        return False
    _lease(signature, reviewer, now, seconds)
    return True


def holder(signature: Signature, now: datetime | None = None) -> str | None:
    """Who holds a live lease on the signature, if anyone."""
    now = now or utcnow()
    if signature.review_by and signature.review_until and signature.review_until >= now:
        return signature.review_by
    return None


def release(signature: Signature) -> None:
    signature.review_by = None
    signature.review_until = None


def release_others(
    session: so.Session, campaign_id: int, reviewer: str, *, keep: Collection[int]
) -> None:
    """Give back every item the reviewer holds in the campaign but those in `keep` (the one on
    screen and the one preloaded): browsing must not pile up items nobody else can take."""
    session.execute(
        sa.update(Signature)
        .where(
            Signature.campaign_id == campaign_id,
            Signature.review_by == reviewer,
            Signature.id.not_in(list(keep)),
        )
        .values(review_by=None, review_until=None)
        .execution_options(synchronize_session=False)
    )


def version(signature: Signature) -> str:
    """A short fingerprint of what a reviewer saw; a decision made on a stale page is refused
    when the fingerprint no longer matches (another reviewer was faster)."""
    data = json.dumps(audit.snapshot(signature), sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


# --- decisions ---------------------------------------------------------------------------


def accept(
    session: so.Session,
    signature: Signature,
    actor: str,
    name: str | None = None,
    *,
    no_name: bool = False,
    note: str | None = None,
) -> bool:
    """Put a held signature in the count, or confirm the name of a counted one.

    With `name`, the name is corrected at the same time; with `no_name`, the person says the
    caller gave no name (status `missing`: the caller spoke, so the signature counts). A name
    that ends up empty is refused otherwise. Counting still allows one signature per number
    (withheld callers each count on their own); returns False when the number was counted
    meanwhile, in which case the signature ends rejected as a duplicate.
    """
    _require(signature, SignatureState.NEEDS_REVIEW, SignatureState.COUNTED)
    before = audit.snapshot(signature)
    machine_name = signature.name
    if no_name:
        signature.name = signature.name_key = None
        signature.name_status = NameStatus.MISSING
    else:
        _set_name(signature, signature.name if name is None else name)
        signature.name_status = NameStatus.CONFIRMED
    _settle_sample(session, signature, actor, right=not no_name and _same(machine_name, signature))
    release(signature)
    counted = True
    if signature.state == SignatureState.NEEDS_REVIEW:
        signature.duplicate_of_id = None  # a person decided it is not a duplicate
        counted = count(session, signature)
        action = "accepted"
    elif no_name:
        action = "name_missing"
    else:
        action = "name_confirmed" if _same(machine_name, signature) else "name_corrected"
    _audit(session, signature, actor, action, before, note)
    return counted


def reject(session: so.Session, signature: Signature, actor: str, reason: str) -> None:
    """Keep a signature out of the count (taking it out if it was counted), with a reason."""
    if reason not in REJECT_REASONS:
        raise ReviewError(f"not a reason a reviewer can give: {reason!r}")
    take_out(session, signature, actor, Reason(reason), action="rejected")


def take_out(
    session: so.Session,
    signature: Signature,
    actor: str,
    reason: Reason,
    *,
    action: str,
    note: str | None = None,
) -> AuditEvent:
    """Reject a counted or held signature (leaving the count) and audit it as `action`."""
    _require(signature, SignatureState.NEEDS_REVIEW, SignatureState.COUNTED)
    before = audit.snapshot(signature)
    # A reading rejected as no name at all was wrong; other reasons say nothing of the name.
    _settle_sample(session, signature, actor, right=False if reason in NOT_A_NAME_REASONS else None)
    uncount(signature)
    release(signature)
    signature.state = SignatureState.REJECTED
    signature.reason = reason
    return _audit(session, signature, actor, action, before, note)


def correct_name(session: so.Session, signature: Signature, actor: str, name: str) -> None:
    """Replace the transcribed name with what a person heard; the state does not change."""
    if signature.reason in (Reason.ERASED, Reason.WITHDRAWN):
        raise ReviewError("this signature was erased or withdrawn")
    before = audit.snapshot(signature)
    machine_name = signature.name
    _set_name(signature, name)
    signature.name_status = NameStatus.CONFIRMED
    _settle_sample(session, signature, actor, right=_same(machine_name, signature))
    release(signature)
    _audit(session, signature, actor, "name_corrected", before)


def mark_duplicate(session: so.Session, signature: Signature, of: Signature, actor: str) -> None:
    """Reject `signature` as the same person as `of` (e.g. the same name from another number)."""
    if of.campaign_id != signature.campaign_id or of.id == signature.id:
        raise ReviewError("a signature can only duplicate another one of the same campaign")
    _require(signature, SignatureState.NEEDS_REVIEW, SignatureState.COUNTED)
    before = audit.snapshot(signature)
    _settle_sample(session, signature, actor, right=None)
    uncount(signature)
    release(signature)
    signature.state = SignatureState.REJECTED
    signature.reason = Reason.DUPLICATE
    signature.duplicate_of_id = of.id
    _audit(session, signature, actor, "marked_duplicate", before)


def undoable(session: so.Session, signature: Signature) -> AuditEvent | None:
    """The person's decision that undo would reverse: the signature's latest event, if it is
    one and nothing changed since."""
    latest = session.scalar(
        sa.select(AuditEvent)
        .where(AuditEvent.signature_id == signature.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    if (
        latest is None
        or latest.action not in UNDOABLE
        or latest.actor in SYSTEM_ACTORS
        or latest.before is None
        or not unchanged_since(signature, latest)
    ):
        return None
    return latest


def undo(session: so.Session, signature: Signature, event_id: int, actor: str) -> None:
    """Reverse a person's latest decision on a signature: state, name, status and count as they
    were before it. The undo is audited as a decision of its own."""
    event = undoable(session, signature)
    if event is None or event.id != event_id:
        raise ReviewError(
            "only the latest decision can be undone, and only if nothing changed since"
        )
    restore(session, signature, event, actor, f"undid event {event.id} ({event.action})")


def unchanged_since(signature: Signature, event: AuditEvent) -> bool:
    """Nothing changed the signature since the event: it is as the event left it."""
    return audit.snapshot(signature) == _comparable(event.after)


def restore(
    session: so.Session, signature: Signature, event: AuditEvent, actor: str, note: str
) -> AuditEvent:
    """Put a signature back as it was before `event`: state, name, status and count. Audited
    as `undone`. Raises ReviewError when its number was counted meanwhile by another one."""
    assert event.before is not None
    was = _comparable(event.before)
    recount = was["state"] == SignatureState.COUNTED and signature.state != SignatureState.COUNTED
    # Checked first: the count must not fail halfway through the undo.
    if recount and _counted_elsewhere(session, signature):
        raise ReviewError("this caller's number was counted meanwhile by another signature")
    before = audit.snapshot(signature)
    signature.name = was["name"]
    signature.name_key = normalize_name(was["name"]) if was["name"] else None
    signature.name_status = was["name_status"]
    signature.duplicate_of_id = was["duplicate_of_id"]
    if was["sample_id"] is not None:
        sampling.reopen(session, was["sample_id"], signature)
    signature.sample_id = was["sample_id"]
    if recount:
        count(session, signature)
    elif was["state"] != SignatureState.COUNTED:
        uncount(signature)
    signature.state = was["state"]
    signature.reason = was["reason"]
    return _audit(session, signature, actor, "undone", before, note)


def _comparable(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """A stored snapshot in today's shape (events written before name statuses existed)."""
    data = dict(snapshot or {})
    if "name_status" not in data:
        data["name_status"] = (
            NameStatus.TO_CHECK if data.pop("name_check", False) else NameStatus.MACHINE
        )
    data.setdefault("sample_id", None)
    return {field: data.get(field) for field in audit.AUDITED_FIELDS}


def _counted_elsewhere(session: so.Session, signature: Signature) -> bool:
    if signature.caller_hash is None:
        return False
    return (
        session.scalar(
            sa.select(Signature.id).where(
                Signature.campaign_id == signature.campaign_id,
                Signature.counted_key == signature.caller_hash,
                Signature.id != signature.id,
            )
        )
        is not None
    )


def _settle_sample(
    session: so.Session, signature: Signature, actor: str, *, right: bool | None
) -> None:
    if signature.sample_id is not None:
        sampling.settle(session, signature.sample_id, signature, actor, right=right)
        signature.sample_id = None


def _same(machine_name: str | None, signature: Signature) -> bool:
    """The person kept the machine's reading (case, accents and punctuation aside)."""
    return bool(machine_name) and normalize_name(machine_name or "") == signature.name_key


def _require(signature: Signature, *states: SignatureState) -> None:
    if signature.state not in states:
        raise ReviewError(f"signature {signature.public_id} is {signature.state} now")


def _set_name(signature: Signature, name: str | None) -> None:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ReviewError(EMPTY_NAME, key="review.empty_name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ReviewError(f"a name has at most {MAX_NAME_LENGTH} characters")
    signature.name = cleaned
    signature.name_key = normalize_name(cleaned)


def _audit(
    session: so.Session,
    signature: Signature,
    actor: str,
    action: str,
    before: dict[str, object],
    note: str | None = None,
) -> AuditEvent:
    return audit.record(
        session,
        actor=actor,
        action=action,
        signature=signature,
        before=before,
        after=audit.snapshot(signature),
        note=note,
    )


def send_machine_names_to_check(session: so.Session, campaign_id: int) -> int:
    """The campaign now wants every name checked: its machine readings join the queue."""
    moved = session.execute(
        sa.update(Signature)
        .where(
            Signature.campaign_id == campaign_id,
            Signature.state == SignatureState.COUNTED,
            Signature.name_status == NameStatus.MACHINE,
        )
        .values(name_status=NameStatus.TO_CHECK, sample_id=None)
        .execution_options(synchronize_session=False)
    )
    return int(moved.rowcount or 0)  # type: ignore[attr-defined]


# --- the team's pace ---------------------------------------------------------------------


def names_per_hour(session: so.Session, campaign_id: int, now: datetime | None = None) -> int:
    """Names people settled in the last hour: the team's pace, to tell when the list is ready."""
    now = now or utcnow()
    return int(
        session.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.campaign_id == campaign_id,
                AuditEvent.at >= now - timedelta(hours=1),
                AuditEvent.action.in_(NAME_ACTIONS),
            )
        )
        or 0
    )
