"""Refusals in the caller's language: their participant's, else Accept-Language's, else English.

A route raises `refused(...)` or `refusal_of(...)`; the message is kept as a template and its
values until the answer is written, when the caller's language is known. The body keeps
FastAPI's shape, {"detail": "..."}; only the sentence changes language.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.utils import is_body_allowed_for_status_code

from core.errors import ExplainedError, Phrase
from core.i18n import SOURCE_LANGUAGE, preferred_language, supported_language

# Where get_caller leaves the language of the token's participant, for the refusal handler.
CALLER_LANGUAGE = "caller_language"


def request_language(request: Request) -> str:
    """The language to answer this request in."""
    chosen: str | None = getattr(request.state, CALLER_LANGUAGE, None)
    return chosen or preferred_language(request.headers.get("accept-language")) or SOURCE_LANGUAGE


def remember_caller_language(request: Request, language: str | None) -> None:
    """Note the language of the token's participant, when they have chosen one."""
    setattr(request.state, CALLER_LANGUAGE, supported_language(language))


class Refusal(HTTPException):
    """An HTTP error whose detail is a Phrase, said in the caller's language when answered."""

    def __init__(
        self, status_code: int, phrase: Phrase, headers: Mapping[str, str] | None = None
    ) -> None:
        # The English detail stays for anything that shows the exception without the handler.
        super().__init__(status_code, str(phrase), dict(headers) if headers else None)
        self.phrase = phrase


def refused(
    status_code: int, message: str, /, *, headers: Mapping[str, str] | None = None, **values: object
) -> Refusal:
    """A refusal with a message of the API's own (marked with N_) and the values that fill it."""
    return Refusal(status_code, Phrase(message, **values), headers)


def refusal_of(
    status_code: int, problem: ExplainedError, *, headers: Mapping[str, str] | None = None
) -> Refusal:
    """A refusal that says what a core error says."""
    return Refusal(status_code, problem.phrase, headers)


async def _answer(request: Request, problem: Exception) -> Response:
    assert isinstance(problem, Refusal)
    if not is_body_allowed_for_status_code(problem.status_code):
        return Response(status_code=problem.status_code, headers=problem.headers)
    detail = problem.phrase.in_language(request_language(request))
    return JSONResponse({"detail": detail}, problem.status_code, headers=problem.headers)


def install(app: FastAPI) -> None:
    """Answer every Refusal in the caller's language."""
    app.add_exception_handler(Refusal, _answer)
