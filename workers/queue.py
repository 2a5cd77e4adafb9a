"""Handing recordings to the queue, and getting lost ones back onto it."""

from __future__ import annotations

import contextlib
import logging
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
# A live job still waiting after this long is of no use to a caller on the line (the call has
# moved on to the thank-you by then); it expires, and the recording's own job takes the name.
LIVE_JOB_TTL = 10
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


def live_queue(settings: Settings, db: Database, connection: redis.Redis) -> Queue:
    """The live lane: recordings whose caller waits on the line for the read-back. Every
    worker takes its jobs before the backlog's."""
    return Queue(queue_name(settings, db) + "-live", connection=connection)


def live_queue_for(recordings: Queue) -> Queue:
    return Queue(recordings.name + "-live", connection=recordings.connection)


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


def enqueue_live(queue: Queue, recording_sid: str) -> None:
    """Ask for the recording at once, ahead of the backlog, for a caller waiting on the line.

    The recording's own job is queued as well: whichever a worker takes first claims the
    recording, and the other finds nothing to do. So the name is decoded once, and a live job
    that expires or dies loses nothing.
    """
    with contextlib.suppress(DuplicateJobError):
        live_queue_for(queue).enqueue(
            "workers.jobs.read_back_recording",
            recording_sid,
            job_id=job_id(queue, recording_sid) + "-live",
            unique=True,
            job_timeout=JOB_TIMEOUT,
            ttl=LIVE_JOB_TTL,
            result_ttl=60,
            failure_ttl=3600,
        )


def live_lane_waiting(queue: Queue) -> int:
    """How many callers' recordings wait in the live lane now."""
    return live_queue_for(queue).count


def dispatch_after_commit(
    db: Database, queue: Queue, recording_sid: str, *, live: bool = False
) -> bool:
    """Called by a webhook after its commit, which marked the recording as queued.

    With `live`, the recording also goes to the live lane (see `enqueue_live`).
    If Redis is down the mark is taken back, so the sweeper queues the recording as soon as it
    can (and if even that fails, the sweeper finds a marked recording without a job later).
    """
    try:
        if live:
            enqueue_live(queue, recording_sid)
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


def sweep(db: Database, queue: Queue) -> int:
    """Put back on the queue every pending recording that no live job covers. Returns how many."""
    with db.session() as s:
        work.release_dead_claims(s, hostname=socket.gethostname(), is_alive=work.process_alive)
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
