"""Handing recordings to the queue, and getting lost ones back onto it."""

from __future__ import annotations

import contextlib
import logging
import os
import socket

import redis
import sqlalchemy as sa
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from petition.config import Settings
from petition.db import Database
from petition.line import work
from petition.models import Recording, utcnow
from petition.operations.deployment import deployment_id

log = logging.getLogger(__name__)

JOB_TIMEOUT = 300  # seconds: fetching and transcribing one short name
WAITING_STATUSES = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def connect(url: str) -> redis.Redis:
    # Short timeouts: a webhook must answer fast even when Redis is down.
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def queue_name(settings: Settings, db: Database) -> str:
    """The queue of this deployment: its name carries the id its database holds.

    Deployments that share a Redis server then never see each other's jobs: a worker only
    listens on the queue of the database it was given.
    """
    with db.session() as s:
        return f"{settings.queue_name}-{deployment_id(s)}"


def recordings_queue(settings: Settings, db: Database, connection: redis.Redis) -> Queue:
    return Queue(queue_name(settings, db), connection=connection)


def job_id(queue: Queue, recording_sid: str) -> str:
    # Job ids are global in Redis: the queue's name keeps two deployments' ids apart.
    return f"{queue.name}-{recording_sid}"


def enqueue(queue: Queue, recording_sid: str, *, replace: bool = False) -> bool:
    """Queue the work on one recording; True if a job is (now) waiting for it."""
    jid = job_id(queue, recording_sid)
    if replace:
        with contextlib.suppress(NoSuchJobError):
            Job.fetch(jid, connection=queue.connection).delete()
    with contextlib.suppress(DuplicateJobError):
        queue.enqueue(
            "workers.jobs.process_recording",
            recording_sid,
            job_id=jid,
            unique=True,
            job_timeout=JOB_TIMEOUT,
            retry=Retry(max=4, interval=[10, 30, 120, 600]),
            failure_ttl=7 * 24 * 3600,
        )
    return True


def dispatch_after_commit(db: Database, queue: Queue, recording_sid: str) -> bool:
    """Called by a webhook after its commit, which marked the recording as queued.

    If Redis is down the mark is taken back, so the sweeper queues the recording as soon as it
    can (and if even that fails, the sweeper finds a marked recording without a job later).
    """
    try:
        enqueue(queue, recording_sid)
    except redis.RedisError as exc:
        log.warning("queue unreachable, %s waits for the sweeper: %s", recording_sid, exc)
        with db.session() as s:
            s.execute(
                sa.update(Recording)
                .where(Recording.recording_sid == recording_sid)
                .values(enqueued_at=None)
            )
        return False
    return True


def _job_status(queue: Queue, recording_sid: str) -> JobStatus | None:
    try:
        job = Job.fetch(job_id(queue, recording_sid), connection=queue.connection)
    except NoSuchJobError:
        return None
    return job.get_status(refresh=False)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(db: Database, queue: Queue) -> int:
    """Put back on the queue every pending recording that no live job covers. Returns how many."""
    with db.session() as s:
        work.release_dead_claims(s, hostname=socket.gethostname(), is_alive=_process_alive)
    dispatched = 0
    with db.session() as s:
        for rec in work.pending(s):
            if rec.attempts >= work.MAX_ATTEMPTS:
                work.release(rec, error=rec.last_error or "too many attempts", give_up=True)
                continue
            status = _job_status(queue, rec.recording_sid)
            if status in WAITING_STATUSES:
                rec.enqueued_at = rec.enqueued_at or utcnow()
                continue
            # A started job is left alone unless its worker was found dead (enqueued_at cleared).
            if status == JobStatus.STARTED and rec.enqueued_at is not None:
                continue
            enqueue(queue, rec.recording_sid, replace=True)
            rec.enqueued_at = utcnow()
            dispatched += 1
    return dispatched
