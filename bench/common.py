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

    @property
    def ratio(self) -> float:
        return self.value / self.reference if self.reference else float("nan")

    @property
    def meets_target(self) -> bool | None:
        return None if self.target_ratio is None else self.ratio >= self.target_ratio


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
                "-" if f.target_ratio is None else f">= {f.target_ratio}",
                {None: "-", True: "yes", False: "NO"}[f.meets_target],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
