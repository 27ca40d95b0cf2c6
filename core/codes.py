"""One-time codes people type in a chat: short, unambiguous, and stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

from core.rounds import CODE_ALPHABET


def new_code(length: int = 8) -> tuple[str, str]:
    """A fresh code as shown to people (ABCD-EFGH) and the hash to store in its place."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    shown = f"{raw[: length // 2]}-{raw[length // 2 :]}"
    return shown, digest(raw)


def digest(code: str) -> str:
    """The stored form of a code, whatever its case and dashes as typed."""
    cleaned = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(cleaned.encode("ascii", "ignore")).hexdigest()
