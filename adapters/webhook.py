"""The signed JSON webhook, for SMS or WhatsApp gateways, web forms and any other system.

Requests and outbound messages are signed the Standard Webhooks way: headers `webhook-id`,
`webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
with a key written `whsec_<base64>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from adapters.contract import Limits, numbered_text
from core.messages import Expect, InboundEvent, OutboundMessage
from core.vocabulary import Platform

TOLERANCE_SECONDS = 5 * 60
# JSON carries every option as data, so nothing needs to fall back to numbered text.
LIMITS = Limits(
    max_buttons=100, max_button_text=200, max_text=100_000, max_callback_bytes=64, can_edit=False
)


class WebhookRejected(Exception):
    """A request whose signature, timestamp or key does not hold; the reason is safe to log."""


class InboundMessage(BaseModel):
    """What a gateway posts: who sent it, the text or the chosen option, and its message id."""

    sender: str = Field(min_length=1, max_length=255, description="The sender's stable id.")
    text: str | None = Field(default=None, max_length=20_000, description="Typed text.")
    choice: str | None = Field(
        default=None, max_length=64, description="The id of an option from an earlier reply."
    )
    message_id: str = Field(min_length=1, max_length=120, description="The gateway's id.")
    language: str | None = Field(
        default=None,
        max_length=16,
        description=(
            "The language the sender chose, such as fr: it outranks the round's default, and "
            "a different one mid-conversation asks the current question again in it."
        ),
    )
    edited: bool = Field(default=False, description="True when this edits message_id.")


class OptionOut(BaseModel):
    """A choice the gateway can show as a button; typed numbers also answer."""

    id: str
    label: str


class MessageOut(BaseModel):
    """One message for the participant."""

    text: str
    options: list[OptionOut] = []
    expect: Expect
    hint: str | None = None
    language: str


def decode_key(secret: str) -> bytes:
    """The raw key of a whsec_<base64> secret."""
    encoded = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRejected("the webhook key is not whsec_ followed by base64") from None
    if not key:
        raise WebhookRejected("the webhook key is empty")
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value for a message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(decode_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> str:
    """Check a signed request and return its webhook-id, or raise WebhookRejected saying why."""
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not message_id or not timestamp or not signatures:
        raise WebhookRejected("missing webhook-id, webhook-timestamp or webhook-signature")
    if not timestamp.isdigit():
        raise WebhookRejected("webhook-timestamp is not a number of seconds")
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise WebhookRejected("webhook-timestamp is more than 5 minutes away")
    expected = sign(secret, message_id, int(timestamp), body).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return message_id
    raise WebhookRejected("no signature matches")


def to_event(message: InboundMessage, delivery_id: str) -> InboundEvent:
    """A posted message as the engine's neutral event."""
    return InboundEvent(
        platform=Platform.WEBHOOK,
        sender_id=message.sender,
        text=message.text,
        option_id=message.choice,
        delivery_id=delivery_id,
        message_id=message.message_id,
        language_hint=message.language,
        language_choice=message.language,
        edited=message.edited,
    )


def render(message: OutboundMessage) -> dict[str, Any]:
    """A reply as JSON data; the options stay data, the gateway decides how to show them.

    For a person in text-only mode the options are written into the text as a numbered list
    and left out as data, so no gateway turns them back into buttons.
    """
    listed = message.text_only and bool(message.options)
    return MessageOut(
        text=numbered_text(message) if listed else message.text,
        options=[] if listed else [OptionOut(id=o.id, label=o.label) for o in message.options],
        expect=message.expect,
        hint=message.hint,
        language=message.language,
    ).model_dump(mode="json")
