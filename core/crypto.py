"""Personal data at rest: platform ids and chat ids are stored encrypted with CONSULTA_SECRET_KEY.

How a person is known on a platform (a Slack user id, a Telegram chat id, a phone number behind
the webhook, a web link's key hash) and the chats messages wait for in the outbox are stored as
``v1:`` and the URL-safe base64 of AES-SIV ciphertext (RFC 5297), under a key derived from
CONSULTA_SECRET_KEY by HKDF-SHA256 with a fixed purpose label, so the same secret signing
dashboard sessions never meets this use of it.

Why deterministic: every incoming message is matched to its sender by the platform's id
(``PlatformIdentity.external_id == sender``), and the unique constraint on (platform, id) keeps
one identity per person. AES-SIV gives the same ciphertext for the same id, so those look-ups,
``in_()`` and the constraint work on ciphertext unchanged: SQLAlchemy passes the bound value
through the column's type, which encrypts it.

What it reveals: only whether two stored values are equal (the same person queued twice in the
outbox, say), and roughly how long they are. Not the ids themselves, and nothing that links a
row to a person on a platform without the key. It is authenticated: a value written under
another key, or changed by hand, is refused rather than read as something else.

The process configures the key once, before the database is used (`use_key`): the command line,
the servers and the bots do it from the settings as they start.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, MetaData, String, bindparam, column, select, table, update
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import ColumnClause, TableClause
from sqlalchemy.types import TypeDecorator

from core.config import ConfigError
from core.errors import InvalidInput
from core.i18n import N_

PREFIX = "v1:"
# Fixed forever: a new label would make every stored value unreadable.
PURPOSE = b"consulta/personal-data-at-rest/v1"
# AES-SIV's synthetic IV, which is also its authentication tag.
TAG_BYTES = 16
# A 512-bit AES-SIV key is AES-256 for both the MAC and the cipher halves.
KEY_BYTES = 64
# The shortest key `consulta keys rotate` accepts; `consulta config init` writes 43 characters.
MIN_SECRET_CHARACTERS = 32
# How many rows are read and rewritten at a time when the whole database is re-encrypted.
BATCH = 500

MISSING_KEY = N_(
    "CONSULTA_SECRET_KEY is not set, and platform ids and chat ids are stored encrypted with it. "
    "Run `consulta config init` to write a .env with fresh keys, or set it in the environment."
)


class UnreadableData(ConfigError):
    """Stored personal data does not decrypt with the key in use."""


class Cipher:
    """Deterministic, authenticated encryption of short texts under one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ConfigError(MISSING_KEY)
        key = HKDF(algorithm=SHA256(), length=KEY_BYTES, salt=None, info=PURPOSE).derive(
            secret.encode("utf-8")
        )
        self._siv = AESSIV(key)

    def encrypt(self, text: str) -> str:
        """The stored form of a text: the same text always gives the same value."""
        sealed = self._siv.encrypt(text.encode("utf-8"), None)
        return PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The text a stored value holds, or UnreadableData when this key did not write it."""
        if not stored.startswith(PREFIX):
            raise UnreadableData(
                N_(
                    "the database holds a platform id or chat id that is not encrypted: "
                    "run `consulta db upgrade`"
                )
            )
        try:
            sealed = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode("ascii"))
            return self._siv.decrypt(sealed, None).decode("utf-8")
        except (InvalidTag, ValueError):
            raise UnreadableData(
                N_(
                    "the platform ids and chat ids in the database do not decrypt with "
                    "CONSULTA_SECRET_KEY: it is not the key they were written with. Set "
                    "CONSULTA_SECRET_KEY back to that key (after `consulta keys rotate`, the "
                    "new one)."
                )
            ) from None


_cipher: Cipher | None = None


def use_key(secret: str | None) -> None:
    """Encrypt and decrypt personal data with this secret from now on; None forgets the key."""
    global _cipher
    _cipher = None if secret is None else Cipher(secret)


def has_key() -> bool:
    """Whether this process was given the key of personal data."""
    return _cipher is not None


def cipher() -> Cipher:
    """The cipher of the configured key, or a ConfigError saying how to set one."""
    if _cipher is None:
        raise ConfigError(MISSING_KEY)
    return _cipher


def stored_length(characters: int) -> int:
    """The column length that holds any text of this many characters once encrypted."""
    # Up to 4 UTF-8 bytes a character, the tag, base64's 4 characters for 3 bytes, the prefix.
    return len(PREFIX) + 4 * math.ceil((4 * characters + TAG_BYTES) / 3)


class EncryptedString(TypeDecorator[str]):
    """A short text, such as a platform id, stored encrypted under the configured key.

    The length is the stored column's; a text whose encrypted form would not fit is refused.
    """

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.stored = length

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        stored = cipher().encrypt(value)
        if len(stored) > self.stored:
            raise InvalidInput(
                N_("a platform id or chat id of {count} characters is too long to store"),
                count=len(value),
            )
        return stored

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else cipher().decrypt(value)


@dataclass(frozen=True)
class EncryptedColumn:
    """A column holding encrypted values, and its table's key."""

    table: str
    key: str
    column: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


def encrypted_columns(metadata: MetaData) -> list[EncryptedColumn]:
    """Every column of the schema whose type is EncryptedString."""
    found = []
    for each in metadata.sorted_tables:
        for candidate in each.columns:
            if isinstance(candidate.type, EncryptedString):
                (key,) = each.primary_key.columns
                found.append(EncryptedColumn(each.name, key.name, candidate.name))
    return found


def recode(connection: Connection, where: EncryptedColumn, change: Callable[[str], str]) -> int:
    """Rewrite every value of one column through `change`, in the caller's transaction.

    The values are read and written as stored, past the column's type; returns how many were
    rewritten. An exception from `change` leaves the transaction for the caller to roll back.
    """
    rows, key, value = _clauses(where)
    rewrite = (
        update(rows)
        .where(key == bindparam("row_key"))
        .values({where.column: bindparam("new_value")})
    )
    count = 0
    for batch in _batches(connection, key, value):
        connection.execute(rewrite, [{"row_key": k, "new_value": change(v)} for k, v in batch])
        count += len(batch)
    return count


def _clauses(where: EncryptedColumn) -> tuple[TableClause, ColumnClause[Any], ColumnClause[Any]]:
    # Untyped columns: values go in and out exactly as stored, never through EncryptedString.
    rows = table(where.table, column(where.key), column(where.column))
    return rows, rows.c[where.key], rows.c[where.column]


def _batches(
    connection: Connection, key: ColumnClause[Any], value: ColumnClause[Any]
) -> Iterator[list[tuple[Any, str]]]:
    last: Any = None
    while True:
        query = select(key, value).where(value.is_not(None)).order_by(key).limit(BATCH)
        if last is not None:
            query = query.where(key > last)
        batch = [(k, v) for k, v in connection.execute(query)]
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def check(connection: Connection, metadata: MetaData) -> None:
    """Decrypt one stored value of each encrypted column: UnreadableData if the key is wrong."""
    for where in encrypted_columns(metadata):
        _rows, key, value = _clauses(where)
        stored = connection.execute(
            select(value).where(value.is_not(None)).order_by(key).limit(1)
        ).scalar()
        if stored is not None:
            cipher().decrypt(stored)


def rotate(connection: Connection, metadata: MetaData, old: Cipher, new: Cipher) -> dict[str, int]:
    """Re-encrypt every encrypted column from the old key to the new; counts by column.

    A value the old key does not decrypt raises UnreadableData before the caller commits.
    """
    return {
        str(where): recode(connection, where, lambda stored: new.encrypt(old.decrypt(stored)))
        for where in encrypted_columns(metadata)
    }
