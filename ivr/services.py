"""What request handlers share: settings, the database, the queue and the campaigns.

The factory (ivr/app.py) puts a `Services` into the app; blueprints reach it through
`services()`, so they import this module and never the factory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from rq import Queue

from ivr.campaign_cache import CampaignCache
from petition.config import Settings, embedded_redis_url
from petition.db import Database
from workers.queue import connect, recordings_queue


@dataclass
class Services:
    """Settings, the database, (made on first use) the queue, and the campaigns by number."""

    settings: Settings
    db: Database
    campaigns: CampaignCache
    _queue: Queue | None = field(default=None)

    @property
    def redis_url(self) -> str:
        return self.settings.redis_url or embedded_redis_url(self.settings.data_dir)

    @property
    def queue(self) -> Queue:
        if self._queue is None:
            self._queue = recordings_queue(self.settings, self.db, connect(self.redis_url))
        return self._queue


def services() -> Services:
    svc: Services = current_app.extensions["petition"]
    return svc
