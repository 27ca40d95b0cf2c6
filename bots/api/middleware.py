"""ASGI middleware: a request id on every log line, a body size cap, and one access line."""

from __future__ import annotations

import json
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bots.metrics import REFUSED, channel_for_path
from core.i18n import SOURCE_LANGUAGE, preferred_language, translate
from core.logs import request_id

MAX_BODY_BYTES = 1024 * 1024
# Routes that take a whole file: each streams its body and refuses it past a limit of its own,
# read from the settings, so the 1 MiB cap for messages and API calls does not apply. Matched
# exactly, so no other route under the same prefix escapes the cap.
UPLOAD_PATHS = frozenset({"/api/v1/practices/import"})
log = logging.getLogger("consulta.http")


class _TooLarge(Exception):
    pass


class RequestContext:
    """Tags the request with an id, refuses bodies over 1 MiB with 413, and logs the outcome.

    Upload routes (UPLOAD_PATHS) are left to enforce their own limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int = MAX_BODY_BYTES,
        upload_paths: frozenset[str] = UPLOAD_PATHS,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        # A caller's id is kept only when it looks like one, so it cannot inject text into logs.
        rid = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            if scope["path"] in self.upload_paths:
                await self.app(scope, receive, send_with_id)
                return
            declared = dict(scope["headers"]).get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._refuse(scope, send_with_id)
                return
            received = 0

            async def counting_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > self.max_body_bytes:
                        raise _TooLarge
                return message

            try:
                await self.app(scope, counting_receive, send_with_id)
            except _TooLarge:
                if not response_started:
                    await self._refuse(scope, send_with_id)
        finally:
            log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={"fields": {"duration_ms": round((time.perf_counter() - started) * 1000, 1)}},
            )
            request_id.reset(token)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        channel = channel_for_path(scope["path"])
        app = scope.get("app")
        metrics = getattr(getattr(app, "state", None), "metrics", None)
        if channel is not None and metrics is not None:
            metrics.inbound(channel, REFUSED)
        # No token has been read yet: the caller's Accept-Language is all there is to go by.
        header = dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")
        language = preferred_language(header) or SOURCE_LANGUAGE
        message = translate(language, "request body is larger than {limit} bytes")
        body = json.dumps({"detail": message.format(limit=self.max_body_bytes)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
