"""`consulta demo`: load the fictional Arcadia demo data."""

from __future__ import annotations

from bots.cli.common import err, make_app, open_database

demo_app = make_app("Load the fictional Arcadia demo data.")


@demo_app.command("load")
def demo_load() -> None:
    """Load the Arcadia demo: recommendations, organisations, people, clusters and a round."""
    from core.demo import load_demo

    with open_database() as (settings, database):
        result = load_demo(database, settings.require_pseudonym_key())
    summary = result.recommendations
    err.print(
        f"Demo recommendations: {summary.added} added, {summary.unchanged} unchanged. "
        + (
            "Demo organisations, people and round created."
            if result.created
            else "Demo people and round were already there."
        )
    )
    err.print(
        f"Demo round code: {result.round_code}. Demo organiser: participant {result.organiser_id}."
    )
