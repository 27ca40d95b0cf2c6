"""The database layer: SQLite's settings, concurrent writers, migrations and the audit log."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, select, text, update
from sqlalchemy.exc import DBAPIError

from core import audit, migrate
from core.db import Database
from core.models import AuditEntry, Base


def test_sqlite_connections_are_set_up_for_safe_concurrency(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    database.dispose()
    # synchronous=1 is NORMAL: with WAL, a commit survives the process being killed.
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 30000,
        "synchronous": 1,
    }


def test_concurrent_read_modify_write_loses_no_update(database):
    probe = Table(
        "counter_probe",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("n", Integer, nullable=False),
    )
    probe.create(database.engine)
    try:
        with database.engine.begin() as connection:
            connection.execute(probe.insert().values(id=1, n=0))
        threads, rounds = 8, 25
        failures: list[BaseException] = []

        def bump() -> None:
            try:
                for _ in range(rounds):
                    with database.unit_of_work() as session:
                        # Read, then write what was read plus one: the classic lost update,
                        # unless the transaction holds the row (or SQLite's write lock) first.
                        current = session.execute(
                            select(probe.c.n).where(probe.c.id == 1).with_for_update()
                        ).scalar_one()
                        session.execute(update(probe).where(probe.c.id == 1).values(n=current + 1))
            except BaseException as failure:
                failures.append(failure)

        workers = [threading.Thread(target=bump) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert failures == []
        with database.engine.connect() as connection:
            assert connection.execute(select(probe.c.n)).scalar_one() == threads * rounds
    finally:
        probe.drop(database.engine)


def test_migrations_build_exactly_the_models_schema(database):
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert migrate.is_up_to_date(database.engine)


def test_upgrade_twice_is_harmless(database):
    migrate.upgrade(database)
    assert migrate.current_revision(database.engine) == migrate.head_revision()


def test_audit_log_is_append_only_in_the_database_itself(database):
    with database.unit_of_work() as session:
        audit.record(
            session,
            actor="P-TEST",
            action="thing.done",
            subject_type="thing",
            subject_id=1,
            details={"count": 3},
        )
    for statement in ("UPDATE audit_log SET action = 'rewritten'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
            conn.execute(text(statement))
    with database.unit_of_work() as session:
        entries = session.scalars(select(AuditEntry)).all()
        assert [(e.actor, e.action, e.details) for e in entries] == [
            ("P-TEST", "thing.done", {"count": 3})
        ]


def test_audit_details_refuse_long_text(database):
    with pytest.raises(ValueError, match="too long"), database.unit_of_work() as session:
        audit.record(
            session,
            actor="cli",
            action="x",
            subject_type="y",
            details={
                "note": "a free-text answer would be far longer than an identifier"
                " and must never be written into the audit log"
            },
        )
