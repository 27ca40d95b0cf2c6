"""The web channel's pages: a round's page at /take/{CODE}, and each participant's private page.

`GET /take/{CODE}` shows the round and a Start button; starting creates a private key and
joins the round through the conversation engine, as `join CODE` does in a chat, then sends
the browser to `/take/{CODE}/{KEY}`. That page shows the question the engine waits for, one at
a time, as a plain HTML form; every post goes through `bots.inbound.receive` like any other
channel's message, then the browser is sent back to the page (post, redirect, get).

The key is the participant's only credential: it is never logged (core.logs redacts it), the
database keeps only its digest, and pages send no Referer, so it does not leak to other sites.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import web
from bots.dashboard import sessions
from bots.dashboard.web import database_of, page_environment, see_other, work
from bots.inbound import receive
from bots.metrics import DISABLED, REFUSED, Metrics
from bots.web_channel import signing
from core import formatting
from core.conversation.engine import closed_text, current_prompts, offered_languages
from core.errors import NotFound
from core.i18n import (
    N_,
    SOURCE_LANGUAGE,
    direction,
    gettext_for,
    preferred_language,
    supported_language,
    translate,
)
from core.messages import InboundEvent
from core.models import ConversationStatus, PlatformIdentity, Round, utcnow
from core.rounds import find_round
from core.survey_store import definition_of, latest_version
from core.vocabulary import Platform

PREFIX = "/take"
HERE = Path(__file__).parent
FORM_FIELD = "form_token"
# Round codes are short; anything longer in a link is cut before it is shown back.
CODE_SHOWN = 40
log = logging.getLogger("consulta.web")
router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _environment() -> Environment:
    env = page_environment(HERE / "templates")
    env.filters["language_name"] = formatting.own_language_name
    env.globals["direction"] = direction
    env.globals["prefix"] = PREFIX
    env.globals["form_field"] = FORM_FIELD
    return env


ENVIRONMENT = _environment()
STYLESHEET = (HERE / "static" / "take.css").read_bytes()


class WebRefusal(Exception):
    """Stop with a page saying what went wrong and what to do, in the visitor's language.

    The title and the message are English source text (marked with N_), translated when the
    page is shown; values fill the message's {placeholders}.
    """

    def __init__(
        self,
        status: int,
        title: str,
        message: str,
        language: str,
        *,
        start_again: str | None = None,
        **values: str,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.language = language
        self.start_again = start_again
        self.values = values


def render(template: str, *, language: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in one language, its own words said through gettext."""
    body = ENVIRONMENT.get_template(template).render(
        language=language, _=gettext_for(language), **context
    )
    return HTMLResponse(body, status_code=status)


def refusal_page(refusal: WebRefusal) -> HTMLResponse:
    """The page a refusal shows: what went wrong and, where it helps, a way to start again."""
    message = translate(refusal.language, refusal.message)
    title = translate(refusal.language, refusal.title)
    return render(
        "problem.html",
        language=refusal.language,
        status=refusal.status,
        page_title=f"{title} – Consulta",
        title=title,
        message=message.format(**refusal.values) if refusal.values else message,
        start_again=refusal.start_again,
    )


# --- languages ----------------------------------------------------------------------------------


def _visitor_language(request: Request) -> str:
    """The language to speak before a round or a conversation says which: ?lang, the browser."""
    asked = supported_language(request.query_params.get("lang"))
    header = request.headers.get("accept-language")
    return asked or preferred_language(header) or SOURCE_LANGUAGE


def _offered(session: Session, consultation: Round) -> tuple[str, ...] | None:
    """The languages a participant can answer this round in; None when it has no survey yet."""
    version = latest_version(session, consultation.survey_id or 0)
    if version is None:
        return None
    return offered_languages(consultation, definition_of(version))


def _first_language(request: Request, offered: tuple[str, ...], consultation: Round) -> str:
    """The language of a first visit, as the engine would pick it from the same hint."""
    asked = supported_language(request.query_params.get("lang"))
    if asked in offered:
        return str(asked)
    found = preferred_language(request.headers.get("accept-language"), offered)
    if found is not None:
        return found
    if consultation.default_language in offered:
        return consultation.default_language
    return offered[0]


# --- what a page needs from the database --------------------------------------------------------


def _round(session: Session, code: str, language: str) -> Round:
    try:
        return find_round(session, code)
    except NotFound:
        raise WebRefusal(
            404,
            N_("Page not found"),
            N_(
                "There is no consultation with the code {code}. Please check the link you "
                "were given."
            ),
            language,
            code=code[:CODE_SHOWN],
        ) from None


@dataclass(frozen=True)
class Landing:
    """A round's public page: what it is, and whether it can be started now."""

    code: str
    title: str
    description: str
    # The organisers write a round's title in its default language.
    written_in: str
    language: str
    languages: tuple[str, ...]
    # Why the round cannot be started now, in the engine's words; None when it can.
    blocked: str | None


def _landing(session: Session, request: Request, code: str) -> Landing:
    visitor = _visitor_language(request)
    consultation = _round(session, code, visitor)
    offered = _offered(session, consultation)
    language = _first_language(request, offered, consultation) if offered else visitor
    blocked = closed_text(consultation, language, utcnow())
    if offered is None:
        blocked = translate(language, "This consultation is not ready yet. Please try again later.")
    elif blocked is None and (consultation.audience or {}).get("mode") == "invited":
        # Nobody arrives on the web with an invitation, so the code cannot admit them.
        blocked = translate(
            language,
            "Thank you for your interest. This consultation is open to invited "
            "participants only, so I cannot add you to it.",
        )
    return Landing(
        code=consultation.code,
        title=consultation.title,
        description=consultation.description or "",
        written_in=consultation.default_language,
        language=language,
        languages=offered or (language,),
        blocked=blocked,
    )


@dataclass(frozen=True)
class View:
    """A private page: the round, the participant's language, and the question they are at."""

    code: str
    title: str
    written_in: str
    key: str
    language: str
    languages: tuple[str, ...]
    # consent, active, paused or completed; None while they are not taking part.
    status: ConversationStatus | None
    question: web.Question | None
    closed: str | None

    @property
    def path(self) -> str:
        """The page's own address on this server."""
        return f"{PREFIX}/{self.code}/{self.key}"


def _unknown_link(language: str, code: str) -> WebRefusal:
    return WebRefusal(
        404,
        N_("Page not found"),
        N_(
            "This private link is not known here. Please check that you copied all of it, "
            "or start the consultation again."
        ),
        language,
        start_again=f"{PREFIX}/{code}",
    )


def _view(session: Session, request: Request, code: str, key: str) -> View:
    visitor = _visitor_language(request)
    consultation = _round(session, code, visitor)
    sender = web.sender_id(key) if web.is_key(key) else ""
    identity = session.scalar(
        select(PlatformIdentity).where(
            PlatformIdentity.platform == Platform.WEB, PlatformIdentity.external_id == sender
        )
    )
    if identity is None:
        raise _unknown_link(visitor, consultation.code)
    waiting = current_prompts(session, InboundEvent(Platform.WEB, sender))
    if waiting is not None and waiting.round_code != consultation.code:
        waiting = None
    if waiting is not None:
        language, languages = waiting.language, waiting.languages
    else:
        languages = _offered(session, consultation) or (consultation.default_language,)
        own = identity.participant.language
        language = own if own in languages else languages[0]
    closed = closed_text(consultation, language, utcnow())
    return View(
        code=consultation.code,
        title=consultation.title,
        written_in=consultation.default_language,
        key=key,
        language=language,
        languages=languages,
        status=waiting.status if waiting is not None else None,
        question=web.question_of(waiting.prompts) if waiting and not closed else None,
        closed=closed,
    )


# --- signatures ---------------------------------------------------------------------------------


def _keys(request: Request, language: str) -> sessions.Keys:
    secret = request.app.state.settings.secret("secret_key")
    if secret is None:
        log.warning(
            "the web channel refused a visitor: CONSULTA_SECRET_KEY is not set, and its forms "
            "are signed with it (`consulta config init` writes one)"
        )
        raise WebRefusal(
            503,
            N_("This page is not available right now"),
            N_(
                "The consultation pages are not set up on this server yet. Please tell the "
                "organisers, or try again later."
            ),
            language,
        )
    return signing.derive(secret)


def _metrics(request: Request) -> Metrics:
    return getattr(request.app.state, "metrics", DISABLED)


def _form_refused(language: str) -> WebRefusal:
    return WebRefusal(
        403,
        N_("This form could not be accepted"),
        N_(
            "The form did not come from this page, or the page was changed, so nothing was "
            "saved. Please open your link again and answer once more."
        ),
        language,
    )


# --- pages --------------------------------------------------------------------------------------


@router.get("/static/take.css")
def stylesheet() -> Response:
    """The web channel's one stylesheet."""
    return Response(
        STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/{code}")
def round_page(request: Request, code: str) -> Response:
    """A round's page: its title, its languages, and a button to start answering."""
    with work(request) as session:
        landing = _landing(session, request, code)
    keys = _keys(request, landing.language)
    return render(
        "start.html",
        language=landing.language,
        page_title=f"{landing.title} – Consulta",
        landing=landing,
        token=signing.form_token(keys, landing.code),
    )


@router.post("/{code}")
def start(
    request: Request,
    code: str,
    form_token: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
) -> Response:
    """Start answering: a new private key joins the round, and the browser goes to its page."""
    with work(request) as session:
        landing = _landing(session, request, code)
    chosen = language if language in landing.languages else landing.language
    keys = _keys(request, chosen)
    if not signing.form_token_matches(keys, landing.code, None, form_token):
        _metrics(request).inbound("web", REFUSED)
        raise _form_refused(chosen)
    if landing.blocked is not None:
        return see_other(f"{PREFIX}/{landing.code}?lang={chosen}")
    key = web.new_key()
    event = web.to_event(
        web.Submission(action="join"),
        sender=web.sender_id(key),
        round_code=landing.code,
        question=None,
        language=chosen,
        language_hint=chosen,
    )
    assert isinstance(event, InboundEvent)
    replies = receive(database_of(request), request.app.state.settings, event, _metrics(request))
    exchange = web.exchange_of(replies)
    return _after_post(request, keys, landing.code, key, signing.Flash(notices=exchange.notices))


@router.get("/{code}/{key}")
def private_page(request: Request, code: str, key: str) -> Response:
    """The question a participant is at, with anything said since their last answer."""
    return _question_page(request, code, key, flash=None)


@router.post("/{code}/{key}")
def take_form(
    request: Request,
    code: str,
    key: str,
    form_token: Annotated[str, Form()] = "",
    prompt: Annotated[str, Form()] = "",
    nonce: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "answer",
    answer: Annotated[str, Form()] = "",
    choice: Annotated[str, Form()] = "",
    choices: Annotated[list[str] | None, Form()] = None,
    language: Annotated[str, Form()] = "",
) -> Response:
    """Take one form: an answer, a skip, a language, carrying on, or joining again."""
    with work(request) as session:
        view = _view(session, request, code, key)
    keys = _keys(request, view.language)
    if not signing.form_token_matches(keys, view.code, key, form_token):
        _metrics(request).inbound("web", REFUSED)
        raise _form_refused(view.language)
    current = view.question
    if action in ("answer", "skip", "back") and prompt != (current.fingerprint if current else ""):
        # Another tab or device moved on: this form's answer would land on another question.
        stale = translate(
            view.language,
            "This page was out of date, so nothing was changed. Here is the question to "
            "answer now.",
        )
        return _after_post(request, keys, view.code, key, signing.Flash(notices=(stale,)))
    ticked = tuple(choices or ())
    made = web.to_event(
        web.Submission(action, answer, choice, ticked, language, nonce),
        sender=web.sender_id(key),
        round_code=view.code,
        question=current,
        language=view.language,
    )
    kept = {"answer": answer, "choice": choice, "choices": ticked}
    if isinstance(made, web.Problem):
        flash = signing.Flash(problems=(made.text,), fingerprint=prompt, **kept)
        return _after_post(request, keys, view.code, key, flash)
    replies = receive(database_of(request), request.app.state.settings, made, _metrics(request))
    exchange = web.exchange_of(replies)
    # Asked the same question again: the engine did not take the answer, and said why.
    refused = (
        action in ("answer", "skip")
        and current is not None
        and exchange.question is not None
        and exchange.question.fingerprint == current.fingerprint
    )
    if refused:
        assert current is not None
        flash = signing.Flash(problems=exchange.notices, fingerprint=current.fingerprint, **kept)
    else:
        flash = signing.Flash(notices=exchange.notices)
    return _after_post(request, keys, view.code, key, flash)


def _after_post(
    request: Request, keys: sessions.Keys, code: str, key: str, flash: signing.Flash
) -> Response:
    """Back to the private page, with what the post left for it in a cookie for that page."""
    path = f"{PREFIX}/{code}/{key}"
    if flash == signing.Flash():
        return see_other(path)
    sealed = signing.seal(keys, code, key, flash)
    if sealed is None:
        # Too long for a cookie (a long answer kept after a refusal): shown at once instead.
        return _question_page(request, code, key, flash=flash)
    response = see_other(path)
    response.set_cookie(
        signing.FLASH_COOKIE,
        sealed,
        max_age=signing.FLASH_SECONDS,
        path=path,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


def _question_page(
    request: Request, code: str, key: str, *, flash: signing.Flash | None
) -> Response:
    with work(request) as session:
        view = _view(session, request, code, key)
    keys = _keys(request, view.language)
    from_cookie = flash is None
    if flash is None:
        flash = signing.unseal(keys, view.code, key, request.cookies.get(signing.FLASH_COOKIE))
    flash = flash or signing.Flash()
    question = view.question
    at_question = question is not None and flash.fingerprint == question.fingerprint
    problems = flash.problems if at_question else ()
    shown = {*question.context, question.legend} if question else set()
    # Problems about a question no longer asked are news like any other; what the question
    # itself says (a recommendation said before it) is shown with it, not twice.
    notices = [
        n
        for n in (*flash.notices, *flash.problems)
        if n not in problems
        and not {line.strip() for line in n.split("\n") if line.strip()} <= shown
    ]
    settings = request.app.state.settings
    # The title is the first thing a screen reader says of a new page: the question, and
    # whether the last answer had a problem.
    page_title = f"{question.legend} – {view.title}" if question else view.title
    if problems:
        page_title = translate(view.language, "Error: {page}").format(page=page_title)
    response = render(
        "take.html",
        language=view.language,
        page_title=f"{page_title} – Consulta",
        view=view,
        question=question,
        notices=notices,
        problems=problems,
        kept=flash if at_question else signing.Flash(),
        token=signing.form_token(keys, view.code, key),
        nonce=secrets.token_urlsafe(16),
        fingerprint=question.fingerprint if question else "",
        private_link=settings.public_url.strip().rstrip("/") + view.path,
        statuses=ConversationStatus,
    )
    if from_cookie and signing.FLASH_COOKIE in request.cookies:
        response.delete_cookie(
            signing.FLASH_COOKIE,
            path=view.path,
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
    return response
