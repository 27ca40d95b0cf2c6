"""The FastAPI application, built from settings (or a database handed in by tests)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bots.api import refusals
from bots.api.middleware import RequestContext
from bots.api.routes import (
    exports,
    health,
    metrics,
    outbox,
    people,
    practices,
    recommendations,
    report,
    results,
    rounds,
    slack,
    telegram,
    updates,
    webhook,
)
from bots.bootstrap import start
from bots.dashboard import install as install_dashboard
from bots.delivery import default_limiters, dispatcher_for, open_senders
from bots.metrics import Metrics
from bots.web_channel import install as install_web_channel
from bots.worker import run_worker
from core.config import Settings
from core.db import Database


def create_app(
    settings: Settings, database: Database | None = None, *, worker: bool = False
) -> FastAPI:
    """Build the app; it opens the configured database unless one is given.

    With worker, the same process also runs the scheduler and the outbox dispatcher.
    """
    owned = database is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.database = database if database is not None else start(settings)
        # Channels register how to close the platform clients they open lazily.
        app.state.closers = []
        # One set of send-rate buckets per process, shared by every way this process sends.
        app.state.limiters = default_limiters()
        stop = asyncio.Event()
        background: asyncio.Task[None] | None = None
        if worker:
            senders = await open_senders(settings)
            app.state.closers.append(senders.close)
            dispatcher = dispatcher_for(
                app.state.database, senders, app.state.limiters, app.state.metrics
            )
            background = asyncio.create_task(
                run_worker(app.state.database, dispatcher, stop, metrics=app.state.metrics)
            )
        try:
            yield
        finally:
            stop.set()
            if background is not None:
                with contextlib.suppress(Exception):
                    await background
            for close in reversed(app.state.closers):
                await close()
            if owned:
                app.state.database.dispose()

    app = FastAPI(
        title="Consulta",
        summary="Consultations and follow-up of human rights recommendations.",
        version="0.1.0",
        lifespan=lifespan,
    )
    # One registry per app, so tests and several apps in one process never share counters.
    app.state.metrics = Metrics(
        enabled=settings.metrics, database=lambda: getattr(app.state, "database", None)
    )
    app.add_middleware(RequestContext)
    refusals.install(app)
    app.include_router(health.router)
    app.include_router(recommendations.router)
    app.include_router(people.router)
    app.include_router(rounds.router)
    app.include_router(exports.router)
    app.include_router(outbox.router)
    app.include_router(updates.router)
    app.include_router(results.router)
    app.include_router(report.router)
    app.include_router(practices.router)
    app.include_router(practices.feed_router)
    metrics.install(app, app.state.metrics)
    for channel in (telegram, slack, webhook):
        channel.install(app)
    install_dashboard(app)
    install_web_channel(app)
    return app
