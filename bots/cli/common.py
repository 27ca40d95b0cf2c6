"""The pieces every command group shares: the app factory, consoles, options and helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
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
from core.errors import ConsultaError
from core.importing.readers import ImportFileError

CLI_ACTOR = "cli"
# Output quotes people's data, which may hold brackets: never read it as markup.
out = Console(soft_wrap=True, markup=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)


class _FriendlyErrors(TyperGroup):
    """Shows a user's mistake as one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConsultaError, ImportFileError, ConfigError) as problem:
            _error(str(problem))
            raise typer.Exit(1) from None
        except SQLAlchemyError as failure:
            url = mask_url_password(load_settings().database_url)
            reason = str(getattr(failure, "orig", None) or failure).splitlines()[0]
            _error(f"the database {url} failed: {reason}")
            raise typer.Exit(1) from None


def _error(message: str) -> None:
    # Messages quote user input, so brackets in them must never be read as markup.
    err.print(Text.assemble(("Error: ", "bold red"), message))


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
    database = start(settings)
    try:
        if migrated and not migrate.is_up_to_date(database.engine):
            raise ConsultaError(
                f"the database {mask_url_password(settings.database_url)} is not migrated to "
                f"the newest schema ({migrate.head_revision()}): run `consulta db upgrade`"
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
