"""the per-number count reads an index led by the caller's number

The count of a number's recent calls (the per-number limit, asked with every new call) went
through an index led by the campaign; on a young table PostgreSQL chose the campaign's timeline
index instead and read every call of the window. An index led by the number leaves it no such
choice (petition/integrity/guards.py, earlier_calls).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.create_index("ix_calls_number_recent", ["caller_hash", "started_at"])
        batch.drop_index("ix_calls_caller_recent")


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.create_index("ix_calls_caller_recent", ["campaign_id", "caller_hash", "started_at"])
        batch.drop_index("ix_calls_number_recent")
