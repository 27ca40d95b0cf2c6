"""Send-rate limits per platform and per chat, as token buckets on an injected clock."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rate:
    """At most `count` messages per `seconds`, with bursts of up to `burst`."""

    count: float
    seconds: float
    burst: float = 1.0

    @property
    def per_second(self) -> float:
        """The sustained rate."""
        return self.count / self.seconds


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """Token buckets for one platform: one for the whole bot and one per chat."""

    overall: Rate
    per_chat: Rate
    per_group: Rate | None = None
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def _bucket(self, key: str, rate: Rate, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(rate.burst, now)
        else:
            refill = (now - bucket.updated) * rate.per_second
            bucket.tokens = min(rate.burst, bucket.tokens + refill)
            bucket.updated = now
        return bucket

    def _wait(self, key: str, rate: Rate, now: float) -> float:
        bucket = self._bucket(key, rate, now)
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / rate.per_second

    def chat_wait(self, chat: str, now: float, group: bool = False) -> float:
        """Seconds until this chat's own limit lets another message go; 0 means now."""
        chat_rate = self.per_group if group and self.per_group else self.per_chat
        return self._wait(chat, chat_rate, now)

    def overall_wait(self, now: float) -> float:
        """Seconds until the bot-wide limit lets another message go; 0 means now."""
        return self._wait("*", self.overall, now)

    def wait_time(self, chat: str, now: float, group: bool = False) -> float:
        """Seconds until a message to this chat may go, by both limits; 0 means now."""
        return max(self.chat_wait(chat, now, group), self.overall_wait(now))

    def take(self, chat: str, now: float, group: bool = False) -> bool:
        """Spend one message for this chat; a reply burst may take its bucket below zero."""
        chat_rate = self.per_group if group and self.per_group else self.per_chat
        self._bucket("*", self.overall, now).tokens -= 1
        self._bucket(chat, chat_rate, now).tokens -= 1
        return True

    def forget_idle(self, now: float, idle_seconds: float = 3600) -> None:
        """Drop chats not written to for a while, so memory stays flat over weeks."""
        for key in [
            k for k, b in self._buckets.items() if k != "*" and now - b.updated > idle_seconds
        ]:
            del self._buckets[key]


def telegram_limits() -> RateLimiter:
    """Telegram: about 30 messages/s per bot, 1/s per private chat, 20/min per group."""
    # A reply is often two or three messages at once (a note, then a question): a short burst
    # per chat is allowed, the sustained rate is one a second.
    # Telegram lets a burst of about 30 through; keeping ours small leaves that burst as a
    # cushion for network jitter, which would otherwise turn a send on time into a 429.
    return RateLimiter(
        overall=Rate(30, 1, burst=5),
        per_chat=Rate(1, 1, burst=3),
        per_group=Rate(20, 60, burst=3),
    )


def slack_limits() -> RateLimiter:
    """Slack: about 1 message/s per channel; the workspace tier allows bursts overall."""
    return RateLimiter(overall=Rate(50, 1, burst=50), per_chat=Rate(1, 1))


def webhook_limits() -> RateLimiter:
    """The webhook gateway: generous, since its operator sets their own limits."""
    return RateLimiter(overall=Rate(200, 1, burst=200), per_chat=Rate(5, 1, burst=5))
