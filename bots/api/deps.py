"""Request dependencies: the database session and the caller behind a bearer token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from core import tokens
from core.config import Settings
from core.db import Database
from core.errors import PermissionDenied
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
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Participant:
    """The participant whose token came with the request."""
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token; create one with `consulta tokens create`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return tokens.authenticate(session, credentials.credentials)
    except PermissionDenied as refused:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(refused), headers={"WWW-Authenticate": "Bearer"}
        ) from None


def allowed(permission: Permission) -> Callable[[Participant], Participant]:
    """A dependency that lets the request through only if the caller's verified role may."""

    def check(caller: Annotated[Participant, Depends(get_caller)]) -> Participant:
        # The verified role decides: a claimed government or NHRI role is not enough.
        try:
            require_of(caller, permission)
        except PermissionDenied as refusal:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(refusal)) from None
        return caller

    return check
