"""The table of work to do: which recordings still need fetching and transcribing.

The database, not the queue, is the source of truth. A recording stays `pending` until its
signature is decided, so a lost queue entry, a dead worker or a Redis outage only delays it:
`sweep` hands such recordings out again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from petition.models import Call, Recording, RecordingStatus, utcnow

# A recording that failed this many times is left for an operator (see `last_error`).
MAX_ATTEMPTS = 8


def claim(session: so.Session, recording_id: int, worker: str, lease_seconds: int) -> bool:
    """Take a recording for one worker, atomically; False if someone else holds it."""
    now = utcnow()
    result = session.execute(
        sa.update(Recording)
        .where(
            Recording.id == recording_id,
            Recording.status == RecordingStatus.PENDING,
            sa.or_(
                Recording.claimed_by.is_(None),
                Recording.claimed_by == worker,
                Recording.claimed_until < now,
            ),
        )
        .values(claimed_by=worker, claimed_until=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _waiting(now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    """What a recording a worker may take satisfies: pending, not given up on, and held by
    nobody (or by a worker whose lease ran out)."""
    return (
        Recording.status == RecordingStatus.PENDING,
        Recording.attempts < MAX_ATTEMPTS,
        sa.or_(Recording.claimed_by.is_(None), Recording.claimed_until < now),
    )


def backlog_reaches(session: so.Session, count: int) -> bool:
    """Whether at least `count` recordings wait for a worker (pending, held by nobody). Reads
    at most `count` of them: asked before every pack, on a table of a whole campaign."""
    if count <= 0:
        return False
    waiting = sa.select(Recording.id).where(*_waiting(utcnow())).limit(count).subquery()
    return (session.scalar(sa.select(sa.func.count()).select_from(waiting)) or 0) >= count


def claim_companions(
    session: so.Session, recording: Recording, worker: str, lease_seconds: int, limit: int
) -> list[Recording]:
    """Claim up to `limit` more waiting recordings in the language of `recording`, oldest first,
    to transcribe together with it (one Whisper window for several short names).

    Each is claimed like a recording of its own; one another worker holds is passed over. A
    recording whose call has no language is never packed: Whisper would guess one language for
    the whole window.
    """
    language = recording.call.language
    if limit <= 0 or language is None:
        return []
    now = utcnow()
    candidates = session.scalars(
        sa.select(Recording.id)
        .join(Call, Call.id == Recording.call_id)
        .where(*_waiting(now), Recording.id != recording.id, Call.language == language)
        .order_by(Recording.id)
        .limit(limit * 2)
    ).all()
    claimed: list[int] = []
    for rid in candidates:
        if len(claimed) == limit:
            break
        if claim(session, rid, worker, lease_seconds):
            claimed.append(rid)
    return list(
        session.scalars(
            sa.select(Recording).where(Recording.id.in_(claimed)).order_by(Recording.id)
        )
    )


def release(recording: Recording, *, error: str | None = None, give_up: bool = False) -> None:
    recording.claimed_by = None
    recording.claimed_until = None
    if error is not None:
        recording.last_error = error[:2000]
    if give_up:
        recording.status = RecordingStatus.FAILED
        recording.stage = "failed"


def process_alive(pid: int) -> bool:
    """Whether a process of this machine runs (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_claims(
    session: so.Session, *, hostname: str, is_alive: Callable[[int], bool]
) -> int:
    """Free recordings held by workers that are gone: expired leases, or dead local processes.

    Freed recordings lose their queue entry too (`enqueued_at` cleared) so they are dispatched
    again, even though the queue may still list the dead worker's job as started.
    """
    now = utcnow()
    held = session.scalars(
        sa.select(Recording).where(
            Recording.status == RecordingStatus.PENDING, Recording.claimed_by.is_not(None)
        )
    ).all()
    freed = 0
    for rec in held:
        host, _, pid = (rec.claimed_by or "").rpartition(":")
        expired = rec.claimed_until is not None and rec.claimed_until < now
        dead_here = host == hostname and pid.isdigit() and not is_alive(int(pid))
        if expired or dead_here:
            rec.claimed_by = None
            rec.claimed_until = None
            rec.enqueued_at = None
            rec.stage = "queued"
            freed += 1
    return freed


# A job queued this recently is taken to be in the queue still: the sweep does not ask Redis.
RECENTLY_QUEUED = timedelta(minutes=2)


def pending(session: so.Session, limit: int = 500) -> Sequence[Recording]:
    """Unclaimed pending recordings not queued in the last minutes, oldest first."""
    return session.scalars(
        sa.select(Recording)
        .where(
            Recording.status == RecordingStatus.PENDING,
            Recording.claimed_by.is_(None),
            sa.or_(
                Recording.enqueued_at.is_(None),
                Recording.enqueued_at < utcnow() - RECENTLY_QUEUED,
            ),
        )
        .order_by(Recording.id)
        .limit(limit)
    ).all()
