"""gunicorn settings for the web app: `gunicorn -c infra/gunicorn.conf.py 'ivr.app:create_app()'`.

Webhooks are short and mostly wait on the database, so a few threaded workers per core suffice.

Metrics: with PROMETHEUS_MULTIPROC_DIR set (an empty folder, private to this gunicorn), every
worker writes its counters there and any worker's /metrics adds them all up. The folder is
emptied at start, and a worker that exits is marked dead.
"""

import logging
import multiprocessing
import os
from pathlib import Path

from petition import logs
from petition.config import log_options

bind = "127.0.0.1:8000"
workers = multiprocessing.cpu_count() * 2
threads = 4
worker_class = "gthread"
timeout = 30
# The carrier gives up on a webhook after 15 s; never keep a caller waiting longer than that.
graceful_timeout = 15
# The app logs one line per request itself, with its request id (LOG_FORMAT=json for JSON).
accesslog = None
forwarded_allow_ips = "127.0.0.1"

_format, _level = log_options()
loglevel = _level.lower()


def _our_logs() -> None:
    """gunicorn's own lines go through the app's handler too (same format, same scrubbing)."""
    logs.configure(_format, _level)
    for name in ("gunicorn.error", "gunicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


def on_starting(server):
    _our_logs()
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def post_fork(server, worker):
    _our_logs()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
