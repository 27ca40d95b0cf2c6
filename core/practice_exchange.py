"""Good practices between deployments: a versioned JSON exchange format, and JSON-LD.

One country's Consulta exports its published practices; another imports the file. Ids are
stable (urn:uuid), each version carries the hash of its content, and a re-import adds
nothing. A version the importer does not hold is added as a new version: an edit made
elsewhere never overwrites one made here. The JSON Schema is published in
core/schemas/practices-1.schema.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, practices
from core.errors import InvalidInput
from core.i18n import N_
from core.models import Practice, PracticeState, PracticeVersion, TagKind, utcnow
from core.practices import LICENCES, TEXT_FIELDS, PracticeDraft

FORMAT = "consulta-practices"
FORMAT_VERSION = 1
SCHEMA_FILE = f"practices-{FORMAT_VERSION}.schema.json"
MOST_PROBLEMS = 10
_STABLE_ID = r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[^\s]{1,200}$"
Text = Annotated[str, Field(max_length=10_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Deployment(_Strict):
    """The deployment that wrote the file."""

    name: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, max_length=500)


class RecommendationRef(_Strict):
    """A recommendation as deployments name it: its key, with the UN references."""

    key: str = Field(min_length=1, max_length=80)
    source_id: str | None = Field(default=None, max_length=120)
    document_symbol: str | None = Field(default=None, max_length=120)
    paragraph: str | None = Field(default=None, max_length=40)


class Translation(_Strict):
    """A practice's texts in another language."""

    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=2_000)
    done: Text = ""
    results: Text = ""
    lessons: Text = ""


class VersionRecord(_Strict):
    """One published version of a practice."""

    version: int = Field(ge=1, description="The version's number where it was written.")
    published_at: datetime
    origin: str | None = Field(
        default=None, max_length=200, description="The deployment this version was written in."
    )
    content_hash: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the version's content, computed where it was written; a "
        "deployment that holds a version with this hash does not add it again.",
    )
    language: str = Field(min_length=2, max_length=8)
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=2_000)
    done: Text = ""
    results: Text = ""
    lessons: Text = ""
    translations: dict[str, Translation] = Field(default_factory=dict)
    themes: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(
        default_factory=list, max_length=20
    )
    sdg_targets: list[Annotated[str, Field(pattern=r"^\d{1,2}\.[0-9a-z]{1,2}$")]] = Field(
        default_factory=list, max_length=20
    )
    recommendations: list[RecommendationRef] = Field(default_factory=list, max_length=50)
    mechanism: str = Field(default="", max_length=200)
    country: str = Field(default="", max_length=120)
    languages: list[Annotated[str, Field(min_length=2, max_length=20)]] = Field(
        default_factory=list
    )
    contact: str | None = Field(default=None, max_length=300)
    licence: Literal["CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC0-1.0"] = "CC-BY-4.0"


class PracticeRecord(_Strict):
    """A practice with its published versions, oldest first."""

    id: str = Field(pattern=_STABLE_ID, description="Stable across deployments: urn:uuid:...")
    origin: str = Field(
        min_length=1, max_length=200, description="The deployment it was first published in."
    )
    origin_url: str | None = Field(default=None, max_length=500)
    publisher: str | None = Field(
        default=None, max_length=200, description="The organisation that shares it."
    )
    versions: list[VersionRecord] = Field(min_length=1)


class ExchangeDocument(_Strict):
    """A deployment's published good practices, as one file."""

    format: Literal["consulta-practices"]
    format_version: Literal[1]
    exported_at: datetime
    deployment: Deployment
    practices: list[PracticeRecord]


def dump_schema() -> str:
    """The JSON Schema of the exchange format, as published in core/schemas/."""
    schema = ExchangeDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://consulta.invalid/schemas/{SCHEMA_FILE}"
    schema["title"] = "Consulta good practices exchange, version 1"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


# --- export -----------------------------------------------------------------------------------


def _version_record(version: PracticeVersion, home: str) -> dict[str, Any]:
    assert version.published_at is not None
    return {
        "version": version.version,
        "published_at": version.published_at.astimezone(UTC).isoformat(timespec="seconds"),
        # A version written here has no origin of its own: this deployment is its origin.
        "origin": version.origin or home,
        "content_hash": version.content_hash,
        "language": version.language,
        **{name: getattr(version, name) for name in TEXT_FIELDS},
        "translations": version.translations or {},
        "themes": [t.code for t in version.tags_of(TagKind.THEME)],
        "sdg_targets": [t.code for t in version.tags_of(TagKind.SDG_TARGET)],
        "recommendations": list(version.recommendations or []),
        "mechanism": version.mechanism,
        "country": version.country,
        "languages": list(version.languages or []),
        "contact": version.contact,
        "licence": version.licence,
    }


def export(
    session: Session,
    deployment: str,
    url: str | None = None,
    *,
    now: datetime | None = None,
    versions: list[PracticeVersion] | None = None,
) -> dict[str, Any]:
    """The published practices (or the given current versions) as an exchange document."""
    now = now or utcnow()
    if versions is None:
        chosen = list(
            session.scalars(
                select(Practice)
                .where(Practice.versions.any(PracticeVersion.current.is_(True)))
                .order_by(Practice.id)
            )
        )
    else:
        chosen = [v.practice for v in versions]
    records = []
    for practice in chosen:
        published = [
            v
            for v in practice.versions
            if v.state is PracticeState.PUBLISHED and v.published_at is not None
        ]
        if not published:
            continue
        records.append(
            {
                "id": practice.uid,
                "origin": practice.origin or deployment,
                "origin_url": practice.origin_url or (url if practice.origin is None else None),
                "publisher": practice.publisher,
                "versions": [_version_record(v, deployment) for v in published],
            }
        )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "deployment": {"name": deployment, "url": url},
        "practices": records,
    }


def to_jsonld(document: dict[str, Any]) -> dict[str, Any]:
    """The same practices as schema.org CreativeWork items, for linked-data readers."""
    graph = []
    for record in document["practices"]:
        latest = record["versions"][-1]
        first = record["versions"][0]
        parts = [
            {"@type": "CreativeWork", "name": label, "text": latest[name]}
            for name, label in (
                ("results", "Results"),
                ("lessons", "Lessons"),
            )
            if latest[name]
        ]
        if latest["mechanism"]:
            parts.append(
                {"@type": "CreativeWork", "name": "Mechanism", "text": latest["mechanism"]}
            )
        publisher: dict[str, Any] = {"@type": "Organization", "name": record["publisher"] or ""}
        if latest["contact"]:
            publisher["contactPoint"] = {"@type": "ContactPoint", "description": latest["contact"]}
        graph.append(
            {
                "@type": "CreativeWork",
                "@id": record["id"],
                "identifier": record["id"],
                "name": latest["title"],
                "abstract": latest["summary"],
                "text": latest["done"],
                "hasPart": parts,
                "inLanguage": latest["language"],
                "availableLanguage": latest["languages"],
                "keywords": latest["themes"],
                "about": [
                    {"@type": "DefinedTerm", "name": theme, "inDefinedTermSet": "themes"}
                    for theme in latest["themes"]
                ]
                + [
                    {
                        "@type": "DefinedTerm",
                        "termCode": target,
                        "name": f"SDG target {target}",
                        "inDefinedTermSet": "https://unstats.un.org/sdgs/indicators/indicators-list/",
                    }
                    for target in latest["sdg_targets"]
                ],
                "citation": [
                    {
                        "@type": "CreativeWork",
                        "identifier": ref["key"],
                        "name": " ".join(
                            str(part)
                            for part in (ref.get("document_symbol"), ref.get("paragraph"))
                            if part
                        )
                        or ref["key"],
                    }
                    for ref in latest["recommendations"]
                ],
                "spatialCoverage": {"@type": "Country", "name": latest["country"]}
                if latest["country"]
                else None,
                "publisher": publisher,
                "sourceOrganization": {"@type": "Organization", "name": record["origin"]},
                "license": LICENCES.get(latest["licence"], latest["licence"]),
                "version": latest["version"],
                "datePublished": first["published_at"],
                "dateModified": latest["published_at"],
                "workTranslation": [
                    {
                        "@type": "CreativeWork",
                        "inLanguage": language,
                        "name": texts["title"],
                        "abstract": texts["summary"],
                        "text": texts.get("done", ""),
                    }
                    for language, texts in sorted(latest["translations"].items())
                ],
            }
        )
    return {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": f"Good practices shared by {document['deployment']['name']}",
        "dateModified": document["exported_at"],
        "url": document["deployment"].get("url"),
        "hasPart": [{k: v for k, v in item.items() if v not in (None, [], "")} for item in graph],
    }


# --- import -----------------------------------------------------------------------------------


def line_of(text: str, path: tuple[int | str, ...]) -> int:
    """The line in a JSON text where the value at `path` starts (1 if it cannot be found)."""
    position = _locate(text, 0, list(path))
    return text.count("\n", 0, position) + 1


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _end_of_string(text: str, i: int) -> int:
    i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    return i


def _end_of_value(text: str, i: int) -> int:
    i = _skip_space(text, i)
    if i >= len(text):
        return i
    if text[i] == '"':
        return _end_of_string(text, i)
    if text[i] in "{[":
        depth = 0
        while i < len(text):
            char = text[i]
            if char == '"':
                i = _end_of_string(text, i)
                continue
            if char in "{[":
                depth += 1
            elif char in "}]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return i
    while i < len(text) and text[i] not in ",}] \t\r\n":
        i += 1
    return i


def _locate(text: str, i: int, path: list[int | str]) -> int:
    i = _skip_space(text, i)
    if not path or i >= len(text):
        return i
    step, rest = path[0], path[1:]
    if text[i] == "{" and isinstance(step, str):
        i += 1
        while True:
            i = _skip_space(text, i)
            if i >= len(text) or text[i] == "}":
                return i
            key_end = _end_of_string(text, i)
            try:
                key = json.loads(text[i:key_end])
            except ValueError:
                return i
            i = _skip_space(text, key_end) + 1
            if key == step:
                return _locate(text, i, rest) if rest else _skip_space(text, i)
            i = _skip_space(text, _end_of_value(text, i))
            if i < len(text) and text[i] == ",":
                i += 1
    if text[i] == "[" and isinstance(step, int):
        i += 1
        for _ in range(step):
            i = _skip_space(text, _end_of_value(text, i))
            if i >= len(text) or text[i] != ",":
                return i
            i += 1
        return _locate(text, i, rest) if rest else _skip_space(text, i)
    return i


@dataclass(frozen=True)
class Merged:
    """What an import did."""

    practices_added: int
    versions_added: int
    unchanged: int
    origin: str


def _field_name(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(the document)"


def read(text: str, source: str = "the file") -> ExchangeDocument:
    """Parse an exchange file; a refusal names the line and the field of every problem."""
    try:
        raw = json.loads(text)
    except RecursionError:
        raise InvalidInput(
            N_("{source}: nested too deeply to be an exchange file"), source=source
        ) from None
    except ValueError as error:
        line = getattr(error, "lineno", 1)
        raise InvalidInput(
            N_("{source}, line {line}: not valid JSON ({problem})"),
            source=source,
            line=line,
            problem=getattr(error, "msg", str(error)),
        ) from None
    if isinstance(raw, dict):
        given = raw.get("format_version")
        if raw.get("format") == FORMAT and given != FORMAT_VERSION:
            raise InvalidInput(
                N_(
                    "{source}, line {line}, format_version: version {given} of the exchange "
                    "format is not one this Consulta reads; it reads version {version}"
                ),
                source=source,
                line=line_of(text, ("format_version",)),
                given=json.dumps(given),
                version=FORMAT_VERSION,
            )
        if "@context" in raw:
            raise InvalidInput(
                N_(
                    "{source}: this is the JSON-LD export, which is for reading; import the "
                    "JSON export (--format json)"
                ),
                source=source,
            )
    try:
        return ExchangeDocument.model_validate(raw)
    except ValidationError as error:
        problems = [
            f"line {line_of(text, tuple(problem['loc']))}, {_field_name(tuple(problem['loc']))}: "
            f"{problem['msg']}"
            for problem in error.errors()[:MOST_PROBLEMS]
        ]
        raise InvalidInput(
            N_("{source}: nothing was imported. {problems}"),
            source=source,
            problems="; ".join(problems),
        ) from None


def _draft(version: VersionRecord) -> PracticeDraft:
    return PracticeDraft(
        title=version.title,
        summary=version.summary,
        done=version.done,
        results=version.results,
        lessons=version.lessons,
        themes=version.themes,
        sdg_targets=version.sdg_targets,
        recommendations=[ref.model_dump() for ref in version.recommendations],
        mechanism=version.mechanism,
        country=version.country,
        languages=version.languages,
        contact=version.contact,
        licence=version.licence,
        language=version.language,
        translations={k: v.model_dump() for k, v in version.translations.items()},
        channel="import",
    )


def merge(
    session: Session,
    document: ExchangeDocument,
    *,
    actor: str,
    text: str = "",
    source: str = "the file",
    now: datetime | None = None,
) -> Merged:
    """Add what the document holds and this deployment does not, in the caller's transaction.

    Every version is checked before anything is written, so a bad one leaves the database
    as it was.
    """
    now = now or utcnow()
    checked: list[tuple[PracticeRecord, list[tuple[VersionRecord, Any]]]] = []
    for p_index, record in enumerate(document.practices):
        versions = []
        for v_index, version in enumerate(record.versions):
            try:
                versions.append((version, practices.check(session, _draft(version))))
            except InvalidInput as problem:
                where = ("practices", p_index, "versions", v_index)
                raise InvalidInput(
                    N_("{source}, line {line}, {field}: {problem}; nothing was imported"),
                    source=source,
                    line=line_of(text, where) if text else p_index + 1,
                    field=_field_name(where),
                    problem=problem.phrase,
                ) from None
        checked.append((record, versions))
    added = new_versions = unchanged = 0
    for record, versions in checked:
        practice = session.scalar(select(Practice).where(Practice.uid == record.id))
        if practice is None:
            practice = Practice(
                uid=record.id,
                publisher=record.publisher,
                origin=record.origin,
                origin_url=record.origin_url,
                created_at=now,
            )
            session.add(practice)
            session.flush()
            added += 1
        held = {v.content_hash for v in practice.versions}
        newest: PracticeVersion | None = None
        for version, content in sorted(versions, key=lambda pair: pair[0].published_at):
            if version.content_hash in held:
                unchanged += 1
                continue
            stored = practices.store_version(
                session,
                practice,
                content,
                state=PracticeState.PUBLISHED,
                channel="import",
                now=now,
                origin=version.origin or record.origin,
                content_hash=version.content_hash,
            )
            stored.published_at = version.published_at
            held.add(version.content_hash)
            new_versions += 1
            newest = stored
        if newest is not None:
            # An edit made elsewhere becomes the version shown; the one it replaces is kept.
            practices.publish(session, newest, now)
    audit.record(
        session,
        actor=actor,
        action="practices.imported",
        subject_type="deployment",
        subject_id=document.deployment.name[:80],
        details={
            "practices_added": added,
            "versions_added": new_versions,
            "unchanged": unchanged,
        },
    )
    return Merged(added, new_versions, unchanged, document.deployment.name)
