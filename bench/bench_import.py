"""Importing the real UPR Info file, against a plain `csv` module read of the same file."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from bench.common import Figure, alternate
from core import migrate
from core.db import Database
from core.importing.readers import open_recommendation_file
from core.importing.service import ImportOptions, import_recommendations

SHARED_FILE = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "upr-info" / "sessions-1-5.csv"
)
REPEATS = 5


def run() -> list[Figure]:
    """Rows per second for reading and for importing, each next to a plain csv read."""
    if not SHARED_FILE.exists():
        print(f"bench_import: skipped, {SHARED_FILE} is absent")
        return []
    rows = _plain_csv_rows()
    workdir = Path(tempfile.mkdtemp(prefix="consulta-bench-"))
    counter = iter(range(1_000_000))
    current: dict[str, Database] = {}

    def fresh_database() -> None:
        if "db" in current:
            current["db"].dispose()
        database = Database(f"sqlite:///{workdir / f'import-{next(counter)}.db'}")
        migrate.upgrade(database)
        current["db"] = database

    def read_only() -> None:
        with open_recommendation_file(SHARED_FILE) as source:
            assert sum(1 for _ in source.rows) == rows

    def full_import() -> None:
        summary = import_recommendations(current["db"], SHARED_FILE, ImportOptions())
        assert summary.added == rows, summary

    read_s, csv_s = alternate(read_only, _plain_csv_rows, REPEATS)
    import_s, csv_s2 = alternate(full_import, _plain_csv_rows, REPEATS, prepare=fresh_database)
    current["db"].dispose()
    return [
        Figure(
            "read UPR Info file (parse only)",
            "rows/s",
            rows / read_s,
            "plain csv read",
            rows / csv_s,
            target_ratio=0.05,
        ),
        Figure(
            "import UPR Info file into SQLite",
            "rows/s",
            rows / import_s,
            "plain csv read",
            rows / csv_s2,
            target_ratio=0.005,
        ),
    ]


def _plain_csv_rows() -> int:
    with SHARED_FILE.open(encoding="mac_roman", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1
