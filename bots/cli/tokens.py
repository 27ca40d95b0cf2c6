"""`consulta tokens`: bearer tokens for the REST API."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

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
from core import people, tokens
from core.i18n import N_, gettext_for
from core.vocabulary import Role

token_app = make_app("Bearer tokens for the REST API.")
TOKEN_COLUMNS = {
    "id": N_("id"),
    "prefix": N_("prefix"),
    "participant": N_("participant"),
    "role": N_("role"),
    "label": N_("label"),
    "created_at": N_("created_at"),
    "expires_at": N_("expires_at"),
    "revoked": N_("revoked"),
}


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="The owner's role; must match the participant's.")],
    participant: Annotated[str, typer.Option(help="The owner's participant id or pseudonym.")],
    expires: Annotated[int | None, typer.Option(help="Days until the token expires.")] = None,
    label: Annotated[str, typer.Option(help="A note to tell tokens apart.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create an API token that acts as a participant; it is shown once."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
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
        print_json(data)
        return
    _ = gettext_for(organiser_language())
    err.print(
        _("Token {id} for {participant} ({role}), expires {expires}. It is shown only now:").format(
            id=data["id"],
            participant=data["participant"],
            role=data["role"],
            expires=data["expires_at"] or _("never"),
        )
    )
    sys.stdout.write(plaintext + "\n")


@token_app.command("list")
def token_list(as_json: JsonFlag = False) -> None:
    """List tokens (never their secret part)."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
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
        print_json(rows)
    else:
        _ = gettext_for(organiser_language())
        table([_(label) for label in TOKEN_COLUMNS.values()], [list(r.values()) for r in rows])


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token at once."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        tokens.revoke_token(s, token_id, actor=CLI_ACTOR)
    _ = gettext_for(organiser_language())
    err.print(_("Token {id} revoked.").format(id=token_id))
