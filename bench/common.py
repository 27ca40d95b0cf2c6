"""Timing helpers shared by the benchmarks: alternating runs, medians and one table."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What every Consulta server process imports, whatever it then does: the reference process
# of the memory and start-up figures imports these and nothing else.
# The key platform ids are encrypted with, here and in every server or worker a benchmark
# starts, so they all read the same rows.
SECRET_KEY = "bench-secret-key-0123456789abcdef"
BARE_IMPORTS = ("fastapi", "slack_bolt", "telegram", "sqlalchemy", "babel", "apscheduler")
_BARE_IMPORT_CODE = (
    f"import {', '.join(BARE_IMPORTS)}\n"
    "from pathlib import Path\n"
    "status = Path('/proc/self/status').read_text()\n"
    "rss = next(line.split()[1] for line in status.splitlines() if line.startswith('VmRSS:'))\n"
    "print('imported', rss, flush=True)\n"
)


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


def rss_of(pid: int) -> int:
    """Resident memory of a running process in bytes (VmRSS from /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def bare_import() -> tuple[float, int]:
    """One fresh Python importing BARE_IMPORTS: seconds from spawn to imported, and its RSS.

    The time is taken from this side, from just before the process is spawned to the line it
    prints once its imports are done, so interpreter start-up counts as it does for a server.
    """
    # The repository's interpreter, from a neutral folder so no .env or local module is read.
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", _BARE_IMPORT_CODE],
        stdout=subprocess.PIPE,
        text=True,
        cwd="/",
        env={k: v for k, v in os.environ.items() if not k.startswith("CONSULTA_")},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    seconds = time.perf_counter() - started
    process.wait()
    words = line.split()
    if process.returncode != 0 or len(words) != 2 or words[0] != "imported":
        raise RuntimeError(f"the bare import process failed ({process.returncode}): {line!r}")
    return seconds, int(words[1]) * 1024


def bare_import_baseline(repeats: int = 5) -> tuple[float, int]:
    """Median seconds to imported and median RSS in bytes of `repeats` bare_import runs."""
    runs = [bare_import() for _ in range(repeats)]
    return (
        statistics.median(seconds for seconds, _ in runs),
        int(statistics.median(rss for _, rss in runs)),
    )


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


def open_round_on(database: Any, survey: Any, code: str, country: str, **plan: Any) -> None:
    """Save a survey and open a round on it over a country's recommendations, for a month."""
    from datetime import UTC, datetime, timedelta

    from core import rounds
    from core.survey_store import save_survey

    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        save_survey(session, survey)
        details = rounds.RoundPlan(
            title=plan.pop("title", "Bench round"),
            survey=survey.id,
            code=code,
            scope=rounds.Scope(country=country),
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
            **plan,
        )
        rounds.create_round(session, details)
        rounds.open_round(session, code, now=now)
