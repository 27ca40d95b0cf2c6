"""Importing invitees: participants, their roles and their contact handles, from a CSV file.

The file is UTF-8 (with or without the BOM Excel writes), separated by commas or semicolons,
with the columns name, organisation, role and language and, optionally, one contact handle
per channel: slack (a user id), telegram (a chat id) and webhook (a sender id such as a phone
number). Every row is checked before anything is stored; the import is all or nothing unless
bad rows may be skipped.

Names are personal data: no message here quotes a cell, so neither the summary nor a log line
can carry one, even when a misplaced separator pushes a name into another column.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, people
from core.db import Database
from core.errors import InvalidInput, Phrase, located
from core.i18n import N_, SUPPORTED_LANGUAGES
from core.importing.records import RowProblem
from core.models import Organisation, PlatformIdentity
from core.vocabulary import Platform, Role

COLUMNS = ("name", "organisation", "role", "language", "slack", "telegram", "webhook")
REQUIRED_COLUMNS = ("name",)
HANDLE_COLUMNS = {
    "slack": Platform.SLACK,
    "telegram": Platform.TELEGRAM,
    "webhook": Platform.WEBHOOK,
}
HANDLE_PATTERNS = {
    Platform.SLACK: re.compile(r"[UW][A-Z0-9]{6,}"),
    # Private chats with a bot have the person's positive user id as their chat id.
    Platform.TELEGRAM: re.compile(r"[0-9]{1,20}"),
    Platform.WEBHOOK: re.compile(r"\+?[0-9A-Za-z._:-]{3,64}"),
}
HANDLE_NAMES = {
    Platform.SLACK: "Slack user id",
    Platform.TELEGRAM: "Telegram chat id",
    Platform.WEBHOOK: "webhook sender id",
}
HANDLE_RULES = {
    Platform.SLACK: "not a Slack user id such as U0123ABCD",
    Platform.TELEGRAM: "not a Telegram chat id, which is digits only",
    Platform.WEBHOOK: (
        "not a sender id such as +233201234567 (3 to 64 letters, digits or . _ : -, "
        "after an optional +)"
    ),
}
# The widths of the columns these values are stored in.
MAX_NAME = 200
MAX_HANDLE = 255
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
# Existing handles are looked up this many at a time, well under every database's limit.
LOOKUP_BATCH = 500


class InviteeFileError(InvalidInput):
    """The file as a whole cannot be imported; the message names the file and, if known, a line."""

    def __init__(
        self, path: Path, reason: str | Phrase, /, line: int | None = None, **values: object
    ) -> None:
        self.path = path
        self.line = line
        said = reason if isinstance(reason, Phrase) else Phrase(reason, **values)
        self.reason = str(said)
        super().__init__(located(path, said, line))


@dataclass
class InviteeSummary:
    """What an import did, in the shape `--json` prints; it never holds a name."""

    added: int = 0
    duplicates: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    committed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain data."""
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "rejected": [{"line": p.line, "reason": p.reason} for p in self.rejected],
            "committed": self.committed,
        }


@dataclass(frozen=True)
class _Row:
    """One record of the file: where it starts, its cells by column, and stray values."""

    line: int
    cells: dict[str, str]
    surplus: int = 0


@dataclass(frozen=True)
class _Invitee:
    """A row that passed every check of its own."""

    line: int
    name: str
    organisation_id: int | None
    role: Role
    language: str | None
    handles: tuple[tuple[Platform, str], ...]

    def key(self) -> tuple[Any, ...]:
        """What makes two rows the same person: equal in every column, names whatever case."""
        return (
            self.name.casefold(),
            self.organisation_id,
            self.role,
            self.language,
            self.handles,
        )


class _RollBack(Exception):
    """Raised inside the unit of work to undo it when the file had bad rows."""


def import_invitees(
    database: Database,
    path: Path,
    *,
    pseudonym_key: bytes,
    skip_invalid: bool = False,
    actor: str = audit.SYSTEM,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> InviteeSummary:
    """Add the participants a CSV file lists, with their handles, in one transaction."""
    rows = _read_file(path, max_bytes=max_bytes)
    summary = InviteeSummary()
    try:
        with database.unit_of_work() as session:
            accepted = _check_rows(session, rows, summary)
            summary.rejected.sort(key=lambda p: p.line)
            if summary.rejected and not skip_invalid:
                raise _RollBack
            handles = 0
            for invitee in accepted:
                participant = people.add_participant(
                    session,
                    pseudonym_key=pseudonym_key,
                    role=invitee.role,
                    display_name=invitee.name,
                    organisation=invitee.organisation_id,
                    language=invitee.language,
                    actor=actor,
                )
                for platform, external_id in invitee.handles:
                    participant.identities.append(
                        PlatformIdentity(platform=platform, external_id=external_id)
                    )
                    handles += 1
                summary.added += 1
            session.flush()
            audit.record(
                session,
                actor=actor,
                action="participants.imported",
                subject_type="file",
                subject_id="csv",
                details={
                    "added": summary.added,
                    "handles": handles,
                    "duplicates": summary.duplicates,
                    "rejected": len(summary.rejected),
                },
            )
    except _RollBack:
        return summary
    summary.committed = True
    return summary


def _read_file(path: Path, *, max_bytes: int) -> list[_Row]:
    """The file's records with their line numbers; whole-file problems raise InviteeFileError."""
    text = _decode(path, max_bytes)
    first_line = next(line for line in text.splitlines() if line.strip())
    # A spreadsheet saved where the decimal mark is a comma separates cells with semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records = _records(path, reader)
    header_line, header = next(records, (1, list[str]()))
    columns = _columns(path, header, header_line)
    rows = []
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        named = {name: value.strip() for name, value in zip(columns, cells, strict=False) if name}
        # Values past the header, or under a column with no name, usually mean a separator
        # inside an unquoted value shifted the row; storing it would put data in wrong places.
        stray = sum(
            1
            for position, value in enumerate(cells)
            if value.strip() and (position >= len(columns) or not columns[position])
        )
        rows.append(_Row(line=line, cells=named, surplus=stray))
    if not rows:
        raise InviteeFileError(path, N_("has a header but no participant rows"))
    return rows


def _decode(path: Path, max_bytes: int) -> str:
    if not path.is_file():
        raise InviteeFileError(path, N_("no such file"))
    size = path.stat().st_size
    if size > max_bytes:
        raise InviteeFileError(
            path,
            N_("is {size} bytes, more than the {limit} allowed (CONSULTA_IMPORT_MAX_BYTES)"),
            size=f"{size:,}",
            limit=f"{max_bytes:,}",
        )
    raw = path.read_bytes()
    raw = raw.removeprefix(codecs.BOM_UTF8)
    if not raw.strip():
        raise InviteeFileError(path, N_("is empty; the first line must name the columns"))
    if b"\x00" in raw:
        raise InviteeFileError(
            path, N_("holds binary data, so it is not a CSV file; save the sheet as CSV UTF-8")
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as failure:
        raise InviteeFileError(
            path,
            N_("byte {byte} is not UTF-8; save the file as CSV UTF-8"),
            line=raw[: failure.start].count(b"\n") + 1,
            byte=f"0x{raw[failure.start]:02x}",
        ) from None


def _records(path: Path, reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the line it starts on."""
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            if cells:
                yield start, cells
    except csv.Error as problem:
        # A quote left open swallows the rest of the file; where it opened is what helps.
        raise InviteeFileError(
            path, N_("is not well-formed CSV ({problem})"), line=end + 1, problem=problem
        ) from None


def _columns(path: Path, header: list[str], line: int) -> list[str]:
    columns = [cell.strip().casefold() for cell in header]
    known = ", ".join(COLUMNS)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InviteeFileError(
            path,
            N_("has no {columns} column; the first line must name the columns (any of {known})"),
            line=line,
            columns=", ".join(missing),
            known=known,
        )
    # Spreadsheets often save trailing empty header cells; only named columns must be known.
    unknown = sorted({c for c in columns if c and c not in COLUMNS})
    if unknown:
        raise InviteeFileError(
            path,
            N_("unknown column(s) {columns}; the columns are {known}"),
            line=line,
            columns=", ".join(repr(c) for c in unknown),
            known=known,
        )
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        raise InviteeFileError(
            path,
            N_("the column(s) {columns} appear more than once"),
            line=line,
            columns=", ".join(repeated),
        )
    return columns


def _check_rows(session: Session, rows: list[_Row], summary: InviteeSummary) -> list[_Invitee]:
    """The rows to add, in file order; rejects and duplicates are recorded in the summary."""
    organisations = _organisation_ids(session)
    taken = _existing_handles(session, rows)
    seen_rows: set[tuple[Any, ...]] = set()
    handle_lines: dict[tuple[Platform, str], int] = {}
    accepted = []
    for row in rows:
        invitee, problems = _check_row(row, organisations, taken)
        if invitee is None:
            summary.rejected.append(RowProblem(row.line, "; ".join(problems)))
            continue
        if invitee.key() in seen_rows:
            summary.duplicates += 1
            continue
        clashes = [
            f"column {platform.value}: the same {HANDLE_NAMES[platform]} is on line "
            f"{handle_lines[(platform, value)]}"
            for platform, value in invitee.handles
            if (platform, value) in handle_lines
        ]
        if clashes:
            summary.rejected.append(RowProblem(row.line, "; ".join(clashes)))
            continue
        seen_rows.add(invitee.key())
        handle_lines.update({handle: row.line for handle in invitee.handles})
        accepted.append(invitee)
    return accepted


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


def _organisation_ids(session: Session) -> dict[str, int]:
    return {
        _folded(name): organisation_id
        for organisation_id, name in session.execute(select(Organisation.id, Organisation.name))
    }


def _handles_of(row: _Row) -> Iterable[tuple[str, Platform, str]]:
    for column, platform in HANDLE_COLUMNS.items():
        value = row.cells.get(column, "")
        if value:
            yield column, platform, value


def _well_formed(platform: Platform, value: str) -> bool:
    return len(value) <= MAX_HANDLE and HANDLE_PATTERNS[platform].fullmatch(value) is not None


def _existing_handles(session: Session, rows: list[_Row]) -> set[tuple[Platform, str]]:
    """The file's handles that already belong to a participant."""
    wanted: dict[Platform, set[str]] = {platform: set() for platform in HANDLE_COLUMNS.values()}
    for row in rows:
        for _, platform, value in _handles_of(row):
            if _well_formed(platform, value):
                wanted[platform].add(value)
    taken: set[tuple[Platform, str]] = set()
    for platform, values in wanted.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), LOOKUP_BATCH):
            batch = ordered[start : start + LOOKUP_BATCH]
            taken.update(
                (platform, external_id)
                for external_id in session.scalars(
                    select(PlatformIdentity.external_id).where(
                        PlatformIdentity.platform == platform,
                        PlatformIdentity.external_id.in_(batch),
                    )
                )
            )
    return taken


def _check_row(
    row: _Row, organisations: dict[str, int], taken: set[tuple[Platform, str]]
) -> tuple[_Invitee | None, list[str]]:
    """The invitee a row describes, or every problem it has, each naming its column."""
    problems = []
    if row.surplus:
        problems.append(
            f"{row.surplus} value(s) outside the named columns (put values that contain "
            "the separator in double quotes)"
        )
    name = " ".join(row.cells.get("name", "").split())
    if not name:
        problems.append("column name: empty, and every participant needs a name")
    elif len(name) > MAX_NAME:
        problems.append(f"column name: longer than {MAX_NAME} characters")

    role = Role.CIVIL_SOCIETY
    role_text = row.cells.get("role", "").casefold().replace("-", "_").replace(" ", "_")
    if role_text:
        try:
            role = Role(role_text)
        except ValueError:
            problems.append(
                f"column role: not a role (use one of {', '.join(r.value for r in Role)})"
            )

    organisation_id = None
    organisation = _folded(row.cells.get("organisation", ""))
    if organisation:
        organisation_id = organisations.get(organisation)
        if organisation_id is None:
            problems.append(
                "column organisation: no organisation with this name is registered (add it "
                "first with `consulta organisations add`, or leave the cell empty)"
            )

    language = row.cells.get("language", "").lower() or None
    if language is not None and language not in SUPPORTED_LANGUAGES:
        problems.append(f"column language: not one of {', '.join(SUPPORTED_LANGUAGES)}")

    handles = []
    for column, platform, value in _handles_of(row):
        if not _well_formed(platform, value):
            problems.append(f"column {column}: {HANDLE_RULES[platform]}")
        elif (platform, value) in taken:
            problems.append(
                f"column {column}: this {HANDLE_NAMES[platform]} already belongs to another "
                "participant"
            )
        else:
            handles.append((platform, value))

    if problems:
        return None, problems
    invitee = _Invitee(
        line=row.line,
        name=name,
        organisation_id=organisation_id,
        role=role,
        language=language,
        handles=tuple(handles),
    )
    return invitee, []
