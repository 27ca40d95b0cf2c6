"""`consulta report`: a round's report as HTML or Word, standard or easy read."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from bots.cli.common import err, open_database, organiser_language
from core import rounds
from core.errors import ConsultaError
from core.i18n import N_, gettext_for
from core.report import report_filename, report_format, write_report


def _temporary(target: Path) -> tuple[Path, int]:
    """A new file beside the target, created with the usual permissions (the umask's)."""
    while True:
        path = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            return path, os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue


def report(
    round_code: Annotated[
        str, typer.Option("--round", help="The round's code.", show_default=False)
    ],
    fmt: Annotated[str, typer.Option("--format", help="html or docx.", show_default=False)],
    easy_read: Annotated[
        bool,
        typer.Option("--easy-read", help="A plain-language version: short sentences, large type."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to write it; CODE-report.html (or .docx, or CODE-report-easy-read.*) "
            "in the current folder when left out.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write a round's report: per cluster, each group's status, the gaps and counts, quotes.

    The file appears whole or not at all: it is written beside its destination and moved
    into place once complete.
    """
    chosen = report_format(fmt)
    with open_database() as (_settings, database), database.unit_of_work() as session:
        code = rounds.find_round(session, round_code).code
        target = output or Path(report_filename(code, chosen, easy_read=easy_read))
        if target.is_dir():
            raise ConsultaError(N_("--output {file} is a folder; give a file name"), file=target)
        if not target.parent.is_dir():
            raise ConsultaError(
                N_("--output {file}: the folder {folder} does not exist"),
                file=target,
                folder=target.parent,
            )
        try:
            partial, handle = _temporary(target)
        except OSError as failure:
            raise ConsultaError(
                N_("cannot write {file}: {reason}"), file=target, reason=failure.strerror
            ) from None
        try:
            with os.fdopen(handle, "wb") as out:
                write_report(session, code, chosen, out, easy_read=easy_read)
            os.replace(partial, target)
        except OSError as failure:
            partial.unlink(missing_ok=True)
            raise ConsultaError(
                N_("cannot write {file}: {reason}"), file=target, reason=failure.strerror
            ) from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    _ = gettext_for(organiser_language())
    err.print(_("The report on round {code} is in {file}.").format(code=code, file=target))
