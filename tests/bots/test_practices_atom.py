"""The Atom feed of good practices, read back the way feed readers read it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from fastapi.testclient import TestClient

from bots.api.app import create_app
from core import practices
from core.config import Settings
from core.models import Participant
from tests.fakes.followup import MINISTRY, NHRI, set_up

PUBLIC_URL = "https://consulta.valdoria.example"
ATOM = "{http://www.w3.org/2005/Atom}"
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TRICKY = '<script>alert("x")</script> Courts & communities'


@pytest.fixture
def cast(database):
    return set_up(database)


@pytest.fixture
def client(database, cast) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database.url, deployment_name="Valdoria NMIRF", public_url=PUBLIC_URL
    )
    with TestClient(create_app(settings, database=database)) as test_client:
        yield test_client


def _publish(database, cast, author: int, draft: practices.PracticeDraft, day: int) -> tuple:
    """Write and approve a practice, published `day` days after Monday; its number and uid."""
    with database.unit_of_work() as session:
        writer = session.get(Participant, author)
        reviewer = session.get(Participant, cast.organiser)
        version = practices.submit(session, writer, draft, now=MONDAY)
        practices.approve(session, reviewer, version.practice_id, now=MONDAY + timedelta(days=day))
        return version.practice_id, version.practice.uid


@pytest.fixture
def shared(database, cast) -> dict[str, tuple]:
    committee = practices.PracticeDraft(
        title="An inter-ministerial committee with a civil society seat",
        summary="Ministries meet every quarter with two elected members.",
        done="A decree set up the committee.",
        results="Reports are on time.",
        themes=["Participation"],
        sdg_targets=["16.7"],
        licence="CC-BY-SA-4.0",
        translations={
            "fr": {
                "title": "Un comité interministériel",
                "summary": "Les ministères se réunissent chaque trimestre.",
            }
        },
    )
    tricky = practices.PracticeDraft(
        title=TRICKY,
        summary="Hearings <b>in</b> villages & towns.",
        themes=["Access to justice"],
        sdg_targets=["16.3"],
    )
    found = {
        "committee": _publish(database, cast, cast.government, committee, day=1),
        "tricky": _publish(database, cast, cast.nhri, tricky, day=2),
    }
    with database.unit_of_work() as session:
        author = session.get(Participant, cast.government)
        practices.submit(session, author, practices.PracticeDraft(title="A draft", summary="No."))
    return found


def test_the_feed_lists_published_practices_newest_first(client, shared):
    response = client.get("/practices.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"

    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id.startswith("urn:uuid:")
    assert feed.feed.title == "Good practices shared by Valdoria NMIRF"
    assert feed.feed.updated_parsed[:3] == (2027, 3, 3)
    assert [e.title for e in feed.entries] == [
        TRICKY,
        "An inter-ministerial committee with a civil society seat",
    ]
    assert "A draft" not in response.text

    tricky, committee = feed.entries
    number, uid = shared["committee"]
    assert committee.id == uid and committee.id.startswith("urn:uuid:")
    assert tricky.id == shared["tricky"][1]
    assert committee.updated_parsed[:4] == (2027, 3, 2, 9)
    assert committee.author == MINISTRY and tricky.author == NHRI
    assert committee.summary == "Ministries meet every quarter with two elected members."
    assert committee.content[0].type == "text/plain"
    assert "A decree set up the committee." in committee.content[0].value
    assert "Results:\nReports are on time." in committee.content[0].value
    assert committee.rights == "CC-BY-SA-4.0"
    assert [(t.term, t.scheme) for t in committee.tags] == [
        ("Participation", None),
        ("16.7", "https://unstats.un.org/sdgs/indicators/indicators-list/"),
    ]
    alternate = [link.href for link in committee.links if link.rel == "alternate"]
    assert alternate == [f"{PUBLIC_URL}/api/v1/practices/{number}"]
    licence = [link.href for link in committee.links if link.rel == "license"]
    assert licence == ["https://creativecommons.org/licenses/by-sa/4.0/"]

    # The feed's link leads to the practice itself.
    target = alternate[0].removeprefix(PUBLIC_URL)
    assert client.get(target).json()["uid"] == uid


def test_markup_in_a_title_is_escaped_and_comes_back_as_the_same_text(client, shared):
    response = client.get("/practices.atom")
    raw = response.text
    assert "<script>" not in raw
    assert '&lt;script&gt;alert("x")&lt;/script&gt; Courts &amp; communities' in raw
    titles = [element.text for element in ET.fromstring(response.content).iter(f"{ATOM}title")]
    assert TRICKY in titles
    entry = feedparser.parse(response.content).entries[0]
    assert entry.title_detail.type == "text/plain"
    assert entry.title == TRICKY
    assert entry.summary == "Hearings <b>in</b> villages & towns."


def test_the_feed_filters_by_theme_and_language(client, shared):
    in_french = client.get("/practices.atom?language=fr")
    feed = feedparser.parse(in_french.content)
    assert not feed.bozo
    [entry] = feed.entries
    assert entry.id == shared["committee"][1]
    assert entry.title == "Un comité interministériel"
    assert (
        ET.fromstring(in_french.content)
        .find(f"{ATOM}entry")
        .get("{http://www.w3.org/XML/1998/namespace}lang")
        == "fr"
    )

    by_theme = feedparser.parse(client.get("/practices.atom?theme=access%20to%20justice").content)
    assert [e.id for e in by_theme.entries] == [shared["tricky"][1]]
    everything = feedparser.parse(client.get("/practices.atom").content)
    # Each view is a feed of its own, with an id that stays the same from one read to the next.
    assert by_theme.feed.id != everything.feed.id
    assert everything.feed.id == feedparser.parse(client.get("/practices.atom").content).feed.id

    nothing = client.get("/practices.atom?theme=fisheries")
    empty = feedparser.parse(nothing.content)
    assert nothing.status_code == 200 and not empty.bozo and empty.entries == []
    assert empty.feed.updated


def test_a_new_version_replaces_the_entry_and_keeps_its_id(client, database, cast, shared):
    number, uid = shared["committee"]
    with database.unit_of_work() as session:
        author = session.get(Participant, cast.government)
        reviewer = session.get(Participant, cast.organiser)
        practices.revise(
            session,
            author,
            number,
            practices.PracticeDraft(title="The committee, a year on", summary="Still meeting."),
        )
        practices.approve(session, reviewer, number, now=MONDAY + timedelta(days=10))
    entries = feedparser.parse(client.get("/practices.atom").content).entries
    assert (entries[0].id, entries[0].title) == (uid, "The committee, a year on")
    assert [e.id for e in entries].count(uid) == 1
    assert entries[0].updated_parsed[:3] == (2027, 3, 11)
    assert entries[0].published_parsed[:3] == (2027, 3, 2)
