"""Settings, read from CONSULTA_* environment variables and an optional .env file."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ExplainedError
from core.i18n import N_

# How `config show` says a setting has no value; marked for the table, plain in --json.
NOT_SET = N_("(not set)")
EMPTY = N_("(empty)")


class ConfigError(ExplainedError):
    """A setting is missing or wrong; the message says which and how to fix it."""


class Settings(BaseSettings):
    """Every setting Consulta reads; the README lists them."""

    # A .env is often shared with docker-compose, so keys meant for others are ignored.
    model_config = SettingsConfigDict(
        env_prefix="CONSULTA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///consulta.db", description="SQLAlchemy URL of the database."
    )
    pseudonym_key: SecretStr | None = Field(
        default=None, description="Key of the HMAC that turns participants into pseudonyms."
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Key for encrypting personal data at rest."
    )
    log_format: Literal["text", "json"] = Field(default="text", description="Log line format.")
    log_level: str = Field(default="INFO", description="Lowest level that is logged.")
    host: str = Field(default="127.0.0.1", description="Address `consulta serve` listens on.")
    port: int = Field(default=8000, description="Port `consulta serve` listens on.")
    import_max_bytes: int = Field(
        default=100 * 1024 * 1024, description="Largest recommendations file accepted."
    )
    practices_import_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        description="Largest good-practices exchange file `consulta practices import` and "
        "the API accept.",
    )
    deployment_name: str = Field(
        default="Consulta",
        description="This deployment's name, e.g. 'Valdoria NMIRF': the origin other "
        "deployments see on the good practices it shares.",
    )
    api_page_size_max: int = Field(default=500, description="Largest page the REST API returns.")
    telegram_token: SecretStr | None = Field(default=None, description="Telegram bot token.")
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token."
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org/bot",
        description="Bot API base; the token is appended, so it ends in /bot.",
    )
    slack_bot_token: SecretStr | None = Field(default=None, description="Slack bot token.")
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="Slack signing secret, to verify requests."
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="Slack app-level token, for Socket Mode."
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="Slack Web API base URL."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Standard Webhooks signing key, whsec_<base64>."
    )
    webhook_outbound_url: str | None = Field(
        default=None, description="Where messages that are not direct replies are POSTed."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address people reach this server at, for links and QR codes.",
    )
    telegram_bot_username: str | None = Field(
        default=None, description="The bot's @username, for t.me join links."
    )
    metrics: bool = Field(
        default=True,
        description="Serve Prometheus metrics at /metrics (on or off); off answers 404.",
    )
    language: str | None = Field(
        default=None,
        description="Language of the command line's messages (en, fr, es, ar, ru or zh); "
        "when unset, the LANGUAGE, LC_ALL, LC_MESSAGES and LANG environment variables decide.",
    )

    def require_pseudonym_key(self) -> bytes:
        """Return the pseudonym key, or explain how to set one."""
        if self.pseudonym_key is None or not self.pseudonym_key.get_secret_value():
            raise ConfigError(
                N_(
                    "CONSULTA_PSEUDONYM_KEY is not set. Run `consulta config init` to write a "
                    ".env with fresh keys, or set it in the environment."
                )
            )
        return self.pseudonym_key.get_secret_value().encode("utf-8")

    def secret(self, name: str) -> str | None:
        """The value of a secret setting, or None when it is not set."""
        value = getattr(self, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            return value.get_secret_value()
        return None

    def masked(self) -> dict[str, str]:
        """Every setting as text, with secrets and database passwords masked."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown[name] = "********" if value.get_secret_value() else EMPTY
            elif value is None:
                shown[name] = NOT_SET
            elif name == "database_url":
                shown[name] = mask_url_password(str(value))
            else:
                shown[name] = str(value)
        return shown


def mask_url_password(url: str) -> str:
    """Hide the password part of a database URL."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, has_password, _ = credentials.partition(":")
    return f"{scheme}://{user}{':********' if has_password else ''}@{host}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
