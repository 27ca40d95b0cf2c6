"""`consulta bot`: run Telegram by long polling, or Slack over Socket Mode, without a public URL."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bots.bootstrap import load_settings, start
from bots.cli.common import err, make_app, organiser_language
from core.i18n import gettext_for

bot_app = make_app("Run a platform's bot without a public URL, or register a webhook.")


@bot_app.command("telegram")
def bot_telegram(
    polling: Annotated[bool, typer.Option(help="Fetch updates with long polling.")] = False,
    set_webhook: Annotated[
        str | None, typer.Option(help="Tell Telegram to post updates to this public URL.")
    ] = None,
) -> None:
    """Run the Telegram bot by long polling, or register the webhook URL with Telegram."""
    from bots.telegram_bot import register_webhook, run_polling

    settings = load_settings()
    _ = gettext_for(organiser_language())
    if set_webhook:
        asyncio.run(register_webhook(settings, set_webhook))
        err.print(_("Telegram will post updates to that URL, with the secret token."))
        return
    if not polling:
        err.print(_("Say --polling to run by long polling, or --set-webhook URL."))
        raise typer.Exit(2)
    database = start(settings)
    err.print(
        _(
            "Polling Telegram. Updates are confirmed before they are processed: prefer "
            "the webhook where Telegram can reach this server."
        )
    )
    try:
        run_polling(settings, database)
    finally:
        database.dispose()


@bot_app.command("slack")
def bot_slack(
    socket: Annotated[bool, typer.Option(help="Connect over Socket Mode.")] = False,
) -> None:
    """Run the Slack app over Socket Mode, for workspaces without a public URL."""
    from bots.slack_bot import run_socket_mode

    if not socket:
        _ = gettext_for(organiser_language())
        err.print(
            _(
                "Say --socket to connect over Socket Mode; otherwise Slack posts to "
                "/slack/events on `consulta serve`."
            )
        )
        raise typer.Exit(2)
    settings = load_settings()
    database = start(settings)
    try:
        asyncio.run(run_socket_mode(settings, database))
    finally:
        database.dispose()
