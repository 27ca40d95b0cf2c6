"""Good practices in chat: finding, reading, publishing, following, and asking the author."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import news, practices, updates
from core.conversation.words import Command, parse_command
from core.invitations import invite
from core.models import (
    ChatForm,
    Follow,
    FollowKind,
    Notice,
    OutboxMessage,
    PlatformIdentity,
    Practice,
    PracticeQuestion,
    PracticeState,
    PracticeVersion,
    TagKind,
)
from core.models import Participant as StoredParticipant
from core.vocabulary import Platform, Role
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.test_dialogues import run
from tests.fakes.chat import Participant
from tests.fakes.followup import NHRI, NOW, Cast, set_up

MORNING = NOW + timedelta(hours=1)


@pytest.fixture
def cast(database) -> Cast:
    return set_up(database)


def _chat(database, sender, platform=Platform.TELEGRAM, language=None, now=NOW) -> Participant:
    return Participant(
        database, PSEUDONYM_KEY, sender=sender, platform=platform, language_hint=language, now=now
    )


def _writer(database, sender="nhri-writer", platform=Platform.TELEGRAM) -> Participant:
    """An NHRI member who redeemed an invitation code in chat."""
    with database.unit_of_work() as session:
        code = invite(session, role=Role.NHRI, organisation=NHRI, actor="organiser", now=NOW).code
    writer = _chat(database, sender, platform)
    assert "You are now verified as NHRI staff" in writer.send(f"verify {code}")
    return writer


def _stored(session, sender) -> StoredParticipant:
    return session.scalars(
        select(StoredParticipant).where(StoredParticipant.identities.any(external_id=sender))
    ).one()


def _submit(database, sender, *, at=NOW, **fields) -> int:
    """A practice written by this person through core, as the API writes one."""
    draft = {"summary": "A short summary.", "done": "What was done.", **fields}
    with database.unit_of_work() as session:
        version = practices.submit(
            session, _stored(session, sender), practices.PracticeDraft(**draft), now=at
        )
        return version.practice_id


def _review(database, cast, number, *, at=NOW, note=None, approve=True) -> None:
    with database.unit_of_work() as session:
        organiser = session.get_one(StoredParticipant, cast.organiser)
        if approve:
            practices.approve(session, organiser, number, now=at)
        else:
            practices.reject(session, organiser, number, note=note or "", now=at)


def _count(database, model) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _sent_to(database, recipient) -> list[dict]:
    """What the outbox holds for one chat, oldest first."""
    with database.unit_of_work() as session:
        return [
            row.payload
            for row in session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == recipient)
                .order_by(OutboxMessage.id)
            )
        ]


def _library(database, cast) -> dict[str, int]:
    """Three published practices: English with a French translation, French only, English."""
    _writer(database)
    numbers = {
        "mobile": _submit(
            database,
            "nhri-writer",
            title="Mobile birth registration",
            summary="Mobile units register births in remote villages.",
            themes=["Birth registration"],
            sdg_targets=["16.9"],
            recommendations=["#1"],
            mechanism="Inter-ministerial committee",
            contact="registry@example.org",
            translations={
                "fr": {
                    "title": "Enregistrement mobile des naissances",
                    "summary": "Des unités mobiles enregistrent les naissances dans les villages.",
                }
            },
        ),
        "children": _submit(
            database,
            "nhri-writer",
            title="Consultation des enfants",
            summary="Des conseils d'enfants donnent leur avis sur les rapports.",
            themes=["Participation"],
            language="fr",
        ),
        "budget": _submit(
            database,
            "nhri-writer",
            title="Budget tracking up 40% in 2026",
            summary="The commission tracks what each ministry spends on rights.",
            themes=["Budgets"],
        ),
    }
    for number in numbers.values():
        _review(database, cast, number)
    return numbers


# --- commands ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "command", "argument"),
    [
        ("practices", Command.PRACTICES, ""),
        ("good practices birth registration", Command.PRACTICES, "birth registration"),
        ("practice 3", Command.PRACTICE, "3"),
        ("publish", Command.PUBLISH, ""),
        ("Pratiques enfants", Command.PRACTICES, "enfants"),
        ("pratique 3", Command.PRACTICE, "3"),
        ("publier", Command.PUBLISH, ""),
        ("prácticas educación", Command.PRACTICES, "educacion"),
        ("práctica 3", Command.PRACTICE, "3"),
        ("publicar", Command.PUBLISH, ""),
        ("ممارسات", Command.PRACTICES, ""),
        ("ممارسة ٣", Command.PRACTICE, "3"),
        ("نشر", Command.PUBLISH, ""),
        ("практики", Command.PRACTICES, ""),
        ("практика 3", Command.PRACTICE, "3"),
        ("опубликовать", Command.PUBLISH, ""),
        ("良好做法 教育", Command.PRACTICES, "教育"),
        ("做法 3", Command.PRACTICE, "3"),
        ("发布", Command.PUBLISH, ""),
        ("/practices@ConsultaBot", Command.PRACTICES, ""),
    ],
)
def test_the_practice_commands_in_each_language(typed, command, argument):
    assert parse_command(typed) == (command, argument)


def test_help_lists_the_practice_commands_in_the_readers_words(cast, database):
    french = _chat(database, "lecteur", language="fr")
    said = french.send("aide")
    assert "pratiques / practices" in said
    assert "pratique / practice" in said
    assert "publier / publish" in said


# --- listing, searching and reading ----------------------------------------------------------


def test_listing_and_searching_in_two_languages(cast, database):
    numbers = _library(database, cast)
    english = _chat(database, "reader-en")
    french = _chat(database, "reader-fr", language="fr")

    newest = english.send("practices")
    assert "The newest good practices:" in newest
    assert f"#{numbers['mobile']} Mobile birth registration" in newest
    # The French practice has no English text: it is listed as written.
    assert f"#{numbers['children']} Consultation des enfants" in newest
    assert [o.label for o in english.last[0].options] == ["Read 1", "Read 2", "Read 3"]

    # A theme a practice carries is searched as a theme, however it is typed.
    by_theme = english.send("practices BIRTH registration")
    assert "Good practices on Birth registration:" in by_theme
    assert "Mobile birth registration" in by_theme and "Budget" not in by_theme

    # Other words are searched in every language a practice is written in.
    assert "Mobile birth registration" in english.send("practices naissances")
    found = french.send("pratiques naissances")
    assert f"#{numbers['mobile']} Enregistrement mobile des naissances" in found
    assert "Mobile birth registration" not in found
    assert "Consultation des enfants" in french.send("pratiques conseils enfants")

    # Reading: the French speaker reads the French translation, the English one the original.
    read_fr = french.send(f"pratique {numbers['mobile']}")
    assert "Enregistrement mobile des naissances" in read_fr
    assert "Des unités mobiles enregistrent" in read_fr
    assert "français" not in read_fr and "anglais" not in read_fr
    read_en = english.send(f"practice #{numbers['mobile']}")
    assert f"Good practice #{numbers['mobile']}: Mobile birth registration" in read_en
    for part in (
        "Mobile units register births in remote villages.",
        "What was done: What was done.",
        "Themes: Birth registration",
        "SDG targets: 16.9",
        "Recommendations: #1 (125.14)",
        "Mechanism: Inter-ministerial committee",
        f"Organisation: {NHRI}",
        "Licence: CC-BY-4.0 https://creativecommons.org/licenses/by/4.0/",
        "Contact: registry@example.org",
    ):
        assert part in read_en, part
    assert [o.label for o in english.last[0].options] == [
        "Ask the author a question",
        "Follow Birth registration",
    ]
    # A practice with no translation into the reader's language says so.
    assert "(Shown in French, the language it was written in" in english.send(
        f"practice {numbers['children']}"
    )
    # To a French reader, the note names English in French.
    assert "anglais" in french.send(f"pratique {numbers['budget']}")

    # Pressing Read on the list opens the practice.
    english.send("practices")
    assert "Budget tracking up 40% in 2026" in english.press("Read 1")


def test_nothing_found_helps_and_drafts_stay_hidden(cast, database):
    reader = _chat(database, "reader")
    assert "No good practice is published yet." in reader.send("practices")
    numbers = _library(database, cast)
    draft = _submit(database, "nhri-writer", title="Unreviewed idea")
    said = reader.send("practices unicorns")
    assert "No good practice matches “unicorns”." in said
    assert "Send practices on its own to see the newest ones." in said
    assert "Or try a theme: Birth registration, Budgets, Participation." in said
    assert "no good practice with number '99'" in reader.send("practice 99")
    assert f"no good practice with number '{draft}'" in reader.send(f"practice {draft}")
    assert "Unreviewed idea" not in reader.send("practices idea")
    assert "Send practice and a practice's number" in reader.send("/practice")
    assert len(numbers) == 3


def test_a_long_list_shows_ten_and_says_how_many_more(cast, database):
    _writer(database)
    for n in range(1, 13):
        _review(database, cast, _submit(database, "nhri-writer", title=f"Court practice {n}"))
    reader = _chat(database, "reader")
    said = reader.send("practices court")
    assert "10. #3 Court practice 3" in said and "Court practice 2" not in said
    assert "and 2 more" in said
    assert [o.label for o in reader.last[0].options] == [f"Read {n}" for n in range(1, 11)]
    assert "Good practice #12: Court practice 12" in reader.press("Read 1")


@pytest.mark.parametrize("typed", ["%", "_", "' OR 1=1 --", ".*", "[", "%_%", "\\", "%'; DROP"])
def test_search_metacharacters_are_only_characters(cast, database, typed):
    _library(database, cast)
    reader = _chat(database, "reader")
    said = reader.send(f"practices {typed}")
    assert f"No good practice matches “{typed}”." in said
    # The words around them still count: 40% is the number 40.
    assert "Budget tracking up 40% in 2026" in reader.send("practices 40%")
    assert _count(database, PracticeVersion) == 3


def test_html_typed_into_a_practice_is_shown_as_written(cast, database):
    _writer(database)
    number = _submit(
        database,
        "nhri-writer",
        title="<script>alert('x')</script> Safe births",
        summary="Fees <b>waived</b> & forms simplified.",
    )
    _review(database, cast, number)
    reader = _chat(database, "reader")
    assert "#1 <script>alert('x')</script> Safe births" in reader.send("practices safe births")
    said = reader.send("practice 1")
    assert "<script>alert('x')</script> Safe births" in said
    assert "Fees <b>waived</b> & forms simplified." in said


# --- publishing -------------------------------------------------------------------------------

# (sent, expected in the reply)
PUBLISH = [
    ("publish", "What is the practice's title?"),
    ("x" * 201, "title: 201 characters is too long; the limit is 200"),
    # Starts like the `practices` command, but the form is waiting for a title.
    ("Practices of mobile registration", "Summarise it"),
    ("skip", "This field is needed."),
    ("Mobile units <b>register</b> births in remote villages.", "What was done?"),
    ("Two trucks visit each district every month.", "What came of it?"),
    ("Registration rose from 61% to 84% in two years.", "What lessons"),
    ("Bring the registry to people; train local volunteers.", "Its themes and SDG targets"),
    (", ".join(f"theme {n}" for n in range(21)), "themes: at most 20"),
    ("Birth registration, SDG 16.9", "Which recommendations"),
    ("#99", "recommendations: no recommendation with id 99"),
    ("#1, #2", "Which mechanism"),
    ("skip", "A contact others may write to"),
    ("registry@example.org", "Please check your good practice"),
    ("3", "send 1 to post, or 2 to cancel"),
    ("1", "Sent for review as practice #1."),
]


def test_a_verified_writer_publishes_a_practice_by_guided_conversation(cast, database):
    writer = _writer(database)
    run(writer, PUBLISH)
    with database.unit_of_work() as session:
        version = session.scalars(select(PracticeVersion)).one()
        assert version.state is PracticeState.DRAFT and not version.current
        assert version.title == "Practices of mobile registration"
        assert version.summary == "Mobile units <b>register</b> births in remote villages."
        assert version.results == "Registration rose from 61% to 84% in two years."
        assert version.lessons == "Bring the registry to people; train local volunteers."
        assert [t.code for t in version.tags_of(TagKind.THEME)] == ["Birth registration"]
        assert [t.code for t in version.tags_of(TagKind.SDG_TARGET)] == ["16.9"]
        assert [r["paragraph"] for r in version.recommendations] == ["125.14", "21"]
        assert (version.mechanism, version.contact) == ("", "registry@example.org")
        assert (version.channel, version.language) == ("telegram", "en")
        assert version.practice.publisher == NHRI
        assert session.scalar(select(func.count()).select_from(ChatForm)) == 0
    # Nothing is public before an organiser approves it.
    assert "No good practice is published yet." in _chat(database, "reader").send("practices")


def test_the_unverified_are_refused_and_the_form_can_be_cancelled(cast, database):
    stranger = _chat(database, "stranger")
    said = stranger.send("publish")
    assert "Only verified organisers, NHRI staff and government focal points" in said
    assert "send verify CODE" in said
    assert _count(database, ChatForm) == 0

    writer = _writer(database)
    writer.send("publish")
    assert "Cancelled. Nothing was posted." in writer.send("cancel")
    assert "There is nothing to cancel." in writer.send("cancel")
    # Help in the middle of the form leaves it open; a slashed command is a command.
    writer.send("publish")
    writer.send("Community paralegals")
    assert "What you can send:" in writer.send("/help")
    assert "What was done?" in writer.send("Paralegals explain rights in markets.")
    for text in ("They hold weekly sessions.", "Many more claims.", "Trust matters."):
        writer.send(text)
    for _ in range(4):
        writer.send("skip")
    assert "Please check your good practice" in writer.said
    assert "Cancelled. Nothing was posted." in writer.press("2. Cancel")
    assert _count(database, Practice) == 0
    # A form left for hours is dropped: the next message is not taken as its answer.
    writer.send("publish")
    writer.now = NOW + timedelta(hours=3)
    assert "To take part in a consultation" in writer.send("A title typed much later")
    assert _count(database, ChatForm) == 0


def test_a_practice_posted_with_the_button(cast, database):
    writer = _writer(database, "focal", Platform.SLACK)
    writer.send("publish")
    for text in ("Open data on detention", "Monthly figures.", "Published online.", "More", "Less"):
        writer.send(text)
    for _ in range(4):
        writer.send("skip")
    assert "Sent for review as practice #1." in writer.press("1. Post")
    assert "That button is no longer valid" in writer.press_id("uf.post")
    with database.unit_of_work() as session:
        assert session.scalars(select(PracticeVersion.channel)).one() == "slack"


# --- review, following and news --------------------------------------------------------------


def test_authors_hear_how_the_review_ended(cast, database):
    _writer(database)
    published = _submit(database, "nhri-writer", title="Free late registration")
    sent_back = _submit(database, "nhri-writer", title="Birth registration week")
    _review(database, cast, published)
    _review(database, cast, sent_back, approve=False, note="Say which districts took part.")
    texts = [p["text"] for p in _sent_to(database, "nhri-writer")]
    assert texts == [
        f"Your good practice #{published} “Free late registration” is published. People "
        "who follow its themes will hear of it.",
        f"Your good practice #{sent_back} “Birth registration week” was sent back: Say "
        "which districts took part.",
    ]


def test_followers_hear_of_practices_under_the_daily_cap(cast, database):
    _writer(database)
    first = _submit(
        database, "nhri-writer", title="Mobile birth registration", themes=["Birth registration"]
    )
    _review(database, cast, first)

    follower = _chat(database, "follower")
    follower.send(f"practice {first}")
    assert "You now follow Birth registration" in follower.press("Follow Birth registration")
    assert "You already follow Birth registration" in follower.press_id(f"pr.{first}.follow")
    with database.unit_of_work() as session:
        follow = session.scalars(select(Follow)).one()
        assert (follow.kind, follow.target) == (FollowKind.THEME, "Birth registration")

    def news_for(recipient):
        return [
            p["text"]
            for p in _sent_to(database, recipient)
            if p["text"].startswith(("A good practice", "News on"))
        ]

    def tick(at):
        with database.unit_of_work() as session:
            return news.deliver_news(session, at)

    # Approved in the morning: the follower hears of it at the next tick.
    second = _submit(
        database,
        "nhri-writer",
        title="Registration desks in hospitals",
        summary="Every maternity ward registers births before mothers go home.",
        themes=["birth registration"],
    )
    _review(database, cast, second, at=MORNING)
    assert tick(MORNING) == 1
    [single] = _sent_to(database, "follower")
    assert single["text"].startswith(
        "A good practice on what you follow: Registration desks in hospitals"
    )
    assert f"From {NHRI}" in single["text"]
    assert "Every maternity ward registers births" in single["text"]
    assert [o["label"] for o in single["options"]] == ["Read"]
    # The author is not told of their own practice.
    assert news_for("nhri-writer") == []

    # A second practice and an update the same day wait for tomorrow's digest.
    third = _submit(
        database, "nhri-writer", title="Registration by text message", themes=["Birth registration"]
    )
    _review(database, cast, third, at=MORNING + timedelta(hours=1))
    with database.unit_of_work() as session:
        updates.post_update(
            session,
            _stored(session, "nhri-writer"),
            updates.UpdateDraft(status="in_progress", narrative="Assessed.", recommendation=1),
            now=MORNING + timedelta(hours=2),
        )
    assert tick(MORNING + timedelta(hours=3)) == 0
    assert len(news_for("follower")) == 1
    assert tick(MORNING + timedelta(days=1)) == 1
    digest = _sent_to(database, "follower")[-1]
    lines = digest["text"].splitlines()
    assert lines[0] == "News on what you follow: 1 update and 1 good practice."
    assert lines[1] == "1. Good practice: Registration by text message"
    assert lines[2].startswith("2. Valdoria Human Rights Commission on #1 (125.14)")
    assert lines[-1] == "Choose one to read it."
    assert [o["label"] for o in digest["options"]] == ["Read 1", "Read 2"]
    # The digest's buttons open the practice, and the update.
    assert "Registration by text message" in follower.press_id(digest["options"][0]["id"])
    assert "Reported status: In progress" in follower.press_id(digest["options"][1]["id"])
    assert tick(MORNING + timedelta(days=2)) == 0
    with database.unit_of_work() as session:
        waiting = select(func.count()).select_from(Notice).where(Notice.sent_at.is_(None))
        assert session.scalar(waiting) == 0


def test_a_digest_of_practices_only_and_the_opted_out_hear_nothing(cast, database):
    _writer(database)
    reader = _chat(database, "reader")
    reader.send("follow birth registration")
    leaving = _chat(database, "leaving")
    leaving.send("follow birth registration")
    leaving.send("optout")
    numbers = [
        _submit(database, "nhri-writer", title=f"Practice {n}", themes=["Birth registration"])
        for n in (1, 2)
    ]
    for number in numbers:
        _review(database, cast, number, at=MORNING)
    with database.unit_of_work() as session:
        assert news.deliver_news(session, MORNING) == 1
    [digest] = _sent_to(database, "reader")
    assert digest["text"].splitlines()[0] == "News on what you follow: 2 good practices."
    assert _sent_to(database, "leaving") == []


# --- questions to authors ---------------------------------------------------------------------


def test_a_question_reaches_the_author_without_the_askers_name_and_the_answer_comes_back(
    cast, database
):
    author = _writer(database)
    number = _submit(
        database,
        "nhri-writer",
        title="Mobile birth registration",
        themes=["Birth registration"],
        translations={"fr": {"title": "Enregistrement mobile", "summary": "Des unités mobiles."}},
    )
    _review(database, cast, number)
    asker = _chat(database, "asker-fr", language="fr")
    # The asker reads in French: the practice, and what comes back, are in French.
    assert "Enregistrement mobile" in asker.send(f"pratique {number}")
    assert "Enregistrement mobile" in asker.press_id(f"pr.{number}.ask")
    asker.send("Comment avez-vous financé les camions ?")

    with database.unit_of_work() as session:
        question = session.scalars(select(PracticeQuestion)).one()
        asker_row = _stored(session, "asker-fr")
        secrets = (asker_row.pseudonym, asker_row.uid, "asker-fr")
    relayed = _sent_to(database, "nhri-writer")[-1]
    assert relayed["text"].startswith(
        f"A question about your good practice #{number} “Mobile birth registration”:"
    )
    assert "Comment avez-vous financé les camions ?" in relayed["text"]
    assert "Who asked is not shown to you." in relayed["text"]
    assert not any(secret in str(relayed) for secret in secrets)
    assert [(o["id"], o["label"]) for o in relayed["options"]] == [
        (f"pq.{question.id}.answer", "Answer")
    ]

    # Only the author answers, once.
    # The asker reads French: the refusal is said in French.
    assert "Seul l'auteur de la pratique répond" in asker.press_id(f"pq.{question.id}.answer")
    assert "There is no question number 999." in author.press_id("pq.999.answer")
    said = author.press_id(relayed["options"][0]["id"])
    assert "The question was: “Comment avez-vous financé les camions ?”" in said
    assert "Please write your answer, or send cancel." in author.send("skip")
    assert "Your answer is on its way" in author.send("A regional development fund paid.")
    assert "You answered this question already." in author.press_id(f"pq.{question.id}.answer")

    answer = _sent_to(database, "asker-fr")[-1]
    assert answer["language"] == "fr"
    # In the asker's language: the practice's French title.
    assert f"#{number} « Enregistrement mobile »" in answer["text"]
    assert "Comment avez-vous financé les camions ?" in answer["text"]
    assert "A regional development fund paid." in answer["text"]
    assert "Des unités mobiles." in asker.press_id(answer["options"][0]["id"])
    with database.unit_of_work() as session:
        stored = session.get_one(PracticeQuestion, question.id)
        assert stored.answer == "A regional development fund paid."
        assert stored.language == "fr"


def test_questions_to_and_from_people_who_opted_out(cast, database):
    author = _writer(database)
    number = _submit(database, "nhri-writer", title="Paralegals in markets")
    _review(database, cast, number)
    # Someone who asked, then opted out, does not get the answer.
    asker = _chat(database, "asker")
    asker.send(f"practice {number}")
    asker.press("Ask the author a question")
    asker.send("Who trains the paralegals?")
    asker.send("optout")
    question = _sent_to(database, "nhri-writer")[-1]
    author.press_id(question["options"][0]["id"])
    assert "the person who asked cannot be reached just now" in author.send("The bar association.")
    assert [p for p in _sent_to(database, "asker") if "bar association" in p["text"]] == []
    # An author who opted out cannot be asked; an author cannot ask themselves.
    assert "This is your own practice." in author.press_id(f"pr.{number}.ask")
    author.send("optout")
    other = _chat(database, "other")
    other.send(f"practice {number}")
    assert [o.label for o in other.last[0].options] == []
    assert "cannot be reached through Consulta" in other.press_id(f"pr.{number}.ask")
    assert "no good practice with number '42'" in other.press_id("pr.42.ask")
    assert "That button is no longer valid" in other.press_id(f"pr.{number}.share")
    assert _count(database, PracticeQuestion) == 1


# --- channels without buttons -----------------------------------------------------------------


def test_on_sms_typed_numbers_read_ask_and_answer(cast, database):
    author = _writer(database, "+254700000100", Platform.WEBHOOK)
    for title in ("Court users' charter", "Mobile birth registration"):
        _submit(database, "+254700000100", title=title, themes=["Birth registration"])
    _review(database, cast, 1)
    _review(database, cast, 2)
    reader = _chat(database, "+254700000200", Platform.WEBHOOK)
    reader.send("practices")
    assert [o.label for o in reader.last[0].options] == ["Read 1", "Read 2"]
    # 2 is "Read 2": the older practice, listed second.
    assert "Good practice #1: Court users' charter" in reader.send("2")
    # Under it, 1 is "Ask the author a question".
    assert "Write your question for the author" in reader.send("1")
    assert "on its way to the author" in reader.send("What did the charter change?")

    relayed = _sent_to(database, "+254700000100")[-1]
    assert "What did the charter change?" in relayed["text"]
    assert "The question was" in author.send("1")
    assert "on its way" in author.send("Waiting times were halved.")
    answered = _sent_to(database, "+254700000200")[-1]
    assert "Waiting times were halved." in answered["text"]
    # The answer's only button, Read the practice, is 1.
    assert "Good practice #1: Court users' charter" in reader.send("1")
    # Under the practice, 2 follows its theme; a number with nothing to answer is not taken.
    assert "You now follow Birth registration" in reader.send("2")
    assert "To take part in a consultation" in reader.send("2")
    assert _count(database, ChatForm) == 0

    # Publishing by SMS: the confirmation is answered with 1.
    author.send("publish")
    for text in ("Hotline for detainees", "A free line.", "Set up in 2025.", "Calls", "Staff"):
        author.send(text)
    for _ in range(4):
        author.send("skip")
    assert "Sent for review as practice #3." in author.send("1")
    with database.unit_of_work() as session:
        channels = {i.external_id: i.platform for i in session.scalars(select(PlatformIdentity))}
        assert channels["+254700000100"] is Platform.WEBHOOK
        assert session.get_one(PracticeVersion, 3).channel == "webhook"
