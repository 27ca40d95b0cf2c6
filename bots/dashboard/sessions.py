"""Dashboard sessions without a sessions table: a signed cookie, checked against the token.

The cookie holds the id of the API token the organiser signed in with, when the session
ends, a random nonce, and an HMAC-SHA256 of the three under a key derived from
CONSULTA_SECRET_KEY. Nothing else is stored. Every request checks the signature and the
expiry, then looks the token up again, so revoking the token ends every session opened with
it at once.

Forms carry a CSRF token: an HMAC of the session cookie's value (or, before sign-in, of a
random nonce kept in its own cookie) under a second derived key. A form from another site
cannot know it, and it changes with every session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SESSION_LIFETIME = timedelta(hours=8)
SIGN_IN_LIFETIME = timedelta(hours=1)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Keys:
    """Keys for one purpose each, derived from the app's secret key."""

    session: bytes
    csrf: bytes

    @classmethod
    def derive(cls, secret_key: str) -> Keys:
        root = secret_key.encode("utf-8")
        return cls(
            session=hmac.new(root, b"consulta dashboard session v1", hashlib.sha256).digest(),
            csrf=hmac.new(root, b"consulta dashboard csrf v1", hashlib.sha256).digest(),
        )


@dataclass(frozen=True)
class SessionClaim:
    """What a valid session cookie says: which token, until when."""

    token_id: int
    expires_at: datetime
    value: str


def _signature(keys: Keys, payload: str) -> str:
    return _b64(hmac.new(keys.session, payload.encode("ascii"), hashlib.sha256).digest())


def issue(keys: Keys, token_id: int, now: datetime) -> SessionClaim:
    """A new session for the token, as the cookie's value."""
    expires_at = (now + SESSION_LIFETIME).replace(microsecond=0)
    payload = f"{token_id}.{int(expires_at.timestamp())}.{secrets.token_urlsafe(16)}"
    return SessionClaim(token_id, expires_at, f"{payload}.{_signature(keys, payload)}")


def read(keys: Keys, value: str | None, now: datetime) -> SessionClaim | None:
    """The claim in a cookie, or None when it is missing, forged, malformed or expired."""
    if not value or len(value) > 200:
        return None
    payload, _, signature = value.rpartition(".")
    if not payload or not hmac.compare_digest(signature, _signature(keys, payload)):
        return None
    token_id, _, rest = payload.partition(".")
    expires, _, nonce = rest.partition(".")
    if not (token_id.isdigit() and expires.isdigit() and nonce):
        return None
    expires_at = datetime.fromtimestamp(int(expires), UTC)
    if expires_at <= now:
        return None
    return SessionClaim(int(token_id), expires_at, value)


def new_nonce() -> str:
    """A random value binding the sign-in form's CSRF token before there is a session."""
    return secrets.token_urlsafe(24)


def csrf_token(keys: Keys, binding: str) -> str:
    """The CSRF token for forms shown with this session value (or sign-in nonce)."""
    return _b64(hmac.new(keys.csrf, binding.encode("utf-8"), hashlib.sha256).digest())


def csrf_matches(keys: Keys, binding: str | None, presented: str | None) -> bool:
    """Whether a form's CSRF token belongs to this session value (or sign-in nonce)."""
    if not binding or not presented:
        return False
    return hmac.compare_digest(csrf_token(keys, binding), presented)
