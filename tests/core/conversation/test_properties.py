"""Random event sequences: the engine never crashes, loses or doubles an accepted answer."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.models import Answer, Conversation
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import NOW
from tests.fakes.chat import Participant

TEXTS = [
    "TEST01",
    "test01",
    "1",
    "2",
    "3",
    "5",
    "7",
    "1, 3",
    "all",
    "yes",
    "no",
    "oui",
    "three",
    "Health",
    "skip",
    "back",
    "review",
    "change 1",
    "change 3",
    "withdraw 1",
    "withdraw 2",
    "pause",
    "resume",
    "stop",
    "optout",
    "help",
    "language fr",
    "",
    "   ",
    "🙂🙂",
    "x" * 10_000,
    "2020-01-31",
    "31/02/2020",
    "12",
    "-4",
    "A written answer with words.",
    "join NOPE99",
]
action = st.one_of(
    st.tuples(st.just("send"), st.sampled_from(TEXTS)),
    st.tuples(st.just("press"), st.integers(min_value=0, max_value=12)),
    st.tuples(st.just("stale"), st.integers(min_value=0, max_value=40)),
    st.tuples(st.just("redeliver"), st.just(0)),
)
people = itertools.count(1)


def answer_rows(database):
    with database.unit_of_work() as session:
        rows = session.execute(
            select(
                Answer.conversation_id,
                Answer.slot,
                Answer.version,
                Answer.is_current,
                Answer.value,
                Answer.text,
            )
        ).all()
        conversations = session.scalar(select(func.count(Conversation.id)))
    return {(r[0], r[1], r[2]): r for r in rows}, conversations


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=st.lists(action, min_size=1, max_size=30))
def test_random_events_never_crash_lose_or_double_answers(consultation, actions):
    person = Participant(consultation, PSEUDONYM_KEY, sender=f"random-{next(people)}", now=NOW)
    last_delivery = None
    before, _ = answer_rows(consultation)
    # Every run starts inside the round, so the random part exercises answers, not greetings.
    for kind, argument in [("send", "TEST01"), ("send", "1"), *actions]:
        if kind == "send":
            last_delivery = f"rnd-{next(people)}"
            person.send(argument, delivery_id=last_delivery)
        elif kind == "press":
            options = [o for m in person.last for o in m.options]
            if not options:
                continue
            last_delivery = f"rnd-{next(people)}"
            person.press_id(options[argument % len(options)].id, delivery_id=last_delivery)
        elif kind == "stale":
            last_delivery = f"rnd-{next(people)}"
            person.press_id(f"{argument}.1", delivery_id=last_delivery)
        elif last_delivery is not None:
            rows_before, _ = answer_rows(consultation)
            assert person.send("1", delivery_id=last_delivery) == ""
            assert answer_rows(consultation)[0] == rows_before
        after, _ = answer_rows(consultation)
        event(f"answers stored: {min(len(after) - len(before), 3)}+")
        # Nothing accepted is ever lost or rewritten: rows only ever get added...
        for key, row in before.items():
            assert key in after
            assert after[key][4:] == row[4:]
        # ...and each slot has exactly one current version, the newest one.
        slots: dict[tuple[int, str], list[tuple[int, bool]]] = {}
        for conversation_id, slot, version, current, *_ in after.values():
            slots.setdefault((conversation_id, slot), []).append((version, current))
        for versions in slots.values():
            numbers = sorted(v for v, _ in versions)
            assert numbers == list(range(1, len(numbers) + 1))
            assert [v for v, current in versions if current] == [numbers[-1]]
        before = after
