"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from petition import integrity
from petition.db import Database, alembic_config
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


@pytest.mark.postgres
def test_the_per_number_count_reads_the_numbers_index_on_a_young_table(postgres_url: str) -> None:
    """Without statistics (no ANALYZE yet: a launch), PostgreSQL once counted a number's calls
    through the campaign's timeline index, reading every call of the window."""
    empty_postgres(postgres_url)
    db = Database(postgres_url)
    campaign_id = add_campaign(db, slug="launch", number="+3220000003")
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(
            sa.insert(Call),
            [
                {
                    "call_sid": f"CALAUNCH{n:05d}",
                    "campaign_id": campaign_id,
                    "caller_hash": f"{n:064x}",
                    "caller_masked": "+32 •••",
                    "caller_withheld": False,
                    "started_at": now - timedelta(seconds=n % 500),
                }
                for n in range(4000)
            ],
        )
        statement = sa.select(
            integrity.earlier_calls(
                campaign_id, f"{7:064x}", now - integrity.REPEAT_WINDOW, now, None
            )
        )
        compiled = statement.compile(dialect=conn.dialect)
        plan = "\n".join(
            row[0] for row in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
        )
        assert conn.scalar(statement) == 1
    db.dispose()
    assert "ix_calls_number_recent" in plan, plan
    assert "ix_calls_timeline" not in plan, plan
