"""The `consulta` command line, for organisers and operators.

Each command group lives in its own module; this one builds the root `app` from them.
"""

from __future__ import annotations

from bots.cli import (
    audit,
    bot,
    chat,
    clusters,
    config,
    db,
    demo,
    exports,
    keys,
    organisations,
    outbox,
    practices,
    recommendations,
    report,
    results,
    rounds,
    serve,
    surveys,
    tokens,
    updates,
)
from bots.cli.common import make_app

__all__ = ["app", "main"]

app = make_app("Consulta: consultations and follow-up of human rights recommendations.")
for sub, name in [
    (db.db_app, "db"),
    (config.config_app, "config"),
    (demo.demo_app, "demo"),
    (recommendations.rec_app, "recommendations"),
    (organisations.org_app, "organisations"),
    (organisations.part_app, "participants"),
    (clusters.cluster_app, "clusters"),
    (clusters.entity_app, "entities"),
    (tokens.token_app, "tokens"),
    (audit.audit_app, "audit"),
    (surveys.survey_app, "survey"),
    (rounds.round_app, "rounds"),
    (outbox.outbox_app, "outbox"),
    (bot.bot_app, "bot"),
    (updates.updates_app, "updates"),
    (practices.practices_app, "practices"),
    (keys.keys_app, "keys"),
]:
    app.add_typer(sub, name=name)

app.command("answers")(chat.answers_list)
app.command("chat")(chat.chat)
app.command("export")(exports.export)
app.command("gaps")(updates.gaps)
app.command("report")(report.report)
app.command("results")(results.results)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)


def main() -> None:
    """Entry point of the `consulta` command."""
    app()
