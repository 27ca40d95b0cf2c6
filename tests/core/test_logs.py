"""Log lines carry a request id, come as text or JSON, and never carry a secret."""

from __future__ import annotations

import json
import logging

import pytest

from core.logs import configure_logging, redact, request_id


@pytest.fixture
def log_output(capsys):
    def read() -> list[str]:
        return [line for line in capsys.readouterr().err.splitlines() if line]

    yield read
    logging.getLogger().handlers = [
        h for h in logging.getLogger().handlers if not getattr(h, "_consulta", False)
    ]


def test_json_lines_carry_the_request_id_and_fields(log_output):
    configure_logging("json", "INFO")
    token = request_id.set("abc123")
    try:
        logging.getLogger("consulta.test").info("answer stored", extra={"fields": {"n": 3}})
    finally:
        request_id.reset(token)
    (line,) = log_output()
    entry = json.loads(line)
    assert entry["message"] == "answer stored"
    assert entry["request_id"] == "abc123"
    assert entry["n"] == 3 and entry["level"] == "info"


def test_text_lines_are_readable(log_output):
    configure_logging("text", "INFO")
    logging.getLogger("consulta.test").warning("round %s closes soon", "ARC2027")
    (line,) = log_output()
    assert "WARNING" in line and "consulta.test [-] round ARC2027 closes soon" in line


def test_library_urls_with_bot_tokens_are_silenced_and_scrubbed(log_output):
    configure_logging("text", "DEBUG")
    url = "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq/sendMessage"
    logging.getLogger("httpx").info("HTTP Request: POST %s", url)
    logging.getLogger("consulta.test").error("call failed: %s", url)
    lines = log_output()
    assert len(lines) == 1, "httpx logs URLs at INFO and must be raised to WARNING"
    assert "AAHdqTcv" not in lines[0] and "[redacted]" in lines[0]


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234-5678-abcdefghijkl",
        "cst_Zr0aVbq3x2nq0m9lYw9k1yJd8Xq0a1b2c3d4e5",
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6",
        "postgresql+psycopg://consulta:hunter2@db/consulta",
    ],
)
def test_redact_hides_every_kind_of_secret(secret):
    cleaned = redact(f"something with {secret} inside")
    assert "[redacted]" in cleaned
    for fragment in ("abcdefghijkl", "Zr0aVbq3", "eyJhbGci", "hunter2"):
        assert fragment not in cleaned
