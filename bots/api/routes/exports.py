"""GET /api/v1/rounds/{code}/export: a round's results, or its raw answers, as a file.

The file is streamed: it is produced chunk by chunk while the client reads, in a unit of work
of its own that lives as long as the response.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import StreamingResponse

from bots.api.deps import SessionDep, allowed, get_database
from bots.api.refusals import refusal_of
from core import exports, rounds
from core.db import Database
from core.errors import NotFound, PermissionDenied
from core.models import Participant
from core.permissions import Permission, require_of

router = APIRouter(prefix="/api/v1/rounds", tags=["exports"])
Exporter = Annotated[Participant, Depends(allowed(Permission.EXPORT))]


def _attachment(name: str) -> str:
    """A Content-Disposition naming the file, readable by old and new clients alike."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


@router.get(
    "/{code}/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {media: {} for media in exports.FORMATS.values()},
            "description": "The export file.",
        },
        403: {"description": "Not an organiser, or raw answers without export_raw."},
        404: {"description": "No such round."},
    },
)
def export_round(
    code: str,
    session: SessionDep,
    caller: Exporter,
    database: Annotated[Database, Depends(get_database)],
    fmt: Annotated[
        Literal["csv", "xlsx", "json"], Query(alias="format", description="The file format.")
    ] = "csv",
    raw: Annotated[
        bool,
        Query(
            description="Every answer, one row each, by pseudonym; needs the export_raw "
            "permission, given to named organisers only."
        ),
    ] = False,
    delimiter: Annotated[Literal[",", ";"], Query(description="The CSV delimiter: , or ;.")] = ",",
) -> StreamingResponse:
    """The round's aggregated results (small counts hidden) and written answers, or raw answers."""
    if raw:
        try:
            require_of(caller, Permission.EXPORT_RAW)
        except PermissionDenied as refusal:
            raise refusal_of(status.HTTP_403_FORBIDDEN, refusal) from None
    try:
        found = rounds.find_round(session, code).code
    except NotFound as missing:
        raise refusal_of(status.HTTP_404_NOT_FOUND, missing) from None
    exports.record_export(session, found, fmt, raw=raw, actor=caller.pseudonym)
    # The request's unit of work ends here: the export reads in one of its own, and on SQLite
    # a transaction left open would hold the write lock for as long as the download lasts.
    session.commit()
    return StreamingResponse(
        _produce(database, found, fmt, raw, delimiter),
        media_type=exports.FORMATS[fmt],
        headers={"Content-Disposition": _attachment(exports.file_name(found, fmt, raw=raw))},
    )


def _produce(database: Database, code: str, fmt: str, raw: bool, delimiter: str) -> Iterator[bytes]:
    """The export's chunks, read in a unit of work that lasts as long as the generator."""
    if not database.is_sqlite:
        with database.unit_of_work() as session:
            yield from exports.stream_round(session, code, fmt, raw=raw, delimiter=delimiter)
        return
    # SQLite's transactions take the write lock (BEGIN IMMEDIATE): a slow download would stop
    # every answer from being stored. There the file is spooled to disk first, then sent.
    with tempfile.TemporaryFile() as spool:
        with database.unit_of_work() as session:
            for chunk in exports.stream_round(session, code, fmt, raw=raw, delimiter=delimiter):
                spool.write(chunk)
        spool.seek(0)
        while chunk := spool.read(exports.CHUNK_SIZE):
            yield chunk
