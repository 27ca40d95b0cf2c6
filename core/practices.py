"""Good practices: what one mechanism did, what came of it, and what others can learn.

A verified organiser, NHRI member or government focal point writes a practice. It is a draft
until an organiser approves it; every edit is a new version and the earlier ones are kept.
Publishing tells the followers of its themes, SDG targets and recommendations, under the
same daily cap as implementation updates.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from core import audit, follows, outbox
from core.conversation.words import fold
from core.errors import InvalidInput, NotFound, PermissionDenied, Phrase
from core.follows import PRACTICE_NOTICE
from core.i18n import N_, supported_language, translate
from core.invitations import effective_role
from core.lookup import row_id
from core.messages import OutboundMessage
from core.models import (
    Participant,
    Practice,
    PracticeQuestion,
    PracticeState,
    PracticeVersion,
    Recommendation,
    Tag,
    TagKind,
    practice_version_tags,
    utcnow,
)
from core.people import preferred_identity
from core.recommendations import find as find_recommendation
from core.vocabulary import Role

TEXT_FIELDS = ("title", "summary", "done", "results", "lessons")
FIELD_NAMES = {
    "title": N_("title"),
    "summary": N_("summary"),
    "done": N_("what was done"),
    "results": N_("results"),
    "lessons": N_("lessons"),
    "mechanism": N_("mechanism"),
    "country": N_("country"),
    "contact": N_("contact"),
    "themes": N_("themes"),
    "sdg_targets": N_("SDG targets"),
    "recommendations": N_("recommendations"),
    "languages": N_("languages"),
    "licence": N_("licence"),
    "question": N_("question"),
    "answer": N_("answer"),
}
LIMITS = {
    "title": 200,
    "summary": 2_000,
    "done": 10_000,
    "results": 10_000,
    "lessons": 10_000,
    "mechanism": 200,
    "country": 120,
    "contact": 300,
}
MOST_TAGS = 20
MOST_RECOMMENDATIONS = 50
MOST_QUESTION = 2_000
# Open licences a practice may carry, with the address a reader follows to read the terms.
LICENCES: dict[str, str] = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
}
DEFAULT_LICENCE = "CC-BY-4.0"
WRITERS = frozenset({Role.ORGANISER, Role.NHRI, Role.GOVERNMENT})
_SDG = re.compile(r"^(?:sdg\s*)?(\d{1,2}\.[0-9a-z]{1,2})$", re.IGNORECASE)
# Text fields keep line breaks and tabs; other control characters have no place in them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class PracticeDraft:
    """What someone writes: the fields of a practice, as typed, not yet checked."""

    title: str
    summary: str
    done: str = ""
    results: str = ""
    lessons: str = ""
    themes: Sequence[str] = ()
    sdg_targets: Sequence[str] = ()
    recommendations: Sequence[str | int | Mapping[str, Any]] = ()
    mechanism: str = ""
    country: str = ""
    languages: Sequence[str] = ()
    contact: str | None = None
    licence: str = DEFAULT_LICENCE
    language: str = "en"
    # Other languages' texts: {"fr": {"title": ..., "summary": ...}}.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    channel: str = "api"


@dataclass
class Checked:
    """A practice's fields once checked, ready to be stored as a version."""

    texts: dict[str, str]
    translations: dict[str, dict[str, str]]
    themes: list[str]
    sdg_targets: list[str]
    recommendations: list[dict[str, Any]]
    mechanism: str
    country: str
    languages: list[str]
    contact: str | None
    licence: str
    language: str


def _where(name: str) -> Phrase:
    return Phrase(FIELD_NAMES.get(name, name))


def clean_text(value: Any, name: str, *, required: bool = False) -> str:
    """A text field: trimmed, within its limit, free of control characters."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise InvalidInput(N_("{where}: this field is needed"), where=_where(name))
    limit = LIMITS.get(name, 10_000)
    if len(text) > limit:
        raise InvalidInput(
            N_("{where}: {length} characters is too long; the limit is {limit}"),
            where=_where(name),
            length=f"{len(text):,}",
            limit=f"{limit:,}",
        )
    if _CONTROL.search(text):
        raise InvalidInput(
            N_("{where}: contains a control character; remove it and send it again"),
            where=_where(name),
        )
    return text


def _labels(values: Sequence[str], name: str) -> list[str]:
    shown: list[str] = []
    for value in values:
        text = clean_text(value, name)
        if text and text.casefold() not in {s.casefold() for s in shown}:
            shown.append(text[:255])
    if len(shown) > MOST_TAGS:
        raise InvalidInput(N_("{where}: at most {limit}"), where=_where(name), limit=MOST_TAGS)
    return shown


def sdg_code(value: str) -> str:
    """An SDG target as written in the 2030 Agenda (16.3), from '16.3' or 'SDG 16.3'."""
    found = _SDG.match(" ".join(str(value).split()))
    if found is None:
        raise InvalidInput(
            N_("SDG targets: {value!r} is not an SDG target; write it like 16.3 or 5.a"),
            value=str(value)[:40],
        )
    return found.group(1).lower()


def split_tags(text: str) -> tuple[list[str], list[str]]:
    """Themes and SDG targets typed on one line, separated by commas or semicolons."""
    themes, targets = [], []
    for part in re.split(r"[,;，；،؛\n]+", text):
        word = part.strip()
        if not word:
            continue
        if _SDG.match(" ".join(word.split())):
            targets.append(sdg_code(word))
        else:
            themes.append(word)
    return themes, targets


def recommendation_ref(recommendation: Recommendation) -> dict[str, Any]:
    """How a recommendation is named between deployments, where local numbers mean nothing."""
    return {
        "key": recommendation.key,
        "source_id": recommendation.source_id,
        "document_symbol": recommendation.document_symbol,
        "paragraph": recommendation.paragraph,
    }


def _recommendations(
    session: Session, given: Sequence[str | int | Mapping[str, Any]]
) -> list[dict[str, Any]]:
    if len(given) > MOST_RECOMMENDATIONS:
        raise InvalidInput(
            N_("{where}: at most {limit}"),
            where=_where("recommendations"),
            limit=MOST_RECOMMENDATIONS,
        )
    refs: list[dict[str, Any]] = []
    for item in given:
        if isinstance(item, Mapping):
            # From another deployment: kept as it came, linked here when the key is known.
            ref = {k: item.get(k) for k in ("key", "source_id", "document_symbol", "paragraph")}
            if not ref["key"]:
                raise InvalidInput(N_("recommendations: each one needs its key"))
        elif str(item).strip():
            try:
                ref = recommendation_ref(find_recommendation(session, item))
            except NotFound as missing:
                raise NotFound(
                    N_("{where}: {reason}"), where=_where("recommendations"), reason=missing.phrase
                ) from None
        else:
            continue
        if ref["key"] not in {r["key"] for r in refs}:
            refs.append(ref)
    return refs


def _languages(values: Sequence[str], written_in: str) -> list[str]:
    shown: list[str] = []
    for value in [written_in, *values]:
        code = str(value).strip().lower().replace("_", "-")
        if not code:
            continue
        if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", code):
            raise InvalidInput(
                N_("languages: {value!r} is not a language code such as fr or es"),
                value=str(value)[:20],
            )
        if code not in shown:
            shown.append(code)
    return shown


def check(session: Session, draft: PracticeDraft) -> Checked:
    """The draft's fields, cleaned; a refusal names the field and the rule it breaks."""
    texts = {
        name: clean_text(getattr(draft, name), name, required=name in ("title", "summary"))
        for name in TEXT_FIELDS
    }
    language = supported_language(draft.language) or str(draft.language or "en")[:8].lower()
    translations: dict[str, dict[str, str]] = {}
    for code, fields in (draft.translations or {}).items():
        lang = str(code).strip().lower()
        if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", lang):
            raise InvalidInput(
                N_("translations: {value!r} is not a language code such as fr or es"),
                value=str(code)[:20],
            )
        if lang == language:
            continue
        unknown = set(fields) - set(TEXT_FIELDS)
        if unknown:
            raise InvalidInput(
                N_("translations: {language}: {names} are not fields of a practice"),
                language=lang,
                names=", ".join(sorted(unknown)),
            )
        translated = {name: clean_text(fields.get(name), name) for name in TEXT_FIELDS}
        if not translated["title"] or not translated["summary"]:
            raise InvalidInput(
                N_("translations: {language}: give at least a title and a summary"),
                language=lang,
            )
        translations[lang] = {k: v for k, v in translated.items() if v}
    licence = (draft.licence or DEFAULT_LICENCE).strip()
    known = {name.casefold(): name for name in LICENCES}
    if licence.casefold() not in known:
        raise InvalidInput(
            N_("licence: {value!r} is not one of {licences}"),
            value=licence[:40],
            licences=", ".join(LICENCES),
        )
    contact = clean_text(draft.contact, "contact") or None
    return Checked(
        texts=texts,
        translations=translations,
        themes=_labels(draft.themes, "themes"),
        sdg_targets=sorted({sdg_code(t) for t in draft.sdg_targets if str(t).strip()}),
        recommendations=_recommendations(session, draft.recommendations),
        mechanism=clean_text(draft.mechanism, "mechanism"),
        country=clean_text(draft.country, "country"),
        languages=_languages([*draft.languages, *translations], language),
        contact=contact,
        licence=known[licence.casefold()],
        language=language,
    )


def hash_content(content: Mapping[str, Any]) -> str:
    """The hash of a version's content, the same in every deployment that holds it."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def content_of(version: PracticeVersion) -> dict[str, Any]:
    """What a version says, without who stored it or when: what the hash covers."""
    return {
        "language": version.language,
        **{name: getattr(version, name) for name in TEXT_FIELDS},
        "translations": version.translations or {},
        "themes": [t.code for t in version.tags_of(TagKind.THEME)],
        "sdg_targets": [t.code for t in version.tags_of(TagKind.SDG_TARGET)],
        "recommendations": sorted(
            (r.get("key") or "" for r in version.recommendations or []),
        ),
        "mechanism": version.mechanism,
        "country": version.country,
        "languages": list(version.languages or []),
        "contact": version.contact,
        "licence": version.licence,
    }


def _tag(session: Session, kind: TagKind, code: str) -> Tag:
    # The same theme, however capitalised, is one tag: followers of "Education" hear of it.
    found = session.scalar(
        select(Tag).where(Tag.kind == kind, func.lower(Tag.code) == code.lower()).limit(1)
    )
    if found is None:
        found = Tag(kind=kind, code=code, label=code)
        session.add(found)
        session.flush()
    return found


def _searchable(checked: Checked, tags: Sequence[Tag]) -> str:
    parts = [*checked.texts.values(), checked.mechanism, checked.country]
    for fields in checked.translations.values():
        parts.extend(fields.values())
    parts.extend(t.code for t in tags)
    parts.extend(t.label for t in tags)
    return fold_for_search(" ".join(parts))


def fold_for_search(text: str) -> str:
    """Text as search compares it: folded, accents and punctuation ignored."""
    folded = "".join(c if c.isalnum() or c == "." else " " for c in fold(text))
    # A dot stays inside a word (SDG 16.3), nowhere else.
    words = [w.strip(".") for w in folded.split()]
    return " " + " ".join(w for w in words if w) + " "


def author_check(author: Participant) -> None:
    """Refuse anyone who is not a verified organiser, NHRI member or government focal point."""
    if effective_role(author) not in WRITERS:
        raise PermissionDenied(
            N_(
                "only verified organisers, NHRI staff and government focal points can "
                "publish good practices; ask the organisers for an invitation code and "
                "send verify CODE"
            )
        )


def store_version(
    session: Session,
    practice: Practice,
    checked: Checked,
    *,
    state: PracticeState,
    channel: str,
    now: datetime,
    origin: str | None = None,
    content_hash: str | None = None,
) -> PracticeVersion:
    """Add a version to a practice; its hash is computed here unless it came with one."""
    tags = [_tag(session, TagKind.THEME, theme) for theme in checked.themes] + [
        _tag(session, TagKind.SDG_TARGET, code) for code in checked.sdg_targets
    ]
    version = PracticeVersion(
        practice_id=practice.id,
        version=len(practice.versions) + 1,
        state=state,
        language=checked.language,
        **checked.texts,
        translations=checked.translations,
        recommendations=checked.recommendations,
        mechanism=checked.mechanism,
        country=checked.country,
        languages=checked.languages,
        contact=checked.contact,
        licence=checked.licence,
        search_text=_searchable(checked, tags),
        content_hash="",
        origin=origin,
        channel=channel[:16],
        created_at=now,
    )
    version.tags = tags
    practice.versions.append(version)
    # A version from elsewhere keeps the hash it was given where it was written.
    version.content_hash = content_hash or hash_content(content_of(version))
    session.flush()
    return version


def submit(
    session: Session, author: Participant, draft: PracticeDraft, *, now: datetime | None = None
) -> PracticeVersion:
    """Write a new practice: a draft for an organiser to review."""
    now = now or utcnow()
    author_check(author)
    checked = check(session, draft)
    practice = Practice(
        author_id=author.id,
        organisation_id=author.organisation_id,
        publisher=author.organisation.name if author.organisation else None,
        created_at=now,
    )
    session.add(practice)
    session.flush()
    version = store_version(
        session, practice, checked, state=PracticeState.DRAFT, channel=draft.channel, now=now
    )
    _audit(session, author.pseudonym, "practice.submitted", version, draft.channel)
    return version


def revise(
    session: Session,
    author: Participant,
    ref: int | str,
    draft: PracticeDraft,
    *,
    now: datetime | None = None,
) -> PracticeVersion:
    """Edit a practice: a new draft version, reviewed like the first; earlier ones are kept."""
    now = now or utcnow()
    author_check(author)
    practice = get(session, ref)
    own = practice.author_id == author.id or (
        practice.organisation_id is not None and practice.organisation_id == author.organisation_id
    )
    if not own and effective_role(author) is not Role.ORGANISER:
        raise PermissionDenied(
            N_("practice {id} was written by another organisation"), id=practice.id
        )
    checked = check(session, draft)
    version = store_version(
        session, practice, checked, state=PracticeState.DRAFT, channel=draft.channel, now=now
    )
    _audit(session, author.pseudonym, "practice.revised", version, draft.channel)
    return version


def get(session: Session, ref: int | str) -> Practice:
    """One practice by its number (12 or #12) or its stable id (urn:uuid:...)."""
    text = str(ref).strip().lstrip("#")
    number = row_id(text)
    found = (
        session.get(Practice, number)
        if number is not None
        else session.scalar(select(Practice).where(Practice.uid == text))
    )
    if found is None:
        raise NotFound(N_("no good practice with number {number!r}"), number=text[:80])
    return found


def _pending(practice: Practice) -> PracticeVersion:
    latest = practice.versions[-1]
    if latest.state is not PracticeState.DRAFT:
        raise InvalidInput(
            N_("practice {id} has no draft waiting for review (its latest version is {state})"),
            id=practice.id,
            state=latest.state.value,
        )
    return latest


def _require_reviewer(reviewer: Participant) -> None:
    if effective_role(reviewer) is not Role.ORGANISER:
        raise PermissionDenied(N_("only organisers review good practices"))


def publish(session: Session, version: PracticeVersion, now: datetime) -> int:
    """Make this version the one the public sees, and tell followers; returns notices written."""
    version.state = PracticeState.PUBLISHED
    version.published_at = version.published_at or now
    for other in version.practice.versions:
        other.current = other is version
    session.flush()
    return announce(session, version, now)


def approve(
    session: Session,
    reviewer: Participant,
    ref: int | str,
    *,
    note: str | None = None,
    now: datetime | None = None,
) -> PracticeVersion:
    """Publish a practice's draft; only organisers may."""
    now = now or utcnow()
    _require_reviewer(reviewer)
    practice = get(session, ref)
    version = _pending(practice)
    _reviewed(reviewer, version, note, now)
    publish(session, version, now)
    _audit(session, reviewer.pseudonym, "practice.approved", version, None)
    tell_author(session, version, now)
    return version


def reject(
    session: Session,
    reviewer: Participant,
    ref: int | str,
    *,
    note: str,
    now: datetime | None = None,
) -> PracticeVersion:
    """Send a draft back with a reason; its author can write a corrected version."""
    now = now or utcnow()
    _require_reviewer(reviewer)
    if not (note or "").strip():
        raise InvalidInput(N_("note: say why the draft is sent back, so its author can fix it"))
    practice = get(session, ref)
    version = _pending(practice)
    version.state = PracticeState.REJECTED
    _reviewed(reviewer, version, note, now)
    _audit(session, reviewer.pseudonym, "practice.rejected", version, None)
    tell_author(session, version, now)
    return version


def tell_author(session: Session, version: PracticeVersion, now: datetime) -> bool:
    """Tell the author, in their language and channel, how the review ended; True if queued."""
    author = version.practice.author
    if author is None or author.opted_out_at is not None:
        return False
    identity = preferred_identity(session, author)
    if identity is None:
        return False
    language = author.language or "en"
    title = " ".join(texts(version, language)[0]["title"].split())
    if version.state is PracticeState.PUBLISHED:
        text = translate(
            language,
            "Your good practice #{number} “{title}” is published. People who follow its "
            "themes will hear of it.",
        ).format(number=version.practice_id, title=title)
    else:
        text = translate(
            language, "Your good practice #{number} “{title}” was sent back: {note}"
        ).format(number=version.practice_id, title=title, note=version.review_note or "")
    message = OutboundMessage(text, language=language)
    return outbox.enqueue(session, author, identity.platform, message, now=now) is not None


def _reviewed(
    reviewer: Participant, version: PracticeVersion, note: str | None, now: datetime
) -> None:
    version.reviewed_by = reviewer.pseudonym
    version.reviewed_at = now
    version.review_note = (note or "").strip()[:2_000] or None


def _audit(
    session: Session, actor: str, action: str, version: PracticeVersion, channel: str | None
) -> None:
    details: dict[str, Any] = {"version": version.version, "state": version.state.value}
    if channel:
        details["channel"] = channel[:20]
    audit.record(
        session,
        actor=actor,
        action=action,
        subject_type="practice",
        subject_id=version.practice_id,
        details=details,
    )


def awaiting_review(session: Session) -> list[PracticeVersion]:
    """Drafts waiting for an organiser, oldest first."""
    drafts = session.scalars(
        select(PracticeVersion)
        .where(PracticeVersion.state == PracticeState.DRAFT)
        .order_by(PracticeVersion.created_at, PracticeVersion.id)
    )
    # Only a practice's latest version can wait: an older draft was superseded.
    return [v for v in drafts if v.practice.versions[-1].id == v.id]


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Search:
    """What to look for among published practices; every part is optional."""

    text: str = ""
    theme: str = ""
    sdg_target: str = ""
    mechanism: str = ""
    country: str = ""
    language: str = ""


def _searching(search: Search) -> Select[PracticeVersion]:
    query = select(PracticeVersion).where(PracticeVersion.current.is_(True))
    # Typed words are matched as words, never as SQL or patterns: % and _ are escaped.
    for word in fold_for_search(search.text).split()[:12]:
        query = query.where(
            PracticeVersion.search_text.like(f"% {_escape_like(word)}%", escape="\\")
        )
    for kind, wanted in (
        (TagKind.THEME, search.theme.strip()),
        (TagKind.SDG_TARGET, search.sdg_target.strip()),
    ):
        if not wanted:
            continue
        code = sdg_code(wanted) if kind is TagKind.SDG_TARGET else wanted.lower()
        query = query.where(
            PracticeVersion.id.in_(
                select(practice_version_tags.c.version_id)
                .join(Tag, Tag.id == practice_version_tags.c.tag_id)
                .where(Tag.kind == kind, func.lower(Tag.code) == code.lower())
            )
        )
    if search.mechanism.strip():
        query = query.where(
            func.lower(PracticeVersion.mechanism).contains(
                search.mechanism.strip().lower(), autoescape=True
            )
        )
    if search.country.strip():
        query = query.where(func.lower(PracticeVersion.country) == search.country.strip().lower())
    return query


def search(
    session: Session, wanted: Search | None = None, *, limit: int = 50, offset: int = 0
) -> list[PracticeVersion]:
    """Published practices matching the search, newest first."""
    query = _searching(wanted or Search())
    if wanted is not None and wanted.language.strip():
        code = wanted.language.strip().lower()
        rows = [
            v
            for v in session.scalars(query.order_by(PracticeVersion.published_at.desc()))
            if code == v.language or code in (v.translations or {}) or code in v.languages
        ]
        return rows[offset : offset + limit]
    return list(
        session.scalars(
            query.order_by(PracticeVersion.published_at.desc(), PracticeVersion.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def count(session: Session, wanted: Search | None = None) -> int:
    """How many published practices match."""
    if wanted is not None and wanted.language.strip():
        # The language filter reads each version's languages, which SQL cannot portably.
        return len(search(session, wanted, limit=1_000_000))
    query = _searching(wanted or Search())
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def known_theme(session: Session, text: str) -> str | None:
    """The theme a published practice carries under this name, however it was typed."""
    wanted = " ".join(text.split()).lower()
    if not wanted:
        return None
    return session.scalar(
        select(Tag.code)
        .join(practice_version_tags, practice_version_tags.c.tag_id == Tag.id)
        .join(PracticeVersion, PracticeVersion.id == practice_version_tags.c.version_id)
        .where(
            Tag.kind == TagKind.THEME,
            func.lower(Tag.code) == wanted,
            PracticeVersion.current.is_(True),
        )
        .limit(1)
    )


def themes(session: Session) -> list[tuple[str, int]]:
    """The themes of published practices, most used first."""
    rows = session.execute(
        select(Tag.code, func.count(PracticeVersion.id))
        .join(practice_version_tags, practice_version_tags.c.tag_id == Tag.id)
        .join(PracticeVersion, PracticeVersion.id == practice_version_tags.c.version_id)
        .where(Tag.kind == TagKind.THEME, PracticeVersion.current.is_(True))
        .group_by(Tag.code)
        .order_by(func.count(PracticeVersion.id).desc(), Tag.code)
    )
    return [(code, number) for code, number in rows]


def mechanisms(session: Session) -> list[str]:
    """The mechanisms published practices describe, for the dashboard's filter."""
    return sorted(
        {
            m
            for m in session.scalars(
                select(PracticeVersion.mechanism).where(PracticeVersion.current.is_(True))
            )
            if m
        }
    )


def texts(version: PracticeVersion, language: str | None) -> tuple[dict[str, str], str]:
    """The texts in the reader's language where a translation exists, and that language."""
    if language and language != version.language:
        translated = (version.translations or {}).get(language)
        if translated:
            original = {name: getattr(version, name) for name in TEXT_FIELDS}
            # A translation may leave a field out: that field is shown as written.
            return {name: translated.get(name) or original[name] for name in TEXT_FIELDS}, language
    return {name: getattr(version, name) for name in TEXT_FIELDS}, version.language


def linked_recommendations(session: Session, version: PracticeVersion) -> list[Recommendation]:
    """The recommendations of this deployment the practice names, by key or source id."""
    keys = [r.get("key") for r in version.recommendations or [] if r.get("key")]
    sources = [r.get("source_id") for r in version.recommendations or [] if r.get("source_id")]
    if not keys and not sources:
        return []
    return list(
        session.scalars(
            select(Recommendation)
            .where(or_(Recommendation.key.in_(keys), Recommendation.source_id.in_(sources)))
            .order_by(Recommendation.id)
        )
    )


def describe(
    session: Session, version: PracticeVersion, language: str | None = None
) -> dict[str, Any]:
    """One version as plain data, in the reader's language where a translation exists."""
    practice = version.practice
    shown, shown_in = texts(version, language)
    return {
        "id": practice.id,
        "uid": practice.uid,
        "version": version.version,
        "versions": len(practice.versions),
        "state": version.state.value,
        "language": shown_in,
        "written_in": version.language,
        **shown,
        "translations": sorted((version.translations or {}).keys()),
        "themes": [t.code for t in version.tags_of(TagKind.THEME)],
        "sdg_targets": [t.code for t in version.tags_of(TagKind.SDG_TARGET)],
        "recommendations": list(version.recommendations or []),
        "recommendation_ids": [r.id for r in linked_recommendations(session, version)],
        "mechanism": version.mechanism,
        "country": version.country,
        "languages": list(version.languages or []),
        "contact": version.contact,
        "licence": version.licence,
        "licence_url": LICENCES.get(version.licence),
        "organisation": practice.publisher,
        "origin": version.origin or practice.origin,
        "posted_at": version.created_at.isoformat(timespec="seconds"),
        "published_at": (
            version.published_at.isoformat(timespec="seconds") if version.published_at else None
        ),
        "review_note": version.review_note,
        "channel": version.channel,
    }


def current(practice: Practice) -> PracticeVersion | None:
    """The version the public sees, if one was published."""
    return next((v for v in practice.versions if v.current), None)


# --- followers --------------------------------------------------------------------------------


def followers(session: Session, version: PracticeVersion) -> set[int]:
    """Everyone who follows one of the practice's themes, SDG targets or recommendations."""
    return follows.followers_of(
        session,
        (r.id for r in linked_recommendations(session, version)),
        {
            kind: [t.code for t in version.tags_of(kind)]
            for kind in (TagKind.THEME, TagKind.SDG_TARGET)
        },
    )


def announce(session: Session, version: PracticeVersion, now: datetime) -> int:
    """Queue news of a newly published version for its followers; returns how many."""
    audience = followers(session, version)
    audience.discard(version.practice.author_id or 0)
    return follows.tell(
        session,
        audience,
        PRACTICE_NOTICE,
        f"practice-version:{version.id}",
        {"practice_id": version.practice_id, "version_id": version.id},
        now,
    )


# --- questions to authors ---------------------------------------------------------------------


def ask(
    session: Session,
    asker: Participant,
    ref: int | str,
    question: str,
    *,
    language: str = "en",
    now: datetime | None = None,
) -> PracticeQuestion:
    """Store a question about a published practice for its author to answer."""
    now = now or utcnow()
    practice = get(session, ref)
    if current(practice) is None:
        raise NotFound(N_("no good practice with number {number!r}"), number=str(practice.id))
    text = clean_text(question, "question", required=True)
    if len(text) > MOST_QUESTION:
        raise InvalidInput(
            N_("question: {length} characters is too long; the limit is {limit}"),
            length=f"{len(text):,}",
            limit=f"{MOST_QUESTION:,}",
        )
    if practice.author is None or practice.author.opted_out_at is not None:
        raise NotFound(
            N_("the author of practice {id} cannot be reached through Consulta"),
            id=practice.id,
        )
    asked = PracticeQuestion(
        practice_id=practice.id,
        asker_id=asker.id,
        question=text,
        language=language,
        asked_at=now,
    )
    session.add(asked)
    session.flush()
    audit.record(
        session,
        actor=asker.pseudonym,
        action="practice.question_asked",
        subject_type="practice",
        subject_id=practice.id,
        details={"question": asked.id},
    )
    return asked


def answer(
    session: Session,
    author: Participant,
    question_id: int,
    text: str,
    *,
    now: datetime | None = None,
) -> PracticeQuestion:
    """Store the author's answer to a question; only the practice's author may answer."""
    now = now or utcnow()
    asked = session.get(PracticeQuestion, question_id)
    if asked is None:
        raise NotFound(N_("no question with number {number!r}"), number=str(question_id))
    if asked.practice.author_id != author.id:
        raise PermissionDenied(N_("only the practice's author answers questions about it"))
    if asked.answered_at is not None:
        raise InvalidInput(N_("question {number} was answered already"), number=asked.id)
    asked.answer = clean_text(text, "answer", required=True)
    asked.answered_by = author.pseudonym
    asked.answered_at = now
    session.flush()
    audit.record(
        session,
        actor=author.pseudonym,
        action="practice.question_answered",
        subject_type="practice",
        subject_id=asked.practice_id,
        details={"question": asked.id},
    )
    return asked
