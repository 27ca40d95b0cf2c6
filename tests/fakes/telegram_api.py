"""A fake Telegram Bot API on 127.0.0.1, and a Telegram user who writes updates as Telegram would.

The real python-telegram-bot `Bot` talks to `FakeTelegram.base_url` over HTTP, so requests are
encoded, sent and parsed exactly as in production; only the other end is ours.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

import httpx

from core.config import Settings
from core.db import Database
from tests.conftest import PSEUDONYM_KEY

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
# Form-encoded requests carry these as JSON text; every other value stays a string.
JSON_FIELDS = frozenset(
    {"reply_markup", "allowed_updates", "entities", "link_preview_options", "reply_parameters"}
)
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Call:
    """One Bot API request as the fake received it."""

    method: str
    params: dict[str, Any]
    token: str
    # The HTTP status the fake answered with, and the result it returned when it succeeded.
    status: int = HTTPStatus.OK
    result: Any = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeTelegram


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: the test output should show failures, not access lines.
        pass

    def _serve(self) -> None:
        path = self.path.split("?", 1)[0]
        prefix, _, method = path.rpartition("/")
        token = prefix.removeprefix("/bot") if prefix.startswith("/bot") else ""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        params = _parse_body(body, self.headers.get("Content-Type", ""))
        status, payload = self.server.fake.answer(method, params, token)
        encoded = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)


def _parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        parsed = json.loads(body)
        return parsed if isinstance(parsed, dict) else {}
    params: dict[str, Any] = {}
    for name, values in parse_qs(body.decode(), keep_blank_values=True).items():
        value = values[-1]
        params[name] = json.loads(value) if name in JSON_FIELDS else value
    return params


def _error(code: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    payload: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        payload["parameters"] = parameters
    return code, payload


class FakeTelegram:
    """A threaded fake Bot API that records every call; use it as a context manager."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self._calls: list[Call] = []
        self._changed = threading.Condition()
        self._message_ids = itertools.count(1001)
        self._updates: list[dict[str, Any]] = []
        self._blocked: set[str] = set()
        self._retry_after: int | None = None
        self._closed = False
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """What `Bot(base_url=...)` takes: the token is appended to it."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    def __enter__(self) -> FakeTelegram:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving; long polls waiting for updates return at once."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- switches -----------------------------------------------------------------------------

    def block(self, chat_id: int | str) -> None:
        """Answer 403 to messages for this chat, as Telegram does once a user blocks the bot."""
        with self._changed:
            self._blocked.add(str(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        """Deliver to this chat again, as after the user restarts the bot."""
        with self._changed:
            self._blocked.discard(str(chat_id))

    def rate_limit(self, retry_after: int | None) -> None:
        """Answer 429 with this retry_after to every send, or stop when None."""
        with self._changed:
            self._retry_after = retry_after

    def queue_update(self, update: dict[str, Any]) -> None:
        """Offer an update to the next getUpdates call."""
        with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    # --- what was called ----------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every call so far, in order."""
        with self._changed:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """The calls to one Bot API method."""
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """The parameters of every message sent (and accepted), optionally to one chat."""
        return [
            c.params
            for c in self.calls_to("sendMessage")
            if c.status == HTTPStatus.OK
            and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
        ]

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        """The texts of the messages sent, optionally to one chat."""
        return [str(p.get("text", "")) for p in self.sent(chat_id)]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until the method was called at least `count` times; fail after the timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self._calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{method} called {len(found)} times, expected {count}")
                self._changed.wait(left)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Queued updates not yet confirmed by a getUpdates offset."""
        with self._changed:
            return list(self._updates)

    def reset(self) -> None:
        """Forget the calls recorded so far."""
        with self._changed:
            self._calls.clear()

    # --- the Bot API --------------------------------------------------------------------------

    def answer(self, method: str, params: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON body Telegram would give this call."""
        if method == "getUpdates":
            # Recorded like any call, but answered outside the lock: it may wait for updates.
            self._record(Call(method, params, token))
            if token != self.token:
                return _error(401, "Unauthorized")
            return HTTPStatus.OK, {"ok": True, "result": self._updates_after(params)}
        return self._answer_locked(method, params, token)

    def _record(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def _answer_locked(
        self, method: str, params: dict[str, Any], token: str
    ) -> tuple[int, dict[str, Any]]:
        with self._changed:
            outcome = self._dispatch(method, params, token)
            status, payload = outcome
            self._calls.append(Call(method, params, token, status, payload.get("result")))
            self._changed.notify_all()
            return outcome

    def _dispatch(
        self, method: str, params: dict[str, Any], token: str
    ) -> tuple[int, dict[str, Any]]:
        if token != self.token:
            return _error(401, "Unauthorized")
        if method == "getMe":
            return HTTPStatus.OK, {"ok": True, "result": BOT_USER}
        if method == "sendMessage":
            return self._send_message(params)
        if method == "editMessageText":
            if len(str(params.get("text", ""))) > MAX_TEXT:
                return _error(400, "Bad Request: MESSAGE_TOO_LONG")
            return HTTPStatus.OK, {"ok": True, "result": self._message(params)}
        if method in ("answerCallbackQuery", "deleteMessage", "setWebhook", "deleteWebhook"):
            return HTTPStatus.OK, {"ok": True, "result": True}
        return _error(404, "Not Found")

    def _send_message(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = str(params.get("chat_id", ""))
        text = str(params.get("text", ""))
        if self._retry_after is not None:
            return _error(
                429,
                f"Too Many Requests: retry after {self._retry_after}",
                retry_after=self._retry_after,
            )
        if chat_id in self._blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            return _error(400, "Bad Request: message is too long")
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data", "")
                if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        return HTTPStatus.OK, {"ok": True, "result": self._message(params)}

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "from": BOT_USER,
            "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
            "date": int(time.time()),
            "text": str(params.get("text", "")),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _updates_after(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 10.0)
        deadline = time.monotonic() + wait
        with self._changed:
            while True:
                # Asking with an offset confirms every earlier update: Telegram forgets them.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._closed:
                    return list(self._updates)
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self._changed.wait(left)


# --- what Telegram sends ------------------------------------------------------------------------


@dataclass
class TelegramUser:
    """A person in a private chat with the bot, producing the updates Telegram would send."""

    id: int
    first_name: str = "Amina"
    last_name: str = "Diallo"
    username: str = "amina_d"
    language_code: str = "en"
    _update_ids: Iterator[int] = field(default_factory=lambda: itertools.count(500_000_001))
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def user(self) -> dict[str, Any]:
        """The `from` object of this person."""
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }

    def chat(self) -> dict[str, Any]:
        """The private chat with this person; its id is the person's id."""
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "type": "private",
        }

    def next_update_id(self) -> int:
        """A fresh update_id."""
        return next(self._update_ids)

    def message(self, text: str, *, message_id: int | None = None) -> dict[str, Any]:
        """The `message` object of a typed text; a leading /command gets its entity."""
        message: dict[str, Any] = {
            "message_id": message_id if message_id is not None else next(self._message_ids),
            "from": self.user(),
            "chat": self.chat(),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            # Offsets and lengths count UTF-16 code units, as Telegram counts them.
            length = len(command.encode("utf-16-le")) // 2
            message["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]
        return message

    def says(self, text: str) -> dict[str, Any]:
        """The update of a typed message."""
        return {"update_id": self.next_update_id(), "message": self.message(text)}

    def presses(self, data: str, *, prompt_message_id: int = 1001) -> dict[str, Any]:
        """The update of a press on an inline button carrying this callback data."""
        return {
            "update_id": self.next_update_id(),
            "callback_query": {
                "id": f"{self.id}{next(self._message_ids):06d}",
                "from": self.user(),
                "message": {
                    "message_id": prompt_message_id,
                    "from": BOT_USER,
                    "chat": self.chat(),
                    "date": int(time.time()),
                    "text": "A question",
                },
                "chat_instance": "-5338719253467982043",
                "data": data,
            },
        }

    def edits(self, message_id: int, text: str) -> dict[str, Any]:
        """The update of an edit to one of this person's earlier messages."""
        edited = self.message(text, message_id=message_id)
        edited["edit_date"] = int(time.time())
        return {"update_id": self.next_update_id(), "edited_message": edited}

    def member_status(self, status: str, *, until_date: int | None = None) -> dict[str, Any]:
        """The `my_chat_member` update sent when this person blocks (kicked) or restarts the bot."""
        old, new = ("member", status) if status == "kicked" else ("kicked", status)
        new_member: dict[str, Any] = {"user": BOT_USER, "status": new}
        if status == "kicked":
            new_member["until_date"] = until_date or 0
        old_member: dict[str, Any] = {"user": BOT_USER, "status": old}
        if old == "kicked":
            old_member["until_date"] = 0
        return {
            "update_id": self.next_update_id(),
            "my_chat_member": {
                "chat": self.chat(),
                "from": self.user(),
                "date": int(time.time()),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        }


def group_message(
    sender: TelegramUser, text: str, *, update_id: int, chat_id: int = -1001234567890
) -> dict[str, Any]:
    """A message in a supergroup; commands and @mentions get their entities."""
    message = sender.message(text)
    message["chat"] = {"id": chat_id, "title": "Civil society network", "type": "supergroup"}
    entities = list(message.get("entities", []))
    for word in text.split():
        if word.startswith("@"):
            start = text.index(word)
            entities.append(
                {
                    "offset": len(text[:start].encode("utf-16-le")) // 2,
                    "length": len(word.encode("utf-16-le")) // 2,
                    "type": "mention",
                }
            )
    if entities:
        message["entities"] = entities
    return {"update_id": update_id, "message": message}


# --- a conversation through the webhook ---------------------------------------------------------

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_SECRET = "wh_9f8e7d6c5b4a3f2e1d0c"


def telegram_settings(database: Database, fake: FakeTelegram, **overrides: Any) -> Settings:
    """Settings for a bot that talks to the fake API and takes webhooks signed with the secret."""
    fields: dict[str, Any] = {
        "database_url": database.url,
        "pseudonym_key": PSEUDONYM_KEY.decode(),
        "telegram_token": TOKEN,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "telegram_api_url": fake.base_url,
    }
    return Settings(**{**fields, **overrides})


class TelegramChat:
    """A person talking to the bot through the webhook; replies are what the fake API received."""

    def __init__(
        self,
        client: httpx.Client,
        fake: FakeTelegram,
        user: TelegramUser,
        secret: str = WEBHOOK_SECRET,
    ) -> None:
        self.client = client
        self.fake = fake
        self.user = user
        self.secret = secret
        self.last: list[dict[str, Any]] = []

    def deliver(self, update: dict[str, Any]) -> httpx.Response:
        """POST one update as Telegram would; `last` holds the messages sent in response."""
        before = len(self.fake.sent(self.user.id))
        response = self.client.post(
            "/telegram/webhook", json=update, headers={SECRET_HEADER: self.secret}
        )
        self.last = self.fake.sent(self.user.id)[before:]
        return response

    def send(self, text: str) -> str:
        """Type a message; returns the bot's replies joined."""
        return self._expect_ok(self.user.says(text))

    def press(self, label: str) -> str:
        """Press the button with this label on the latest message that showed it."""
        for call in reversed(self.fake.calls_to("sendMessage")):
            if str(call.params.get("chat_id")) != str(self.user.id) or call.result is None:
                continue
            for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        update = self.user.presses(
                            button["callback_data"], prompt_message_id=call.result["message_id"]
                        )
                        return self._expect_ok(update)
        raise AssertionError(f"no button {label!r} was sent to this chat")

    def _expect_ok(self, update: dict[str, Any]) -> str:
        response = self.deliver(update)
        assert response.status_code == HTTPStatus.OK, response.text
        return self.said

    @property
    def said(self) -> str:
        """The texts of the latest replies, joined."""
        return "\n".join(str(m["text"]) for m in self.last)

    def buttons(self) -> list[str]:
        """The labels of the buttons on the latest replies."""
        return [
            button["text"]
            for message in self.last
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        ]
