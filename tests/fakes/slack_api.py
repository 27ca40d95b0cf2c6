"""A fake Slack: its Web API on 127.0.0.1, and the signed requests Slack sends to the app.

The Web API side answers the real slack_sdk client (point it here with base_url) and refuses
what Slack refuses, so a message the app renders wrongly fails here as it would in Slack. The
workspace side builds Events API, interactivity and slash-command requests signed with the
signing secret, and posts them into the app like Slack does.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1111111111-2222222222-FakeSlackBotTokenForTests"
TEAM_ID = "T0CONSULTA"
BOT_USER_ID = "U0BOTUSER"
BOT_ID = "B0BOTID"
APP_ID = "A0CONSULTA"
WAIT_SECONDS = 10.0

# Block Kit's limits, as Slack enforces them when a message is posted.
MAX_BLOCKS = 50
MAX_TEXT = 40_000
MAX_SECTION_TEXT = 3000
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_SELECT_OPTIONS = 100
MAX_CHECKBOX_OPTIONS = 10
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_HEADER_TEXT = 150
JSON_FIELDS = ("blocks", "view", "attachments", "metadata")
# A modal's limits, as views.open, views.update and views.push enforce them.
MAX_VIEW_BLOCKS = 100
MAX_VIEW_TITLE = 24
MAX_LABEL = 2000
MAX_PLACEHOLDER = 150
MAX_INPUT_LENGTH = 3000
MAX_PRIVATE_METADATA = 3000
MAX_ID = 255


@dataclass(frozen=True)
class Call:
    """One Web API call as the fake received it."""

    method: str
    params: dict[str, Any]
    authorized: bool
    status: int


@dataclass
class SlackUser:
    """A workspace member as users.info describes them."""

    locale: str = "en-US"
    tz: str = "Europe/London"
    name: str = "member"


@dataclass
class _Failure:
    times: int
    status: int
    error: str
    retry_after: int | None = None


@dataclass
class FakeSlack:
    """Slack's Web API in a daemon thread, recording every call it answers."""

    users: dict[str, SlackUser] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._changed = threading.Condition()
        self._failures: dict[str, _Failure] = {}
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                # Request lines carry user ids in query strings; the test output stays clean.
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        """Where the SDK should send its calls; ends in / as slack_sdk expects."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    # --- what tests ask of the fake -------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 0) -> None:
        """Answer the next calls of a method with 429 and a Retry-After header."""
        with self._changed:
            self._failures[method] = _Failure(times, 429, "ratelimited", retry_after)

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next calls of a method with ok: false and this error, as Slack does."""
        with self._changed:
            self._failures[method] = _Failure(times, 200, error)

    def received(self, method: str | None = None) -> list[Call]:
        """The calls answered so far, all or of one method."""
        with self._changed:
            return [c for c in self.calls if method is None or c.method == method]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """The parameters of each message posted (with status 200), in order."""
        return [
            c.params
            for c in self.received("chat.postMessage")
            if c.status == 200 and (channel is None or c.params.get("channel") == channel)
        ]

    def wait_for(
        self, check: Callable[[list[Call]], bool], timeout: float = WAIT_SECONDS
    ) -> list[Call]:
        """Block until the calls received satisfy check; fail after the timeout."""
        with self._changed:
            if not self._changed.wait_for(lambda: check(list(self.calls)), timeout=timeout):
                raise AssertionError(
                    f"the fake Slack did not get the expected calls within {timeout}s; "
                    f"it got: {[c.method for c in self.calls]}"
                )
            return list(self.calls)

    def wait_for_posts(
        self, count: int, channel: str | None = None, timeout: float = WAIT_SECONDS
    ) -> list[dict[str, Any]]:
        """Block until at least count messages were posted (to the channel); return them all."""

        def enough(calls: list[Call]) -> bool:
            return (
                sum(
                    1
                    for c in calls
                    if c.method == "chat.postMessage"
                    and c.status == 200
                    and (channel is None or c.params.get("channel") == channel)
                )
                >= count
            )

        self.wait_for(enough, timeout)
        return self.posted(channel)

    # --- the Web API -----------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        method = url.path.strip("/")
        params: dict[str, Any] = dict(parse_qsl(url.query))
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        if raw:
            if "json" in (request.headers.get("Content-Type") or ""):
                params.update(json.loads(raw))
            else:
                params.update(parse_qsl(raw.decode("utf-8")))
        for name in JSON_FIELDS:
            if isinstance(params.get(name), str):
                params[name] = json.loads(params[name])
        authorized = (request.headers.get("Authorization") or "") == f"Bearer {BOT_TOKEN}"
        status, headers, answer = self._answer(method, params, authorized)
        with self._changed:
            self.calls.append(Call(method, params, authorized, status))
            self._changed.notify_all()
        body = json.dumps(answer).encode("utf-8")
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(body)

    def _answer(
        self, method: str, params: dict[str, Any], authorized: bool
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        if not authorized:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        with self._changed:
            failure = self._failures.get(method)
            if failure is not None and failure.times > 0:
                failure.times -= 1
                headers = (
                    {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
                )
                return failure.status, headers, {"ok": False, "error": failure.error}
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        if answer is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        result: dict[str, Any] = answer(params)
        return 200, {}, result

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        # Bolt reads user_id and bot_id here to recognise, and ignore, the bot's own messages.
        return {
            "ok": True,
            "url": "https://consulta-test.slack.com/",
            "team": "Consulta test",
            "user": "consulta",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        refused = self._refuse_message(params)
        if refused is not None:
            return refused
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": params.get("text", ""),
            "ts": ts,
        }
        if "blocks" in params:
            message["blocks"] = params["blocks"]
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": message}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        refused = self._refuse_message(params)
        if refused is not None:
            return refused
        return {
            "ok": True,
            "channel": params["channel"],
            "ts": params["ts"],
            "text": params.get("text", ""),
        }

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel") or not params.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": params["channel"], "ts": params["ts"]}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users") or "")
        if not users or "," in users:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "channel": {"id": dm_of(users)}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user") or "")
        user = self.users.get(user_id)
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        described: dict[str, Any] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": user.name,
            "tz": user.tz,
            "is_bot": False,
        }
        # Like Slack, the locale comes only to those who ask for it.
        if str(params.get("include_locale")).lower() in ("1", "true"):
            described["locale"] = user.locale
        return {"ok": True, "user": described}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if not params.get("user_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        if view.get("type") != "home" or len(view.get("blocks") or []) > 100:
            return {"ok": False, "error": "invalid_arguments"}
        problems = block_problems(view.get("blocks") or [], most=100)
        if problems:
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        return {"ok": True, "view": {"id": "V0HOME", **view}}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return self._show_view(params)

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._views_open(params)

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("view_id") and not params.get("external_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return self._show_view(params, str(params.get("view_id") or ""))

    def _show_view(self, params: dict[str, Any], view_id: str = "") -> dict[str, Any]:
        view = params.get("view")
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        problems = view_problems(view)
        if problems:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        view_id = view_id or next_id("V")
        shown = {
            "id": view_id,
            "team_id": TEAM_ID,
            "state": {"values": {}},
            "hash": next_ts(),
            "private_metadata": "",
            "callback_id": "",
            "root_view_id": view_id,
            "previous_view_id": None,
            "clear_on_close": False,
            "notify_on_close": False,
            "external_id": "",
            "app_id": APP_ID,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
            **view,
        }
        return {"ok": True, "view": shown}

    def views(self, method: str = "views.open") -> list[dict[str, Any]]:
        """The views Slack showed through a method, in order, as the app sent them."""
        return [
            c.params["view"]
            for c in self.received(method)
            if c.status == 200 and isinstance(c.params.get("view"), dict)
        ]

    def _refuse_message(self, params: dict[str, Any]) -> dict[str, Any] | None:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        text = params.get("text") or ""
        blocks = params.get("blocks")
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        if len(text) > MAX_TEXT:
            return {"ok": False, "error": "msg_too_long"}
        if blocks is not None:
            problems = block_problems(blocks)
            if problems:
                return {"ok": False, "error": "invalid_blocks", "errors": problems}
        return None


def block_problems(blocks: Any, most: int = MAX_BLOCKS) -> list[str]:
    """What Slack would refuse in a list of blocks, as its error lines; empty when valid."""
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    problems: list[str] = []
    if len(blocks) > most:
        problems.append(f"no more than {most} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{index}]"
        kind = block.get("type")
        if kind == "section":
            text = (block.get("text") or {}).get("text") or ""
            if not text or len(text) > MAX_SECTION_TEXT:
                problems.append(f"section text must be 1 to {MAX_SECTION_TEXT} characters {where}")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements or len(elements) > MAX_ACTIONS_ELEMENTS:
                problems.append(f"no more than {MAX_ACTIONS_ELEMENTS} items allowed {where}")
            for element in elements:
                problem = _element_problems(element, where)
                if problem:
                    problems.append(problem)
        elif kind == "context":
            if len(block.get("elements") or []) > MAX_CONTEXT_ELEMENTS:
                problems.append(f"no more than {MAX_CONTEXT_ELEMENTS} items allowed {where}")
        elif kind == "header":
            if len((block.get("text") or {}).get("text") or "") > MAX_HEADER_TEXT:
                problems.append(f"must be less than {MAX_HEADER_TEXT + 1} characters {where}")
        elif kind != "divider":
            problems.append(f"unsupported type: {kind} {where}")
    return problems


def _element_problems(element: dict[str, Any], where: str) -> str:
    kind = element.get("type")
    if kind == "button":
        text = (element.get("text") or {}).get("text") or ""
        if not text or len(text) > MAX_BUTTON_TEXT:
            return f"button text must be 1 to {MAX_BUTTON_TEXT} characters {where}"
        if len(element.get("value") or "") > MAX_BUTTON_VALUE:
            return f"button value must be at most {MAX_BUTTON_VALUE} characters {where}"
        return ""
    if kind in ("static_select", "checkboxes", "radio_buttons"):
        options = element.get("options") or []
        most = MAX_SELECT_OPTIONS if kind == "static_select" else MAX_CHECKBOX_OPTIONS
        if not options or len(options) > most:
            return f"no more than {most} items allowed {where}"
        for option in options:
            text = (option.get("text") or {}).get("text") or ""
            if not text or len(text) > MAX_OPTION_TEXT:
                return f"option text must be 1 to {MAX_OPTION_TEXT} characters {where}"
            if not option.get("value") or len(option["value"]) > MAX_OPTION_VALUE:
                return f"option value must be 1 to {MAX_OPTION_VALUE} characters {where}"
        return ""
    return f"unsupported element type: {kind} {where}"


def view_problems(view: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a modal, as its error lines; empty when valid."""
    problems: list[str] = []
    if view.get("type") != "modal":
        problems.append("view type must be modal [json-pointer:/view/type]")
    for name, required in (("title", True), ("submit", False), ("close", False)):
        text = (view.get(name) or {}).get("text")
        if (required and not text) or (text is not None and not 0 < len(text) <= MAX_VIEW_TITLE):
            problems.append(
                f"{name} must be 1 to {MAX_VIEW_TITLE} characters [json-pointer:/view/{name}]"
            )
    if len(view.get("private_metadata") or "") > MAX_PRIVATE_METADATA:
        problems.append("private_metadata is too long [json-pointer:/view/private_metadata]")
    if len(view.get("callback_id") or "") > MAX_ID:
        problems.append("callback_id is too long [json-pointer:/view/callback_id]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return [*problems, "blocks must be a non-empty array [json-pointer:/view/blocks]"]
    inputs = [b for b in blocks if b.get("type") == "input"]
    if inputs and not (view.get("submit") or {}).get("text"):
        problems.append("a view with inputs needs a submit button [json-pointer:/view/submit]")
    block_ids = [b["block_id"] for b in blocks if b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        problems.append("block_id values must be unique [json-pointer:/view/blocks]")
    others = [b for b in blocks if b.get("type") != "input"]
    problems.extend(block_problems(others, most=MAX_VIEW_BLOCKS))
    if len(blocks) > MAX_VIEW_BLOCKS:
        problems.append(f"no more than {MAX_VIEW_BLOCKS} items allowed [json-pointer:/view/blocks]")
    for index, block in enumerate(blocks):
        if block.get("type") == "input":
            problems.extend(_input_problems(block, f"[json-pointer:/view/blocks/{index}]"))
    return problems


def _input_problems(block: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    label = (block.get("label") or {}).get("text") or ""
    if not label or len(label) > MAX_LABEL:
        problems.append(f"label must be 1 to {MAX_LABEL} characters {where}")
    if len((block.get("hint") or {}).get("text") or "") > MAX_LABEL:
        problems.append(f"hint must be at most {MAX_LABEL} characters {where}")
    if len(block.get("block_id") or "") > MAX_ID:
        problems.append(f"block_id must be at most {MAX_ID} characters {where}")
    element = block.get("element") or {}
    kind = element.get("type")
    if len((element.get("placeholder") or {}).get("text") or "") > MAX_PLACEHOLDER:
        problems.append(f"placeholder must be at most {MAX_PLACEHOLDER} characters {where}")
    if kind == "plain_text_input":
        most = element.get("max_length", MAX_INPUT_LENGTH)
        if not isinstance(most, int) or not 0 < most <= MAX_INPUT_LENGTH:
            problems.append(f"max_length must be 1 to {MAX_INPUT_LENGTH} {where}")
        elif len(element.get("initial_value") or "") > most:
            problems.append(f"initial_value is longer than max_length {where}")
    elif kind == "static_select":
        problem = _element_problems(element, where)
        if problem:
            problems.append(problem)
        initial = element.get("initial_option")
        if initial is not None and initial not in (element.get("options") or []):
            problems.append(f"initial_option must be one of the options {where}")
    elif kind == "datepicker":
        initial = element.get("initial_date")
        if initial is not None and not _is_date(initial):
            problems.append(f"initial_date must be YYYY-MM-DD {where}")
    else:
        problems.append(f"unsupported input element type: {kind} {where}")
    return problems


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    return len(text) == 10


def submission_problems(answer: dict[str, Any], view: dict[str, Any]) -> list[str]:
    """What Slack would refuse in the app's answer to a view_submission; empty when valid."""
    action = answer.get("response_action")
    if action == "errors":
        inputs = {b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"}
        errors = answer.get("errors")
        if not isinstance(errors, dict) or not errors:
            return ["errors must be a non-empty object keyed by block_id"]
        return [f"{key} is not the block_id of an input" for key in errors if key not in inputs]
    if action in ("update", "push"):
        return view_problems(answer.get("view") or {})
    if action in (None, "clear"):
        return []
    return [f"unknown response_action {action!r}"]


def dm_of(user: str) -> str:
    """The direct-message channel the fake opens between the bot and a user."""
    return "D" + user.removeprefix("U")


# --- what Slack sends to the app ---------------------------------------------------------------


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """The X-Slack-Signature Slack computes for a body sent at a time."""
    basis = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), basis, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, content_type: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """The headers of a request Slack signed now (or at the time given)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(moment),
        "X-Slack-Signature": sign(body, moment, secret),
    }


_ids = itertools.count(1)


def next_id(prefix: str) -> str:
    """A fresh id in Slack's style, unique in the test run."""
    return f"{prefix}{next(_ids):08d}"


def next_ts() -> str:
    """A fresh message timestamp in Slack's seconds.micro format."""
    return f"{int(time.time())}.{next(_ids):06d}"


def envelope(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API event_callback around an event."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or next_id("Ev"),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def message_event(
    user: str, text: str, *, channel: str | None = None, channel_type: str = "im", ts: str = ""
) -> dict[str, Any]:
    """A message a person wrote, in the DM with the bot unless another channel is given."""
    ts = ts or next_ts()
    return {
        "client_msg_id": next_id("msg-"),
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "team": TEAM_ID,
        "blocks": [
            {
                "type": "rich_text",
                "block_id": next_id("b"),
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                ],
            }
        ],
        "channel": channel or dm_of(user),
        "event_ts": ts,
        "channel_type": channel_type,
    }


def edit_event(user: str, ts: str, old: str, new: str, *, unfurl: bool = False) -> dict[str, Any]:
    """A message_changed event: an edit by the person, or a link preview (unfurl) Slack added."""
    now = next_ts()
    message: dict[str, Any] = {
        "client_msg_id": next_id("msg-"),
        "type": "message",
        "text": new,
        "user": user,
        "team": TEAM_ID,
        "ts": ts,
        "source_team": TEAM_ID,
        "user_team": TEAM_ID,
    }
    if unfurl:
        message["attachments"] = [
            {"from_url": "https://example.org/", "title": "Example", "id": 1, "fallback": "Ex"}
        ]
    else:
        message["edited"] = {"user": user, "ts": now}
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": message,
        "previous_message": {"type": "message", "text": old, "user": user, "ts": ts},
        "channel": dm_of(user),
        "hidden": True,
        "ts": now,
        "event_ts": now,
        "channel_type": "im",
    }


def block_actions(
    user: str,
    action: dict[str, Any],
    message: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A block_actions payload: a person acted on a control of a message the bot posted."""
    channel = message.get("channel") or dm_of(user)
    ts = message.get("ts") or next_ts()
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "member", "name": "member", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{next_id('')}.{next_id('')}.{next_id('t')}",
        "team": {"id": TEAM_ID, "domain": "consulta-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage"},
        "message": {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": message.get("text", ""),
            "ts": ts,
            "blocks": message.get("blocks", []),
        },
        "state": {"values": state or {}},
        "response_url": "https://hooks.slack.com/actions/T0CONSULTA/1/fake",
        "actions": [{**action, "action_ts": next_ts()}],
    }


def slash_command(
    user: str, text: str, channel: str = "C0GENERAL", command: str = "/consult"
) -> dict[str, str]:
    """The form fields of a slash command (/consult unless told) typed in a channel."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "consulta-test",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": "member",
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T0CONSULTA/1/fake",
        "trigger_id": f"{next_id('')}.{next_id('')}.{next_id('t')}",
    }


def global_shortcut(user: str, callback_id: str) -> dict[str, Any]:
    """A shortcut payload: a person chose the app's global shortcut."""
    return {
        "type": "shortcut",
        "token": "legacy-verification-token",
        "action_ts": next_ts(),
        "team": {"id": TEAM_ID, "domain": "consulta-test"},
        "user": {"id": user, "username": "member", "team_id": TEAM_ID},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": f"{next_id('')}.{next_id('')}.{next_id('t')}",
    }


def message_action(
    user: str, callback_id: str, text: str, *, author: str = "U0AUTHOR1", channel: str = "C0GENERAL"
) -> dict[str, Any]:
    """A message_action payload: a person chose the app's shortcut on someone's message."""
    ts = next_ts()
    return {
        "type": "message_action",
        "token": "legacy-verification-token",
        "action_ts": next_ts(),
        "team": {"id": TEAM_ID, "domain": "consulta-test"},
        "user": {"id": user, "username": "member", "team_id": TEAM_ID, "name": "member"},
        "channel": {"id": channel, "name": "general"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": f"{next_id('')}.{next_id('')}.{next_id('t')}",
        "response_url": "https://hooks.slack.com/app/T0CONSULTA/1/fake",
        "message_ts": ts,
        "message": {
            "client_msg_id": next_id("msg-"),
            "type": "message",
            "text": text,
            "user": author,
            "ts": ts,
            "team": TEAM_ID,
        },
    }


def state_values(view: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    """view.state.values as Slack reports them: every input, empty ones as null.

    answers are by block_id: the text typed, the label (or value) of the option chosen in a
    menu, or the date picked.
    """
    values: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind = element["type"]
        answer = answers.get(block["block_id"])
        if kind == "plain_text_input":
            state: dict[str, Any] = {"type": kind, "value": answer or None}
        elif kind == "static_select":
            chosen = next(
                (
                    o
                    for o in element.get("options") or []
                    if answer is not None and answer in (o["text"]["text"], o["value"])
                ),
                None,
            )
            if answer is not None and chosen is None:
                raise AssertionError(f"no option {answer!r} in {block['block_id']}")
            state = {"type": kind, "selected_option": chosen}
        elif kind == "datepicker":
            state = {"type": kind, "selected_date": answer or None}
        else:
            raise AssertionError(f"the fake cannot fill a {kind}")
        values[block["block_id"]] = {element["action_id"]: state}
    unknown = set(answers) - set(values)
    if unknown:
        raise AssertionError(f"the view has no inputs {sorted(unknown)}")
    return values


def view_submission(user: str, view: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    """A view_submission payload: a person filled in a modal the app opened and submitted it."""
    shown = {
        "id": view.get("id") or next_id("V"),
        "team_id": TEAM_ID,
        "type": "modal",
        "private_metadata": "",
        "callback_id": "",
        "hash": next_ts(),
        "clear_on_close": False,
        "notify_on_close": False,
        "root_view_id": view.get("id"),
        "previous_view_id": None,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
        **view,
        "state": {"values": state_values(view, answers)},
    }
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "consulta-test"},
        "user": {"id": user, "username": "member", "name": "member", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": f"{next_id('')}.{next_id('')}.{next_id('t')}",
        "view": shown,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def controls(message: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Every interactive element of a posted message, with the block that holds it."""
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                yield block, element


def _button_press(block: dict[str, Any], element: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": element["action_id"],
        "block_id": block.get("block_id", "b"),
        "text": element["text"],
        "value": element["value"],
    }


class Workspace:
    """Slack's side of a conversation: signed requests into the app, replies from the fake."""

    def __init__(self, client: Any, fake: FakeSlack, path: str = "/slack/events") -> None:
        self.client = client
        self.fake = fake
        self.path = path
        self._read: dict[str, int] = {}

    def reply(self, user: str, needle: str, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        """Wait for the next unread message to the user's DM that contains needle; return it."""
        # Messages up to the one found count as read: the same words asked again later are
        # awaited afresh.
        channel = dm_of(user)
        start = self._read.get(user, 0)

        def arrived(calls: list[Call]) -> bool:
            posts = [
                c.params
                for c in calls
                if c.method == "chat.postMessage"
                and c.status == 200
                and c.params.get("channel") == channel
            ]
            return any(needle in p.get("text", "") for p in posts[start:])

        self.fake.wait_for(arrived, timeout)
        posts = self.fake.posted(channel)
        index = next(i for i in range(start, len(posts)) if needle in posts[i].get("text", ""))
        self._read[user] = index + 1
        found: dict[str, Any] = posts[index]
        return found

    def send_event(self, event: dict[str, Any], event_id: str | None = None, **headers: str) -> Any:
        """POST an Events API event, signed; returns the app's response."""
        body = json.dumps(envelope(event, event_id)).encode()
        return self.post(body, "application/json", **headers)

    def post(self, body: bytes, content_type: str, **extra: str) -> Any:
        """POST a raw body, signed as Slack signs it, plus any extra headers."""
        headers = {**signed_headers(body, content_type), **extra}
        return self.client.post(self.path, content=body, headers=headers)

    def interact(self, payload: dict[str, Any]) -> Any:
        """POST an interactivity payload the way Slack does: a form with one JSON field."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded")

    def command(self, user: str, text: str, command: str = "/consult") -> Any:
        """Type a slash command (/consult unless told) and a text."""
        body = urlencode(slash_command(user, text, command=command)).encode()
        return self.post(body, "application/x-www-form-urlencoded")

    def shortcut(self, user: str, callback_id: str) -> Any:
        """Choose the app's global shortcut."""
        return self.interact(global_shortcut(user, callback_id))

    def message_shortcut(self, user: str, callback_id: str, text: str) -> Any:
        """Choose the app's shortcut on a message with this text."""
        return self.interact(message_action(user, callback_id, text))

    def opened_view(self, count: int = 1, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        """Wait until views.open has shown count views; return the last, as Slack shows it."""

        def opened(calls: list[Call]) -> bool:
            return sum(1 for c in calls if c.method == "views.open" and c.status == 200) >= count

        self.fake.wait_for(opened, timeout)
        view: dict[str, Any] = self.fake.views()[-1]
        return {"id": f"V0VIEW{count:04d}", **view}

    def submit(self, user: str, view: dict[str, Any], answers: dict[str, str]) -> Any:
        """Fill in the modal's inputs (by block_id) and submit it."""
        return self.interact(view_submission(user, view, answers))

    def write(self, user: str, text: str, ts: str = "") -> Any:
        """Write a message to the bot in the DM."""
        return self.send_event(message_event(user, text, ts=ts))

    def last_prompt(self, user: str) -> dict[str, Any]:
        """The latest message posted to the user's DM that has controls."""
        for message in reversed(self.fake.posted(dm_of(user))):
            if any(True for _ in controls(message)):
                found: dict[str, Any] = message
                return found
        raise AssertionError("no message with controls was posted to this user")

    def press(self, user: str, label: str) -> Any:
        """Press the button, or pick the menu option, with this label on the latest prompt."""
        message = self.last_prompt(user)
        for block, element in controls(message):
            if element["type"] == "button" and element["text"]["text"] == label:
                action = _button_press(block, element)
                return self.interact(block_actions(user, action, self._posted(message, user)))
            for option in element.get("options") or []:
                if element["type"] == "static_select" and option["text"]["text"] == label:
                    action = {
                        "type": "static_select",
                        "action_id": element["action_id"],
                        "block_id": block.get("block_id", "b"),
                        "selected_option": option,
                        "placeholder": element.get("placeholder"),
                    }
                    return self.interact(block_actions(user, action, self._posted(message, user)))
        raise AssertionError(f"no control labelled {label!r} on the latest prompt")

    def tick_and_finish(self, user: str, labels: list[str]) -> Any:
        """Tick checkboxes (each tick reaches the app, as in Slack), then press Done."""
        message = self.last_prompt(user)
        posted = self._posted(message, user)
        state: dict[str, Any] = {}
        done: tuple[dict[str, Any], dict[str, Any]] | None = None
        for block, element in controls(message):
            if element["type"] == "checkboxes":
                picked = [o for o in element["options"] if o["text"]["text"] in labels]
                state.setdefault(block["block_id"], {})[element["action_id"]] = {
                    "type": "checkboxes",
                    "selected_options": picked,
                }
                for count in range(1, len(picked) + 1):
                    tick = {
                        "type": "checkboxes",
                        "action_id": element["action_id"],
                        "block_id": block["block_id"],
                        "selected_options": picked[:count],
                    }
                    response = self.interact(block_actions(user, tick, posted, state=state))
                    assert response.status_code == 200, response.text
            elif element["type"] == "button":
                done = (block, element)
        assert done is not None, "the prompt has no Done button"
        return self.interact(block_actions(user, _button_press(*done), posted, state=state))

    def _posted(self, message: dict[str, Any], user: str) -> dict[str, Any]:
        return {
            "channel": message.get("channel") or dm_of(user),
            "text": message.get("text", ""),
            "blocks": message.get("blocks", []),
        }
