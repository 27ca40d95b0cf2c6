"""Logging: readable or JSON lines, a request id on each, and nothing personal or secret."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# Libraries that write URLs with a bot token in them, or chatter at INFO.
NOISY_LOGGERS = ("httpx", "httpcore", "telegram", "slack_bolt", "slack_sdk", "alembic")

# Shapes of secrets that must never reach a log line, even through a library's message.
SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(bot)?\d{5,}:[A-Za-z0-9_-]{30,}"), "[redacted]"),  # Telegram bot tokens
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]+"), "[redacted]"),  # Slack tokens
    (re.compile(r"\bcst_[A-Za-z0-9_-]{20,}"), "[redacted]"),  # Consulta API tokens
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{16,}"), r"\1[redacted]"),
    (re.compile(r"(?i)(\w+://[^:/@\s]+:)[^@\s]+@"), r"\1[redacted]@"),  # URL passwords
    # The key of a web participant's private link opens their answers.
    (re.compile(r"(/take/[^/\s?#]+/)[A-Za-z0-9_-]{16,}"), r"\1[redacted]"),
)


def redact(text: str) -> str:
    """Replace anything shaped like a token or a password with a marker."""
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub(record: logging.LogRecord) -> None:
    """Redact the record's message and text fields in place."""
    try:
        message = record.getMessage()
    except Exception:
        # A message that does not format is left for the handler to report, as logging does.
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    fields = getattr(record, "fields", None)
    if isinstance(fields, dict):
        record.fields = {k: redact(v) if isinstance(v, str) else v for k, v in fields.items()}


def _scrubbing_factory(make: Any) -> Any:
    def make_scrubbed(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = make(*args, **kwargs)
        scrub(record)
        return record

    make_scrubbed._consulta = True  # type: ignore[attr-defined]
    return make_scrubbed


class _ContextFilter(logging.Filter):
    """Stamps the request id on every record and scrubs secrets from the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        scrub(record)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A readable line: time, level, logger, request id, message and key=value fields."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return redact(line) if record.exc_info else line


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is now, so a swapped or closed stream is never kept."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(format: str = "text", level: str = "INFO") -> None:
    """Set up the root logger once for the process."""
    handler = _CurrentStderr()
    handler.setFormatter(JsonFormatter() if format == "json" else TextFormatter())
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_consulta", False):
            root.removeHandler(old)
    handler._consulta = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    # Scrubbed as each record is made, so every handler (a collector's, a test's) gets it clean,
    # whichever comes first; the filter above covers records made before this ran.
    if not getattr(logging.getLogRecordFactory(), "_consulta", False):
        logging.setLogRecordFactory(_scrubbing_factory(logging.getLogRecordFactory()))
    root.setLevel(level.upper())
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
