"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("subject_type", sa.String(length=60), nullable=False),
        sa.Column("subject_id", sa.String(length=80), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index("ix_audit_log_subject", ["subject_type", "subject_id"], unique=False)

    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clusters")),
        sa.UniqueConstraint("name", name=op.f("uq_clusters_name")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "government",
                "nhri",
                "civil_society",
                "academia",
                "un",
                name="organisationtype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("content_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=120), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("paragraph", sa.String(length=40), nullable=True),
        sa.Column("document_symbol", sa.String(length=120), nullable=True),
        sa.Column("state_under_review", sa.String(length=120), nullable=False),
        sa.Column(
            "mechanism",
            sa.Enum(
                "upr",
                "treaty_body",
                "special_procedure",
                name="mechanism",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.String(length=255), nullable=False),
        sa.Column(
            "position",
            sa.Enum(
                "supported",
                "noted",
                "supported_in_part",
                name="position",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "recommendation", "concern", name="recommendationtype", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("upr_cycle", sa.Integer(), nullable=True),
        sa.Column("upr_session", sa.Integer(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("action_category", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
        sa.UniqueConstraint("key", name=op.f("uq_recommendations_key")),
    )
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendations_mechanism"), ["mechanism"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recommendations_source_id"), ["source_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recommendations_state_under_review"),
            ["state_under_review"],
            unique=False,
        )

    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "scheduled",
                "open",
                "closed",
                name="roundstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("default_language", sa.String(length=8), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("min_cell_size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
        sa.UniqueConstraint("code", name=op.f("uq_rounds_code")),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "theme",
                "affected_persons",
                "sdg_target",
                "recommending_state",
                "region",
                name="tagkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("code", sa.String(length=255), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("kind", "code", name="uq_tags_kind_code"),
    )
    op.create_table(
        "cluster_members",
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["clusters.id"],
            name=op.f("fk_cluster_members_cluster_id_clusters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_cluster_members_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cluster_id", "recommendation_id", name=op.f("pk_cluster_members")),
    )
    with op.batch_alter_table("cluster_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cluster_members_recommendation_id"), ["recommendation_id"], unique=False
        )

    op.create_table(
        "participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "organiser",
                "government",
                "nhri",
                "civil_society",
                "academic",
                "observer",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_participants_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participants")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_participants_pseudonym")),
        sa.UniqueConstraint("uid", name=op.f("uq_participants_uid")),
    )
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_participants_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "recommendation_tags",
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_recommendation_tags_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["tags.id"],
            name=op.f("fk_recommendation_tags_tag_id_tags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recommendation_id", "tag_id", name=op.f("pk_recommendation_tags")),
    )
    with op.batch_alter_table("recommendation_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recommendation_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "recommendation_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_recommendation_translations_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation_translations")),
        sa.UniqueConstraint("recommendation_id", "language", name="uq_translation_language"),
    )
    op.create_table(
        "responsible_entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("acronym", sa.String(length=40), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_responsible_entities_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsible_entities")),
        sa.UniqueConstraint("name", name=op.f("uq_responsible_entities_name")),
    )
    op.create_table(
        "round_recommendations",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_round_recommendations_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_recommendations_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "recommendation_id", name=op.f("pk_round_recommendations")
        ),
    )
    with op.batch_alter_table("round_recommendations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_round_recommendations_recommendation_id"),
            ["recommendation_id"],
            unique=False,
        )

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_api_tokens_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_tokens_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "platform_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
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
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_platform_identities_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_identities")),
        sa.UniqueConstraint("platform", "external_id", name="uq_identity_platform_external"),
    )
    with op.batch_alter_table("platform_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_platform_identities_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "recommendation_responsibilities",
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["responsible_entities.id"],
            name=op.f("fk_recommendation_responsibilities_entity_id_responsible_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_recommendation_responsibilities_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "entity_id", name=op.f("pk_recommendation_responsibilities")
        ),
    )
    with op.batch_alter_table("recommendation_responsibilities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendation_responsibilities_entity_id"), ["entity_id"], unique=False
        )

    _make_audit_log_append_only()


def _make_audit_log_append_only() -> None:
    # The database itself refuses to change or remove audit lines, whoever connects.
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            "ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")

    with op.batch_alter_table("recommendation_responsibilities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_responsibilities_entity_id"))

    op.drop_table("recommendation_responsibilities")
    with op.batch_alter_table("platform_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_identities_participant_id"))

    op.drop_table("platform_identities")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_participant_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("round_recommendations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_recommendations_recommendation_id"))

    op.drop_table("round_recommendations")
    op.drop_table("responsible_entities")
    op.drop_table("recommendation_translations")
    with op.batch_alter_table("recommendation_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_tags_tag_id"))

    op.drop_table("recommendation_tags")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participants_organisation_id"))

    op.drop_table("participants")
    with op.batch_alter_table("cluster_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cluster_members_recommendation_id"))

    op.drop_table("cluster_members")
    op.drop_table("tags")
    op.drop_table("rounds")
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendations_state_under_review"))
        batch_op.drop_index(batch_op.f("ix_recommendations_source_id"))
        batch_op.drop_index(batch_op.f("ix_recommendations_mechanism"))

    op.drop_table("recommendations")
    op.drop_table("organisations")
    op.drop_table("clusters")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_subject")
        batch_op.drop_index(batch_op.f("ix_audit_log_occurred_at"))

    op.drop_table("audit_log")
