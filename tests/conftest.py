"""Fixtures every test layer shares: a migrated database on SQLite and, when given, PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core import crypto, migrate
from core.db import Database
from core.models import Base

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PSEUDONYM_KEY = b"test-pseudonym-key-0123456789abcdef"
# The key platform ids and chat ids are encrypted with, as `consulta config init` would write.
SECRET_KEY = "test-secret-key-Qm9yZGVhdXgtMjAyNy0wMy0wMQ"
NO_POSTGRES = (
    "TEST_DATABASE_URL is not set, so the PostgreSQL run is skipped "
    "(.ci/run sets it when a server answers on 127.0.0.1:5432)"
)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's own CONSULTA_* variables, .env and locale out of every test."""
    for name in list(os.environ):
        if name.startswith("CONSULTA_"):
            monkeypatch.delenv(name)
    # The command line speaks the locale's language: tests expect English unless they say.
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _personal_data_key() -> Iterator[None]:
    """Every test encrypts personal data with the test key, whatever a test before it set."""
    crypto.use_key(SECRET_KEY)
    yield
    crypto.use_key(SECRET_KEY)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "consulta.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL test database, wiped and migrated once per run."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip(NO_POSTGRES)
    database = Database(url)
    with database.engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    migrate.upgrade(database)
    database.dispose()
    return url


def _wipe_postgres(url: str) -> None:
    database = Database(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        # The audit log refuses TRUNCATE to everyone but its owner, who lifts the guard here.
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A migrated, empty database's URL: each test runs once per database engine."""
    if request.param == "sqlite":
        path = tmp_path / "consulta.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    _wipe_postgres(url)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A Database on the migrated, empty test database."""
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def shared_upr_info() -> Path:
    """The real UPR Info file, or a skip saying why it is not here."""
    path = SHARED_DATA / "upr-info" / "sessions-1-5.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent (it sits beside the repository in ../shared)")
    return path
