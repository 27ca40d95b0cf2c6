"""Exporting a round of a million-answer database, against the sqlite3 command-line tool.

The database is bench/answers_generator.py's: 1,000,000 answers in 5 rounds of 200,000, from
200,000 participants, in Consulta's real schema. One round (the first) is exported.

1. Aggregated CSV export (`core.exports.export_round(session, code, "csv", out)`), next to
   the same SQL statements run by the sqlite3 command-line tool in one invocation on the same
   file. The statements are those the export issues, caught with SQLAlchemy's
   `before_cursor_execute` event during one export and written with their parameters inlined
   to bench/results/export-statements.sql (printed one a line, in full with -v).
2. Raw CSV export (`raw=True`), next to `sqlite3 -csv` dumping the same columns of the same
   rows to a file with one SELECT; and, for information, a bare Python sqlite3 cursor writing
   that SELECT's rows through the csv module, next to the same dump.
3. Peak memory (VmHWM) of each export, run in a process of its own, on the 1,000,000-answer
   file and on a 100,000-answer one made the same way: under 150 MB, and not growing with the
   number of answers.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench import answers_generator
from bench.common import Figure, alternate, rotate
from core.db import Database

# BENCH_EXPORT_ANSWERS=100000 gives a quick run on a smaller file (and one ten times smaller).
ANSWERS = int(os.environ.get("BENCH_EXPORT_ANSWERS") or 1_000_000)
SMALL_ANSWERS = ANSWERS // 10
REPEATS = 3
# An aggregated export slower than this runs once rather than REPEATS times.
SLOW_EXPORT_SECONDS = 20.0
MEMORY_BUDGET_MB = 150.0
# Ten times the answers may cost at most this much more memory: what "not growing" allows
# for noise (allocator arenas, the page cache of a bigger file's indexes).
MEMORY_GROWTH = 1.2
RESULTS = Path(__file__).parent / "results"
STATEMENTS_FILE = RESULTS / "export-statements.sql"
RAW_STATEMENTS_FILE = RESULTS / "export-raw-statements.sql"
SQLITE3 = shutil.which("sqlite3")


def run() -> list[Figure]:
    """Aggregated and raw export speed next to the sqlite3 tool, and their peak memory."""
    if SQLITE3 is None:
        print("bench_export: skipped, the sqlite3 command-line tool is not installed")
        return []
    try:
        import core.exports  # noqa: F401
    except ImportError as missing:
        print(f"bench_export: skipped, core.exports cannot be imported ({missing})")
        return []
    big = answers_generator.database(ANSWERS)
    small = answers_generator.database(SMALL_ANSWERS)
    workdir = Path(tempfile.mkdtemp(prefix="consulta-bench-export-"))
    try:
        return [
            *_aggregated(big, workdir),
            *_raw(big, workdir),
            *_memory(big, small, workdir),
        ]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _tool() -> str:
    assert SQLITE3 is not None
    return SQLITE3


def _verbose() -> bool:
    return os.environ.get("BENCH_VERBOSE", "") not in ("", "0")


def _code(generated: answers_generator.Generated) -> str:
    return generated.rounds[0]


def _export(database: Database, code: str, out: Path, *, raw: bool) -> int:
    from core.exports import export_round

    with database.unit_of_work() as session, out.open("wb") as handle:
        return export_round(session, code, "csv", handle, raw=raw)


# --- 1. the aggregated export and its own SQL -----------------------------------------------


def _aggregated(big: answers_generator.Generated, workdir: Path) -> list[Figure]:
    code, answers = _code(big), big.answers_per_round
    database = Database(big.url)
    out = workdir / "results.csv"
    try:
        started = time.perf_counter()
        with _captured(database) as capture:
            rows = _export(database, code, out, raw=False)
        once = time.perf_counter() - started
        _show_statements(
            f"the aggregated export of {code} ({rows:,} CSV rows)", capture, STATEMENTS_FILE
        )
        # Three alternations of an export that takes minutes would take a quarter of an hour.
        repeats = REPEATS if once < SLOW_EXPORT_SECONDS else 1
        if repeats < REPEATS:
            print(
                f"bench_export: the aggregated export took {once:.0f} s, so it runs once "
                f"(next to one run of the tool) instead of {REPEATS} times"
            )
        # The tool raises if a statement fails: a statement it skipped would make it look fast.
        ours_s, tool_s = alternate(
            lambda: _export(database, code, out, raw=False),
            lambda: _tool_statements(big.path),
            repeats,
        )
    finally:
        database.dispose()
    count = len(capture.statements)
    return [
        Figure(
            f"aggregated CSV export of a round ({answers:,} answers, {count} SQL)",
            "answers/s",
            answers / ours_s,
            "sqlite3 CLI running the same SQL statements",
            answers / tool_s,
            target_ratio=0.67,
        )
    ]


@dataclass
class _Capture:
    """The statements sent to the database, parameters inlined, and how long each took."""

    statements: list[str] = field(default_factory=list)
    # Seconds from sending each statement to its first row, which for a GROUP BY on SQLite
    # is nearly all of its work (rows are then read as they come).
    seconds: list[float] = field(default_factory=list)


@contextlib.contextmanager
def _captured(database: Database) -> Iterator[_Capture]:
    """Every statement sent to the database inside the block, with its parameters inlined."""
    capture = _Capture()
    started: list[float] = []

    def before(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        for one in parameters if many else [parameters]:
            capture.statements.append(_render(statement, one).strip().rstrip(";") + ";")
        started.append(time.perf_counter())

    def after(*_: Any) -> None:
        capture.seconds.append(time.perf_counter() - started.pop())

    event.listen(database.engine, "before_cursor_execute", before)
    event.listen(database.engine, "after_cursor_execute", after)
    try:
        yield capture
    finally:
        event.remove(database.engine, "before_cursor_execute", before)
        event.remove(database.engine, "after_cursor_execute", after)


def _render(statement: str, parameters: Any) -> str:
    """The statement with each `?` outside quotes replaced by its parameter as an SQL literal."""
    if not parameters:
        return statement
    if isinstance(parameters, dict):
        raise ValueError("named parameters: the SQLite dialect was expected to send `?` ones")
    values = iter(parameters)
    out: list[str] = []
    closing: str | None = None
    for char in statement:
        if closing is not None:
            # Inside a string or a quoted name; a doubled quote closes and reopens, which is fine.
            closing = None if char == closing else closing
        elif char in "'\"`[":
            closing = "]" if char == "[" else char
        elif char == "?":
            out.append(_literal(next(values)))
            continue
        out.append(char)
    if next(values, _END) is not _END:
        raise ValueError(f"more parameters than placeholders in {statement!r}")
    return "".join(out)


_END = object()


def _literal(value: Any) -> str:
    """A parameter as SQLite reads it inline: numbers as they are, text quoted, bytes in hex."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NULL"
        if math.isinf(value):
            return "9e999" if value > 0 else "-9e999"
        return repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"X'{bytes(value).hex()}'"
    text = str(value)
    if "\x00" in text:
        return f"CAST(X'{text.encode('utf-8').hex()}' AS TEXT)"
    return "'" + text.replace("'", "''") + "'"


def _show_statements(what: str, capture: _Capture, path: Path) -> None:
    """Write the statements to path and print them, one a line (in full with -v)."""
    statements = capture.statements
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(s + "\n" for s in statements), encoding="utf-8")
    print(f"bench_export: {what} issues {len(statements)} SQL statements: {path}")
    timed = len(capture.seconds) == len(statements)
    for number, statement in enumerate(statements, start=1):
        took = f"{capture.seconds[number - 1]:7.3f} s " if timed else ""
        if _verbose():
            print(f"-- {number}: {took.strip()}\n{statement}")
        else:
            line = re.sub(r"\s+", " ", statement)
            print(f"  {number:3} {took}" + (line if len(line) <= 180 else line[:177] + "..."))
    if timed and statements:
        slowest = sorted(range(len(statements)), key=lambda i: -capture.seconds[i])[:3]
        print(
            "bench_export: slowest, to the first row: "
            + ", ".join(f"#{i + 1} {capture.seconds[i]:.2f} s" for i in slowest)
            + f" (all: {sum(capture.seconds):.2f} s)"
        )


def _tool_statements(path: Path) -> None:
    with STATEMENTS_FILE.open("rb") as statements:
        done = subprocess.run(
            [_tool(), "-bail", str(path)],
            stdin=statements,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
    if done.returncode or done.stderr:
        raise RuntimeError(f"sqlite3 failed on {STATEMENTS_FILE}: {done.stderr.decode()[:500]}")


# --- 2. the raw export and one SELECT -------------------------------------------------------


def _raw_select(round_id: int) -> str:
    """The raw export's columns (core.results.RAW_COLUMNS), as the export writes them.

    A text value is written bare, JSON null as an empty cell, a number or a list as stored.
    """
    return (
        "SELECT participants.pseudonym AS participant, participants.role AS stakeholder_group, "
        "answers.question_id AS question, answers.recommendation_id, "
        "CASE json_type(answers.value) WHEN 'text' THEN json_extract(answers.value, '$') "
        "WHEN 'null' THEN NULL ELSE answers.value END AS value, "
        "answers.text, answers.language, answers.channel, answers.disclosure, answers.version, "
        "CASE WHEN answers.is_current THEN 'true' ELSE 'false' END AS current, "
        "CASE WHEN answers.withdrawn_at IS NULL THEN 'false' ELSE 'true' END AS withdrawn, "
        "date(answers.answered_at) AS answered_on "
        "FROM answers JOIN participants ON participants.id = answers.participant_id "
        f"WHERE answers.round_id = {int(round_id)} ORDER BY answers.id"
    )


def _raw(big: answers_generator.Generated, workdir: Path) -> list[Figure]:
    code, answers = _code(big), big.answers_per_round
    with contextlib.closing(sqlite3.connect(big.path)) as connection:
        (round_id,) = connection.execute("SELECT id FROM rounds WHERE code = ?", (code,)).fetchone()
    select = _raw_select(round_id)
    ours_file, tool_file, bare_file = (workdir / f"raw-{n}.csv" for n in ("ours", "tool", "bare"))
    database = Database(big.url)
    try:
        with _captured(database) as capture:
            rows = _export(database, code, ours_file, raw=True)
        _show_statements(
            f"the raw export of {code} ({rows:,} answers)", capture, RAW_STATEMENTS_FILE
        )
        print(f"bench_export: the sqlite3 reference (-csv -header) runs:\n  {select}")

        def tool() -> None:
            with tool_file.open("wb") as out:
                subprocess.run(
                    [_tool(), "-csv", "-header", str(big.path), select],
                    stdout=out,
                    check=True,
                )

        def bare() -> None:
            with (
                contextlib.closing(sqlite3.connect(big.path)) as bare_connection,
                bare_file.open("w", encoding="utf-8", newline="") as out,
            ):
                cursor = bare_connection.execute(select)
                writer = csv.writer(out)
                writer.writerow([d[0] for d in cursor.description])
                writer.writerows(cursor)

        tool()
        _same_rows(ours_file, tool_file, rows)
        times = rotate(
            {
                "tool": tool,
                "ours": lambda: _export(database, code, ours_file, raw=True),
                "bare": bare,
            },
            REPEATS,
        )
    finally:
        database.dispose()
    return [
        Figure(
            f"raw CSV export of a round ({answers:,} answers)",
            "answers/s",
            answers / times["ours"],
            "sqlite3 -csv dumping the same columns",
            answers / times["tool"],
            target_ratio=0.33,
        ),
        Figure(
            "bare Python sqlite3 cursor + csv.writer, same SELECT (info)",
            "answers/s",
            answers / times["bare"],
            "sqlite3 -csv dumping the same columns",
            answers / times["tool"],
        ),
    ]


def _same_rows(ours: Path, tool: Path, expected: int) -> None:
    """Say whether the export and the tool wrote the same cells: the reference does the work."""
    with (
        ours.open(encoding="utf-8-sig", newline="") as mine,
        tool.open(encoding="utf-8", newline="") as theirs,
    ):
        differ, total, first = 0, -1, None  # the header is row 0
        pairs = itertools.zip_longest(csv.reader(mine), csv.reader(theirs))
        for total, (a, b) in enumerate(pairs):
            if a != b and (a is None or b is None or list(map(_cell, a)) != list(map(_cell, b))):
                differ += 1
                first = first or (total, a, b)
    if differ or total != expected:
        print(
            f"bench_export: WARNING the raw export and sqlite3 differ on {differ} of {total} "
            f"rows (the export says {expected:,}); first: {first}"
        )
    else:
        print(f"bench_export: the raw export and sqlite3 wrote the same {expected:,} rows")


def _cell(text: str) -> Any:
    """A cell to compare: a JSON list whatever its spacing, anything else as it is."""
    if text.startswith(("[", "{")):
        with contextlib.suppress(ValueError):
            return json.loads(text)
    return text


# --- 3. peak memory -------------------------------------------------------------------------


def _memory(
    big: answers_generator.Generated, small: answers_generator.Generated, workdir: Path
) -> list[Figure]:
    figures = []
    for kind, label in (("aggregated", "aggregated"), ("raw", "raw")):
        peaks = {}
        for generated in (big, small):
            measured = _child_peak(generated, kind, workdir / f"memory-{kind}.csv")
            peaks[generated.answers] = measured
            print(
                f"bench_export: {label} export of {_code(generated)} in "
                f"{generated.path.name}: {measured['rows']:,} rows, "
                f"{measured['before_kb'] / 1024:,.0f} MB before, "
                f"peak {measured['peak_kb'] / 1024:,.0f} MB"
            )
        peak_big = peaks[big.answers]["peak_kb"] / 1024
        peak_small = peaks[small.answers]["peak_kb"] / 1024
        figures += [
            Figure(
                f"peak RSS, {label} CSV export, {big.answers:,}-answer file",
                "MB",
                peak_big,
                "budget",
                MEMORY_BUDGET_MB,
                target_ratio=1.0,
                lower_is_better=True,
            ),
            Figure(
                f"peak RSS, {label} CSV export, {big.answers:,} vs {small.answers:,} answers",
                "MB",
                peak_big,
                f"same export, {small.answers:,}-answer file",
                peak_small,
                target_ratio=MEMORY_GROWTH,
                lower_is_better=True,
            ),
        ]
    return figures


def _child_peak(generated: answers_generator.Generated, kind: str, out: Path) -> dict[str, int]:
    """Run one export in a fresh interpreter; its rows and memory before and at the peak."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_export", "--child", generated.url, kind, str(out)],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _status_kb(field: str) -> int:
    """A line of /proc/self/status in kB, or ru_maxrss where there is no /proc."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(url: str, kind: str, out: str) -> None:
    from core.exports import export_round  # imported before the baseline is read

    database = Database(url)
    with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection:
        (code,) = connection.execute("SELECT code FROM rounds ORDER BY id LIMIT 1").fetchone()
    before = _status_kb("VmRSS")
    with database.unit_of_work() as session, open(out, "wb") as handle:
        rows = export_round(session, code, "csv", handle, raw=kind == "raw")
    peak = _status_kb("VmHWM")
    database.dispose()
    print(json.dumps({"rows": rows, "before_kb": before, "peak_kb": peak}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(*sys.argv[2:5])
