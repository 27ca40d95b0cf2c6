"""Platform ids and chat ids are stored encrypted, found by equality, rotated and migrated."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core import crypto, migrate, people, rounds
from core.config import ConfigError
from core.db import Database
from core.models import (
    Base,
    OutboxMessage,
    Participant,
    PlatformIdentity,
    Round,
)
from core.pseudonyms import pseudonym_for
from core.schedule import run_due
from core.vocabulary import Platform, Role
from tests.conftest import PSEUDONYM_KEY, SECRET_KEY
from tests.core.conversation.conftest import NOW, open_round
from tests.core.conversation.test_dialogues import FULL_RUN, run
from tests.fakes.chat import Participant as ChatParticipant

TELEGRAM_CHAT = "5113920487"
PHONE = "+254700000001"
GROUP_CHAT = "-1009876543210"
CLEAR_IDS = (TELEGRAM_CHAT, PHONE, GROUP_CHAT)
NEW_KEY = "new-secret-key-VmFsZG9yaWEtcm90YXRpb24tMjAyNw"


def raw_dump(database: Database) -> str:
    """Every row of every table, read with the database's own driver rather than the ORM."""
    url = make_url(database.url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        lite = sqlite3.connect(url.database)
        try:
            tables = lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            names = [r[0] for r in tables]
            return "\n".join(
                repr(row) for name in names for row in lite.execute(f'SELECT * FROM "{name}"')
            )
        finally:
            lite.close()
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as pg:
        names = [
            r[0] for r in pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        return "\n".join(
            repr(row) for name in names for row in pg.execute(f'SELECT * FROM "{name}"')
        )


def file_bytes(database: Database) -> bytes:
    """An SQLite database's file and its write-ahead log, as they lie on disk."""
    path = Path(str(make_url(database.url).database))
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def stored(database: Database, table: str, column: str) -> list[str]:
    """One column's values exactly as stored, past the ORM's types."""
    with database.engine.connect() as connection:
        rows = connection.execute(
            sa.text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY id")
        )
        return [r[0] for r in rows]


def pseudonyms(database: Database) -> list[str]:
    with database.unit_of_work() as session:
        return list(session.scalars(select(Participant.pseudonym).order_by(Participant.id)))


@pytest.fixture
def conversations(database: Database) -> Database:
    """A round with a Telegram group digest; one person answers it all, one stops early."""
    open_round(database, digest=rounds.Digest(Platform.TELEGRAM, GROUP_CHAT, "daily"))
    answerer = ChatParticipant(database, PSEUDONYM_KEY, TELEGRAM_CHAT, Platform.TELEGRAM, now=NOW)
    run(answerer, FULL_RUN)
    texter = ChatParticipant(database, PSEUDONYM_KEY, PHONE, Platform.WEBHOOK, now=NOW)
    texter.send("test01")
    texter.send("1")
    # Four days on, the schedule reminds the person who stopped and posts the group's digest.
    with database.unit_of_work() as session:
        report = run_due(session, NOW + timedelta(days=4))
    assert report.queued == {"reminder": 1} and report.digests == 1
    return database


def test_no_platform_id_or_chat_id_is_stored_in_clear(conversations):
    dump = raw_dump(conversations)
    for clear in CLEAR_IDS:
        assert clear not in dump
    if conversations.is_sqlite:
        on_disk = file_bytes(conversations)
        for clear in CLEAR_IDS:
            assert clear.encode() not in on_disk
    identities = stored(conversations, "platform_identities", "external_id")
    recipients = stored(conversations, "outbox", "recipient")
    assert len(identities) == 2 and len(recipients) == 2
    assert all(v.startswith("v1:") for v in [*identities, *recipients])
    assert stored(conversations, "rounds", "digest_chat")[0].startswith("v1:")
    # Deterministic: the reminder's recipient is stored exactly as the person's identity.
    assert set(recipients) - set(identities) == set(stored(conversations, "rounds", "digest_chat"))


def test_look_ups_by_platform_id_still_find_the_person(conversations):
    with conversations.unit_of_work() as session:
        # The platform is part of the look-up: a phone number is no Telegram chat.
        assert (
            session.scalar(
                select(PlatformIdentity).where(
                    PlatformIdentity.platform == Platform.TELEGRAM,
                    PlatformIdentity.external_id == PHONE,
                )
            )
            is None
        )
        found, created = people.participant_for_identity(
            session,
            pseudonym_key=PSEUDONYM_KEY,
            platform=Platform.TELEGRAM,
            external_id=TELEGRAM_CHAT,
        )
        assert not created
        assert [i.external_id for i in found.identities] == [TELEGRAM_CHAT]
        several = session.scalars(
            select(PlatformIdentity.external_id).where(
                PlatformIdentity.external_id.in_([TELEGRAM_CHAT, PHONE, "someone-else"])
            )
        ).all()
        assert sorted(several) == sorted([TELEGRAM_CHAT, PHONE])
        recipients = session.scalars(select(OutboxMessage.recipient)).all()
        assert sorted(recipients) == sorted([PHONE, GROUP_CHAT])
        assert session.scalars(select(Round.digest_chat)).one() == GROUP_CHAT
        assert people.set_reachable(
            session, platform=Platform.WEBHOOK, external_id=PHONE, reachable=False
        )


def test_rotating_the_key_re_encrypts_everything_and_keeps_the_pseudonyms(conversations):
    before = {
        (t, c): stored(conversations, t, c)
        for t, c in (
            ("platform_identities", "external_id"),
            ("outbox", "recipient"),
            ("rounds", "digest_chat"),
        )
    }
    names = pseudonyms(conversations)

    with conversations.unit_of_work() as session:
        counts = crypto.rotate(
            session.connection(), Base.metadata, crypto.Cipher(SECRET_KEY), crypto.Cipher(NEW_KEY)
        )
    assert counts == {
        "platform_identities.external_id": 2,
        "outbox.recipient": 2,
        "rounds.digest_chat": 1,
    }
    for (table, column), old_values in before.items():
        new_values = stored(conversations, table, column)
        assert len(new_values) == len(old_values)
        assert not set(new_values) & set(old_values)
        # What the old key wrote, the new key cannot read, nor the other way round.
        with pytest.raises(crypto.UnreadableData):
            crypto.Cipher(NEW_KEY).decrypt(old_values[0])
        with pytest.raises(crypto.UnreadableData):
            crypto.Cipher(SECRET_KEY).decrypt(new_values[0])
    for clear in CLEAR_IDS:
        assert clear not in raw_dump(conversations)
    # A process still on the old key is refused rather than handed garbage.
    with conversations.unit_of_work() as session, pytest.raises(crypto.UnreadableData):
        session.scalars(select(PlatformIdentity.external_id)).all()

    crypto.use_key(NEW_KEY)
    assert pseudonyms(conversations) == names
    again = ChatParticipant(
        conversations, PSEUDONYM_KEY, TELEGRAM_CHAT, Platform.TELEGRAM, now=NOW
    ).send("review")
    assert "Which sector do you work in? → Education" in again
    assert pseudonyms(conversations) == names
    with conversations.unit_of_work() as session:
        assert session.scalar(select(func.count(PlatformIdentity.id))) == 2


def test_an_id_too_long_for_its_column_once_encrypted_is_refused(database):
    open_round(database)
    with database.unit_of_work() as session:
        consultation = session.scalars(select(Round)).one()
        consultation.digest_chat = "c" * 200
        with pytest.raises(sa.exc.StatementError, match="200 characters is too long to store"):
            session.flush()


def test_without_a_key_personal_data_says_how_to_set_one(conversations):
    crypto.use_key(None)
    with (
        conversations.unit_of_work() as session,
        pytest.raises(ConfigError, match=r"CONSULTA_SECRET_KEY is not set.*config init"),
    ):
        session.scalars(select(PlatformIdentity)).all()
    with pytest.raises(ConfigError, match="CONSULTA_SECRET_KEY is not set"):
        crypto.Cipher("")


# --- migration 0010 -----------------------------------------------------------------------------

ROWS = sa.table(
    "platform_identities",
    sa.column("participant_id"),
    sa.column("platform"),
    sa.column("external_id"),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("reachable", sa.Boolean),
)
QUEUED = sa.table(
    "outbox",
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("participant_id"),
    sa.column("platform"),
    sa.column("recipient"),
    sa.column("payload", sa.JSON),
    sa.column("priority"),
    sa.column("status"),
    sa.column("attempts"),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
    sa.column("uncertain_attempts"),
)


def _downgrade(database: Database, revision: str) -> None:
    config = migrate.alembic_config(database.url)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _plaintext_at_0009(database: Database) -> None:
    """The database at 0009, holding a person, their identity, a queued message and a digest."""
    _downgrade(database, "0009")
    open_round(database)
    with database.unit_of_work() as session:
        person = Participant(uid="ab" * 16, role=Role.CIVIL_SOCIETY)
        person.pseudonym = pseudonym_for(person.uid, PSEUDONYM_KEY)
        session.add(person)
        session.flush()
        connection = session.connection()
        connection.execute(
            ROWS.insert().values(
                participant_id=person.id,
                platform="telegram",
                external_id=TELEGRAM_CHAT,
                created_at=NOW,
                reachable=True,
            )
        )
        connection.execute(
            QUEUED.insert().values(
                created_at=NOW,
                participant_id=person.id,
                platform="telegram",
                recipient=TELEGRAM_CHAT,
                payload={"text": "Hello"},
                priority=10,
                status="pending",
                attempts=0,
                next_attempt_at=NOW,
                uncertain_attempts=0,
            )
        )
        connection.execute(sa.text("UPDATE rounds SET digest_chat = :chat"), {"chat": GROUP_CHAT})


def _plain_values(database: Database) -> list[str]:
    return [
        *stored(database, "platform_identities", "external_id"),
        *stored(database, "outbox", "recipient"),
        *stored(database, "rounds", "digest_chat"),
    ]


def test_migration_0010_encrypts_plaintext_rows_and_its_downgrade_restores_them(database):
    try:
        _plaintext_at_0009(database)
        assert _plain_values(database) == [TELEGRAM_CHAT, TELEGRAM_CHAT, GROUP_CHAT]

        migrate.upgrade(database)
        encrypted = _plain_values(database)
        assert all(v.startswith("v1:") for v in encrypted)
        for clear in CLEAR_IDS:
            assert clear not in raw_dump(database)
        with database.unit_of_work() as session:
            identity = session.scalars(
                select(PlatformIdentity).where(PlatformIdentity.external_id == TELEGRAM_CHAT)
            ).one()
            assert identity.participant.pseudonym == pseudonym_for("ab" * 16, PSEUDONYM_KEY)
            assert session.scalars(select(OutboxMessage.recipient)).one() == TELEGRAM_CHAT
            assert session.scalars(select(Round.digest_chat)).one() == GROUP_CHAT

        _downgrade(database, "0009")
        assert _plain_values(database) == [TELEGRAM_CHAT, TELEGRAM_CHAT, GROUP_CHAT]
    finally:
        migrate.upgrade(database)
    assert migrate.is_up_to_date(database.engine)


def test_migration_0010_refuses_without_a_key_and_changes_nothing(database, monkeypatch):
    try:
        _plaintext_at_0009(database)
        crypto.use_key(None)
        with pytest.raises(ConfigError, match=r"CONSULTA_SECRET_KEY is not set.*config init"):
            migrate.upgrade(database)
        assert migrate.current_revision(database.engine) == "0009"
        assert _plain_values(database) == [TELEGRAM_CHAT, TELEGRAM_CHAT, GROUP_CHAT]

        # With no key given to the process, the migration reads CONSULTA_SECRET_KEY itself.
        monkeypatch.setenv("CONSULTA_SECRET_KEY", SECRET_KEY)
        migrate.upgrade(database)
        assert all(v.startswith("v1:") for v in _plain_values(database))
    finally:
        crypto.use_key(SECRET_KEY)
        migrate.upgrade(database)
    with database.unit_of_work() as session:
        assert session.scalars(select(Round.digest_chat)).one() == GROUP_CHAT
