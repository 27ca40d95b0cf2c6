"""What metrics cost on the inbound path: Telegram webhook updates/s with metrics on and off.

The same updates go through the real FastAPI app in-process (TestClient), each time on a
fresh, migrated SQLite database, with the replies sent to the fake Bot API in a process of
its own. Runs alternate (off, on, off, on, ...) and the median of each is taken.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bench.common import Figure
from bench.fake_bot_api import TOKEN, FakeBotApi
from bots.api.app import create_app
from core import migrate
from core.config import Settings
from core.db import Database

UPDATES = 400
PEOPLE = 100
REPEATS = 3
SECRET = "bench-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _updates() -> list[dict[str, Any]]:
    """The same sequence every run: people each writing a few messages to the bot."""
    said = ("/start", "help", "language", "help", "/start", "themes", "help", "following")
    updates = []
    for n in range(UPDATES):
        person = 900_000_000 + n % PEOPLE
        chat = {"id": person, "first_name": "Bench", "type": "private"}
        text = said[(n // PEOPLE) % len(said)]
        message: dict[str, Any] = {
            "message_id": n + 1,
            "from": {"id": person, "is_bot": False, "first_name": "Bench", "language_code": "en"},
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text), "type": "bot_command"}]
        updates.append({"update_id": 100_000 + n, "message": message})
    return updates


def _deliver(template: Path, workdir: Path, run: int, metrics: bool, fake: FakeBotApi) -> float:
    """Seconds to deliver every update to a fresh app and database."""
    path = workdir / f"metrics-{run}.db"
    shutil.copyfile(template, path)
    database = Database(f"sqlite:///{path}")
    settings = Settings(
        database_url=database.url,
        pseudonym_key="bench-pseudonym-key-0123456789abcdef",
        telegram_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_url=fake.base_url,
        metrics=metrics,
    )
    updates = _updates()
    try:
        with TestClient(create_app(settings, database=database)) as client:
            started = time.perf_counter()
            for update in updates:
                response = client.post(
                    "/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET}
                )
                assert response.status_code == 200, response.text
            seconds = time.perf_counter() - started
            if metrics:
                assert "consulta_inbound_deliveries_total" in client.get("/metrics").text
    finally:
        database.dispose()
    return seconds


def run() -> list[Figure]:
    """Updates per second with metrics on, next to the same run with metrics off."""
    workdir = Path(tempfile.mkdtemp(prefix="consulta-bench-metrics-"))
    template = workdir / "template.db"
    database = Database(f"sqlite:///{template}")
    migrate.upgrade(database)
    database.dispose()
    on: list[float] = []
    off: list[float] = []
    try:
        with FakeBotApi() as fake:
            for repeat in range(REPEATS):
                off.append(_deliver(template, workdir, 2 * repeat, False, fake))
                on.append(_deliver(template, workdir, 2 * repeat + 1, True, fake))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return [
        Figure(
            f"{UPDATES:,} Telegram webhook updates, metrics on",
            "req/s",
            UPDATES / statistics.median(on),
            "the same updates, CONSULTA_METRICS=off",
            UPDATES / statistics.median(off),
            target_ratio=0.95,
        )
    ]
