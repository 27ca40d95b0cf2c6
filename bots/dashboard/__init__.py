"""The organiser dashboard at /dashboard: server-rendered pages, no scripts, nothing remote."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import Response

from bots.dashboard.pages import router
from bots.dashboard.web import (
    PREFIX,
    Refusal,
    SecurityHeaders,
    SignInNeeded,
    page_language,
    render,
    see_other,
)
from core.i18n import translate


async def _refused(request: Request, problem: Exception) -> Response:
    assert isinstance(problem, Refusal)
    language = page_language(request)
    return render(
        request,
        "problem.html",
        visit=None,
        status=problem.status,
        title=translate(language, problem.title),
        message=problem.message_in(language),
    )


async def _sign_in_first(request: Request, problem: Exception) -> Response:
    assert isinstance(problem, SignInNeeded)
    return see_other(f"{PREFIX}/sign-in?{urlencode({'next': problem.back_to})}")


def install(app: FastAPI) -> None:
    """Add the dashboard's routes, its refusal pages and its security headers to the app."""
    app.include_router(router)
    app.add_exception_handler(Refusal, _refused)
    app.add_exception_handler(SignInNeeded, _sign_in_first)
    app.add_middleware(SecurityHeaders)


__all__ = ["install"]
