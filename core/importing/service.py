"""Storing what a recommendations file holds: idempotent, and all or nothing by default."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from core import audit
from core.db import Database
from core.importing.readers import ImportFormat, open_recommendation_file
from core.importing.records import RecommendationRecord, RowProblem
from core.models import Recommendation, RecommendationTranslation, Tag, TagKind, recommendation_tags

BATCH_SIZE = 1000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class ImportOptions:
    """How to read and store one file."""

    country: str | None = None
    language: str = "en"
    format: ImportFormat | None = None
    encoding: str | None = None
    skip_invalid: bool = False
    actor: str = audit.SYSTEM
    max_bytes: int = 100 * 1024 * 1024


@dataclass
class ImportSummary:
    """What an import did, in the shape `--json` prints."""

    format: str
    encoding: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    # Rows of other states when --country narrows the import; they are not errors.
    skipped: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    committed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain data."""
        return {
            "format": self.format,
            "encoding": self.encoding,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "rejected": [{"line": p.line, "reason": p.reason} for p in self.rejected],
            "committed": self.committed,
        }


class _RollBack(Exception):
    """Raised inside the unit of work to undo it when the file had bad rows."""


def import_recommendations(
    database: Database,
    path: Path,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportSummary:
    """Read a file and store its recommendations in one transaction."""
    with open_recommendation_file(
        path,
        format=options.format,
        encoding=options.encoding,
        language=options.language,
        max_bytes=options.max_bytes,
    ) as source:
        summary = ImportSummary(format=source.format.value, encoding=source.encoding)
        try:
            with database.unit_of_work() as session:
                _Storer(session, summary).store(_select(source.rows, options, summary), progress)
                summary.rejected.sort(key=lambda p: p.line)
                if summary.rejected and not options.skip_invalid:
                    raise _RollBack
                audit.record(
                    session,
                    actor=options.actor,
                    action="recommendations.imported",
                    subject_type="file",
                    subject_id=source.format.value,
                    details={
                        "added": summary.added,
                        "updated": summary.updated,
                        "unchanged": summary.unchanged,
                        "duplicates": summary.duplicates,
                        "rejected": len(summary.rejected),
                        "language": options.language,
                    },
                )
        except _RollBack:
            return summary
    summary.committed = True
    return summary


def _select(
    rows: Iterable[RecommendationRecord | RowProblem],
    options: ImportOptions,
    summary: ImportSummary,
) -> Iterable[RecommendationRecord]:
    """Drop problems (recorded), other countries' rows (counted) and in-file duplicates."""
    wanted_country = options.country.strip().casefold() if options.country else None
    seen: dict[str, tuple[str, int]] = {}
    for row in rows:
        if isinstance(row, RowProblem):
            summary.rejected.append(row)
            continue
        if wanted_country and row.state_under_review.casefold() != wanted_country:
            summary.skipped += 1
            continue
        key, fingerprint = row.stable_key(), row.content_fingerprint()
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = (fingerprint, row.line)
            yield row
        elif earlier[0] == fingerprint:
            summary.duplicates += 1
        else:
            summary.rejected.append(
                RowProblem(
                    row.line,
                    f"repeats the recommendation on line {earlier[1]} with different values",
                )
            )


class _Storer:
    """Writes records batch by batch, so memory stays flat on large files."""

    def __init__(self, session: Session, summary: ImportSummary) -> None:
        self.session = session
        self.summary = summary
        self.tag_ids: dict[tuple[TagKind, str], int] = {
            (kind, code): tag_id
            for tag_id, kind, code in session.execute(select(Tag.id, Tag.kind, Tag.code))
        }

    def store(self, records: Iterable[RecommendationRecord], progress: Progress | None) -> None:
        batch: list[RecommendationRecord] = []
        done = 0
        for record in records:
            batch.append(record)
            if len(batch) >= BATCH_SIZE:
                self._store_batch(batch)
                done += len(batch)
                batch = []
                if progress:
                    progress(done)
        if batch:
            self._store_batch(batch)
            done += len(batch)
        if progress:
            progress(done)

    def _store_batch(self, batch: list[RecommendationRecord]) -> None:
        keys = [r.stable_key() for r in batch]
        existing = {
            row.key: row
            for row in self.session.execute(
                select(
                    Recommendation.id,
                    Recommendation.key,
                    Recommendation.language,
                    Recommendation.content_fingerprint,
                ).where(Recommendation.key.in_(keys))
            )
        }
        fresh: list[tuple[Recommendation, RecommendationRecord]] = []
        for record, key in zip(batch, keys, strict=True):
            known = existing.get(key)
            if known is None:
                fresh.append((self._new(record, key), record))
            elif known.language != record.language:
                self._translate(known.id, record)
            elif known.content_fingerprint == record.content_fingerprint():
                self.summary.unchanged += 1
            else:
                self._update(known.id, record)
        if fresh:
            self.session.add_all([recommendation for recommendation, _ in fresh])
            self.session.flush()
            self._link_tags([(r.id, record) for r, record in fresh])
            self.summary.added += len(fresh)
        self.session.flush()
        # Stored rows are not needed again; dropping them keeps a large import's memory flat.
        self.session.expunge_all()

    def _new(self, record: RecommendationRecord, key: str) -> Recommendation:
        recommendation = Recommendation(key=key)
        _copy_fields(recommendation, record)
        return recommendation

    def _update(self, recommendation_id: int, record: RecommendationRecord) -> None:
        recommendation = self.session.get_one(Recommendation, recommendation_id)
        _copy_fields(recommendation, record)
        self.session.execute(
            delete(recommendation_tags).where(
                recommendation_tags.c.recommendation_id == recommendation_id
            )
        )
        self._link_tags([(recommendation_id, record)])
        self.summary.updated += 1

    def _translate(self, recommendation_id: int, record: RecommendationRecord) -> None:
        translation = self.session.scalar(
            select(RecommendationTranslation).where(
                RecommendationTranslation.recommendation_id == recommendation_id,
                RecommendationTranslation.language == record.language,
            )
        )
        if translation is None:
            self.session.add(
                RecommendationTranslation(
                    recommendation_id=recommendation_id,
                    language=record.language,
                    text=record.text,
                )
            )
            self.summary.added += 1
        elif translation.text != record.text:
            translation.text = record.text
            self.summary.updated += 1
        else:
            self.summary.unchanged += 1

    def _link_tags(self, pairs: list[tuple[int, RecommendationRecord]]) -> None:
        links: set[tuple[int, int]] = set()
        for recommendation_id, record in pairs:
            for kind, code, label in _tags_of(record):
                links.add((recommendation_id, self._tag_id(kind, code, label)))
        if links:
            self.session.execute(
                insert(recommendation_tags),
                [{"recommendation_id": r, "tag_id": t} for r, t in sorted(links)],
            )

    def _tag_id(self, kind: TagKind, code: str, label: str) -> int:
        tag_id = self.tag_ids.get((kind, code))
        if tag_id is None:
            tag = Tag(kind=kind, code=code, label=label)
            self.session.add(tag)
            self.session.flush()
            tag_id = self.tag_ids[(kind, code)] = tag.id
        return tag_id


def _tags_of(record: RecommendationRecord) -> Iterable[tuple[TagKind, str, str]]:
    for theme in record.themes:
        yield TagKind.THEME, theme[:255], theme
    for persons in record.affected_persons:
        yield TagKind.AFFECTED_PERSONS, persons[:255], persons
    for target in record.sdg_targets:
        yield TagKind.SDG_TARGET, target.code, target.label
    for state in record.recommending_states:
        yield TagKind.RECOMMENDING_STATE, state[:255], state
    for region in record.regions:
        yield TagKind.REGION, region[:255], region


def _copy_fields(recommendation: Recommendation, record: RecommendationRecord) -> None:
    recommendation.content_fingerprint = record.content_fingerprint()
    recommendation.source_id = record.source_id
    recommendation.text = record.text
    recommendation.language = record.language
    recommendation.paragraph = record.paragraph
    recommendation.document_symbol = record.document_symbol
    recommendation.state_under_review = record.state_under_review
    recommendation.mechanism = record.mechanism
    recommendation.body = record.body
    recommendation.position = record.position
    recommendation.kind = record.kind
    recommendation.upr_cycle = record.upr_cycle
    recommendation.upr_session = record.upr_session
    recommendation.published_on = record.published_on
    recommendation.action_category = record.action_category
