"""`consulta db`: create and migrate the database."""

from __future__ import annotations

import typer

from bots.cli.common import err, make_app, open_database, out
from core import migrate

db_app = make_app("Create and migrate the database.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring its schema up to date."""
    with open_database(migrated=False) as (_, database):
        migrate.upgrade(database)
        revision = migrate.current_revision(database.engine)
    err.print(f"Database is at revision {revision}.")


@db_app.command("status")
def db_status() -> None:
    """Say whether the database is migrated to the newest schema."""
    with open_database(migrated=False) as (_, database):
        current = migrate.current_revision(database.engine)
    head = migrate.head_revision()
    out.print(f"current: {current or '(not migrated)'}  newest: {head}")
    if current != head:
        raise typer.Exit(1)
