"""encrypt platform ids and chat ids at rest

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from core import crypto
from core.config import ConfigError, Settings

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Room for any 255-character id once encrypted: crypto.stored_length(255) when this was written.
ENCRYPTED_LENGTH = 1387
# Widened, since nothing references these tables and SQLite may rebuild them safely.
WIDENED = (("platform_identities", "external_id"), ("outbox", "recipient"))
# Kept at 255 characters: rebuilding `rounds` on SQLite would delete every row that
# references it. A chat id of up to 173 bytes fits encrypted.
KEPT = (("rounds", "digest_chat"),)
COLUMNS = tuple(crypto.EncryptedColumn(t, "id", c) for t, c in (*WIDENED, *KEPT))


class _Key:
    """The key, looked for only once a row needs it: an empty database needs none."""

    def __init__(self) -> None:
        self._cipher: crypto.Cipher | None = None

    def __call__(self) -> crypto.Cipher:
        if self._cipher is None:
            # The key `consulta db upgrade` was started with, else the settings' own.
            if crypto.has_key():
                self._cipher = crypto.cipher()
            else:
                secret = Settings().secret("secret_key")
                if secret is None:
                    raise ConfigError(crypto.MISSING_KEY)
                self._cipher = crypto.Cipher(secret)
        return self._cipher


def _recode(change: Callable[[crypto.Cipher, str], str]) -> None:
    key = _Key()
    connection = op.get_bind()
    for where in COLUMNS:
        crypto.recode(connection, where, lambda value: change(key(), value))


def upgrade() -> None:
    for table, column in WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=255),
                type_=sa.String(length=ENCRYPTED_LENGTH),
                existing_nullable=False,
            )
    _recode(lambda cipher, plain: cipher.encrypt(plain))


def downgrade() -> None:
    _recode(lambda cipher, stored: cipher.decrypt(stored))
    for table, column in WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=ENCRYPTED_LENGTH),
                type_=sa.String(length=255),
                existing_nullable=False,
            )
