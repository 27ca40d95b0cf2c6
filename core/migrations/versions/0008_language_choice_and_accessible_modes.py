"""language choice, text-only and easy-read modes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        # Languages set before this revision may have come from a platform hint; treating them
        # as hints lets a person's own later choice or a better hint take over.
        batch_op.add_column(
            sa.Column("language_chosen", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("text_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("easy_read", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("easy_read", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_column("easy_read")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("easy_read")
        batch_op.drop_column("text_only")
        batch_op.drop_column("language_chosen")
