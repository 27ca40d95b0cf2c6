"""GET /metrics: aggregate numbers in the Prometheus text format, for the internal network."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from bots.metrics import Metrics


def install(app: FastAPI, metrics: Metrics) -> None:
    """Add /metrics to the app; with metrics off the route does not exist (404)."""
    if not metrics.enabled:
        return

    @app.get("/metrics", tags=["metrics"], response_class=Response)
    def scrape(request: Request) -> Response:
        """Counters, histograms and the outbox gauges; no personal data, token or chat id."""
        body = request.app.state.metrics.exposition()
        return Response(body, media_type=CONTENT_TYPE_LATEST)
