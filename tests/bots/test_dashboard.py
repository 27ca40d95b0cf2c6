"""The organiser dashboard as a browser meets it over HTTP: sign-in, sessions, forms, pages."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from bots.api.app import create_app
from core import formatting, people, rounds, tokens, updates
from core import outbox as outbox_store
from core.config import Settings
from core.demo import load_demo
from core.i18n import SUPPORTED_LANGUAGES, translate
from core.messages import OutboundMessage
from core.models import AuditEntry, OutboxStatus, Recommendation, UpdateState, utcnow
from core.vocabulary import Platform, Role
from tests.conftest import PSEUDONYM_KEY
from tests.fakes.catalogs import missing_in, recording_missing_messages
from tests.fakes.demo_answers import Answers, answer_demo_round

SECRET = "dashboard-test-secret-key-0123456789"
SESSION = "consulta_dashboard"
SIGN_IN_NONCE = "consulta_dashboard_sign_in"
LANGUAGE = "consulta_lang"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token(database, role=Role.ORGANISER, **options):
    """A participant with the role and a token acting for them; returns (plaintext, token id)."""
    with database.unit_of_work() as session:
        owner = people.add_participant(session, pseudonym_key=PSEUDONYM_KEY, role=role)
        token, plaintext = tokens.create_token(session, participant=owner, role=role, **options)
        return plaintext, token.id


@pytest.fixture
def demo(database):
    load_demo(database, PSEUDONYM_KEY)
    return database


@pytest.fixture
def app(demo):
    return create_app(Settings(database_url=demo.url, secret_key=SECRET), database=demo)


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def organiser(demo):
    return _token(demo)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def sign_in(client, plaintext, next_path="/dashboard/rounds"):
    form = client.get("/dashboard/sign-in")
    assert form.status_code == 200
    return client.post(
        "/dashboard/sign-in",
        data={"token": plaintext, "csrf_token": csrf_of(form.text), "next": next_path},
        follow_redirects=False,
    )


def set_cookies(response, name):
    return [v for v in response.headers.get_list("set-cookie") if v.startswith(f"{name}=")]


@pytest.fixture
def signed_in(client, organiser):
    assert sign_in(client, organiser[0]).status_code == 303
    return client


def _draft_id(database):
    with database.unit_of_work() as session:
        (waiting,) = updates.awaiting_review(session)
        return waiting.update_id


# --- signing in -------------------------------------------------------------------------------


def test_pages_send_a_browser_without_a_session_to_sign_in(client):
    response = client.get("/dashboard/rounds/ARC2027", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/sign-in?next=%2Fdashboard%2Frounds%2FARC2027"
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == (
        "/dashboard/rounds"
    )
    # A form sent without a session cannot be replayed after sign-in: back to the rounds.
    form = client.post("/dashboard/review/1/approve", follow_redirects=False)
    assert form.headers["location"] == "/dashboard/sign-in?next=%2Fdashboard%2Frounds"


def test_an_organiser_signs_in_with_a_token_and_lands_where_they_were_going(
    client, demo, organiser
):
    plaintext, token_id = organiser
    response = sign_in(client, plaintext, next_path="/dashboard/rounds/ARC2027")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/rounds/ARC2027"
    (cookie,) = set_cookies(response, SESSION)
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/dashboard" in flags
    # Served over plain HTTP (a development server), the cookie cannot be marked Secure.
    assert "secure" not in flags
    # The cookie names the token by id and never carries the token itself.
    assert plaintext not in cookie and cookie.split("=", 1)[1].startswith(f"{token_id}.")
    page = client.get("/dashboard/rounds/ARC2027")
    assert page.status_code == 200
    assert "Mid-term consultation on Arcadia" in page.text
    # Signed in, the sign-in page sends the browser on.
    again = client.get("/dashboard/sign-in", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/dashboard/rounds"
    with demo.unit_of_work() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "dashboard.signed_in")
        ).one()
        assert entry.details == {"token_id": token_id}


def test_cookies_are_secure_when_the_dashboard_is_served_over_https(app, organiser):
    with TestClient(app, base_url="https://testserver") as client:
        form = client.get("/dashboard/sign-in")
        assert "Secure" in set_cookies(form, SIGN_IN_NONCE)[0]
        response = sign_in(client, organiser[0])
        (cookie,) = set_cookies(response, SESSION)
        assert "Secure" in [part.strip() for part in cookie.split(";")]
        assert client.get("/dashboard/rounds").status_code == 200


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        ("civil_society", 403, "for organisers"),
        ("government", 403, "for organisers"),
        ("unverified organiser", 403, "not verified"),
        ("revoked", 401, "revoked"),
        ("expired", 401, "expired"),
        ("unknown", 401, "unknown"),
    ],
)
def test_only_a_verified_organisers_live_token_signs_in(client, demo, kind, status, reason):
    if kind in ("civil_society", "government"):
        plaintext, _ = _token(demo, Role(kind))
    elif kind == "expired":
        plaintext, _ = _token(demo, expires_in_days=1, now=utcnow() - timedelta(days=2))
    elif kind == "unknown":
        plaintext = "cst_" + "x" * 43
    else:
        plaintext, token_id = _token(demo)
        with demo.unit_of_work() as session:
            if kind == "revoked":
                tokens.revoke_token(session, token_id)
            else:
                session.get(tokens.ApiToken, token_id).participant.verified_at = None
    response = sign_in(client, plaintext)
    assert response.status_code == status
    assert reason in response.text
    assert not set_cookies(response, SESSION)
    assert client.get("/dashboard/rounds", follow_redirects=False).status_code == 303


def test_revoking_the_token_ends_its_open_sessions(signed_in, demo, organiser):
    assert signed_in.get("/dashboard/review").status_code == 200
    with demo.unit_of_work() as session:
        tokens.revoke_token(session, organiser[1])
    response = signed_in.get("/dashboard/review", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/dashboard/sign-in")


def test_a_cookie_that_was_altered_or_signed_with_another_key_is_no_session(app, demo, organiser):
    with TestClient(app) as client:
        value = set_cookies(sign_in(client, organiser[0]), SESSION)[0]
    value = value.split(";")[0].split("=", 1)[1]
    _, another_token = _token(demo)
    token_id, expires, nonce, signature = value.split(".")
    forgeries = [
        ".".join([str(another_token), expires, nonce, signature]),
        ".".join([token_id, str(int(expires) + 86400), nonce, signature]),
        "garbage",
        value + "x",
    ]
    other_key = create_app(
        Settings(database_url=demo.url, secret_key="another-key-entirely-0123456789"),
        database=demo,
    )
    with TestClient(app) as client, TestClient(other_key) as elsewhere:
        for forged in forgeries:
            response = client.get(
                "/dashboard/rounds",
                headers={"Cookie": f"{SESSION}={forged}"},
                follow_redirects=False,
            )
            assert response.status_code == 303, forged
        assert client.get("/dashboard/rounds", headers={"Cookie": f"{SESSION}={value}"}).is_success
        response = elsewhere.get(
            "/dashboard/rounds", headers={"Cookie": f"{SESSION}={value}"}, follow_redirects=False
        )
        assert response.status_code == 303


def test_after_sign_in_the_browser_goes_only_to_dashboard_pages(client, organiser):
    for target in ("https://elsewhere.example/", "//elsewhere.example/dashboard/", "/docs"):
        client.cookies.clear()
        response = sign_in(client, organiser[0], next_path=target)
        assert response.headers["location"] == "/dashboard/rounds", target


def test_signing_out_ends_the_session_in_this_browser(signed_in, demo):
    page = signed_in.get("/dashboard/rounds")
    response = signed_in.post(
        "/dashboard/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/sign-in"
    assert "Max-Age=0" in set_cookies(response, SESSION)[0]
    assert signed_in.get("/dashboard/rounds", follow_redirects=False).status_code == 303
    with demo.unit_of_work() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"dashboard.signed_in", "dashboard.signed_out"} <= actions


def test_without_a_secret_key_the_dashboard_says_how_to_set_one(demo):
    app = create_app(Settings(database_url=demo.url), database=demo)
    with TestClient(app) as client:
        response = client.get("/dashboard/sign-in")
    assert response.status_code == 503
    assert "CONSULTA_SECRET_KEY" in response.text


# --- CSRF -------------------------------------------------------------------------------------


def test_forms_without_the_sessions_csrf_token_are_refused_and_change_nothing(app, signed_in, demo):
    draft = _draft_id(demo)
    missing = signed_in.post(f"/dashboard/review/{draft}/approve", data={"note": "fine"})
    assert missing.status_code == 403
    assert "CSRF" in missing.text and "Nothing was changed" in missing.text
    # A token from another organiser's session does not fit this one.
    with TestClient(app) as other:
        assert sign_in(other, _token(demo)[0]).status_code == 303
        foreign = csrf_of(other.get("/dashboard/review").text)
    wrong = signed_in.post(
        f"/dashboard/review/{draft}/reject", data={"note": "no", "csrf_token": foreign}
    )
    assert wrong.status_code == 403
    assert signed_in.post("/dashboard/sign-out", data={}).status_code == 403
    assert signed_in.get("/dashboard/rounds").status_code == 200
    assert _draft_id(demo) == draft


def test_the_sign_in_form_needs_its_csrf_token_too(client, organiser):
    client.get("/dashboard/sign-in")
    response = client.post(
        "/dashboard/sign-in", data={"token": organiser[0], "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert not set_cookies(response, SESSION)


# --- review -----------------------------------------------------------------------------------


def test_an_organiser_approves_a_draft_through_the_review_form(signed_in, demo):
    draft = _draft_id(demo)
    page = signed_in.get("/dashboard/review")
    assert f'action="/dashboard/review/{draft}/approve"' in page.text
    assert "alternatives to pre-trial detention" in page.text
    response = signed_in.post(
        f"/dashboard/review/{draft}/approve",
        data={"note": "Checked with the ministry", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/dashboard/review?done=approved&update={draft}"
    after = signed_in.get(response.headers["location"])
    assert f"Update {draft} was approved and published" in after.text
    assert "No update is waiting for review." in after.text
    with demo.unit_of_work() as session:
        latest = updates.get_update(session, draft).versions[-1]
        assert latest.state is UpdateState.PUBLISHED
        assert latest.review_note == "Checked with the ministry"
        assert updates.awaiting_review(session) == []


def test_sending_a_draft_back_needs_a_note(signed_in, demo):
    draft = _draft_id(demo)
    csrf = csrf_of(signed_in.get("/dashboard/review").text)
    refused = signed_in.post(
        f"/dashboard/review/{draft}/reject", data={"note": "  ", "csrf_token": csrf}
    )
    assert refused.status_code == 422
    assert "say why the draft is sent back" in refused.text
    assert _draft_id(demo) == draft
    response = signed_in.post(
        f"/dashboard/review/{draft}/reject",
        data={"note": "Give the decree's number", "csrf_token": csrf},
    )
    assert response.status_code == 200 and f"Update {draft} was sent back" in response.text
    with demo.unit_of_work() as session:
        assert updates.get_update(session, draft).versions[-1].state is UpdateState.REJECTED


# --- outbox -----------------------------------------------------------------------------------


def test_dead_letters_show_neither_content_nor_recipient(signed_in, demo):
    with demo.unit_of_work() as session:
        row = outbox_store.enqueue_to(
            session,
            Platform.TELEGRAM,
            "chat-4471920388",
            OutboundMessage(text="Your private reminder about round ARC2027"),
        )
        row.status, row.attempts, row.last_error = OutboxStatus.DEAD, 8, "HTTP 502"
        dead_id = row.id
    page = signed_in.get("/dashboard/outbox")
    assert page.status_code == 200
    assert f'<th scope="row" class="num">{dead_id}</th>' in page.text
    assert "telegram" in page.text and "HTTP 502" in page.text
    assert "4471920388" not in page.text
    assert "private reminder" not in page.text


# --- rounds and results -----------------------------------------------------------------------


@pytest.fixture
def answered(demo):
    """Ten people answered the demo round: five over the web, five in the terminal."""
    people_ = [
        Answers(
            involved="yes" if n < 5 else "no",
            platform=Platform.WEB if n % 2 else Platform.TERMINAL,
        )
        for n in range(10)
    ]
    answer_demo_round(demo, PSEUDONYM_KEY, people_)
    return demo


def test_the_rounds_page_shows_live_response_counts_by_channel_and_language(signed_in, answered):
    page = signed_in.get("/dashboard/rounds")
    assert page.status_code == 200
    text = page.text
    assert "ARC2027" in text and "open" in text
    assert "by channel" in text and "by language" in text
    rows = _table_rows(text)
    assert ["web", "5", "5", "100%"] in rows and ["terminal", "5", "5", "100%"] in rows
    assert ["en", "10", "10", "100%"] in rows


def test_a_rounds_results_draw_each_question_as_a_chart_beside_its_table(signed_in, answered):
    page = signed_in.get("/dashboard/rounds/ARC2027")
    assert page.status_code == 200
    text = page.text
    question = _section(text, "t-involved")
    assert '<svg role="img"' in question and "<rect" in question
    assert "<caption>" in question and 'scope="col"' in question and 'scope="row"' in question
    assert ["Yes", "5", "50%"] in _table_rows(question)
    assert ["No", "5", "50%"] in _table_rows(question)
    # Where everyone gave the same answer, the others are fewer than k and shown as <5.
    organisations = _section(text, "t-org_type")
    assert ["Trade union", "<5", "—"] in _table_rows(organisations)
    assert "by channel" in question
    assert "Implementation status by recommendation" in text
    for fmt in ("csv", "xlsx", "json"):
        assert f'href="/dashboard/rounds/ARC2027/export.{fmt}"' in text
    for fmt in ("html", "docx"):
        assert f'href="/dashboard/rounds/ARC2027/report.{fmt}"' in text


def test_arabic_results_are_marked_as_arabic_and_right_to_left(signed_in, answered):
    with answered.unit_of_work() as session:
        consultation = rounds.find_round(session, "ARC2027")
        consultation.languages = [*consultation.languages, "ar"]
    english = _section(signed_in.get("/dashboard/rounds/ARC2027").text, "t-involved")
    assert '<h3 id="t-involved" lang="en" dir="ltr">' in english
    arabic = _section(signed_in.get("/dashboard/rounds/ARC2027?lang=ar").text, "t-involved")
    assert '<h3 id="t-involved" lang="ar" dir="rtl">هل شاركتم في متابعة' in arabic
    assert 'direction="rtl" lang="ar"' in arabic
    # The page around it stays English, and says so.
    assert signed_in.get("/dashboard/rounds/ARC2027?lang=ar").text.startswith(
        '<!doctype html>\n<html lang="en" dir="ltr">'
    )


def test_exports_and_reports_download_from_the_dashboard(signed_in, answered):
    csv_file = signed_in.get("/dashboard/rounds/ARC2027/export.csv")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert 'filename="ARC2027-results.csv"' in csv_file.headers["content-disposition"]
    assert "involved" in csv_file.text
    data = json.loads(signed_in.get("/dashboard/rounds/ARC2027/export.json").content)
    assert data
    book = load_workbook(io.BytesIO(signed_in.get("/dashboard/rounds/ARC2027/export.xlsx").content))
    assert book.sheetnames
    html_report = signed_in.get("/dashboard/rounds/ARC2027/report.html")
    assert (
        html_report.status_code == 200
        and "attachment" in html_report.headers["content-disposition"]
    )
    assert "Arcadia" in html_report.text
    docx = signed_in.get("/dashboard/rounds/ARC2027/report.docx")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    assert signed_in.get("/dashboard/rounds/ARC2027/export.pdf").status_code == 404
    assert signed_in.get("/dashboard/rounds/NOPE/export.csv").status_code == 404
    with answered.unit_of_work() as session:
        exported = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "round.exported")
        ).all()
        assert sorted(e.details["format"] for e in exported) == ["csv", "json", "xlsx"]


def test_downloads_need_a_session(client):
    response = client.get("/dashboard/rounds/ARC2027/export.csv", follow_redirects=False)
    assert response.status_code == 303


# --- recommendations --------------------------------------------------------------------------


def test_recommendations_are_searched_and_one_shows_its_timeline(signed_in, demo):
    found = signed_in.get("/dashboard/recommendations", params={"q": "birth certificates"})
    assert found.status_code == 200
    links = re.findall(r'href="/dashboard/recommendations/(\d+)"', found.text)
    assert links
    with demo.unit_of_work() as session:
        approved = next(
            u
            for u in updates.list_updates(session, None)
            if u["kind"] == "progress" and u["state"] == "published"
        )
    target = approved["recommendation_ids"][0]
    page = signed_in.get(f"/dashboard/recommendations/{target}")
    assert page.status_code == 200
    assert "Mobile civil registry units" in page.text
    assert "Timeline" in page.text
    assert signed_in.get("/dashboard/recommendations/999999").status_code == 404


# --- the dashboard's language -----------------------------------------------------------------


def _speaking(database, language=None, timezone=None):
    """An organiser with their own language (and zone), and a token; returns the plaintext."""
    with database.unit_of_work() as session:
        owner = people.add_participant(
            session, pseudonym_key=PSEUDONYM_KEY, role=Role.ORGANISER, language=language
        )
        owner.timezone = timezone
        _, plaintext = tokens.create_token(session, participant=owner, role=Role.ORGANISER)
        return plaintext


def _said(language, message):
    """A message as a page shows it: in the language, escaped as the templates escape it."""
    return str(escape(translate(language, message)))


def _html_tag(page):
    return re.search(r"<html [^>]*>", page.text).group(0)


def test_an_arabic_speaking_organiser_gets_the_dashboard_in_arabic_right_to_left(client, demo):
    assert sign_in(client, _speaking(demo, "ar")).status_code == 303
    page = client.get("/dashboard/rounds")
    assert page.text.startswith('<!doctype html>\n<html lang="ar" dir="rtl">')
    assert f"<h1>{_said('ar', 'Rounds')}</h1>" in page.text
    assert f">{_said('ar', 'Sign out')}</button>" in page.text
    assert f'aria-current="page">{_said("ar", "Rounds")}</a>' in page.text
    # The round's own content keeps its language and direction inside the Arabic page.
    results = client.get("/dashboard/rounds/ARC2027")
    assert _html_tag(results) == '<html lang="ar" dir="rtl">'
    assert '<h3 id="t-involved" lang="en" dir="ltr">' in results.text
    assert f'<h2 id="answers">{_said("ar", "Answers")}</h2>' in results.text
    # A refusal speaks the organiser's language too.
    missing = client.get("/dashboard/rounds/NOPE")
    assert missing.status_code == 404
    assert _html_tag(missing) == '<html lang="ar" dir="rtl">'
    assert f"<h1>{_said('ar', 'Not found')}</h1>" in missing.text


def test_dates_and_numbers_are_written_as_the_pages_language_writes_them(client, answered):
    assert sign_in(client, _speaking(answered, "fr", "Africa/Nairobi")).status_code == 303
    with answered.unit_of_work() as session:
        consultation = rounds.find_round(session, "ARC2027")
        opens, zone = consultation.opens_at, consultation.timezone
    assert zone != "Africa/Nairobi"
    page = client.get("/dashboard/rounds").text
    # The round's opening in its own zone, named; the rate as French writes a percentage.
    assert str(escape(formatting.moment(opens, "fr", zone))) in page
    assert formatting.percent(1, "fr") == "100\xa0%"
    assert f'<td class="num">{formatting.percent(1, "fr")}</td>' in page
    assert ["web", "5", "5", "100 %"] in _table_rows(page)
    # Times that belong to no round are read in the organiser's own zone.
    with answered.unit_of_work() as session:
        row = outbox_store.enqueue_to(
            session, Platform.TELEGRAM, "chat-1", OutboundMessage(text="Reminder")
        )
        row.status = OutboxStatus.DEAD
        queued = row.created_at
    outbox = client.get("/dashboard/outbox").text
    assert str(escape(formatting.moment(queued, "fr", "Africa/Nairobi"))) in outbox


def test_the_language_links_work_without_scripts_and_outrank_the_organisers_language(client, demo):
    assert sign_in(client, _speaking(demo, "ar")).status_code == 303
    page = client.get("/dashboard/review")
    links = dict(re.findall(r'<a href="(/dashboard/language/[^"]+)" lang="(\w+)"', page.text))
    links = {language: href.replace("&amp;", "&") for href, language in links.items()}
    assert sorted(links) == sorted(SUPPORTED_LANGUAGES)
    # A plain link: the answer sets the cookie and sends the browser back to the same page.
    chosen = client.get(links["fr"], follow_redirects=False)
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/dashboard/review"
    (cookie,) = set_cookies(chosen, LANGUAGE)
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert cookie.startswith(f"{LANGUAGE}=fr;") and "path=/dashboard" in flags
    # The choice outranks both the organiser's own language and the browser's.
    again = client.get("/dashboard/review", headers={"Accept-Language": "ru"})
    assert _html_tag(again) == '<html lang="fr" dir="ltr">'
    assert f"<h1>{_said('fr', 'Updates awaiting review')}</h1>" in again.text
    assert 'lang="fr" hreflang="fr" aria-current="true"' in again.text
    # Only Consulta's languages, and only back to a dashboard page.
    unknown = client.get("/dashboard/language/xx", follow_redirects=False)
    assert unknown.status_code == 404 and "xx" in unknown.text
    assert not set_cookies(unknown, LANGUAGE)
    away = client.get(
        "/dashboard/language/en",
        params={"next": "https://elsewhere.example/"},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/dashboard/rounds"


def test_the_browsers_accept_language_is_honoured_when_nothing_else_says(client, demo):
    sign_in_page = client.get("/dashboard/sign-in", headers={"Accept-Language": "ar-EG,ar;q=0.9"})
    assert _html_tag(sign_in_page) == '<html lang="ar" dir="rtl">'
    assert f"<h1>{_said('ar', 'Sign in')}</h1>" in sign_in_page.text
    assert sign_in(client, _speaking(demo)).status_code == 303
    for header, expected in [
        ("ru-RU,ru;q=0.9,en;q=0.5", "ru"),
        ("de-DE, fr;q=0.8, es;q=0.9", "es"),
        ("es;q=0, zh-Hans;q=0.4", "zh"),
        ("de, pt-BR", "en"),
        ("", "en"),
    ]:
        page = client.get("/dashboard/outbox", headers={"Accept-Language": header})
        assert _html_tag(page) == f'<html lang="{expected}" dir="ltr">', header
        assert f"<h1>{_said(expected, 'Outbox')}</h1>" in page.text


def test_the_organisers_own_language_outranks_the_browsers(client, demo):
    assert sign_in(client, _speaking(demo, "zh")).status_code == 303
    page = client.get("/dashboard/rounds", headers={"Accept-Language": "ar"})
    assert _html_tag(page) == '<html lang="zh" dir="ltr">'


def test_an_arabic_report_downloads_right_to_left(signed_in, demo):
    with demo.unit_of_work() as session:
        consultation = rounds.find_round(session, "ARC2027")
        consultation.languages = ["ar", *consultation.languages]
        consultation.default_language = "ar"
    report = signed_in.get("/dashboard/rounds/ARC2027/report.html")
    assert report.status_code == 200
    assert report.text.startswith('<!DOCTYPE html>\n<html lang="ar" dir="rtl">')
    assert f'<h2 id="about">{_said("ar", "About this report")}</h2>' in report.text


# --- nothing from elsewhere -------------------------------------------------------------------


class _Links(HTMLParser):
    """Every address an element would load or go to, and every script."""

    ATTRIBUTES = frozenset({"src", "href", "action", "formaction", "poster", "data", "srcset"})

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name in self.ATTRIBUTES and value is not None:
                self.addresses.append(value)
            if name == "style" or name.startswith("on"):
                raise AssertionError(f"inline {name} on <{tag}>")


def test_no_page_loads_anything_from_another_origin(signed_in, answered):
    draft_page = signed_in.get("/dashboard/review").text
    assert "alternatives to pre-trial detention" in draft_page
    pages = [
        "/dashboard/rounds",
        "/dashboard/rounds/ARC2027",
        "/dashboard/recommendations?q=birth",
        "/dashboard/recommendations/1",
        "/dashboard/review",
        "/dashboard/outbox",
    ]
    for path in pages:
        response = signed_in.get(path)
        assert response.status_code == 200, path
        assert "default-src 'none'" in response.headers["content-security-policy"]
        links = _Links()
        links.feed(response.text)
        assert links.scripts == 0, path
        for address in links.addresses:
            parts = urlsplit(address)
            assert not parts.scheme and not parts.netloc, f"{path} points at {address}"
    css = signed_in.get("/dashboard/static/dashboard.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "url(" not in css.text and "@import" not in css.text


def test_the_sign_in_page_loads_nothing_from_elsewhere(client):
    links = _Links()
    links.feed(client.get("/dashboard/sign-in").text)
    assert links.addresses and links.scripts == 0
    assert all(not urlsplit(a).scheme and not urlsplit(a).netloc for a in links.addresses)


# --- helpers ----------------------------------------------------------------------------------


def _section(html: str, anchor: str) -> str:
    """The question section whose heading has this id, up to the next question."""
    start = html.index(f'<section class="question" aria-labelledby="{anchor}">')
    end = html.find('<section class="question"', start + 1)
    return html[start : end if end != -1 else len(html)]


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table_rows(html: str) -> list[list[str]]:
    parser = _Rows()
    parser.feed(html)
    return parser.rows


@pytest.mark.parametrize("language", ["fr", "es", "ar", "ru", "zh"])
def test_every_page_finds_all_its_words_in_the_catalog(client, demo, language):
    assert sign_in(client, _speaking(demo, language)).status_code == 303
    with demo.unit_of_work() as session:
        first = session.scalars(select(Recommendation.id).order_by(Recommendation.id)).first()
    pages = [
        "/dashboard/rounds",
        "/dashboard/rounds/ARC2027",
        "/dashboard/recommendations",
        f"/dashboard/recommendations/{first}",
        "/dashboard/review",
        "/dashboard/outbox",
        "/dashboard/rounds/NOPE",
    ]
    with recording_missing_messages() as recorders:
        for page in pages:
            shown = client.get(page)
            assert shown.status_code in (200, 404), page
            assert f'lang="{language}"' in shown.text
        for fmt in ("html", "docx"):
            assert client.get(f"/dashboard/rounds/ARC2027/report.{fmt}").status_code == 200
    assert missing_in(recorders) == {}
