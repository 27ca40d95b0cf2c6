"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, checked by axe-core.

The app is served by uvicorn in a thread on a socket bound and listening before the browser
starts, so no waiting is needed. The browser signs in, reads a round's results as a screen
reader would (the table beside each chart), downloads an export, searches good practices,
approves a practice's draft and an update's, and signs out; axe-core (the copy shipped in
axe-playwright-python) checks every page on the way.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from bots.api.app import create_app
from core import people, rounds, tokens
from core.config import Settings
from core.demo import load_demo
from core.vocabulary import Platform, Role
from tests.conftest import PSEUDONYM_KEY
from tests.fakes.demo_answers import Answers, answer_demo_round

CHROMIUM = Path("/usr/bin/chromium")
SECRET = "browser-test-secret-key-0123456789"
# axe-core's two worst levels; "moderate" and "minor" findings are not failures here.
BLOCKING = frozenset({"serious", "critical"})

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does); "
    "the browser tests never download a browser of their own",
)


@pytest.fixture
def served(database) -> Iterator[tuple[str, str]]:
    """The demo with ten people's answers, served on 127.0.0.1; yields (base URL, token)."""
    load_demo(database, PSEUDONYM_KEY)
    answer_demo_round(
        database,
        PSEUDONYM_KEY,
        [
            Answers(
                involved="yes" if n < 5 else "no",
                platform=Platform.WEB if n % 2 else Platform.TERMINAL,
            )
            for n in range(10)
        ],
    )
    with database.unit_of_work() as session:
        consultation = rounds.find_round(session, "ARC2027")
        consultation.languages = [*consultation.languages, "ar"]
        organiser = people.add_participant(
            session, pseudonym_key=PSEUDONYM_KEY, role=Role.ORGANISER
        )
        _, token = tokens.create_token(session, participant=organiser, role=Role.ORGANISER)
    app = create_app(Settings(database_url=database.url, secret_key=SECRET), database=database)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    # Listening already: the browser's first connection waits in the backlog until uvicorn
    # has started, instead of being refused.
    listener.listen(64)
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()
        assert not thread.is_alive(), "uvicorn did not stop"


async def _accessible(page, checked: dict[str, list[str]]) -> None:
    """Run axe-core on the page; remember its serious and critical violations by address."""
    from axe_playwright_python.async_playwright import Axe

    found = await Axe().run(page)
    checked[page.url] = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in found.response["violations"]
        if v["impact"] in BLOCKING
    ]


async def _visit_the_dashboard(base: str, token: str, downloads: Path) -> dict[str, object]:
    from playwright.async_api import async_playwright

    seen: dict[str, object] = {}
    checked: dict[str, list[str]] = {}
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = await browser.new_context(accept_downloads=True)
            page = await context.new_page()
            page.on("request", lambda request: requested.append(request.url))

            # Signing in, from a page that needs it.
            await page.goto(f"{base}/dashboard/rounds")
            assert "/dashboard/sign-in" in page.url
            await _accessible(page, checked)
            await page.get_by_label("API token").fill(token)
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url(f"{base}/dashboard/rounds")
            await _accessible(page, checked)

            # The keyboard reaches the skip link first, and focus is drawn.
            await page.keyboard.press("Tab")
            seen["first_tab"] = await page.evaluate("document.activeElement.textContent")
            seen["focus_outline"] = await page.evaluate(
                "getComputedStyle(document.activeElement).outlineStyle"
            )

            # A round's results: the table beside the chart, as a screen reader reads it.
            await page.get_by_role("link", name="Results of ARC2027").click()
            await page.wait_for_url(f"{base}/dashboard/rounds/ARC2027")
            await _accessible(page, checked)
            table = page.get_by_role(
                "table", name=re.compile(r"Have you been involved .*: all answers")
            )
            seen["involved"] = [
                [" ".join(cell.split()) for cell in await row.locator("th, td").all_inner_texts()]
                for row in await table.get_by_role("row").all()
            ]
            seen["chart"] = await page.get_by_role(
                "img", name=re.compile("Bar chart of the answers")
            ).count()

            # An export downloads as a file.
            async with page.expect_download() as waiting:
                await page.get_by_role("link", name="Export CSV").click()
            download = await waiting.value
            seen["download_name"] = download.suggested_filename
            saved = downloads / download.suggested_filename
            await download.save_as(saved)
            seen["download"] = saved.read_text(encoding="utf-8-sig")

            # The same results in Arabic, right to left.
            await page.goto(f"{base}/dashboard/rounds/ARC2027?lang=ar")
            await _accessible(page, checked)
            heading = page.locator("#t-involved")
            seen["arabic"] = (
                await heading.get_attribute("lang"),
                await heading.get_attribute("dir"),
            )

            # Recommendations, one with its timeline.
            await (
                page.get_by_role("navigation", name="Dashboard")
                .get_by_role("link", name="Recommendations")
                .click()
            )
            await page.get_by_label("Words").fill("birth")
            await page.get_by_role("button", name="Search").click()
            await _accessible(page, checked)
            await page.locator("ol.results a").first.click()
            await _accessible(page, checked)

            # Good practices: searched by theme, one read in full, the demo's draft approved.
            await (
                page.get_by_role("navigation", name="Dashboard")
                .get_by_role("link", name="Good practices")
                .click()
            )
            await page.get_by_label("Theme").select_option("Birth registration")
            await page.get_by_role("button", name="Search").click()
            await _accessible(page, checked)
            await page.locator("ol.results a").first.click()
            await _accessible(page, checked)
            await page.goto(f"{base}/dashboard/practices/review")
            await _accessible(page, checked)
            await page.get_by_role(
                "button", name=re.compile("Approve and publish practice")
            ).click()
            seen["practice_review"] = await page.get_by_role("status").first.inner_text()
            await _accessible(page, checked)

            # The review queue: approve the demo's draft through its form.
            await page.goto(f"{base}/dashboard/review")
            await _accessible(page, checked)
            await page.get_by_label("Note to the author (optional)").fill("Checked")
            await page.get_by_role("button", name=re.compile("Approve and publish")).click()
            seen["review"] = await page.get_by_role("status").first.inner_text()
            await _accessible(page, checked)

            await page.goto(f"{base}/dashboard/outbox")
            await _accessible(page, checked)

            await page.get_by_role("button", name="Sign out").click()
            await page.wait_for_url(f"{base}/dashboard/sign-in")
            await page.goto(f"{base}/dashboard/rounds")
            seen["after_sign_out"] = page.url
        finally:
            await browser.close()
    seen["checked"] = checked
    seen["requested"] = requested
    return seen


def test_an_organiser_uses_the_dashboard_in_a_browser(served, tmp_path):
    base, token = served
    seen = asyncio.run(_visit_the_dashboard(base, token, tmp_path))

    checked = seen["checked"]
    assert len(checked) >= 8, checked
    assert {url: found for url, found in checked.items() if found} == {}

    assert seen["first_tab"] == "Skip to main content"
    assert seen["focus_outline"] == "solid"
    assert seen["chart"] >= 1
    assert ["Yes", "5", "50%"] in seen["involved"]
    assert ["No", "5", "50%"] in seen["involved"]
    assert seen["download_name"] == "ARC2027-results.csv"
    assert "involved" in seen["download"]
    assert seen["arabic"] == ("ar", "rtl")
    assert "was approved and published" in seen["review"]
    assert re.match(r"Practice \d+ was approved and published", seen["practice_review"])
    assert "/dashboard/sign-in" in seen["after_sign_out"]
    # Nothing was fetched from anywhere but the app itself.
    assert [url for url in seen["requested"] if not url.startswith(base + "/")] == []
