"""`consulta survey`: survey definitions, YAML, XLSForm and the bundled templates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bots.cli.common import (
    CLI_ACTOR,
    JsonFlag,
    err,
    make_app,
    open_database,
    organiser_language,
    out,
    print_json,
    table,
)
from core import survey_store
from core.errors import ConsultaError
from core.i18n import N_, gettext_for, ngettext_for
from surveys.definition import Survey as SurveyDefinition
from surveys.definition import localized
from surveys.loading import SurveyInvalid, dump_schema, load_survey_file
from surveys.templates import template_names, template_path

survey_app = make_app("Survey definitions: YAML, XLSForm and the bundled templates.")


def _survey_source(source: str) -> Path:
    path = Path(source)
    if path.exists() or path.suffix:
        return path
    try:
        return template_path(source)
    except KeyError:
        raise ConsultaError(
            N_("no survey template {name!r}; the templates are: {names}"),
            name=source,
            names=", ".join(template_names()),
        ) from None


def _read_survey(source: str) -> SurveyDefinition:
    try:
        return load_survey_file(_survey_source(source))
    except SurveyInvalid as invalid:
        for problem in invalid.problems:
            err.print(f"  {problem}")
        raise ConsultaError(
            N_("{source} has {count} problem(s); nothing was saved"),
            source=source,
            count=len(invalid.problems),
        ) from None


@survey_app.command("validate")
def survey_validate(
    file: Annotated[str, typer.Argument(help="A YAML survey, an XLSForm (.xlsx) or a template.")],
) -> None:
    """Check a survey file and report every problem with its line."""
    survey = _read_survey(file)
    count = sum(1 for _item in survey.walk())
    ngettext = ngettext_for(organiser_language())
    err.print(
        ngettext(
            "{file}: survey {survey!r} is valid ({count} item, languages {languages}).",
            "{file}: survey {survey!r} is valid ({count} items, languages {languages}).",
            count,
        ).format(file=file, survey=survey.id, count=count, languages=", ".join(survey.languages))
    )


@survey_app.command("import")
def survey_import(
    file: Annotated[
        str,
        typer.Argument(help="A YAML survey, an XLSForm (.xlsx) or the name of a bundled template."),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Save a survey; changed content becomes a new version."""
    survey = _read_survey(file)
    with open_database() as (_settings, database), database.unit_of_work() as s:
        saved = survey_store.save_survey(s, survey, actor=CLI_ACTOR)
    data = {"survey": saved.slug, "version": saved.version, "created": saved.created}
    if as_json:
        print_json(data)
        return
    _ = gettext_for(organiser_language())
    said = (
        _("Survey {survey!r} saved as version {version}.")
        if saved.created
        else _("Survey {survey!r} is unchanged (version {version}).")
    )
    err.print(said.format(survey=saved.slug, version=saved.version))


@survey_app.command("list")
def survey_list(as_json: JsonFlag = False) -> None:
    """List saved surveys with their newest version."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = [
            {
                "survey": survey.slug,
                "version": version.version,
                "title": localized(version.definition.get("title"), "en"),
                "saved_at": version.created_at.isoformat(timespec="seconds"),
            }
            for survey, version in survey_store.list_surveys(s)
        ]
    if as_json:
        print_json(rows)
    else:
        _ = gettext_for(organiser_language())
        table(
            [_("survey"), _("version"), _("title"), _("saved_at")],
            [list(r.values()) for r in rows],
        )


@survey_app.command("show")
def survey_show(
    survey: Annotated[str, typer.Argument(help="The survey's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Show a saved survey's newest version."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        stored = survey_store.find_survey(s, survey)
        version = survey_store.latest_version(s, stored.id)
        assert version is not None
        data = {"survey": stored.slug, "version": version.version, "definition": version.definition}
    if as_json:
        print_json(data)
        return
    definition = SurveyDefinition.model_validate(data["definition"])
    _ = gettext_for(organiser_language())
    out.print(
        _("{survey} version {version}: {title}").format(
            survey=stored.slug, version=data["version"], title=localized(definition.title, "en")
        )
    )
    for item in definition.walk():
        label = localized(item.label, definition.default_language)
        out.print(f"  {item.id} ({getattr(item.kind, 'value', item.kind)}): {label}")


@survey_app.command("schema")
def survey_schema() -> None:
    """Print the JSON Schema of the survey format."""
    sys.stdout.write(dump_schema())


@survey_app.command("templates")
def survey_templates() -> None:
    """List the bundled survey templates."""
    for name in template_names():
        sys.stdout.write(name + "\n")
