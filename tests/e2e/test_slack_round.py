"""One participant answers a whole round in Slack, through signed requests only."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Answer, Conversation, ConversationStatus, utcnow
from tests.bots.test_slack import PERSON, serving
from tests.core.conversation.conftest import open_round
from tests.core.conversation.test_dialogues import full_run_answers, stored
from tests.fakes.slack_api import FakeSlack, SlackUser, block_problems, controls, dm_of


def test_a_participant_answers_a_round_from_the_slash_command_to_the_summary(database):
    open_round(database, now=utcnow())
    fake = FakeSlack(users={PERSON: SlackUser(locale="en-GB")})
    try:
        with serving(database, fake) as slack:
            assert slack.command(PERSON, "join TEST01").status_code == 200
            slack.reply(PERSON, "Do you agree to take part?")
            slack.press(PERSON, "I agree")
            slack.reply(PERSON, "Have you followed these recommendations?")
            slack.press(PERSON, "Yes")
            slack.reply(PERSON, "Which sector do you work in?")
            slack.press(PERSON, "Education")
            slack.reply(PERSON, "Which topics did you follow?")
            slack.tick_and_finish(PERSON, ["Laws", "Data"])
            slack.reply(PERSON, "How satisfied are you with the follow-up?")
            slack.press(PERSON, "4")
            slack.reply(PERSON, "How many staff")
            slack.write(PERSON, "12")
            slack.reply(PERSON, "Since when have you worked on this?")
            slack.write(PERSON, "31/01/2020")
            choose = slack.reply(PERSON, "Which of these recommendations do you know about?")
            boxes = [
                option["text"]["text"]
                for _, element in controls(choose)
                if element["type"] == "checkboxes"
                for option in element["options"]
            ]
            assert len(boxes) == 5
            slack.tick_and_finish(PERSON, [boxes[0], boxes[4]])
            slack.reply(PERSON, "Recommendation 125.14 (UPR)")
            slack.press(PERSON, "Partially implemented")
            slack.reply(PERSON, "What shows this?")
            slack.write(PERSON, "A new free registration law passed in 2025.")
            slack.reply(PERSON, "Who may see that this answer came from you?")
            slack.press(PERSON, "Anonymous")
            slack.reply(PERSON, "How far is it implemented?")
            slack.press(PERSON, "Don't know")
            slack.reply(PERSON, "Anything else?")
            assert slack.command(PERSON, "skip").status_code == 200
            summary = slack.reply(PERSON, "That was the last question. You gave 9 answers")
            slack.command(PERSON, "status")
            review = slack.reply(PERSON, "Your answers:")
    finally:
        fake.close()

    assert "Mid-term check" in summary["text"]
    assert "Which sector do you work in? → Education" in review["text"]
    with database.unit_of_work() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.status is ConversationStatus.COMPLETED
        assert {a.channel.value for a in session.scalars(select(Answer))} == {"slack"}
    assert stored(database) == full_run_answers(database)

    # Everything went to the person's DM, in blocks Slack accepts, and nothing was refused.
    posted = fake.posted()
    assert posted and {m["channel"] for m in posted} == {dm_of(PERSON)}
    assert all(block_problems(m["blocks"]) == [] for m in posted)
    assert all(c.status == 200 and c.authorized for c in fake.received())
    methods = [c.method for c in fake.received()]
    assert methods.count("auth.test") == 1 and methods.count("users.info") == 1
    # The slash command came from a channel; after it, the DM was known.
    assert methods.count("conversations.open") == 1
