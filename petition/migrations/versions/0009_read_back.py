"""read-back in the call: per-campaign switches, the keys a caller pressed

Campaigns made before this revision keep the call they had (read-back and keypad spelling off);
new campaigns get both on (the model's default). The keys go with the recording and are
deleted with it.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column("read_back", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("keypad_spelling", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("campaigns") as batch:
        batch.alter_column("read_back", server_default=None)
        batch.alter_column("keypad_spelling", server_default=None)
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("keypad", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("keypad")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("keypad_spelling")
        batch.drop_column("read_back")
