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
    organiser_language,
    out,
    print_json,
    table,
)
from bots.cli.updates import operator, timeline_line
from core import recommendations
from core.errors import located
from core.i18n import N_, gettext_for
from core.importing.readers import ImportFormat, template_header
from core.importing.service import ImportOptions, import_recommendations
from core.timeline import timeline
from core.vocabulary import Mechanism, Position

rec_app = make_app("Import, list, search and show recommendations.")

# Translators: the names of a recommendation's details in `consulta recommendations show`.
RECOMMENDATION_FIELDS = {
    "id": N_("id"),
    "source_id": N_("source_id"),
    "text": N_("text"),
    "language": N_("language"),
    "paragraph": N_("paragraph"),
    "document_symbol": N_("document_symbol"),
    "state_under_review": N_("state_under_review"),
    "mechanism": N_("mechanism"),
    "body": N_("body"),
    "kind": N_("kind"),
    "position": N_("position"),
    "recommending_states": N_("recommending_states"),
    "themes": N_("themes"),
    "affected_persons": N_("affected_persons"),
    "sdg_targets": N_("sdg_targets"),
    "regions": N_("regions"),
    "upr_cycle": N_("upr_cycle"),
    "upr_session": N_("upr_session"),
    "published_on": N_("published_on"),
    "action_category": N_("action_category"),
    "translations": N_("translations"),
    "responsible_entities": N_("responsible_entities"),
}


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
    said_in = organiser_language()
    _ = gettext_for(said_in)
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
            task = bar.add_task(_("Reading {file}").format(file=file.name), total=None)
            summary = import_recommendations(
                database,
                file,
                options,
                progress=lambda n: bar.update(
                    task, description=_("Stored {count} rows").format(count=f"{n:,}")
                ),
            )
    if as_json:
        print_json(summary.as_dict())
    else:
        said = (
            _(
                "{file}: {format} file ({encoding}). Added {added}, updated {updated}, "
                "unchanged {unchanged}, duplicates {duplicates}, other countries skipped "
                "{skipped}, rejected {rejected}."
            )
            if summary.skipped
            else _(
                "{file}: {format} file ({encoding}). Added {added}, updated {updated}, "
                "unchanged {unchanged}, duplicates {duplicates}, rejected {rejected}."
            )
        )
        err.print(
            said.format(
                file=file,
                format=summary.format,
                encoding=summary.encoding,
                added=summary.added,
                updated=summary.updated,
                unchanged=summary.unchanged,
                duplicates=summary.duplicates,
                skipped=summary.skipped,
                rejected=len(summary.rejected),
            )
        )
        for problem in summary.rejected:
            where = located(file, "{reason}", problem.line, reason=problem.reason)
            err.print("  " + where.in_language(said_in))
        if not summary.committed:
            err.print(
                _(
                    "Nothing was imported. Fix the rows above, or pass --skip-invalid to "
                    "import the good rows only."
                )
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
    _ = gettext_for(organiser_language())
    table(
        [_("id"), _("state"), _("body"), _("para."), _("position"), _("text")],
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
        title=_("{first}-{last} of {total} recommendations").format(
            first=page.offset + 1 if page.items else 0,
            last=page.offset + len(page.items),
            total=page.total,
        ),
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
    with open_database() as (_settings, database), database.unit_of_work() as s:
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
    with open_database() as (_settings, database), database.unit_of_work() as s:
        data = recommendations.describe(recommendations.get(s, recommendation_id))
        if with_timeline:
            data["timeline"] = timeline(s, recommendation_id, operator())
    if as_json:
        print_json(data)
        return
    events = data.pop("timeline", None)
    language = organiser_language()
    _ = gettext_for(language)
    for key, value in data.items():
        if isinstance(value, list):
            value = "; ".join(v["code"] if isinstance(v, dict) else str(v) for v in value)
        elif isinstance(value, dict):
            value = "\n".join(f"[{lang}] {text}" for lang, text in value.items())
        label = _(RECOMMENDATION_FIELDS.get(key, key))
        out.print(f"{label}: {'' if value is None else value}")
    if events is not None:
        out.print(_("timeline:"))
        for event in events:
            out.print(f"  {timeline_line(event, language)}")
        if not events:
            out.print("  " + _("nothing yet"))


@rec_app.command("template")
def rec_template() -> None:
    """Print the header of Consulta's own CSV template, to start a file from."""
    sys.stdout.write(",".join(template_header()) + "\n")
