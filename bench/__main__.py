"""`make bench`: run every benchmark in this folder and print one table."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

from bench.common import SECRET_KEY, Figure, table
from core import crypto


def main(selected: list[str]) -> int:
    """Run the named benchmarks (all by default); non-zero if a figure misses its target."""
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    figures: list[Figure] = []
    # Platform ids are encrypted as in a deployment, so their cost is part of every figure.
    crypto.use_key(SECRET_KEY)
    for name in names:
        if selected and name not in selected:
            continue
        module = importlib.import_module(f"bench.{name}")
        figures.extend(module.run())
    print(table(figures))
    return 1 if any(f.meets_target is False for f in figures) else 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    # -v asks the benchmarks for their details (e.g. the SQL an export issues), as does
    # BENCH_VERBOSE=1.
    if "-v" in arguments or "--verbose" in arguments:
        os.environ["BENCH_VERBOSE"] = "1"
        arguments = [a for a in arguments if a not in ("-v", "--verbose")]
    sys.exit(main(arguments))
