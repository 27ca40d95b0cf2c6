"""The survey definition: what a round asks, in which order, under which conditions.

Surveys are written in YAML (see docs/surveys.md) or imported from XLSForm, and checked here.
The JSON Schema in surveys/schema/survey.schema.json is generated from these models.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)

from surveys.expressions import Expression, ExpressionError, parse

QUESTION_ID = r"^[A-Za-z_][A-Za-z0-9_]*$"
LANGUAGE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
LocalizedText = str | dict[Annotated[str, Field(pattern=LANGUAGE)], str]


class Kind(StrEnum):
    """What kind of answer a question expects."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    RATING = "rating"
    IMPLEMENTATION_STATUS = "implementation_status"
    YES_NO = "yes_no"
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    NOTE = "note"


# The kinds a profile question may be: their answers put people in a few groups.
PROFILE_KINDS = (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE, Kind.YES_NO)


class ImplementationStatus(StrEnum):
    """The standard scale for how far a recommendation is implemented."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PARTIALLY_IMPLEMENTED = "partially_implemented"
    FULLY_IMPLEMENTED = "fully_implemented"
    DONT_KNOW = "dont_know"


STATUS_LABELS: dict[ImplementationStatus, dict[str, str]] = {
    ImplementationStatus.NOT_STARTED: {
        "en": "Not started",
        "fr": "Pas commencée",
        "es": "No iniciada",
        "ar": "لم يبدأ",
        "ru": "Не начато",
        "zh": "尚未开始",
    },
    ImplementationStatus.IN_PROGRESS: {
        "en": "In progress",
        "fr": "En cours",
        "es": "En curso",
        "ar": "قيد التنفيذ",
        "ru": "В процессе",
        "zh": "正在进行",
    },
    ImplementationStatus.PARTIALLY_IMPLEMENTED: {
        "en": "Partially implemented",
        "fr": "Partiellement mise en œuvre",
        "es": "Parcialmente aplicada",
        "ar": "منفذ جزئيا",
        "ru": "Выполнено частично",
        "zh": "部分落实",
    },
    ImplementationStatus.FULLY_IMPLEMENTED: {
        "en": "Fully implemented",
        "fr": "Entièrement mise en œuvre",
        "es": "Plenamente aplicada",
        "ar": "منفذ بالكامل",
        "ru": "Выполнено полностью",
        "zh": "全面落实",
    },
    ImplementationStatus.DONT_KNOW: {
        "en": "Don't know",
        "fr": "Je ne sais pas",
        "es": "No sé",
        "ar": "لا أعرف",
        "ru": "Не знаю",
        "zh": "不知道",
    },
}
YES_NO_LABELS: dict[str, dict[str, str]] = {
    "yes": {"en": "Yes", "fr": "Oui", "es": "Sí", "ar": "نعم", "ru": "Да", "zh": "是"},
    "no": {"en": "No", "fr": "Non", "es": "No", "ar": "لا", "ru": "Нет", "zh": "否"},
}


def localized(text: LocalizedText | None, language: str, fallback: str = "en") -> str:
    """The text in the language asked for, else in the fallback, else in any language given."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    for candidate in (language, language.split("-")[0], fallback):
        if candidate in text:
            return text[candidate]
    return next(iter(text.values()), "")


def _either(words: Iterable[str]) -> str:
    """'a, b or c'."""
    *first, last = list(words)
    return f"{', '.join(first)} or {last}" if first else last


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Fields written out only when they differ from their default. A field added to the
    # format later goes here, so that surveys saved before it existed keep their fingerprint
    # and importing them again adds no version.
    _written_only_when_set: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _leave_out_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        fields = type(self).model_fields
        for name in self._written_only_when_set:
            if getattr(self, name) == fields[name].default:
                data.pop(name, None)
        return data


_EASY_READ_DESCRIPTION = (
    "The easy-read wording, shown instead of the label when a participant or round uses easy "
    "read: short sentences, everyday words, no abbreviations."
)


class Choice(_Strict):
    """One option of a choice question, with a stable id that survives relabelling."""

    _written_only_when_set: ClassVar[tuple[str, ...]] = ("easy_read",)

    id: str = Field(pattern=QUESTION_ID, max_length=40)
    label: LocalizedText
    easy_read: LocalizedText | None = Field(default=None, description=_EASY_READ_DESCRIPTION)


class _Item(_Strict):
    _written_only_when_set: ClassVar[tuple[str, ...]] = ("easy_read",)

    id: str = Field(pattern=QUESTION_ID, max_length=40)
    label: LocalizedText = ""
    easy_read: LocalizedText | None = Field(default=None, description=_EASY_READ_DESCRIPTION)
    hint: LocalizedText | None = None
    relevant: str | None = Field(
        default=None, description="Skip logic: ask only when this expression is true."
    )

    @field_validator("relevant")
    @classmethod
    def _relevant_parses(cls, value: str | None) -> str | None:
        return _check_expression(value)

    def relevance(self) -> Expression | None:
        """The parsed skip-logic condition, if any."""
        return parse(self.relevant) if self.relevant else None


def _check_expression(value: str | None) -> str | None:
    if value is not None and value.strip():
        try:
            parse(value)
        except ExpressionError as problem:
            raise ValueError(f"invalid expression {value!r}: {problem}") from None
        return value
    return None


class Question(_Item):
    """One prompt and the answer it expects."""

    _written_only_when_set: ClassVar[tuple[str, ...]] = ("easy_read", "profile")

    kind: Kind
    required: bool | None = Field(default=None, description="Defaults to true, false for notes.")
    choices: list[Choice] | None = None
    constraint: str | None = Field(default=None, description="Checked against the answer (.).")
    constraint_message: LocalizedText | None = None
    min: float | None = Field(default=None, description="Number: smallest allowed; rating: start.")
    max: float | None = Field(default=None, description="Number: largest allowed; rating: end.")
    max_length: int | None = Field(default=None, ge=1, le=10_000)
    integer: bool = Field(default=False, description="Number: whole numbers only.")
    private_choice: bool = Field(
        default=True,
        description="Text: let the participant choose who may see it, where the round allows.",
    )
    profile: bool = Field(
        default=False,
        description=(
            "A question about the participant (gender, region...), used only to break results "
            "down by group: always optional, asked only if the participant agrees, never "
            "inside a loop, and single_choice, multiple_choice or yes_no."
        ),
    )

    @field_validator("constraint")
    @classmethod
    def _constraint_parses(cls, value: str | None) -> str | None:
        return _check_expression(value)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Question:
        choice_kinds = (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE)
        if self.kind in choice_kinds and not self.choices:
            raise ValueError(f"a {self.kind.value} question needs choices")
        if self.kind not in choice_kinds and self.choices:
            raise ValueError(f"a {self.kind.value} question takes no choices")
        if self.choices:
            ids = [c.id for c in self.choices]
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                raise ValueError(f"choice ids repeat: {', '.join(repeated)}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is larger than max")
        if self.kind is Kind.RATING and not _small_whole_range(self.min, self.max):
            raise ValueError("a rating runs over at most 11 whole points")
        if self.profile:
            self._fits_a_profile_question()
        return self

    def _fits_a_profile_question(self) -> None:
        if self.kind not in PROFILE_KINDS:
            raise ValueError(
                f"profile question {self.id!r} is a {self.kind.value} question: a profile "
                f"question must be {_either(k.value for k in PROFILE_KINDS)}, so that its "
                "answers put people in groups"
            )
        if self.required:
            raise ValueError(
                f"profile question {self.id!r} cannot be required: profile questions are "
                "always optional, so that nobody has to say who they are"
            )

    @property
    def is_required(self) -> bool:
        """Whether an answer must be given; notes and profile questions never need one."""
        if self.kind is Kind.NOTE or self.profile:
            return False
        return True if self.required is None else self.required

    @property
    def text_limit(self) -> int:
        """The longest free-text answer accepted."""
        return self.max_length or 2000

    def options(self) -> list[Choice]:
        """The choices offered, including the fixed ones of rating, status and yes/no."""
        if self.choices:
            return list(self.choices)
        if self.kind is Kind.IMPLEMENTATION_STATUS:
            return [Choice(id=s.value, label=dict(STATUS_LABELS[s])) for s in ImplementationStatus]
        if self.kind is Kind.YES_NO:
            return [Choice(id=k, label=dict(v)) for k, v in YES_NO_LABELS.items()]
        if self.kind is Kind.RATING:
            low, high = int(self.min or 1), int(self.max or 5)
            return [Choice(id=f"r{n}", label=str(n)) for n in range(low, high + 1)]
        return []

    def constraint_check(self) -> Expression | None:
        """The parsed constraint, if any."""
        return parse(self.constraint) if self.constraint else None


def _small_whole_range(low: float | None, high: float | None) -> bool:
    low, high = 1 if low is None else low, 5 if high is None else high
    return high - low <= 10 and float(low).is_integer() and float(high).is_integer()


class Group(_Item):
    """Questions asked together, all skipped when the group's condition is false."""

    kind: Literal["group"]
    questions: list[Item]


class LoopSelection(StrEnum):
    """What a participant first picks in a loop, so they are asked only about what they know."""

    NONE = "none"
    THEMES = "themes"
    RECOMMENDATIONS = "recommendations"


class Loop(_Item):
    """Questions asked once for each recommendation in the round's scope."""

    kind: Literal["loop"]
    over: Literal["recommendations"] = "recommendations"
    select: LoopSelection = LoopSelection.NONE
    select_label: LocalizedText | None = Field(
        default=None, description="The prompt for the selection step."
    )
    questions: list[Question]

    @model_validator(mode="after")
    def _holds_no_profile_question(self) -> Loop:
        inside = [q.id for q in self.questions if q.profile]
        if inside:
            raise ValueError(
                f"profile question {inside[0]!r} is inside loop {self.id!r}: a profile question "
                "is about the participant, not a recommendation, so put it outside the loop"
            )
        return self


def _item_tag(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if kind in ("group", "loop") else "question"


Item = Annotated[
    Annotated[Question, Tag("question")]
    | Annotated[Group, Tag("group")]
    | Annotated[Loop, Tag("loop")],
    Discriminator(_item_tag),
]


class Survey(_Strict):
    """A whole survey: its id, languages and items in order."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)
    title: LocalizedText
    description: LocalizedText | None = None
    languages: list[Annotated[str, Field(pattern=LANGUAGE)]] = Field(default=["en"], min_length=1)
    default_language: str = "en"
    questions: list[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_and_references_are_sound(self) -> Survey:
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        seen: dict[str, int] = {}
        for item in self.walk():
            seen[item.id] = seen.get(item.id, 0) + 1
        repeated = sorted(i for i, n in seen.items() if n > 1)
        if repeated:
            raise ValueError(f"ids repeat: {', '.join(repeated)}")
        known = set(seen)
        for item in self.walk():
            for attribute in ("relevant", "constraint"):
                source = getattr(item, attribute, None)
                if source:
                    unknown = sorted(parse(source).references - known)
                    if unknown:
                        raise ValueError(
                            f"{item.id}: {attribute} refers to unknown question "
                            f"{', '.join(unknown)}"
                        )
        return self

    def walk(self) -> Iterator[Question | Group | Loop]:
        """Every item, depth first, in the order they are asked."""
        yield from _walk(self.questions)

    def question(self, question_id: str) -> Question:
        """The question with this id."""
        for item in self.walk():
            if item.id == question_id and isinstance(item, Question):
                return item
        raise KeyError(question_id)

    def as_data(self) -> dict[str, Any]:
        """The survey as plain data, the form stored with each survey version."""
        return self.model_dump(mode="json", exclude_none=True)


def _walk(items: list[Question | Group | Loop]) -> Iterator[Question | Group | Loop]:
    for item in items:
        yield item
        if isinstance(item, Group | Loop):
            yield from _walk(list(item.questions))


Group.model_rebuild()
Survey.model_rebuild()

_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """A survey id made from a title or file name."""
    return _SLUG.sub("-", text.lower()).strip("-")[:60] or "survey"
