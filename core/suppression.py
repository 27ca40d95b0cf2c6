"""Small-cell suppression: hide every count below k, then enough others that no sum gives one away.

Tables of results (core.results) and the civil-society view beside the perception gap
(core.gaps) are hidden by the same rule, with this one function.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Grid:
    """A table's raw counts and which entries are hidden, while the pattern is worked out."""

    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], int]
    row_totals: dict[str, int]
    column_totals: dict[str, int] | None
    total: int
    row_lines: bool
    column_lines: bool
    hidden: set[tuple[str, str]] = field(default_factory=set)

    # Entries: ("c", row, column) cells, ("r", row) row totals, ("k", column) column totals,
    # ("t",) the total.
    def count(self, entry: tuple[str, ...]) -> int:
        kind = entry[0]
        if kind == "c":
            return self.cells.get((entry[1], entry[2]), 0)
        if kind == "r":
            return self.row_totals[entry[1]]
        if kind == "k":
            assert self.column_totals is not None
            return self.column_totals[entry[1]]
        return self.total

    def lines(self) -> list[list[tuple[str, ...]]]:
        """Groups of entries of which one is the sum of the others."""
        found: list[list[tuple[str, ...]]] = []
        if self.row_lines:
            for row in self.rows:
                found.append([("c", row, c) for c in self.columns] + [("r", row)])
        if self.column_lines and self.column_totals is not None:
            for column in self.columns:
                found.append([("c", r, column) for r in self.rows] + [("k", column)])
        # Row totals add up to the total when rows split the answers.
        if self.column_totals is not None and (self.row_lines or self.column_lines):
            found.append([("r", r) for r in self.rows] + [("t",)])
            if self.row_lines:
                found.append([("k", c) for c in self.columns] + [("t",)])
        return found


def suppress(grid: Grid, k: int, hidden: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """Hide every count below k, then more until no sum gives a hidden count away."""
    entries: list[tuple[str, ...]] = [("c", r, c) for r in grid.rows for c in grid.columns]
    entries += [("r", r) for r in grid.rows]
    if grid.column_totals is not None:
        entries += [("k", c) for c in grid.columns]
    entries.append(("t",))
    hidden = set(hidden) | {e for e in entries if grid.count(e) < k}
    lines = grid.lines()
    changed = True
    while changed:
        changed = False
        for line in lines:
            concealed = [e for e in line if e in hidden]
            if len(concealed) != 1:
                continue
            # One hidden entry in a sum is the sum's difference: hide the smallest other
            # count too, cells before totals, in a fixed order so every run agrees.
            others = sorted(
                (e for e in line if e not in hidden),
                key=lambda e: (e[0] != "c", grid.count(e), e),
            )
            if others:
                hidden.add(others[0])
                changed = True
    return hidden
