"""GET /api/v1/rounds/{code}/report: a round's report as HTML or Word, for organisers."""

from __future__ import annotations

import io
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response, status

from bots.api.deps import SessionDep, allowed
from bots.api.refusals import refusal_of
from core import rounds
from core.errors import NotFound
from core.models import Participant
from core.permissions import Permission
from core.report import MEDIA_TYPES, ReportFormat, report_filename, write_report

router = APIRouter(prefix="/api/v1/rounds", tags=["reports"])
# The report quotes participants (as far as they allowed): organisers decide what to publish.
Organiser = Annotated[Participant, Depends(allowed(Permission.READ_PARTICIPANTS))]
# The HTML report loads nothing: a browser showing it need allow nothing but its own styles.
HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@router.get(
    "/{code}/report",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media in MEDIA_TYPES.values()},
            "description": "The report: a standalone HTML page or a Word document.",
        },
        404: {"description": "No round with this code."},
    },
)
def get_report(
    code: str,
    session: SessionDep,
    _caller: Organiser,
    fmt: Annotated[
        ReportFormat, Query(alias="format", description="html or docx.")
    ] = ReportFormat.HTML,
    easy_read: Annotated[
        bool, Query(description="A plain-language version: short sentences, large type.")
    ] = False,
) -> Response:
    """The round's report: per cluster, each group's status, the gaps, counts and quotes."""
    try:
        found = rounds.find_round(session, code).code
    except NotFound as missing:
        raise refusal_of(status.HTTP_404_NOT_FOUND, missing) from None
    body = io.BytesIO()
    write_report(session, found, fmt, body, easy_read=easy_read)
    name = report_filename(found, fmt, easy_read=easy_read)
    disposition = "inline" if fmt is ReportFormat.HTML else "attachment"
    headers = {
        # The code may hold letters beyond ASCII: give a plain fallback and the UTF-8 name.
        "Content-Disposition": f'{disposition}; filename="report.{fmt.value}"; '
        f"filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
    }
    if fmt is ReportFormat.HTML:
        headers["Content-Security-Policy"] = HTML_POLICY
    return Response(content=body.getvalue(), media_type=MEDIA_TYPES[fmt], headers=headers)
