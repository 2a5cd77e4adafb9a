"""`petition worker`: an RQ worker that loads the Whisper model once and sweeps lost work."""

from __future__ import annotations

import logging
import threading
import time

import redis
from rq import Queue, SimpleWorker

from petition.config import Settings
from petition.privacy import apply_retention
from workers import context, queue

log = logging.getLogger(__name__)


RETENTION_EVERY_SECONDS = 3600


def sweeper_loop(ctx: context.WorkerContext, q: Queue, stop: threading.Event) -> None:
    """Every few seconds, re-queue lost work; every hour, apply the retention period.

    Each guarded on its own: retention must go on while Redis is down, and a sweeper that
    died silently would strand work.
    """
    last_retention = 0.0
    while not stop.is_set():
        try:
            n = queue.sweep(ctx.db, q)
            if n:
                log.info("sweeper re-queued %d recording(s)", n)
        except (redis.RedisError, OSError) as exc:
            log.warning("sweeper: queue unreachable: %s", exc)
        except Exception:
            log.exception("sweeper failed")
        if time.monotonic() - last_retention > RETENTION_EVERY_SECONDS:
            try:
                with ctx.db.session() as s:
                    deleted = apply_retention(s)
                last_retention = time.monotonic()
                if deleted:
                    log.info("retention: deleted %d recording(s)", deleted)
            except Exception:
                log.exception("retention failed")
        stop.wait(ctx.settings.sweep_interval_seconds)


def run_worker(settings: Settings, redis_url: str, *, burst: bool = False) -> None:
    """Work the recordings queue until stopped (or until empty, with burst)."""
    ctx = context.configure(settings)
    ctx.db.migrate()
    # SimpleWorker runs jobs in this process: CTranslate2 models are not fork-safe, and the
    # model then loads once instead of once per job.
    _ = ctx.transcriber
    conn = redis.Redis.from_url(redis_url)
    q = Queue(settings.queue_name, connection=conn)
    stop = threading.Event()
    queue.sweep(ctx.db, q)
    sweeper = threading.Thread(target=sweeper_loop, args=(ctx, q, stop), daemon=True)
    sweeper.start()
    try:
        SimpleWorker([q], connection=conn).work(burst=burst, with_scheduler=True)
    finally:
        stop.set()
