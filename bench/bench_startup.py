"""Start-up time and idle memory of `consulta serve`, against a bare import of its libraries.

The reference is a fresh Python process that only imports FastAPI, slack_bolt, telegram,
SQLAlchemy, Babel and APScheduler (bench.common.bare_import): the least any Consulta server
process costs. The subject is `consulta serve` with every channel configured and the worker
running, on a migrated SQLite file, timed from spawn to its first 200 on GET /readyz; its
resident memory is read from /proc a little after that, once it is idle. The two are run in
turn, REPEATS times each, and medians are taken.

Serving with the worker opens python-telegram-bot's Bot at start, which asks the Bot API
for getMe: that goes to bench/fake_bot_api.py. Slack and the outbound webhook are only
talked to when something is sent, so they point at a port nothing listens on.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import SECRET_KEY, Figure, bare_import, rss_of
from bench.fake_bot_api import TOKEN, FakeBotApi
from core import migrate
from core.db import Database

REPEATS = 5
# How long the server is left alone after /readyz answers before its memory is read, so the
# worker's first pass and the first request's allocations are counted.
SETTLE_SECONDS = 2.0
POLL_SECONDS = 0.005
START_LIMIT_SECONDS = 60.0
REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def run() -> list[Figure]:
    """Time to ready and idle RSS of `consulta serve`, each next to the bare import."""
    workdir = Path(tempfile.mkdtemp(prefix="consulta-bench-startup-"))
    try:
        database_path = workdir / "consulta.db"
        database = Database(f"sqlite:///{database_path}")
        try:
            migrate.upgrade(database)
        finally:
            database.dispose()
        with FakeBotApi() as fake:
            env = _server_env(database_path, fake.base_url)
            import_times: list[float] = []
            import_rss: list[int] = []
            ready_times: list[float] = []
            serve_rss: list[int] = []
            for number in range(REPEATS):
                seconds, rss = bare_import()
                import_times.append(seconds)
                import_rss.append(rss)
                seconds, rss = _serve_once(env, workdir, number)
                ready_times.append(seconds)
                serve_rss.append(rss)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        "bench_startup: serve ready in "
        + ", ".join(f"{s:.2f}" for s in ready_times)
        + " s, idle RSS "
        + ", ".join(f"{r / MB:.0f}" for r in serve_rss)
        + " MB; bare import "
        + ", ".join(f"{s:.2f}" for s in import_times)
        + " s, "
        + ", ".join(f"{r / MB:.0f}" for r in import_rss)
        + " MB"
    )
    return [
        Figure(
            "consulta serve (all channels, worker): spawn to first 200 on /readyz",
            "ms",
            statistics.median(ready_times) * 1000,
            "fresh python importing its libraries",
            statistics.median(import_times) * 1000,
            target_ratio=1.5,
            lower_is_better=True,
        ),
        Figure(
            f"consulta serve: idle RSS {SETTLE_SECONDS:.0f} s after ready",
            "MB",
            statistics.median(serve_rss) / MB,
            "RSS of that fresh python",
            statistics.median(import_rss) / MB,
            target_ratio=1.3,
            lower_is_better=True,
        ),
    ]


def _server_env(database_path: Path, telegram_api_url: str) -> dict[str, str]:
    """Every channel configured; only the fake Bot API is really listening."""
    nowhere = f"http://127.0.0.1:{_free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTA_")}
    env.update(
        {
            "CONSULTA_DATABASE_URL": f"sqlite:///{database_path}",
            "CONSULTA_TELEGRAM_TOKEN": TOKEN,
            "CONSULTA_TELEGRAM_API_URL": telegram_api_url,
            "CONSULTA_TELEGRAM_WEBHOOK_SECRET": "bench-telegram-webhook-secret",
            "CONSULTA_TELEGRAM_BOT_USERNAME": "ConsultaBot",
            "CONSULTA_SLACK_BOT_TOKEN": "xoxb-0000000000-0000000000000-bench",
            "CONSULTA_SLACK_SIGNING_SECRET": "bench-slack-signing-secret",
            "CONSULTA_SLACK_API_URL": f"{nowhere}/api/",
            # Standard Webhooks keys are whsec_ and base64.
            "CONSULTA_WEBHOOK_SECRET": "whsec_YmVuY2gtd2ViaG9vay1zZWNyZXQtbm90LWEtc2VjcmV0",
            "CONSULTA_WEBHOOK_OUTBOUND_URL": f"{nowhere}/outbound",
            "CONSULTA_SECRET_KEY": SECRET_KEY,
            "CONSULTA_PSEUDONYM_KEY": "bench-pseudonym-key-not-a-secret",
            "CONSULTA_LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        }
    )
    return env


def _serve_command(port: int) -> list[str]:
    arguments = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    script = Path(sys.executable).with_name("consulta")
    if script.exists():
        return [str(script), *arguments]
    start = "import sys; from bots.cli import main; sys.exit(main())"
    return [sys.executable, "-c", start, *arguments]


def _serve_once(env: dict[str, str], workdir: Path, number: int) -> tuple[float, int]:
    """Start the server, time it to ready, read its idle RSS, stop it; (seconds, bytes)."""
    port = _free_port()
    log_path = workdir / f"serve-{number}.log"
    with log_path.open("wb") as log:
        started = time.perf_counter()
        # cwd is the temporary folder, so no .env of the repository is read.
        server = subprocess.Popen(
            _serve_command(port), env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        seconds = _wait_ready(server, port, started, log_path)
        time.sleep(SETTLE_SECONDS)
        if server.poll() is not None:
            raise RuntimeError(f"consulta serve exited after ready:\n{_tail(log_path)}")
        rss = rss_of(server.pid)
    finally:
        _stop(server, log_path)
    return seconds, rss


def _wait_ready(
    server: subprocess.Popen[bytes], port: int, started: float, log_path: Path
) -> float:
    """Poll /readyz until it answers 200; seconds since `started`."""
    deadline = started + START_LIMIT_SECONDS
    while True:
        if server.poll() is not None:
            raise RuntimeError(
                f"consulta serve exited ({server.returncode}) before ready:\n{_tail(log_path)}"
            )
        if _ready(port):
            return time.perf_counter() - started
        if time.perf_counter() > deadline:
            raise TimeoutError(f"consulta serve not ready after {START_LIMIT_SECONDS:.0f} s")
        time.sleep(POLL_SECONDS)


def _ready(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/readyz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _stop(server: subprocess.Popen[bytes], log_path: Path) -> None:
    """SIGTERM, as a service manager stops it; uvicorn then runs the lifespan's shutdown."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        raise RuntimeError(
            f"consulta serve did not stop within 20 s of SIGTERM:\n{_tail(log_path)}"
        ) from None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:]
