"""Request dependencies: the database session and the caller behind a bearer token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from bots.api.refusals import refusal_of, refused, remember_caller_language
from core import tokens
from core.config import Settings
from core.db import Database
from core.errors import PermissionDenied
from core.i18n import N_
from core.models import Participant
from core.permissions import Permission, require_of

bearer = HTTPBearer(auto_error=False, description="A token from `consulta tokens create`.")


def get_database(request: Request) -> Database:
    """The database the app was started with."""
    database: Database = request.app.state.database
    return database


def get_settings(request: Request) -> Settings:
    """The settings the app was started with."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    """One unit of work per request."""
    with database.unit_of_work() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_caller(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Participant:
    """The participant whose token came with the request; refusals then speak their language."""
    if credentials is None:
        raise refused(
            status.HTTP_401_UNAUTHORIZED,
            N_("missing bearer token; create one with `consulta tokens create`"),
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        caller = tokens.authenticate(session, credentials.credentials)
    except PermissionDenied as unknown:
        raise refusal_of(
            status.HTTP_401_UNAUTHORIZED, unknown, headers={"WWW-Authenticate": "Bearer"}
        ) from None
    remember_caller_language(request, caller.language)
    return caller


def allowed(permission: Permission) -> Callable[[Participant], Participant]:
    """A dependency that lets the request through only if the caller's verified role may."""

    def check(caller: Annotated[Participant, Depends(get_caller)]) -> Participant:
        # The verified role decides: a claimed government or NHRI role is not enough.
        try:
            require_of(caller, permission)
        except PermissionDenied as refusal:
            raise refusal_of(status.HTTP_403_FORBIDDEN, refusal) from None
        return caller

    return check


def check_page_size(limit: int, settings: Settings) -> None:
    """Refuse a page larger than the deployment allows, naming the largest."""
    if limit > settings.api_page_size_max:
        raise refused(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            N_("limit may be at most {most}"),
            most=settings.api_page_size_max,
        )
