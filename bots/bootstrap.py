"""The one place that reads settings and builds the pieces every entry point shares."""

from __future__ import annotations

from core import crypto, migrate
from core.config import ConfigError, Settings
from core.db import Database
from core.logs import configure_logging
from core.models import Base


def load_settings() -> Settings:
    """Read the settings afresh from the environment and .env."""
    return Settings()


def require_key(settings: Settings) -> str:
    """CONSULTA_SECRET_KEY, or a ConfigError saying how to set it."""
    secret = settings.secret("secret_key")
    if secret is None:
        raise ConfigError(crypto.MISSING_KEY)
    return secret


def start(settings: Settings, *, key_required: bool = True) -> Database:
    """Set up logging and the key of personal data, and open the configured database.

    Servers and bots need the key from the start. The command line (key_required=False) also
    runs without one for whatever touches no platform id, and says how to set it at the first
    thing that does; a key the process was given before stays in use then.
    """
    configure_logging(settings.log_format, settings.log_level)
    secret = require_key(settings) if key_required else settings.secret("secret_key")
    if secret is not None:
        crypto.use_key(secret)
    database = Database(settings.database_url)
    if secret is not None:
        try:
            check_key(database)
        except BaseException:
            database.dispose()
            raise
    return database


def check_key(database: Database) -> None:
    """Refuse a key that does not decrypt the stored data, such as the old one after a rotation.

    Writing with it would leave personal data that the right key cannot read.
    """
    # Before `consulta db upgrade` the tables may be missing, or their ids not yet encrypted.
    if migrate.is_up_to_date(database.engine):
        with database.engine.connect() as connection:
            crypto.check(connection, Base.metadata)


def verify_key(settings: Settings) -> None:
    """Refuse to serve without CONSULTA_SECRET_KEY, or with one the stored data refuses."""
    crypto.use_key(require_key(settings))
    database = Database(settings.database_url)
    try:
        check_key(database)
    finally:
        database.dispose()
