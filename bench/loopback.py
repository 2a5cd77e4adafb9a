"""What the benches that run the whole service on this machine share: a PostgreSQL database
of their own with one campaign, free ports, and waiting for a server to listen."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import redis

from petition.db import Database
from petition.models import Campaign, CampaignNumber

ADMIN_PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")


@contextmanager
def campaign_database(
    slug: str, languages: str, number: str, *, read_back: bool = True
) -> Iterator[str]:
    """A fresh PostgreSQL database, migrated, holding one campaign on `number` (reading names
    back to callers, or not); its URL. The bench's Redis database is emptied too. Both are
    gone (or empty) afterwards."""
    name = f"petition_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_PG_URL.rsplit("/", 1)[0] + f"/{name}"
    redis.Redis.from_url(REDIS_URL).flushdb()
    try:
        db = Database(url)
        db.migrate()
        with db.session() as s:
            s.add(
                Campaign(
                    slug=slug,
                    title=slug.capitalize(),
                    languages=languages,
                    numbers=[CampaignNumber(number=number)],
                    read_back=read_back,
                )
            )
        db.dispose()
        yield url
    finally:
        with psycopg.connect(ADMIN_PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        redis.Redis.from_url(REDIS_URL).flushdb()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {seconds:.0f} s")
