"""A fast fake Telegram Bot API for benchmarks, served by aiohttp in a process of its own.

It answers `getMe` and `sendMessage` as Telegram does (form-encoded or JSON requests), counts
the messages it accepted per chat and per (chat, text), and can hold every bot to a global
rate: a token bucket of `rate` messages a second holding at most `burst`, beyond which a
`sendMessage` is answered 429 with `retry_after`, as Telegram answers a bot that floods.

Control endpoints (no token): `GET /stats` (counts; `?detail=1` adds every (chat, text) pair
with its count) and `POST /reset` (forget the counts; a JSON body may set `rate` and `burst`,
`rate` null for no limit).

    .venv/bin/python -m bench.fake_bot_api --port 8081 --rate 30 --burst 30

prints one JSON line, `{"port": ...}`, once it listens. `FakeBotApi` starts and stops it from
a benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import httpx
from aiohttp import web

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw8"
BOT_USER = {
    "id": 7012345678,
    "is_bot": True,
    "first_name": "Consulta",
    "username": "ConsultaBot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
MAX_TEXT = 4096


class _State:
    """Counts and the rate limit; touched only from the server's event loop, so no locks."""

    def __init__(self, token: str, rate: float | None, burst: float) -> None:
        self.token = token
        self.message_ids = 1000
        self.reset(rate, burst)

    def reset(self, rate: float | None, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.updated = burst, time.monotonic()
        self.requests = 0
        self.too_many = 0
        self.per_chat: Counter[str] = Counter()
        self.per_pair: Counter[tuple[str, str]] = Counter()
        self.first_sent: float | None = None
        self.last_sent: float | None = None

    def admit(self) -> int | None:
        """None when a message may go now, else the seconds to wait (at least 1, as Telegram)."""
        if self.rate is None:
            return None
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / self.rate))

    def stats(self, detail: bool) -> dict[str, Any]:
        accepted = sum(self.per_chat.values())
        result: dict[str, Any] = {
            "requests": self.requests,
            "sent": accepted,
            "too_many": self.too_many,
            "chats": len(self.per_chat),
            "duplicates": sum(n - 1 for n in self.per_pair.values() if n > 1),
            "first_sent": self.first_sent,
            "last_sent": self.last_sent,
            "rate": self.rate,
            "burst": self.burst,
        }
        if detail:
            result["pairs"] = [[chat, text, n] for (chat, text), n in self.per_pair.items()]
        return result


def _json(status: int, payload: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(payload).encode(), content_type="application/json"
    )


def _error(code: int, description: str, **parameters: Any) -> web.Response:
    payload: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        payload["parameters"] = parameters
    return _json(code, payload)


def make_app(state: _State) -> web.Application:
    """The aiohttp application around one state."""

    async def bot_api(request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != state.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        body = await request.read()
        if request.content_type == "application/json" and body:
            params: dict[str, Any] = json.loads(body)
        else:
            params = dict(parse_qsl(body.decode(), keep_blank_values=True))
            params.update(request.query)
        if method == "getMe":
            return _json(200, {"ok": True, "result": BOT_USER})
        if method == "sendMessage":
            return send_message(params)
        if method in ("deleteWebhook", "setWebhook", "close", "logOut"):
            return _json(200, {"ok": True, "result": True})
        return _error(404, "Not Found")

    def send_message(params: dict[str, Any]) -> web.StreamResponse:
        state.requests += 1
        chat_id = str(params.get("chat_id", ""))
        text = str(params.get("text", ""))
        if not chat_id:
            return _error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            return _error(400, "Bad Request: message is too long")
        wait = state.admit()
        if wait is not None:
            state.too_many += 1
            return _error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        now = time.monotonic()
        if state.first_sent is None:
            state.first_sent = now
        state.last_sent = now
        state.per_chat[chat_id] += 1
        state.per_pair[(chat_id, text)] += 1
        state.message_ids += 1
        try:
            chat: int | str = int(chat_id)
        except ValueError:
            chat = chat_id
        message = {
            "message_id": state.message_ids,
            "from": BOT_USER,
            "chat": {"id": chat, "type": "private"},
            "date": int(time.time()),
            "text": text,
        }
        return _json(200, {"ok": True, "result": message})

    async def stats(request: web.Request) -> web.StreamResponse:
        return _json(200, state.stats(request.query.get("detail") in ("1", "true")))

    async def reset(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        settings = json.loads(body) if body else {}
        state.reset(settings.get("rate", state.rate), float(settings.get("burst", state.burst)))
        return _json(200, state.stats(False))

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    return app


async def _serve(host: str, port: int, state: _State) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    runner = web.AppRunner(make_app(state), access_log=None, handle_signals=True)
    await runner.setup()
    await web.SockSite(runner, listener, backlog=1024).start()
    print(json.dumps({"port": listener.getsockname()[1]}), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=TOKEN)
    parser.add_argument("--rate", type=float, default=None, help="messages/s; none by default")
    parser.add_argument("--burst", type=float, default=30.0)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, _State(args.token, args.rate, args.burst)))


class FakeBotApi:
    """The fake in a subprocess, for one benchmark; use it as a context manager."""

    def __init__(self, token: str = TOKEN, rate: float | None = None, burst: float = 30) -> None:
        self.token = token
        command = [sys.executable, "-m", "bench.fake_bot_api", "--token", token]
        command += ["--burst", str(burst)] + (["--rate", str(rate)] if rate else [])
        self._process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[1],
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self.close()
            raise RuntimeError("the fake Bot API did not start")
        self.port = int(json.loads(line)["port"])
        self._control = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    @property
    def base_url(self) -> str:
        """What `Bot(base_url=...)` and CONSULTA_TELEGRAM_API_URL take: the token follows."""
        return f"http://127.0.0.1:{self.port}/bot"

    def stats(self, detail: bool = False) -> dict[str, Any]:
        """The counts so far; with detail, every (chat, text) pair and how often it came."""
        response = self._control.get("/stats", params={"detail": "1"} if detail else None)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def reset(self, rate: float | None = None, burst: float = 30) -> None:
        """Forget the counts, and set the global rate limit (None: no limit)."""
        self._control.post("/reset", json={"rate": rate, "burst": burst}).raise_for_status()

    def close(self) -> None:
        """Stop the subprocess."""
        if hasattr(self, "_control"):
            self._control.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> FakeBotApi:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


if __name__ == "__main__":
    main()
