"""Good practices on the organiser dashboard: browsing, searching, one in full, and review."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from bots.api.app import create_app
from core import formatting, people, practice_exchange, practices, tokens
from core.config import Settings
from core.demo import RECOMMENDATIONS, load_demo
from core.i18n import translate
from core.importing.readers import ImportFormat
from core.importing.service import ImportOptions, import_recommendations
from core.models import Participant, PracticeState, Recommendation, utcnow
from core.practices import PracticeDraft
from core.vocabulary import OrganisationType, Role
from tests.bots.test_dashboard import SECRET, _Links, _token, csrf_of, set_cookies, sign_in
from tests.conftest import PSEUDONYM_KEY
from tests.fakes.catalogs import missing_in, recording_missing_messages

SESSION = "consulta_dashboard"
EVIL = '<script>alert("x")</script>'
ESCAPED = str(escape(EVIL))
# Typed into a search box, these mean something to SQL, LIKE or a regular expression.
METACHARACTERS = ["%", "_", "' OR 1=1 --", ".*", "[a-"]


@pytest.fixture
def deployment(database):
    """A deployment holding the demo's recommendations, and no good practice yet."""
    import_recommendations(
        database, RECOMMENDATIONS, ImportOptions(format=ImportFormat.UHRI, actor="test")
    )
    return database


@pytest.fixture
def app(deployment):
    return create_app(Settings(database_url=deployment.url, secret_key=SECRET), database=deployment)


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def signed_in(client, deployment):
    assert sign_in(client, _token(deployment)[0]).status_code == 303
    return client


@pytest.fixture
def writer(deployment):
    """A government focal point of the Ministry of Justice, who writes practices; their id."""
    with deployment.unit_of_work() as session:
        people.add_organisation(
            session, name="Ministry of Justice", type=OrganisationType.GOVERNMENT
        )
        author = people.add_participant(
            session,
            pseudonym_key=PSEUDONYM_KEY,
            role=Role.GOVERNMENT,
            organisation="Ministry of Justice",
        )
        return author.id


@pytest.fixture
def reviewer(deployment):
    """An organiser who reviews practices outside the dashboard, to set the scene; their id."""
    with deployment.unit_of_work() as session:
        return people.add_participant(session, pseudonym_key=PSEUDONYM_KEY, role=Role.ORGANISER).id


def _write(database, author_id, *, days_ago=0, **fields) -> int:
    """A draft practice by the author, written days ago; returns the practice's number."""
    fields.setdefault("summary", f"How {fields['title']} came about.")
    with database.unit_of_work() as session:
        author = session.get(Participant, author_id)
        version = practices.submit(
            session, author, PracticeDraft(**fields), now=utcnow() - timedelta(days=days_ago)
        )
        return version.practice_id


def _approve(database, reviewer_id, practice_id, *, days_ago=0, note=None) -> None:
    with database.unit_of_work() as session:
        practices.approve(
            session,
            session.get(Participant, reviewer_id),
            practice_id,
            note=note,
            now=utcnow() - timedelta(days=days_ago),
        )


def _publish(database, author_id, reviewer_id, *, days_ago=0, **fields) -> int:
    """A practice written and approved days ago; returns its number."""
    practice_id = _write(database, author_id, days_ago=days_ago, **fields)
    _approve(database, reviewer_id, practice_id, days_ago=days_ago)
    return practice_id


def _import(database, *, title, origin="Consulta Borduria", days_ago=5, **extra) -> int:
    """A practice published elsewhere days ago, imported from that deployment's exchange file."""
    published_at = (utcnow() - timedelta(days=days_ago)).isoformat(timespec="seconds")
    document = {
        "format": "consulta-practices",
        "format_version": 1,
        "exported_at": utcnow().isoformat(timespec="seconds"),
        "deployment": {"name": origin},
        "practices": [
            {
                "id": f"urn:uuid:{uuid.uuid4()}",
                "origin": origin,
                "origin_url": extra.pop("origin_url", None),
                "publisher": extra.pop("publisher", "Borduria Human Rights Office"),
                "versions": [
                    {
                        "version": 1,
                        "published_at": published_at,
                        "content_hash": "a" * 64,
                        "language": "en",
                        "title": title,
                        "summary": f"How {title} came about.",
                        **extra,
                    }
                ],
            }
        ],
    }
    text = json.dumps(document, indent=2)
    with database.unit_of_work() as session:
        practice_exchange.merge(session, practice_exchange.read(text), actor="test", text=text)
        version = session.scalars(
            select(practices.PracticeVersion).where(practices.PracticeVersion.title == title)
        ).one()
        return version.practice_id


def _listed(page) -> list[int]:
    """The practices a results page lists, in order, by number."""
    assert page.status_code == 200, page.text
    return [
        int(n)
        for n in re.findall(
            r'<h2 class="result-title"><a href="/dashboard/practices/(\d+)"', page.text
        )
    ]


def _said(in_language, message, **values):
    """A message as a page shows it: in the language, escaped, its values filled."""
    return str(escape(translate(in_language, message))).format(
        **{name: escape(value) for name, value in values.items()}
    )


# --- browsing ---------------------------------------------------------------------------------


def test_published_practices_are_listed_newest_first_with_what_they_say(
    signed_in, deployment, writer, reviewer
):
    older = _publish(
        deployment,
        writer,
        reviewer,
        days_ago=9,
        title="Mobile courts in rural districts",
        themes=["Access to justice"],
        sdg_targets=["16.3"],
        mechanism="Inter-ministerial committee",
        country="Arcadia",
    )
    newer = _publish(
        deployment,
        writer,
        reviewer,
        days_ago=2,
        title="Birth registration at school",
        themes=["Children"],
    )
    imported = _import(deployment, title="Shadow reports on prisons", country="Borduria")
    draft = _write(deployment, writer, title="Not yet reviewed")
    page = signed_in.get("/dashboard/practices")
    assert _listed(page) == [newer, imported, older]
    assert draft not in _listed(page) and "Not yet reviewed" not in page.text
    assert 'aria-current="page">Good practices</a>' in page.text
    assert "3 good practices found; showing 1 to 3." in page.text
    item = page.text[page.text.index(f'/dashboard/practices/{older}"') :]
    item = item[: item.index("</li>")]
    for shown in (
        "Mobile courts in rural districts",
        "How Mobile courts in rural districts came about.",
        "Ministry of Justice",
        "Arcadia",
        "Inter-ministerial committee",
        "Themes: Access to justice",
        "SDG targets: 16.3",
    ):
        assert shown in item, shown
    with deployment.unit_of_work() as session:
        published_at = practices.current(practices.get(session, older)).published_at
    assert str(escape(formatting.moment(published_at, "en", None))) in item
    imported_item = page.text[page.text.index(f'/dashboard/practices/{imported}"') :]
    imported_item = imported_item[: imported_item.index("</li>")]
    assert "<dt>Imported from</dt><dd>Consulta Borduria</dd>" in imported_item
    assert "Borduria Human Rights Office" in imported_item
    # The filters offer the themes and mechanisms published practices carry.
    assert '<option value="Access to justice">Access to justice (1)</option>' in page.text
    assert '<option value="Inter-ministerial committee">' in page.text


def test_drafts_and_rejected_versions_stay_out_of_the_list(signed_in, deployment, writer, reviewer):
    published = _publish(deployment, writer, reviewer, days_ago=3, title="Published first version")
    refused = _write(deployment, writer, title="Sent back draft")
    with deployment.unit_of_work() as session:
        practices.revise(
            session,
            session.get(Participant, writer),
            published,
            PracticeDraft(title="An edit under review", summary="Changed."),
        )
        practices.reject(session, session.get(Participant, reviewer), refused, note="Too vague")
    page = signed_in.get("/dashboard/practices")
    assert _listed(page) == [published]
    assert "Published first version" in page.text
    assert "An edit under review" not in page.text and "Sent back draft" not in page.text
    # Words only the unpublished versions hold find nothing.
    assert _listed(signed_in.get("/dashboard/practices", params={"q": "vague edit"})) == []


def test_pages_of_results_keep_the_search(signed_in, deployment, writer, reviewer):
    for n in range(27):
        _publish(
            deployment,
            writer,
            reviewer,
            days_ago=30 - n,
            title=f"Practice number {n}",
            themes=["Courts"],
        )
    _publish(deployment, writer, reviewer, title="Another theme", themes=["Health"])
    first = signed_in.get("/dashboard/practices", params={"theme": "Courts"})
    assert len(_listed(first)) == 25
    assert "27 good practices found; showing 1 to 25." in first.text
    assert "Another theme" not in first.text and "Practice number 26" in first.text
    assert "Previous page" not in first.text
    (following,) = re.findall(r'<a href="(/dashboard/practices\?[^"]+)">Next page</a>', first.text)
    following = following.replace("&amp;", "&")
    assert urlsplit(following).query == "theme=Courts&offset=25"
    second = signed_in.get(following)
    assert len(_listed(second)) == 2 and "Practice number 0" in second.text
    assert "Next page" not in second.text and "Previous page" in second.text


def test_the_demos_practices_are_browsed_and_its_draft_waits_for_review(client, database):
    load_demo(database, PSEUDONYM_KEY)
    assert sign_in(client, _token(database)[0]).status_code == 303
    page = client.get("/dashboard/practices")
    assert len(_listed(page)) == 2
    assert "An inter-ministerial committee with a seat for civil society" in page.text
    assert "1 draft is waiting for review." in page.text
    queue = client.get("/dashboard/practices/review")
    assert queue.text.count('<article class="card"') == 1
    assert client.get("/dashboard/review").text.count('<article class="card"') == 1


# --- searching --------------------------------------------------------------------------------


@pytest.fixture
def three(deployment, writer, reviewer):
    """Three published practices with their own theme, SDG target and mechanism."""
    return {
        "courts": _publish(
            deployment,
            writer,
            reviewer,
            days_ago=3,
            title="Mobile courts",
            summary="Judges travel to remote villages every month.",
            themes=["Access to justice"],
            sdg_targets=["16.3"],
            mechanism="Inter-ministerial committee",
        ),
        "births": _publish(
            deployment,
            writer,
            reviewer,
            days_ago=2,
            title="Registering births at school",
            summary="Teachers help families with certificates.",
            themes=["Children"],
            sdg_targets=["16.9"],
            mechanism="National human rights institution",
        ),
        "wages": _publish(
            deployment,
            writer,
            reviewer,
            days_ago=1,
            title="Equal pay audits",
            summary="Employers publish their pay gaps.",
            themes=["Gender equality"],
            sdg_targets=["5.1", "8.5"],
            mechanism="Parliamentary committee",
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"theme": "Children"}, ["births"]),
        ({"theme": "access to JUSTICE"}, ["courts"]),
        ({"sdg": "16.3"}, ["courts"]),
        ({"sdg": "SDG 8.5"}, ["wages"]),
        ({"mechanism": "Parliamentary committee"}, ["wages"]),
        ({"q": "remote villages"}, ["courts"]),
        ({"q": "CERTIFICATES"}, ["births"]),
        ({"q": "committee"}, ["wages", "courts"]),
        ({"q": "pay", "theme": "Children"}, []),
        ({}, ["wages", "births", "courts"]),
    ],
)
def test_practices_are_searched_by_theme_sdg_target_mechanism_and_words(
    signed_in, three, params, expected
):
    page = signed_in.get("/dashboard/practices", params=params)
    assert _listed(page) == [three[name] for name in expected]
    if not expected:
        assert "No good practice found." in page.text
    for name in ("q", "sdg"):
        if name in params:
            # The form shows what was searched for.
            assert f'name="{name}" type="' in page.text
            assert f'value="{escape(params[name])}"' in page.text
    if "mechanism" in params:
        assert f'<option value="{params["mechanism"]}" selected>' in page.text


def test_a_french_translation_is_found_by_a_french_word_and_shown_in_french(
    client, deployment, writer, reviewer
):
    translated = _publish(
        deployment,
        writer,
        reviewer,
        days_ago=2,
        title="Mobile courts",
        summary="Judges travel to remote villages.",
        themes=["Access to justice"],
        translations={
            "fr": {
                "title": "Tribunaux itinérants",
                "summary": "Les juges se rendent dans les villages éloignés.",
            }
        },
    )
    french = _publish(
        deployment,
        writer,
        reviewer,
        days_ago=1,
        title="Registre des naissances à l'école",
        summary="Les enseignants aident les familles.",
        language="fr",
    )
    english_only = _publish(deployment, writer, reviewer, title="Equal pay audits")
    assert sign_in(client, _token(deployment)[0]).status_code == 303
    # A French word, accents and capitals aside, finds the translation.
    assert _listed(client.get("/dashboard/practices", params={"q": "ITINERANTS"})) == [translated]
    assert _listed(client.get("/dashboard/practices", params={"q": "éloignés"})) == [translated]
    # Practices written or translated in French.
    in_french = client.get("/dashboard/practices", params={"lang": "fr"})
    assert _listed(in_french) == [french, translated]
    assert "2 good practices found; showing 1 to 2." in in_french.text
    assert _listed(client.get("/dashboard/practices", params={"lang": "en"})) == [
        english_only,
        translated,
    ]

    # In English the English text is shown; with the French dashboard, the French one.
    english = client.get("/dashboard/practices", params={"q": "tribunaux"})
    assert (
        f'<a href="/dashboard/practices/{translated}" lang="en" dir="ltr">Mobile courts</a>'
        in english.text
    )
    assert client.get("/dashboard/language/fr", follow_redirects=False).status_code == 303
    page = client.get("/dashboard/practices", params={"q": "tribunaux"})
    assert page.text.startswith('<!doctype html>\n<html lang="fr" dir="ltr">')
    assert (
        f'<a href="/dashboard/practices/{translated}" lang="fr" dir="ltr">Tribunaux itinérants</a>'
        in page.text
    )
    assert "Les juges se rendent dans les villages éloignés." in page.text
    assert "Mobile courts" not in page.text
    full = client.get(f"/dashboard/practices/{translated}")
    assert '<h1 lang="fr" dir="ltr">Tribunaux itinérants</h1>' in full.text
    # The English original stays one choice away.
    assert _listed_languages(full.text) == ["en", "fr"]
    original = client.get(f"/dashboard/practices/{translated}", params={"lang": "en"})
    assert '<h1 lang="en" dir="ltr">Mobile courts</h1>' in original.text
    # Without a French translation, the English text is shown, and the page says so.
    untranslated = client.get(f"/dashboard/practices/{english_only}")
    assert '<h1 lang="en" dir="ltr">Equal pay audits</h1>' in untranslated.text
    assert (
        _said(
            "fr",
            "This practice has no translation into {wanted}: it is shown in {language}, "
            "as it was written.",
            wanted="français",
            language="anglais",
        )
        in untranslated.text
    )


def _listed_languages(html: str) -> list[str]:
    form = html[html.index('<select id="lang" name="lang">') :]
    return re.findall(r'<option value="([^"]+)"', form[: form.index("</select>")])


@pytest.mark.parametrize("typed", METACHARACTERS)
@pytest.mark.parametrize("field", ["q", "theme", "mechanism", "lang"])
def test_searching_for_sql_and_pattern_characters_finds_them_as_text(
    signed_in, three, field, typed
):
    page = signed_in.get("/dashboard/practices", params={field: typed})
    assert page.status_code == 200
    assert "Traceback" not in page.text and 'role="alert"' not in page.text
    listed = _listed(page)
    if field == "q" and typed != "' OR 1=1 --":
        # Punctuation is no word, so it narrows nothing; "[a-" looks for words beginning with
        # "a", as "Access", "at" and "audits" do.
        assert listed == [three["wages"], three["births"], three["courts"]]
    else:
        assert listed == []
        assert "No good practice found." in page.text
    if field == "q":
        assert f'value="{escape(typed)}"' in page.text


@pytest.mark.parametrize("typed", METACHARACTERS)
def test_an_sdg_target_that_is_none_is_said_in_the_page(signed_in, three, typed):
    page = signed_in.get("/dashboard/practices", params={"sdg": typed})
    assert page.status_code == 200 and _listed(page) == []
    assert (
        f"SDG targets: {escape(repr(typed))} is not an SDG target; write it like 16.3 or 5.a"
        in page.text
    )
    assert 'role="alert"' in page.text and 'aria-invalid="true"' in page.text
    assert f'value="{escape(typed)}"' in page.text


# --- one practice in full ---------------------------------------------------------------------


def test_a_practice_shows_its_texts_recommendations_and_every_version(
    signed_in, deployment, writer, reviewer
):
    with deployment.unit_of_work() as session:
        held = session.scalars(select(Recommendation).order_by(Recommendation.id)).first()
        held_id, held_text = held.id, held.text
    practice = _publish(
        deployment,
        writer,
        reviewer,
        days_ago=5,
        title="Mobile courts",
        summary="Judges travel.",
        done="Ten courts on wheels.",
        results="Cases heard within a month.",
        lessons="Start with the most remote districts.",
        themes=["Access to justice"],
        sdg_targets=["16.3"],
        mechanism="Inter-ministerial committee",
        country="Arcadia",
        contact="justice@example.org",
        recommendations=[
            held_id,
            {"key": "elsewhere-12", "document_symbol": "A/HRC/99/1", "paragraph": "7.12"},
        ],
    )
    with deployment.unit_of_work() as session:
        practices.revise(
            session,
            session.get(Participant, writer),
            practice,
            PracticeDraft(title="Mobile courts, second try", summary="Judges travel less."),
            now=utcnow() - timedelta(days=3),
        )
        practices.reject(
            session, session.get(Participant, reviewer), practice, note="Keep the lessons."
        )
        practices.revise(
            session,
            session.get(Participant, writer),
            practice,
            PracticeDraft(title="Mobile courts, third try", summary="Judges travel often."),
        )
    page = signed_in.get(f"/dashboard/practices/{practice}")
    assert page.status_code == 200
    text = page.text
    assert '<h1 lang="en" dir="ltr">Mobile courts</h1>' in text
    for shown in (
        "Judges travel.",
        "Ten courts on wheels.",
        "Cases heard within a month.",
        "Start with the most remote districts.",
        "Ministry of Justice",
        "Inter-ministerial committee",
        "justice@example.org",
        "CC-BY-4.0",
    ):
        assert shown in text, shown
    # The draft waiting, and the version sent back, do not replace what is shown.
    assert "third try" not in text and "second try" not in text
    assert "Version 3 is waiting for review" in text
    assert 'href="/dashboard/practices/review"' in text
    # Recommendations held here link to their page; others are named as they came.
    assert f'<a href="/dashboard/recommendations/{held_id}">' in text
    assert str(escape(held_text)) in text
    assert "A/HRC/99/1, paragraph 7.12: not held in this deployment" in text
    # Every version, newest first, with its state, channel and review note.
    rows = re.findall(r'<tr>\s*<th scope="row" class="num">(\d+)</th>\s*<td>(.*?)</td>', text, re.S)
    assert [(n, re.sub(r"<[^>]+>", "", state).split()[0]) for n, state in rows] == [
        ("3", "draft"),
        ("2", "rejected"),
        ("1", "published"),
    ]
    assert "Keep the lessons." in text and "<td>api</td>" in text
    assert signed_in.get("/dashboard/practices/999999").status_code == 404


def test_an_imported_practice_names_where_it_came_from(signed_in, deployment):
    practice = _import(
        deployment,
        title="Shadow reports on prisons",
        origin="Consulta Borduria",
        origin_url="https://consulta.borduria.example/practices",
        recommendations=[{"key": "bord-1", "document_symbol": "CAT/C/BRD/1", "paragraph": "9"}],
    )
    page = signed_in.get(f"/dashboard/practices/{practice}")
    assert page.status_code == 200
    assert "<dt>Imported from</dt><dd>Consulta Borduria</dd>" in page.text
    # The address is shown as text, never as a link to follow.
    assert '<code class="url">https://consulta.borduria.example/practices</code>' in page.text
    assert 'href="https://' not in page.text
    assert "<td>import</td>" in page.text and "<td>Consulta Borduria</td>" in page.text
    assert "CAT/C/BRD/1, paragraph 9: not held in this deployment" in page.text


def test_a_practice_that_is_not_there_is_said_in_the_pages_language(client, deployment):
    assert client.get("/dashboard/language/ar", follow_redirects=False).status_code == 303
    assert sign_in(client, _token(deployment)[0]).status_code == 303
    page = client.get("/dashboard/practices/424242")
    assert page.status_code == 404
    assert page.text.startswith('<!doctype html>\n<html lang="ar" dir="rtl">')
    assert f"<h1>{_said('ar', 'Not found')}</h1>" in page.text
    assert "424242" in page.text
    # However long the number, the answer is the same page.
    assert client.get("/dashboard/practices/99999999999").status_code == 404
    assert client.get(f"/dashboard/practices/{10**30}").status_code == 404


# --- review -----------------------------------------------------------------------------------


def test_the_review_queue_lists_drafts_and_approving_publishes(
    signed_in, deployment, writer, reviewer
):
    draft = _write(
        deployment,
        writer,
        days_ago=1,
        title="Mobile courts",
        summary="Judges travel.",
        themes=["Access to justice"],
        translations={"fr": {"title": "Tribunaux itinérants", "summary": "Les juges."}},
    )
    edited = _publish(deployment, writer, reviewer, days_ago=4, title="Equal pay audits")
    with deployment.unit_of_work() as session:
        practices.revise(
            session,
            session.get(Participant, writer),
            edited,
            PracticeDraft(title="Equal pay audits, with results", summary="Gaps closed."),
        )
    assert _listed(signed_in.get("/dashboard/practices")) == [edited]
    # Both queues are a link away from each other, with what waits in each.
    updates_queue = signed_in.get("/dashboard/review")
    assert '<a href="/dashboard/practices/review">Good practices: 2 waiting</a>' in (
        updates_queue.text
    )
    browse = signed_in.get("/dashboard/practices")
    assert (
        '<a href="/dashboard/practices/review">2 drafts are waiting for review.</a>' in browse.text
    )

    queue = signed_in.get("/dashboard/practices/review")
    assert queue.status_code == 200
    assert '<a href="/dashboard/practices/review" aria-current="page">' in queue.text
    assert 'aria-current="page">Review</a>' in queue.text
    assert f'action="/dashboard/practices/review/{draft}/approve"' in queue.text
    assert f'action="/dashboard/practices/review/{edited}/reject"' in queue.text
    assert "Judges travel." in queue.text and "Ministry of Justice" in queue.text
    assert "An edit: once approved, it replaces published version 1." in queue.text
    # Oldest first.
    assert queue.text.index(f"practice-{draft}") < queue.text.index(f"practice-{edited}")

    response = signed_in.post(
        f"/dashboard/practices/review/{draft}/approve",
        data={"note": "Checked with the ministry", "csrf_token": csrf_of(queue.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == f"/dashboard/practices/review?done=approved&practice={draft}"
    )
    after = signed_in.get(response.headers["location"])
    assert f"Practice {draft} was approved and published" in after.text
    assert f'action="/dashboard/practices/review/{draft}/approve"' not in after.text
    assert _listed(signed_in.get("/dashboard/practices")) == [draft, edited]

    signed_in.post(
        f"/dashboard/practices/review/{edited}/approve",
        data={"note": "", "csrf_token": csrf_of(queue.text)},
    )
    listed = signed_in.get("/dashboard/practices")
    assert "Equal pay audits, with results" in listed.text
    assert (
        "No good practice is waiting for review."
        in signed_in.get("/dashboard/practices/review").text
    )
    with deployment.unit_of_work() as session:
        approved = practices.current(practices.get(session, draft))
        assert approved.state is PracticeState.PUBLISHED
        assert approved.review_note == "Checked with the ministry"
        assert practices.awaiting_review(session) == []
    history = signed_in.get(f"/dashboard/practices/{draft}").text
    assert "Checked with the ministry" in history


def test_sending_a_practice_back_needs_a_note(signed_in, deployment, writer):
    draft = _write(deployment, writer, title="Mobile courts")
    csrf = csrf_of(signed_in.get("/dashboard/practices/review").text)
    refused = signed_in.post(
        f"/dashboard/practices/review/{draft}/reject", data={"note": "  ", "csrf_token": csrf}
    )
    assert refused.status_code == 422
    assert f"Practice {draft}: note: say why the draft is sent back" in refused.text
    assert 'role="alert"' in refused.text and 'aria-invalid="true"' in refused.text
    with deployment.unit_of_work() as session:
        assert [v.id for v in practices.awaiting_review(session)] != []
    response = signed_in.post(
        f"/dashboard/practices/review/{draft}/reject",
        data={"note": "Say which districts", "csrf_token": csrf},
    )
    assert response.status_code == 200
    assert f"Practice {draft} was sent back to its author with your note." in response.text
    with deployment.unit_of_work() as session:
        latest = practices.get(session, draft).versions[-1]
        assert latest.state is PracticeState.REJECTED
        assert latest.review_note == "Say which districts"
    assert _listed(signed_in.get("/dashboard/practices")) == []
    assert "Say which districts" in signed_in.get(f"/dashboard/practices/{draft}").text


def test_a_decision_on_nothing_waiting_is_said_in_the_page(signed_in, deployment, writer, reviewer):
    published = _publish(deployment, writer, reviewer, title="Mobile courts")
    csrf = csrf_of(signed_in.get("/dashboard/practices/review").text)
    again = signed_in.post(
        f"/dashboard/practices/review/{published}/approve", data={"csrf_token": csrf}
    )
    assert again.status_code == 422
    assert (
        f"practice {published} has no draft waiting for review (its latest version is published)"
        in again.text
    )
    missing = signed_in.post(
        "/dashboard/practices/review/999999/reject", data={"note": "no", "csrf_token": csrf}
    )
    assert missing.status_code == 404
    assert "no good practice with number &#39;999999&#39;" in missing.text
    assert "Traceback" not in missing.text
    for number in ("99999999999", "0"):
        beyond = signed_in.post(
            f"/dashboard/practices/review/{number}/approve", data={"csrf_token": csrf}
        )
        assert beyond.status_code == 404
        assert f"no good practice with number &#39;{number}&#39;" in beyond.text


@pytest.mark.parametrize("role", [Role.CIVIL_SOCIETY, Role.GOVERNMENT, Role.NHRI])
def test_only_organisers_review_practices(client, deployment, writer, role):
    draft = _write(deployment, writer, title="Mobile courts")
    plaintext, _ = _token(deployment, role)
    refused = sign_in(client, plaintext)
    assert refused.status_code == 403 and not set_cookies(refused, SESSION)
    queue = client.get("/dashboard/practices/review", follow_redirects=False)
    assert queue.status_code == 303
    assert queue.headers["location"] == "/dashboard/sign-in?next=%2Fdashboard%2Fpractices%2Freview"
    decision = client.post(
        f"/dashboard/practices/review/{draft}/approve", data={"note": "ok"}, follow_redirects=False
    )
    assert decision.status_code == 303 and "/dashboard/sign-in" in decision.headers["location"]
    with deployment.unit_of_work() as session:
        assert [v.practice_id for v in practices.awaiting_review(session)] == [draft]


def test_an_organiser_who_is_one_no_more_cannot_decide(client, deployment, writer):
    draft = _write(deployment, writer, title="Mobile courts")
    plaintext, token_id = _token(deployment)
    assert sign_in(client, plaintext).status_code == 303
    csrf = csrf_of(client.get("/dashboard/practices/review").text)
    with deployment.unit_of_work() as session:
        session.get(tokens.ApiToken, token_id).participant.role = Role.CIVIL_SOCIETY
    decision = client.post(
        f"/dashboard/practices/review/{draft}/approve",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert decision.status_code == 303 and "/dashboard/sign-in" in decision.headers["location"]
    with deployment.unit_of_work() as session:
        assert [v.practice_id for v in practices.awaiting_review(session)] == [draft]


def test_decisions_without_the_sessions_csrf_token_are_refused(app, signed_in, deployment, writer):
    draft = _write(deployment, writer, title="Mobile courts")
    missing = signed_in.post(f"/dashboard/practices/review/{draft}/approve", data={"note": "ok"})
    assert missing.status_code == 403
    assert "CSRF" in missing.text and "Nothing was changed" in missing.text
    with TestClient(app) as other:
        assert sign_in(other, _token(deployment)[0]).status_code == 303
        foreign = csrf_of(other.get("/dashboard/practices/review").text)
    wrong = signed_in.post(
        f"/dashboard/practices/review/{draft}/reject", data={"note": "no", "csrf_token": foreign}
    )
    assert wrong.status_code == 403
    with deployment.unit_of_work() as session:
        assert [v.practice_id for v in practices.awaiting_review(session)] == [draft]
        assert practices.get(session, draft).versions[-1].state is PracticeState.DRAFT


# --- what people type is shown as text --------------------------------------------------------


def test_html_typed_into_any_field_is_shown_as_text(signed_in, deployment, reviewer):
    with deployment.unit_of_work() as session:
        people.add_organisation(session, name=f"Office {EVIL}", type=OrganisationType.NHRI)
        author = people.add_participant(
            session, pseudonym_key=PSEUDONYM_KEY, role=Role.NHRI, organisation=f"Office {EVIL}"
        ).id
    fields = {
        "title": f"Title {EVIL}",
        "summary": f"Summary {EVIL}",
        "done": f"Done {EVIL}",
        "results": f"Results {EVIL}",
        "lessons": f"Lessons {EVIL}",
        "themes": [f"Theme {EVIL}"],
        "mechanism": f"Mechanism {EVIL}",
        "country": f"Country {EVIL}",
        "contact": f"Contact {EVIL}",
        "recommendations": [{"key": f"k {EVIL}", "document_symbol": f"Doc {EVIL}"}],
        "translations": {"fr": {"title": f"Titre {EVIL}", "summary": f"Résumé {EVIL}"}},
    }
    published = _publish(deployment, author, reviewer, days_ago=2, **fields)
    waiting = _write(deployment, author, **fields)
    imported = _import(
        deployment,
        title=f"Imported {EVIL}",
        origin=f"Origin {EVIL}",
        origin_url=f"https://example.org/{EVIL}",
        publisher=f"Publisher {EVIL}",
        themes=[f"Theme {EVIL}"],
    )
    queue = signed_in.get("/dashboard/practices/review")
    sent_back = signed_in.post(
        f"/dashboard/practices/review/{waiting}/reject",
        data={"note": f"Note {EVIL}", "csrf_token": csrf_of(queue.text)},
    )
    assert sent_back.status_code == 200
    pages = {
        "queue": queue,
        "list": signed_in.get("/dashboard/practices"),
        "search": signed_in.get("/dashboard/practices", params={"q": EVIL}),
        "theme": signed_in.get("/dashboard/practices", params={"theme": f"Theme {EVIL}"}),
        "sdg": signed_in.get("/dashboard/practices", params={"sdg": EVIL}),
        "mechanism": signed_in.get("/dashboard/practices", params={"mechanism": EVIL}),
        "published": signed_in.get(f"/dashboard/practices/{published}"),
        "in French": signed_in.get(f"/dashboard/practices/{published}", params={"lang": "fr"}),
        "sent back": signed_in.get(f"/dashboard/practices/{waiting}"),
        "imported": signed_in.get(f"/dashboard/practices/{imported}"),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert "<script" not in page.text.lower(), name
        assert ESCAPED in page.text, name
    for shown in ("Title", "Summary", "Done", "Results", "Lessons", "Theme", "Mechanism"):
        assert f"{shown} {ESCAPED}" in pages["published"].text, shown
    for shown in ("Country", "Contact", "Office", "Doc"):
        assert f"{shown} {ESCAPED}" in pages["published"].text, shown
    assert f"Titre {ESCAPED}" in pages["in French"].text
    assert f"Note {ESCAPED}" in pages["sent back"].text
    for shown in ("Imported", "Origin", "Publisher", "https://example.org/"):
        assert f"{shown}{'' if shown.endswith('/') else ' '}{ESCAPED}" in pages["imported"].text
    assert _listed(pages["theme"]) == [published, imported]
    assert f'<option value="Theme {ESCAPED}" selected>' in pages["theme"].text
    for shown in ("Title", "Summary", "Office", "Country", "Mechanism", "Theme"):
        assert f"{shown} {ESCAPED}" in pages["queue"].text, shown


# --- nothing from elsewhere -------------------------------------------------------------------


def test_the_practices_pages_load_nothing_from_another_origin(
    signed_in, deployment, writer, reviewer
):
    published = _publish(deployment, writer, reviewer, title="Mobile courts", themes=["Courts"])
    _write(deployment, writer, title="Waiting")
    for path in (
        "/dashboard/practices",
        "/dashboard/practices?theme=Courts",
        f"/dashboard/practices/{published}",
        "/dashboard/practices/review",
    ):
        response = signed_in.get(path)
        assert response.status_code == 200, path
        assert "default-src 'none'" in response.headers["content-security-policy"]
        links = _Links()
        links.feed(response.text)
        assert links.scripts == 0, path
        for address in links.addresses:
            parts = urlsplit(address)
            assert not parts.scheme and not parts.netloc, f"{path} points at {address}"


def test_the_practices_pages_need_a_session(client):
    for path in ("/dashboard/practices", "/dashboard/practices/1", "/dashboard/practices/review"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/dashboard/sign-in?next=")


@pytest.mark.parametrize("language", ["fr", "es", "ar", "ru", "zh"])
def test_every_practices_page_finds_all_its_words_in_the_catalog(
    client, deployment, writer, reviewer, language
):
    published = _publish(
        deployment,
        writer,
        reviewer,
        days_ago=2,
        title="Mobile courts",
        done="Courts on wheels.",
        results="Cases heard.",
        lessons="Start small.",
        themes=["Courts"],
        sdg_targets=["16.3"],
        mechanism="Committee",
        country="Arcadia",
        contact="courts@example.org",
        recommendations=[1, {"key": "elsewhere-1", "document_symbol": "A/HRC/1", "paragraph": "2"}],
    )
    with deployment.unit_of_work() as session:
        practices.revise(
            session,
            session.get(Participant, writer),
            published,
            PracticeDraft(title="Mobile courts, again", summary="Again."),
        )
    draft = _write(deployment, writer, title="Waiting")
    imported = _import(deployment, title="Shadow reports", origin_url="https://example.org/p")
    assert client.get(f"/dashboard/language/{language}", follow_redirects=False).is_redirect
    assert sign_in(client, _token(deployment)[0]).status_code == 303
    csrf = csrf_of(client.get("/dashboard/practices/review").text)
    with recording_missing_messages() as recorders:
        for path in (
            "/dashboard/practices",
            "/dashboard/practices?sdg=none",
            "/dashboard/practices?q=nothing-at-all",
            f"/dashboard/practices/{published}",
            f"/dashboard/practices/{draft}",
            f"/dashboard/practices/{imported}",
            "/dashboard/practices/424242",
            "/dashboard/practices/review",
            f"/dashboard/practices/review?done=approved&practice={published}",
            f"/dashboard/practices/review?done=rejected&practice={draft}",
            "/dashboard/review",
        ):
            shown = client.get(path)
            assert shown.status_code in (200, 404), path
            assert f'lang="{language}"' in shown.text, path
        refused = client.post(
            f"/dashboard/practices/review/{draft}/reject", data={"note": "", "csrf_token": csrf}
        )
        assert refused.status_code == 422
    assert missing_in(recorders) == {}
