"""The dashboard's routes: sign-in, rounds and their results, recommendations, good practices
(bots.dashboard.practices), review, outbox, and the language links.

Each page opens one unit of work, reads through the same core functions as the API and the
command line, and commits before the response goes out, so the page after a form already
shows what the form changed.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from typing import Annotated, Any, BinaryIO, Literal, cast
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bots.dashboard import practices as practice_pages
from bots.dashboard import sessions
from bots.dashboard.results import round_page, round_summaries
from bots.dashboard.web import (
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_AGE,
    PREFIX,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    STYLESHEET,
    Alternatives,
    Refusal,
    SignInNeeded,
    Visit,
    check_csrf,
    clear_cookie,
    keys_of,
    page_language,
    problem_status,
    raise_csrf,
    render,
    safe_next,
    say,
    see_other,
    set_cookie,
    signed_in,
    token_refusal,
    work,
)
from core import (
    audit,
    exports,
    formatting,
    outbox,
    recommendations,
    report,
    rounds,
    timeline,
    tokens,
    updates,
)
from core.errors import ConsultaError, NotFound, PermissionDenied
from core.i18n import N_, SUPPORTED_LANGUAGES, direction
from core.models import ApiToken, utcnow
from core.permissions import Permission, require_of
from core.vocabulary import Mechanism, Position

router = APIRouter(prefix=PREFIX, include_in_schema=False)
router.include_router(practice_pages.router)
SignedIn = Annotated[Visit, Depends(signed_in)]
PAGE_SIZE = 25
# Files up to this size are built in memory, larger ones on disk, before they are sent.
SPOOL_IN_MEMORY = 8 * 1024 * 1024
DOWNLOAD_CHUNK = 64 * 1024


def _not_found(problem: NotFound) -> Refusal:
    return Refusal(404, N_("Not found"), problem)


# --- the stylesheet and the way in -------------------------------------------------------------


@router.get("/static/dashboard.css")
def stylesheet() -> Response:
    """The one stylesheet; the dashboard loads nothing else."""
    return Response(
        STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("")
@router.get("/")
def home() -> RedirectResponse:
    """The rounds, or the sign-in page first."""
    return see_other(f"{PREFIX}/rounds")


@router.get("/language/{code}")
def choose_language(request: Request, code: str, next: str | None = None) -> Response:
    """Speak this language on every dashboard page in this browser, and go back to the page."""
    if code not in SUPPORTED_LANGUAGES:
        raise Refusal(
            404,
            N_("Not found"),
            N_("The dashboard speaks {languages}; {code!r} is not one of them."),
            languages=[formatting.own_language_name(known) for known in SUPPORTED_LANGUAGES],
            code=code[:12],
        )
    response = see_other(safe_next(next))
    # Lax, not strict: the page a link from elsewhere opens is in the chosen language too.
    set_cookie(response, request, LANGUAGE_COOKIE, code, LANGUAGE_COOKIE_AGE, same_site="lax")
    return response


def _sign_in_page(
    request: Request, *, next_path: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    keys = keys_of(request)
    nonce = request.cookies.get(SIGN_IN_COOKIE) or sessions.new_nonce()
    response = render(
        request,
        "sign_in.html",
        visit=None,
        status=status,
        csrf=sessions.csrf_token(keys, nonce),
        next_path=next_path,
        error=error,
    )
    set_cookie(
        response,
        request,
        SIGN_IN_COOKIE,
        nonce,
        int(sessions.SIGN_IN_LIFETIME.total_seconds()),
    )
    return response


def _audit_session(session: Session, action: str, pseudonym: str, token_id: int) -> None:
    """A sign-in or sign-out in the audit log: who, and with which token (by id)."""
    audit.record(
        session,
        actor=pseudonym,
        action=action,
        subject_type="participant",
        subject_id=pseudonym,
        details={"token_id": token_id},
    )


@router.get("/sign-in")
def sign_in_form(request: Request, next: str | None = None) -> Response:
    """The sign-in form: an organiser's API token (or on, when already signed in)."""
    try:
        signed_in(request)
    except SignInNeeded:
        return _sign_in_page(request, next_path=safe_next(next))
    return see_other(safe_next(next))


@router.post("/sign-in")
def sign_in(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Open a session for a verified organiser's token."""
    keys = keys_of(request)
    if not sessions.csrf_matches(keys, request.cookies.get(SIGN_IN_COOKIE), csrf_token):
        raise_csrf()
    now = utcnow()
    plaintext = token.strip()
    with work(request) as session:
        found = (
            session.scalar(
                select(ApiToken).where(ApiToken.token_hash == tokens.hash_token(plaintext))
            )
            if plaintext
            else None
        )
        language = page_language(request)
        refusal = (
            (401, say(language, N_("Paste your API token.")))
            if not plaintext
            else token_refusal(found, now, language)
        )
        if refusal is not None:
            status, reason = refusal
            return _sign_in_page(request, next_path=safe_next(next), error=reason, status=status)
        assert found is not None
        claim = sessions.issue(keys, found.id, now)
        _audit_session(session, "dashboard.signed_in", found.participant.pseudonym, found.id)
    response = see_other(safe_next(next))
    set_cookie(
        response,
        request,
        SESSION_COOKIE,
        claim.value,
        int(sessions.SESSION_LIFETIME.total_seconds()),
    )
    clear_cookie(response, request, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
def sign_out(
    request: Request, visit: SignedIn, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    """End the session in this browser."""
    check_csrf(request, csrf_token)
    with work(request) as session:
        _audit_session(session, "dashboard.signed_out", visit.pseudonym, visit.token_id)
    response = see_other(f"{PREFIX}/sign-in")
    clear_cookie(response, request, SESSION_COOKIE)
    return response


# --- rounds -----------------------------------------------------------------------------------


@router.get("/rounds")
def rounds_page(request: Request, visit: SignedIn) -> Response:
    """Every round with its status, dates and response counts by channel and language."""
    with work(request) as session:
        return render(
            request,
            "rounds.html",
            visit=visit,
            section="rounds",
            rounds=round_summaries(session, page_language(request, visit)),
        )


@router.get("/rounds/{code}")
def round_results_page(
    request: Request,
    code: str,
    visit: SignedIn,
    lang: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    """A round's results: charts with their tables, breakdowns and implementation status."""
    with work(request) as session:
        try:
            context = round_page(session, code, lang, page_language(request, visit))
        except NotFound as missing:
            raise _not_found(missing) from None
        return render(request, "round.html", visit=visit, section="rounds", **context)


@router.get("/rounds/{code}/export.{fmt}")
def export_file(request: Request, code: str, fmt: str, visit: SignedIn) -> Response:
    """The round's aggregated results as CSV, XLSX or JSON, with the same counts hidden."""
    if fmt not in exports.FORMATS:
        raise Refusal(
            404,
            N_("Not found"),
            N_("Exports come as {formats}."),
            formats=Alternatives(exports.FORMATS),
        )

    def write(session: Session, found: str, out: BinaryIO) -> None:
        exports.record_export(session, found, fmt, raw=False, actor=visit.pseudonym)
        exports.export_round(session, found, fmt, out)

    found, spool = _spooled(request, visit, code, Permission.EXPORT, write)
    return _download(spool, exports.FORMATS[fmt], exports.file_name(found, fmt))


@router.get("/rounds/{code}/report.{fmt}")
def report_file(
    request: Request,
    code: str,
    fmt: str,
    visit: SignedIn,
    easy_read: Annotated[bool, Query()] = False,
) -> Response:
    """The round's report as a standalone HTML page or a Word document."""
    if fmt not in {f.value for f in report.ReportFormat}:
        raise Refusal(
            404,
            N_("Not found"),
            N_("Reports come as {formats}."),
            formats=Alternatives(f.value for f in report.ReportFormat),
        )
    chosen = report.ReportFormat(fmt)

    def write(session: Session, found: str, out: BinaryIO) -> None:
        report.write_report(session, found, chosen, out, easy_read=easy_read)

    # The report quotes participants as far as they allowed: for organisers only.
    found, spool = _spooled(request, visit, code, Permission.READ_PARTICIPANTS, write)
    name = report.report_filename(found, fmt, easy_read=easy_read)
    return _download(spool, report.MEDIA_TYPES[chosen], name)


def _spooled(
    request: Request,
    visit: Visit,
    code: str,
    permission: Permission,
    write: Callable[[Session, str, BinaryIO], None],
) -> tuple[str, BinaryIO]:
    """A round's file written in one unit of work to a spool: in memory, or on disk if large.

    The unit of work ends before the download starts, so a slow client holds no transaction
    (on SQLite, that would be the write lock).
    """
    with contextlib.ExitStack() as cleanup:
        spool = cleanup.enter_context(tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY))
        with work(request) as session:
            found = _round_for(session, visit, code, permission)
            write(session, found, cast(BinaryIO, spool))
        cleanup.pop_all()
        return found, cast(BinaryIO, spool)


def _round_for(session: Session, visit: Visit, code: str, permission: Permission) -> str:
    """The round's code as stored, once the organiser may have its files."""
    try:
        require_of(visit.organiser(session), permission)
        return rounds.find_round(session, code).code
    except PermissionDenied as refused:
        raise Refusal(403, N_("Not allowed"), refused) from None
    except NotFound as missing:
        raise _not_found(missing) from None


def _download(spool: BinaryIO, media_type: str, name: str) -> Response:
    """A file written to a spool, sent in chunks as an attachment, the spool closed after."""
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while chunk := spool.read(DOWNLOAD_CHUNK):
                yield chunk

    # The code may hold letters beyond ASCII: a plain fallback name and the UTF-8 one.
    plain = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"
    return StreamingResponse(
        chunks(), media_type=media_type, headers={"Content-Disposition": disposition}
    )


# --- recommendations --------------------------------------------------------------------------


@router.get("/recommendations")
def recommendations_page(
    request: Request,
    visit: SignedIn,
    q: Annotated[str, Query(max_length=200)] = "",
    theme: Annotated[str, Query(max_length=200)] = "",
    mechanism: Annotated[str, Query(max_length=40)] = "",
    position: Annotated[str, Query(max_length=40)] = "",
    cluster: Annotated[str, Query(max_length=200)] = "",
    lang: Annotated[str, Query(max_length=12)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Search recommendations by words, theme, mechanism, position and cluster."""
    language = lang if lang in SUPPORTED_LANGUAGES else ""
    spec = recommendations.RecommendationFilter(
        text=q.strip() or None,
        theme=theme.strip() or None,
        mechanism=Mechanism(mechanism) if mechanism in {m.value for m in Mechanism} else None,
        position=Position(position) if position in {p.value for p in Position} else None,
        cluster=cluster.strip() or None,
    )
    filters = {
        "q": q,
        "theme": theme,
        "mechanism": mechanism,
        "position": position,
        "cluster": cluster,
        "lang": language,
    }
    with work(request) as session:
        page = recommendations.search(session, spec, limit=PAGE_SIZE, offset=offset)
        items = [_recommendation_item(r, language) for r in page.items]
        return render(
            request,
            "recommendations.html",
            visit=visit,
            section="recommendations",
            items=items,
            total=page.total,
            offset=offset,
            page_size=PAGE_SIZE,
            filters=filters,
            query={k: v for k, v in filters.items() if v},
            mechanisms=[m.value for m in Mechanism],
            positions=[p.value for p in Position],
        )


def _recommendation_item(recommendation: Any, language: str) -> dict[str, Any]:
    data = recommendations.describe(recommendation)
    wanted = language or recommendation.language
    shown = wanted if wanted in data["translations"] or wanted == recommendation.language else None
    data["shown_language"] = shown or recommendation.language
    data["shown_text"] = recommendation.text_in(data["shown_language"])
    data["shown_dir"] = direction(data["shown_language"])
    return data


@router.get("/recommendations/{recommendation_id}")
def recommendation_page(
    request: Request,
    recommendation_id: int,
    visit: SignedIn,
    lang: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """One recommendation with its history: updates, assessments and round results."""
    language = lang if lang in SUPPORTED_LANGUAGES else ""
    with work(request) as session:
        try:
            found = recommendations.get(session, recommendation_id)
            events = timeline.timeline(session, recommendation_id, visit.organiser(session))
        except NotFound as missing:
            raise _not_found(missing) from None
        item = _recommendation_item(found, language)
        return render(
            request,
            "recommendation.html",
            visit=visit,
            section="recommendations",
            item=item,
            events=events,
            text_languages=[found.language, *sorted(item["translations"])],
        )


# --- review -----------------------------------------------------------------------------------


def _review_page(
    request: Request,
    visit: Visit,
    *,
    done: str | None = None,
    done_update: int | None = None,
    problem: str | None = None,
    problem_update: int | None = None,
    status: int = 200,
) -> HTMLResponse:
    with work(request) as session:
        organiser = visit.organiser(session)
        waiting = [updates.describe(v, organiser) for v in updates.awaiting_review(session)]
        return render(
            request,
            "review.html",
            visit=visit,
            status=status,
            section="review",
            queue="updates",
            queues=practice_pages.review_queues(session, organiser),
            waiting=waiting,
            done=done,
            done_update=done_update,
            problem=problem,
            problem_update=problem_update,
        )


@router.get("/review")
def review_page(
    request: Request,
    visit: SignedIn,
    done: Annotated[str | None, Query(pattern="^(approved|rejected)$")] = None,
    update: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Government updates waiting to be published or sent back."""
    return _review_page(request, visit, done=done, done_update=update)


@router.post("/review/{update_id}/{decision}")
def review(
    request: Request,
    update_id: int,
    decision: Literal["approve", "reject"],
    visit: SignedIn,
    note: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Publish a draft (its followers are told), or send it back with a note saying why."""
    check_csrf(request, csrf_token)
    done = "approved" if decision == "approve" else "rejected"
    try:
        with work(request) as session:
            organiser = visit.organiser(session)
            if decision == "approve":
                updates.approve(session, organiser, update_id, note=note.strip() or None)
            else:
                updates.reject(session, organiser, update_id, note=note)
    except ConsultaError as problem:
        said = problem.in_language(page_language(request, visit))
        return _review_page(
            request,
            visit,
            problem=said,
            problem_update=update_id,
            status=problem_status(problem),
        )
    return see_other(f"{PREFIX}/review?done={done}&update={update_id}")


# --- outbox -----------------------------------------------------------------------------------


@router.get("/outbox")
def outbox_page(request: Request, visit: SignedIn) -> Response:
    """Messages by state, waiting and given up on, per platform: never content or recipients."""
    with work(request) as session:
        dead = [
            {
                "id": row.id,
                "platform": row.platform.value,
                "attempts": row.attempts,
                "last_error": row.last_error,
                "created_at": row.created_at,
            }
            for row in outbox.dead_letters(session, 100)
        ]
        return render(
            request,
            "outbox.html",
            visit=visit,
            section="outbox",
            counts=outbox.status_counts(session),
            # The same figures /metrics serves, from the same query.
            waiting=outbox.waiting_by_platform(session),
            dead=dead,
        )
