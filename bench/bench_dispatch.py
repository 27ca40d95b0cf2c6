"""The outbox dispatcher against a fake Bot API: capacity, pacing at 30/s, and a kill -9.

1. Capacity: a 20,000-message broadcast (20,000 chats) sent by the real Dispatcher through
   python-telegram-bot (TelegramSender), with limits too high to matter, next to a bare
   httpx.AsyncClient loop posting the same 20,000 sendMessage requests at the same concurrency.
2. At the platform limit: the fake holds the bot to 30 messages/s (bucket of 30) and answers
   429 beyond; the dispatcher sends 600 messages under telegram_limits().
3. Crash: `consulta worker` sends 5,000 queued messages; it is killed with SIGKILL halfway,
   restarted, and the fake's per-(chat, text) counts tell what was lost or sent twice.

Everything runs on 127.0.0.1; the fake Bot API runs in a process of its own
(bench/fake_bot_api.py), so it does not share the event loop it is measuring.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from pydantic import SecretStr

from bench.common import SECRET_KEY, Figure, alternate
from bench.fake_bot_api import TOKEN, FakeBotApi
from bots.dispatcher import Dispatcher
from bots.senders import TelegramSender
from bots.telegram_bot import make_bot
from core import migrate, outbox
from core.config import Settings
from core.db import Database
from core.messages import OutboundMessage
from core.ratelimit import Rate, RateLimiter, telegram_limits
from core.vocabulary import Platform

BROADCAST = 20_000
# The Dispatcher's default, which the worker uses; the reference client gets the same.
CONCURRENCY = Dispatcher.concurrency
# One alternation (reference, then dispatcher) of the 20,000 takes about 100 s here: the whole
# module has to stay near 5 minutes, and the crash alone takes about 3 at 30 messages/s.
REPEATS = 1
# httpx's connection pool slows down as more requests wait on it at once (encode/httpx#3215):
# a bare httpx loop sends about twice as fast at 8 than at 32. Reported, with a smaller
# broadcast, to show what a lower Dispatcher.concurrency would give.
TUNED_CONCURRENCY = 8
TUNED_BROADCAST = 5_000
PAID_BROADCAST_CEILING = 1_000.0  # messages/s Telegram allows a bot with paid broadcasts
TELEGRAM_RATE = 30.0  # messages/s, the free limit per bot
TELEGRAM_BURST = 30.0  # what the fake lets through at once before it starts counting
AT_LIMIT = 600
CRASH = 5_000
CHAT_BASE = 1_000_000_000  # chat ids like real private chats: one per message here
WAIT_LIMIT_SECONDS = 400.0
REPO = Path(__file__).resolve().parents[1]


def run() -> list[Figure]:
    """All three groups of figures, from one fake Bot API process and one temporary folder."""
    workdir = Path(tempfile.mkdtemp(prefix="consulta-bench-dispatch-"))
    try:
        with FakeBotApi() as fake:
            figures = _capacity(fake, workdir)
            figures += _at_limit(fake, workdir)
            figures += _crash(fake, workdir)
        return figures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- setting up ----------------------------------------------------------------------------


def _text(i: int) -> str:
    return f"Round 4 is open: tell us what you think of recommendation {i}. Reply 1 to start."


def _queue(path: Path, count: int) -> None:
    """A migrated SQLite file with `count` bulk messages queued, one per chat."""
    database = Database(f"sqlite:///{path}")
    try:
        migrate.upgrade(database)
        for start in range(0, count, 1_000):
            with database.unit_of_work() as session:
                for i in range(start, min(start + 1_000, count)):
                    outbox.enqueue_to(
                        session,
                        Platform.TELEGRAM,
                        str(CHAT_BASE + i),
                        OutboundMessage(text=_text(i)),
                        bulk=True,
                    )
    finally:
        # The last connection to close checkpoints the WAL, so the file can be copied alone.
        database.dispose()


def _unlimited() -> RateLimiter:
    huge = Rate(1e12, 1, burst=1e12)
    return RateLimiter(overall=huge, per_chat=huge, per_group=huge)


def _outbox_counts(path: Path) -> dict[str, int]:
    """Rows per status, read with plain sqlite3 (no write lock, unlike BEGIN IMMEDIATE)."""
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as connection:
        rows = connection.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()
    return {str(status): int(n) for status, n in rows}


async def _dispatch(
    database: Database,
    base_url: str,
    limiter: RateLimiter,
    count: int,
    concurrency: int = CONCURRENCY,
) -> float:
    """Run the dispatcher's own loop until `count` messages are recorded as sent; seconds."""
    bot = make_bot(Settings(telegram_token=SecretStr(TOKEN), telegram_api_url=base_url))
    async with bot:
        dispatcher = Dispatcher(
            database,
            {Platform.TELEGRAM: TelegramSender(bot)},
            {Platform.TELEGRAM: limiter},
            concurrency=concurrency,
        )
        stop = asyncio.Event()
        sent = 0
        run_once = dispatcher.run_once

        async def counting_run_once(ids: list[int] | None = None) -> int:
            nonlocal sent
            done = await run_once(ids)
            sent += done
            if sent >= count:
                stop.set()
            return done

        dispatcher.run_once = counting_run_once  # type: ignore[method-assign]
        started = time.perf_counter()
        await asyncio.wait_for(dispatcher.run_forever(stop), WAIT_LIMIT_SECONDS)
        return time.perf_counter() - started


async def _bare_client(base_url: str, count: int, concurrency: int = CONCURRENCY) -> None:
    """The same sendMessage requests PTB makes (form-encoded), from a plain httpx loop."""
    url = f"{base_url}{TOKEN}/sendMessage"
    numbers = iter(range(count))
    async with httpx.AsyncClient(timeout=30) as client:

        async def worker() -> None:
            for i in numbers:
                response = await client.post(
                    url,
                    data={
                        "chat_id": str(CHAT_BASE + i),
                        "text": _text(i),
                        "link_preview_options": '{"is_disabled": true}',
                    },
                )
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def _expect_all_once(fake: FakeBotApi, count: int, what: str) -> None:
    stats = fake.stats()
    if stats["sent"] != count or stats["chats"] != count or stats["duplicates"]:
        raise AssertionError(f"{what}: the fake received {stats}, expected {count} once each")
    fake.reset()


# --- 1. capacity ---------------------------------------------------------------------------


def _capacity(fake: FakeBotApi, workdir: Path) -> list[Figure]:
    fake.reset(rate=None)
    subject_s, reference_s = _broadcast(fake, workdir, BROADCAST, CONCURRENCY, REPEATS)
    tuned_s, tuned_reference_s = _broadcast(fake, workdir, TUNED_BROADCAST, TUNED_CONCURRENCY, 1)
    rate = BROADCAST / subject_s
    return [
        Figure(
            f"dispatch {BROADCAST:,} (PTB Bot, concurrency {CONCURRENCY}, no limits)",
            "msg/s",
            rate,
            f"bare httpx loop, concurrency {CONCURRENCY}",
            BROADCAST / reference_s,
            target_ratio=0.5,
        ),
        Figure(
            f"dispatch {BROADCAST:,}: rate vs paid broadcast ceiling",
            "msg/s",
            rate,
            "Telegram paid broadcast ceiling",
            PAID_BROADCAST_CEILING,
            target_ratio=None,
        ),
        Figure(
            f"dispatch {TUNED_BROADCAST:,} at concurrency {TUNED_CONCURRENCY} (info)",
            "msg/s",
            TUNED_BROADCAST / tuned_s,
            f"bare httpx loop, concurrency {TUNED_CONCURRENCY}",
            TUNED_BROADCAST / tuned_reference_s,
            target_ratio=None,
        ),
    ]


def _broadcast(
    fake: FakeBotApi, workdir: Path, count: int, concurrency: int, repeats: int
) -> tuple[float, float]:
    """Median seconds of the dispatcher and of the bare client sending `count` messages."""
    template = workdir / f"broadcast-{count}-template.db"
    _queue(template, count)
    current: dict[str, Path] = {}
    copies = iter(range(1_000_000))

    def fresh_copy() -> None:
        current["path"] = workdir / f"broadcast-{count}-{next(copies)}.db"
        shutil.copyfile(template, current["path"])

    def dispatcher() -> None:
        database = Database(f"sqlite:///{current['path']}")
        try:
            asyncio.run(_dispatch(database, fake.base_url, _unlimited(), count, concurrency))
        finally:
            database.dispose()
        _expect_all_once(fake, count, "dispatcher")

    def bare() -> None:
        asyncio.run(_bare_client(fake.base_url, count, concurrency))
        _expect_all_once(fake, count, "bare client")

    return alternate(dispatcher, bare, repeats, prepare=fresh_copy)


# --- 2. at the platform limit ---------------------------------------------------------------


def _at_limit(fake: FakeBotApi, workdir: Path) -> list[Figure]:
    path = workdir / "at-limit.db"
    _queue(path, AT_LIMIT)
    fake.reset(rate=TELEGRAM_RATE, burst=TELEGRAM_BURST)
    database = Database(f"sqlite:///{path}")
    try:
        seconds = asyncio.run(_dispatch(database, fake.base_url, telegram_limits(), AT_LIMIT))
    finally:
        database.dispose()
    stats = fake.stats()
    fake.reset(rate=None)
    if stats["sent"] != AT_LIMIT or stats["duplicates"]:
        raise AssertionError(f"at the limit: the fake received {stats}")
    print(
        f"bench_dispatch: {AT_LIMIT} messages at {TELEGRAM_RATE:.0f}/s took {seconds:.1f} s; "
        f"{stats['requests']} sendMessage requests, {stats['too_many']} answered 429"
    )
    # The dispatcher sends its own small burst at once, then paces: the rate beyond that
    # burst is what compares with 30/s.
    burst = telegram_limits().overall.burst
    sustained = (AT_LIMIT - burst) / seconds
    return [
        Figure(
            f"at 30/s limit: {AT_LIMIT} msgs, rate after the first {burst:.0f}",
            "msg/s",
            sustained,
            "Telegram's 30 msg/s",
            TELEGRAM_RATE,
            target_ratio=0.95,
        ),
        Figure(
            f"at 30/s limit: sendMessage not answered 429 ({stats['too_many']} got 429; target 0)",
            "requests",
            stats["requests"] - stats["too_many"],
            "all sendMessage requests",
            stats["requests"],
            target_ratio=1.0,
        ),
    ]


# --- 3. crash ---------------------------------------------------------------------------


def _worker_command() -> list[str]:
    script = Path(sys.executable).with_name("consulta")
    if script.exists():
        return [str(script), "worker"]
    start = "import sys; from bots.cli import main; sys.exit(main())"
    return [sys.executable, "-c", start, "worker"]


def _start_worker(env: dict[str, str], workdir: Path, log_name: str) -> subprocess.Popen[bytes]:
    log = (workdir / log_name).open("wb")
    try:
        # cwd is the temporary folder, so no .env of the repository is read.
        return subprocess.Popen(
            _worker_command(), env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
        )
    finally:
        log.close()


def _wait(
    condition: Callable[[], bool], worker: subprocess.Popen[bytes], what: str, log: Path
) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while not condition():
        if worker.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the worker exited ({worker.returncode}) before {what}:\n{tail}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {WAIT_LIMIT_SECONDS:.0f} s for {what}")
        time.sleep(0.1)


def _stop(worker: subprocess.Popen[bytes] | None) -> None:
    if worker is None or worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _crash(fake: FakeBotApi, workdir: Path) -> list[Figure]:
    path = workdir / "crash.db"
    _queue(path, CRASH)
    fake.reset(rate=TELEGRAM_RATE, burst=TELEGRAM_BURST)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTA_")}
    env.update(
        {
            "CONSULTA_DATABASE_URL": f"sqlite:///{path}",
            "CONSULTA_TELEGRAM_TOKEN": TOKEN,
            "CONSULTA_TELEGRAM_API_URL": fake.base_url,
            "CONSULTA_PSEUDONYM_KEY": "bench-pseudonym-key-not-a-secret",
            "CONSULTA_SECRET_KEY": SECRET_KEY,
            "CONSULTA_LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        }
    )
    first: subprocess.Popen[bytes] | None = None
    second: subprocess.Popen[bytes] | None = None
    try:
        started = time.monotonic()
        first = _start_worker(env, workdir, "worker-1.log")
        _wait(
            lambda: fake.stats()["sent"] >= CRASH // 2,
            first,
            "half the messages were sent",
            workdir / "worker-1.log",
        )
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed = time.monotonic()
        at_kill = _outbox_counts(path)
        in_flight = at_kill.get("sending", 0)
        received_at_kill = fake.stats()["sent"]

        second = _start_worker(env, workdir, "worker-2.log")
        _wait(
            lambda: not {"pending", "sending"} & set(_outbox_counts(path)),
            second,
            "the outbox emptied after the restart",
            workdir / "worker-2.log",
        )
        finished = time.monotonic()
        _stop(second)
        after = _outbox_counts(path)
        stats = fake.stats(detail=True)
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.kill()
                worker.wait()

    expected = {(str(CHAT_BASE + i), _text(i)) for i in range(CRASH)}
    counts = {(chat, text): n for chat, text, n in stats["pairs"]}
    lost = len(expected - counts.keys())
    strangers = len(counts.keys() - expected)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    twice = sum(1 for n in counts.values() if n > 1)
    print(
        f"bench_dispatch: crash: killed after {killed - started:.0f} s with {received_at_kill} "
        f"received; outbox at the kill {at_kill}; restarted worker emptied it in "
        f"{finished - killed:.0f} s (leases last {outbox.LEASE_SECONDS} s); outbox after "
        f"{after}; {stats['too_many']} answers 429; {lost} lost, {duplicates} duplicate "
        f"deliveries over {twice} messages, {strangers} unexpected"
    )
    return [
        Figure(
            f"kill -9 mid-broadcast: {CRASH:,} queued, received at least once "
            f"({lost} lost; target 0)",
            "msgs",
            CRASH - lost,
            "messages queued",
            CRASH,
            target_ratio=1.0,
        ),
        Figure(
            f"kill -9 mid-broadcast: queued minus duplicate deliveries ({duplicates} dup.; "
            f"bound: {in_flight} 'sending' at kill)",
            "msgs",
            CRASH - duplicates,
            "queued minus rows 'sending' at kill",
            CRASH - in_flight,
            target_ratio=1.0,
        ),
    ]
