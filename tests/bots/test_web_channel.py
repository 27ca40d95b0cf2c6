"""The web channel over HTTP: a round answered at /take/{CODE}, one plain HTML form at a time."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from adapters import web
from bots.api.app import create_app
from core import rounds
from core.config import Settings
from core.demo import load_demo
from core.i18n import translate
from core.logs import configure_logging
from core.models import Answer, Participant, PlatformIdentity, utcnow
from core.vocabulary import Platform
from surveys.definition import localized
from surveys.loading import load_survey_file
from surveys.templates import template_path
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import open_round
from tests.fakes.chat import Participant as ChatParticipant

SECRET = "web-channel-test-secret-0123456789"
PUBLIC_URL = "https://consulta.example.org"
CODE = "WEB01"


def _settings(database, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database.url,
        "pseudonym_key": PSEUDONYM_KEY.decode(),
        "secret_key": SECRET,
        "public_url": PUBLIC_URL,
    }
    values.update(changes)
    return Settings(**values)


@pytest.fixture
def client(database) -> Iterator[TestClient]:
    open_round(database, code=CODE, now=utcnow())
    with TestClient(create_app(_settings(database), database=database)) as test_client:
        yield test_client


def _words(text: str) -> str:
    return " ".join(text.split())


class Page:
    """One page of the web channel, read as a browser would: its forms, fields and words."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.status = response.status_code
        self.html = lxml.html.fromstring(response.text)

    @property
    def path(self) -> str:
        return urlsplit(str(self.response.url)).path

    @property
    def key(self) -> str:
        return self.path.rsplit("/", 1)[1]

    def text(self, xpath: str) -> str:
        return _words(self.html.xpath(f"string({xpath})"))

    def texts(self, xpath: str) -> list[str]:
        return [_words(node.text_content()) for node in self.html.xpath(xpath)]

    @property
    def legend(self) -> str:
        return self.text("//legend")

    @property
    def notices(self) -> list[str]:
        return self.texts("//div[@class='notices']/p")

    @property
    def problems(self) -> list[str]:
        return self.texts("//*[@id='problem']/p")

    def option(self, label: str) -> str:
        """The value of the radio button or checkbox with this label."""
        for node in self.html.xpath("//div[@class='choice']"):
            if _words(node.xpath("string(label)")) == label:
                return str(node.xpath("input/@value")[0])
        raise AssertionError(f"no option {label!r} in {self.texts('//label')}")

    def form(self, action: str) -> Any:
        """The form whose button (or hidden field) does this action."""
        for form in self.html.xpath("//form"):
            if form.xpath(f".//*[@name='action'][@value='{action}']"):
                return form
        raise AssertionError(f"no form for {action!r} on {self.path}: {self.legend!r}")

    def fields(self, action: str) -> dict[str, Any]:
        form = self.form(action)
        data = {i.get("name"): i.get("value") for i in form.xpath(".//input[@type='hidden']")}
        data["action"] = action
        return data


def submit(client: TestClient, page: Page, action: str = "answer", **fields: Any) -> Page:
    """Press a button of the page, with these fields filled in, and follow where it leads."""
    data = page.fields(action) | fields
    return Page(client.post(page.form(action).get("action"), data=data))


def answer(
    client: TestClient,
    page: Page,
    label: str | None = None,
    *,
    labels: tuple[str, ...] = (),
    text: str | None = None,
) -> Page:
    """Answer the page's question: a radio button, some checkboxes or typed text."""
    fields: dict[str, Any] = {}
    if label is not None:
        fields["choice"] = page.option(label)
    if labels:
        fields["choices"] = [page.option(one) for one in labels]
    if text is not None:
        fields["answer"] = text
    return submit(client, page, **fields)


def start(client: TestClient, query: str = "", **headers: str) -> Page:
    """Open the round's page and press Start; returns the first private page."""
    landing = Page(client.get(f"/take/{CODE}{query}", headers=headers))
    assert landing.status == 200
    form = landing.html.xpath(f"//form[@action='/take/{CODE}']")[0]
    data = {i.get("name"): i.get("value") for i in form.xpath(".//input[@type='hidden']")}
    return Page(client.post(f"/take/{CODE}", data=data))


def _answers(database, platform: Platform) -> list[tuple[Any, ...]]:
    with database.unit_of_work() as session:
        rows = session.scalars(
            select(Answer).where(Answer.channel == platform).order_by(Answer.id)
        ).all()
        return [
            (
                a.slot,
                a.question_id,
                a.recommendation_id,
                a.value,
                a.text,
                a.language,
                a.disclosure,
                a.kind,
                a.version,
                a.is_current,
            )
            for a in rows
        ]


def test_a_round_is_answered_through_the_web_and_stored_like_any_other_channel(client, database):
    landing = Page(client.get(f"/take/{CODE}"))
    assert landing.text("//h1") == "Mid-term check"
    assert landing.html.xpath("//button[@type='submit']/text()") == ["Start"]

    page = start(client)
    assert page.status == 200 and page.path.startswith(f"/take/{CODE}/")
    assert web.is_key(page.key)
    assert page.legend.endswith("Do you agree to take part?")
    assert "Organisers see your answers without your name or organisation." in page.texts(
        "//div[@class='context']/p"
    )
    assert page.text("//section[@class='private-link']//code") == (
        f"{PUBLIC_URL}/take/{CODE}/{page.key}"
    )
    assert "anyone who has this link can continue" in page.text("//section")

    page = answer(client, page, "I agree")
    assert page.notices == ["Thank you. Let's begin.", "A few questions about the recommendations."]
    assert page.legend == "Have you followed these recommendations?"
    assert page.html.xpath("//input[@type='radio']/@name") == ["choice", "choice"]
    page = answer(client, page, "Yes")
    assert page.legend == "Which sector do you work in?"
    page = answer(client, page, "Justice")

    assert page.legend == "Which topics did you follow?"
    assert len(page.html.xpath("//input[@type='checkbox'][@name='choices']")) == 3
    assert page.html.xpath("//form[@class='question']//button[@value='answer']/text()") == ["Done"]
    page = answer(client, page, labels=("Laws", "Data"))
    assert page.legend == "How satisfied are you with the follow-up?"
    page = answer(client, page, "4")

    assert page.legend == "How many staff does your organisation have?"
    assert page.html.xpath("//input[@id='answer']/@type") == ["number"]
    assert page.html.xpath("//button[@value='skip']/text()") == ["Skip this question"]
    page = answer(client, page, text="many")
    assert page.legend == "How many staff does your organisation have?"
    assert page.problems == ["Please answer with a number."]
    field = page.html.xpath("//input[@id='answer']")[0]
    assert field.get("value") == "many" and field.get("aria-invalid") == "true"
    assert "problem" in field.get("aria-describedby").split()
    assert page.html.xpath("//*[@id='problem']/@role") == ["alert"]
    assert page.text("//title").startswith("Error: How many staff")
    page = answer(client, page, text="12")

    assert page.legend == "Since when have you worked on this?"
    assert page.html.xpath("//input[@id='answer']/@type") == ["date"]
    page = answer(client, page, text="2026-03-31")

    assert page.legend.startswith("Which of these recommendations do you know about?")
    first, second = page.texts("//div[@class='choice']/label")[:2]
    page = answer(client, page, labels=(first, second))
    assert page.legend == "How far is it implemented?"
    assert page.texts("//div[@class='context']/p")[0].startswith("Recommendation 125.14 (UPR)")
    page = answer(client, page, "In progress")
    assert page.legend == "What shows this?"
    assert page.html.xpath("//textarea[@id='answer']/@name") == ["answer"]
    assert page.text("//label[@for='answer']") == "Your answer"
    page = answer(client, page, text="Because of the new law")
    assert page.legend.startswith("Who may see that this answer came from you?")
    page = answer(client, page, "Anonymous")
    assert page.notices == ["Noted."]
    assert page.texts("//div[@class='context']/p")[0].startswith("Recommendation 21 (CEDAW)")
    page = answer(client, page, "Don't know")

    assert page.legend == "Anything else?"
    page = answer(client, page, text="ok")
    assert page.problems == ["Please write at least five characters."]
    assert page.text("//textarea") == "ok"
    page = submit(client, page, "skip")
    assert page.notices[0].startswith("That was the last question. You gave")
    assert page.text("//main/h2") == "Thank you"
    assert not page.html.xpath("//form[@class='question']")

    # Someone answering the same way in the terminal leaves the same answers behind.
    person = ChatParticipant(database, PSEUDONYM_KEY, sender="t-1")
    for said in (CODE, "1", "yes", "Justice", "1, 3", "4", "12", "2026-03-31", "1, 2"):
        person.send(said)
    for said in ("In progress", "Because of the new law", "3", "Don't know", "skip"):
        person.send(said)
    assert person.said.startswith("That was the last question.")
    on_the_web = _answers(database, Platform.WEB)
    assert len(on_the_web) == 10
    assert on_the_web == _answers(database, Platform.TERMINAL)
    values = {row[0]: row[3] for row in on_the_web}
    assert values["involved"] == "yes" and values["topics"] == ["law", "data"]
    assert values["staff"] == 12 and values["since"] == "2026-03-31"


def test_a_choice_left_empty_or_an_empty_box_is_asked_for_again(client, database):
    page = answer(client, start(client), "I agree")
    page = submit(client, page)
    assert page.legend == "Have you followed these recommendations?"
    assert page.problems == ["Please choose one of the answers."]
    page = answer(client, answer(client, page, "Yes"), "Health")
    page = answer(client, page, labels=())
    assert page.legend == "Which topics did you follow?"
    assert page.problems == ["Please pick at least one option, then press Done."]
    page = answer(client, answer(client, page, labels=("Budgets",)), "2")
    page = answer(client, page, text="  ")
    assert page.problems == ["Please write your answer in the box before sending it."]
    assert page.legend == "How many staff does your organisation have?"
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count(Answer.id))) == 4


def test_a_refused_answer_too_long_for_a_cookie_is_shown_at_once_and_kept(client):
    page = answer(client, start(client), "I agree")
    for step in (("Yes",), ("Health",)):
        page = answer(client, page, *step)
    page = answer(client, answer(client, page, labels=("Laws",)), "3")
    page = submit(client, submit(client, page, "skip"), "skip")
    page = answer(client, page, labels=(page.texts("//div[@class='choice']/label")[0],))
    page = answer(client, page, "Not started")
    assert page.legend == "What shows this?"
    # Words that do not compress, far over the question's 300 characters.
    long = " ".join(f"w{n * 7919 % 100003}" for n in range(900))
    form = page.fields("answer") | {"answer": long}
    response = client.post(page.form("answer").get("action"), data=form, follow_redirects=False)
    assert response.status_code == 200
    shown = Page(response)
    assert shown.problems == [
        f"Your answer is {len(long)} characters long; please keep it under 300."
    ]
    assert shown.text("//textarea") == _words(long)


def test_the_private_link_resumes_in_another_browser(client):
    page = answer(client, answer(client, start(client), "I agree"), "No")
    assert page.legend == "Which sector do you work in?"
    link = page.path
    with TestClient(client.app) as elsewhere:
        again = Page(elsewhere.get(link))
        assert again.status == 200
        assert again.legend == "Which sector do you work in?"
        assert again.notices == []
        assert [o.get("value") for o in again.html.xpath("//input[@name='choice']")] == [
            o.get("value") for o in page.html.xpath("//input[@name='choice']")
        ]
        page = answer(elsewhere, again, "Education")
    assert page.legend == "How many staff does your organisation have?"
    assert Page(client.get(link)).legend == "How many staff does your organisation have?"


def test_previous_question_goes_back_over_notes_and_keeps_the_answer_to_change(client, database):
    first = answer(client, start(client), "I agree")
    assert first.legend == "Have you followed these recommendations?"
    # Nothing comes before the first question (the welcome is a note, not a question).
    still = submit(client, first, "back")
    assert still.legend == first.legend
    assert translate("en", "This is the first question; there is nothing to go back to.") in (
        " ".join(still.notices + still.problems)
    )
    sector = answer(client, still, "Yes")
    assert sector.legend == "Which sector do you work in?"
    again = submit(client, sector, "back")
    assert again.legend == "Have you followed these recommendations?"
    changed = answer(client, again, "No")
    assert changed.legend == "Which sector do you work in?"
    with database.unit_of_work() as session:
        involved = [a for a in session.scalars(select(Answer)) if a.question_id == "involved"]
    # The earlier answer is kept as a version; the current one is the new answer.
    assert sorted((a.value, a.is_current) for a in involved) == [("no", True), ("yes", False)]


def test_switching_language_asks_the_same_question_again_and_keeps_the_answers(client, database):
    page = answer(client, answer(client, start(client), "I agree"), "Yes")
    assert page.legend == "Which sector do you work in?"
    assert page.html.xpath("//nav//button[@name='language']/@value") == ["fr"]
    page = submit(client, page, "language", language="fr")
    assert page.html.get("lang") == "fr" and page.html.get("dir") == "ltr"
    assert page.legend == "Dans quel secteur travaillez-vous ?"
    assert page.texts("//div[@class='choice']/label") == ["Santé", "Éducation", "Justice"]
    assert page.html.xpath("//nav//button[@name='language']/@value") == ["en"]
    page = answer(client, page, "Santé")
    assert page.legend == "Quels sujets avez-vous suivis ?"
    with database.unit_of_work() as session:
        stored = {a.question_id: (a.value, a.language) for a in session.scalars(select(Answer))}
    assert stored == {"involved": ("yes", "en"), "sector": ("health", "fr")}


def test_the_first_visit_speaks_the_language_asked_for_or_the_browser_prefers(client):
    assert Page(client.get(f"/take/{CODE}?lang=fr")).html.get("lang") == "fr"
    preferred = Page(client.get(f"/take/{CODE}", headers={"Accept-Language": "de, fr;q=0.8"}))
    assert preferred.html.get("lang") == "fr"
    # A language the round does not offer falls back to the round's own.
    assert Page(client.get(f"/take/{CODE}?lang=zh")).html.get("lang") == "en"
    page = start(client, "?lang=fr")
    assert page.html.get("lang") == "fr"
    assert "Mid-term check" in page.texts("//div[@class='context']/p")[0]
    assert page.html.xpath("//nav//span[@aria-current='true']/@lang") == ["fr"]


def test_arabic_pages_read_right_to_left(database):
    load_demo(database, PSEUDONYM_KEY)
    with database.unit_of_work() as session:
        consultation = rounds.find_round(session, "ARC2027")
        consultation.languages = [*consultation.languages, "ar"]
    with TestClient(create_app(_settings(database), database=database)) as client:
        landing = Page(client.get("/take/ARC2027?lang=ar"))
        assert (landing.html.get("lang"), landing.html.get("dir")) == ("ar", "rtl")
        # The organisers' title keeps the language it is written in.
        assert (landing.html.xpath("//h1/@lang"), landing.html.xpath("//h1/@dir")) == (
            ["en"],
            ["ltr"],
        )
        form = landing.html.xpath("//form[@action='/take/ARC2027']")[0]
        data = {i.get("name"): i.get("value") for i in form.xpath(".//input")}
        page = Page(client.post("/take/ARC2027", data=data))
        assert (page.html.get("lang"), page.html.get("dir")) == ("ar", "rtl")
        page = answer(client, page, page.texts("//div[@class='choice']/label")[0])
        assert page.html.get("dir") == "rtl" and page.legend
        # The survey's own Arabic wording, whatever the catalogs say of Consulta's words.
        survey = load_survey_file(template_path("upr-midterm-cso"))
        asked = next(q for q in survey.walk() if getattr(q, "id", "") == "org_type")
        assert page.legend == localized(asked.label, "ar")


def test_unknown_rounds_and_links_get_a_page_that_says_so(client):
    missing = Page(client.get("/take/NOPE42"))
    assert missing.status == 404
    assert missing.text("//h1") == "Page not found"
    assert "There is no consultation with the code NOPE42." in missing.text("//main")
    assert missing.response.headers["content-type"].startswith("text/html")
    for path in (f"/take/{CODE}/{web.new_key()}", f"/take/{CODE}/short", "/take/NOPE42/x"):
        found = Page(client.get(path))
        assert found.status == 404, path
        assert found.text("//h1") == "Page not found"
    unknown = Page(client.get(f"/take/{CODE}/{web.new_key()}"))
    assert "This private link is not known here." in unknown.text("//main")
    assert unknown.html.xpath("//main//a/@href") == [f"/take/{CODE}"]
    posted = client.post(f"/take/{CODE}/{web.new_key()}", data={"action": "answer"})
    assert posted.status_code == 404


def test_forms_without_their_token_are_refused_and_change_nothing(client, database):
    refused = client.post(f"/take/{CODE}", data={"language": "en"})
    assert refused.status_code == 403
    assert "This form could not be accepted" in Page(refused).text("//h1")
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count(Participant.id))) == 0

    page = start(client)
    for token in ("", "forged", page.fields("answer")["form_token"][:-2] + "xx"):
        data = page.fields("answer") | {"form_token": token, "choice": page.option("I agree")}
        assert client.post(page.path, data=data).status_code == 403
    # A token belongs to one private link and no other.
    other = start(client)
    data = other.fields("answer") | {"choice": other.option("I agree")}
    assert client.post(page.path, data=data).status_code == 403
    assert Page(client.get(page.path)).legend.endswith("Do you agree to take part?")
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count(Answer.id))) == 0


def test_an_out_of_date_page_or_a_second_press_changes_nothing_more(client, database):
    page = answer(client, start(client), "I agree")
    old_fields = page.fields("answer") | {"choice": page.option("Yes")}
    page = Page(client.post(page.path, data=old_fields))
    assert page.legend == "Which sector do you work in?"
    # The same press again, as a double click sends it: nothing more happens.
    page = Page(client.post(page.path, data=old_fields))
    assert page.legend == "Which sector do you work in?"
    # The question page before, answered again after the question moved on.
    stale = old_fields | {"nonce": "another-nonce-0123456789", "choice": "9.1"}
    page = Page(client.post(page.path, data=stale))
    assert page.notices == [
        "This page was out of date, so nothing was changed. Here is the question to answer now."
    ]
    assert page.legend == "Which sector do you work in?"
    with database.unit_of_work() as session:
        assert session.scalars(select(Answer.value)).all() == ["yes"]


def test_declining_then_taking_part_after_all(client):
    declined = answer(client, start(client), "No, thank you")
    assert declined.notices[0].startswith("Understood: nothing has been recorded.")
    assert declined.text("//main/p[1]").startswith("You are not taking part")
    again = submit(client, declined, "join")
    assert again.legend.endswith("Do you agree to take part?")
    assert answer(client, again, "I agree").legend == "Have you followed these recommendations?"


def test_a_closed_round_says_so_and_asks_nothing(client, database):
    page = answer(client, start(client), "I agree")
    with database.unit_of_work() as session:
        rounds.find_round(session, CODE).closes_at = utcnow() - timedelta(minutes=1)
    closed = Page(client.get(page.path))
    assert "closed on" in closed.text("//main/p[contains(@class, 'notice')]")
    assert not closed.html.xpath("//form[@class='question']")
    landing = Page(client.get(f"/take/{CODE}"))
    assert "closed on" in landing.text("//main")
    assert not landing.html.xpath(f"//form[@action='/take/{CODE}']")


def test_pages_send_the_security_headers_and_keep_the_key_out_of_logs_and_the_database(
    client, database, capsys
):
    page = start(client)
    for response in (
        page.response,
        client.get(f"/take/{CODE}"),
        client.get("/take/NOPE42"),
        client.get("/take/static/take.css"),
    ):
        headers = response.headers
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "script-src" not in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
    assert page.html.xpath("//meta[@name='referrer']/@content") == ["no-referrer"]
    # A private link pasted somewhere public is not to be indexed; the round's page may be.
    assert page.html.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert not Page(client.get(f"/take/{CODE}")).html.xpath("//meta[@name='robots']")
    assert not page.html.xpath("//script") and not page.html.xpath("//*[@style]")

    with database.unit_of_work() as session:
        stored = session.scalars(
            select(PlatformIdentity.external_id).where(PlatformIdentity.platform == Platform.WEB)
        ).all()
    assert stored == [web.sender_id(page.key)] and page.key not in stored[0]

    configure_logging()
    try:
        capsys.readouterr()
        assert Page(client.get(page.path)).status == 200
        logged = capsys.readouterr().err
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_consulta", False)]:
            root.removeHandler(handler)
    assert f"GET /take/{CODE}/[redacted] 200" in logged
    assert page.key not in logged


def test_without_a_secret_key_the_pages_say_they_are_not_available(database):
    open_round(database, code=CODE, now=utcnow())
    app = create_app(_settings(database, secret_key=None), database=database)
    with TestClient(app) as client:
        response = client.get(f"/take/{CODE}", headers={"Accept-Language": "fr"})
    assert response.status_code == 503
    page = Page(response)
    assert page.html.get("lang") == "fr"
    assert page.text("//h1")
    assert "Traceback" not in response.text and sys.version not in response.text
