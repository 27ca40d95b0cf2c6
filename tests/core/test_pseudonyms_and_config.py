"""Pseudonyms are stable and keyed; settings mask their secrets."""

from __future__ import annotations

import pytest

from core.config import ConfigError, Settings, mask_url_password
from core.pseudonyms import pseudonym_for


def test_pseudonym_is_stable_and_depends_only_on_the_pseudonym_key():
    first = pseudonym_for("0f" * 16, b"key-one")
    assert first == pseudonym_for("0f" * 16, b"key-one")
    assert first.startswith("P-") and len(first) == 18
    assert pseudonym_for("0f" * 16, b"key-two") != first
    assert pseudonym_for("1f" * 16, b"key-one") != first


def test_rotating_the_secret_key_keeps_pseudonyms(monkeypatch):
    monkeypatch.setenv("CONSULTA_PSEUDONYM_KEY", "pseudonyms")
    monkeypatch.setenv("CONSULTA_SECRET_KEY", "old-secret")
    before = pseudonym_for("ab" * 16, Settings().require_pseudonym_key())
    monkeypatch.setenv("CONSULTA_SECRET_KEY", "new-secret")
    assert pseudonym_for("ab" * 16, Settings().require_pseudonym_key()) == before


def test_missing_pseudonym_key_says_how_to_fix_it():
    with pytest.raises(ConfigError, match="consulta config init"):
        Settings().require_pseudonym_key()


def test_settings_read_env_file_and_ignore_unknown_keys(tmp_path):
    (tmp_path / ".env").write_text(
        "CONSULTA_DATABASE_URL=sqlite:///elsewhere.db\nPOSTGRES_PASSWORD=for-compose\n"
        "CONSULTA_PORT=9000\n",
        encoding="utf-8",
    )
    settings = Settings()
    assert settings.database_url == "sqlite:///elsewhere.db"
    assert settings.port == 9000


def test_masked_settings_hide_secrets_and_passwords(monkeypatch):
    monkeypatch.setenv("CONSULTA_PSEUDONYM_KEY", "very-secret")
    monkeypatch.setenv("CONSULTA_DATABASE_URL", "postgresql+psycopg://consulta:pw123@db/consulta")
    shown = Settings().masked()
    assert shown["pseudonym_key"] == "********"
    assert shown["secret_key"] == "(not set)"
    assert shown["database_url"] == "postgresql+psycopg://consulta:********@db/consulta"
    assert "very-secret" not in str(shown) and "pw123" not in str(shown)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("sqlite:///consulta.db", "sqlite:///consulta.db"),
        (
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        ),
        ("postgresql://u:p@h/d", "postgresql://u:********@h/d"),
    ],
)
def test_mask_url_password(url, masked):
    assert mask_url_password(url) == masked
