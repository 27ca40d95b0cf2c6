"""A round answered at /take/{CODE} in a real browser with JavaScript off, in English and Arabic.

Debian's Chromium, driven by Playwright, answers a treaty-body follow-up round through plain
HTML forms in a context with JavaScript disabled. axe-core needs scripts, so each page the
participant saw is audited in a second context that has them: the exact HTML the first one
received is served again at the same address, at 320 by 256 CSS pixels (what 400% zoom makes
of 1280 by 1024), where the page must not scroll sideways.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from bots.api.app import create_app
from core import rounds
from core.config import Settings
from core.demo import load_demo
from core.models import Answer, Recommendation, utcnow
from core.survey_store import save_survey
from core.vocabulary import Platform
from surveys.loading import load_survey_file
from surveys.templates import template_path
from tests.conftest import PSEUDONYM_KEY

CHROMIUM = Path("/usr/bin/chromium")
SECRET = "browser-test-secret-key-0123456789"
CODE = "TBF2027"
# axe-core's two worst levels; "moderate" and "minor" findings are not failures here.
BLOCKING = frozenset({"serious", "critical"})
NARROW = {"width": 320, "height": 256}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does); "
    "the browser tests never download a browser of their own",
)


@pytest.fixture
def served(database) -> Iterator[str]:
    """A round on the treaty-body template over two recommendations, in English and Arabic."""
    load_demo(database, PSEUDONYM_KEY)
    survey = load_survey_file(template_path("treaty-body-follow-up"))
    now = utcnow()
    with database.unit_of_work() as session:
        save_survey(session, survey)
        ids = session.scalars(select(Recommendation.id).order_by(Recommendation.id).limit(2))
        plan = rounds.RoundPlan(
            title="Treaty body follow-up",
            survey=survey.id,
            code=CODE,
            scope=rounds.Scope(recommendation_ids=tuple(ids)),
            languages=("en", "ar"),
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
        )
        rounds.create_round(session, plan)
        rounds.open_round(session, CODE, now=now)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    # Listening already: the browser's first connection waits in the backlog until uvicorn
    # has started, instead of being refused.
    listener.listen(64)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings = Settings(
        database_url=database.url,
        pseudonym_key=PSEUDONYM_KEY.decode(),
        secret_key=SECRET,
        public_url=base,
    )
    app = create_app(settings, database=database)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()
        assert not thread.is_alive(), "uvicorn did not stop"


class Auditor:
    """Audits what the participant saw, page by page, in a context that runs scripts."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.found: dict[str, list[str]] = {}
        self.too_wide: dict[str, tuple[int, int]] = {}
        self.first_tab: str | None = None

    async def check(self, seen: Any, name: str) -> None:
        from axe_playwright_python.async_playwright import Axe

        html = await seen.content()
        url = seen.url

        async def same_page(route: Any) -> None:
            await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        await self.page.route(url, same_page)
        try:
            await self.page.goto(url)
        finally:
            await self.page.unroute(url, same_page)
        if self.first_tab is None:
            await self.page.keyboard.press("Tab")
            self.first_tab = await self.page.evaluate("document.activeElement.textContent")
        widths = await self.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if widths[0] > NARROW["width"]:
            self.too_wide[name] = (widths[0], widths[1])
        results = await Axe().run(self.page)
        self.found[name] = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(node["target"]) for node in v["nodes"][:3])
            for v in results.response["violations"]
            if v["impact"] in BLOCKING
        ]


async def _answer(page: Any, wrong_number: bool) -> str:
    """Answer the question on the page with whatever control it has; returns which."""
    form = page.locator("form.question")
    if await form.locator("input[type=radio]").count():
        await form.locator("input[type=radio]").first.check()
        control = "radio"
    elif await form.locator("input[type=checkbox]").count():
        boxes = form.locator("input[type=checkbox]")
        for index in range(min(2, await boxes.count())):
            await boxes.nth(index).check()
        control = "checkbox"
    elif await form.locator("textarea").count():
        await form.locator("textarea").fill("The ministry published a plan.")
        control = "textarea"
    elif await form.locator("input[type=number]").count():
        await form.locator("input[type=number]").fill("-5" if wrong_number else "120")
        control = "number"
    else:
        await form.locator("input[type=date]").fill("2024-05-01")
        control = "date"
    await form.locator("button[value=answer]").click()
    await page.wait_for_load_state()
    return control


async def _take_part(browser: Any, base: str, language: str) -> dict[str, Any]:
    """Answer the whole round with JavaScript off; audit every page on the way."""
    seen: dict[str, Any] = {"controls": [], "directions": set(), "requested": []}
    participant = await browser.new_context(java_script_enabled=False, locale=language)
    audit_context = await browser.new_context(viewport=NARROW)
    auditor = Auditor(await audit_context.new_page())
    try:
        page = await participant.new_page()
        page.on("request", lambda request: seen["requested"].append(request.url))
        await page.goto(f"{base}/take/{CODE}?lang={language}")
        seen["directions"].add(await page.locator("html").get_attribute("dir"))
        seen["lang"] = await page.locator("html").get_attribute("lang")
        skip_link = await page.locator("a.skip-link").text_content()
        await auditor.check(page, "start")
        await page.locator(f"form[action='/take/{CODE}'] button[type=submit]").click()
        await page.wait_for_load_state()
        seen["link"] = await page.locator("section.private-link code").inner_text()
        wrong_number = language == "en"
        for step in range(40):
            seen["directions"].add(await page.locator("html").get_attribute("dir"))
            if not await page.locator("form.question").count():
                break
            await auditor.check(page, f"question {step}")
            control = await _answer(page, wrong_number and step > 0)
            seen["controls"].append(control)
            if control == "number" and wrong_number:
                # Refused: said at the field, with what was typed still in it.
                seen["problem"] = " ".join((await page.get_by_role("alert").inner_text()).split())
                seen["kept"] = await page.locator("input[type=number]").input_value()
                await auditor.check(page, "a refused answer")
                wrong_number = False
        seen["finished"] = await page.locator("main h2").first.inner_text()
        await auditor.check(page, "finished")
    finally:
        await participant.close()
        await audit_context.close()
    seen["axe"] = auditor.found
    seen["too_wide"] = auditor.too_wide
    seen["first_tab"] = auditor.first_tab
    seen["skip_link"] = skip_link
    return seen


async def _both_languages(base: str) -> dict[str, dict[str, Any]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            return {
                "en": await _take_part(browser, base, "en"),
                "ar": await _take_part(browser, base, "ar"),
            }
        finally:
            await browser.close()


def test_a_round_is_answered_in_a_browser_without_javascript_in_english_and_arabic(
    served, database
):
    base = served
    seen = asyncio.run(_both_languages(base))

    english, arabic = seen["en"], seen["ar"]
    for visit in (english, arabic):
        assert len(visit["axe"]) >= 10, visit["axe"]
        assert {page: found for page, found in visit["axe"].items() if found} == {}
        assert visit["too_wide"] == {}
        # The keyboard reaches the skip link first.
        assert visit["first_tab"] == visit["skip_link"]
        assert visit["link"].startswith(f"{base}/take/{CODE}/")
        assert {"radio", "checkbox", "textarea", "date", "number"} <= set(visit["controls"])
        # Nothing was fetched from anywhere but the app itself.
        assert [url for url in visit["requested"] if not url.startswith(base + "/")] == []
    assert english["lang"] == "en" and english["directions"] == {"ltr"}
    assert arabic["lang"] == "ar" and arabic["directions"] == {"rtl"}
    assert english["problem"] == "Please answer with a number of at least 0."
    assert english["kept"] == "-5"
    assert english["finished"] == "Thank you"
    assert english["skip_link"] == "Skip to main content"
    assert english["link"] != arabic["link"]

    with database.unit_of_work() as session:
        stored = session.execute(
            select(Answer.language, Answer.question_id).where(Answer.channel == Platform.WEB)
        ).all()
    assert {language for language, _ in stored} == {"en", "ar"}
    asked = {"status", "consulted", "comment", "last_info", "reach"}
    for language in ("en", "ar"):
        assert asked <= {q for lang, q in stored if lang == language}
