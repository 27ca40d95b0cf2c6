"""Fixtures the command-line and HTTP tests share."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bots.cli import app
from tests.conftest import PSEUDONYM_KEY


@pytest.fixture
def consulta(database, monkeypatch):
    """Run `consulta ARGS...` against the test database; returns the click Result."""
    monkeypatch.setenv("CONSULTA_DATABASE_URL", database.url)
    monkeypatch.setenv("CONSULTA_PSEUDONYM_KEY", PSEUDONYM_KEY.decode())
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run
