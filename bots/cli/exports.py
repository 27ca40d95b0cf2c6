"""`consulta export`: a round's results, or every answer by pseudonym, as CSV, XLSX or JSON."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bots.cli.common import CLI_ACTOR, err, open_database, organiser_language
from core import exports, people, rounds
from core.errors import InvalidInput
from core.i18n import N_, gettext_for, ngettext_for
from core.permissions import Permission, require_of

STDOUT = "-"


class ExportFormat(StrEnum):
    """The file formats an export comes in."""

    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"


def export(
    round_code: Annotated[
        str, typer.Option("--round", help="The round's code.", show_default=False)
    ],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="The file format.")] = (
        ExportFormat.CSV
    ),
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="Every answer, one row each, by pseudonym, instead of the aggregated results. "
            "Needs --as naming an organiser granted export_raw.",
        ),
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Who exports the raw answers: an organiser's id or pseudonym.",
            show_default=False,
        ),
    ] = None,
    delimiter: Annotated[
        str, typer.Option(help="The CSV delimiter: ',' or ';' (for spreadsheets that want it).")
    ] = ",",
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write: a file (CODE-results.EXT or CODE-raw.EXT by default), "
            "or - for standard output.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Export a round: aggregated tables with small counts hidden, and the written answers."""
    exports.check_options(fmt.value, delimiter)
    if raw and not actor:
        raise InvalidInput(
            N_(
                "--raw needs --as ORGANISER: raw answers go only to organisers granted "
                "export_raw (`consulta participants grant ID export_raw`)"
            )
        )
    language = organiser_language()
    _ = gettext_for(language)
    with open_database() as (_settings, database), database.unit_of_work() as s:
        who = CLI_ACTOR
        if raw:
            assert actor is not None
            exporter = people.find_participant(s, actor)
            require_of(exporter, Permission.EXPORT_RAW)
            who = exporter.pseudonym
        code = rounds.find_round(s, round_code).code
        target = output or exports.file_name(code, fmt.value, raw=raw)
        show_progress = sys.stderr.isatty()
        with Progress(
            SpinnerColumn(),
            TextColumn(_("Exporting {task.description}")),
            BarColumn(),
            TextColumn(_("{task.completed:,} rows")),
            TimeElapsedColumn(),
            console=err,
            disable=not show_progress,
            transient=True,
        ) as bar:
            task = bar.add_task(code, total=None)

            def write(out: BinaryIO) -> int:
                return exports.export_round(
                    s,
                    code,
                    fmt.value,
                    out,
                    raw=raw,
                    delimiter=delimiter,
                    progress=lambda rows: bar.update(task, completed=rows),
                )

            if target == STDOUT:
                rows = write(sys.stdout.buffer)
            else:
                rows = _write_whole(Path(target), write, private=raw)
        exports.record_export(s, code, fmt.value, raw=raw, actor=who)
    where = _("standard output") if target == STDOUT else target
    err.print(
        ngettext_for(language)(
            "Wrote {count} row of round {code} to {where}.",
            "Wrote {count} rows of round {code} to {where}.",
            rows,
        ).format(count=f"{rows:,}", code=code, where=where)
    )


def _write_whole(target: Path, write: Callable[[BinaryIO], int], *, private: bool) -> int:
    """Write to a temporary file beside the target and rename it: never half a file.

    A private file (raw answers) stays readable by its owner only, as the temporary file is
    made; any other gets the permissions a new file usually gets.
    """
    directory = target.resolve().parent
    if not directory.is_dir():
        raise InvalidInput(N_("--output: the folder {folder} does not exist"), folder=directory)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            rows = write(out)
            out.flush()
            os.fsync(out.fileno())
        if not private:
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return rows
