"""The conversation engine alone: participants answering a 10-question survey in-process.

Subject: each simulated participant talks to the engine through the terminal channel's own
path (`bots.inbound.receive` with an InboundEvent of Platform.TERMINAL, one unit of work and
one commit per message, as `consulta chat` does) on a migrated SQLite file: `join CODE`, the
consent, then the 10 answers of bench/engine_survey.yaml. Only the 10 answers count towards
answers/s; the join and the consent are part of the time, as they are part of every
participant's conversation.

Reference: the plain `sqlite3` module inserting the same number of rows into a table of the
answers table's shape (its columns, unique constraint and indexes, copied from the migrated
schema, without the foreign keys, whose parent rows the reference does not have) in a fresh
file, with Consulta's connection settings (WAL, synchronous=NORMAL, foreign_keys on). It
commits once per row, because the engine commits once per message and each answer is one
message: both sides then pay for the same number of WAL commits per answer, and the figure
shows what the engine adds on top of the bare write.

Both run in turn, REPEATS times each, each on a fresh file, and medians are taken. The count
of participants is BENCH_ENGINE_PARTICIPANTS (default PARTICIPANTS). With BENCH_VERBOSE=1, a
separate 200-participant run is profiled with cProfile and the 15 functions with the most
cumulative time go to stderr.
"""

from __future__ import annotations

import contextlib
import cProfile
import json
import os
import pstats
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from bench.common import Figure, open_round_on
from bots.inbound import receive
from core import migrate
from core.config import Settings
from core.db import SQLITE_BUSY_TIMEOUT_MS, Database
from core.demo import RECOMMENDATIONS
from core.importing.service import ImportOptions, import_recommendations
from core.messages import InboundEvent
from core.vocabulary import Platform
from surveys.loading import load_survey_file

SURVEY = Path(__file__).with_name("engine_survey.yaml")
# About 58 ms a participant here (12 messages), so 1,000 keep the module near three minutes;
# 100,000 would take about 97 minutes a run.
PARTICIPANTS = 1_000
PROFILED_PARTICIPANTS = 200
REPEATS = 3
QUESTIONS = 10
ROUND_CODE = "BENCH1"
COUNTRY = "Republic of Arcadia"  # the state under review of core/demo's recommendations
PSEUDONYM_KEY = "bench-pseudonym-key-not-a-secret"


def participants() -> int:
    """How many participants each run has: BENCH_ENGINE_PARTICIPANTS, or PARTICIPANTS."""
    configured = os.environ.get("BENCH_ENGINE_PARTICIPANTS", "").strip()
    if not configured:
        return PARTICIPANTS
    if not configured.isdigit() or int(configured) < 1:
        raise SystemExit(
            f"BENCH_ENGINE_PARTICIPANTS must be a whole number above 0, not {configured!r}"
        )
    return int(configured)


def run() -> list[Figure]:
    """Answers/s through the engine, next to rows/s of raw sqlite3 inserts."""
    count = participants()
    workdir = Path(tempfile.mkdtemp(prefix="consulta-bench-engine-"))
    try:
        template = workdir / "template.db"
        _open_round(template)
        shape = _answers_shape(template)
        settings = Settings(pseudonym_key=SecretStr(PSEUDONYM_KEY))
        engine_times: list[float] = []
        reference_times: list[float] = []
        for number in range(REPEATS):
            reference_path = workdir / f"reference-{number}.db"
            connection = _reference_connection(reference_path, shape)
            try:
                started = time.perf_counter()
                _reference(connection, count)
                reference_times.append(time.perf_counter() - started)
            finally:
                connection.close()
            _expect_rows(reference_path, count * QUESTIONS, "the sqlite3 reference")

            path = workdir / f"engine-{number}.db"
            shutil.copyfile(template, path)
            database = Database(f"sqlite:///{path}")
            try:
                started = time.perf_counter()
                _converse(database, settings, count)
                engine_times.append(time.perf_counter() - started)
            finally:
                database.dispose()
            _expect_rows(path, count * QUESTIONS, "the engine")
        if os.environ.get("BENCH_VERBOSE") == "1":
            _profile(template, workdir, settings)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    answers = count * QUESTIONS
    engine_s = statistics.median(engine_times)
    print(
        f"bench_engine: {count:,} participants ({answers:,} answers, {count * 12:,} messages) "
        f"took {', '.join(f'{s:.1f}' for s in engine_times)} s through the engine, "
        f"{', '.join(f'{s:.2f}' for s in reference_times)} s as raw inserts; 100,000 "
        f"participants would take about {100_000 / count * engine_s / 60:.0f} min "
        "(extrapolated)"
    )
    return [
        Figure(
            f"engine: {count:,} participants x {QUESTIONS} answers via terminal receive()",
            "answers/s",
            answers / engine_s,
            "raw sqlite3 inserts, one commit a row",
            answers / statistics.median(reference_times),
            target_ratio=None,
        )
    ]


# --- the subject ---------------------------------------------------------------------------


def _open_round(path: Path) -> None:
    """A migrated file with core/demo's recommendations and an open round on the survey."""
    database = Database(f"sqlite:///{path}")
    try:
        migrate.upgrade(database)
        summary = import_recommendations(database, RECOMMENDATIONS, ImportOptions())
        if not summary.committed:
            raise RuntimeError(f"importing {RECOMMENDATIONS} failed: {summary}")
        survey = load_survey_file(SURVEY)
        # Written answers would otherwise be followed by a who-may-see-this question.
        open_round_on(
            database,
            survey,
            ROUND_CODE,
            COUNTRY,
            title="Mid-term check",
            allow_disclosure_choice=False,
        )
    finally:
        # The last connection to close checkpoints the WAL, so the file can be copied alone.
        database.dispose()


def _answers_of(i: int) -> list[str]:
    """What participant i types for the 10 questions, varied so every option is used."""
    return [
        str(1 + i % 2),  # involved: yes or no
        str(1 + i % 4),  # sector
        ("1", "1, 3", "2 3", "1,2,3")[i % 4],  # topics
        str(1 + i % 5),  # satisfaction
        str(i % 500),  # staff
        str(1 + (i // 2) % 2),  # consulted
        str(1 + i % 5),  # progress
        str(1 + (i * 3) % 5),  # trust
        str(1 + i % 3),  # barrier
        f"Hold public hearings in region {i % 12} and publish the follow-up plan.",  # comment
    ]


def _converse(database: Database, settings: Settings, count: int) -> None:
    """Every participant joins, agrees and answers, one receive() per message."""
    for i in range(count):
        sender = f"participant-{i}"
        for text in [f"join {ROUND_CODE}", "1", *_answers_of(i)]:
            event = InboundEvent(platform=Platform.TERMINAL, sender_id=sender, text=text)
            receive(database, settings, event)


def _profile(template: Path, workdir: Path, settings: Settings) -> None:
    """Where the engine's time goes: cProfile over a 200-participant run, to stderr."""
    path = workdir / "profiled.db"
    shutil.copyfile(template, path)
    database = Database(f"sqlite:///{path}")
    profile = cProfile.Profile()
    try:
        profile.enable()
        _converse(database, settings, PROFILED_PARTICIPANTS)
        profile.disable()
    finally:
        database.dispose()
    print(
        f"bench_engine: cProfile of {PROFILED_PARTICIPANTS} participants "
        f"({PROFILED_PARTICIPANTS * 12} messages), top 15 by cumulative time:",
        file=sys.stderr,
    )
    stats = pstats.Stats(profile, stream=sys.stderr)
    stats.strip_dirs().sort_stats(pstats.SortKey.CUMULATIVE).print_stats(15)


# --- the reference -------------------------------------------------------------------------


def _answers_shape(template: Path) -> list[str]:
    """CREATE statements of the answers table and its indexes, without foreign keys."""
    with contextlib.closing(sqlite3.connect(template)) as connection:
        rows = connection.execute(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'answers' AND sql IS NOT NULL "
            "ORDER BY type DESC"  # the table before its indexes
        ).fetchall()
    statements = []
    for kind, sql in rows:
        if kind == "table":
            sql = re.sub(
                r",\s*CONSTRAINT \w+ FOREIGN KEY\s*\([^)]*\) REFERENCES \w+ \([^)]*\)"
                r"(?: ON DELETE (?:CASCADE|SET NULL|RESTRICT|NO ACTION))?",
                "",
                sql,
            )
            if "FOREIGN KEY" in sql:
                raise RuntimeError(f"could not take the foreign keys out of:\n{sql}")
        statements.append(sql)
    return statements


def _reference_connection(path: Path, shape: list[str]) -> sqlite3.Connection:
    """A fresh file with the answers table, connected as core.db connects to SQLite."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA synchronous=NORMAL")
    for statement in shape:
        connection.execute(statement)
    return connection


_KINDS = (
    "yes_no",
    "single_choice",
    "multiple_choice",
    "rating",
    "number",
    "yes_no",
    "implementation_status",
    "rating",
    "single_choice",
    "text",
)
_QUESTION_IDS = (
    "involved",
    "sector",
    "topics",
    "satisfaction",
    "staff",
    "consulted",
    "progress",
    "trust",
    "barrier",
    "comment",
)
_INSERT = (
    "INSERT INTO answers (conversation_id, participant_id, round_id, survey_version_id, "
    "question_id, recommendation_id, slot, value, text, language, channel, disclosure, "
    "version, is_current, withdrawn_at, answered_at, source_message_id, kind, update_id) "
    "VALUES (?, ?, 1, 1, ?, NULL, ?, ?, ?, 'en', 'terminal', 'anonymous', 1, 1, NULL, ?, "
    "NULL, ?, NULL)"
)


def _reference(connection: sqlite3.Connection, count: int) -> None:
    """The same answer rows as the engine stores them, one transaction per row."""
    for i in range(count):
        typed = _answers_of(i)
        values: list[object] = [
            "yes" if typed[0] == "1" else "no",
            ("health", "education", "justice", "housing")[i % 4],
            [["law"], ["law", "data"], ["budget", "data"], ["law", "budget", "data"]][i % 4],
            int(typed[3]),
            int(typed[4]),
            "yes" if typed[5] == "1" else "no",
            (
                "not_started",
                "in_progress",
                "partially_implemented",
                "fully_implemented",
                "dont_know",
            )[i % 5],
            int(typed[7]),
            ("money", "will", "skills")[i % 3],
            None,
        ]
        for question in range(QUESTIONS):
            value = values[question]
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                _INSERT,
                (
                    i + 1,
                    i + 1,
                    _QUESTION_IDS[question],
                    _QUESTION_IDS[question],
                    # SQLAlchemy's JSON column stores None as the JSON text null.
                    json.dumps(value),
                    typed[question] if value is None else None,
                    datetime.now(UTC).replace(tzinfo=None).isoformat(" "),
                    _KINDS[question],
                ),
            )
            connection.execute("COMMIT")


# --- both ------------------------------------------------------------------------------------


def _expect_rows(path: Path, expected: int, what: str) -> None:
    """Both sides must have stored every answer, or the rate means nothing."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        (stored,) = connection.execute("SELECT count(*) FROM answers").fetchone()
    if stored != expected:
        raise AssertionError(f"{what} stored {stored} answers, expected {expected}")
