"""The `consulta` command line, for organisers and operators."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from adapters.terminal import render
from bots.bootstrap import load_settings, start
from core import answers as answer_store
from core import audit as audit_log
from core import clusters as cluster_service
from core import migrate, people, recommendations, rounds, survey_store, tokens
from core.config import ConfigError, Settings, mask_url_password
from core.conversation.engine import EngineContext, handle
from core.db import Database
from core.errors import ConsultaError
from core.importing.readers import ImportFileError, ImportFormat, template_header
from core.importing.service import ImportOptions, import_recommendations
from core.messages import InboundEvent
from core.models import Disclosure
from core.vocabulary import Mechanism, OrganisationType, Platform, Position, Role
from surveys.definition import Survey as SurveyDefinition
from surveys.definition import localized
from surveys.loading import SurveyInvalid, dump_schema, load_survey_file
from surveys.templates import template_names, template_path

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


def _app(help: str) -> typer.Typer:
    return typer.Typer(cls=_FriendlyErrors, help=help, no_args_is_help=True, add_completion=False)


app = _app("Consulta: consultations and follow-up of human rights recommendations.")
db_app = _app("Create and migrate the database.")
config_app = _app("Show and create settings.")
demo_app = _app("Load the fictional Arcadia demo data.")
rec_app = _app("Import, list, search and show recommendations.")
org_app = _app("Organisations: government entities, NHRIs, civil society, academia, UN.")
part_app = _app("Participants and their roles.")
cluster_app = _app("Clusters of recommendations followed up together.")
entity_app = _app("Ministries and agencies responsible for implementation.")
token_app = _app("Bearer tokens for the REST API.")
audit_app = _app("Read the append-only audit log.")
survey_app = _app("Survey definitions: YAML, XLSForm and the bundled templates.")
round_app = _app("Consultation rounds: create, open, close, list and show.")
for sub, name in [
    (db_app, "db"),
    (config_app, "config"),
    (demo_app, "demo"),
    (rec_app, "recommendations"),
    (org_app, "organisations"),
    (part_app, "participants"),
    (cluster_app, "clusters"),
    (entity_app, "entities"),
    (token_app, "tokens"),
    (audit_app, "audit"),
    (survey_app, "survey"),
    (round_app, "rounds"),
]:
    app.add_typer(sub, name=name)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def _database(*, migrated: bool = True) -> Iterator[tuple[Settings, Database]]:
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


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)


# --- db ----------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring its schema up to date."""
    with _database(migrated=False) as (_, database):
        migrate.upgrade(database)
        revision = migrate.current_revision(database.engine)
    err.print(f"Database is at revision {revision}.")


@db_app.command("status")
def db_status() -> None:
    """Say whether the database is migrated to the newest schema."""
    with _database(migrated=False) as (_, database):
        current = migrate.current_revision(database.engine)
    head = migrate.head_revision()
    out.print(f"current: {current or '(not migrated)'}  newest: {head}")
    if current != head:
        raise typer.Exit(1)


# --- config ------------------------------------------------------------------------------------


@config_app.command("show")
def config_show(as_json: JsonFlag = False) -> None:
    """Show every setting in force, with secrets masked."""
    shown = load_settings().masked()
    if as_json:
        _print_json(shown)
        return
    _table(
        ["setting", "environment variable", "value"],
        [(k, f"CONSULTA_{k.upper()}", v) for k, v in shown.items()],
    )


@config_app.command("init")
def config_init(
    path: Annotated[Path, typer.Option(help="Where to write the settings file.")] = Path(".env"),
) -> None:
    """Write a .env with fresh random keys, unless one already sets them."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = []
    for name in ("CONSULTA_PSEUDONYM_KEY", "CONSULTA_SECRET_KEY"):
        if f"{name}=" not in existing:
            lines.append(f"{name}={secrets.token_urlsafe(32)}")
    if not lines:
        err.print(f"{path} already holds both keys; nothing changed.")
        return
    with path.open("a", encoding="utf-8") as handle:
        if existing and not existing.endswith("\n"):
            handle.write("\n")
        handle.write("\n".join(lines) + "\n")
    path.chmod(0o600)
    err.print(f"Wrote {len(lines)} new key(s) to {path}. Keep this file private and backed up.")


# --- demo --------------------------------------------------------------------------------------


@demo_app.command("load")
def demo_load() -> None:
    """Load the Arcadia demo: recommendations, organisations, people, clusters and a round."""
    from core.demo import load_demo

    with _database() as (settings, database):
        result = load_demo(database, settings.require_pseudonym_key())
    summary = result.recommendations
    err.print(
        f"Demo recommendations: {summary.added} added, {summary.unchanged} unchanged. "
        + (
            "Demo organisations, people and round created."
            if result.created
            else "Demo people and round were already there."
        )
    )
    err.print(
        f"Demo round code: {result.round_code}. Demo organiser: participant {result.organiser_id}."
    )


# --- recommendations ---------------------------------------------------------------------------


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
    with _database() as (settings, database):
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
        _print_json(summary.as_dict())
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
Limit = Annotated[int, typer.Option(min=1, max=10_000, help="How many to show.")]
Offset = Annotated[int, typer.Option(min=0, help="How many to skip.")]


def _show_page(page: recommendations.Page, as_json: bool) -> None:
    if as_json:
        _print_json(
            {
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
                "items": [recommendations.describe(r) for r in page.items],
            }
        )
        return
    _table(
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
    with _database() as (_, database), database.unit_of_work() as s:
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
    spec = _filter(country, mechanism, body, theme, sdg, position, cluster, session, query)
    with _database() as (_, database), database.unit_of_work() as s:
        _show_page(recommendations.search(s, spec, limit=limit, offset=offset), as_json)


@rec_app.command("show")
def rec_show(
    recommendation_id: Annotated[int, typer.Argument(help="The recommendation's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one recommendation in full, with its translations."""
    with _database() as (_, database), database.unit_of_work() as s:
        data = recommendations.describe(recommendations.get(s, recommendation_id))
    if as_json:
        _print_json(data)
        return
    for key, value in data.items():
        if isinstance(value, list):
            value = "; ".join(v["code"] if isinstance(v, dict) else str(v) for v in value)
        elif isinstance(value, dict):
            value = "\n".join(f"[{lang}] {text}" for lang, text in value.items())
        out.print(f"{key}: {'' if value is None else value}")


@rec_app.command("template")
def rec_template() -> None:
    """Print the header of Consulta's own CSV template, to start a file from."""
    sys.stdout.write(",".join(template_header()) + "\n")


# --- organisations and participants ------------------------------------------------------------


@org_app.command("add")
def org_add(
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    type: Annotated[OrganisationType, typer.Option(help="What kind of organisation.")],
    country: Annotated[str | None, typer.Option(help="Country.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register an organisation."""
    with _database() as (_, database), database.unit_of_work() as s:
        org = people.add_organisation(s, name=name, type=type, country=country, actor=CLI_ACTOR)
        data = {"id": org.id, "name": org.name, "type": org.type.value, "country": org.country}
    if as_json:
        _print_json(data)
    else:
        err.print(f"Organisation {data['id']} added: {data['name']} ({data['type']}).")


@org_app.command("list")
def org_list(
    type: Annotated[OrganisationType | None, typer.Option(help="Only this kind.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List organisations."""
    with _database() as (_, database), database.unit_of_work() as s:
        rows = [
            {"id": o.id, "name": o.name, "type": o.type.value, "country": o.country}
            for o in people.list_organisations(s, type=type)
        ]
    if as_json:
        _print_json(rows)
    else:
        _table(["id", "name", "type", "country"], [list(r.values()) for r in rows])


def _describe_participant(p: Any, show_names: bool) -> dict[str, Any]:
    data = {
        "id": p.id,
        "pseudonym": p.pseudonym,
        "role": p.role.value,
        "organisation": p.organisation.name if p.organisation else None,
        "language": p.language,
    }
    if show_names:
        data["name"] = p.display_name
    return data


@part_app.command("add")
def part_add(
    role: Annotated[Role, typer.Option(help="The participant's one role.")],
    name: Annotated[str | None, typer.Option(help="Display name (kept private).")] = None,
    organisation: Annotated[str | None, typer.Option(help="Organisation name or id.")] = None,
    language: Annotated[str | None, typer.Option(help="Preferred language code.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a participant, such as an organiser who needs an API token."""
    with _database() as (settings, database), database.unit_of_work() as s:
        p = people.add_participant(
            s,
            pseudonym_key=settings.require_pseudonym_key(),
            role=role,
            display_name=name,
            organisation=organisation,
            language=language,
            actor=CLI_ACTOR,
        )
        data = _describe_participant(p, show_names=False)
    if as_json:
        _print_json(data)
    else:
        err.print(
            f"Participant {data['id']} added as {data['role']}, pseudonym {data['pseudonym']}."
        )


@part_app.command("list")
def part_list(
    role: Annotated[Role | None, typer.Option(help="Only this role.")] = None,
    organisation: Annotated[str | None, typer.Option(help="Only this organisation.")] = None,
    show_names: Annotated[bool, typer.Option(help="Also show display names.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List participants by pseudonym; names only on request."""
    with _database() as (_, database), database.unit_of_work() as s:
        rows = [
            _describe_participant(p, show_names)
            for p in people.list_participants(s, role=role, organisation=organisation)
        ]
    if as_json:
        _print_json(rows)
    else:
        columns = ["id", "pseudonym", "role", "organisation", "language"]
        _table(columns + (["name"] if show_names else []), [list(r.values()) for r in rows])


# --- clusters and responsible entities ---------------------------------------------------------

RecIds = Annotated[
    list[int] | None,
    typer.Option("--recommendation", "-r", help="A recommendation id; repeatable."),
]


@cluster_app.command("add")
def cluster_add(
    name: Annotated[str, typer.Argument(help="The cluster's name.")],
    description: Annotated[str, typer.Option(help="What the cluster is about.")] = "",
    recommendation: RecIds = None,
) -> None:
    """Create a cluster of recommendations."""
    with _database() as (_, database), database.unit_of_work() as s:
        c = cluster_service.add_cluster(
            s,
            name=name,
            description=description,
            recommendation_ids=recommendation or [],
            actor=CLI_ACTOR,
        )
        err.print(f"Cluster {c.id} added: {c.name}, {len(c.recommendations)} recommendations.")


@cluster_app.command("assign")
def cluster_assign(
    cluster: Annotated[str, typer.Argument(help="Cluster name or id.")],
    recommendation_ids: Annotated[list[int], typer.Argument(help="Recommendation ids.")],
) -> None:
    """Add recommendations to a cluster."""
    with _database() as (_, database), database.unit_of_work() as s:
        found = cluster_service.find_cluster(s, cluster)
        added = cluster_service.add_to_cluster(s, found, recommendation_ids, actor=CLI_ACTOR)
        err.print(f"{added} recommendation(s) added to {found.name}.")


@cluster_app.command("list")
def cluster_list(as_json: JsonFlag = False) -> None:
    """List clusters with their size."""
    with _database() as (_, database), database.unit_of_work() as s:
        rows = [
            {
                "id": c.id,
                "name": c.name,
                "recommendations": len(c.recommendations),
                "description": c.description,
            }
            for c in cluster_service.list_clusters(s)
        ]
    if as_json:
        _print_json(rows)
    else:
        _table(["id", "name", "recommendations", "description"], [list(r.values()) for r in rows])


@entity_app.command("add")
def entity_add(
    name: Annotated[str, typer.Argument(help="The ministry's or agency's name.")],
    acronym: Annotated[str | None, typer.Option(help="Short name.")] = None,
    organisation: Annotated[str | None, typer.Option(help="Its organisation in Consulta.")] = None,
) -> None:
    """Register a responsible entity."""
    with _database() as (_, database), database.unit_of_work() as s:
        e = cluster_service.add_entity(
            s, name=name, acronym=acronym, organisation=organisation, actor=CLI_ACTOR
        )
        err.print(f"Responsible entity {e.id} added: {e.name}.")


@entity_app.command("assign")
def entity_assign(
    entity: Annotated[str, typer.Argument(help="Entity name, acronym or id.")],
    recommendation_ids: Annotated[list[int], typer.Argument(help="Recommendation ids.")],
) -> None:
    """Make an entity responsible for recommendations."""
    with _database() as (_, database), database.unit_of_work() as s:
        found = cluster_service.find_entity(s, entity)
        added = cluster_service.assign_entity(s, found, recommendation_ids, actor=CLI_ACTOR)
        err.print(f"{found.name} is now responsible for {added} more recommendation(s).")


@entity_app.command("list")
def entity_list(as_json: JsonFlag = False) -> None:
    """List responsible entities."""
    with _database() as (_, database), database.unit_of_work() as s:
        rows = [
            {"id": e.id, "name": e.name, "acronym": e.acronym}
            for e in cluster_service.list_entities(s)
        ]
    if as_json:
        _print_json(rows)
    else:
        _table(["id", "name", "acronym"], [list(r.values()) for r in rows])


# --- tokens ------------------------------------------------------------------------------------


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="The owner's role; must match the participant's.")],
    participant: Annotated[str, typer.Option(help="The owner's participant id or pseudonym.")],
    expires: Annotated[int | None, typer.Option(help="Days until the token expires.")] = None,
    label: Annotated[str, typer.Option(help="A note to tell tokens apart.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create an API token that acts as a participant; it is shown once."""
    with _database() as (_, database), database.unit_of_work() as s:
        owner = people.find_participant(s, participant)
        token, plaintext = tokens.create_token(
            s, participant=owner, role=role, expires_in_days=expires, label=label, actor=CLI_ACTOR
        )
        data = {
            "id": token.id,
            "token": plaintext,
            "participant": owner.pseudonym,
            "role": owner.role.value,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        }
    if as_json:
        _print_json(data)
        return
    err.print(
        f"Token {data['id']} for {data['participant']} ({data['role']}), expires "
        f"{data['expires_at'] or 'never'}. It is shown only now:"
    )
    sys.stdout.write(plaintext + "\n")


@token_app.command("list")
def token_list(as_json: JsonFlag = False) -> None:
    """List tokens (never their secret part)."""
    with _database() as (_, database), database.unit_of_work() as s:
        rows = [
            {
                "id": t.id,
                "prefix": t.prefix + "...",
                "participant": t.participant.pseudonym,
                "role": t.participant.role.value,
                "label": t.label,
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked": t.revoked_at is not None,
            }
            for t in tokens.list_tokens(s)
        ]
    if as_json:
        _print_json(rows)
    else:
        _table(list(rows[0]) if rows else ["id"], [list(r.values()) for r in rows])


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token at once."""
    with _database() as (_, database), database.unit_of_work() as s:
        tokens.revoke_token(s, token_id, actor=CLI_ACTOR)
    err.print(f"Token {token_id} revoked.")


# --- audit -------------------------------------------------------------------------------------


@audit_app.command("list")
def audit_list(limit: Limit = 50, as_json: JsonFlag = False) -> None:
    """Show the newest lines of the audit log."""
    with _database() as (_, database), database.unit_of_work() as s:
        rows = [
            {
                "id": e.id,
                "at": e.occurred_at.isoformat(timespec="seconds"),
                "actor": e.actor,
                "action": e.action,
                "subject": f"{e.subject_type}:{e.subject_id or ''}",
                "details": e.details,
            }
            for e in audit_log.recent(s, limit)
        ]
    if as_json:
        _print_json(rows)
    else:
        _table(
            ["id", "at", "actor", "action", "subject", "details"],
            [[*list(r.values())[:5], json.dumps(r["details"])] for r in rows],
        )


# --- surveys -----------------------------------------------------------------------------------


def _survey_source(source: str) -> Path:
    path = Path(source)
    if path.exists() or path.suffix:
        return path
    try:
        return template_path(source)
    except KeyError as unknown:
        raise ConsultaError(str(unknown.args[0])) from None


def _read_survey(source: str) -> SurveyDefinition:
    try:
        return load_survey_file(_survey_source(source))
    except SurveyInvalid as invalid:
        for problem in invalid.problems:
            err.print(f"  {problem}")
        raise ConsultaError(
            f"{source} has {len(invalid.problems)} problem(s); nothing was saved"
        ) from None


@survey_app.command("validate")
def survey_validate(
    file: Annotated[str, typer.Argument(help="A YAML survey, an XLSForm (.xlsx) or a template.")],
) -> None:
    """Check a survey file and report every problem with its line."""
    survey = _read_survey(file)
    count = sum(1 for _ in survey.walk())
    err.print(
        f"{file}: survey {survey.id!r} is valid ({count} items, languages "
        f"{', '.join(survey.languages)})."
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
    with _database() as (_, database), database.unit_of_work() as s:
        saved = survey_store.save_survey(s, survey, actor=CLI_ACTOR)
    data = {"survey": saved.slug, "version": saved.version, "created": saved.created}
    if as_json:
        _print_json(data)
    elif saved.created:
        err.print(f"Survey {saved.slug!r} saved as version {saved.version}.")
    else:
        err.print(f"Survey {saved.slug!r} is unchanged (version {saved.version}).")


@survey_app.command("list")
def survey_list(as_json: JsonFlag = False) -> None:
    """List saved surveys with their newest version."""
    with _database() as (_, database), database.unit_of_work() as s:
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
        _print_json(rows)
    else:
        _table(["survey", "version", "title", "saved_at"], [list(r.values()) for r in rows])


@survey_app.command("show")
def survey_show(
    survey: Annotated[str, typer.Argument(help="The survey's id.")],
    as_json: JsonFlag = False,
) -> None:
    """Show a saved survey's newest version."""
    with _database() as (_, database), database.unit_of_work() as s:
        stored = survey_store.find_survey(s, survey)
        version = survey_store.latest_version(s, stored.id)
        assert version is not None
        data = {"survey": stored.slug, "version": version.version, "definition": version.definition}
    if as_json:
        _print_json(data)
        return
    definition = SurveyDefinition.model_validate(data["definition"])
    out.print(f"{stored.slug} version {data['version']}: {localized(definition.title, 'en')}")
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


# --- rounds ------------------------------------------------------------------------------------


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConsultaError(
            f"--{name} {value!r} is not a date and time such as 2027-03-01T09:00+01:00"
        ) from None
    if moment.tzinfo is None:
        raise ConsultaError(f"--{name} {value!r} needs a time zone, such as +01:00 or Z")
    return moment


@round_app.command("create")
def round_create(
    title: Annotated[str, typer.Option(help="What the round is about.")],
    survey: Annotated[str, typer.Option(help="The id of a saved survey.")],
    code: Annotated[str | None, typer.Option(help="Join code (generated when left out).")] = None,
    cluster: Annotated[str | None, typer.Option(help="Scope: a cluster's name or id.")] = None,
    theme: Annotated[str | None, typer.Option(help="Scope: a theme.")] = None,
    sdg: Annotated[str | None, typer.Option(help="Scope: an SDG goal or target.")] = None,
    country: Annotated[str | None, typer.Option(help="Scope: a state under review.")] = None,
    recommendation: RecIds = None,
    invited_only: Annotated[
        bool, typer.Option(help="Only the roles, organisations or languages given may join.")
    ] = False,
    role: Annotated[list[Role] | None, typer.Option(help="Admit this role; repeatable.")] = None,
    organisation: Annotated[
        list[str] | None, typer.Option(help="Admit this organisation; repeatable.")
    ] = None,
    language: Annotated[
        list[str] | None,
        typer.Option(help="A language of the round; repeatable; the first is the default."),
    ] = None,
    opens: Annotated[str | None, typer.Option(help="Opening time, ISO 8601 with zone.")] = None,
    closes: Annotated[str | None, typer.Option(help="Closing time, ISO 8601 with zone.")] = None,
    timezone: Annotated[str, typer.Option(help="The round's time zone.")] = "UTC",
    disclosure: Annotated[Disclosure, typer.Option(help="Default disclosure of answers.")] = (
        Disclosure.ANONYMOUS
    ),
    disclosure_choice: Annotated[
        bool, typer.Option(help="Let participants choose the disclosure of written answers.")
    ] = True,
    min_cell_size: Annotated[int, typer.Option(help="Smallest count shown in results.")] = 5,
    description: Annotated[str, typer.Option(help="A longer description.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create a round in draft: a survey, a scope, an audience and a window."""
    languages = tuple(language or ["en"])
    plan = rounds.RoundPlan(
        title=title,
        survey=survey,
        code=code,
        description=description,
        scope=rounds.Scope(
            cluster=cluster,
            theme=theme,
            sdg=sdg,
            country=country,
            recommendation_ids=tuple(recommendation or ()),
        ),
        audience=rounds.Audience(
            invited_only=invited_only,
            roles=tuple(role or ()),
            organisations=tuple(organisation or ()),
            languages=tuple(language or ()) if invited_only else (),
        ),
        opens_at=_moment(opens, "opens"),
        closes_at=_moment(closes, "closes"),
        timezone=timezone,
        languages=languages,
        default_language=languages[0],
        default_disclosure=disclosure,
        allow_disclosure_choice=disclosure_choice,
        min_cell_size=min_cell_size,
    )
    with _database() as (_, database), database.unit_of_work() as s:
        data = rounds.describe(rounds.create_round(s, plan, actor=CLI_ACTOR))
    if as_json:
        _print_json(data)
    else:
        err.print(
            f"Round {data['code']} created in draft with {data['recommendations']} "
            f"recommendations. Open it with: consulta rounds open {data['code']}"
        )


@round_app.command("open")
def round_open(
    code: Annotated[str, typer.Argument(help="The round's code.")], as_json: JsonFlag = False
) -> None:
    """Open a round so participants can join with its code."""
    with _database() as (_, database), database.unit_of_work() as s:
        data = rounds.describe(rounds.open_round(s, code, actor=CLI_ACTOR))
    if as_json:
        _print_json(data)
    else:
        err.print(f"Round {data['code']} is open. Participants join by sending {data['code']}.")


@round_app.command("close")
def round_close(
    code: Annotated[str, typer.Argument(help="The round's code.")], as_json: JsonFlag = False
) -> None:
    """Close a round; its answers are kept."""
    with _database() as (_, database), database.unit_of_work() as s:
        data = rounds.describe(rounds.close_round(s, code, actor=CLI_ACTOR))
    if as_json:
        _print_json(data)
    else:
        err.print(f"Round {data['code']} is closed.")


@round_app.command("list")
def round_list(as_json: JsonFlag = False) -> None:
    """List rounds, newest first."""
    with _database() as (_, database), database.unit_of_work() as s:
        rows = [rounds.describe(r) for r in rounds.list_rounds(s)]
    if as_json:
        _print_json(rows)
    else:
        _table(
            ["code", "title", "status", "survey", "recommendations", "closes_at"],
            [
                [
                    r["code"],
                    r["title"],
                    r["status"],
                    r["survey"],
                    r["recommendations"],
                    r["closes_at"],
                ]
                for r in rows
            ],
        )


@round_app.command("show")
def round_show(
    code: Annotated[str, typer.Argument(help="The round's code.")], as_json: JsonFlag = False
) -> None:
    """Show one round, join code included."""
    with _database() as (_, database), database.unit_of_work() as s:
        data = rounds.describe(rounds.find_round(s, code))
    if as_json:
        _print_json(data)
        return
    for key, value in data.items():
        out.print(f"{key}: {value}")


# --- answers and chat --------------------------------------------------------------------------


@app.command("answers")
def answers_list(
    round_code: Annotated[str, typer.Option("--round", help="The round's code.")],
    all_versions: Annotated[bool, typer.Option(help="Include earlier versions.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List a round's answers as organisers may see them; withdrawn answers never appear."""
    with _database() as (_, database), database.unit_of_work() as s:
        rows = answer_store.for_round(
            s, rounds.find_round(s, round_code), all_versions=all_versions
        )
    if as_json:
        _print_json(rows)
    else:
        _table(
            [
                "participant",
                "organisation",
                "question",
                "recommendation",
                "answer",
                "version",
                "channel",
            ],
            [
                [
                    r["participant"] or "(anonymous)",
                    r["organisation"],
                    r["question"],
                    r["recommendation_id"],
                    r["text"] if r["text"] is not None else r["value"],
                    r["version"],
                    r["channel"],
                ]
                for r in rows
            ],
        )


@app.command("chat")
def chat(
    round_code: Annotated[str, typer.Option("--round", help="The round to join.")],
    name: Annotated[str, typer.Option("--as", help="Who you are in this terminal chat.")],
    language: Annotated[str | None, typer.Option(help="Your language (en, fr, ...).")] = None,
) -> None:
    """Take part in a round from the terminal, through the same engine as every channel."""
    interactive = sys.stdin.isatty()
    with _database() as (settings, database):
        context = EngineContext(settings.require_pseudonym_key())

        def send(text: str) -> None:
            event = InboundEvent(
                platform=Platform.TERMINAL, sender_id=name, text=text, language_hint=language
            )
            with database.unit_of_work() as s:
                replies = handle(s, event, context)
            for reply in replies:
                sys.stdout.write(render(reply) + "\n\n")
            sys.stdout.flush()

        send(f"join {round_code}")
        while True:
            try:
                line = input("> ") if interactive else sys.stdin.readline()
            except (EOFError, KeyboardInterrupt):
                break
            if not interactive and line == "":
                break
            if not interactive:
                sys.stdout.write(f"> {line.rstrip()}\n")
            send(line.rstrip("\n"))


# --- serve -------------------------------------------------------------------------------------


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the web server: health checks, the REST API and its documentation."""
    import uvicorn

    from bots.api.app import create_app

    settings = load_settings()
    host, port = host or settings.host, port or settings.port
    application = create_app(settings)
    err.print(f"Consulta is serving on http://{host}:{port} (API docs at /docs).")
    uvicorn.run(application, host=host, port=port, log_config=None, access_log=False)


def main() -> None:
    """Entry point of the `consulta` command."""
    app()
