"""A round's results: counts computed in the database, with small cells suppressed.

Every output (exports, reports, the dashboard, the API) takes its numbers from
`round_results`, which builds all of a round's tables at once. That is what makes the
suppression pattern the same in every table published for a round: a hidden cell is hidden
everywhere it appears, and enough other cells are hidden with it that no row or column total
gives it away.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    select,
    true,
    type_coerce,
    union,
)
from sqlalchemy.orm import Session, aliased

from core import gaps
from core.models import (
    Answer,
    Cluster,
    Conversation,
    Disclosure,
    Notification,
    Organisation,
    Participant,
    Recommendation,
    Round,
    Tag,
    TagKind,
    cluster_members,
    recommendation_tags,
)
from core.rounds import describe as describe_round
from core.rounds import find_round
from core.schedule import INVITATION
from core.suppression import Grid, suppress
from core.survey_store import definition_of, latest_version
from surveys.definition import Kind, Question, Survey, localized

SUPPRESSION_RULE = (
    "Any count below {k} is hidden, and enough other counts with it that no row, column or "
    "grand total gives it away; a count hidden in one table of the round is hidden in all."
)


@dataclass(frozen=True)
class Cell:
    """One count, and whether it must be hidden."""

    count: int
    suppressed: bool = False

    @property
    def shown(self) -> int | None:
        """The count as it may be published: None when suppressed."""
        return None if self.suppressed else self.count

    def as_data(self) -> dict[str, Any]:
        """The JSON form: {"count": 12, "suppressed": false} or {"count": null, ...: true}."""
        return {"count": self.shown, "suppressed": self.suppressed}

    def text(self, k: int) -> str:
        """The CSV and XLSX form: the count, or `<k` when suppressed."""
        return f"<{k}" if self.suppressed else str(self.count)


@dataclass
class Table:
    """Counts of one question's answers (or of people), broken down by one dimension.

    Rows are the dimension's values, columns the answer's values. Row totals count the
    answers in each row; column totals exist only where rows partition the answers (not for
    themes, clusters or SDG targets, which a recommendation can have several of).
    """

    key: str
    title: str
    dimension: str
    dimension_label: str
    rows: list[tuple[str, str]]
    columns: list[tuple[str, str]]
    cells: dict[tuple[str, str], Cell]
    row_totals: dict[str, Cell]
    column_totals: dict[str, Cell] | None
    total: Cell
    question_id: str | None = None
    question_kind: str | None = None
    # Whether cells add up to their row totals (false for multiple choice, where one
    # person may tick several).
    additive: bool = True

    def cell(self, row: str, column: str) -> Cell:
        """One cell; a combination nobody gave is a zero count."""
        return self.cells.get((row, column), Cell(0))

    def rate(self, row: str) -> float | None:
        """For people tables: the share of the invited who answered, if both counts are shown."""
        invited = self.cell(row, "invited").shown
        responded = self.cell(row, "responded").shown
        if not invited or responded is None:
            return None
        return round(responded / invited, 3)

    def as_data(self) -> dict[str, Any]:
        """The table as JSON-ready data, suppressed cells written as the format says."""
        people = {c for c, _ in self.columns} == {"invited", "responded"}
        return {
            "key": self.key,
            "title": self.title,
            "question": self.question_id,
            "question_kind": self.question_kind,
            "dimension": self.dimension,
            "columns": [{"value": v, "label": label} for v, label in self.columns],
            "rows": [
                {
                    "value": value,
                    "label": label,
                    "cells": {c: self.cell(value, c).as_data() for c, _ in self.columns},
                    "total": self.row_totals[value].as_data(),
                    **({"rate": self.rate(value)} if people else {}),
                }
                for value, label in self.rows
            ],
            "column_totals": (
                {c: cell.as_data() for c, cell in self.column_totals.items()}
                if self.column_totals is not None
                else None
            ),
            "total": self.total.as_data(),
        }


@dataclass(frozen=True)
class FreeText:
    """A written answer as organisers may read it: who, only as far as its author allowed."""

    question_id: str
    question: str
    recommendation_id: int | None
    text: str
    disclosure: str
    language: str
    channel: str
    # The day only: a time of day can identify who wrote.
    date: str
    participant: str | None = None
    organisation: str | None = None


@dataclass
class RoundResults:
    """Everything aggregated about one round, with one suppression pattern across it."""

    round: dict[str, Any]
    k: int
    # People: invited (or joined), and who gave at least one answer, by dimension.
    response: list[Table] = field(default_factory=list)
    # Answers to each choice and scale question, overall and by each dimension.
    tables: list[Table] = field(default_factory=list)
    # Implementation status by recommendation, with the perception gap (core.gaps rows).
    statuses: list[dict[str, Any]] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        """Everything as JSON-ready data, hidden counts written as nulls flagged suppressed."""
        return {
            "round": self.round,
            "k": self.k,
            "suppression": SUPPRESSION_RULE.format(k=self.k),
            "response": [t.as_data() for t in self.response],
            "tables": [t.as_data() for t in self.tables],
            "statuses": self.statuses,
        }

    def table(self, key: str) -> Table:
        """One table by its key."""
        for table in (*self.response, *self.tables):
            if table.key == key:
                return table
        raise KeyError(key)

    def for_question(self, question_id: str) -> list[Table]:
        """The tables of one question, overall first."""
        return [t for t in self.tables if t.question_id == question_id]


CHOICE_KINDS = (
    Kind.SINGLE_CHOICE,
    Kind.MULTIPLE_CHOICE,
    Kind.RATING,
    Kind.YES_NO,
    Kind.IMPLEMENTATION_STATUS,
)
# Breakdowns whose rows split the answers (each answer in one row), and those where an answer
# can count in several rows (a recommendation with two themes), which have no column totals.
PARTITIONS = ("language", "channel", "stakeholder_group", "organisation_type", "recommendation")
OVERLAPPING = ("cluster", "theme", "sdg_target")
DIMENSION_LABELS = {
    "overall": "All answers",
    "language": "Language",
    "channel": "Channel",
    "stakeholder_group": "Stakeholder group",
    "organisation_type": "Organisation type",
    "recommendation": "Recommendation",
    "cluster": "Cluster",
    "theme": "Theme",
    "sdg_target": "SDG target",
}
RESPONSE_DIMENSIONS = ("overall", "channel", "language", "stakeholder_group", "organisation_type")
NOT_GIVEN = "not_given"
NOT_JOINED = "not_joined"
NO_ORGANISATION = "none"
INVITED, RESPONDED = "invited", "responded"
RAW_COLUMNS = [
    "participant",
    "stakeholder_group",
    "question",
    "recommendation_id",
    "value",
    "text",
    "language",
    "channel",
    "disclosure",
    "version",
    "current",
    "withdrawn",
    "answered_on",
]


# --- the round's tables -----------------------------------------------------------------------


def _survey_of(session: Session, consultation: Round) -> Survey | None:
    if consultation.survey_id is None:
        return None
    version = latest_version(session, consultation.survey_id)
    return definition_of(version) if version is not None else None


def _is_profile(question: Question) -> bool:
    return bool(getattr(question, "profile", False))


def _choice_questions(survey: Survey | None) -> list[Question]:
    if survey is None:
        return []
    return [
        item
        for item in survey.walk()
        if isinstance(item, Question) and item.kind in CHOICE_KINDS and not _is_profile(item)
    ]


def _profile_questions(survey: Survey | None) -> list[Question]:
    if survey is None:
        return []
    return [i for i in survey.walk() if isinstance(i, Question) and _is_profile(i)]


def _value_key(question: Question, choice_id: str) -> str:
    # Ratings are stored as their number, choices by their id.
    return choice_id.removeprefix("r") if question.kind is Kind.RATING else choice_id


def _decode(raw: Any) -> str | None:
    """A grouped value back as its key: JSON text ('"yes"', '4') as stored, or plain text."""
    if raw is None:
        return None
    text = str(raw)
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if value is None or isinstance(value, list | dict):
        return None
    return str(value)


def _current(round_id: int) -> list[Any]:
    return [Answer.round_id == round_id, Answer.is_current, Answer.withdrawn_at.is_(None)]


def _with_dimension(
    query: Select[Any], dimension: str, profiles: dict[str, Question]
) -> tuple[Select[Any], Any]:
    """The query joined to what the dimension needs, and the dimension's value column."""
    if dimension == "overall":
        return query, literal("all")
    if dimension == "language":
        return query, Answer.language
    if dimension == "channel":
        return query, Answer.channel
    if dimension == "stakeholder_group":
        return query.join(Participant, Participant.id == Answer.participant_id), Participant.role
    if dimension == "organisation_type":
        joined = query.join(Participant, Participant.id == Answer.participant_id).outerjoin(
            Organisation, Organisation.id == Participant.organisation_id
        )
        return joined, func.coalesce(cast(Organisation.type, String), NO_ORGANISATION)
    if dimension == "recommendation":
        return query.where(Answer.recommendation_id.is_not(None)), Answer.recommendation_id
    if dimension == "cluster":
        joined = query.join(
            cluster_members, cluster_members.c.recommendation_id == Answer.recommendation_id
        ).join(Cluster, Cluster.id == cluster_members.c.cluster_id)
        return joined, Cluster.name
    if dimension in ("theme", "sdg_target"):
        kind = TagKind.THEME if dimension == "theme" else TagKind.SDG_TARGET
        joined = query.join(
            recommendation_tags, recommendation_tags.c.recommendation_id == Answer.recommendation_id
        ).join(Tag, (Tag.id == recommendation_tags.c.tag_id) & (Tag.kind == kind))
        return joined, Tag.code
    if dimension.startswith("profile:"):
        question_id = dimension.removeprefix("profile:")
        if question_id not in profiles:
            raise KeyError(dimension)
        given = aliased(Answer)
        joined = query.outerjoin(
            given,
            (given.participant_id == Answer.participant_id)
            & (given.round_id == Answer.round_id)
            & (given.question_id == question_id)
            & given.is_current
            & given.withdrawn_at.is_(None),
        )
        return joined, func.coalesce(cast(given.value, String), NOT_GIVEN)
    raise KeyError(dimension)


def _explode(session: Session) -> Any:
    """The table-valued function that lists a JSON array's items, as this engine names it."""
    if session.get_bind().dialect.name == "postgresql":
        return func.json_array_elements_text(Answer.value).table_valued("value").lateral()
    return func.json_each(Answer.value).table_valued("value")


def _grouped(
    session: Session,
    round_id: int,
    questions: list[Question],
    dimension: str,
    profiles: dict[str, Question],
) -> tuple[dict[tuple[str, str, str], int], dict[tuple[str, str], int]]:
    """Counts by (question, row, value), and answers by (question, row), in the database."""
    single = [q.id for q in questions if q.kind is not Kind.MULTIPLE_CHOICE]
    multiple = [q.id for q in questions if q.kind is Kind.MULTIPLE_CHOICE]
    cells: dict[tuple[str, str, str], int] = {}
    value_text = cast(Answer.value, String)
    if single:
        query, dim = _with_dimension(select(Answer.question_id), dimension, profiles)
        query = query.add_columns(dim, value_text, func.count()).where(
            *_current(round_id), Answer.question_id.in_(single)
        )
        grouped = query.group_by(Answer.question_id, dim, value_text)
        for found in session.execute(grouped):
            value = _decode(found[2])
            if value is not None:
                cells[(found[0], _row_key(found[1]), value)] = int(found[3])
    if multiple:
        items = _explode(session)
        query, dim = _with_dimension(select(Answer.question_id), dimension, profiles)
        query = (
            query.join(items, true())
            .add_columns(dim, items.c.value, func.count())
            .where(*_current(round_id), Answer.question_id.in_(multiple))
        )
        grouped = query.group_by(Answer.question_id, dim, items.c.value)
        for found in session.execute(grouped):
            cells[(found[0], _row_key(found[1]), str(found[2]))] = int(found[3])
    query, dim = _with_dimension(select(Answer.question_id), dimension, profiles)
    query = query.add_columns(dim, func.count()).where(
        *_current(round_id),
        Answer.question_id.in_(single + multiple),
        value_text != "null",
        Answer.value.is_not(None),
    )
    answered = {
        (found[0], _row_key(found[1])): int(found[2])
        for found in session.execute(query.group_by(Answer.question_id, dim))
    }
    return cells, answered


def _row_key(value: Any) -> str:
    if hasattr(value, "value"):
        return str(value.value)
    if isinstance(value, str) and value.startswith('"'):
        decoded = _decode(value)
        return decoded if decoded is not None else value
    return str(value)


def _row_labels(
    session: Session,
    dimension: str,
    keys: Sequence[str],
    profiles: dict[str, Question],
    language: str,
) -> list[tuple[str, str]]:
    if dimension == "recommendation":
        ids = [int(k) for k in keys if k.isdigit()]
        found = {
            r.id: r
            for r in session.scalars(select(Recommendation).where(Recommendation.id.in_(ids)))
        }
        labelled = []
        for key in sorted(keys, key=lambda k: int(k) if k.isdigit() else 0):
            rec = found.get(int(key)) if key.isdigit() else None
            label = f"#{key}" + (f" ({rec.paragraph})" if rec is not None and rec.paragraph else "")
            labelled.append((key, label))
        return labelled
    if dimension.startswith("profile:"):
        question = profiles[dimension.removeprefix("profile:")]
        labels = {
            _value_key(question, c.id): localized(c.label, language) for c in question.options()
        }
        labels[NOT_GIVEN] = "not given"
        order = list(labels)
        return [
            (key, labels.get(key, key))
            for key in sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))
        ]
    return [(key, key) for key in sorted(keys)]


def _question_columns(question: Question, language: str, seen: set[str]) -> list[tuple[str, str]]:
    columns = [
        (_value_key(question, c.id), localized(c.label, language)) for c in question.options()
    ]
    known = {key for key, _ in columns}
    # Values a since-changed survey no longer offers still count, under their stored id.
    columns += [(value, value) for value in sorted(seen - known)]
    return columns


def _build_tables(
    session: Session,
    consultation: Round,
    survey: Survey | None,
    dimensions: Sequence[str],
    language: str,
) -> list[tuple[Table, Grid]]:
    questions = _choice_questions(survey)
    profiles = {q.id: q for q in _profile_questions(survey)}
    built: list[tuple[Table, Grid]] = []
    if not questions:
        return built
    for dimension in dimensions:
        cells, answered = _grouped(session, consultation.id, questions, dimension, profiles)
        for question in questions:
            rows_seen = sorted({row for (q, row) in answered if q == question.id})
            if dimension != "overall" and not rows_seen:
                continue
            values_seen = {v for (q, _, v) in cells if q == question.id}
            columns = _question_columns(question, language, values_seen)
            row_keys = rows_seen or ["all"]
            grid_cells = {
                (row, column): cells.get((question.id, row, column), 0)
                for row in row_keys
                for column, _ in columns
            }
            row_totals = {row: answered.get((question.id, row), 0) for row in row_keys}
            partition = dimension in PARTITIONS or dimension.startswith("profile:")
            additive = question.kind is not Kind.MULTIPLE_CHOICE
            overall = dimension == "overall"
            column_totals = (
                {
                    column: sum(grid_cells[(row, column)] for row in row_keys)
                    for column, _ in columns
                }
                if partition
                else None
            )
            grid = Grid(
                rows=row_keys,
                columns=[c for c, _ in columns],
                cells=grid_cells,
                row_totals=row_totals,
                column_totals=column_totals,
                total=sum(row_totals.values()) if (partition or overall) else 0,
                row_lines=additive,
                column_lines=partition,
            )
            label = DIMENSION_LABELS.get(dimension) or (
                "Profile: "
                + localized(profiles[dimension.removeprefix("profile:")].label, language)
            )
            table = Table(
                key=f"{question.id}:{dimension}",
                title=localized(question.label, language),
                dimension=dimension,
                dimension_label=label,
                rows=(
                    [("all", DIMENSION_LABELS["overall"])]
                    if overall
                    else _row_labels(session, dimension, row_keys, profiles, language)
                ),
                columns=columns,
                cells={},
                row_totals={},
                column_totals=None,
                total=Cell(0),
                question_id=question.id,
                question_kind=question.kind.value,
                additive=additive,
            )
            built.append((table, grid))
    return built


def _settle(group: list[tuple[Table, Grid]], k: int) -> None:
    """One pattern for a question's tables: what the overall table hides, every table hides."""
    overall = next((pair for pair in group if pair[0].dimension == "overall"), None)
    if overall is None:
        for table, grid in group:
            _finish(table, grid, suppress(grid, k, set()))
        return
    margin: set[str] = set()
    margin_total = False
    patterns: dict[str, set[tuple[str, ...]]] = {}
    while True:
        seed: set[tuple[str, ...]] = {("c", "all", c) for c in margin}
        if margin_total:
            seed |= {("r", "all"), ("t",)}
        hidden = suppress(overall[1], k, seed)
        if ("r", "all") in hidden or ("t",) in hidden:
            hidden |= {("r", "all"), ("t",)}
        patterns[overall[0].key] = hidden
        margin = {e[2] for e in hidden if e[0] == "c"}
        margin_total = ("t",) in hidden
        grown = False
        for table, grid in group:
            if table is overall[0]:
                continue
            seed = {("k", c) for c in margin} if grid.column_totals is not None else set()
            if margin_total and grid.column_totals is not None:
                seed.add(("t",))
            hidden = suppress(grid, k, seed)
            patterns[table.key] = hidden
            if grid.column_totals is None:
                continue
            columns = {e[1] for e in hidden if e[0] == "k"}
            if not columns <= margin or (("t",) in hidden and not margin_total):
                margin |= columns
                margin_total = margin_total or ("t",) in hidden
                grown = True
        if not grown:
            break
    for table, grid in group:
        _finish(table, grid, patterns[table.key])
        if grid.column_totals is None and table is not overall[0]:
            # An answer can count under several themes: the table's total is the
            # question's, as the overall table shows it.
            table.total = overall[0].total


def _finish(table: Table, grid: Grid, hidden: set[tuple[str, ...]]) -> None:
    table.cells = {
        (r, c): Cell(grid.cells.get((r, c), 0), ("c", r, c) in hidden)
        for r in grid.rows
        for c in grid.columns
    }
    table.row_totals = {r: Cell(grid.row_totals[r], ("r", r) in hidden) for r in grid.rows}
    table.column_totals = (
        {c: Cell(n, ("k", c) in hidden) for c, n in grid.column_totals.items()}
        if grid.column_totals is not None
        else None
    )
    table.total = Cell(grid.total, ("t",) in hidden)


def _response_tables(
    session: Session, consultation: Round, language: str
) -> list[tuple[Table, Grid]]:
    """People invited (or who joined) and people who answered, by dimension, in the database."""
    people = union(
        select(Notification.participant_id.label("pid")).where(
            Notification.round_id == consultation.id, Notification.kind == INVITATION
        ),
        select(Conversation.participant_id.label("pid")).where(
            Conversation.round_id == consultation.id
        ),
    ).subquery()
    # Whether each person answered, looked up by their own answers (indexed by participant):
    # joining a list of every answering person instead makes SQLite compare all with all.
    answered = (
        select(Answer.id)
        .where(Answer.participant_id == people.c.pid, *_current(consultation.id))
        .exists()
    )
    joined = aliased(Conversation)
    built: list[tuple[Table, Grid]] = []
    for dimension in RESPONSE_DIMENSIONS:
        dim: ColumnElement[Any]
        if dimension == "overall":
            dim = literal("all")
        elif dimension == "channel":
            dim = func.coalesce(cast(joined.channel, String), NOT_JOINED)
        elif dimension == "language":
            dim = func.coalesce(
                joined.language, Participant.language, consultation.default_language
            )
        elif dimension == "stakeholder_group":
            dim = Participant.role.expression
        else:
            dim = func.coalesce(cast(Organisation.type, String), NO_ORGANISATION)
        query = (
            select(dim, func.count(), func.sum(case((answered, 1), else_=0)))
            .select_from(people)
            .join(Participant, Participant.id == people.c.pid)
            .outerjoin(Organisation, Organisation.id == Participant.organisation_id)
            .outerjoin(
                joined,
                (joined.participant_id == people.c.pid) & (joined.round_id == consultation.id),
            )
            .group_by(dim)
        )
        counts = {_row_key(row): (int(i), int(r or 0)) for row, i, r in session.execute(query)}
        rows = sorted(counts) if dimension != "overall" else ["all"]
        cells = {
            (row, column): counts.get(row, (0, 0))[n]
            for row in rows
            for n, column in enumerate((INVITED, RESPONDED))
        }
        invited = sum(counts.get(row, (0, 0))[0] for row in rows)
        responded = sum(counts.get(row, (0, 0))[1] for row in rows)
        grid = Grid(
            rows=rows,
            columns=[INVITED, RESPONDED],
            cells=cells,
            row_totals={row: cells[(row, INVITED)] for row in rows},
            column_totals={INVITED: invited, RESPONDED: responded}
            if dimension != "overall"
            else None,
            total=invited,
            row_lines=False,
            column_lines=dimension != "overall",
        )
        table = Table(
            key=f"response:{dimension}",
            title="People invited and people who answered",
            dimension=dimension,
            dimension_label=DIMENSION_LABELS[dimension],
            rows=[("all", "All")] if dimension == "overall" else [(r, r) for r in rows],
            columns=[(INVITED, "Invited"), (RESPONDED, "Answered")],
            cells={},
            row_totals={},
            column_totals=None,
            total=Cell(0),
            additive=False,
        )
        built.append((table, grid))
    return built


def _settle_response(pairs: list[tuple[Table, Grid]], k: int) -> None:
    """The response tables share the overall counts of invited and answering people."""
    overall_table, overall_grid = pairs[0]
    margin: set[str] = set()
    patterns: dict[str, set[tuple[str, ...]]] = {}
    while True:
        hidden = suppress(overall_grid, k, {("c", "all", c) for c in margin})
        patterns[overall_table.key] = hidden
        margin = {e[2] for e in hidden if e[0] == "c"}
        grown = False
        for table, grid in pairs[1:]:
            hidden = suppress(grid, k, {("k", c) for c in margin})
            patterns[table.key] = hidden
            columns = {e[1] for e in hidden if e[0] == "k"}
            if not columns <= margin:
                margin |= columns
                grown = True
        if not grown:
            break
    for table, grid in pairs:
        _finish(table, grid, patterns[table.key])


def _suppress_status(row: gaps.GapRow, by_recommendation: list[Table]) -> dict[str, Any]:
    """A recommendation's statuses, hiding whatever the round's status tables hide for it.

    The status-by-recommendation tables count the same answers, so a count hidden there is
    hidden here too, or a reader could set one against the other.
    """
    key = str(row.recommendation_id)
    seed: set[str] = set()
    total_hidden = False
    for table in by_recommendation:
        if key not in table.row_totals:
            continue
        seed |= {c for c, _ in table.columns if table.cell(key, c).suppressed}
        total_hidden = total_hidden or table.row_totals[key].suppressed
    data = row.as_data()
    data["civil_society"] = row.civil_society.as_data(hidden=seed, total_hidden=total_hidden)
    return data


def dimensions_of(survey: Survey | None) -> list[str]:
    """The breakdowns a round's results offer: the fixed ones, then one per profile question."""
    return [
        "overall",
        *PARTITIONS,
        *OVERLAPPING,
        *(f"profile:{q.id}" for q in _profile_questions(survey)),
    ]


def round_responses(session: Session, code: str, *, language: str | None = None) -> RoundResults:
    """Who was invited and who answered, alone: the same tables round_results holds.

    Their pattern depends on no other table, so a list of rounds can show them without
    counting every question of every round.
    """
    consultation = find_round(session, code)
    response = _response_tables(session, consultation, language or consultation.default_language)
    _settle_response(response, consultation.min_cell_size)
    return RoundResults(
        round=describe_round(consultation),
        k=consultation.min_cell_size,
        response=[t for t, _ in response],
    )


def round_results(session: Session, code: str, *, language: str | None = None) -> RoundResults:
    """Every aggregated table of a round, counted in the database, with one suppression pattern."""
    found = round_responses(session, code, language=language)
    consultation = find_round(session, code)
    survey = _survey_of(session, consultation)
    language = language or consultation.default_language
    pairs = _build_tables(session, consultation, survey, dimensions_of(survey), language)
    by_question: dict[str, list[tuple[Table, Grid]]] = {}
    for table, grid in pairs:
        by_question.setdefault(table.question_id or "", []).append((table, grid))
    for group in by_question.values():
        _settle(group, found.k)
    by_recommendation = [
        t
        for t, _ in pairs
        if t.dimension == "recommendation" and t.question_kind == Kind.IMPLEMENTATION_STATUS.value
    ]
    found.tables = [t for t, _ in pairs]
    found.statuses = [
        _suppress_status(row, by_recommendation)
        for row in gaps.perception_gaps(
            session, round_code=consultation.code, limit=max(1, len(consultation.recommendations))
        )
    ]
    return found


def free_text(session: Session, code: str, *, batch: int = 1000) -> Iterator[FreeText]:
    """A round's written answers, streamed, naming their authors only as far as they allowed."""
    consultation = find_round(session, code)
    survey = _survey_of(session, consultation)
    labels = {
        item.id: localized(item.label, consultation.default_language)
        for item in (survey.walk() if survey is not None else [])
        if isinstance(item, Question)
    }
    query = (
        select(
            Answer.question_id,
            Answer.recommendation_id,
            Answer.text,
            Answer.disclosure,
            Answer.language,
            Answer.channel,
            Answer.answered_at,
            Participant.pseudonym,
            Organisation.name,
        )
        .join(Participant, Participant.id == Answer.participant_id)
        .outerjoin(Organisation, Organisation.id == Participant.organisation_id)
        .where(*_current(consultation.id), Answer.text.is_not(None), Answer.text != "")
        .order_by(Answer.question_id, Answer.recommendation_id, Answer.id)
        .execution_options(yield_per=batch)
    )
    for row in session.execute(query):
        (question_id, rec_id, text, disclosure, lang, channel, at, pseudonym, organisation) = row
        yield FreeText(
            question_id=question_id,
            question=labels.get(question_id, question_id),
            recommendation_id=rec_id,
            text=text or "",
            disclosure=disclosure.value,
            language=lang,
            channel=channel.value,
            date=at.date().isoformat(),
            # Anonymous answers carry no one; "organisation" carries the organisation only.
            participant=pseudonym if disclosure is Disclosure.NAMED else None,
            organisation=organisation if disclosure is not Disclosure.ANONYMOUS else None,
        )


def raw_rows(session: Session, code: str, *, batch: int = 5000) -> Iterator[tuple[Any, ...]]:
    """Every answer of a round as a tuple in RAW_COLUMNS order, by pseudonym only.

    Columns come back as the database stores them, without per-row type conversion: this is
    the path of the largest export, and conversion would cost more than reading.
    """
    consultation = find_round(session, code)
    postgres = session.get_bind().dialect.name == "postgresql"
    day = (
        func.to_char(func.timezone("UTC", Answer.answered_at), "YYYY-MM-DD")
        if postgres
        else func.substr(cast(Answer.answered_at, String), 1, 10)
    )
    query = (
        select(
            Participant.pseudonym,
            type_coerce(Participant.role, String),
            Answer.question_id,
            Answer.recommendation_id,
            cast(Answer.value, String),
            Answer.text,
            Answer.language,
            type_coerce(Answer.channel, String),
            type_coerce(Answer.disclosure, String),
            Answer.version,
            type_coerce(Answer.is_current, Integer),
            Answer.withdrawn_at.is_not(None),
            day,
        )
        .join(Participant, Participant.id == Answer.participant_id)
        .where(Answer.round_id == consultation.id)
        .order_by(Answer.id)
    )
    # The option goes on the statement: on the connection it would stay for later ones.
    result = session.connection().execute(query.execution_options(yield_per=batch))
    for part in result.partitions():
        for a, b, c, d, value, f, g, h, i, j, current, withdrawn, day_of in part:
            yield (a, b, c, d, _plain(value), f, g, h, i, j, bool(current), bool(withdrawn), day_of)


def raw_answers(session: Session, code: str, *, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every answer of a round, one row each, by pseudonym: never a name or a platform id."""
    for row in raw_rows(session, code, batch=batch):
        yield dict(zip(RAW_COLUMNS, row, strict=True))


def _plain(raw: str | None) -> str | int | float | None:
    """A stored JSON value as a spreadsheet cell reads it: text as is, a list as JSON."""
    if raw is None or raw == "null":
        return None
    first = raw[0]
    # Most values are a choice's id or a number: read those without the JSON parser.
    if first == '"' and "\\" not in raw:
        return raw[1:-1]
    if first in "-0123456789":
        try:
            return int(raw)
        except ValueError:
            pass
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    if value is None:
        return None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    # Lists (multiple choice) as compact JSON, as SQLite's own json() writes them.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
