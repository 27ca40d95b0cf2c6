"""POST /webhook/inbound and GET /webhook/messages: any system that can post signed JSON."""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request, status
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from adapters import webhook
from bots.inbound import receive
from bots.metrics import REFUSED, Metrics
from core import outbox
from core.config import Settings
from core.db import Database
from core.vocabulary import Platform

log = logging.getLogger("consulta.webhook")
router = APIRouter(prefix="/webhook", tags=["webhook"])


class Replies(BaseModel):
    """The direct replies to one inbound message."""

    replies: list[webhook.MessageOut]


class QueuedMessage(BaseModel):
    """A message that is not a direct reply, such as a reminder."""

    id: int
    recipient: str
    message: webhook.MessageOut


class QueuedMessages(BaseModel):
    """A page of queued messages and the cursor for the next call."""

    messages: list[QueuedMessage]
    next_after: int


def _checked(request: Request, body: bytes) -> str:
    settings: Settings = request.app.state.settings
    secret = settings.secret("webhook_secret")
    if secret is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the webhook is not configured")
    try:
        return webhook.verify(secret, request.headers, body, time.time())
    except webhook.WebhookRejected as rejected:
        log.warning("webhook request refused: %s", rejected)
        if request.method == "POST":
            metrics: Metrics = request.app.state.metrics
            metrics.inbound("webhook", REFUSED)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(rejected)) from None


@router.post(
    "/inbound",
    response_model=Replies,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": webhook.InboundMessage.model_json_schema()}},
        }
    },
)
async def inbound(request: Request) -> dict[str, Any]:
    """Take one signed message; the replies come back in the response, after the commit."""
    body = await request.body()
    delivery_id = _checked(request, body)
    metrics: Metrics = request.app.state.metrics
    try:
        message = webhook.InboundMessage.model_validate_json(body)
    except ValidationError as invalid:
        metrics.inbound("webhook", REFUSED)
        problems = invalid.errors(include_url=False, include_input=False, include_context=False)
        if any(p["type"] == "json_invalid" for p in problems):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body is not valid JSON") from None
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, problems) from None
    if message.text is None and message.choice is None:
        metrics.inbound("webhook", REFUSED)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "give text or choice")
    database: Database = request.app.state.database
    settings: Settings = request.app.state.settings
    replies = await run_in_threadpool(
        receive, database, settings, webhook.to_event(message, delivery_id), metrics
    )
    return {"replies": [webhook.render(reply) for reply in replies]}


@router.get("/messages", response_model=QueuedMessages)
async def messages(
    request: Request,
    after: Annotated[int, Query(ge=0, description="The last id already received.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Messages that are not direct replies, for a gateway that pulls instead of receiving."""
    _checked(request, await request.body())
    database: Database = request.app.state.database

    def take() -> dict[str, Any]:
        with database.unit_of_work() as session:
            rows = outbox.take_for_pull(session, Platform.WEBHOOK, after, limit)
            return {
                "messages": [
                    {
                        "id": r.id,
                        "recipient": r.recipient,
                        "message": webhook.render(outbox.from_payload(r.payload)),
                    }
                    for r in rows
                ],
                "next_after": rows[-1].id if rows else after,
            }

    return await run_in_threadpool(take)


def install(app: FastAPI) -> None:
    """Add the webhook routes to the app."""
    app.include_router(router)
