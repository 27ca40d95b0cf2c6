"""People answering the demo round (ARC2027) through the conversation engine, as a channel would.

Each person is told apart by a sender id on a platform; their replies are picked by what the
bot asks, so a question added to the survey fails loudly here instead of silently shifting
every later answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.db import Database
from core.vocabulary import Platform
from tests.fakes.chat import Participant

DEMO_ROUND = "ARC2027"
FINISHED = "That was the last question"


@dataclass(frozen=True)
class Answers:
    """What one person answers in the demo round."""

    involved: str = "yes"
    organisation: str = "Non-governmental organisation"
    theme: str = "Death penalty"
    status: str = "In progress"
    felt: str = "3"
    obstacles: str = "1, 2"
    platform: Platform = Platform.TERMINAL


def _replies(answers: Answers) -> dict[str, str]:
    # Words of each prompt, and the reply to it.
    return {
        "Do you agree to take part?": "I agree",
        "What kind of organisation do you represent?": answers.organisation,
        "Have you been involved in following up": answers.involved,
        "Which of these themes do you know about?": answers.theme,
        "How far has this recommendation been implemented?": answers.status,
        "What evidence or example supports your assessment?": "skip",
        "How much is the change felt": answers.felt,
        "What are the main obstacles": answers.obstacles,
        "Anything else for the national report?": "skip",
        "A few optional questions about you": "No, skip them",
    }


def _reply(said: str, answers: Answers) -> str:
    replies = _replies(answers)
    asked = [(said.rfind(words), words) for words in replies if words in said]
    if not asked:
        raise AssertionError(f"the demo round asked something unexpected:\n{said}")
    return replies[max(asked)[1]]


def answer_demo_round(database: Database, key: bytes, people: Sequence[Answers]) -> None:
    """Each person joins the demo round and answers every question to the end."""
    for number, answers in enumerate(people, start=1):
        person = Participant(
            database, key, sender=f"demo-answerer-{number}", platform=answers.platform
        )
        said = person.send(DEMO_ROUND)
        for _ in range(40):
            if FINISHED in said:
                break
            said = person.send(_reply(said, answers))
        else:
            raise AssertionError(f"person {number} never reached the end; last said:\n{said}")
