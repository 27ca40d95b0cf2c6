"""The FastAPI application, built from settings (or a database handed in by tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bots.api.middleware import RequestContext
from bots.api.routes import health, people, recommendations
from bots.bootstrap import start
from core.config import Settings
from core.db import Database


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """Build the app; it opens the configured database unless one is given."""
    owned = database is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.database = database if database is not None else start(settings)
        try:
            yield
        finally:
            if owned:
                app.state.database.dispose()

    app = FastAPI(
        title="Consulta",
        summary="Consultations and follow-up of human rights recommendations.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_middleware(RequestContext)
    app.include_router(health.router)
    app.include_router(recommendations.router)
    app.include_router(people.router)
    return app
