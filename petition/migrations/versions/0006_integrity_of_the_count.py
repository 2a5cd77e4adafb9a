"""integrity of the count: audio fingerprints and their index, audio groups, number ranges,
STIR/SHAKEN verdicts, per-number and burst limits, bulk invalidations

Calls made before this revision have no number range (only the caller's hash was kept), so
bursts are seen from the calls after it.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CAMPAIGN_SETTINGS = (
    ("repeat_call_limit", sa.Integer(), "3"),
    ("burst_min_calls", sa.Integer(), "10"),
    ("hold_bursts", sa.Boolean(), sa.true()),
)


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        for name, kind, default in CAMPAIGN_SETTINGS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
    with op.batch_alter_table("campaigns") as batch:
        for name, _kind, _default in CAMPAIGN_SETTINGS:
            batch.alter_column(name, server_default=None)

    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("caller_range", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("stir_verstat", sa.String(length=40), nullable=True))
        batch.create_index("ix_calls_caller_recent", ["campaign_id", "caller_hash", "started_at"])
        batch.create_index("ix_calls_range_recent", ["campaign_id", "caller_range", "started_at"])

    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("fingerprint", sa.LargeBinary(), nullable=True))

    op.create_table(
        "audio_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audio_keys_lookup", "audio_keys", ["campaign_id", "key", "recording_id"])
    op.create_index("ix_audio_keys_recording_id", "audio_keys", ["recording_id"])

    with op.batch_alter_table("signatures") as batch:
        batch.add_column(sa.Column("audio_group_id", sa.Integer(), nullable=True))
        batch.create_index("ix_signatures_audio_group_id", ["audio_group_id"])

    op.create_table(
        "bulk_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("selection", sa.JSON(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("uncounted", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bulk_actions_campaign_id", "bulk_actions", ["campaign_id"])

    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("bulk_action_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_audit_events_bulk_action_id_bulk_actions",
            "bulk_actions",
            ["bulk_action_id"],
            ["id"],
        )
        batch.create_index("ix_audit_events_bulk_action_id", ["bulk_action_id"])


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_bulk_action_id")
        batch.drop_constraint("fk_audit_events_bulk_action_id_bulk_actions", type_="foreignkey")
        batch.drop_column("bulk_action_id")
    op.drop_index("ix_bulk_actions_campaign_id", table_name="bulk_actions")
    op.drop_table("bulk_actions")
    with op.batch_alter_table("signatures") as batch:
        batch.drop_index("ix_signatures_audio_group_id")
        batch.drop_column("audio_group_id")
    op.drop_index("ix_audio_keys_recording_id", table_name="audio_keys")
    op.drop_index("ix_audio_keys_lookup", table_name="audio_keys")
    op.drop_table("audio_keys")
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("fingerprint")
    with op.batch_alter_table("calls") as batch:
        batch.drop_index("ix_calls_range_recent")
        batch.drop_index("ix_calls_caller_recent")
        batch.drop_column("stir_verstat")
        batch.drop_column("caller_range")
    with op.batch_alter_table("campaigns") as batch:
        for name, _kind, _default in CAMPAIGN_SETTINGS:
            batch.drop_column(name)
