"""surveys rounds conversations answers

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "deliveries",
        sa.Column(
            "platform",
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
            nullable=False,
        ),
        sa.Column("delivery_id", sa.String(length=120), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "delivery_id", name=op.f("pk_deliveries")),
    )
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("slug", name=op.f("uq_surveys_slug")),
    )
    op.create_table(
        "survey_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_versions_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_versions")),
        sa.UniqueConstraint("survey_id", "version", name="uq_survey_version"),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("survey_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "consent",
                "active",
                "paused",
                "stopped",
                "declined",
                "completed",
                name="conversationstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("cursor", sa.String(length=120), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("selections", sa.JSON(), nullable=False),
        sa.Column("pending", sa.JSON(), nullable=False),
        sa.Column("prompt_seq", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "channel",
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
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_conversations_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_conversations_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_version_id"],
            ["survey_versions.id"],
            name=op.f("fk_conversations_survey_version_id_survey_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("participant_id", "round_id", name="uq_conversation_participant_round"),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversations_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_conversations_round_id"), ["round_id"], unique=False)

    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("survey_version_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=True),
        sa.Column("slot", sa.String(length=80), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "channel",
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
            nullable=False,
        ),
        sa.Column(
            "disclosure",
            sa.Enum(
                "named",
                "organisation",
                "anonymous",
                name="disclosure",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_answers_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_answers_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_answers_recommendation_id_recommendations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_answers_round_id_rounds"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["survey_version_id"],
            ["survey_versions.id"],
            name=op.f("fk_answers_survey_version_id_survey_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint("conversation_id", "slot", "version", name="uq_answer_slot_version"),
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answers_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_answers_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(
            "ix_answers_round_question", ["round_id", "question_id"], unique=False
        )

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("survey_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("scope", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(
            sa.Column("audience", sa.JSON(), nullable=False, server_default='{"mode": "open"}')
        )
        batch_op.add_column(
            sa.Column(
                "default_disclosure",
                sa.Enum(
                    "named",
                    "organisation",
                    "anonymous",
                    name="disclosure",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="anonymous",
            )
        )
        batch_op.add_column(
            sa.Column(
                "allow_disclosure_choice", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_rounds_survey_id_surveys"),
            "surveys",
            ["survey_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:

    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_rounds_survey_id_surveys"), type_="foreignkey")
        batch_op.drop_column("allow_disclosure_choice")
        batch_op.drop_column("default_disclosure")
        batch_op.drop_column("audience")
        batch_op.drop_column("scope")
        batch_op.drop_column("survey_id")

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("opted_out_at")

    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index("ix_answers_round_question")
        batch_op.drop_index(batch_op.f("ix_answers_participant_id"))
        batch_op.drop_index(batch_op.f("ix_answers_conversation_id"))

    op.drop_table("answers")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_round_id"))
        batch_op.drop_index(batch_op.f("ix_conversations_participant_id"))

    op.drop_table("conversations")
    op.drop_table("survey_versions")
    op.drop_table("surveys")
    op.drop_table("deliveries")
