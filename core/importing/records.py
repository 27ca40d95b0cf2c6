"""The neutral shape every recommendation file is read into, whatever its layout."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from core.vocabulary import Mechanism, Position, RecommendationType


@dataclass(frozen=True)
class SdgTarget:
    """An SDG target such as 16.3, with the label the source gave it."""

    code: str
    label: str = ""


@dataclass(frozen=True)
class RecommendationRecord:
    """One recommendation as read from one row of a file, before it meets the store."""

    line: int
    text: str
    state_under_review: str
    mechanism: Mechanism
    body: str
    language: str = "en"
    source_id: str | None = None
    paragraph: str | None = None
    document_symbol: str | None = None
    recommending_states: tuple[str, ...] = ()
    position: Position | None = None
    kind: RecommendationType = RecommendationType.RECOMMENDATION
    themes: tuple[str, ...] = ()
    affected_persons: tuple[str, ...] = ()
    sdg_targets: tuple[SdgTarget, ...] = ()
    upr_cycle: int | None = None
    upr_session: int | None = None
    published_on: date | None = None
    action_category: int | None = None
    regions: tuple[str, ...] = field(default=())

    def stable_key(self) -> str:
        """The key that makes a re-import recognise this recommendation."""
        if self.source_id:
            return f"ohchr:{self.source_id}"
        parts = [
            self.state_under_review.casefold(),
            self.mechanism.value,
            self.body.casefold(),
            str(self.upr_session or ""),
            " ".join(self.text.split()),
            "|".join(sorted(s.casefold() for s in self.recommending_states)),
        ]
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
        return f"sha256:{digest[:40]}"

    def content_fingerprint(self) -> str:
        """A digest of all the stored fields, so a re-import tells unchanged from updated."""
        fields = [
            self.text,
            self.state_under_review,
            self.mechanism.value,
            self.body,
            self.language,
            self.source_id or "",
            self.paragraph or "",
            self.document_symbol or "",
            "|".join(self.recommending_states),
            self.position.value if self.position else "",
            self.kind.value,
            "|".join(self.themes),
            "|".join(self.affected_persons),
            "|".join(f"{t.code}={t.label}" for t in self.sdg_targets),
            str(self.upr_cycle or ""),
            str(self.upr_session or ""),
            self.published_on.isoformat() if self.published_on else "",
            str(self.action_category or ""),
            "|".join(self.regions),
        ]
        return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be read, with where it is and why."""

    line: int
    reason: str
