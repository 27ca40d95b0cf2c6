"""`consulta results`: a round's aggregated results, with small counts hidden."""

from __future__ import annotations

from typing import Annotated

import typer

from bots.cli.common import JsonFlag, open_database, out, print_json, table
from core.errors import InvalidInput
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
    with open_database() as (_, database), database.unit_of_work() as session:
        found = round_results(session, round_code)
    wanted = ["overall", *(by or [])]
    offered = {t.dimension for t in found.tables} | {t.dimension for t in found.response}
    unknown = [d for d in wanted if d not in offered and d not in dimensions_of(None)]
    if unknown:
        raise InvalidInput(
            f"--by {unknown[0]!r} is not a breakdown of this round; use one of "
            + ", ".join(sorted(offered - {"overall"}))
        )
    if as_json:
        print_json(found.as_data())
        return
    out.print(f"{found.round['title']} ({found.round['code']}): counts below {found.k} hidden")
    for response in found.response:
        if response.dimension in wanted:
            _show(response, found.k)
    for shown in found.tables:
        if shown.dimension in wanted:
            _show(shown, found.k)


def _show(shown: Table, k: int) -> None:
    people = {c for c, _ in shown.columns} == {"invited", "responded"}
    if people:
        columns = [shown.dimension_label, "invited", "answered", "rate"]
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
    columns = [shown.dimension_label, *(label for _, label in shown.columns), "total"]
    rows = [
        [
            label,
            *(shown.cell(value, c).text(k) for c, _ in shown.columns),
            shown.row_totals[value].text(k),
        ]
        for value, label in shown.rows
    ]
    if shown.column_totals is not None:
        rows.append(
            [
                "total",
                *(shown.column_totals[c].text(k) for c, _ in shown.columns),
                shown.total.text(k),
            ]
        )
    table(columns, rows, title=shown.title)
