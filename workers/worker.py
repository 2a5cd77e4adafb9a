"""`petition worker`: an RQ worker that loads the Whisper model once and sweeps lost work."""

from __future__ import annotations

import logging
import threading
import time

import redis
from rq import Queue, SimpleWorker

from petition.config import Settings
from petition.privacy.erasure import apply_retention
from workers import context, queue
from workers.http import WorkerEndpoints, serve_in_background

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


def run_worker(
    settings: Settings,
    redis_url: str,
    *,
    burst: bool = False,
    http: tuple[str, int] | None = None,
) -> None:
    """Work this deployment's queue until stopped (or until empty, with burst).

    With `http` (host, port), also answer /healthz, /readyz and /metrics there.
    """
    ctx = context.configure(settings)
    ctx.db.migrate()
    # SimpleWorker runs jobs in this process: CTranslate2 models are not fork-safe, and the
    # model then loads once instead of once per job.
    _ = ctx.transcriber
    conn = redis.Redis.from_url(redis_url)
    q = queue.recordings_queue(settings, ctx.db, conn)
    live = queue.live_queue_for(q)
    log.info("working queues %s (first) and %s", live.name, q.name)
    stop = threading.Event()
    working = threading.Event()
    queue.sweep(ctx.db, q)
    sweeper = threading.Thread(target=sweeper_loop, args=(ctx, q, stop), daemon=True)
    sweeper.start()
    server = None
    if http is not None:
        endpoints = WorkerEndpoints(
            ctx, conn.ping, alive=lambda: working.is_set() and sweeper.is_alive()
        )
        server = serve_in_background(endpoints, *http)
    working.set()
    try:
        # RQ takes from the first queue that has a job: the live lane always goes first.
        SimpleWorker([live, q], connection=conn).work(burst=burst, with_scheduler=True)
    finally:
        working.clear()
        stop.set()
        if server is not None:
            server.shutdown()
