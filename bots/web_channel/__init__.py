"""The web channel at /take: a consultation round answered in a browser, without a chat app.

Pages are rendered on the server and work without JavaScript; they load nothing from anywhere
else, which the dashboard's Content-Security-Policy, sent on every /take response, enforces.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from bots.dashboard.web import HEADERS as DASHBOARD_HEADERS
from bots.dashboard.web import SecurityHeaders
from bots.web_channel.pages import PREFIX, WebRefusal, refusal_page, router

# The private link is in the page's address: no Referer may carry it to another site.
HEADERS = {**DASHBOARD_HEADERS, "Referrer-Policy": "no-referrer"}


async def _refused(request: Request, problem: Exception) -> Response:
    assert isinstance(problem, WebRefusal)
    return refusal_page(problem)


def install(app: FastAPI) -> None:
    """Add the web channel's pages, its refusal pages and its security headers to the app."""
    app.include_router(router)
    app.add_exception_handler(WebRefusal, _refused)
    app.add_middleware(SecurityHeaders, prefix=PREFIX, headers=HEADERS)


__all__ = ["install"]
