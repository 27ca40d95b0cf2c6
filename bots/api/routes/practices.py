"""Good practices over HTTP: read by anyone, written and reviewed with a token, and exchanged.

The public routes need no token and show published versions only: a draft or a rejected
version is as absent as a practice that does not exist. The list answers with the exchange
document itself, so another deployment can import the response as it is. An Atom feed of the
newest practices is served at /practices.atom.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from bots.api.deps import SessionDep, allowed, check_page_size, get_settings
from bots.api.refusals import refused
from bots.api.routes.updates import ApproveIn, RejectIn, refusals
from core import practice_exchange, practices
from core.config import Settings
from core.errors import NotFound
from core.formatting import file_size
from core.i18n import N_, translate
from core.models import Participant, PracticeState, PracticeVersion, TagKind, utcnow
from core.permissions import Permission

router = APIRouter(prefix="/api/v1/practices", tags=["good practices"])
feed_router = APIRouter(tags=["good practices"])

Publisher = Annotated[Participant, Depends(allowed(Permission.PUBLISH_PRACTICES))]
Reviewer = Annotated[Participant, Depends(allowed(Permission.REVIEW_PRACTICES))]
SettingsDep = Annotated[Settings, Depends(get_settings)]

IMPORT_SETTING = "CONSULTA_PRACTICES_IMPORT_MAX_BYTES"
JSONLD = "application/ld+json"
ATOM = "http://www.w3.org/2005/Atom"
ATOM_MEDIA = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50
SDG_SCHEME = "https://unstats.un.org/sdgs/indicators/indicators-list/"
# How the feed labels a practice's longer texts, in the reader's language.
SECTIONS = {"results": N_("Results"), "lessons": N_("Lessons")}


class PracticeIn(BaseModel):
    """The fields of a practice; a new version gives them all again."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(description="At most 200 characters.")
    summary: str = Field(description="At most 2,000 characters.")
    done: str = Field(default="", description="What was done.")
    results: str = Field(default="", description="What came of it.")
    lessons: str = Field(default="", description="What others can learn.")
    themes: list[str] = Field(default_factory=list, description="At most 20.")
    sdg_targets: list[str] = Field(default_factory=list, description="Such as 16.3 or 5.a.")
    recommendations: list[str | int] = Field(
        default_factory=list, description="Recommendations' ids, source ids or keys."
    )
    mechanism: str = Field(default="", description="How the mechanism is set up.")
    country: str = ""
    languages: list[str] = Field(
        default_factory=list, description="Languages the practice is available in."
    )
    contact: str | None = Field(default=None, description="Whom to ask; published.")
    licence: str = Field(
        default=practices.DEFAULT_LICENCE, description=", ".join(practices.LICENCES)
    )
    language: str = Field(default="en", description="The language the texts are written in.")
    translations: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description='Texts in other languages: {"fr": {"title": ..., "summary": ...}}.',
    )

    def draft(self) -> practices.PracticeDraft:
        """The fields as the core takes them."""
        return practices.PracticeDraft(**self.model_dump(), channel="api")


class PracticeOut(BaseModel):
    """One version of a practice, in the reader's language where a translation exists."""

    id: int
    uid: str
    version: int
    versions: int
    state: str
    language: str
    written_in: str
    title: str
    summary: str
    done: str
    results: str
    lessons: str
    translations: list[str]
    themes: list[str]
    sdg_targets: list[str]
    recommendations: list[dict[str, Any]]
    recommendation_ids: list[int]
    mechanism: str
    country: str
    languages: list[str]
    contact: str | None
    licence: str
    licence_url: str | None
    organisation: str | None
    origin: str | None
    posted_at: str
    published_at: str | None
    channel: str


class PublishedOut(PracticeOut):
    """A published practice at the version the public sees, with every published version."""

    published_versions: list[PracticeOut]


class DraftOut(PracticeOut):
    """A version as its author and the reviewers see it, with the review note."""

    review_note: str | None


class WaitingOut(DraftOut):
    """A draft waiting for review, with everything a reviewer needs to decide."""

    author: str | None
    translated_texts: dict[str, dict[str, str]]


class ImportedOut(BaseModel):
    """What an import added."""

    origin: str
    practices_added: int
    versions_added: int
    unchanged: int


def _shown(session: Session, ref: str) -> PracticeVersion:
    """The published version of a practice; anything unpublished is not there."""
    practice = practices.get(session, ref)
    version = practices.current(practice)
    if version is None:
        raise NotFound(N_("no good practice with number {number!r}"), number=ref.strip()[:80])
    return version


def _next_page(settings: Settings, path: str, params: Mapping[str, str | int | None]) -> str:
    given = {k: v for k, v in params.items() if v not in (None, "")}
    return f'<{settings.public_url.rstrip("/")}{path}?{urlencode(given)}>; rel="next"'


# --- the upload -------------------------------------------------------------------------------


def _too_large(limit: int) -> Exception:
    return refused(
        status.HTTP_413_CONTENT_TOO_LARGE,
        N_(
            "the request body is larger than the good-practices import limit of {limit}; "
            "the limit is set by {setting}"
        ),
        limit=file_size(limit),
        setting=IMPORT_SETTING,
    )


async def uploaded_exchange(request: Request, settings: SettingsDep, _caller: Reviewer) -> str:
    """The request body, read chunk by chunk and refused as soon as it passes the limit.

    The middleware's 1 MiB cap does not apply to this route (middleware.UPLOAD_PATHS): this is
    its limit. The caller is checked first, so no one without a token makes the server read.
    """
    limit = settings.practices_import_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        raise refused(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            N_("request body: not UTF-8 text (byte {position}); send the JSON export as UTF-8"),
            position=problem.start,
        ) from None


# --- the routes -----------------------------------------------------------------------------


@router.get(
    "",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "The exchange document (schema: core/schemas/practices-1.schema.json)"
            ", or with format=jsonld schema.org CreativeWork items. A Link header with "
            'rel="next" names the next page when there is one.',
            "content": {"application/json": {}, JSONLD: {}},
        },
        422: {"description": "A filter or the page size is wrong."},
    },
)
def list_practices(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=500, description="Words to look for.")] = "",
    theme: Annotated[str, Query(max_length=255)] = "",
    sdg: Annotated[str, Query(max_length=40, description="An SDG target, such as 16.3.")] = "",
    mechanism: Annotated[str, Query(max_length=200)] = "",
    country: Annotated[str, Query(max_length=120)] = "",
    language: Annotated[
        str, Query(max_length=20, description="Only practices available in this language.")
    ] = "",
    fmt: Annotated[
        Literal["json", "jsonld"],
        Query(alias="format", description="json: the exchange format; jsonld: schema.org."),
    ] = "json",
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Published practices, newest first, as an exchange document another deployment imports."""
    check_page_size(limit, settings)
    wanted = practices.Search(
        text=q, theme=theme, sdg_target=sdg, mechanism=mechanism, country=country, language=language
    )
    with refusals():
        # One more than asked says whether a next page exists, whatever the filters.
        found = practices.search(session, wanted, limit=limit + 1, offset=offset)
    document = practice_exchange.export(
        session, settings.deployment_name, settings.public_url, versions=found[:limit]
    )
    headers = {}
    if len(found) > limit:
        params = {
            "q": q,
            "theme": theme,
            "sdg": sdg,
            "mechanism": mechanism,
            "country": country,
            "language": language,
            "format": fmt if fmt != "json" else None,
            "limit": limit,
            "offset": offset + limit,
        }
        headers["Link"] = _next_page(settings, request.url.path, params)
    if fmt == "jsonld":
        return JSONResponse(
            practice_exchange.to_jsonld(document), headers=headers, media_type=JSONLD
        )
    return JSONResponse(document, headers=headers)


@router.post("", response_model=DraftOut, status_code=status.HTTP_201_CREATED)
def submit_practice(body: PracticeIn, session: SessionDep, caller: Publisher) -> dict[str, Any]:
    """Write a practice; it is a draft until an organiser approves it."""
    with refusals():
        version = practices.submit(session, caller, body.draft())
        return practices.describe(session, version, body.language)


# Declared before /{ref}, which would otherwise take "review" for a practice's number.
@router.get("/review", response_model=list[WaitingOut])
def drafts_waiting(session: SessionDep, _caller: Reviewer) -> list[dict[str, Any]]:
    """Drafts waiting for an organiser, oldest first, with every field and translation."""
    return [
        {
            **practices.describe(session, version),
            "author": version.practice.author.pseudonym if version.practice.author else None,
            "translated_texts": version.translations or {},
        }
        for version in practices.awaiting_review(session)
    ]


@router.post("/import", response_model=ImportedOut)
def import_practices(
    request_text: Annotated[str, Depends(uploaded_exchange)],
    session: SessionDep,
    caller: Reviewer,
) -> dict[str, Any]:
    """Add the practices of another deployment's exchange file; a re-import adds nothing."""
    with refusals():
        document = practice_exchange.read(request_text, source="request body")
        merged = practice_exchange.merge(
            session, document, actor=caller.pseudonym, text=request_text, source="request body"
        )
    return {
        "origin": merged.origin,
        "practices_added": merged.practices_added,
        "versions_added": merged.versions_added,
        "unchanged": merged.unchanged,
    }


@router.get(
    "/{ref}", response_model=PublishedOut, responses={404: {"description": "Not published."}}
)
def get_practice(
    ref: str,
    session: SessionDep,
    language: Annotated[
        str | None, Query(max_length=20, description="Show this translation when there is one.")
    ] = None,
) -> dict[str, Any]:
    """One published practice by number or urn:uuid, with its published versions."""
    with refusals():
        version = _shown(session, ref)
    published = [
        practices.describe(session, v, language)
        for v in version.practice.versions
        if v.state is PracticeState.PUBLISHED
    ]
    return {**practices.describe(session, version, language), "published_versions": published}


@router.post("/{ref}/versions", response_model=DraftOut, status_code=status.HTTP_201_CREATED)
def revise_practice(
    ref: str, body: PracticeIn, session: SessionDep, caller: Publisher
) -> dict[str, Any]:
    """Edit a practice with a new draft version, reviewed like the first; earlier ones stay."""
    with refusals():
        version = practices.revise(session, caller, ref, body.draft())
        return practices.describe(session, version, body.language)


@router.post("/{ref}/approve", response_model=DraftOut)
def approve_practice(
    ref: str, session: SessionDep, caller: Reviewer, body: ApproveIn | None = None
) -> dict[str, Any]:
    """Publish the practice's draft; followers of its themes and SDG targets are told."""
    with refusals():
        version = practices.approve(session, caller, ref, note=body.note if body else None)
        return practices.describe(session, version)


@router.post("/{ref}/reject", response_model=DraftOut)
def reject_practice(
    ref: str, body: RejectIn, session: SessionDep, caller: Reviewer
) -> dict[str, Any]:
    """Send the draft back to its author with a note saying why."""
    with refusals():
        version = practices.reject(session, caller, ref, note=body.note)
        return practices.describe(session, version)


# --- the Atom feed ----------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    """An RFC 3339 date, as Atom wants it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _element(
    parent: ET.Element, name: str, text: str | None = None, **attributes: str
) -> ET.Element:
    # ElementTree escapes text and attributes itself: user text is never pasted into markup.
    child = ET.SubElement(parent, f"{{{ATOM}}}{name}", attributes)
    if text is not None:
        child.text = text
    return child


def _feed_id(settings: Settings, query: str) -> str:
    """A stable id for this deployment's feed (and each filtered view of it)."""
    seed = f"{settings.public_url.rstrip('/')}/practices.atom?{query}#{settings.deployment_name}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def _entry(
    feed: ET.Element, version: PracticeVersion, language: str | None, settings: Settings
) -> None:
    practice = version.practice
    shown, shown_in = practices.texts(version, language)
    said_in = language or shown_in
    entry = _element(feed, "entry")
    entry.set("{http://www.w3.org/XML/1998/namespace}lang", shown_in)
    _element(entry, "id", practice.uid)
    _element(entry, "title", shown["title"], type="text")
    assert version.published_at is not None
    _element(entry, "updated", _stamp(version.published_at))
    first = next(
        (v.published_at for v in practice.versions if v.published_at is not None),
        version.published_at,
    )
    _element(entry, "published", _stamp(first))
    author = _element(entry, "author")
    _element(author, "name", practice.publisher or practice.origin or settings.deployment_name)
    link = f"{settings.public_url.rstrip('/')}/api/v1/practices/{practice.id}"
    _element(entry, "link", rel="alternate", type="application/json", href=link)
    for tag in version.tags_of(TagKind.THEME):
        _element(entry, "category", term=tag.code, label=tag.label or tag.code)
    for tag in version.tags_of(TagKind.SDG_TARGET):
        _element(entry, "category", term=tag.code, scheme=SDG_SCHEME, label=f"SDG {tag.code}")
    _element(entry, "summary", shown["summary"], type="text")
    parts = [shown["done"]] + [
        f"{translate(said_in, label)}:\n{shown[name]}"
        for name, label in SECTIONS.items()
        if shown[name]
    ]
    _element(entry, "content", "\n\n".join(p for p in parts if p) or shown["summary"], type="text")
    _element(entry, "rights", version.licence, type="text")
    licence_url = practices.LICENCES.get(version.licence)
    if licence_url:
        _element(entry, "link", rel="license", href=licence_url)


def atom_feed(
    versions: Sequence[PracticeVersion], settings: Settings, language: str | None, query: str
) -> bytes:
    """The versions as an RFC 4287 Atom feed, newest first."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    base = settings.public_url.rstrip("/")
    _element(feed, "id", _feed_id(settings, query))
    title = translate(language or "en", N_("Good practices shared by {deployment}"))
    _element(feed, "title", title.format(deployment=settings.deployment_name), type="text")
    newest = max((v.published_at for v in versions if v.published_at), default=utcnow())
    _element(feed, "updated", _stamp(newest))
    author = _element(feed, "author")
    _element(author, "name", settings.deployment_name)
    self_link = f"{base}/practices.atom" + (f"?{query}" if query else "")
    _element(feed, "link", rel="self", type="application/atom+xml", href=self_link)
    _element(
        feed, "link", rel="alternate", type="application/json", href=f"{base}/api/v1/practices"
    )
    _element(feed, "generator", "Consulta")
    for version in versions:
        _entry(feed, version, language, settings)
    written: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return written


@feed_router.get(
    "/practices.atom",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}, "description": "An Atom feed."}},
)
def practices_feed(
    session: SessionDep,
    settings: SettingsDep,
    theme: Annotated[str, Query(max_length=255)] = "",
    language: Annotated[
        str, Query(max_length=20, description="Practices available in this language, in it.")
    ] = "",
) -> Response:
    """The newest published practices, each at its latest version, as an Atom feed."""
    wanted = practices.Search(theme=theme, language=language)
    versions = practices.search(session, wanted, limit=FEED_SIZE)
    query = urlencode({k: v for k, v in (("theme", theme), ("language", language)) if v})
    body = atom_feed(versions, settings, language.strip().lower() or None, query)
    return Response(body, media_type=ATOM_MEDIA)
