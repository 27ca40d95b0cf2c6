"""`consulta serve` and `consulta worker`: the web server, the scheduler and the dispatcher."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from bots.bootstrap import load_settings, start, verify_key
from bots.cli.common import err, organiser_language
from core.i18n import gettext_for


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    worker: Annotated[
        bool, typer.Option(help="Also run the scheduler and the dispatcher in this process.")
    ] = True,
) -> None:
    """Run the web server (health checks, REST API, channels) and, by default, the worker."""
    import uvicorn

    from bots.api.app import create_app

    settings = load_settings()
    verify_key(settings)
    host, port = host or settings.host, port or settings.port
    application = create_app(settings, worker=worker)
    _ = gettext_for(organiser_language())
    serving = (
        _(
            "Consulta is serving on {address} (API docs at /docs), with the scheduler "
            "and dispatcher."
        )
        if worker
        else _("Consulta is serving on {address} (API docs at /docs); run `consulta worker` too.")
    )
    err.print(serving.format(address=f"http://{host}:{port}"))
    uvicorn.run(application, host=host, port=port, log_config=None, access_log=False)


def worker() -> None:
    """Run the scheduler and the dispatcher without the web server."""
    from bots.delivery import default_limiters, dispatcher_for, open_senders
    from bots.worker import run_worker

    settings = load_settings()
    database = start(settings)
    _ = gettext_for(organiser_language())

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        senders = await open_senders(settings)
        try:
            dispatcher = dispatcher_for(database, senders, default_limiters())
            platforms = ", ".join(sorted(p.value for p in senders.senders)) or _("no platform")
            err.print(
                _("Consulta worker running: schedule, and sending to {platforms}.").format(
                    platforms=platforms
                )
            )
            await run_worker(database, dispatcher, stop)
        finally:
            await senders.close()
            database.dispose()

    asyncio.run(main())
