"""The two ASGI apps the answer-path benchmark serves, each alone in a uvicorn process.

`consulta_app` is Consulta itself, configured from the environment like `consulta serve`.
`bare_app` is the reference: a FastAPI endpoint at the same path that only reads the body and
answers 200, served by the same server with the same options.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def consulta_app() -> FastAPI:
    """Consulta as `consulta serve` builds it, without the worker."""
    from bots.api.app import create_app
    from bots.bootstrap import load_settings

    return create_app(load_settings())


def bare_app() -> FastAPI:
    """A bare FastAPI endpoint that reads the update and answers 200."""
    app = FastAPI()

    @app.post("/telegram/webhook")
    async def webhook(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"ok": True})

    return app
