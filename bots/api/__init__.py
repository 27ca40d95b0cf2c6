"""The HTTP server: health checks and the organiser REST API."""
