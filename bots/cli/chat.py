"""`consulta answers` and `consulta chat`: read answers, or take part from the terminal."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from adapters.terminal import render
from bots.cli.common import JsonFlag, open_database, organiser_language, print_json, table
from bots.inbound import receive
from core import answers as answer_store
from core import rounds
from core.i18n import gettext_for
from core.messages import InboundEvent
from core.vocabulary import Platform


def answers_list(
    round_code: Annotated[str, typer.Option("--round", help="The round's code.")],
    all_versions: Annotated[bool, typer.Option(help="Include earlier versions.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List a round's answers as organisers may see them; withdrawn answers never appear."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = answer_store.for_round(
            s, rounds.find_round(s, round_code), all_versions=all_versions
        )
    if as_json:
        print_json(rows)
    else:
        _ = gettext_for(organiser_language())
        table(
            [
                _("participant"),
                _("organisation"),
                _("question"),
                _("recommendation"),
                _("answer"),
                _("version"),
                _("channel"),
            ],
            [
                [
                    r["participant"] or _("(anonymous)"),
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


def chat(
    round_code: Annotated[str, typer.Option("--round", help="The round to join.")],
    name: Annotated[str, typer.Option("--as", help="Who you are in this terminal chat.")],
    language: Annotated[str | None, typer.Option(help="Your language (en, fr, ...).")] = None,
) -> None:
    """Take part in a round from the terminal, through the same engine as every channel."""
    interactive = sys.stdin.isatty()
    with open_database() as (settings, database):
        settings.require_pseudonym_key()

        def send(text: str) -> None:
            event = InboundEvent(
                platform=Platform.TERMINAL, sender_id=name, text=text, language_hint=language
            )
            for reply in receive(database, settings, event):
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
