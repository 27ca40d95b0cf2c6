"""`consulta recommendations`: import, list, search and show recommendations."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bots.cli.common import (
    CLI_ACTOR,
    JsonFlag,
    Limit,
    err,
    make_app,
    open_database,
    out,
    print_json,
    table,
)
from bots.cli.updates import operator, timeline_line
from core import recommendations
from core.importing.readers import ImportFormat, template_header
from core.importing.service import ImportOptions, import_recommendations
from core.timeline import timeline
from core.vocabulary import Mechanism, Position

rec_app = make_app("Import, list, search and show recommendations.")


@rec_app.command("import")
def rec_import(
    file: Annotated[
        Path,
        typer.Argument(help="A UHRI export (xlsx/csv), UPR Info CSV or Consulta template CSV."),
    ],
    country: Annotated[
        str | None, typer.Option(help="Import only this state under review.")
    ] = None,
    language: Annotated[
        str,
        typer.Option(
            help="Language of the file's texts; another language "
            "than the stored one adds translations."
        ),
    ] = "en",
    format: Annotated[ImportFormat | None, typer.Option(help="Skip format detection.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Skip encoding detection.")] = None,
    skip_invalid: Annotated[
        bool, typer.Option(help="Import the good rows even if some are bad.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import recommendations from a file; a re-import adds nothing new."""
    with open_database() as (settings, database):
        options = ImportOptions(
            country=country,
            language=language,
            format=format,
            encoding=encoding,
            skip_invalid=skip_invalid,
            actor=CLI_ACTOR,
            max_bytes=settings.import_max_bytes,
        )
        show_progress = not as_json and sys.stderr.isatty()
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            disable=not show_progress,
            transient=True,
        ) as bar:
            task = bar.add_task(f"Reading {file.name}", total=None)
            summary = import_recommendations(
                database,
                file,
                options,
                progress=lambda n: bar.update(task, description=f"Stored {n:,} rows"),
            )
    if as_json:
        print_json(summary.as_dict())
    else:
        err.print(
            f"{file}: {summary.format} file ({summary.encoding}). "
            f"Added {summary.added}, updated {summary.updated}, unchanged {summary.unchanged}, "
            f"duplicates {summary.duplicates}"
            + (f", other countries skipped {summary.skipped}" if summary.skipped else "")
            + f", rejected {len(summary.rejected)}."
        )
        for problem in summary.rejected:
            err.print(f"  {file}, line {problem.line}: {problem.reason}")
        if not summary.committed:
            err.print(
                "Nothing was imported. Fix the rows above, or pass --skip-invalid to "
                "import the good rows only."
            )
    if not summary.committed:
        raise typer.Exit(1)


def _filter(
    country: str | None,
    mechanism: Mechanism | None,
    body: str | None,
    theme: str | None,
    sdg: str | None,
    position: Position | None,
    cluster: str | None,
    session: int | None,
    text: str | None,
) -> recommendations.RecommendationFilter:
    return recommendations.RecommendationFilter(
        country=country,
        mechanism=mechanism,
        body=body,
        theme=theme,
        sdg=sdg,
        position=position,
        cluster=cluster,
        session=session,
        text=text,
    )


Country = Annotated[str | None, typer.Option(help="State under review.")]
MechanismOpt = Annotated[Mechanism | None, typer.Option(help="Kind of mechanism.")]
Body = Annotated[
    str | None, typer.Option(help="UPR, a treaty body code such as CRC, or a special procedure.")
]
Theme = Annotated[str | None, typer.Option(help="Theme (matches part of the name).")]
Sdg = Annotated[str | None, typer.Option(help="SDG goal (16) or target (16.3).")]
PositionOpt = Annotated[Position | None, typer.Option(help="The state's position.")]
ClusterOpt = Annotated[str | None, typer.Option(help="Cluster name or id.")]
SessionOpt = Annotated[int | None, typer.Option(help="UPR session number.")]
Offset = Annotated[int, typer.Option(min=0, help="How many to skip.")]


def _show_page(page: recommendations.Page, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
                "items": [recommendations.describe(r) for r in page.items],
            }
        )
        return
    table(
        ["id", "state", "body", "para.", "position", "text"],
        [
            (
                r.id,
                r.state_under_review,
                r.body,
                r.paragraph,
                r.position.value if r.position else "",
                r.text if len(r.text) <= 120 else r.text[:117] + "...",
            )
            for r in page.items
        ],
        title=f"{page.offset + 1 if page.items else 0}-{page.offset + len(page.items)} "
        f"of {page.total} recommendations",
    )


@rec_app.command("list")
def rec_list(
    country: Country = None,
    mechanism: MechanismOpt = None,
    body: Body = None,
    theme: Theme = None,
    sdg: Sdg = None,
    position: PositionOpt = None,
    cluster: ClusterOpt = None,
    session: SessionOpt = None,
    text: Annotated[str | None, typer.Option(help="Words in the text.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """List recommendations, narrowed by any of the filters."""
    spec = _filter(country, mechanism, body, theme, sdg, position, cluster, session, text)
    with open_database() as (_, database), database.unit_of_work() as s:
        _show_page(recommendations.search(s, spec, limit=limit, offset=offset), as_json)


@rec_app.command("search")
def rec_search(
    query: Annotated[str, typer.Argument(help="Words to find in the text or its translations.")],
    country: Country = None,
    mechanism: MechanismOpt = None,
    body: Body = None,
    theme: Theme = None,
    sdg: Sdg = None,
    position: PositionOpt = None,
    cluster: ClusterOpt = None,
    session: SessionOpt = None,
    limit: Limit = 50,
    offset: Offset = 0,
    as_json: JsonFlag = False,
) -> None:
    """Find recommendations by words in their text, with the same filters as list."""
    rec_list(
        country,
        mechanism,
        body,
        theme,
        sdg,
        position,
        cluster,
        session,
        query,
        limit,
        offset,
        as_json,
    )


@rec_app.command("show")
def rec_show(
    recommendation_id: Annotated[int, typer.Argument(help="The recommendation's id.")],
    with_timeline: Annotated[
        bool,
        typer.Option(
            "--timeline", help="Also show its updates, assessments and consultation results."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Show one recommendation in full, with its translations."""
    with open_database() as (_, database), database.unit_of_work() as s:
        data = recommendations.describe(recommendations.get(s, recommendation_id))
        if with_timeline:
            data["timeline"] = timeline(s, recommendation_id, operator())
    if as_json:
        print_json(data)
        return
    events = data.pop("timeline", None)
    for key, value in data.items():
        if isinstance(value, list):
            value = "; ".join(v["code"] if isinstance(v, dict) else str(v) for v in value)
        elif isinstance(value, dict):
            value = "\n".join(f"[{lang}] {text}" for lang, text in value.items())
        out.print(f"{key}: {'' if value is None else value}")
    if events is not None:
        out.print("timeline:")
        for event in events:
            out.print(f"  {timeline_line(event)}")
        if not events:
            out.print("  nothing yet")


@rec_app.command("template")
def rec_template() -> None:
    """Print the header of Consulta's own CSV template, to start a file from."""
    sys.stdout.write(",".join(template_header()) + "\n")
