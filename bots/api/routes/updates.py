"""Implementation updates and their review, perception gaps, timelines and role invitations.

Every route acts as the token's participant: what it shows goes through core.visibility,
and a refusal stores nothing (the request's unit of work rolls back).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from bots.api.deps import SessionDep, allowed, check_page_size, get_settings
from bots.api.refusals import refusal_of
from core import gaps, invitations, timeline, updates
from core.config import Settings
from core.errors import ConsultaError, InvalidInput, NotFound, PermissionDenied
from core.i18n import N_
from core.models import Participant, RoleInvitation, UpdateState, utcnow
from core.permissions import Permission
from core.vocabulary import Role

router = APIRouter(prefix="/api/v1", tags=["follow-up"])
HTTP_STATUS: dict[type[ConsultaError], int] = {
    NotFound: status.HTTP_404_NOT_FOUND,
    PermissionDenied: status.HTTP_403_FORBIDDEN,
    InvalidInput: status.HTTP_422_UNPROCESSABLE_CONTENT,
}
REDEEM = (
    "send `verify CODE` to the bot in Slack, Telegram or over the webhook; "
    "the code works once and expires after 7 days"
)


@contextmanager
def refusals() -> Iterator[None]:
    """Turn a user's mistake from the core into its HTTP status, with the core's message."""
    try:
        yield
    except ConsultaError as problem:
        code = next(
            (code for kind, code in HTTP_STATUS.items() if isinstance(problem, kind)),
            status.HTTP_400_BAD_REQUEST,
        )
        raise refusal_of(code, problem) from None


Reader = Annotated[Participant, Depends(allowed(Permission.READ_UPDATES))]
Reporter = Annotated[Participant, Depends(allowed(Permission.POST_UPDATES))]
Reviewer = Annotated[Participant, Depends(allowed(Permission.REVIEW_UPDATES))]
Inviter = Annotated[Participant, Depends(allowed(Permission.CREATE_INVITATIONS))]


class Indicator(BaseModel):
    """A measured value: what, how much, and when (YYYY-MM-DD)."""

    name: str = ""
    value: str | int | float | None = None
    date: str | None = None


class RevisionIn(BaseModel):
    """The fields of an update; a correction gives them all again."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(
        description="not_started, in_progress, partially_implemented or fully_implemented"
    )
    narrative: str = ""
    evidence: list[str] = Field(default_factory=list, description="http(s) links")
    responsible_entity: str | int | None = Field(
        default=None, description="A responsible entity's name, acronym or id"
    )
    indicators: list[Indicator] = Field(default_factory=list)
    next_step: str | None = None
    next_step_due: str | None = Field(default=None, description="YYYY-MM-DD")
    language: str = "en"

    def draft(self, **about: Any) -> updates.UpdateDraft:
        return updates.UpdateDraft(
            status=self.status,
            narrative=self.narrative,
            evidence=self.evidence,
            responsible_entity=self.responsible_entity,
            indicators=[i.model_dump() for i in self.indicators],
            next_step=self.next_step,
            next_step_due=self.next_step_due,
            language=self.language,
            channel="api",
            **about,
        )


class UpdateIn(RevisionIn):
    """A new update, about one recommendation or one cluster."""

    recommendation: str | int | None = Field(
        default=None, description="A recommendation's id, source id or key"
    )
    cluster: str | int | None = Field(default=None, description="A cluster's name or id")


class UpdateOut(BaseModel):
    """One version of an update, naming its author only as far as the caller may see."""

    id: int
    version: int
    versions: int
    kind: str
    state: str
    status: str
    narrative: str
    evidence: list[str]
    responsible_entity: str | None
    indicators: list[dict[str, Any]]
    next_step: str | None
    next_step_due: str | None
    recommendation_ids: list[int]
    cluster: str | None
    organisation: str | None
    author: str | None
    posted_at: str
    published_at: str | None
    review_note: str | None
    channel: str


class UpdateHistoryOut(BaseModel):
    """An update with every version the caller may see, oldest first."""

    id: int
    kind: str
    versions: list[UpdateOut]


class ApproveIn(BaseModel):
    note: str | None = None


class RejectIn(BaseModel):
    note: str = Field(description="Why the draft is sent back, so its author can fix it")


class ReportedOut(BaseModel):
    status: str
    value: int
    update_id: int
    version: int
    organisation: str | None
    published_at: str


class DistributionOut(BaseModel):
    """Civil society's statuses; every count is null when fewer than k gave one."""

    responses: int | None
    dont_know: int | None
    mean: float | None
    distribution: dict[str, int | None]
    suppressed: bool
    k: int


class GapOut(BaseModel):
    recommendation_id: int
    paragraph: str | None
    body: str
    state_under_review: str
    upr_cycle: int | None
    text: str
    round: str | None
    government: ReportedOut | None
    nhri: ReportedOut | None
    civil_society: DistributionOut
    gap_government: float | None
    gap_nhri: float | None
    gap: float | None


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role = Field(description="nhri or government")
    organisation: str | int = Field(description="The organisation's name or id")
    name: str | None = Field(default=None, description="The invitee's name (kept private)")


class InvitationCreated(BaseModel):
    """The code, shown this once."""

    code: str
    role: Role
    organisation: str
    expires_at: str
    how_to_redeem: str


class InvitationOut(BaseModel):
    """An invitation as organisers track it: never its code."""

    id: int
    role: Role
    organisation: str | None
    invited_by: str
    created_at: str
    expires_at: str
    status: str
    redeemed_at: str | None
    redeemed_by: str | None


@router.post("/updates", response_model=UpdateOut, status_code=status.HTTP_201_CREATED)
def post_update(body: UpdateIn, session: SessionDep, caller: Reporter) -> dict[str, Any]:
    """Post an update: a government's is a draft until reviewed, an NHRI's is published."""
    with refusals():
        draft = body.draft(recommendation=body.recommendation, cluster=body.cluster)
        version = updates.post_update(session, caller, draft)
        return updates.describe(version, caller)


@router.get("/updates", response_model=list[UpdateOut])
def list_updates(
    session: SessionDep,
    caller: Reader,
    settings: Annotated[Settings, Depends(get_settings)],
    recommendation: Annotated[int | None, Query(description="A recommendation's id")] = None,
    state: Annotated[UpdateState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
) -> list[dict[str, Any]]:
    """Updates the caller may see, newest first, each at its latest version they may see."""
    check_page_size(limit, settings)
    return updates.list_updates(
        session, caller, recommendation_id=recommendation, state=state, limit=limit
    )


@router.get("/updates/{update_id}", response_model=UpdateHistoryOut)
def get_update(update_id: int, session: SessionDep, caller: Reader) -> dict[str, Any]:
    """One update with every version the caller may see."""
    with refusals():
        update = updates.get_update(session, update_id)
        versions = updates.visible_versions(update, caller)
        if not versions:
            # Not visible is the same as not there: existence itself is not revealed.
            raise NotFound(N_("no update with number {number}"), number=update_id)
        return {
            "id": update.id,
            "kind": update.kind.value,
            "versions": [updates.describe(v, caller) for v in versions],
        }


@router.post(
    "/updates/{update_id}/versions",
    response_model=UpdateOut,
    status_code=status.HTTP_201_CREATED,
)
def revise_update(
    update_id: int, body: RevisionIn, session: SessionDep, caller: Reporter
) -> dict[str, Any]:
    """Correct an update with a new version; the earlier ones are kept."""
    with refusals():
        version = updates.revise_update(session, caller, update_id, body.draft())
        return updates.describe(version, caller)


@router.post("/updates/{update_id}/approve", response_model=UpdateOut)
def approve_update(
    update_id: int, session: SessionDep, caller: Reviewer, body: ApproveIn | None = None
) -> dict[str, Any]:
    """Publish the update's draft; its followers are told."""
    with refusals():
        version = updates.approve(session, caller, update_id, note=body.note if body else None)
        return updates.describe(version, caller)


@router.post("/updates/{update_id}/reject", response_model=UpdateOut)
def reject_update(
    update_id: int, body: RejectIn, session: SessionDep, caller: Reviewer
) -> dict[str, Any]:
    """Send the draft back to its author with a note saying why."""
    with refusals():
        version = updates.reject(session, caller, update_id, note=body.note)
        return updates.describe(version, caller)


@router.get("/gaps", response_model=list[GapOut])
def list_gaps(
    session: SessionDep,
    caller: Annotated[Participant, Depends(allowed(Permission.READ_GAPS))],
    settings: Annotated[Settings, Depends(get_settings)],
    round_code: Annotated[
        str | None, Query(alias="round", description="Only this round's answers, with its k")
    ] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
) -> list[dict[str, Any]]:
    """Recommendations by largest perception gap; counts under k are withheld."""
    check_page_size(limit, settings)
    with refusals():
        rows = gaps.perception_gaps(session, viewer=caller, round_code=round_code, limit=limit)
        return [row.as_data() for row in rows]


@router.get("/recommendations/{recommendation_id}/timeline")
def get_timeline(
    recommendation_id: int,
    session: SessionDep,
    caller: Annotated[Participant, Depends(allowed(Permission.READ_RECOMMENDATIONS))],
) -> list[dict[str, Any]]:
    """The recommendation's events in time order: when it was made, reports, results."""
    with refusals():
        return timeline.timeline(session, recommendation_id, caller)


@router.post("/invitations", response_model=InvitationCreated, status_code=status.HTTP_201_CREATED)
def create_invitation(body: InvitationIn, session: SessionDep, caller: Inviter) -> dict[str, Any]:
    """A one-time code, valid 7 days, that gives its redeemer the NHRI or government role."""
    with refusals():
        made = invitations.invite(
            session,
            role=body.role,
            organisation=body.organisation,
            display_name=body.name,
            actor=caller.pseudonym,
        )
    return {
        "code": made.code,
        "role": made.role,
        "organisation": made.organisation,
        "expires_at": made.expires_at.isoformat(timespec="seconds"),
        "how_to_redeem": REDEEM.replace("CODE", made.code),
    }


@router.get("/invitations", response_model=list[InvitationOut])
def list_invitations(session: SessionDep, _caller: Inviter) -> list[dict[str, Any]]:
    """Every invitation, newest first, with whether it was redeemed; never the code."""
    now = utcnow()
    return [_invitation(session, i, now) for i in invitations.list_invitations(session)]


def _invitation(session: Session, found: RoleInvitation, now: datetime) -> dict[str, Any]:
    redeemer = (
        session.get(Participant, found.participant_id) if found.participant_id is not None else None
    )
    if found.used_at is not None:
        state = "redeemed"
    elif found.expires_at <= now:
        state = "expired"
    else:
        state = "waiting"
    return {
        "id": found.id,
        "role": found.role,
        "organisation": found.organisation.name if found.organisation else None,
        "invited_by": found.invited_by,
        "created_at": found.created_at.isoformat(timespec="seconds"),
        "expires_at": found.expires_at.isoformat(timespec="seconds"),
        "status": state,
        "redeemed_at": found.used_at.isoformat(timespec="seconds") if found.used_at else None,
        "redeemed_by": redeemer.pseudonym if redeemer else None,
    }
