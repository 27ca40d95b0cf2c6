"""GET /api/v1/rounds/{code}/share and its QR images: what organisers hand out to invite."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from bots.api.deps import SessionDep, allowed, get_settings
from bots.api.refusals import refusal_of, refused, request_language
from core import rounds, share
from core.config import Settings
from core.errors import NotFound
from core.i18n import N_
from core.models import Participant
from core.permissions import Permission

router = APIRouter(prefix="/api/v1/rounds", tags=["rounds"])
# A share kit reveals who the round is for and how to reach it before it opens: organisers only.
Organiser = Annotated[Participant, Depends(allowed(Permission.READ_PARTICIPANTS))]
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


class ShareLinkOut(BaseModel):
    """How to join on one channel; `images` maps png and svg to the QR code's address."""

    channel: str
    url_or_instruction: str
    text_to_send: str | None
    qr_target: str | None
    ready: bool
    operator_url: str | None
    images: dict[str, str]


class ShareKitOut(BaseModel):
    """A round's links, notes for organisers, and invitation texts by language."""

    code: str
    title: str
    status: str
    links: list[ShareLinkOut]
    notes: list[str]
    invitations: dict[str, str]


def _kit(session: Session, code: str, settings: Settings, reader: str = "en") -> share.ShareKit:
    try:
        return share.build_share_kit(rounds.find_round(session, code), settings, reader=reader)
    except NotFound as missing:
        raise refusal_of(status.HTTP_404_NOT_FOUND, missing) from None


@router.get("/{code}/share", response_model=ShareKitOut)
def get_share_kit(
    code: str,
    request: Request,
    session: SessionDep,
    _caller: Organiser,
    settings: Annotated[Settings, Depends(get_settings)],
) -> dict[str, Any]:
    """The round's join links, QR code addresses and invitation texts."""
    kit = _kit(session, code, settings, reader=request_language(request))
    data = kit.as_data()
    for link in data["links"]:
        link["images"] = (
            {
                kind: f"{router.prefix}/{kit.code}/share/{link['channel']}.{kind}"
                for kind in MEDIA_TYPES
            }
            if link["qr_target"] is not None
            else {}
        )
    return data


@router.get(
    "/{code}/share/{channel}.{kind}",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media in MEDIA_TYPES.values()},
            "description": "The QR code of the channel's link or instruction.",
        },
        404: {"description": "No such round, channel or image format."},
    },
)
def get_share_image(
    code: str,
    channel: str,
    kind: str,
    session: SessionDep,
    _caller: Organiser,
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    """The QR code of one channel's link, as PNG or SVG."""
    if kind not in MEDIA_TYPES:
        raise refused(status.HTTP_404_NOT_FOUND, N_("QR codes come as .png or .svg"))
    kit = _kit(session, code, settings)
    link = kit.link(channel)
    if link is None or link.qr_target is None:
        raise refused(
            status.HTTP_404_NOT_FOUND,
            N_("round {code} has no QR code for {channel!r}"),
            code=kit.code,
            channel=channel,
        )
    body: bytes | str = (
        share.qr_png(link.qr_target) if kind == "png" else share.qr_svg(link.qr_target)
    )
    return Response(
        content=body,
        media_type=MEDIA_TYPES[kind],
        headers={"Content-Disposition": f'inline; filename="{kit.code}-{channel}.{kind}"'},
    )
