"""How the processing pipeline is doing: the queue, its workers, and stuck or failed recordings.

The database answers for the recordings; Redis for the queue and the workers. Redis being down
is itself something to show, not an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
import sqlalchemy as sa
import sqlalchemy.orm as so
from rq import Queue, Worker

from petition.models import Recording, RecordingStatus
from petition.operations.monitoring import waiting_recordings

FAILED_SHOWN = 20


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    state: str
    heartbeat_age: float | None  # seconds since its last heartbeat


@dataclass(frozen=True)
class FailedRecording:
    recording_sid: str
    created_at: datetime
    attempts: int
    last_error: str


@dataclass
class Health:
    queued: int | None = None
    failed_jobs: int | None = None
    workers: list[WorkerInfo] = field(default_factory=list)
    redis_error: str | None = None
    pending: int = 0
    oldest_pending_age: float | None = None  # seconds
    failed: list[FailedRecording] = field(default_factory=list)


def pipeline_health(session: so.Session, queue: Queue, campaign_id: int, now: datetime) -> Health:
    health = Health()
    try:
        health.queued = queue.count
        health.failed_jobs = queue.failed_job_registry.count
        aware_now = now.replace(tzinfo=UTC)
        for worker in Worker.all(queue=queue):
            beat = worker.last_heartbeat
            if beat is not None and beat.tzinfo is None:
                beat = beat.replace(tzinfo=UTC)
            health.workers.append(
                WorkerInfo(
                    name=worker.name,
                    state=str(worker.get_state()),
                    heartbeat_age=(aware_now - beat).total_seconds() if beat else None,
                )
            )
    except (redis.RedisError, OSError) as exc:
        health.redis_error = type(exc).__name__
    waiting = waiting_recordings(session, campaign_id)
    health.pending = waiting.count
    if waiting.oldest is not None:
        health.oldest_pending_age = max((now - waiting.oldest).total_seconds(), 0.0)
    rows = session.execute(
        sa.select(
            Recording.recording_sid, Recording.created_at, Recording.attempts, Recording.last_error
        )
        .where(Recording.campaign_id == campaign_id, Recording.status == RecordingStatus.FAILED)
        .order_by(Recording.created_at.desc())
        .limit(FAILED_SHOWN)
    ).all()
    health.failed = [
        FailedRecording(sid, created, attempts, (error or "")[:500])
        for sid, created, attempts, error in rows
    ]
    return health
