"""The web channel at /take: a consultation round answered in a browser, without a chat app.

Pages are rendered on the server and work without JavaScript; they load nothing from anywhere
else, which the dashboard's Content-Security-Policy, sent on every /take response, enforces.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bots.dashboard.web import HEADERS as DASHBOARD_HEADERS
from bots.web_channel.pages import PREFIX, WebRefusal, refusal_page, router

# The private link is in the page's address: no Referer may carry it to another site.
HEADERS = {**DASHBOARD_HEADERS, "Referrer-Policy": "no-referrer"}


class SecurityHeaders:
    """Adds the web channel's Content-Security-Policy and related headers to its responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.lower().encode(), value.encode())
                    for name, value in HEADERS.items()
                    if name.lower().encode() not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


async def _refused(request: Request, problem: Exception) -> Response:
    assert isinstance(problem, WebRefusal)
    return refusal_page(problem)


def install(app: FastAPI) -> None:
    """Add the web channel's pages, its refusal pages and its security headers to the app."""
    app.include_router(router)
    app.add_exception_handler(WebRefusal, _refused)
    app.add_middleware(SecurityHeaders)


__all__ = ["install"]
