"""`consulta serve`: the web server."""

from __future__ import annotations

from typing import Annotated

import typer

from bots.bootstrap import load_settings
from bots.cli.common import err


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the web server: health checks, the REST API and its documentation."""
    import uvicorn

    from bots.api.app import create_app

    settings = load_settings()
    host, port = host or settings.host, port or settings.port
    application = create_app(settings)
    err.print(f"Consulta is serving on http://{host}:{port} (API docs at /docs).")
    uvicorn.run(application, host=host, port=port, log_config=None, access_log=False)
