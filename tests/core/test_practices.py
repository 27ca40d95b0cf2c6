"""Good practices in the core: writing, review, versions, search, followers and questions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import practices
from core.audit import recent
from core.db import Database
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.follows import follow
from core.models import (
    FollowKind,
    Notice,
    Participant,
    PracticeState,
    PracticeVersion,
    Tag,
    TagKind,
)
from core.practices import PracticeDraft, Search
from core.recommendations import find as find_recommendation
from core.updates import get_update
from core.vocabulary import Role
from tests.fakes.followup import NOW, Cast, person, set_up

COMMITTEE = PracticeDraft(
    title="An inter-ministerial committee with a seat for civil society",
    summary="Ministries and two elected CSO members meet monthly to follow up recommendations.",
    done="A decree created the committee; CSOs elect their two members every year.",
    results="Forty recommendations got a lead ministry and a plan within a year.",
    lessons="Publish the minutes, or trust erodes.",
    themes=["Participation in public affairs", "Justice"],
    sdg_targets=["16.7"],
    mechanism="inter-ministerial committee with a CSO seat",
    country="Valdoria",
    contact="nmirf@valdoria.example",
    translations={
        "fr": {
            "title": "Un comité interministériel avec un siège pour la société civile",
            "summary": "Les ministères et deux membres élus des OSC se réunissent chaque mois.",
        }
    },
)


def _submit(session, author_id: int, draft: PracticeDraft = COMMITTEE) -> PracticeVersion:
    return practices.submit(session, session.get_one(Participant, author_id), draft, now=NOW)


@pytest.fixture
def cast(database: Database) -> Cast:
    return set_up(database)


def test_a_government_draft_is_public_only_once_an_organiser_approves_it(database, cast):
    with database.unit_of_work() as session:
        draft = _submit(session, cast.government)
        assert draft.state is PracticeState.DRAFT
        assert practices.search(session) == []
        assert [v.id for v in practices.awaiting_review(session)] == [draft.id]
        number = draft.practice_id
    with database.unit_of_work() as session:
        organiser = session.get_one(Participant, cast.organiser)
        published = practices.approve(session, organiser, number, note="Clear", now=NOW)
        assert published.state is PracticeState.PUBLISHED and published.current
        assert published.reviewed_by == organiser.pseudonym
    with database.unit_of_work() as session:
        found = practices.search(session)
        assert [v.title for v in found] == [COMMITTEE.title]
        assert practices.awaiting_review(session) == []
        actions = [e.action for e in recent(session) if e.subject_type == "practice"]
        assert actions[:2] == ["practice.approved", "practice.submitted"]


def test_only_verified_writers_may_write_and_only_organisers_review(database, cast):
    with database.unit_of_work() as session:
        society = person(session, Role.CIVIL_SOCIETY)
        with pytest.raises(PermissionDenied, match="verify CODE"):
            practices.submit(session, society, COMMITTEE, now=NOW)
        # A government role nobody vouched for does not count.
        unverified = person(session, Role.GOVERNMENT)
        unverified.verified_at = None
        with pytest.raises(PermissionDenied):
            practices.submit(session, unverified, COMMITTEE, now=NOW)
        draft = _submit(session, cast.nhri)
        government = session.get_one(Participant, cast.government)
        with pytest.raises(PermissionDenied, match="only organisers review"):
            practices.approve(session, government, draft.practice_id, now=NOW)
        organiser = session.get_one(Participant, cast.organiser)
        with pytest.raises(InvalidInput, match="say why"):
            practices.reject(session, organiser, draft.practice_id, note="  ", now=NOW)
        rejected = practices.reject(session, organiser, draft.practice_id, note="Add results")
        assert rejected.state is PracticeState.REJECTED
        with pytest.raises(InvalidInput, match="no draft waiting"):
            practices.approve(session, organiser, draft.practice_id, now=NOW)


def test_an_organiser_may_write_a_practice_too(database, cast):
    with database.unit_of_work() as session:
        draft = _submit(session, cast.organiser)
        assert draft.state is PracticeState.DRAFT


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "  "}, "title: this field is needed"),
        ({"summary": ""}, "summary: this field is needed"),
        ({"title": "x" * 201}, "title: 201 characters is too long; the limit is 200"),
        ({"done": "nul\x00byte"}, "what was done: contains a control character"),
        ({"sdg_targets": ["peace"]}, "'peace' is not an SDG target"),
        ({"licence": "all rights reserved"}, "licence: 'all rights reserved' is not one of"),
        ({"languages": ["french!"]}, "languages: 'french!' is not a language code"),
        ({"recommendations": ["#999"]}, "recommendations: no recommendation with id 999"),
        ({"translations": {"fr": {"title": "Seul"}}}, "fr: give at least a title and a summary"),
        ({"translations": {"fr": {"title": "T", "summary": "S", "x": "?"}}}, "x are not fields"),
        ({"themes": [f"theme {n}" for n in range(21)]}, "themes: at most 20"),
    ],
)
def test_bad_fields_are_refused_naming_the_field_and_nothing_is_stored(
    database, cast, change, message
):
    draft = PracticeDraft(**{**COMMITTEE.__dict__, **change})
    with (
        database.unit_of_work() as session,
        pytest.raises((InvalidInput, NotFound), match=message),
    ):
        _submit(session, cast.government, draft)
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PracticeVersion)) == 0


def test_html_and_script_are_stored_as_the_text_that_was_typed(database, cast):
    hostile = PracticeDraft(
        title='<script>alert("x")</script> & <b>bold</b>',
        summary='=HYPERLINK("http://evil") <!channel> @here',
    )
    with database.unit_of_work() as session:
        draft = _submit(session, cast.government, hostile)
        assert draft.title == hostile.title and draft.summary == hostile.summary


def test_an_edit_is_a_new_version_and_the_published_one_stays_until_approved(database, cast):
    with database.unit_of_work() as session:
        organiser = session.get_one(Participant, cast.organiser)
        first = _submit(session, cast.government)
        practices.approve(session, organiser, first.practice_id, now=NOW)
        government = session.get_one(Participant, cast.government)
        edited = PracticeDraft(**{**COMMITTEE.__dict__, "results": "Sixty recommendations."})
        second = practices.revise(session, government, first.practice_id, edited, now=NOW)
        assert (second.version, second.state) == (2, PracticeState.DRAFT)
        # The public still sees the first version while the edit waits.
        assert [v.version for v in practices.search(session)] == [1]
        # Another organisation's reporter may not edit it; the NHRI may not either.
        nhri = session.get_one(Participant, cast.nhri)
        with pytest.raises(PermissionDenied, match="another organisation"):
            practices.revise(session, nhri, first.practice_id, edited, now=NOW)
        practices.approve(session, organiser, first.practice_id, now=NOW + timedelta(hours=1))
        shown = practices.search(session)
        assert [(v.version, v.results) for v in shown] == [(2, "Sixty recommendations.")]
        kept = practices.get(session, first.practice_id).versions
        assert [(v.version, v.state, v.current) for v in kept] == [
            (1, PracticeState.PUBLISHED, False),
            (2, PracticeState.PUBLISHED, True),
        ]
        assert kept[0].content_hash != kept[1].content_hash


def _published(session, cast: Cast, draft: PracticeDraft) -> PracticeVersion:
    version = _submit(session, cast.government, draft)
    organiser = session.get_one(Participant, cast.organiser)
    return practices.approve(session, organiser, version.practice_id, now=NOW)


def test_search_by_words_in_either_language_by_theme_sdg_target_and_mechanism(database, cast):
    with database.unit_of_work() as session:
        committee = _published(session, cast, COMMITTEE)
        registry = _published(
            session,
            cast,
            PracticeDraft(
                title="Mobile birth registration in rural districts",
                summary="Registrars travel with tablets to register children at school.",
                themes=["Birth registration"],
                sdg_targets=["SDG 16.9"],
                mechanism="NHRI monitoring unit",
                language="en",
            ),
        )

        def titles(**wanted: str) -> list[str]:
            return [v.title for v in practices.search(session, Search(**wanted))]

        assert titles(text="committee") == [committee.title]
        # A French word finds the practice through its French translation, accents or not.
        assert titles(text="comité") == [committee.title]
        assert titles(text="COMITE interministeriel") == [committee.title]
        assert titles(text="registration rural") == [registry.title]
        assert titles(theme="justice") == [committee.title]
        assert titles(theme="Birth registration") == [registry.title]
        assert titles(sdg_target="16.9") == [registry.title]
        assert titles(sdg_target="SDG 16.7") == [committee.title]
        assert titles(mechanism="CSO seat") == [committee.title]
        assert titles(language="fr") == [committee.title]
        assert titles(country="valdoria") == [committee.title]
        assert practices.count(session, Search(text="registrars")) == 1
        assert practices.known_theme(session, "JUSTICE") == "Justice"
        assert dict(practices.themes(session))["Birth registration"] == 1
        assert practices.mechanisms(session) == [
            "NHRI monitoring unit",
            "inter-ministerial committee with a CSO seat",
        ]


REGISTRY = PracticeDraft(
    title="Mobile birth registration in rural districts",
    summary="Registrars travel with tablets to register children at school.",
    themes=["Birth registration"],
    sdg_targets=["16.9"],
)


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        # Pattern characters are not wildcards: they separate words like any punctuation.
        ("c_mmittee", []),
        ("commit%ee", []),
        ("[a-z]*ommittee", []),
        # SQL typed into the box is words to look for, and only the committee has "or ...".
        ("' OR 1=1 --", [COMMITTEE.title]),
        ("registr%", [REGISTRY.title]),
        ("\\registrars\\", [REGISTRY.title]),
        # Nothing but punctuation names no word, so nothing is filtered out.
        ("%", [REGISTRY.title, COMMITTEE.title]),
        (".*", [REGISTRY.title, COMMITTEE.title]),
    ],
)
def test_search_treats_sql_and_pattern_characters_as_plain_text(database, cast, typed, found):
    with database.unit_of_work() as session:
        _published(session, cast, COMMITTEE)
        registry = _submit(session, cast.government, REGISTRY)
        organiser = session.get_one(Participant, cast.organiser)
        practices.approve(session, organiser, registry.practice_id, now=NOW + timedelta(hours=1))
        assert [v.title for v in practices.search(session, Search(text=typed))] == found
        assert practices.search(session, Search(theme=typed)) == []
        assert practices.search(session, Search(mechanism=typed + "%")) == []


def test_the_reader_gets_a_translation_where_one_exists(database, cast):
    with database.unit_of_work() as session:
        version = _published(session, cast, COMMITTEE)
        french, shown_in = practices.texts(version, "fr")
        assert shown_in == "fr" and french["title"].startswith("Un comité")
        # Fields the translation leaves out are shown as written.
        assert french["done"] == COMMITTEE.done
        assert practices.texts(version, "es") == (
            {name: getattr(version, name) for name in practices.TEXT_FIELDS},
            "en",
        )
        described = practices.describe(session, version, "fr")
        assert described["language"] == "fr" and described["written_in"] == "en"
        assert described["languages"] == ["en", "fr"]
        assert described["licence_url"] == "https://creativecommons.org/licenses/by/4.0/"
        assert described["organisation"] == "Ministry of Justice"


def test_themes_join_the_recommendations_vocabulary_so_follow_finds_them(database, cast):
    with database.unit_of_work() as session:
        _published(
            session, cast, PracticeDraft(title="T", summary="S", themes=["birth REGISTRATION"])
        )
        themes = session.scalars(select(Tag.code).where(Tag.kind == TagKind.THEME)).all()
        # The template's "Birth registration" theme is reused, not duplicated in other case.
        assert [t for t in themes if t.lower() == "birth registration"] == ["Birth registration"]


def test_publishing_tells_followers_of_its_themes_sdg_targets_and_recommendations(database, cast):
    with database.unit_of_work() as session:
        by_theme, by_sdg, by_rec, unrelated, gone = (
            person(session, Role.CIVIL_SOCIETY) for _ in range(5)
        )
        follow(session, by_theme, FollowKind.THEME, "justice", now=NOW)
        follow(session, by_sdg, FollowKind.SDG_TARGET, "16.7", now=NOW)
        follow(session, by_rec, FollowKind.RECOMMENDATION, str(cast.recommendations[0]), now=NOW)
        follow(session, unrelated, FollowKind.THEME, "Birth registration", now=NOW)
        follow(session, gone, FollowKind.THEME, "Justice", now=NOW)
        gone.opted_out_at = NOW
        linked = PracticeDraft(
            **{**COMMITTEE.__dict__, "recommendations": [cast.recommendations[0]]}
        )
        version = _published(session, cast, linked)
        told = set(
            session.scalars(
                select(Notice.participant_id).where(
                    Notice.kind == practices.PRACTICE_NOTICE,
                    Notice.subject == f"practice-version:{version.id}",
                )
            )
        )
        assert told == {by_theme.id, by_sdg.id, by_rec.id}
        # Announcing again writes nothing twice.
        assert practices.announce(session, version, NOW) == 0


def test_a_question_reaches_the_author_and_only_the_author_answers(database, cast):
    with database.unit_of_work() as session:
        version = _published(session, cast, COMMITTEE)
        asker = person(session, Role.CIVIL_SOCIETY)
        with pytest.raises(InvalidInput, match="question: this field is needed"):
            practices.ask(session, asker, version.practice_id, "  ")
        asked = practices.ask(
            session, asker, version.practice_id, "How were the CSO members elected?", now=NOW
        )
        nhri = session.get_one(Participant, cast.nhri)
        with pytest.raises(PermissionDenied, match="only the practice's author"):
            practices.answer(session, nhri, asked.id, "No idea")
        author = session.get_one(Participant, cast.government)
        answered = practices.answer(session, author, asked.id, "By an open vote.", now=NOW)
        assert (answered.answer, answered.answered_by) == ("By an open vote.", author.pseudonym)
        with pytest.raises(InvalidInput, match="answered already"):
            practices.answer(session, author, asked.id, "Again")
        with pytest.raises(NotFound):
            practices.answer(session, author, 9999, "Nobody asked")


def test_a_draft_cannot_be_asked_about(database, cast):
    with database.unit_of_work() as session:
        draft = _submit(session, cast.government)
        asker = person(session, Role.CIVIL_SOCIETY)
        with pytest.raises(NotFound):
            practices.ask(session, asker, draft.practice_id, "Is this real?")


@pytest.mark.parametrize("typed", ["99999999999", "#2147483648", "0", "١٢"])
def test_a_number_no_row_can_have_is_not_found_on_every_database(database, cast, typed):
    with database.unit_of_work() as session:
        with pytest.raises(NotFound):
            practices.get(session, typed)
        with pytest.raises(NotFound):
            find_recommendation(session, typed)
        with pytest.raises(NotFound):
            get_update(session, typed)


def test_counting_by_language_agrees_with_the_list(database, cast):
    with database.unit_of_work() as session:
        _published(session, cast, COMMITTEE)
        _published(session, cast, REGISTRY)
        assert practices.count(session, Search(language="fr")) == 1
        assert practices.count(session, Search(language="en")) == 2
        assert practices.count(session, Search(language="es")) == 0
