"""Follow-up in chat: verified roles, posting an update, following, views and the daily cap."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core import feedback, news, schedule, updates
from core.invitations import invite
from core.models import (
    Answer,
    AuditEntry,
    ChatForm,
    Follow,
    ImplementationUpdate,
    Notice,
    OutboxMessage,
    PlatformIdentity,
    UpdateState,
    UpdateVersion,
)
from core.models import Participant as StoredParticipant
from core.people import add_organisation, find_participant
from core.recommendations import find as find_recommendation
from core.vocabulary import OrganisationType, Platform, Role
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import NOW, open_round
from tests.core.conversation.test_dialogues import FULL_RUN, run
from tests.fakes.chat import Participant


def _setup(database):
    open_round(database)
    with database.unit_of_work() as session:
        add_organisation(session, name="Valdoria NHRI", type=OrganisationType.NHRI)
        add_organisation(session, name="Ministry of Justice", type=OrganisationType.GOVERNMENT)
        birth = find_recommendation(session, 1)
        assert birth.paragraph == "125.14"


def _code(database, role=Role.NHRI, organisation="Valdoria NHRI", now=NOW):
    with database.unit_of_work() as session:
        return invite(
            session, role=role, organisation=organisation, actor="organiser", now=now
        ).code


def _person(database, sender, platform=Platform.TELEGRAM, now=NOW):
    return Participant(database, PSEUDONYM_KEY, sender=sender, platform=platform, now=now)


def _stored(database, sender):
    with database.unit_of_work() as session:
        row = session.scalar(
            select(StoredParticipant).where(StoredParticipant.identities.any(external_id=sender))
        )
        return row.role, row.verified_at, row.organisation.name if row.organisation else None


def _count(database, model):
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_an_invitation_code_verifies_its_redeemer_once(database):
    _setup(database)
    code = _code(database)
    nhri = _person(database, "nhri-1")
    assert "You are now verified as NHRI staff for Valdoria NHRI" in nhri.send(f"verify {code}")
    role, verified_at, organisation = _stored(database, "nhri-1")
    assert (role, organisation) == (Role.NHRI, "Valdoria NHRI") and verified_at is not None

    other = _person(database, "someone-else")
    assert "already been used" in other.send(f"verify {code}")
    assert _stored(database, "someone-else")[0] is Role.CIVIL_SOCIETY

    expired = _code(database, now=NOW - timedelta(days=8))
    assert "expired" in other.send(f"verify {expired}")
    assert "unknown" in other.send("verify ZZZZZ-ZZZZZ")
    assert _stored(database, "someone-else")[:2] == (Role.CIVIL_SOCIETY, None)


def test_an_invitation_works_on_each_channel(database):
    _setup(database)
    for number, platform in enumerate((Platform.SLACK, Platform.TELEGRAM, Platform.WEBHOOK)):
        code = _code(database, role=Role.GOVERNMENT, organisation="Ministry of Justice")
        person = _person(database, f"focal-{number}", platform=platform)
        assert "verified as government focal point" in person.send(f"/verify {code}")
        assert _stored(database, f"focal-{number}")[0] is Role.GOVERNMENT


# (sent, expected in the reply)
POST_UPDATE = [
    ("update", "Which recommendation is it about?"),
    ("#99", "no recommendation or cluster"),
    ("#1", "What is its status?"),
    ("maybe", "choose one of the statuses"),
    ("2", "What has been done?"),
    ("Mobile registration units now visit rural districts.", "Links to evidence"),
    ("ftp://files.example.org/report.pdf", "not a web link"),
    ("https://example.org/report", "Which entity is responsible?"),
    ("skip", "Indicators"),
    ("Births registered | 81% | 30 June", "not a date"),
    ("Births registered | 81% | 2026-06-30", "What is the next planned step?"),
    ("Registration at every health centre", "By when is it planned?"),
    ("2027-12-31", "Please check your update"),
    ("1", "Posted as draft update #1"),
]


def test_a_focal_point_posts_an_update_by_guided_conversation(database):
    _setup(database)
    focal = _person(database, "focal")
    focal.send(
        f"verify {_code(database, role=Role.GOVERNMENT, organisation='Ministry of Justice')}"
    )
    run(focal, POST_UPDATE)
    with database.unit_of_work() as session:
        version = session.scalars(select(UpdateVersion)).one()
        assert version.state is UpdateState.DRAFT
        assert version.status == "in_progress"
        assert version.evidence == ["https://example.org/report"]
        assert version.indicators == [
            {"name": "Births registered", "value": "81%", "date": "2026-06-30"}
        ]
        assert version.next_step_due.isoformat() == "2027-12-31"
        assert version.channel == "telegram"
        assert [r.id for r in version.update.recommendations] == [1]
        assert session.get(ChatForm, version.update.author_id) is None
        actions = session.scalars(select(AuditEntry.action)).all()
        assert "update.posted" in actions


def test_the_update_form_can_be_cancelled_and_refuses_the_unverified(database):
    _setup(database)
    person = _person(database, "cso")
    assert "Only verified government focal points and NHRI staff" in person.send("update")
    assert _count(database, ChatForm) == 0
    nhri = _person(database, "nhri")
    nhri.send(f"verify {_code(database)}")
    assert "What is its status?" in nhri.send("update #1")
    assert "Cancelled. Nothing was posted." in nhri.send("cancel")
    assert _count(database, ImplementationUpdate) == 0
    # A long narrative is refused in the form as in the API.
    nhri.send("update #1")
    nhri.send("1")
    assert "the limit is 10,000" in nhri.send("x" * 50_000)
    assert _count(database, ImplementationUpdate) == 0


def test_followers_hear_of_a_published_update_once_a_day(database):
    _setup(database)
    # Follows a theme of recommendation 1, in its own words.
    theme = _person(database, "theme-follower")
    assert "You now follow Birth registration" in theme.send("follow birth registration")
    assert "You already follow" in theme.send("follow Birth registration")
    # Answers on recommendations 1 and 5 in the round, and so follows them.
    answerer = _person(database, "answerer")
    run(answerer, FULL_RUN)
    # Follows another recommendation only.
    elsewhere = _person(database, "elsewhere")
    assert "You now follow #2" in elsewhere.send("follow #2")
    # Turned automatic following off before answering.
    quiet = _person(database, "quiet")
    quiet.send("autofollow off")
    run(quiet, FULL_RUN)
    with database.unit_of_work() as session:
        follows_of = {
            p.identities[0].external_id: sorted((f.kind.value, f.target) for f in rows)
            for p in session.scalars(select(StoredParticipant))
            for rows in [session.scalars(select(Follow).where(Follow.participant_id == p.id)).all()]
            if p.identities
        }
    assert follows_of["answerer"] == [("recommendation", "1"), ("recommendation", "5")]
    assert follows_of["quiet"] == []
    assert follows_of["theme-follower"] == [("theme", "Birth registration")]

    nhri = _person(database, "nhri")
    nhri.send(f"verify {_code(database)}")
    nhri.send("follow #1")  # an author is not told of their own update

    def assess(status, at):
        with database.unit_of_work() as session:
            author = find_participant(session, _pseudonym(session, "nhri"))
            updates.post_update(
                session,
                author,
                updates.UpdateDraft(status=status, narrative="Assessed.", recommendation=1),
                now=at,
            )

    def tick(at):
        with database.unit_of_work() as session:
            schedule.run_due(session, at)

    def messages():
        with database.unit_of_work() as session:
            return sorted(
                (row.recipient, row.payload["text"].splitlines()[0])
                for row in session.scalars(select(OutboxMessage).where(OutboxMessage.priority > 0))
                # The round's own invitations and reminders go out on the same ticks.
                if "assesses" in row.payload["text"] or "News on" in row.payload["text"]
            )

    morning = NOW + timedelta(hours=1)
    assess("in_progress", morning)
    tick(morning)
    first = messages()
    assert [r for r, _ in first] == ["answerer", "theme-follower"]
    assert all("Valdoria NHRI assesses" in line for _, line in first)

    # Two more the same day wait; the next day they come as one digest.
    assess("partially_implemented", morning + timedelta(hours=2))
    assess("fully_implemented", morning + timedelta(hours=3))
    tick(morning + timedelta(hours=4))
    assert messages() == first
    tick(morning + timedelta(days=1))
    second = [m for m in messages() if m not in first]
    assert sorted(r for r, _ in second) == ["answerer", "theme-follower"]
    assert all(line == "News on what you follow: 2 updates." for _, line in second)
    tick(morning + timedelta(days=1, hours=1))
    assert len(messages()) == 4


def _sender(session, participant_id):
    return session.scalar(
        select(PlatformIdentity.external_id).where(
            PlatformIdentity.participant_id == participant_id
        )
    )


def _pseudonym(session, sender):
    return session.scalar(
        select(StoredParticipant.pseudonym).where(
            StoredParticipant.identities.any(external_id=sender)
        )
    )


def _published_update(database, sender="nhri", status="in_progress"):
    person = _person(database, sender)
    person.send(f"verify {_code(database)}")
    with database.unit_of_work() as session:
        author = find_participant(session, _pseudonym(session, sender))
        version = updates.post_update(
            session, author, updates.UpdateDraft(status=status, recommendation=1), now=NOW
        )
        return version.update_id


def test_a_follower_gives_their_view_and_a_comment(database):
    _setup(database)
    update_id = _published_update(database)
    follower = _person(database, "follower")
    follower.press_id(feedback.option_id(update_id, "open"))
    assert "Reported status: In progress" in follower.said
    assert "What status would you give?" in follower.press("I disagree")
    assert "your view is recorded" in follower.press("Not started")
    assert "Write your comment" in follower.press("Add a comment")
    assert "Who may read your comment?" in follower.send("Nothing has changed in the north.")
    assert "shared with the government" in follower.press("Also government and NHRI")
    agreeing = _person(database, "agreeing")
    agreeing.press_id(feedback.option_id(update_id, "agree"))
    with database.unit_of_work() as session:
        views = {
            (a.question_id, _sender(session, a.participant_id)): (a.value, a.text, a.kind)
            for a in session.scalars(
                select(Answer).where(Answer.update_id == update_id, Answer.is_current)
            )
        }
    assert views[("agreement", "follower")][0] == "disagree"
    assert views[("agreement", "agreeing")][0] == "agree"
    assert views[("status", "follower")] == ("not_started", None, "implementation_status")
    assert views[("status", "agreeing")] == ("in_progress", None, "implementation_status")
    assert views[("comment", "follower")] == ("shared", "Nothing has changed in the north.", None)
    # Changing one's mind adds a version; the first is kept.
    follower.press_id(feedback.option_id(update_id, "agree"))
    with database.unit_of_work() as session:
        versions = session.scalars(
            select(Answer.value)
            .where(Answer.update_id == update_id, Answer.question_id == "agreement")
            .where(
                Answer.participant_id
                == select(PlatformIdentity.participant_id)
                .where(PlatformIdentity.external_id == "follower")
                .scalar_subquery()
            )
            .order_by(Answer.version)
        ).all()
    assert versions == ["disagree", "agree"]


def test_review_publishes_a_government_draft_and_tells_followers(database):
    _setup(database)
    follower = _person(database, "follower")
    follower.send("follow 16.9")
    focal = _person(database, "focal")
    focal.send(
        f"verify {_code(database, role=Role.GOVERNMENT, organisation='Ministry of Justice')}"
    )
    run(focal, POST_UPDATE)
    with database.unit_of_work() as session:
        organiser = _organiser(session)
        assert session.scalar(select(func.count()).select_from(Notice)) == 0
        assert [v.update_id for v in updates.awaiting_review(session)] == [1]
        version = updates.approve(session, organiser, 1, now=NOW)
        assert version.state is UpdateState.PUBLISHED
        notices = session.scalars(select(Notice)).all()
        assert [_sender(session, n.participant_id) for n in notices] == ["follower"]
        assert updates.awaiting_review(session) == []


def _organiser(session):
    from core.people import add_participant

    return add_participant(
        session, pseudonym_key=PSEUDONYM_KEY, role=Role.ORGANISER, display_name="Secretariat"
    )


def test_an_overdue_step_reminds_its_focal_point_and_lists_for_organisers(database):
    _setup(database)
    focal = _person(database, "focal")
    focal.send(
        f"verify {_code(database, role=Role.GOVERNMENT, organisation='Ministry of Justice')}"
    )
    with database.unit_of_work() as session:
        author = find_participant(session, _pseudonym(session, "focal"))
        updates.post_update(
            session,
            author,
            updates.UpdateDraft(
                status="in_progress",
                recommendation=1,
                next_step="Open registration desks",
                next_step_due="2027-03-10",
            ),
            now=NOW,
        )
        organiser = _organiser(session)
    organiser_chat = Participant(
        database, PSEUDONYM_KEY, sender="secretariat", platform=Platform.SLACK, now=NOW
    )
    organiser_chat.send("help")
    with database.unit_of_work() as session:
        # The organiser links their Slack identity by being added with it.
        identity = session.scalar(
            select(StoredParticipant).where(
                StoredParticipant.identities.any(external_id="secretariat")
            )
        )
        identity.identities[0].participant_id = organiser.id

    def tick(at):
        with database.unit_of_work() as session:
            # The round's invitations go out on the same ticks; only deadlines count here.
            queued = schedule.run_due(session, at).queued
            return {k: v for k, v in queued.items() if k in (news.OVERDUE, news.OVERDUE_LIST)}

    def sent_to(recipient):
        with database.unit_of_work() as session:
            return [
                row.payload["text"]
                for row in session.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.recipient == recipient, OutboxMessage.priority > 0
                    )
                )
                if "overdue" in row.payload["text"].lower()
            ]

    on_the_day = NOW.replace(day=10, hour=10)
    assert tick(on_the_day).get(news.OVERDUE, 0) == 0
    day_after = on_the_day + timedelta(days=1)
    queued = tick(day_after)
    assert queued[news.OVERDUE] == 1 and queued[news.OVERDUE_LIST] == 1
    assert "was due on March 10, 2027" in sent_to("focal")[0]
    assert "Open registration desks" in sent_to("secretariat")[0]
    assert "(1 day late)" in sent_to("secretariat")[0]
    # Once per plan, and the list once a week.
    assert tick(day_after + timedelta(hours=2)) == {}
    assert len(sent_to("focal")) == 1
    next_week = day_after + timedelta(days=7)
    assert tick(next_week) == {news.OVERDUE_LIST: 1}
    # A new version with a later date ends the reminders.
    with database.unit_of_work() as session:
        author = find_participant(session, _pseudonym(session, "focal"))
        updates.revise_update(
            session,
            author,
            1,
            updates.UpdateDraft(
                status="in_progress",
                next_step="Open registration desks",
                next_step_due="2027-06-30",
            ),
            now=next_week,
        )
        assert news.overdue_steps(session, next_week + timedelta(days=7)) == []


def test_nothing_is_sent_to_followers_at_night(database):
    _setup(database)
    follower = _person(database, "follower")
    follower.send("follow #1")
    follower.send("timezone Asia/Tokyo")
    _published_update(database)
    night_in_tokyo = NOW.replace(hour=14)  # 23:00 in Tokyo
    with database.unit_of_work() as session:
        assert news.deliver_news(session, night_in_tokyo) == 0
        assert news.deliver_news(session, night_in_tokyo + timedelta(hours=10)) == 1


def test_a_comment_left_unwritten_does_not_swallow_later_messages(database):
    _setup(database)
    update_id = _published_update(database)
    follower = _person(database, "follower")
    follower.press_id(feedback.option_id(update_id, feedback.COMMENT))
    assert "Write your comment" in follower.said
    follower.now = NOW + timedelta(hours=3)
    assert "To take part in a consultation, send its code" in follower.send("hello")
    assert _count(database, ChatForm) == 0
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == 0


def test_on_sms_a_typed_number_answers_the_news_and_nothing_else(database):
    _setup(database)
    follower = _person(database, "+254700000001", platform=Platform.WEBHOOK)
    follower.send("follow #1")
    update_id = _published_update(database)
    with database.unit_of_work() as session:
        assert news.deliver_news(session, NOW.replace(hour=12)) == 1
    # The notice's buttons came as a numbered list: 2 is "I disagree".
    assert "What status would you give?" in follower.send("2")
    assert "your view is recorded" in follower.send("1")
    # The next number is not taken as a view: "Add a comment" is offered, but "join" is not a
    # number, so it goes its usual way.
    assert "Do you agree to take part?" in follower.send("join TEST01")
    assert "Have you followed these recommendations?" in follower.send("1")
    with database.unit_of_work() as session:
        views = {
            a.question_id: a.value
            for a in session.scalars(
                select(Answer).where(Answer.update_id == update_id, Answer.is_current)
            )
        }
    assert _count(database, ChatForm) == 0
    assert views == {"agreement": "disagree", "status": "not_started"}


def test_a_number_typed_during_a_round_stays_the_rounds(database):
    _setup(database)
    follower = _person(database, "+254700000002", platform=Platform.WEBHOOK)
    follower.send("follow #1")
    follower.send("TEST01")
    update_id = _published_update(database)
    with database.unit_of_work() as session:
        assert news.deliver_news(session, NOW.replace(hour=12)) == 1
    # In the middle of the round's consent question, 1 is "I agree", not a view on news.
    assert "Have you followed these recommendations?" in follower.send("1")
    with database.unit_of_work() as session:
        assert session.scalars(select(Answer).where(Answer.update_id == update_id)).all() == []
