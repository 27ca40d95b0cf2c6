"""`consulta demo`: load the fictional Arcadia demo data."""

from __future__ import annotations

from bots.cli.common import err, make_app, open_database, organiser_language
from core.i18n import gettext_for

demo_app = make_app("Load the fictional Arcadia demo data.")


@demo_app.command("load")
def demo_load() -> None:
    """Load the Arcadia demo: recommendations, organisations, people, clusters and a round."""
    from core.demo import load_demo

    with open_database() as (settings, database):
        result = load_demo(database, settings.require_pseudonym_key())
    summary = result.recommendations
    _ = gettext_for(organiser_language())
    err.print(
        _("Demo recommendations: {added} added, {unchanged} unchanged.").format(
            added=summary.added, unchanged=summary.unchanged
        )
        + " "
        + (
            _("Demo organisations, people and round created.")
            if result.created
            else _("Demo people and round were already there.")
        )
    )
    err.print(
        _("Demo round code: {code}. Demo organiser: participant {id}.").format(
            code=result.round_code, id=result.organiser_id
        )
    )
