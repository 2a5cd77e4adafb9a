"""campaign details for the staff pages: description, custom deadline, opening and closing
date-times, time zone, the organisation for the export

Existing campaigns keep behaving as before: no description, no schedule (the manual switch
alone opens and closes them), Europe/Brussels, no organisation named.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("rule_deadline", sa.Date(), nullable=True))
        batch.add_column(sa.Column("opens_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("closes_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column(
                "time_zone", sa.String(length=64), nullable=False, server_default="Europe/Brussels"
            )
        )
        batch.add_column(
            sa.Column("organisation_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column(
                "organisation_contact", sa.String(length=200), nullable=False, server_default=""
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        for column in (
            "organisation_contact",
            "organisation_name",
            "time_zone",
            "closes_at",
            "opens_at",
            "rule_deadline",
            "description",
        ):
            batch.drop_column(column)
