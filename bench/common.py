"""Timing helpers shared by the benchmarks: alternating runs, medians and one table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure next to its reference, both from the same run."""

    name: str
    unit: str
    value: float
    reference_name: str
    reference: float
    # The lowest acceptable value/reference ratio; None when the figure is only reported.
    target_ratio: float | None = None
    # For a figure where less is better (memory): the target is then the highest acceptable
    # value/reference ratio, shown as "<= x".
    lower_is_better: bool = False

    @property
    def ratio(self) -> float:
        return self.value / self.reference if self.reference else float("nan")

    @property
    def meets_target(self) -> bool | None:
        if self.target_ratio is None:
            return None
        if self.lower_is_better:
            return self.ratio <= self.target_ratio
        return self.ratio >= self.target_ratio

    @property
    def target(self) -> str:
        if self.target_ratio is None:
            return "-"
        return f"{'<=' if self.lower_is_better else '>='} {self.target_ratio}"


def alternate(
    subject: Callable[[], None],
    reference: Callable[[], None],
    repeats: int,
    prepare: Callable[[], None] | None = None,
) -> tuple[float, float]:
    """Median seconds of subject and reference, run in turn so machine noise hits both."""
    subject_times: list[float] = []
    reference_times: list[float] = []
    for _ in range(repeats):
        reference_times.append(_timed(reference))
        if prepare:
            prepare()
        subject_times.append(_timed(subject))
    return statistics.median(subject_times), statistics.median(reference_times)


def rotate(works: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Median seconds of each piece of work, all run in turn `repeats` times, in the order given."""
    times: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(repeats):
        for name, work in works.items():
            times[name].append(_timed(work))
    return {name: statistics.median(taken) for name, taken in times.items()}


def _timed(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def table(figures: list[Figure]) -> str:
    """The figures as one plain-text table."""
    header = ("figure", "value", "reference", "ref. value", "ratio", "target", "ok")
    rows = [header]
    for f in figures:
        rows.append(
            (
                f.name,
                f"{f.value:,.0f} {f.unit}",
                f.reference_name,
                f"{f.reference:,.0f} {f.unit}",
                f"{f.ratio:.3f}",
                f.target,
                {None: "-", True: "yes", False: "NO"}[f.meets_target],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
