"""Alembic environment: runs on the connection handed over by petition.db.Database.migrate."""

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from petition.models import Base

config = context.config
connection = config.attributes.get("connection")


def run(conn: Connection) -> None:
    # batch mode lets ALTER TABLE work on SQLite too
    context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        run(conn)
