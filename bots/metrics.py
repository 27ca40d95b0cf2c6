"""Prometheus metrics: aggregate numbers only, in a registry of each app's own.

Labels are channels, platforms and outcomes, never a sender, a chat or a round, so nothing
here identifies a person. With metrics off every method returns at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core import outbox
from core.db import Database
from core.models import utcnow
from core.vocabulary import Platform

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REFUSED = "refused"
# The paths of each channel, for refusals made before a route runs (bodies over 1 MiB).
CHANNEL_PATHS = {
    "/telegram/": "telegram",
    "/slack/": "slack",
    "/webhook/": "webhook",
    "/take/": "web",
}
# Sends take milliseconds to a few seconds; the Bot API's timeouts are around 5 to 20 s.
SEND_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def channel_for_path(path: str) -> str | None:
    """The channel a request path belongs to, or None for the API and the dashboard."""
    return next((name for prefix, name in CHANNEL_PATHS.items() if path.startswith(prefix)), None)


class OutboxCollector(Collector):
    """Outbox depth and oldest age per platform, read from the database at each scrape."""

    def __init__(self, database: Callable[[], Database | None], clock: Callable[[], datetime]):
        self._database = database
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        """One grouped query over the pending rows; nothing when no database is open yet."""
        depth = GaugeMetricFamily(
            "consulta_outbox_depth",
            "Messages waiting in the outbox to be sent (pending rows), by platform.",
            labels=["platform"],
        )
        age = GaugeMetricFamily(
            "consulta_outbox_oldest_age_seconds",
            "Seconds the oldest pending outbox message has waited since it was queued.",
            labels=["platform"],
        )
        database = self._database()
        if database is not None:
            with database.unit_of_work() as session:
                waiting = outbox.waiting_by_platform(session, self._clock())
            for row in waiting:
                depth.add_metric([row.platform.value], row.depth)
                age.add_metric([row.platform.value], row.oldest_age_seconds)
        yield depth
        yield age

    def describe(self) -> Iterator[Metric]:
        """Nothing: registering must not run the query."""
        return iter(())


class Metrics:
    """Consulta's counters, histograms and gauges; every method is a no-op when disabled."""

    def __init__(
        self,
        enabled: bool = True,
        database: Callable[[], Database | None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.enabled = enabled
        self.clock = clock
        self.registry = CollectorRegistry(auto_describe=False)
        if not enabled:
            return
        self.inbound_total = Counter(
            "consulta_inbound_deliveries",
            "Inbound deliveries by channel and outcome: accepted (processed), duplicate (a "
            "delivery id seen before) or refused (rejected before the engine).",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.answers_total = Counter(
            "consulta_answers_stored",
            "Answers (new versions included) stored by inbound messages.",
            registry=self.registry,
        )
        self.send_seconds = Histogram(
            "consulta_send_duration_seconds",
            "Seconds one send to a platform took, whatever its outcome.",
            ["platform"],
            buckets=SEND_BUCKETS,
            registry=self.registry,
        )
        self.rate_limited_total = Counter(
            "consulta_send_rate_limited",
            "Sends a platform answered with 429 (rate limited); retried without spending an "
            "attempt.",
            ["platform"],
            registry=self.registry,
        )
        self.dead_letters_total = Counter(
            "consulta_dead_letters",
            "Messages moved to the dead letters (given up on, refused or the person blocked "
            "the bot).",
            ["platform"],
            registry=self.registry,
        )
        self.possible_double_total = Counter(
            "consulta_possible_double_sends",
            "Messages sent after an earlier attempt whose outcome is unknown (its lease ran "
            "out mid-send, or it timed out): the person may have received them twice.",
            ["platform"],
            registry=self.registry,
        )
        self.ticks_total = Counter(
            "consulta_scheduler_ticks",
            "Scheduler ticks this process ran (leader or not).",
            registry=self.registry,
        )
        self.last_tick = Gauge(
            "consulta_scheduler_last_tick_timestamp_seconds",
            "Unix time of this process's latest scheduler tick.",
            registry=self.registry,
        )
        self.registry.register(OutboxCollector(database, lambda: self.clock()))

    def inbound(self, channel: str, outcome: str) -> None:
        """Count one inbound delivery."""
        if self.enabled:
            self.inbound_total.labels(channel, outcome).inc()

    def answers_stored(self, count: int) -> None:
        """Count the answers one inbound message stored."""
        if self.enabled and count:
            self.answers_total.inc(count)

    def sent(self, platform: Platform, seconds: float) -> None:
        """Record how long one send took."""
        if self.enabled:
            self.send_seconds.labels(platform.value).observe(seconds)

    def rate_limited(self, platform: Platform) -> None:
        """Count a 429 from a platform."""
        if self.enabled:
            self.rate_limited_total.labels(platform.value).inc()

    def dead_letter(self, platform: Platform) -> None:
        """Count a message moved to the dead letters."""
        if self.enabled:
            self.dead_letters_total.labels(platform.value).inc()

    def possible_double_send(self, platform: Platform) -> None:
        """Count a message sent after an attempt that may already have reached the person."""
        if self.enabled:
            self.possible_double_total.labels(platform.value).inc()

    def ticked(self) -> None:
        """Count a scheduler tick and remember when it ran."""
        if self.enabled:
            self.ticks_total.inc()
            self.last_tick.set(self.clock().timestamp())

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)


DISABLED = Metrics(enabled=False)
