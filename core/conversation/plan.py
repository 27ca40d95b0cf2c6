"""The order of steps in one participant's conversation, worked out from the survey each time.

Nothing here is stored: the steps follow from the survey version, the round's
recommendations, the participant's loop selections and their answers so far, so a restart,
a `back` or a changed answer can never leave the plan out of step with the data.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from surveys.definition import Group, Loop, LoopSelection, Question, Survey

SELECT_SUFFIX = "#select"
DISCLOSURE_SUFFIX = "#disclosure"


class StepKind(StrEnum):
    """What a step asks for."""

    QUESTION = "question"
    SELECT = "select"
    DISCLOSURE = "disclosure"


@dataclass(frozen=True)
class Step:
    """One prompt of the conversation: a question (maybe for one recommendation) or a choice."""

    key: str
    kind: StepKind
    question: Question | None = None
    loop: Loop | None = None
    recommendation_id: int | None = None

    @property
    def slot(self) -> str:
        """The answer slot this step fills: the question, and the recommendation in a loop."""
        return self.key.removesuffix(DISCLOSURE_SUFFIX)


def slot_for(question_id: str, recommendation_id: int | None) -> str:
    """The key of a question's answer, per recommendation inside loops."""
    return question_id if recommendation_id is None else f"{question_id}@{recommendation_id}"


Lookup = Callable[[str, int | None], Any]


@dataclass(frozen=True)
class LoopScope:
    """The recommendations a loop may go over, and their themes for a selection by theme."""

    recommendation_ids: Sequence[int]
    themes_of: Callable[[int], Sequence[str]]

    def selected(self, loop: Loop, selection: Sequence[Any] | None) -> list[int]:
        """The recommendations the participant chose (all of them without a selection step)."""
        if loop.select is LoopSelection.NONE or selection is None:
            return list(self.recommendation_ids)
        chosen = set(selection)
        if loop.select is LoopSelection.THEMES:
            return [r for r in self.recommendation_ids if chosen & set(self.themes_of(r))]
        return [r for r in self.recommendation_ids if r in chosen]


def steps(
    survey: Survey,
    scope: LoopScope,
    selections: dict[str, Any],
    value_of: Lookup,
) -> Iterator[Step]:
    """Every step that applies now, in order; skip logic is evaluated as answers stand."""
    yield from _items(survey.questions, scope, selections, value_of, None, None)


# Each generator below returns True when it stopped at a loop selection not yet made: nothing
# after that point can be planned until the participant has chosen.


def _relevant(
    item: Question | Group | Loop, value_of: Lookup, recommendation: int | None, loop: Loop | None
) -> bool:
    condition = item.relevance()
    if condition is None:
        return True
    own = {q.id for q in loop.questions} if loop else set()

    def lookup(name: str) -> Any:
        # Inside a loop, a sibling question means its answer for the same recommendation.
        return value_of(name, recommendation if name in own else None)

    return condition.evaluate(lookup)


def _items(
    items: Sequence[Question | Group | Loop],
    scope: LoopScope,
    selections: dict[str, Any],
    value_of: Lookup,
    loop: Loop | None,
    recommendation: int | None,
) -> Generator[Step, None, bool]:
    for item in items:
        if not _relevant(item, value_of, recommendation, loop):
            continue
        if isinstance(item, Question):
            yield Step(
                slot_for(item.id, recommendation), StepKind.QUESTION, item, loop, recommendation
            )
        elif isinstance(item, Group):
            if (
                yield from _items(item.questions, scope, selections, value_of, loop, recommendation)
            ):
                return True
        else:
            if item.select is not LoopSelection.NONE:
                yield Step(item.id + SELECT_SUFFIX, StepKind.SELECT, None, item)
                if item.id not in selections:
                    return True
            for chosen in scope.selected(item, selections.get(item.id)):
                yield from _items(item.questions, scope, selections, value_of, item, chosen)
    return False
