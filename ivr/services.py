"""What request handlers share: settings, the database and the queue.

The factory (ivr/app.py) puts a `Services` into the app; blueprints reach it through
`services()`, so they import this module and never the factory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from rq import Queue

from petition.config import Settings, embedded_redis_url
from petition.db import Database
from workers.queue import connect


@dataclass
class Services:
    """Settings, the database and (made on first use) the queue."""

    settings: Settings
    db: Database
    _queue: Queue | None = field(default=None)

    @property
    def redis_url(self) -> str:
        return self.settings.redis_url or embedded_redis_url(self.settings.data_dir)

    @property
    def queue(self) -> Queue:
        if self._queue is None:
            self._queue = Queue(self.settings.queue_name, connection=connect(self.redis_url))
        return self._queue


def services() -> Services:
    svc: Services = current_app.extensions["petition"]
    return svc
