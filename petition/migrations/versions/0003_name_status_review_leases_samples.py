"""name status instead of a name-check flag; review leases; random samples of machine readings

`name_check` (a person should check the name) becomes `name_status`: confirmed, machine,
to_check or missing. Existing rows: a flagged name is to_check; a name a person accepted or
corrected (the audit log says so) is confirmed; an empty counted name not flagged is to_check
(the old review page let an empty name through); the rest is machine.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_STATS_COLUMNS = [
    "campaign_id",
    "state",
    "reason",
    "region",
    "language",
    "caller_country",
    "name_check",
]
STATS_COLUMNS = [*OLD_STATS_COLUMNS[:-1], "name_status"]
PERSON_NAME_ACTIONS = ("accepted", "name_corrected")


def upgrade() -> None:
    op.create_table(
        "name_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.Column("drawn_by", sa.String(length=200), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("name_samples") as batch:
        batch.create_index("ix_name_samples_campaign_id", ["campaign_id"])

    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column("check_every_name", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("signatures") as batch:
        batch.add_column(
            sa.Column("name_status", sa.String(length=12), nullable=False, server_default="machine")
        )
        batch.add_column(sa.Column("name_signals", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("review_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("review_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("sample_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_signatures_sample_id_name_samples", "name_samples", ["sample_id"], ["id"]
        )

    signatures = sa.table(
        "signatures",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_check", sa.Boolean),
        sa.column("name_status", sa.String),
    )
    events = sa.table(
        "audit_events",
        sa.column("signature_id", sa.Integer),
        sa.column("actor", sa.String),
        sa.column("action", sa.String),
    )
    by_a_person = sa.select(events.c.signature_id).where(
        events.c.action.in_(PERSON_NAME_ACTIONS), events.c.actor != "worker"
    )
    op.execute(
        signatures.update()
        .where(signatures.c.id.in_(by_a_person), sa.func.coalesce(signatures.c.name, "") != "")
        .values(name_status="confirmed")
    )
    op.execute(
        signatures.update()
        .where(
            signatures.c.name_status == "machine",
            sa.or_(
                signatures.c.name_check.is_(True), sa.func.coalesce(signatures.c.name, "") == ""
            ),
        )
        .values(name_status="to_check")
    )

    with op.batch_alter_table("signatures") as batch:
        batch.drop_index("ix_signatures_stats")
        batch.drop_column("name_check")
        batch.alter_column("name_status", server_default=None)
        batch.create_index("ix_signatures_stats", STATS_COLUMNS)
        batch.create_index(
            "ix_signatures_queue", ["campaign_id", "state", "name_status", "signed_at"]
        )
    with op.batch_alter_table("campaigns") as batch:
        batch.alter_column("check_every_name", server_default=None)

    op.create_table(
        "name_sample_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("machine_name", sa.String(length=200), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("checked_by", sa.String(length=200), nullable=True),
        sa.Column("right", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["sample_id"], ["name_samples.id"]),
        sa.ForeignKeyConstraint(["signature_id"], ["signatures.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sample_id", "signature_id"),
    )
    with op.batch_alter_table("name_sample_items") as batch:
        batch.create_index("ix_name_sample_items_sample_id", ["sample_id"])
        batch.create_index("ix_name_sample_items_signature_id", ["signature_id"])

    with op.batch_alter_table("audit_events") as batch:
        batch.create_index("ix_audit_events_campaign_at", ["campaign_id", "at"])


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_campaign_at")
    op.drop_table("name_sample_items")

    with op.batch_alter_table("signatures") as batch:
        batch.add_column(
            sa.Column("name_check", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    signatures = sa.table(
        "signatures", sa.column("name_check", sa.Boolean), sa.column("name_status", sa.String)
    )
    op.execute(
        signatures.update()
        .where(signatures.c.name_status == "to_check")
        .values(name_check=sa.true())
    )
    with op.batch_alter_table("signatures") as batch:
        batch.alter_column("name_check", server_default=None)
        batch.drop_index("ix_signatures_queue")
        batch.drop_index("ix_signatures_stats")
        batch.drop_constraint("fk_signatures_sample_id_name_samples", type_="foreignkey")
        batch.drop_column("sample_id")
        batch.drop_column("review_until")
        batch.drop_column("review_by")
        batch.drop_column("name_signals")
        batch.drop_column("name_status")
        batch.create_index("ix_signatures_stats", OLD_STATS_COLUMNS)

    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("check_every_name")

    with op.batch_alter_table("name_samples") as batch:
        batch.drop_index("ix_name_samples_campaign_id")
    op.drop_table("name_samples")
