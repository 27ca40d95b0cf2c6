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
# The step asking whether to answer the profile questions, and where the answer is kept in
# the conversation's selections (True: answer them, False: skip them all). Question and loop
# ids never start with '#', so it cannot clash with a loop's selection.
PROFILE_CONSENT = "#profile"


class StepKind(StrEnum):
    """What a step asks for."""

    QUESTION = "question"
    SELECT = "select"
    DISCLOSURE = "disclosure"
    PROFILE_CONSENT = "profile_consent"


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


def profile_consent(selections: dict[str, Any]) -> bool | None:
    """Whether the participant agreed to answer profile questions; None until they said."""
    given = selections.get(PROFILE_CONSENT)
    return given if isinstance(given, bool) else None


def steps(
    survey: Survey,
    scope: LoopScope,
    selections: dict[str, Any],
    value_of: Lookup,
) -> Iterator[Step]:
    """Every step that applies now, in order; skip logic is evaluated as answers stand.

    The profile consent step comes just before the first profile question that applies, and
    the profile questions follow only when the participant agreed to answer them.
    """
    yield from _items(survey.questions, _Walk(scope, selections, value_of), None, None)


@dataclass
class _Walk:
    """What one pass over the survey reads, and whether it has passed the profile consent."""

    scope: LoopScope
    selections: dict[str, Any]
    value_of: Lookup
    consent_asked: bool = False


# Each generator below returns True when it stopped at a choice not yet made (a loop
# selection, the profile consent): nothing after that point can be planned until the
# participant has chosen.


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
    walk: _Walk,
    loop: Loop | None,
    recommendation: int | None,
) -> Generator[Step, None, bool]:
    for item in items:
        if not _relevant(item, walk.value_of, recommendation, loop):
            continue
        if isinstance(item, Question):
            if item.profile:
                if not walk.consent_asked:
                    walk.consent_asked = True
                    yield Step(PROFILE_CONSENT, StepKind.PROFILE_CONSENT)
                consent = profile_consent(walk.selections)
                if consent is None:
                    return True
                if not consent:
                    continue
            yield Step(
                slot_for(item.id, recommendation), StepKind.QUESTION, item, loop, recommendation
            )
        elif isinstance(item, Group):
            if (yield from _items(item.questions, walk, loop, recommendation)):
                return True
        else:
            if item.select is not LoopSelection.NONE:
                yield Step(item.id + SELECT_SUFFIX, StepKind.SELECT, None, item)
                if item.id not in walk.selections:
                    return True
            for chosen in walk.scope.selected(item, walk.selections.get(item.id)):
                yield from _items(item.questions, walk, item, chosen)
    return False
