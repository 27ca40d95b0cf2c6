"""`consulta results`: a round's aggregated results, with small counts hidden."""

from __future__ import annotations

from typing import Annotated

import typer

from bots.cli.common import JsonFlag, open_database, organiser_language, out, print_json, table
from core.errors import InvalidInput
from core.i18n import N_, gettext_for
from core.results import Table, dimensions_of, round_results


def results(
    round_code: Annotated[str, typer.Option("--round", help="The round's code.")],
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="Break down by language, channel, stakeholder_group, organisation_type, "
            "recommendation, cluster, theme, sdg_target or profile:QUESTION; repeatable.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show a round's results: who answered, and each choice and scale question's counts."""
    with open_database() as (_settings, database), database.unit_of_work() as session:
        found = round_results(session, round_code)
    wanted = ["overall", *(by or [])]
    offered = {t.dimension for t in found.tables} | {t.dimension for t in found.response}
    unknown = [d for d in wanted if d not in offered and d not in dimensions_of(None)]
    if unknown:
        raise InvalidInput(
            N_("--by {value!r} is not a breakdown of this round; use one of {breakdowns}"),
            value=unknown[0],
            breakdowns=", ".join(sorted(offered - {"overall"})),
        )
    if as_json:
        print_json(found.as_data())
        return
    _ = gettext_for(organiser_language())
    out.print(
        _("{title} ({code}): counts below {k} hidden").format(
            title=found.round["title"], code=found.round["code"], k=found.k
        )
    )
    for response in found.response:
        if response.dimension in wanted:
            _show(response, found.k)
    for shown in found.tables:
        if shown.dimension in wanted:
            _show(shown, found.k)


def _show(shown: Table, k: int) -> None:
    _ = gettext_for(organiser_language())
    people = {column for column, _label in shown.columns} == {"invited", "responded"}
    if people:
        columns = [shown.dimension_label, _("invited"), _("answered"), _("rate")]
        rows = [
            [
                label,
                shown.cell(value, "invited").text(k),
                shown.cell(value, "responded").text(k),
                "" if shown.rate(value) is None else f"{shown.rate(value):.0%}",
            ]
            for value, label in shown.rows
        ]
        table(columns, rows, title=shown.title)
        return
    columns = [shown.dimension_label, *(label for _key, label in shown.columns), _("total")]
    rows = [
        [
            label,
            *(shown.cell(value, c).text(k) for c, _label in shown.columns),
            shown.row_totals[value].text(k),
        ]
        for value, label in shown.rows
    ]
    if shown.column_totals is not None:
        rows.append(
            [
                _("total"),
                *(shown.column_totals[c].text(k) for c, _label in shown.columns),
                shown.total.text(k),
            ]
        )
    table(columns, rows, title=shown.title)
