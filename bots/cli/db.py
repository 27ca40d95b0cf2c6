"""`consulta db`: create and migrate the database."""

from __future__ import annotations

import typer

from bots.cli.common import err, make_app, open_database, organiser_language, out
from core import migrate
from core.i18n import gettext_for

db_app = make_app("Create and migrate the database.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring its schema up to date."""
    with open_database(migrated=False) as (_settings, database):
        migrate.upgrade(database)
        revision = migrate.current_revision(database.engine)
    _ = gettext_for(organiser_language())
    err.print(_("Database is at revision {revision}.").format(revision=revision))


@db_app.command("status")
def db_status() -> None:
    """Say whether the database is migrated to the newest schema."""
    with open_database(migrated=False) as (_settings, database):
        current = migrate.current_revision(database.engine)
    head = migrate.head_revision()
    _ = gettext_for(organiser_language())
    out.print(
        _("current: {current}  newest: {newest}").format(
            current=current or _("(not migrated)"), newest=head
        )
    )
    if current != head:
        raise typer.Exit(1)
