"""`consulta keys`: a fresh key, and re-encrypting personal data under a new CONSULTA_SECRET_KEY."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer

from bots.bootstrap import require_key
from bots.cli.common import CLI_ACTOR, err, make_app, open_database, organiser_language
from core import audit, crypto
from core.errors import ConsultaError
from core.i18n import N_, gettext_for
from core.models import Base

keys_app = make_app("The key personal data is encrypted with: generate one, rotate to it.")
# Never a command-line argument: that would stay in the shell's history.
NEW_KEY_VARIABLE = "CONSULTA_NEW_SECRET_KEY"

NewKeyFile = Annotated[
    Path | None,
    typer.Option(
        "--new-key-file",
        help=f"A file holding the new key alone; else it is read from {NEW_KEY_VARIABLE}.",
        dir_okay=False,
    ),
]


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a fresh random key, e.g. `consulta keys generate > new.key`."""
    sys.stdout.write(secrets.token_urlsafe(32) + "\n")


@keys_app.command("rotate")
def keys_rotate(new_key_file: NewKeyFile = None) -> None:
    """Re-encrypt every platform id and chat id with a new key, all in one transaction.

    Stop `consulta serve`, the worker and the bots first: they still hold the old key.
    """
    new_secret, source = _new_key(new_key_file)
    with open_database() as (settings, database):
        old_secret = require_key(settings)
        if new_secret == old_secret:
            raise ConsultaError(
                N_("the new key in {source} is the key in use (CONSULTA_SECRET_KEY)"),
                source=source,
            )
        try:
            with database.unit_of_work() as session:
                counts = crypto.rotate(
                    session.connection(),
                    Base.metadata,
                    crypto.Cipher(old_secret),
                    crypto.Cipher(new_secret),
                )
                audit.record(
                    session,
                    actor=CLI_ACTOR,
                    action="secret_key.rotated",
                    subject_type="secret_key",
                    details={"values": sum(counts.values()), **counts},
                )
        except crypto.UnreadableData:
            raise ConsultaError(
                N_(
                    "the platform ids and chat ids in the database do not decrypt with "
                    "CONSULTA_SECRET_KEY, so it is not the key they were written with; nothing "
                    "was changed. Set CONSULTA_SECRET_KEY to the key in use and try again."
                )
            ) from None
    _ = gettext_for(organiser_language())
    err.print(
        _("Re-encrypted {count} platform ids and chat ids with the new key ({columns}).").format(
            count=sum(counts.values()),
            columns=", ".join(f"{name}: {n}" for name, n in counts.items()),
        )
    )
    err.print(
        _(
            "Next: put the new key in CONSULTA_SECRET_KEY (in .env or the environment) and "
            "restart `consulta serve`, the worker and the bots; until then they cannot read "
            "the re-encrypted data. Dashboard sessions signed with the old key end, so "
            "organisers sign in again, and web pages open now must be reloaded. Keep the old "
            "key until backups made with it are gone: they need it."
        )
    )


def _new_key(path: Path | None) -> tuple[str, str]:
    """The new key and where it came from: the file, else the environment variable."""
    if path is not None:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as problem:
            reason = getattr(problem, "strerror", None) or type(problem).__name__
            raise ConsultaError(
                N_("cannot read the new key from {path}: {reason}"), path=source, reason=reason
            ) from None
    else:
        source = NEW_KEY_VARIABLE
        text = os.environ.get(NEW_KEY_VARIABLE, "")
        if not text.strip():
            raise ConsultaError(
                N_(
                    "no new key: give it in a file with --new-key-file FILE, or in the "
                    "environment variable {variable} (`consulta keys generate` prints one)"
                ),
                variable=NEW_KEY_VARIABLE,
            )
    secret = text.strip()
    if not secret or any(c.isspace() for c in secret):
        raise ConsultaError(
            N_("{source} must hold the new key alone, on one line without spaces"), source=source
        )
    if len(secret) < crypto.MIN_SECRET_CHARACTERS:
        raise ConsultaError(
            N_(
                "the new key in {source} has {count} characters; use at least {least}, such "
                "as one `consulta keys generate` prints"
            ),
            source=source,
            count=len(secret),
            least=crypto.MIN_SECRET_CHARACTERS,
        )
    return secret, source
