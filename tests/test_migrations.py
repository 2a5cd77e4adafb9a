"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg.sql
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.dialects import postgresql

from petition.db import Database, alembic_config
from petition.integrity import guards
from petition.models import Base, Call, utcnow
from tests.conftest import add_campaign, empty_postgres


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_migrations_go_down_and_up_again(db: Database) -> None:
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
        command.upgrade(cfg, "head")
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def _young_calls(campaign_id: int, now: datetime) -> list[dict[str, Any]]:
    """4,000 calls of the last few minutes, from as many numbers in 50 ranges."""
    return [
        {
            "call_sid": f"CALAUNCH{n:05d}",
            "campaign_id": campaign_id,
            "caller_hash": f"{n:064x}",
            "caller_masked": "+32 •••",
            "caller_withheld": False,
            "caller_range": f"+3247{n % 50:02d}",
            "started_at": now - timedelta(seconds=n % 500),
        }
        for n in range(4000)
    ]


@pytest.mark.postgres
def test_the_per_number_count_reads_the_numbers_index_on_a_young_table(postgres_url: str) -> None:
    """Without statistics (no ANALYZE yet: a launch), PostgreSQL once counted a number's calls
    through the campaign's timeline index, reading every call of the window."""
    empty_postgres(postgres_url)
    db = Database(postgres_url)
    campaign_id = add_campaign(db, slug="launch", number="+3220000003")
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(sa.insert(Call), _young_calls(campaign_id, now))
        statement = sa.select(
            guards.earlier_calls(campaign_id, f"{7:064x}", now - guards.REPEAT_WINDOW, now, None)
        )
        compiled = statement.compile(dialect=conn.dialect)
        plan = "\n".join(
            row[0] for row in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
        )
        assert conn.scalar(statement) == 1
    db.dispose()
    assert "ix_calls_number_recent" in plan, plan
    assert "ix_calls_timeline" not in plan, plan


@pytest.mark.postgres
def test_plans_made_on_an_empty_table_still_read_the_counts_own_indexes(postgres_url: str) -> None:
    """psycopg prepares a statement run five times, and PostgreSQL may then keep one generic
    plan for it on that connection, made at a launch while `calls` was empty and kept until
    autovacuum's first ANALYZE. A count whose plan was then drawn to another index would read
    every call of the window for each new call (seen with a variant of the per-number count and
    an index on the start time alone, migration 0008). Here both counts of a new call are
    prepared and planned on an empty table, and explained after 4,000 calls."""
    empty_postgres(postgres_url)
    db = Database(postgres_url)
    campaign_id = add_campaign(db, slug="launch", number="+3220000004")
    now = utcnow()
    burst_start = now - guards.BURST_WINDOW
    counts = {
        "ix_calls_number_recent": sa.select(
            guards.earlier_calls(campaign_id, f"{7:064x}", now - guards.REPEAT_WINDOW, now, None)
        ),
        "ix_calls_range_recent": guards.range_calls(campaign_id, "+324707", burst_start, now),
    }
    calls = _young_calls(campaign_id, now)
    expected = {
        "ix_calls_number_recent": 1,
        "ix_calls_range_recent": sum(
            1 for c in calls if c["caller_range"] == "+324707" and c["started_at"] > burst_start
        ),
    }
    positional = postgresql.dialect(paramstyle="numeric_dollar")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        driver = conn.connection.driver_connection
        executes = {}
        for index, statement in counts.items():
            compiled = statement.compile(dialect=positional)
            name = index.removeprefix("ix_calls_")
            args = ", ".join(
                psycopg.sql.Literal(compiled.params[key]).as_string(driver)
                for key in compiled.positiontup or ()
            )
            conn.exec_driver_sql(f"PREPARE {name} AS {compiled}")
            executes[index] = f"EXECUTE {name}({args})"
            conn.exec_driver_sql(executes[index])  # the plan is made now, on the empty table
        conn.execute(sa.insert(Call), calls)
        for index, execute in executes.items():
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + execute))
            assert index in plan, plan
            assert conn.exec_driver_sql(execute).scalar() == expected[index]
    db.dispose()
