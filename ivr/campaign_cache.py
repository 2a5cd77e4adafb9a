"""Campaigns by dialled number and by id, kept in the web process for a second.

Every call starts with "which campaign answers on this number?", and on launch evening that is
hundreds of identical questions a second. The answer is kept for CAMPAIGN_CACHE_SECONDS, so a
change (a campaign closed, a number added) reaches new calls within that second on every web
process, and at once on the process that made it (the staff pages clear it after a change).
The campaigns are detached copies: read their columns, never their relationships.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

import sqlalchemy as sa

from petition.db import Database
from petition.models import Campaign, CampaignNumber
from petition.privacy import phones

CAMPAIGN_CACHE_SECONDS = 1.0
MAX_NUMBERS = 1000  # dialled numbers remembered as written
MAX_ANSWERS = 1000  # answers kept: a few per campaign


class CampaignCache:
    def __init__(self, db: Database, ttl: float = CAMPAIGN_CACHE_SECONDS) -> None:
        self._db = db
        self._ttl = ttl
        self._by_number: dict[str, tuple[float, Campaign | None]] = {}
        self._by_id: dict[int, tuple[float, Campaign | None]] = {}
        self._numbers: dict[str, str | None] = {}  # as the carrier writes them -> E.164
        self._answers: dict[Hashable, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def by_number(self, dialled: str | None) -> Campaign | None:
        """The campaign that answers on `dialled` (any common way of writing it), or None."""
        raw = dialled or ""
        number = self._numbers.get(raw, "")
        if number == "":
            number = phones.normalize(raw)
            if len(self._numbers) < MAX_NUMBERS:
                self._numbers[raw] = number
        if number is None:
            return None
        hit = self._by_number.get(number)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        with self._db.session() as s:
            campaign = s.scalar(
                sa.select(Campaign).join(CampaignNumber).where(CampaignNumber.number == number)
            )
        self._remember(campaign, number)
        return campaign

    def by_id(self, campaign_id: int) -> Campaign | None:
        hit = self._by_id.get(campaign_id)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        with self._db.session() as s:
            campaign = s.get(Campaign, campaign_id)
        self._remember(campaign, None, campaign_id)
        return campaign

    def _remember(
        self, campaign: Campaign | None, number: str | None, campaign_id: int | None = None
    ) -> None:
        now = time.monotonic()
        with self._lock:
            if number is not None:
                self._by_number[number] = (now, campaign)
            if campaign is not None:
                self._by_id[campaign.id] = (now, campaign)
            elif campaign_id is not None:
                self._by_id[campaign_id] = (now, None)

    def answer(self, key: Hashable, build: Callable[[], str]) -> str:
        """The TwiML for `key` (a campaign, the state of a call, the base URL), built once a
        second: every new call of a campaign hears the same first answer."""
        hit = self._answers.get(key)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        body = build()
        with self._lock:
            if len(self._answers) >= MAX_ANSWERS:
                self._answers.clear()
            self._answers[key] = (time.monotonic(), body)
        return body

    def clear(self) -> None:
        with self._lock:
            self._by_number.clear()
            self._by_id.clear()
            self._answers.clear()
