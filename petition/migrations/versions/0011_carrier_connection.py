"""the carrier's number connected from the product, and test calls

A campaign's number remembers the carrier's id for it (PN...), when it was connected, and what
its voice settings were before, so a disconnect can put them back. A call placed from the staff
pages to test the line is marked, and its signature never counts.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_numbers") as batch:
        batch.add_column(sa.Column("carrier_sid", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("connected_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("previous", sa.JSON(), nullable=True))
    with op.batch_alter_table("calls") as batch:
        batch.add_column(
            sa.Column("is_test", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("calls") as batch:
        batch.alter_column("is_test", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("is_test")
    with op.batch_alter_table("campaign_numbers") as batch:
        batch.drop_column("previous")
        batch.drop_column("connected_at")
        batch.drop_column("carrier_sid")
