"""The web channel's signatures: form tokens, and the flash that carries a post to its page.

Keys for each purpose are derived from CONSULTA_SECRET_KEY, apart from the dashboard's. A form
token is the dashboard's CSRF token bound to the round and the private key instead of a
session, so a form posted from another site, which cannot know it, is refused.

After a post, the browser is sent back to the question page (post, redirect, get). What the
engine said on the way, and an answer it could not take with the text as typed, ride along
in a short-lived cookie signed for that one page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from bots.dashboard import sessions

FLASH_COOKIE = "consulta_take"
FLASH_SECONDS = 300
# Browsers keep cookies up to 4,096 bytes with their name and attributes; past this budget
# the page is shown in the response to the post instead.
FLASH_BUDGET = 3_600
_INFLATED_LIMIT = 256 * 1024


def derive(secret_key: str) -> sessions.Keys:
    """Keys for the web channel's flash (as `session`) and form tokens (as `csrf`)."""
    root = secret_key.encode("utf-8")
    return sessions.Keys(
        session=hmac.new(root, b"consulta web channel flash v1", hashlib.sha256).digest(),
        csrf=hmac.new(root, b"consulta web channel forms v1", hashlib.sha256).digest(),
    )


def _binding(code: str, key: str | None) -> str:
    return f"take:{code}" if key is None else f"take:{code}:{key}"


def form_token(keys: sessions.Keys, code: str, key: str | None = None) -> str:
    """The token the forms of one round's page (or of one private link's page) carry."""
    return sessions.csrf_token(keys, _binding(code, key))


def form_token_matches(
    keys: sessions.Keys, code: str, key: str | None, presented: str | None
) -> bool:
    """Whether a posted form carries the token of this page."""
    return sessions.csrf_matches(keys, _binding(code, key), presented)


@dataclass(frozen=True)
class Flash:
    """What a post left for the page after it: messages, and any problem with the answer."""

    notices: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    # The prompt the problems are about; they are shown at its controls only.
    fingerprint: str = ""
    answer: str = ""
    choice: str = ""
    choices: tuple[str, ...] = field(default_factory=tuple)

    def as_data(self) -> dict[str, Any]:
        """The flash as JSON-ready data."""
        return {
            "n": list(self.notices),
            "p": list(self.problems),
            "f": self.fingerprint,
            "a": self.answer,
            "c": self.choice,
            "cs": list(self.choices),
        }


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _signature(keys: sessions.Keys, page: str, body: str) -> str:
    signed = f"{page}.{body}".encode("ascii")
    return _b64(hmac.new(keys.session, signed, hashlib.sha256).digest())


def seal(keys: sessions.Keys, code: str, key: str, flash: Flash) -> str | None:
    """The flash as a cookie value for one page, or None when it is too long for a cookie."""
    packed = json.dumps(flash.as_data(), ensure_ascii=False, separators=(",", ":"))
    body = _b64(zlib.compress(packed.encode("utf-8"), 9))
    value = f"{body}.{_signature(keys, _binding(code, key), body)}"
    return value if len(value) <= FLASH_BUDGET else None


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def unseal(keys: sessions.Keys, code: str, key: str, value: str | None) -> Flash | None:
    """The flash a cookie holds for this page, or None when absent, forged or unreadable."""
    if not value or len(value) > FLASH_BUDGET:
        return None
    body, _, signature = value.rpartition(".")
    try:
        expected = _signature(keys, _binding(code, key), body)
    except UnicodeEncodeError:
        return None
    if not body or not hmac.compare_digest(signature, expected):
        return None
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflated = zlib.decompressobj().decompress(raw, _INFLATED_LIMIT)
        data = json.loads(inflated.decode("utf-8"))
    except (binascii.Error, ValueError, zlib.error):
        return None
    if not isinstance(data, dict):
        return None

    def text(name: str) -> str:
        found = data.get(name)
        return found if isinstance(found, str) else ""

    return Flash(
        notices=_texts(data.get("n")),
        problems=_texts(data.get("p")),
        fingerprint=text("f"),
        answer=text("a"),
        choice=text("c"),
        choices=_texts(data.get("cs")),
    )
