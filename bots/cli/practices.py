"""`consulta practices`: good practices, their review, and the files deployments exchange.

Writing and reviewing act as a participant (`--as`), whose verified role must allow it.
Everything else is read as organisers read it. `export` writes the published practices in
the exchange format; another deployment's `import` adds what it does not hold yet.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from sqlalchemy.orm import Session

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
from bots.cli.updates import As
from core import people, practice_exchange, practices
from core.errors import InvalidInput, located
from core.formatting import file_size
from core.i18n import N_, gettext_for
from core.models import Participant, PracticeState, PracticeVersion, TagKind

practices_app = make_app("Good practices: write, review, search, and exchange them.")

IMPORT_SETTING = "CONSULTA_PRACTICES_IMPORT_MAX_BYTES"
LIST_FIELDS = ("themes", "sdg_targets", "recommendations", "languages")
WORD_FIELDS = ("mechanism", "country", "contact", "licence", "language")
FIELDS = (*practices.TEXT_FIELDS, *WORD_FIELDS, *LIST_FIELDS, "translations")


class ExchangeFormat(StrEnum):
    """How `export` writes the practices."""

    JSON = "json"
    JSONLD = "jsonld"


Ref = Annotated[str, typer.Argument(help="The practice's number or its urn:uuid.")]
Language = Annotated[
    str | None, typer.Option(help="Show this translation where there is one (fr, es, ...).")
]
FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file", help="A YAML or JSON file with the practice's fields; options override it."
    ),
]
Title = Annotated[str | None, typer.Option(help="At most 200 characters.")]
Summary = Annotated[str | None, typer.Option(help="At most 2,000 characters.")]
Done = Annotated[str | None, typer.Option(help="What was done.")]
Results = Annotated[str | None, typer.Option(help="What came of it.")]
Lessons = Annotated[str | None, typer.Option(help="What others can learn.")]
Themes = Annotated[list[str] | None, typer.Option("--theme", help="A theme; repeatable.")]
Targets = Annotated[
    list[str] | None, typer.Option("--sdg", help="An SDG target such as 16.3; repeatable.")
]
Recommendations = Annotated[
    list[str] | None,
    typer.Option("--recommendation", "-r", help="A recommendation's id, source id or key."),
]
MechanismOpt = Annotated[str | None, typer.Option(help="How the mechanism is set up.")]
CountryOpt = Annotated[str | None, typer.Option(help="The country.")]
Contact = Annotated[str | None, typer.Option(help="Whom to ask; it is published.")]
Licence = Annotated[
    str | None, typer.Option(help=f"One of {', '.join(practices.LICENCES)}.", show_default=False)
]
WrittenIn = Annotated[str | None, typer.Option("--language", help="The texts' language.")]


# --- reading what is written --------------------------------------------------------------------


class _TextLoader(yaml.SafeLoader):
    """YAML whose plain values stay text: SDG target 16.10 is not the number 16.1."""


_TEXT_ONLY = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}
_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _TEXT_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _key_lines(text: str) -> dict[str, int]:
    """The line each top-level field starts on, for messages that point at it."""
    try:
        node = yaml.compose(text, Loader=_TextLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in node.value}


def read_practice_file(path: Path) -> dict[str, Any]:
    """A practice's fields from a YAML or JSON file; a mistake names the file, line and field."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(located(path, N_("no such file"))) from None
    except UnicodeDecodeError:
        raise InvalidInput(located(path, N_("is not UTF-8 text; save it as UTF-8"))) from None
    except OSError as problem:
        raise InvalidInput(
            located(path, N_("cannot be read ({problem})"), problem=problem.strerror or problem)
        ) from None
    try:
        data = yaml.load(text, Loader=_TextLoader)
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        raise InvalidInput(
            located(
                path,
                N_("not valid YAML or JSON ({problem})"),
                mark.line + 1 if mark else None,
                problem=getattr(problem, "problem", None) or "?",
            )
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            located(path, N_("write the practice's fields as a mapping, such as title: ..."))
        )
    lines = _key_lines(text)
    for name, value in data.items():
        line = lines.get(str(name))
        if name not in FIELDS:
            raise InvalidInput(
                located(
                    path,
                    N_("{field} is not a field of a practice; the fields are {fields}"),
                    line,
                    field=str(name),
                    fields=", ".join(FIELDS),
                )
            )
        data[name] = _field(path, line, name, value)
    return data


def _field(path: Path, line: int | None, name: str, value: Any) -> Any:
    if name in LIST_FIELDS:
        if isinstance(value, str):
            return [part for part in (p.strip() for p in value.split(",")) if part]
        if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            return [str(v) for v in value]
        if value is None:
            return []
        raise InvalidInput(
            located(path, N_("{field}: write a list, such as [a, b]"), line, field=name)
        )
    if name == "translations":
        if isinstance(value, dict) and all(
            isinstance(fields, dict) and all(isinstance(v, str) for v in fields.values())
            for fields in value.values()
        ):
            return {str(code): dict(fields) for code, fields in value.items()}
        raise InvalidInput(
            located(
                path,
                N_(
                    "{field}: write each language's texts, such as fr: {{title: ..., summary: ...}}"
                ),
                line,
                field=name,
            )
        )
    if value is None:
        return None if name == "contact" else ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidInput(located(path, N_("{field}: write it as text"), line, field=name))


def _fields_of(version: PracticeVersion) -> dict[str, Any]:
    """A version's fields as a draft takes them, so a revision changes only what it gives."""
    return {
        **{name: getattr(version, name) for name in practices.TEXT_FIELDS},
        "themes": [t.code for t in version.tags_of(TagKind.THEME)],
        "sdg_targets": [t.code for t in version.tags_of(TagKind.SDG_TARGET)],
        "recommendations": list(version.recommendations or []),
        "mechanism": version.mechanism,
        "country": version.country,
        "languages": list(version.languages or []),
        "contact": version.contact,
        "licence": version.licence,
        "language": version.language,
        "translations": dict(version.translations or {}),
    }


def _draft(
    base: Mapping[str, Any], file: Path | None, given: Mapping[str, Any]
) -> practices.PracticeDraft:
    fields = dict(base)
    if file is not None:
        fields.update(read_practice_file(file))
    fields.update({name: value for name, value in given.items() if value is not None})
    if "title" not in fields or "summary" not in fields:
        missing = "title" if "title" not in fields else "summary"
        raise InvalidInput(
            N_("{field}: this field is needed; give --{field} or put it in --file"),
            field=missing,
        )
    return practices.PracticeDraft(**fields, channel="cli")


# --- reading ------------------------------------------------------------------------------------


@practices_app.command("list")
def practices_list(
    theme: Annotated[str | None, typer.Option(help="Only practices with this theme.")] = None,
    sdg: Annotated[str | None, typer.Option(help="Only those about this SDG target.")] = None,
    mechanism: Annotated[
        str | None, typer.Option(help="Only mechanisms whose description holds this.")
    ] = None,
    country: Annotated[str | None, typer.Option(help="Only practices from this country.")] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Words to look for, in any language.")
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="Only practices available in this language, shown in it.")
    ] = None,
    limit: Limit = 50,
    as_json: JsonFlag = False,
) -> None:
    """Published practices, newest first."""
    wanted = practices.Search(
        text=search or "",
        theme=theme or "",
        sdg_target=sdg or "",
        mechanism=mechanism or "",
        country=country or "",
        language=language or "",
    )
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = [
            practices.describe(s, v, language) for v in practices.search(s, wanted, limit=limit)
        ]
    if as_json:
        print_json(rows)
        return
    _ = gettext_for(organiser_language())
    if not rows:
        err.print(_("No published practice matches."))
        return
    table(
        [
            _("id"),
            _("title"),
            _("themes"),
            _("SDG targets"),
            _("organisation"),
            _("version"),
            _("published"),
        ],
        [
            (
                r["id"],
                r["title"],
                ", ".join(r["themes"]),
                ", ".join(r["sdg_targets"]),
                r["organisation"] or r["origin"],
                r["version"],
                (r["published_at"] or "")[:10],
            )
            for r in rows
        ],
    )


@practices_app.command("show")
def practices_show(ref: Ref, language: Language = None, as_json: JsonFlag = False) -> None:
    """A practice at the version the public sees (or its latest draft), with every version."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        practice = practices.get(s, ref)
        shown = practices.current(practice) or practice.versions[-1]
        data = practices.describe(s, shown, language)
        data["history"] = [
            {
                "version": v.version,
                "state": v.state.value,
                "title": v.title,
                "posted_at": v.created_at.isoformat(timespec="seconds"),
                "published_at": (
                    v.published_at.isoformat(timespec="seconds") if v.published_at else None
                ),
                "origin": v.origin,
                "review_note": v.review_note,
            }
            for v in practice.versions
        ]
    if as_json:
        print_json(data)
        return
    out.print(_practice_text(data, organiser_language()))


def _practice_text(data: dict[str, Any], language: str) -> str:
    _ = gettext_for(language)
    lines = [
        _("Practice {id}, version {version} of {versions} ({state}): {title}").format(
            id=data["id"],
            version=data["version"],
            versions=data["versions"],
            state=data["state"],
            title=data["title"],
        ),
        data["uid"],
        _("by: {organisation}").format(organisation=data["organisation"] or data["origin"] or "-"),
        data["summary"],
    ]
    for name, label in ((f, practices.FIELD_NAMES[f]) for f in ("done", "results", "lessons")):
        if data[name]:
            lines.append(f"{_(label)}: {data[name]}")
    for name, label in (
        ("themes", N_("themes")),
        ("sdg_targets", N_("SDG targets")),
        ("languages", N_("languages")),
    ):
        if data[name]:
            lines.append(f"{_(label)}: {', '.join(data[name])}")
    for name in ("mechanism", "country", "contact", "licence"):
        if data[name]:
            lines.append(f"{_(practices.FIELD_NAMES[name])}: {data[name]}")
    for ref in data["recommendations"]:
        named = " ".join(str(p) for p in (ref.get("document_symbol"), ref.get("paragraph")) if p)
        lines.append(_("recommendation: {reference}").format(reference=named or ref["key"]))
    lines.append("")
    for entry in data["history"]:
        lines.append(
            _("version {version}: {state}, posted {posted}").format(
                version=entry["version"], state=entry["state"], posted=entry["posted_at"]
            )
            + (f" — {entry['review_note']}" if entry["review_note"] else "")
        )
    return "\n".join(lines)


@practices_app.command("themes")
def practices_themes(as_json: JsonFlag = False) -> None:
    """The themes of published practices, most used first."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = practices.themes(s)
    if as_json:
        print_json([{"theme": theme, "practices": number} for theme, number in rows])
        return
    _ = gettext_for(organiser_language())
    if not rows:
        err.print(_("No published practice has a theme yet."))
        return
    table([_("theme"), _("practices")], rows)


# --- writing and reviewing ----------------------------------------------------------------------


@practices_app.command("submit")
def practices_submit(
    actor: As,
    file: FileOpt = None,
    title: Title = None,
    summary: Summary = None,
    done: Done = None,
    results: Results = None,
    lessons: Lessons = None,
    theme: Themes = None,
    sdg: Targets = None,
    recommendation: Recommendations = None,
    mechanism: MechanismOpt = None,
    country: CountryOpt = None,
    contact: Contact = None,
    licence: Licence = None,
    language: WrittenIn = None,
    as_json: JsonFlag = False,
) -> None:
    """Write a good practice; it is a draft until an organiser approves it."""
    given = {
        "title": title,
        "summary": summary,
        "done": done,
        "results": results,
        "lessons": lessons,
        "themes": theme,
        "sdg_targets": sdg,
        "recommendations": recommendation,
        "mechanism": mechanism,
        "country": country,
        "contact": contact,
        "licence": licence,
        "language": language,
    }
    draft = _draft({}, file, given)
    with open_database() as (_settings, database), database.unit_of_work() as s:
        author = people.find_participant(s, actor)
        data = practices.describe(s, practices.submit(s, author, draft))
    _report(data, as_json)


@practices_app.command("revise")
def practices_revise(
    ref: Ref,
    actor: As,
    file: FileOpt = None,
    title: Title = None,
    summary: Summary = None,
    done: Done = None,
    results: Results = None,
    lessons: Lessons = None,
    theme: Themes = None,
    sdg: Targets = None,
    recommendation: Recommendations = None,
    mechanism: MechanismOpt = None,
    country: CountryOpt = None,
    contact: Contact = None,
    licence: Licence = None,
    language: WrittenIn = None,
    as_json: JsonFlag = False,
) -> None:
    """Edit a practice: a new draft version; fields not given stay as in the latest version."""
    given = {
        "title": title,
        "summary": summary,
        "done": done,
        "results": results,
        "lessons": lessons,
        "themes": theme,
        "sdg_targets": sdg,
        "recommendations": recommendation,
        "mechanism": mechanism,
        "country": country,
        "contact": contact,
        "licence": licence,
        "language": language,
    }
    with open_database() as (_settings, database), database.unit_of_work() as s:
        author = people.find_participant(s, actor)
        latest = practices.get(s, ref).versions[-1]
        draft = _draft(_fields_of(latest), file, given)
        data = practices.describe(s, practices.revise(s, author, ref, draft))
    _report(data, as_json)


@practices_app.command("review")
def practices_review(as_json: JsonFlag = False) -> None:
    """Drafts waiting for an organiser, oldest first."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = [
            {**practices.describe(s, v), "translated_texts": v.translations or {}}
            for v in practices.awaiting_review(s)
        ]
    if as_json:
        print_json(rows)
        return
    _ = gettext_for(organiser_language())
    if not rows:
        err.print(_("No draft is waiting for review."))
        return
    table(
        [_("id"), _("version"), _("title"), _("organisation"), _("posted")],
        [(r["id"], r["version"], r["title"], r["organisation"], r["posted_at"][:10]) for r in rows],
        title=_(
            "Publish one with: consulta practices approve ID --as ORGANISER; "
            "send it back with: consulta practices reject ID --as ORGANISER --note ..."
        ),
    )


@practices_app.command("approve")
def practices_approve(
    ref: Ref,
    actor: As,
    note: Annotated[str | None, typer.Option(help="A note for the author.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Publish a practice's draft; only a verified organiser may."""
    _review(actor, as_json, lambda s, reviewer: practices.approve(s, reviewer, ref, note=note))


@practices_app.command("reject")
def practices_reject(
    ref: Ref,
    actor: As,
    note: Annotated[
        str, typer.Option(help="Why it is sent back, so the author can fix it.", show_default=False)
    ],
    as_json: JsonFlag = False,
) -> None:
    """Send a practice's draft back to its author with a note; only a verified organiser may."""
    _review(actor, as_json, lambda s, reviewer: practices.reject(s, reviewer, ref, note=note))


def _review(
    actor: str, as_json: bool, decide: Callable[[Session, Participant], PracticeVersion]
) -> None:
    with open_database() as (_settings, database), database.unit_of_work() as s:
        reviewer = people.find_participant(s, actor)
        data = practices.describe(s, decide(s, reviewer))
    _report(data, as_json)


def _report(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(data)
        return
    _ = gettext_for(organiser_language())
    if data["state"] == PracticeState.DRAFT.value:
        said = _(
            "Practice {id} version {version} is a draft until an organiser reviews it: "
            "consulta practices approve {id} --as ORGANISER "
            "(or reject {id} --as ORGANISER --note ...)."
        )
    elif data["state"] == PracticeState.PUBLISHED.value:
        said = _(
            "Practice {id} version {version} is published; followers of its themes, "
            "SDG targets and recommendations will be told."
        )
    else:
        said = _("Practice {id} version {version} was sent back: {note}")
    err.print(said.format(id=data["id"], version=data["version"], note=data["review_note"]))


# --- exchange -----------------------------------------------------------------------------------


@practices_app.command("export")
def practices_export(
    fmt: Annotated[
        ExchangeFormat,
        typer.Option(
            "--format",
            help="json: the exchange format other deployments import; jsonld: schema.org.",
        ),
    ] = ExchangeFormat.JSON,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not to stdout.")
    ] = None,
) -> None:
    """Write the published practices, with every published version, as one file."""
    with open_database() as (settings, database), database.unit_of_work() as s:
        document = practice_exchange.export(s, settings.deployment_name, settings.public_url)
    data = practice_exchange.to_jsonld(document) if fmt is ExchangeFormat.JSONLD else document
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    _ = gettext_for(organiser_language())
    err.print(
        _("Wrote {count} practices to {file}.").format(
            count=len(document["practices"]), file=output
        )
    )


@practices_app.command("import")
def practices_import(
    file: Annotated[Path, typer.Argument(help="Another deployment's `practices export` file.")],
    as_json: JsonFlag = False,
) -> None:
    """Add the practices of another deployment's file; a re-import adds nothing."""
    with open_database() as (settings, database):
        limit = settings.practices_import_max_bytes
        try:
            size = file.stat().st_size
        except FileNotFoundError:
            raise InvalidInput(located(file, N_("no such file"))) from None
        # Refused on its size alone, before a byte of it is read.
        if size > limit:
            raise InvalidInput(
                located(
                    file,
                    N_(
                        "is {size}, larger than the import limit of {limit}; "
                        "the limit is set by {setting}"
                    ),
                    size=file_size(size),
                    limit=file_size(limit),
                    setting=IMPORT_SETTING,
                )
            )
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(located(file, N_("is not UTF-8 text; save it as UTF-8"))) from None
        document = practice_exchange.read(text, source=str(file))
        with database.unit_of_work() as s:
            merged = practice_exchange.merge(
                s, document, actor=CLI_ACTOR, text=text, source=str(file)
            )
    if as_json:
        print_json(
            {
                "origin": merged.origin,
                "practices_added": merged.practices_added,
                "versions_added": merged.versions_added,
                "unchanged": merged.unchanged,
            }
        )
        return
    _ = gettext_for(organiser_language())
    err.print(
        _(
            "{file}: from {origin}. Practices added {added}, new versions {versions}, "
            "unchanged {unchanged}."
        ).format(
            file=file,
            origin=merged.origin,
            added=merged.practices_added,
            versions=merged.versions_added,
            unchanged=merged.unchanged,
        )
    )
