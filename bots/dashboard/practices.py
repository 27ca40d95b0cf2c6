"""The dashboard's good practices: the published ones to browse and search, one in full with
its versions, and the drafts waiting for an organiser's review.

Texts are shown in the page's language where the practice has a translation into it, else in
the language they were written in, marked as such. Drafts are reviewed with the same forms,
CSRF tokens and refusals as implementation updates.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from bots.dashboard.web import (
    PREFIX,
    Refusal,
    Visit,
    check_csrf,
    page_language,
    problem_status,
    render,
    see_other,
    signed_in,
    work,
)
from core import practices, updates
from core.errors import ConsultaError, NotFound, PermissionDenied
from core.i18n import N_, SUPPORTED_LANGUAGES
from core.models import Participant, Practice, PracticeState, PracticeVersion, Recommendation
from core.permissions import Permission, require_of

# Included by the dashboard's router, which adds the /dashboard prefix.
router = APIRouter()
SignedIn = Annotated[Visit, Depends(signed_in)]
PAGE_SIZE = 25


def _reviewer(organiser: Participant) -> None:
    """Refuse, with the page the other refusals get, an organiser who may not review practices."""
    try:
        require_of(organiser, Permission.REVIEW_PRACTICES)
    except PermissionDenied as refused:
        raise Refusal(403, N_("Not allowed"), refused) from None


def may_review(organiser: Participant) -> bool:
    """Whether the organiser sees the practices' review queue."""
    try:
        require_of(organiser, Permission.REVIEW_PRACTICES)
    except PermissionDenied:
        return False
    return True


def review_queues(session: Session, organiser: Participant) -> dict[str, int | None]:
    """How many updates and practice drafts wait; None for a queue the organiser may not see."""
    return {
        "updates": len(updates.awaiting_review(session)),
        "practices": len(practices.awaiting_review(session)) if may_review(organiser) else None,
    }


def _item(session: Session, version: PracticeVersion, language: str) -> dict[str, Any]:
    """A version as the pages show it: its texts in the page's language where translated."""
    data = practices.describe(session, version, language)
    # Moments as moments, so the page writes them in its own language and zone.
    data["posted_at"] = version.created_at
    data["published_at"] = version.published_at
    data["author"] = version.practice.author.pseudonym if version.practice.author else None
    return data


def _recommendations(
    session: Session, version: PracticeVersion, language: str
) -> list[dict[str, Any]]:
    """The recommendations the version names, each with this deployment's copy where held."""
    held = practices.linked_recommendations(session, version)
    by_key: dict[str | None, Recommendation] = {r.key: r for r in held}
    by_source: dict[str | None, Recommendation] = {r.source_id: r for r in held if r.source_id}
    shown: list[dict[str, Any]] = []
    for ref in version.recommendations or []:
        found = by_key.get(ref.get("key")) or by_source.get(ref.get("source_id"))
        entry: dict[str, Any] = {"ref": ref, "id": None}
        if found is not None:
            text, text_language = found.text_shown(language)
            entry.update(
                id=found.id,
                paragraph=found.paragraph,
                text=text,
                text_language=text_language,
            )
        shown.append(entry)
    return shown


def _history(practice: Practice) -> list[dict[str, Any]]:
    """Every version, newest first, with how it stands in review and where it came from."""
    return [
        {
            "version": v.version,
            "state": v.state.value,
            "current": v.current,
            "language": v.language,
            "channel": v.channel,
            "origin": v.origin,
            "written_at": v.created_at,
            "published_at": v.published_at,
            "reviewed_at": v.reviewed_at,
            "reviewed_by": v.reviewed_by,
            "review_note": v.review_note,
        }
        for v in reversed(practice.versions)
    ]


def _languages_offered(chosen: str) -> list[str]:
    """Consulta's languages, and the one chosen where practices are written in another."""
    if chosen and chosen not in SUPPORTED_LANGUAGES:
        return [*SUPPORTED_LANGUAGES, chosen]
    return list(SUPPORTED_LANGUAGES)


# --- browsing ---------------------------------------------------------------------------------


@router.get("/practices")
def practices_page(
    request: Request,
    visit: SignedIn,
    q: Annotated[str, Query(max_length=200)] = "",
    theme: Annotated[str, Query(max_length=200)] = "",
    sdg: Annotated[str, Query(max_length=40)] = "",
    mechanism: Annotated[str, Query(max_length=200)] = "",
    lang: Annotated[str, Query(max_length=12)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Published practices, newest first, by words, theme, SDG target, mechanism, language."""
    language = page_language(request, visit)
    filters = {"q": q, "theme": theme, "sdg": sdg, "mechanism": mechanism, "lang": lang}
    wanted = practices.Search(
        text=q.strip(),
        theme=theme.strip(),
        sdg_target=sdg.strip(),
        mechanism=mechanism.strip(),
        language=lang.strip().lower(),
    )
    with work(request) as session:
        organiser = visit.organiser(session)
        problem: str | None = None
        try:
            if wanted.language:
                # Filtering by language reads every match anyway: take them once, then one page.
                everything = practices.search(session, wanted, limit=sys.maxsize)
                total, found = len(everything), everything[offset : offset + PAGE_SIZE]
            else:
                total = practices.count(session, wanted)
                found = practices.search(session, wanted, limit=PAGE_SIZE, offset=offset)
        except ConsultaError as refused:
            # A search that cannot be run (an SDG target that is none) says why, in the page.
            problem, total, found = refused.in_language(language), 0, []
        return render(
            request,
            "practices.html",
            visit=visit,
            section="practices",
            items=[_item(session, v, language) for v in found],
            total=total,
            offset=offset,
            page_size=PAGE_SIZE,
            filters=filters,
            query={k: v for k, v in filters.items() if v},
            problem=problem,
            themes=practices.themes(session),
            mechanisms=practices.mechanisms(session),
            text_languages=_languages_offered(wanted.language),
            drafts=len(practices.awaiting_review(session)) if may_review(organiser) else None,
        )


@router.get("/practices/review")
def practice_review_page(
    request: Request,
    visit: SignedIn,
    done: Annotated[str | None, Query(pattern="^(approved|rejected)$")] = None,
    practice: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Good practices' drafts waiting to be published or sent back."""
    return _review_page(request, visit, done=done, done_practice=practice)


@router.get("/practices/{practice_id}")
def practice_page(
    request: Request,
    practice_id: int,
    visit: SignedIn,
    lang: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """One practice in full: its texts, its recommendations and every version."""
    language = page_language(request, visit)
    with work(request) as session:
        try:
            found = practices.get(session, practice_id)
        except NotFound as missing:
            raise Refusal(404, N_("Not found"), missing) from None
        # Organisers also read what is not published yet: the latest version, then.
        shown = practices.current(found) or found.versions[-1]
        wanted = lang.strip().lower() or language
        item = _item(session, shown, wanted)
        latest = found.versions[-1]
        waiting = latest is not shown and latest.state is PracticeState.DRAFT
        return render(
            request,
            "practice.html",
            visit=visit,
            section="practices",
            item=item,
            wanted=wanted,
            text_languages=[shown.language, *item["translations"]],
            origin_url=found.origin_url,
            recommendations=_recommendations(session, shown, language),
            history=_history(found),
            waiting=latest.version if waiting else None,
            may_review=may_review(visit.organiser(session)),
        )


# --- review -----------------------------------------------------------------------------------


def _review_page(
    request: Request,
    visit: Visit,
    *,
    done: str | None = None,
    done_practice: int | None = None,
    problem: str | None = None,
    problem_practice: int | None = None,
    status: int = 200,
) -> HTMLResponse:
    language = page_language(request, visit)
    with work(request) as session:
        organiser = visit.organiser(session)
        _reviewer(organiser)
        waiting = []
        for draft in practices.awaiting_review(session):
            item = _item(session, draft, language)
            published = practices.current(draft.practice)
            item["replaces"] = published.version if published is not None else None
            waiting.append(item)
        return render(
            request,
            "practice_review.html",
            visit=visit,
            status=status,
            section="review",
            queue="practices",
            queues=review_queues(session, organiser),
            waiting=waiting,
            done=done,
            done_practice=done_practice,
            problem=problem,
            problem_practice=problem_practice,
        )


@router.post("/practices/review/{practice_id}/{decision}")
def review_practice(
    request: Request,
    practice_id: int,
    decision: Literal["approve", "reject"],
    visit: SignedIn,
    note: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Publish a practice's draft (its followers are told), or send it back with a note."""
    check_csrf(request, csrf_token)
    done = "approved" if decision == "approve" else "rejected"
    try:
        with work(request) as session:
            organiser = visit.organiser(session)
            _reviewer(organiser)
            if decision == "approve":
                practices.approve(session, organiser, practice_id, note=note.strip() or None)
            else:
                practices.reject(session, organiser, practice_id, note=note)
    except ConsultaError as problem:
        said = problem.in_language(page_language(request, visit))
        return _review_page(
            request,
            visit,
            problem=said,
            problem_practice=practice_id,
            status=problem_status(problem),
        )
    return see_other(f"{PREFIX}/practices/review?done={done}&practice={practice_id}")
