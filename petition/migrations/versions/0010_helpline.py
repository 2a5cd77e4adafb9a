"""a helpline the caller can reach with 0, and the transfers counted per day

The campaign keeps the helpline's number and whether the call offers it (off for every
campaign until an admin turns it on). Transfers are one counter per campaign and day: no row
names a call, a caller or a signature.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("helpline", sa.String(20), nullable=True))
        batch.add_column(
            sa.Column("offer_helpline", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("campaigns") as batch:
        batch.alter_column("offer_helpline", server_default=None)
    op.create_table(
        "helpline_transfers",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("helpline_transfers")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("offer_helpline")
        batch.drop_column("helpline")
