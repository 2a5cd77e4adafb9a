"""calls: no index on the start time alone, none on the campaign alone

Every query on `calls` by time names its campaign, which ix_calls_timeline leads with; so does
the one on the campaign alone. Both indexes go: nothing reads them, and each cost every INSERT.
The one on the start time was also a trap for the counts of a new call: a hand-written variant
of the per-number count (now() in place of its bound times), prepared while the table was
young, kept a generic plan that read it backwards and filtered every call of the window, 10 ms
a call until autovacuum's first ANALYZE (tests/test_migrations.py checks the product's counts).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_index("ix_calls_started_at")
        batch.drop_index("ix_calls_campaign_id")


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.create_index("ix_calls_campaign_id", ["campaign_id"])
        batch.create_index("ix_calls_started_at", ["started_at"])
