"""A gateway on the other side of the signed webhook: signs what it posts, checks what it gets."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from adapters import webhook

SECRET = "whsec_" + base64.b64encode(b"consulta-test-webhook-key-32bytes").decode()


def signed_headers(
    body: bytes, message_id: str, timestamp: int | None = None, secret: str = SECRET
) -> dict[str, str]:
    """The headers a Standard Webhooks sender puts on a request."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook.sign(secret, message_id, timestamp, body),
    }


class Receiver:
    """A local HTTP server that accepts only correctly signed POSTs, and records them."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.refused = 0
        self.fail_first = fail_first
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                try:
                    webhook.verify(
                        SECRET, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                    )
                except webhook.WebhookRejected:
                    owner.refused += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                if owner.fail_first > 0:
                    owner.fail_first -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                owner.received.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/inbox"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
