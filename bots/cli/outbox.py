"""`consulta outbox`: what is waiting to be sent, what went, and what was given up on."""

from __future__ import annotations

from bots.cli.common import (
    JsonFlag,
    Limit,
    make_app,
    open_database,
    organiser_language,
    print_json,
    table,
)
from core import outbox
from core.i18n import gettext_for

outbox_app = make_app("The outbox: messages waiting, sent and given up on.")


@outbox_app.command("status")
def outbox_status(as_json: JsonFlag = False) -> None:
    """Count messages by platform and state, with sends that may have gone twice."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = outbox.status_counts(s)
    if as_json:
        print_json(rows)
    else:
        _ = gettext_for(organiser_language())
        table(
            [_("platform"), _("status"), _("count"), _("uncertain sends")],
            [[r["platform"], r["status"], r["count"], r["uncertain_sends"]] for r in rows],
        )


@outbox_app.command("dead")
def outbox_dead(limit: Limit = 50, as_json: JsonFlag = False) -> None:
    """List messages given up on (dead letters), newest first, without their content."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = [
            {
                "id": r.id,
                "platform": r.platform.value,
                "attempts": r.attempts,
                "last_error": r.last_error,
                "created_at": r.created_at.isoformat(timespec="seconds"),
            }
            for r in outbox.dead_letters(s, limit)
        ]
    if as_json:
        print_json(rows)
    else:
        _ = gettext_for(organiser_language())
        table(
            [_("id"), _("platform"), _("attempts"), _("last_error"), _("created_at")],
            [list(r.values()) for r in rows],
        )
