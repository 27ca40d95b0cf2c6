"""What every dashboard page shares: templates, the signed-in organiser, CSRF, refusals.

Pages are rendered on the server from `templates/`, styled by one stylesheet the app serves
itself, and load nothing from anywhere else: no scripts, no fonts, no images from another
origin, which the Content-Security-Policy on every dashboard response also enforces.

Pages speak one of Consulta's languages: the one chosen with the language links (kept in the
`consulta_lang` cookie), else the organiser's own language, else the first the browser's
Accept-Language names that Consulta speaks, else English. Dates, numbers and lists are
written as that language writes them; Arabic pages read right to left.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, NoReturn
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bots.api.routes.updates import HTTP_STATUS
from bots.dashboard import sessions
from bots.dashboard.charts import count_text
from core import formatting, tokens
from core.db import Database
from core.errors import ConsultaError, PermissionDenied
from core.feedback import status_label
from core.i18n import (
    N_,
    SOURCE_LANGUAGE,
    SUPPORTED_LANGUAGES,
    direction,
    gettext_for,
    ngettext_for,
    preferred_language,
    supported_language,
    translate,
)
from core.invitations import effective_role
from core.models import ApiToken, Participant, utcnow
from core.results import Cell
from core.vocabulary import Role

PREFIX = "/dashboard"
HERE = Path(__file__).parent
SESSION_COOKIE = "consulta_dashboard"
SIGN_IN_COOKIE = "consulta_dashboard_sign_in"
CSRF_FIELD = "csrf_token"
# The language chosen with the language links, for a year, in this browser.
LANGUAGE_COOKIE = "consulta_lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class Alternatives(tuple[str, ...]):
    """Values offered as a choice, said as "a, b or c" in a message."""


def _filled(value: object, language: str) -> object:
    if isinstance(value, Alternatives):
        return formatting.either(value, language)
    if isinstance(value, list | tuple):
        return formatting.names([str(item) for item in value], language)
    return value


def say(language: str, message: str, **values: object) -> str:
    """A message in the language, its {placeholders} filled; lists read as the language lists.

    A translation whose placeholders do not match the English ones falls back to English
    rather than hiding what the page has to say.
    """
    filled = {name: _filled(value, language) for name, value in values.items()}
    if not filled:
        return translate(language, message)
    try:
        return translate(language, message).format(**filled)
    except (KeyError, IndexError, ValueError, AttributeError):
        return message.format(**filled)


class Refusal(Exception):
    """Stop the request with a page saying what went wrong and what to do.

    The title and the message are English source text (marked with N_), said in the page's
    language when the page is shown; values fill the message's {placeholders}. A Consulta
    error may stand for the message: it says itself in the page's language.
    """

    def __init__(
        self, status: int, title: str, message: str | ConsultaError, **values: object
    ) -> None:
        super().__init__(str(message))
        self.status = status
        self.title = title
        self.message = message
        self.values = values

    def message_in(self, language: str) -> str:
        """What went wrong and what to do, in the language."""
        if isinstance(self.message, ConsultaError):
            return self.message.in_language(language)
        return say(language, self.message, **self.values)


class SignInNeeded(Exception):
    """No valid session: send the browser to the sign-in page, then back here."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


@dataclass(frozen=True)
class Visit:
    """The signed-in organiser, as the pages and forms need them."""

    participant_id: int
    pseudonym: str
    token_id: int
    csrf: str
    # The organiser's own language and time zone, where they have one.
    language: str | None = None
    timezone: str | None = None

    def organiser(self, session: Session) -> Participant:
        """The organiser's row in this unit of work."""
        found = session.get(Participant, self.participant_id)
        assert found is not None
        return found


# --- the page's language --------------------------------------------------------------------


def page_language(request: Request, visit: Visit | None = None) -> str:
    """The language the dashboard speaks to this request.

    The language chosen with the language links comes first, then the organiser's own, then
    the browser's Accept-Language where it names a language Consulta speaks, then English.
    """
    visit = visit or getattr(request.state, "dashboard_visit", None)
    for choice in (request.cookies.get(LANGUAGE_COOKIE), visit.language if visit else None):
        found = supported_language(choice)
        if found is not None:
            return found
    return preferred_language(request.headers.get("accept-language")) or SOURCE_LANGUAGE


# --- what the templates write ----------------------------------------------------------------

# Labels of the values pages show, by kind; English source text, said in the page's language.
LABELS: dict[str, dict[str, str]] = {
    "mechanism": {
        "upr": N_("UPR"),
        "treaty_body": N_("Treaty body"),
        "special_procedure": N_("Special procedure"),
    },
    "position": {
        "supported": N_("Supported"),
        "noted": N_("Noted"),
        "supported_in_part": N_("Supported in part"),
    },
    "round_status": {
        "draft": N_("draft"),
        "scheduled": N_("scheduled"),
        "open": N_("open"),
        "closed": N_("closed"),
    },
    "update_state": {
        "draft": N_("draft"),
        "published": N_("published"),
        "rejected": N_("rejected"),
    },
    "practice_state": {
        "draft": N_("draft"),
        "published": N_("published"),
        "rejected": N_("rejected"),
    },
    "outbox_state": {
        "pending": N_("Waiting"),
        "sending": N_("Being sent"),
        "sent": N_("Sent"),
        "dead": N_("Given up on"),
    },
}


def _language(context: Context) -> str:
    return str(context.get("page_language") or SOURCE_LANGUAGE)


@pass_context
def _label(context: Context, value: str | None, kind: str) -> str:
    """A stored value (a mechanism, a position, a state) as the page's language names it."""
    if not value:
        return ""
    known = LABELS[kind].get(value)
    return translate(_language(context), known) if known else value.replace("_", " ")


@pass_context
def _status_label(context: Context, slug: str | None) -> str:
    if not slug:
        return ""
    found = status_label(slug, _language(context))
    return slug.replace("_", " ") if found == slug else found


@pass_context
def _when(context: Context, value: datetime | date | str | None, *zones: str | None) -> str:
    """A moment in the first valid zone given (else the organiser's), or a day, in words."""
    if not value:
        return ""
    moment: datetime | date
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    language = _language(context)
    if isinstance(moment, datetime):
        return formatting.moment(moment, language, *zones, context.get("page_zone"))
    return formatting.day(moment, language)


@pass_context
def _language_called(context: Context, code: str | None) -> str:
    """A language's name as the page's language calls it ("anglais"); an unknown code as is."""
    return formatting.language_name(code, _language(context)) if code else ""


@pass_context
def _number(context: Context, value: float | None) -> str:
    """A number as the page's language writes it; a dash where there is none."""
    if value is None:
        return "—"
    return formatting.number(value, _language(context))


@pass_context
def _count(context: Context, cell: Cell, k: int) -> str:
    """A count as it may be published: `<k` where it is hidden."""
    return count_text(cell, k, _language(context))


@pass_context
def _shown(context: Context, count: int | None, k: int) -> str:
    """A count that is None where hidden, as it may be published: `<k` then."""
    return count_text(Cell(count or 0, count is None), k, _language(context))


@pass_context
def _listing(context: Context, items: Iterable[Any]) -> Markup:
    """Items joined as the page's language lists them: "a, b and c", "a، b وc"."""
    # Each item is escaped first; the language's connecting words hold no markup.
    escaped = [str(escape(item)) for item in items if item]
    return Markup(formatting.names(escaped, _language(context)))


def wrap(text: object, tag: str, css_class: str = "") -> Markup:
    """Text in one element, for the words of a message: code, strong or a span with a class."""
    attribute = Markup(' class="{}"').format(css_class) if css_class else Markup("")
    return Markup("<{tag}{attribute}>{text}</{tag}>").format(
        tag=Markup(tag), attribute=attribute, text=text
    )


def in_language(text: object, language: str) -> Markup:
    """Content in its own language inside the page's words: a span with its lang and dir."""
    return Markup('<span lang="{}" dir="{}">{}</span>').format(language, direction(language), text)


def page_environment(folder: Path) -> Environment:
    """Jinja2 for server-rendered pages: escaped by default, strict about missing values."""
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _environment() -> Environment:
    env = page_environment(HERE / "templates")
    env.filters["status_label"] = _status_label
    env.filters["label"] = _label
    env.filters["when"] = _when
    env.filters["number"] = _number
    env.filters["count"] = _count
    env.filters["shown"] = _shown
    env.filters["listing"] = _listing
    env.filters["language_name"] = formatting.own_language_name
    env.filters["language_called"] = _language_called
    env.filters["wrap"] = wrap
    env.filters["urlpart"] = lambda value: quote(str(value), safe="")
    env.globals["direction"] = direction
    env.globals["wrap"] = wrap
    env.globals["in_language"] = in_language
    env.globals["prefix"] = PREFIX
    env.globals["csrf_field"] = CSRF_FIELD
    env.globals["languages"] = SUPPORTED_LANGUAGES
    return env


ENVIRONMENT = _environment()
STYLESHEET = (HERE / "static" / "dashboard.css").read_bytes()


def words_for(language: str) -> dict[str, Any]:
    """The `_` and `ngettext` templates say things with, in the language.

    Translations are escaped, so `.format()` on what they return escapes the values it is
    given and keeps the markup of `wrap()` and `in_language()`.
    """
    gettext = gettext_for(language)
    ngettext = ngettext_for(language)

    def _(message: str) -> Markup:
        return escape(gettext(message))

    def plural(singular: str, plural: str, count: int) -> Markup:
        return escape(ngettext(singular, plural, count))

    return {"_": _, "ngettext": plural}


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def render(
    request: Request,
    template: str,
    *,
    visit: Visit | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page from its template, in the page's language, with who is signed in."""
    language = page_language(request, visit)
    body = ENVIRONMENT.get_template(template).render(
        visit=visit,
        page_language=language,
        page_dir=direction(language),
        page_zone=visit.timezone if visit else None,
        here=_here(request),
        **words_for(language),
        **context,
    )
    return HTMLResponse(body, status_code=status)


def database_of(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@contextmanager
def work(request: Request) -> Iterator[Session]:
    """One unit of work, committed before the response goes out."""
    with database_of(request).unit_of_work() as session:
        yield session


def problem_status(problem: ConsultaError) -> int:
    """The HTTP status a form's refusal by the core is answered with, as the API answers it."""
    return next((code for kind, code in HTTP_STATUS.items() if isinstance(problem, kind)), 400)


def keys_of(request: Request) -> sessions.Keys:
    """The cookie and CSRF keys, or a refusal saying how to set the secret key."""
    secret = request.app.state.settings.secret("secret_key")
    if secret is None:
        raise Refusal(
            503,
            N_("The dashboard needs a secret key"),
            N_(
                "Set CONSULTA_SECRET_KEY (`consulta config init` writes one into .env) and "
                "restart the server: sessions are signed with it."
            ),
        )
    return sessions.Keys.derive(secret)


def token_refusal(
    token: ApiToken | None, now: datetime, language: str = SOURCE_LANGUAGE
) -> tuple[int, str] | None:
    """Why this token may not open or keep a dashboard session (HTTP status and reason)."""
    try:
        owner = tokens.check(token, now=now)
    except PermissionDenied as refusal:
        reason = refusal.in_language(language)
        if token is None:
            return 401, say(
                language,
                N_("That token was refused: {reason}. Create one with `consulta tokens create`."),
                reason=reason,
            )
        return 401, say(
            language, N_("That token was refused: {reason}. Ask for a new one."), reason=reason
        )
    if effective_role(owner) is Role.ORGANISER:
        return None
    if owner.role is Role.ORGANISER:
        return 403, say(language, N_("That token's organiser role is not verified yet."))
    return 403, say(
        language,
        N_("The dashboard is for organisers; that token acts with the role {role}."),
        role=repr(owner.role.value),
    )


def signed_in(request: Request) -> Visit:
    """The organiser whose session cookie came with the request, checked again now."""
    keys = keys_of(request)
    now = utcnow()
    claim = sessions.read(keys, request.cookies.get(SESSION_COOKIE), now)
    # After sign-in the browser comes back with a GET: to the page, or for a form to the rounds.
    back_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        back_to = f"{PREFIX}/rounds"
    if claim is None:
        raise SignInNeeded(back_to)
    with work(request) as session:
        token = session.get(ApiToken, claim.token_id)
        if token_refusal(token, now) is not None:
            raise SignInNeeded(back_to)
        assert token is not None
        visit = Visit(
            participant_id=token.participant.id,
            pseudonym=token.participant.pseudonym,
            token_id=token.id,
            csrf=sessions.csrf_token(keys, claim.value),
            language=token.participant.language,
            timezone=token.participant.timezone,
        )
    # A refusal later in the request is said in the organiser's language too.
    request.state.dashboard_visit = visit
    return visit


def check_csrf(request: Request, presented: str | None) -> None:
    """Refuse a form whose CSRF token does not belong to this session."""
    if not sessions.csrf_matches(keys_of(request), request.cookies.get(SESSION_COOKIE), presented):
        raise_csrf()


def raise_csrf() -> NoReturn:
    """Refuse a form that came without this session's CSRF token."""
    raise Refusal(
        403,
        N_("This form cannot be accepted"),
        N_(
            "The form did not carry a valid security token (CSRF token): it may be old, or it "
            "may have come from another site. Nothing was changed. Open the page again and "
            "resubmit the form."
        ),
    )


def set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    max_age: int,
    *,
    same_site: Literal["strict", "lax"] = "strict",
) -> None:
    """A cookie scripts cannot read, sent only to the dashboard, only over HTTPS when it is."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite=same_site,
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path=PREFIX, secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a dashboard path, never another site."""
    default = f"{PREFIX}/rounds"
    if not target or not target.startswith(PREFIX + "/") or "//" in target or "\\" in target:
        return default
    return target


def see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


class SecurityHeaders:
    """Adds a Content-Security-Policy and related headers to the responses under a prefix.

    The dashboard's by default; the web channel passes its own prefix and headers.
    """

    def __init__(
        self, app: ASGIApp, prefix: str = PREFIX, headers: dict[str, str] | None = None
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.headers = HEADERS if headers is None else headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.lower().encode(), value.encode())
                    for name, value in self.headers.items()
                    if name.lower().encode() not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
