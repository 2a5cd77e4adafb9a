"""Engine, sessions and schema migrations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import sqlalchemy as sa
import sqlalchemy.orm as so
from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
T = TypeVar("T")


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL (sqlite:///data/petition.sqlite3)."""
    return Path(url.split("///", 1)[-1])


def make_engine(url: str, *, pre_ping: bool = True, **kwargs: Any) -> sa.Engine:
    """An engine tuned per backend: SQLite gets WAL and a busy timeout for concurrent writers.

    Statement parameters (names, caller hashes) stay out of error messages and so out of logs.
    On PostgreSQL a pooled connection is tested with a round trip before use (pre_ping), so
    that a database restart costs no request; see Database.idempotent for the way without.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=pre_ping, **kwargs)


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = so.sessionmaker(self.engine, expire_on_commit=False)
        # Webhooks that are one idempotent statement: no BEGIN, no COMMIT, no pre-ping round
        # trip (a dead connection is retried instead, see idempotent()). Its own small pool.
        self._lean_engine = make_engine(url, pre_ping=False, pool_size=4, max_overflow=8)
        self._autocommit_sessions = so.sessionmaker(
            self._lean_engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
        )

    @contextmanager
    def session(self) -> Iterator[so.Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def idempotent(self, work: Callable[[so.Session], T]) -> T:
        """Run `work` in a session whose every statement commits on its own: no BEGIN, no
        COMMIT and no pre-ping round trips, for work that is one idempotent statement or a few
        (a webhook's INSERT ... ON CONFLICT DO NOTHING).

        A pooled connection that died (the database restarted since) fails its first
        statement; the pool is then emptied and `work` runs once more on a new connection,
        which is safe only because doing it twice changes nothing.
        """
        for attempt in (1, 2):
            try:
                with self._autocommit_sessions() as session:
                    return work(session)
            except sa.exc.DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_driver_connection(self, work: Callable[[Any], T]) -> T:
        """Run `work` on the driver's own connection (psycopg's), in autocommit, from the same
        lean pool as idempotent(): for the one statement of a new call, where SQLAlchemy's
        bookkeeping around a statement (session, result, ORM state) cost more CPU than the
        statement itself (bench/webhook_floor.py). PostgreSQL only.

        As in idempotent(), a connection the database dropped is replaced and `work` runs once
        more, so it must be safe to run twice.
        """
        for attempt in (1, 2):
            pooled = self._lean_engine.raw_connection()
            driver: psycopg.Connection[Any] = pooled.driver_connection  # type: ignore[assignment]
            try:
                driver.autocommit = True
                try:
                    return work(driver)
                finally:
                    if not driver.broken:
                        driver.autocommit = False  # as the pool hands it to a session
            except psycopg.OperationalError:
                if attempt == 2 or not driver.broken:
                    raise
                pooled.invalidate()
            finally:
                pooled.close()
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        """Close every pooled connection (before a fork, or when done)."""
        self.engine.dispose()
        self._lean_engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest migration (safe to run at every start)."""
        with self.engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def has_schema(self) -> bool:
        """Whether the database was ever migrated (an empty or foreign one was not)."""
        with self.engine.connect() as conn:
            return sa.inspect(conn).has_table("alembic_version")

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg
