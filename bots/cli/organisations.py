"""`consulta organisations` and `consulta participants`: who takes part, and for whom."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from bots.cli.common import (
    CLI_ACTOR,
    JsonFlag,
    err,
    make_app,
    open_database,
    organiser_language,
    print_json,
    table,
)
from core import invitations, invitees, people, permissions
from core.errors import located
from core.i18n import N_, gettext_for, ngettext_for
from core.models import Participant
from core.vocabulary import OrganisationType, Role

org_app = make_app("Organisations: government entities, NHRIs, civil society, academia, UN.")
part_app = make_app("Participants and their roles.")


@org_app.command("add")
def org_add(
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    type: Annotated[OrganisationType, typer.Option(help="What kind of organisation.")],
    country: Annotated[str | None, typer.Option(help="Country.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register an organisation."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        org = people.add_organisation(s, name=name, type=type, country=country, actor=CLI_ACTOR)
        data = {"id": org.id, "name": org.name, "type": org.type.value, "country": org.country}
    if as_json:
        print_json(data)
    else:
        _ = gettext_for(organiser_language())
        err.print(
            _("Organisation {id} added: {name} ({type}).").format(
                id=data["id"], name=data["name"], type=data["type"]
            )
        )


@org_app.command("list")
def org_list(
    type: Annotated[OrganisationType | None, typer.Option(help="Only this kind.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List organisations."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = [
            {"id": o.id, "name": o.name, "type": o.type.value, "country": o.country}
            for o in people.list_organisations(s, type=type)
        ]
    if as_json:
        print_json(rows)
    else:
        _ = gettext_for(organiser_language())
        table([_("id"), _("name"), _("type"), _("country")], [list(r.values()) for r in rows])


def _describe_participant(p: Any, show_names: bool) -> dict[str, Any]:
    data = {
        "id": p.id,
        "pseudonym": p.pseudonym,
        "role": p.role.value,
        "organisation": p.organisation.name if p.organisation else None,
        "language": p.language,
        # Permissions given by name (`participants grant`), beyond the role's.
        "grants": list(p.grants or []),
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
    with open_database() as (settings, database), database.unit_of_work() as s:
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
        print_json(data)
    else:
        _ = gettext_for(organiser_language())
        err.print(
            _("Participant {id} added as {role}, pseudonym {pseudonym}.").format(
                id=data["id"], role=data["role"], pseudonym=data["pseudonym"]
            )
        )


@part_app.command("list")
def part_list(
    role: Annotated[Role | None, typer.Option(help="Only this role.")] = None,
    organisation: Annotated[str | None, typer.Option(help="Only this organisation.")] = None,
    show_names: Annotated[bool, typer.Option(help="Also show display names.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List participants by pseudonym; names only on request."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = [
            _describe_participant(p, show_names)
            for p in people.list_participants(s, role=role, organisation=organisation)
        ]
    if as_json:
        print_json(rows)
    else:
        _ = gettext_for(organiser_language())
        columns = [_("id"), _("pseudonym"), _("role"), _("organisation"), _("language")]
        columns += [_("grants")] + ([_("name")] if show_names else [])
        for row in rows:
            row["grants"] = ", ".join(row["grants"])
        table(columns, [list(r.values()) for r in rows])


@part_app.command("invite")
def part_invite(
    role: Annotated[Role, typer.Option(help="nhri or government.", show_default=False)],
    organisation: Annotated[
        str,
        typer.Option(help="Organisation name or id, of the role's type.", show_default=False),
    ],
    name: Annotated[str | None, typer.Option(help="The invitee's name (kept private).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a one-time code that gives an NHRI or government focal point their role."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        made = invitations.invite(
            s, role=role, organisation=organisation, display_name=name, actor=CLI_ACTOR
        )
    days = invitations.INVITATION_LIFETIME.days
    # The JSON's how_to_redeem is read by programs as well as people: it stays in English.
    redeem = f"send `verify {made.code}` to the bot in Slack, Telegram or over the webhook"
    if as_json:
        print_json(
            {
                "code": made.code,
                "role": made.role.value,
                "organisation": made.organisation,
                "valid_days": days,
                "expires_at": made.expires_at.isoformat(timespec="seconds"),
                "how_to_redeem": redeem,
            }
        )
        return
    language = organiser_language()
    _, ngettext = gettext_for(language), ngettext_for(language)
    err.print(
        ngettext(
            "Invitation for the {role} role at {organisation}. It works once, for {days} day, "
            "until {moment} UTC. It is shown only now:",
            "Invitation for the {role} role at {organisation}. It works once, for {days} days, "
            "until {moment} UTC. It is shown only now:",
            days,
        ).format(
            role=made.role.value,
            organisation=made.organisation,
            days=days,
            moment=f"{made.expires_at:%Y-%m-%d %H:%M}",
        )
    )
    sys.stdout.write(made.code + "\n")
    err.print(
        _(
            "To redeem it, the invitee should send `verify {code}` to the bot in Slack, "
            "Telegram or over the webhook."
        ).format(code=made.code)
    )


Who = Annotated[str, typer.Argument(help="The participant's id or pseudonym.", show_default=False)]
Grantable = Annotated[
    str,
    typer.Argument(
        help="The permission: "
        + ", ".join(sorted(p.value for p in permissions.GRANTABLE))
        + " (every answer of a round, by pseudonym).",
        show_default=False,
    ),
]


@part_app.command("grant")
def part_grant(participant: Who, permission: Grantable) -> None:
    """Give a verified organiser, by name, a permission no role has."""
    _change_grant(
        participant,
        permission,
        permissions.grant,
        N_("{participant} may now use {permission}."),
        N_("{participant} already had {permission}; nothing changed."),
    )


@part_app.command("revoke")
def part_revoke(participant: Who, permission: Grantable) -> None:
    """Take back a permission given by name."""
    _change_grant(
        participant,
        permission,
        permissions.revoke,
        N_("{participant} no longer has {permission}."),
        N_("{participant} did not have {permission}; nothing changed."),
    )


def _change_grant(
    participant: str,
    permission: str,
    change: Callable[[Session, Participant, str, str], bool],
    done: str,
    unchanged: str,
) -> None:
    with open_database() as (_settings, database), database.unit_of_work() as s:
        person = people.find_participant(s, participant)
        changed = change(s, person, permission, CLI_ACTOR)
        name = person.pseudonym
    _ = gettext_for(organiser_language())
    said = _(done if changed else unchanged)
    err.print(said.format(participant=name, permission=permission))


@part_app.command("import")
def part_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="A CSV file (UTF-8, comma or semicolon) with the columns name, organisation, "
            "role, language and optionally slack, telegram and webhook."
        ),
    ],
    skip_invalid: Annotated[
        bool, typer.Option(help="Add the good rows even if some are bad.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add invited participants, with their contact handles, from a CSV file."""
    with open_database() as (settings, database):
        summary = invitees.import_invitees(
            database,
            file,
            pseudonym_key=settings.require_pseudonym_key(),
            skip_invalid=skip_invalid,
            actor=CLI_ACTOR,
            max_bytes=settings.import_max_bytes,
        )
    if as_json:
        print_json(summary.as_dict())
    else:
        language = organiser_language()
        _ = gettext_for(language)
        err.print(
            _("{file}: added {added}, duplicates {duplicates}, rejected {rejected}.").format(
                file=file,
                added=summary.added,
                duplicates=summary.duplicates,
                rejected=len(summary.rejected),
            )
        )
        for problem in summary.rejected:
            where = located(file, "{reason}", problem.line, reason=problem.reason)
            err.print("  " + where.in_language(language))
        if not summary.committed:
            err.print(
                _(
                    "Nobody was added. Fix the rows above, or pass --skip-invalid to add the "
                    "good rows only."
                )
            )
    if not summary.committed:
        raise typer.Exit(1)
