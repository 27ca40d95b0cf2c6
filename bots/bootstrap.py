"""The one place that reads settings and builds the pieces every entry point shares."""

from __future__ import annotations

from core.config import Settings
from core.db import Database
from core.logs import configure_logging


def load_settings() -> Settings:
    """Read the settings afresh from the environment and .env."""
    return Settings()


def start(settings: Settings) -> Database:
    """Set up logging and open the configured database."""
    configure_logging(settings.log_format, settings.log_level)
    return Database(settings.database_url)
