"""The answer path: Telegram webhook updates carrying answers, against a bare FastAPI endpoint.

Consulta checks the secret, deduplicates the delivery, commits the answer and queues the next
prompt before its 200. The reference reads the same body and answers 200. Both are served the
same way (uvicorn, one worker, the same options) and driven by the same load generator, `wrk`
from Debian's packages, with 32 connections and a Lua script that cycles through 10,000
participants with rising update_ids. The round's survey asks one status question over 1,000
recommendations, so every answer is valid.

After Consulta's runs, every update wrk saw answered 200 must have stored exactly one answer:
the deliveries recorded, the answers stored and the 200s counted must agree (a request still
in flight when wrk stops may be stored without being counted: at most one per connection).
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import Table, func, insert, select

from bench.common import SECRET_KEY, Figure, open_round_on
from bench.fake_bot_api import FakeBotApi
from core import migrate
from core.db import Database
from core.importing.service import ImportOptions, import_recommendations
from core.messages import InboundEvent
from core.models import Answer, Base, Conversation, Delivery, Participant, PlatformIdentity
from core.vocabulary import Platform
from surveys.loading import load_survey_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PARTICIPANTS = int(os.environ.get("BENCH_ANSWER_PARTICIPANTS", "10000"))
RECOMMENDATIONS = int(os.environ.get("BENCH_ANSWER_RECOMMENDATIONS", "1000"))
SECONDS = int(os.environ.get("BENCH_ANSWER_SECONDS", "15"))
REPEATS = int(os.environ.get("BENCH_ANSWER_REPEATS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_ANSWER_CONNECTIONS", "32"))
SECRET = "bench-webhook-secret"
PSEUDONYM_KEY = "bench-pseudonym-key-0123456789abcdef"
CODE = "BENCH1"
FIRST_USER = 600_000_000
SURVEY = """
id: bench-status-loop
title: {en: "Status of each recommendation"}
languages: [en]
questions:
  - id: recommendations
    kind: loop
    over: recommendations
    select: none
    label: {en: "Recommendations"}
    questions:
      - id: status
        kind: implementation_status
        label: {en: "How far has this recommendation been implemented?"}
"""
WRK_SCRIPT = """
-- Each request is a new Telegram update: a participant (cycling through {participants})
-- types "1", the first status, at whatever recommendation they are on.
local counter = 0
local thread_id = 0
local threads = {{}}

function setup(thread)
  thread:set("id", thread_id)
  table.insert(threads, thread)
  thread_id = thread_id + 1
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = "{secret}"
end

function request()
  counter = counter + 1
  -- Rising update_ids, distinct across threads.
  local update_id = {base} + counter * 16 + id
  -- Threads take turns through the participants, so every one of them is used.
  local user = {first_user} + ((counter * 2 + id) % {participants})
  local body = string.format(
    '{{"update_id":%d,"message":{{"message_id":%d,"date":1767225600,' ..
    '"chat":{{"id":%d,"type":"private"}},"from":{{"id":%d,"is_bot":false,' ..
    '"first_name":"P","language_code":"en"}},"text":"1"}}}}',
    update_id, update_id, user, user)
  return wrk.format(nil, "/telegram/webhook", nil, body)
end
"""
_REQUESTS = re.compile(r"Requests/sec:\s+([\d.]+)")
_DONE = re.compile(r"(\d+) requests in")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run() -> list[Figure]:
    """Requests/s of the answer path next to the bare endpoint, p99, and exactly-once."""
    wrk = shutil.which("wrk")
    if wrk is None:
        print("bench_answer: skipped, wrk is missing (apt-get install -y wrk)")
        return []
    workdir = Path(tempfile.mkdtemp(prefix="consulta-bench-answer-"))
    try:
        return _measure(wrk, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _measure(wrk: str, workdir: Path) -> list[Figure]:
    template = workdir / "seeded.db"
    started = time.perf_counter()
    _seed(template, workdir)
    print(
        f"bench_answer: seeded {PARTICIPANTS:,} participants over {RECOMMENDATIONS:,} "
        f"recommendations in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    consulta_rates: list[float] = []
    bare_rates: list[float] = []
    p50s: list[float] = []
    p99s: list[float] = []
    checks: list[tuple[int, int, int, int]] = []
    with FakeBotApi() as fake:
        for repeat in range(REPEATS):
            bare = _wrk_run(wrk, workdir, "bench.answer_apps:bare_app", {}, repeat)
            bare_rates.append(bare["rate"])
            database_file = workdir / f"run-{repeat}.db"
            shutil.copyfile(template, database_file)
            environment = _consulta_environment(database_file, fake.base_url)
            measured = _wrk_run(wrk, workdir, "bench.answer_apps:consulta_app", environment, repeat)
            consulta_rates.append(measured["rate"])
            p50s.append(measured["p50"])
            p99s.append(measured["p99"])
            checks.append(_stored(database_file, int(measured["ok"])))
    rate = statistics.median(consulta_rates)
    bare_rate = statistics.median(bare_rates)
    p99 = statistics.median(p99s)
    worst_gap = max(stored - counted for _, stored, counted, _ in checks)
    duplicates = sum(dupes for *_, dupes in checks)
    mismatched = sum(1 for deliveries, stored, _, _ in checks if deliveries != stored)
    if os.environ.get("BENCH_VERBOSE"):
        print(
            f"bench_answer: runs {checks} (deliveries, answers, 200s, duplicates)", file=sys.stderr
        )
    return [
        Figure(
            f"Telegram answer path, {PARTICIPANTS:,} participants, wrk -c{CONNECTIONS}",
            "req/s",
            rate,
            "bare FastAPI endpoint, same server and options",
            bare_rate,
            target_ratio=0.5,
        ),
        Figure(
            f"answer path p99 latency (p50 {statistics.median(p50s):.1f} ms)",
            "ms",
            p99,
            "budget 100 ms",
            100.0,
            target_ratio=1.0,
            lower_is_better=True,
        ),
        Figure(
            f"answers stored once per delivery ({duplicates} duplicates, "
            f"{mismatched} runs where deliveries != answers, at most {worst_gap} in flight)",
            "runs",
            float(REPEATS - mismatched - (1 if duplicates else 0)),
            "runs",
            float(REPEATS),
            target_ratio=1.0,
        ),
    ]


def _seed(path: Path, workdir: Path) -> None:
    """A round over RECOMMENDATIONS recommendations and PARTICIPANTS people at its loop."""
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    source = workdir / "recommendations.csv"
    _write_recommendations(source)
    summary = import_recommendations(database, source, ImportOptions(country="Benchland"))
    assert summary.committed, summary
    survey = load_survey_text(SURVEY, "bench-status-loop.yaml")
    open_round_on(database, survey, CODE, "Benchland")
    # One participant joins and agrees through the engine; the rest are copies of them.
    from bots.inbound import receive
    from core.config import Settings

    settings = Settings(database_url=database.url, pseudonym_key=PSEUDONYM_KEY)
    first = str(FIRST_USER)
    receive(database, settings, InboundEvent(Platform.TELEGRAM, first, text=f"/start {CODE}"))
    receive(database, settings, InboundEvent(Platform.TELEGRAM, first, text="1"))
    with database.unit_of_work() as session:
        _copy_participant(session, first)
    database.dispose()


def _write_recommendations(path: Path) -> None:
    columns = ["source_id", "mechanism", "body", "state_under_review", "text", "paragraph"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for number in range(1, RECOMMENDATIONS + 1):
            writer.writerow(
                [
                    f"bench-{number}",
                    "upr",
                    "UPR",
                    "Benchland",
                    f"Take measure number {number} to protect human rights defenders.",
                    f"140.{number}",
                ]
            )


def _copy_participant(session, external_id: str) -> None:  # type: ignore[no-untyped-def]
    """PARTICIPANTS - 1 copies of one participant, identity and conversation, in bulk."""
    identity = session.scalars(
        select(PlatformIdentity).where(PlatformIdentity.external_id == external_id)
    ).one()
    person = identity.participant
    conversation = session.scalars(
        select(Conversation).where(Conversation.participant_id == person.id)
    ).one()
    tables: dict[str, Table] = {t.name: t for t in Base.metadata.sorted_tables}

    def row_of(instance: object, table: Table) -> dict[str, object]:
        return {c.name: getattr(instance, c.key) for c in table.columns if c.name != "id"}

    person_row = row_of(person, tables["participants"])
    identity_row = row_of(identity, tables["platform_identities"])
    conversation_row = row_of(conversation, tables["conversations"])
    batch = 2000
    for start in range(1, PARTICIPANTS, batch):
        numbers = range(start, min(start + batch, PARTICIPANTS))
        session.execute(
            insert(tables["participants"]),
            [
                {**person_row, "uid": f"bench{n:027d}", "pseudonym": f"bench-{n:08d}"}
                for n in numbers
            ],
        )
    ids = dict(
        session.execute(
            select(Participant.pseudonym, Participant.id).where(
                Participant.pseudonym.like("bench-%")
            )
        ).all()
    )
    for start in range(1, PARTICIPANTS, batch):
        numbers = range(start, min(start + batch, PARTICIPANTS))
        session.execute(
            insert(tables["platform_identities"]),
            [
                {
                    **identity_row,
                    "participant_id": ids[f"bench-{n:08d}"],
                    "external_id": str(FIRST_USER + n),
                }
                for n in numbers
            ],
        )
        session.execute(
            insert(tables["conversations"]),
            [{**conversation_row, "participant_id": ids[f"bench-{n:08d}"]} for n in numbers],
        )


def _consulta_environment(database_file: Path, bot_api: str) -> dict[str, str]:
    return {
        "CONSULTA_DATABASE_URL": f"sqlite:///{database_file}",
        "CONSULTA_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "CONSULTA_SECRET_KEY": SECRET_KEY,
        "CONSULTA_TELEGRAM_TOKEN": "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw8",
        "CONSULTA_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "CONSULTA_TELEGRAM_API_URL": bot_api,
        "CONSULTA_LOG_LEVEL": "WARNING",
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _served(app: str, environment: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    env = {**os.environ, **environment}
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/", timeout=1).status_code < 600:
                    break
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wrk_run(
    wrk: str, workdir: Path, app: str, environment: dict[str, str], repeat: int
) -> dict[str, float]:
    script = workdir / "answers.lua"
    script.write_text(
        WRK_SCRIPT.format(
            participants=PARTICIPANTS,
            secret=SECRET,
            first_user=FIRST_USER,
            base=100_000_000 * (repeat + 1),
        ),
        encoding="utf-8",
    )
    with _served(app, environment) as url:
        # A short warm-up, so that the first requests' set-up (the bot's getMe) is not timed;
        # its answers are stored too, so its 200s are counted with the run's.
        warm = subprocess.run(
            [wrk, "-t1", "-c1", "-d1s", "-s", str(script), url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = subprocess.run(
            [
                wrk,
                f"-t{min(2, CONNECTIONS)}",
                f"-c{CONNECTIONS}",
                f"-d{SECONDS}s",
                "--latency",
                "-s",
                str(script),
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    output = result.stdout
    if os.environ.get("BENCH_VERBOSE"):
        print(output, file=sys.stderr)
    done = sum(int(_DONE.search(o).group(1)) for o in (warm, output))  # type: ignore[union-attr]
    non_2xx = sum(int(m.group(1)) for o in (warm, output) if (m := _NON_2XX.search(o)))
    percentiles = {p: float(v) * _UNITS[u] for p, v, u in _PERCENTILE.findall(output)}
    return {
        "rate": float(_REQUESTS.search(output).group(1)),  # type: ignore[union-attr]
        "ok": float(done - non_2xx),
        "p50": percentiles.get("50", float("nan")),
        "p99": percentiles.get("99", float("nan")),
    }


def _stored(database_file: Path, counted_ok: int) -> tuple[int, int, int, int]:
    """(deliveries recorded, answers stored, 200s counted, answers stored twice)."""
    database = Database(f"sqlite:///{database_file}")
    with database.unit_of_work() as session:
        deliveries = session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.platform == Platform.TELEGRAM)
        )
        answers = session.scalar(select(func.count()).select_from(Answer))
        distinct = session.scalar(
            select(func.count()).select_from(
                select(Answer.conversation_id, Answer.slot, Answer.version).distinct().subquery()
            )
        )
    database.dispose()
    return (
        int(deliveries or 0),
        int(answers or 0),
        counted_ok,
        int(answers or 0) - int(distinct or 0),
    )
