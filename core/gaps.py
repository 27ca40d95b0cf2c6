"""The perception gap: what the government reports, what the NHRI finds, what civil society sees.

For each recommendation, the latest published government status and NHRI assessment are set
against the statuses civil society gave in consultations (and in reply to updates), on the
standard scale (not started 0 .. fully implemented 3). Civil society's view is counted in the
database, one answer per person (their latest), and shown only when at least k people gave a
status: below that, the counts, the mean and the gaps are withheld, to protect who answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session, joinedload

from core.errors import InvalidInput, PermissionDenied
from core.feedback import STATUS_KIND
from core.i18n import N_
from core.models import (
    Answer,
    ImplementationUpdate,
    Participant,
    Recommendation,
    Round,
    UpdateKind,
    UpdateState,
    UpdateVersion,
    update_recommendations,
)
from core.recommendations import get as get_recommendation
from core.rounds import find_round
from core.suppression import Grid, suppress
from core.updates import STATUS_SCALE
from core.visibility import Record, View, names_author, sees, update_record, view_of
from core.vocabulary import Role
from surveys.definition import ImplementationStatus

DONT_KNOW = ImplementationStatus.DONT_KNOW.value
DEFAULT_K = 5
# The answer's value is JSON; as text it reads '"in_progress"', quotes included, on SQLite
# and PostgreSQL alike, so grouping and filtering on it stay in the database.
_AS_TEXT = {json.dumps(slug): slug for slug in (*STATUS_SCALE, DONT_KNOW)}


@dataclass(frozen=True)
class Distribution:
    """How many people gave each status; `counts` is raw, `as_data` is what may be shown."""

    counts: Mapping[str, int]
    k: int

    @property
    def known(self) -> int:
        """People who gave a status on the scale ("don't know" is not one)."""
        return sum(self.counts.get(slug, 0) for slug in STATUS_SCALE)

    @property
    def dont_know(self) -> int:
        """People who said they don't know."""
        return self.counts.get(DONT_KNOW, 0)

    @property
    def suppressed(self) -> bool:
        """Whether the counts are withheld: fewer than k people gave a status."""
        # Nobody at all is safe to say; anything between nothing and k is not.
        return self.known < self.k and (self.known + self.dont_know) > 0

    @property
    def shown(self) -> bool:
        """Whether the mean, and a gap computed from it, may be shown."""
        return self.known >= self.k

    @property
    def mean(self) -> float | None:
        """The mean status over the known answers, when it may be shown."""
        if not self.shown:
            return None
        total = sum(STATUS_SCALE[slug] * self.counts.get(slug, 0) for slug in STATUS_SCALE)
        return total / self.known

    def as_data(self, *, hidden: Iterable[str] = (), total_hidden: bool = False) -> dict[str, Any]:
        """The distribution as published: every count below k hidden, and enough others.

        `hidden` and `total_hidden` carry what another table of the same answers hides, so
        the two never tell different things.
        """
        mean = self.mean
        if self.known + self.dont_know == 0:
            # Nobody answered: zeros name no one.
            cells = dict.fromkeys((*STATUS_SCALE, DONT_KNOW), False)
            responses_hidden = False
        elif self.suppressed:
            cells = dict.fromkeys((*STATUS_SCALE, DONT_KNOW), True)
            responses_hidden = True
        else:
            cells, responses_hidden = status_cells(self.counts, self.k, set(hidden), total_hidden)
        shown = {
            slug: None if cells[slug] else self.counts.get(slug, 0)
            for slug in (*STATUS_SCALE, DONT_KNOW)
        }
        return {
            "responses": None if responses_hidden else self.known,
            "dont_know": shown[DONT_KNOW],
            "mean": None if mean is None else round(mean, 2),
            "distribution": {slug: shown[slug] for slug in STATUS_SCALE},
            "cells": {
                slug: {"count": shown[slug], "suppressed": cells[slug]}
                for slug in (*STATUS_SCALE, DONT_KNOW)
            },
            "suppressed": self.suppressed,
            "k": self.k,
        }


def status_cells(
    counts: Mapping[str, int], k: int, seed: set[str], total_hidden: bool = False
) -> tuple[dict[str, bool], bool]:
    """Which status counts to hide, and whether the number who gave a status is hidden."""
    columns = list(STATUS_SCALE)
    known = sum(counts.get(c, 0) for c in columns)
    grid = Grid(
        rows=["all"],
        columns=columns,
        cells={("all", c): counts.get(c, 0) for c in columns},
        row_totals={"all": known},
        column_totals=None,
        total=known,
        row_lines=True,
        column_lines=False,
    )
    start: set[tuple[str, ...]] = {("c", "all", c) for c in seed if c in columns}
    if total_hidden:
        start |= {("r", "all"), ("t",)}
    hidden = suppress(grid, k, start)
    cells = {c: ("c", "all", c) in hidden for c in columns}
    # "Don't know" stands apart from the sum; hidden below k like any count.
    cells[DONT_KNOW] = counts.get(DONT_KNOW, 0) < k or DONT_KNOW in seed
    return cells, ("r", "all") in hidden


@dataclass(frozen=True)
class Reported:
    """A status an institution published: the government's progress or the NHRI's finding."""

    status: str
    update_id: int
    version: int
    organisation: str | None
    published_at: datetime

    @property
    def value(self) -> int:
        """The status on the scale's numbers."""
        return STATUS_SCALE[self.status]

    def as_data(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "value": self.value,
            "update_id": self.update_id,
            "version": self.version,
            "organisation": self.organisation,
            "published_at": self.published_at.isoformat(timespec="seconds"),
        }


@dataclass(frozen=True)
class GapRow:
    """One recommendation's three views and the gaps between them."""

    recommendation_id: int
    government: Reported | None
    nhri: Reported | None
    civil_society: Distribution
    round_code: str | None = None
    recommendation: dict[str, Any] = field(default_factory=dict)

    def _gap(self, reported: Reported | None) -> float | None:
        mean = self.civil_society.mean
        if reported is None or mean is None:
            return None
        return abs(reported.value - mean)

    @property
    def gap_government(self) -> float | None:
        """|government − civil society's mean|, when both may be shown."""
        return self._gap(self.government)

    @property
    def gap_nhri(self) -> float | None:
        """|NHRI − civil society's mean|, when both may be shown."""
        return self._gap(self.nhri)

    @property
    def gap(self) -> float | None:
        """The larger of the two gaps, which orders the list."""
        gaps = [g for g in (self.gap_government, self.gap_nhri) if g is not None]
        return max(gaps) if gaps else None

    def as_data(self) -> dict[str, Any]:
        """The row as plain data, the same for the CLI's --json and the API."""

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {
            "recommendation_id": self.recommendation_id,
            **self.recommendation,
            "round": self.round_code,
            "government": self.government.as_data() if self.government else None,
            "nhri": self.nhri.as_data() if self.nhri else None,
            "civil_society": self.civil_society.as_data(),
            "gap_government": rounded(self.gap_government),
            "gap_nhri": rounded(self.gap_nhri),
            "gap": rounded(self.gap),
        }


def _require_aggregates(viewer: Participant | None) -> None:
    # Every role sees aggregates as counts with small cells suppressed, which is what this
    # module computes; a role that sees none is refused.
    if view_of(viewer, Record.AGGREGATE) is View.NONE:
        raise PermissionDenied(N_("your role does not see consultation results"))


def status_tallies(
    session: Session,
    *,
    recommendation_id: int | None = None,
    round_id: int | None = None,
    by_round: bool = False,
) -> dict[tuple[int, int | None], dict[str, int]]:
    """Civil society's statuses counted per recommendation (and per round, if by_round).

    Each person counts once per recommendation (once per round, if by_round), with their
    latest status answer that is current and not withdrawn. Raw counts: suppress before
    showing them.
    """
    value = cast(Answer.value, String)
    conditions = [
        Answer.kind == STATUS_KIND,
        Answer.is_current,
        Answer.withdrawn_at.is_(None),
        Answer.recommendation_id.is_not(None),
        value.in_(list(_AS_TEXT)),
        Participant.role == Role.CIVIL_SOCIETY,
    ]
    if recommendation_id is not None:
        conditions.append(Answer.recommendation_id == recommendation_id)
    if round_id is not None:
        conditions.append(Answer.round_id == round_id)
    per_person = [Answer.participant_id, Answer.recommendation_id]
    if by_round:
        conditions.append(Answer.round_id.is_not(None))
        per_person.append(Answer.round_id)
    latest = (
        select(func.max(Answer.id).label("answer_id"))
        .join(Participant, Participant.id == Answer.participant_id)
        .where(*conditions)
        .group_by(*per_person)
        .subquery()
    )
    groups: list[Any] = [Answer.recommendation_id, value]
    if by_round:
        groups.append(Answer.round_id)
    rows = session.execute(
        select(*groups, func.count())
        .join(latest, latest.c.answer_id == Answer.id)
        .group_by(*groups)
    )
    tallies: dict[tuple[int, int | None], dict[str, int]] = {}
    for row in rows:
        in_round = row[2] if by_round else None
        tallies.setdefault((row[0], in_round), {})[_AS_TEXT[row[1]]] = int(row[-1])
    return tallies


def latest_published(
    session: Session,
    kind: UpdateKind,
    viewer: Participant | None,
    *,
    recommendation_id: int | None = None,
) -> dict[int, Reported]:
    """Per recommendation, the newest published version of any update of this kind on it."""
    rec_column = update_recommendations.c.recommendation_id
    rank = (
        func.row_number()
        .over(
            partition_by=rec_column,
            order_by=(UpdateVersion.published_at.desc(), UpdateVersion.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(rec_column.label("recommendation_id"), UpdateVersion.id.label("version_id"), rank)
        .join(ImplementationUpdate, ImplementationUpdate.id == update_recommendations.c.update_id)
        .join(UpdateVersion, UpdateVersion.update_id == ImplementationUpdate.id)
        .where(
            ImplementationUpdate.kind == kind,
            UpdateVersion.state == UpdateState.PUBLISHED,
            UpdateVersion.status.in_(list(STATUS_SCALE)),
        )
    )
    if recommendation_id is not None:
        ranked = ranked.where(rec_column == recommendation_id)
    newest = ranked.subquery()
    rows = session.execute(
        select(newest.c.recommendation_id, UpdateVersion)
        .join(UpdateVersion, UpdateVersion.id == newest.c.version_id)
        .where(newest.c.rank == 1)
        .options(joinedload(UpdateVersion.update).joinedload(ImplementationUpdate.organisation))
    )
    found: dict[int, Reported] = {}
    record = update_record(kind, UpdateState.PUBLISHED)
    for rec_id, version in rows:
        update = version.update
        if not sees(
            viewer, record, author_id=update.author_id, organisation_id=update.organisation_id
        ):
            continue
        named = names_author(viewer, record, author_id=update.author_id)
        assert version.published_at is not None
        found[rec_id] = Reported(
            status=version.status,
            update_id=update.id,
            version=version.version,
            organisation=update.organisation.name if named and update.organisation else None,
            published_at=version.published_at,
        )
    return found


def pooled_k(session: Session) -> int:
    """The k for answers pooled across rounds: the strictest round's, and at least 5."""
    strictest = session.scalar(select(func.max(Round.min_cell_size)))
    return max(DEFAULT_K, strictest or 0)


def _resolve(session: Session, round_code: str | None, k: int | None) -> tuple[Round | None, int]:
    consultation = find_round(session, round_code) if round_code else None
    if k is None:
        # Pooled answers may come from a round that promised a larger k: keep that promise.
        k = consultation.min_cell_size if consultation is not None else pooled_k(session)
    if k < 1:
        raise InvalidInput(N_("k, the smallest count shown, must be at least 1"))
    return consultation, k


def _summary(recommendation: Recommendation) -> dict[str, Any]:
    return {
        "paragraph": recommendation.paragraph,
        "body": recommendation.body,
        "state_under_review": recommendation.state_under_review,
        "upr_cycle": recommendation.upr_cycle,
        "text": recommendation.text,
    }


def _order(row: GapRow) -> tuple[bool, float, int, int]:
    gap = row.gap
    # Rows without a gap come last, by number only: ordering them by a suppressed count
    # would hint at it.
    if gap is None:
        return (True, 0.0, 0, row.recommendation_id)
    return (False, -gap, -row.civil_society.known, row.recommendation_id)


def perception_gaps(
    session: Session,
    *,
    viewer: Participant | None = None,
    round_code: str | None = None,
    k: int | None = None,
    limit: int = 50,
) -> list[GapRow]:
    """Recommendations with any of the three views, the largest gap first, gapless last.

    With a round, civil society's answers are those given in that round, its
    recommendations are the ones listed, and its smallest cell size is k. Without one,
    answers from every round and from replies to updates are pooled.
    """
    _require_aggregates(viewer)
    if limit < 1:
        raise InvalidInput(N_("limit must be at least 1"))
    consultation, k = _resolve(session, round_code, k)
    tallies = status_tallies(
        session, round_id=consultation.id if consultation is not None else None
    )
    government = latest_published(session, UpdateKind.PROGRESS, viewer)
    nhri = latest_published(session, UpdateKind.ASSESSMENT, viewer)
    ids = {rec_id for rec_id, _ in tallies} | set(government) | set(nhri)
    if consultation is not None:
        ids &= {r.id for r in consultation.recommendations}
    rows = sorted(
        (
            GapRow(
                recommendation_id=rec_id,
                government=government.get(rec_id),
                nhri=nhri.get(rec_id),
                civil_society=Distribution(tallies.get((rec_id, None), {}), k),
                round_code=consultation.code if consultation is not None else None,
            )
            for rec_id in ids
        ),
        key=_order,
    )[:limit]
    shown = {
        r.id: r
        for r in session.scalars(
            select(Recommendation).where(
                Recommendation.id.in_([row.recommendation_id for row in rows])
            )
        )
    }
    return [
        GapRow(
            row.recommendation_id,
            row.government,
            row.nhri,
            row.civil_society,
            row.round_code,
            _summary(shown[row.recommendation_id]),
        )
        for row in rows
    ]


def gap_for(
    session: Session,
    recommendation_id: int,
    *,
    viewer: Participant | None = None,
    round_code: str | None = None,
    k: int | None = None,
) -> GapRow:
    """One recommendation's three views and gaps, even when none has been given yet."""
    _require_aggregates(viewer)
    recommendation = get_recommendation(session, recommendation_id)
    consultation, k = _resolve(session, round_code, k)
    tallies = status_tallies(
        session,
        recommendation_id=recommendation.id,
        round_id=consultation.id if consultation is not None else None,
    )
    return GapRow(
        recommendation_id=recommendation.id,
        government=latest_published(
            session, UpdateKind.PROGRESS, viewer, recommendation_id=recommendation.id
        ).get(recommendation.id),
        nhri=latest_published(
            session, UpdateKind.ASSESSMENT, viewer, recommendation_id=recommendation.id
        ).get(recommendation.id),
        civil_society=Distribution(tallies.get((recommendation.id, None), {}), k),
        round_code=consultation.code if consultation is not None else None,
        recommendation=_summary(recommendation),
    )


def round_results(
    session: Session, recommendation_id: int, viewer: Participant | None
) -> dict[int, Distribution]:
    """Civil society's statuses on one recommendation in each round, with each round's k."""
    _require_aggregates(viewer)
    tallies = status_tallies(session, recommendation_id=recommendation_id, by_round=True)
    if not tallies:
        return {}
    rounds = {
        r.id: r
        for r in session.scalars(
            select(Round).where(Round.id.in_({in_round for _, in_round in tallies}))
        )
    }
    return {
        in_round: Distribution(counts, rounds[in_round].min_cell_size)
        for (_, in_round), counts in tallies.items()
        if in_round is not None
    }
