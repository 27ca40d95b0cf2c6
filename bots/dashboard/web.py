"""What every dashboard page shares: templates, the signed-in organiser, CSRF, refusals.

Pages are rendered on the server from `templates/`, styled by one stylesheet the app serves
itself, and load nothing from anywhere else: no scripts, no fonts, no images from another
origin, which the Content-Security-Policy on every dashboard response also enforces.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bots.dashboard import sessions
from core import tokens
from core.db import Database
from core.errors import PermissionDenied
from core.invitations import effective_role
from core.models import ApiToken, Participant, utcnow
from core.vocabulary import Role
from surveys.definition import STATUS_LABELS, ImplementationStatus

PREFIX = "/dashboard"
HERE = Path(__file__).parent
SESSION_COOKIE = "consulta_dashboard"
SIGN_IN_COOKIE = "consulta_dashboard_sign_in"
CSRF_FIELD = "csrf_token"
# Languages written right to left, among those recommendations and surveys come in.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
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


class Refusal(Exception):
    """Stop the request with a page saying what went wrong and what to do."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


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

    def organiser(self, session: Session) -> Participant:
        """The organiser's row in this unit of work."""
        found = session.get(Participant, self.participant_id)
        assert found is not None
        return found


def _status_label(slug: str | None) -> str:
    if not slug:
        return ""
    try:
        return STATUS_LABELS[ImplementationStatus(slug)]["en"]
    except (ValueError, KeyError):
        return slug.replace("_", " ")


MECHANISM_LABELS = {
    "upr": "UPR",
    "treaty_body": "Treaty body",
    "special_procedure": "Special procedure",
}


def _mechanism_label(slug: str) -> str:
    return MECHANISM_LABELS.get(slug, slug.replace("_", " "))


def _when(value: datetime | str | None) -> str:
    """A moment as organisers read it: 2027-03-01 09:00 UTC (a date alone stays as it is)."""
    if not value:
        return ""
    if isinstance(value, str):
        if "T" not in value:
            return value
        value = datetime.fromisoformat(value)
    return f"{value:%Y-%m-%d %H:%M}" + (" UTC" if value.tzinfo else "")


def direction(language: str | None) -> str:
    """ltr or rtl, for a language code."""
    return "rtl" if (language or "").split("-")[0] in RTL_LANGUAGES else "ltr"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["status_label"] = _status_label
    env.filters["when"] = _when
    env.filters["mechanism_label"] = _mechanism_label
    env.filters["urlpart"] = lambda value: quote(str(value), safe="")
    env.globals["direction"] = direction
    env.globals["prefix"] = PREFIX
    env.globals["csrf_field"] = CSRF_FIELD
    return env


ENVIRONMENT = _environment()
STYLESHEET = (HERE / "static" / "dashboard.css").read_bytes()


def render(
    template: str, *, visit: Visit | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page from its template, with who is signed in and their CSRF token."""
    body = ENVIRONMENT.get_template(template).render(visit=visit, **context)
    return HTMLResponse(body, status_code=status)


def database_of(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@contextmanager
def work(request: Request) -> Iterator[Session]:
    """One unit of work, committed before the response goes out."""
    with database_of(request).unit_of_work() as session:
        yield session


def keys_of(request: Request) -> sessions.Keys:
    """The cookie and CSRF keys, or a refusal saying how to set the secret key."""
    secret = request.app.state.settings.secret("secret_key")
    if secret is None:
        raise Refusal(
            503,
            "The dashboard needs a secret key",
            "Set CONSULTA_SECRET_KEY (`consulta config init` writes one into .env) and "
            "restart the server: sessions are signed with it.",
        )
    return sessions.Keys.derive(secret)


def token_refusal(token: ApiToken | None, now: datetime) -> tuple[int, str] | None:
    """Why this token may not open or keep a dashboard session (HTTP status and reason)."""
    try:
        owner = tokens.check(token, now=now)
    except PermissionDenied as refusal:
        advice = (
            "Create one with `consulta tokens create`." if token is None else "Ask for a new one."
        )
        return 401, f"That token was refused: {refusal}. {advice}"
    if effective_role(owner) is Role.ORGANISER:
        return None
    if owner.role is Role.ORGANISER:
        return 403, "That token's organiser role is not verified yet."
    return 403, (
        f"The dashboard is for organisers; that token acts with the role {owner.role.value!r}."
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
        return Visit(
            participant_id=token.participant.id,
            pseudonym=token.participant.pseudonym,
            token_id=token.id,
            csrf=sessions.csrf_token(keys, claim.value),
        )


def check_csrf(request: Request, presented: str | None) -> None:
    """Refuse a form whose CSRF token does not belong to this session."""
    if not sessions.csrf_matches(keys_of(request), request.cookies.get(SESSION_COOKIE), presented):
        raise_csrf()


def raise_csrf() -> NoReturn:
    """Refuse a form that came without this session's CSRF token."""
    raise Refusal(
        403,
        "This form cannot be accepted",
        "The form did not carry a valid security token (CSRF token): it may be old, or it "
        "may have come from another site. Nothing was changed. Open the page again and "
        "resubmit the form.",
    )


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    """A cookie scripts cannot read, sent only to the dashboard, only over HTTPS when it is."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
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
    """Adds the dashboard's Content-Security-Policy and related headers to its responses."""

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
