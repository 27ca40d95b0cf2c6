"""`consulta config`: show and create settings."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer

from bots.bootstrap import load_settings
from bots.cli.common import JsonFlag, err, make_app, print_json, table

config_app = make_app("Show and create settings.")


@config_app.command("show")
def config_show(as_json: JsonFlag = False) -> None:
    """Show every setting in force, with secrets masked."""
    shown = load_settings().masked()
    if as_json:
        print_json(shown)
        return
    table(
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
