"""`consulta config`: show and create settings."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer

from bots.bootstrap import load_settings
from bots.cli.common import JsonFlag, err, make_app, organiser_language, print_json, table
from core.config import EMPTY, NOT_SET
from core.i18n import gettext_for, ngettext_for

config_app = make_app("Show and create settings.")


@config_app.command("show")
def config_show(as_json: JsonFlag = False) -> None:
    """Show every setting in force, with secrets masked."""
    shown = load_settings().masked()
    if as_json:
        print_json(shown)
        return
    _ = gettext_for(organiser_language())
    table(
        [_("setting"), _("environment variable"), _("value")],
        [
            (k, f"CONSULTA_{k.upper()}", _(v) if v in (EMPTY, NOT_SET) else v)
            for k, v in shown.items()
        ],
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
    language = organiser_language()
    if not lines:
        _ = gettext_for(language)
        err.print(_("{path} already holds both keys; nothing changed.").format(path=path))
        return
    with path.open("a", encoding="utf-8") as handle:
        if existing and not existing.endswith("\n"):
            handle.write("\n")
        handle.write("\n".join(lines) + "\n")
    path.chmod(0o600)
    ngettext = ngettext_for(language)
    err.print(
        ngettext(
            "Wrote {count} new key to {path}. Keep this file private and backed up.",
            "Wrote {count} new keys to {path}. Keep this file private and backed up.",
            len(lines),
        ).format(count=len(lines), path=path)
    )
