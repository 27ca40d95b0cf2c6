"""`consulta audit`: read the append-only audit log."""

from __future__ import annotations

import json

from bots.cli.common import (
    JsonFlag,
    Limit,
    make_app,
    open_database,
    organiser_language,
    print_json,
    table,
)
from core import audit as audit_log
from core.i18n import gettext_for

audit_app = make_app("Read the append-only audit log.")


@audit_app.command("list")
def audit_list(limit: Limit = 50, as_json: JsonFlag = False) -> None:
    """Show the newest lines of the audit log."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
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
        print_json(rows)
    else:
        _ = gettext_for(organiser_language())
        table(
            [_("id"), _("at"), _("actor"), _("action"), _("subject"), _("details")],
            [[*list(r.values())[:5], json.dumps(r["details"])] for r in rows],
        )
