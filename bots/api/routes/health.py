"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from bots.api.deps import get_database
from core import migrate
from core.db import Database

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Database unreachable or not migrated"}})
def readyz(database: Annotated[Database, Depends(get_database)]) -> JSONResponse:
    """The database answers and is migrated to the newest schema."""
    try:
        current = migrate.current_revision(database.engine)
    except SQLAlchemyError as failure:
        reason = f"database unreachable: {type(failure).__name__}"
        return JSONResponse({"status": "not ready", "reason": reason}, status_code=503)
    head = migrate.head_revision()
    if current != head:
        reason = (
            f"database at revision {current or 'none'}, needs {head}: run `consulta db upgrade`"
        )
        return JSONResponse({"status": "not ready", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ready", "revision": current})
