"""The geometry of a horizontal bar chart, drawn as inline SVG by the templates.

Each of a question's answers is one bar, its label above it and its count (or `<k` where the
count is suppressed) at the bar's end. Right-to-left languages mirror the chart: labels and
bars start at the right edge. Labels follow the chart's direction; counts are always
written left to right. Counts and percentages are written as the page's language writes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import formatting
from core.i18n import SOURCE_LANGUAGE
from core.results import Cell, Table

WIDTH = 640
LABEL_HEIGHT = 18
BAR_HEIGHT = 20
GAP = 12
PAD = 8
# Room at the bar's end for "123 (100%)".
VALUE_ROOM = 110


@dataclass(frozen=True)
class Bar:
    """One answer's bar: where it sits, how long it is and what it says."""

    label: str
    value_text: str
    suppressed: bool
    label_x: float
    label_y: float
    bar_x: float
    bar_y: float
    bar_width: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    """A whole chart: its size, its bars and how its text is anchored."""

    width: int
    height: int
    bars: list[Bar]
    # The SVG's own direction, so labels anchor at "start" whatever the page's direction is.
    direction: str
    # Counts read left to right in every language ("<5", not "5>"); in a mirrored chart
    # they end where the bar starts.
    value_anchor: str
    bar_height: int = BAR_HEIGHT


def share(count: int | None, total: int | None, language: str = SOURCE_LANGUAGE) -> str:
    """A count's share of its total, as a whole percentage, when both may be shown."""
    if count is None or not total:
        return ""
    return formatting.percent(count / total, language)


def count_text(cell: Cell, k: int, language: str = SOURCE_LANGUAGE) -> str:
    """A count as it may be published, in the language's digits: `<k` where it is hidden."""
    if cell.suppressed:
        return "<" + formatting.number(k, language)
    return formatting.number(cell.count, language)


def bar_chart(
    table: Table,
    k: int,
    *,
    row: str = "all",
    rtl: bool = False,
    language: str = SOURCE_LANGUAGE,
) -> Chart:
    """One row of a table (by default the overall row) as bars, one per answer.

    `rtl` mirrors the chart for the answers' language; `language` writes its numbers.
    """
    total = table.row_totals.get(row)
    total_shown = total.shown if total is not None else None
    cells = [(label, table.cell(row, value)) for value, label in table.columns]
    largest = max((c.count for _, c in cells if not c.suppressed), default=0) or 1
    usable = WIDTH - 2 * PAD - VALUE_ROOM
    bars: list[Bar] = []
    y = float(PAD)
    for label, cell in cells:
        length = 0.0 if cell.suppressed else usable * cell.count / largest
        # A zero still shows as a sliver, so the bar's place is visible.
        if not cell.suppressed and length < 2:
            length = 2.0
        percent = share(cell.shown, total_shown, language)
        text = count_text(cell, k, language) + (f" ({percent})" if percent else "")
        bar_y = y + LABEL_HEIGHT
        if rtl:
            start = WIDTH - PAD
            bar_x = start - length
            value_x = bar_x - 6
        else:
            bar_x = float(PAD)
            value_x = bar_x + length + 6
            start = PAD
        bars.append(
            Bar(
                label=label,
                value_text=text,
                suppressed=cell.suppressed,
                label_x=start,
                label_y=y + LABEL_HEIGHT - 5,
                bar_x=round(bar_x, 1),
                bar_y=bar_y,
                bar_width=round(length, 1),
                value_x=round(value_x, 1),
                value_y=bar_y + BAR_HEIGHT - 5,
            )
        )
        y = bar_y + BAR_HEIGHT + GAP
    return Chart(
        width=WIDTH,
        height=int(y - GAP + PAD),
        bars=bars,
        direction="rtl" if rtl else "ltr",
        value_anchor="end" if rtl else "start",
    )
