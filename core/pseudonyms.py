"""Stable pseudonyms: what exports, logs and the audit log call a participant."""

from __future__ import annotations

import base64
import hashlib
import hmac


def pseudonym_for(participant_uid: str, key: bytes) -> str:
    """Return the participant's pseudonym, a keyed HMAC of their internal uid."""
    # The input is the random uid, never a name or platform id, so the pseudonym reveals
    # nothing and stays the same when platform identities or the encryption key change.
    digest = hmac.new(key, participant_uid.encode("ascii"), hashlib.sha256).digest()
    return "P-" + base64.b32encode(digest[:10]).decode("ascii")
