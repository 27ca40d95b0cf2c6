"""The pieces every command group shares: the app factory, consoles, options and helpers."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from bots.bootstrap import load_settings, start
from core import migrate
from core.config import ConfigError, Settings, mask_url_password
from core.db import Database
from core.errors import ConsultaError, ExplainedError
from core.i18n import N_, SOURCE_LANGUAGE, gettext_for, supported_language
from core.importing.readers import ImportFileError

CLI_ACTOR = "cli"
# Output quotes people's data, which may hold brackets: never read it as markup.
out = Console(soft_wrap=True, markup=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)
# The standard variables, in the order gettext reads them; LANGUAGE may list several.
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
# The locales that mean "no translation", which the command line takes as English.
UNTRANSLATED_LOCALES = frozenset({"C", "POSIX"})


def locale_language(environ: Mapping[str, str]) -> str | None:
    """The first language Consulta speaks named by LANGUAGE, LC_ALL, LC_MESSAGES or LANG."""
    for variable in LOCALE_VARIABLES:
        for entry in environ.get(variable, "").split(":"):
            # fr_FR.UTF-8@euro names French; C.UTF-8 names no language at all.
            name = entry.split(".")[0].split("@")[0].strip()
            if name in UNTRANSLATED_LOCALES:
                return SOURCE_LANGUAGE
            found = supported_language(name)
            if found is not None:
                return found
    return None


def organiser_language() -> str:
    """The command line's language: CONSULTA_LANGUAGE, else the locale's, else English."""
    try:
        configured = supported_language(load_settings().language)
    except ValueError:
        # A broken setting is refused by the command that reads it; the language falls back.
        configured = None
    return configured or locale_language(os.environ) or SOURCE_LANGUAGE


class _FriendlyErrors(TyperGroup):
    """Shows a user's mistake as one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConsultaError, ImportFileError, ConfigError) as problem:
            _error(problem.in_language(organiser_language()))
            raise typer.Exit(1) from None
        except SQLAlchemyError as failure:
            cause = getattr(failure, "orig", None)
            if isinstance(cause, ExplainedError):
                # Raised while a value was bound, e.g. a platform id with no key to encrypt it.
                _error(cause.in_language(organiser_language()))
                raise typer.Exit(1) from None
            url = mask_url_password(load_settings().database_url)
            reason = str(getattr(failure, "orig", None) or failure).splitlines()[0]
            _ = gettext_for(organiser_language())
            _error(_("the database {url} failed: {reason}").format(url=url, reason=reason))
            raise typer.Exit(1) from None


def _error(message: str) -> None:
    _ = gettext_for(organiser_language())
    # Messages quote user input, so brackets in them must never be read as markup.
    err.print(Text.assemble((_("Error:") + " ", "bold red"), message))


def make_app(help: str) -> typer.Typer:
    return typer.Typer(cls=_FriendlyErrors, help=help, no_args_is_help=True, add_completion=False)


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Limit = Annotated[int, typer.Option(min=1, max=10_000, help="How many to show.")]
RecIds = Annotated[
    list[int] | None,
    typer.Option("--recommendation", "-r", help="A recommendation id; repeatable."),
]


@contextmanager
def open_database(*, migrated: bool = True) -> Iterator[tuple[Settings, Database]]:
    settings = load_settings()
    database = start(settings, key_required=False)
    try:
        if migrated and not migrate.is_up_to_date(database.engine):
            raise ConsultaError(
                N_(
                    "the database {url} is not migrated to the newest schema ({revision}): "
                    "run `consulta db upgrade`"
                ),
                url=mask_url_password(settings.database_url),
                revision=migrate.head_revision(),
            )
        yield settings, database
    finally:
        database.dispose()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)
