"""schedule reminders notifications

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_notifications_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_notifications_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "round_id", "participant_id", "kind", "number", name="uq_notification_once"
        ),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_participant_id"), ["participant_id"], unique=False
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("uncertain_attempts", sa.Integer(), nullable=False, server_default="0")
        )

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))

    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_every_hours", sa.Integer(), nullable=False, server_default="72")
        )
        batch_op.add_column(
            sa.Column("max_reminders", sa.Integer(), nullable=False, server_default="2")
        )
        batch_op.add_column(
            sa.Column("quiet_hours_start", sa.Integer(), nullable=False, server_default="21")
        )
        batch_op.add_column(
            sa.Column("quiet_hours_end", sa.Integer(), nullable=False, server_default="8")
        )
        batch_op.add_column(
            sa.Column("closing_notice_hours", sa.Integer(), nullable=False, server_default="48")
        )
        batch_op.add_column(
            sa.Column(
                "digest_platform",
                sa.Enum(
                    "slack",
                    "telegram",
                    "webhook",
                    "web",
                    "terminal",
                    name="platform",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("digest_chat", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("digest_every", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_column("last_digest_at")
        batch_op.drop_column("digest_every")
        batch_op.drop_column("digest_chat")
        batch_op.drop_column("digest_platform")
        batch_op.drop_column("closing_notice_hours")
        batch_op.drop_column("quiet_hours_end")
        batch_op.drop_column("quiet_hours_start")
        batch_op.drop_column("max_reminders")
        batch_op.drop_column("reminder_every_hours")

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("timezone")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("uncertain_attempts")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_participant_id"))

    op.drop_table("notifications")
