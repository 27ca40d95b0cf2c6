"""Who sees what: one table of what each role sees of each kind of record, applied here only.

Every read path that shows answers, updates, assessments, comments or aggregates to someone
other than the person who wrote them asks this module first.
"""

from __future__ import annotations

from enum import StrEnum

from core.invitations import effective_role
from core.models import Disclosure, Participant, UpdateKind, UpdateState
from core.vocabulary import Role


class Record(StrEnum):
    """A kind of record, as far as who may see it goes."""

    ANSWER_NAMED = "answer:named"
    ANSWER_ORGANISATION = "answer:organisation"
    ANSWER_ANONYMOUS = "answer:anonymous"
    UPDATE_DRAFT = "update:draft"
    UPDATE_PUBLISHED = "update:published"
    ASSESSMENT = "assessment"
    COMMENT_SHARED = "comment:shared"
    COMMENT_PRIVATE = "comment:private"
    AGGREGATE = "aggregate"


class View(StrEnum):
    """How much of a record a role sees."""

    NONE = "none"
    # Only records of one's own: one's own answers and comments, one's organisation's drafts.
    OWN = "own"
    # The content, naming no one.
    CONTENT = "content"
    # The content, naming whom the author chose to name (their disclosure level).
    AS_DISCLOSED = "as_disclosed"
    # The content and its author's organisation: updates and assessments are reports by
    # institutions, signed by them.
    FULL = "full"
    # Counts only, with small cells suppressed.
    SUPPRESSED = "suppressed"


# Answers were given under a promise that organisers alone see who gave them, and only as
# far as the author allowed; everyone else sees totals. A comment on an update reaches the
# implementers only when its author said so, and then without a name. Updates and
# assessments are institutions' reports: published, they are public and signed.
_TABLE = """
record               organiser     nhri        government  civil_society  academic  observer
answer:named         as_disclosed  own         own         own            own       own
answer:organisation  as_disclosed  own         own         own            own       own
answer:anonymous     as_disclosed  own         own         own            own       own
update:draft         full          own         own         none           none      none
update:published     full          full        full        full           full      full
assessment           full          full        full        full           full      full
comment:shared       as_disclosed  content     content     own            own       none
comment:private      as_disclosed  own         own         own            own       none
aggregate            suppressed    suppressed  suppressed  suppressed     suppressed suppressed
"""


def _parse(table: str) -> dict[Role, dict[Record, View]]:
    header, *rows = (line.split() for line in table.strip().splitlines())
    roles = [Role(name) for name in header[1:]]
    parsed: dict[Role, dict[Record, View]] = {role: {} for role in roles}
    for record, *views in rows:
        for role, view in zip(roles, views, strict=True):
            parsed[role][Record(record)] = View(view)
    return parsed


WHO_SEES_WHAT: dict[Role, dict[Record, View]] = _parse(_TABLE)
# Drafts are shared inside the organisation that wrote them; answers never are.
_OWNED_BY_ORGANISATION = frozenset({Record.UPDATE_DRAFT})


def view_of(viewer: Participant | None, record: Record) -> View:
    """How much of this kind of record the viewer sees; no viewer is the public."""
    role = Role.OBSERVER if viewer is None else effective_role(viewer)
    return WHO_SEES_WHAT[role][record]


def sees(
    viewer: Participant | None,
    record: Record,
    *,
    author_id: int | None = None,
    organisation_id: int | None = None,
) -> bool:
    """Whether the viewer sees this record at all."""
    view = view_of(viewer, record)
    if view is View.NONE:
        return False
    if view is View.OWN:
        if viewer is None:
            return False
        if record in _OWNED_BY_ORGANISATION:
            return organisation_id is not None and organisation_id == viewer.organisation_id
        return author_id is not None and author_id == viewer.id
    return True


def names_author(viewer: Participant | None, record: Record, *, author_id: int | None) -> bool:
    """Whether, seeing the record, the viewer may also see who wrote it."""
    view = view_of(viewer, record)
    if view is View.OWN:
        return viewer is not None and author_id == viewer.id
    return view in (View.FULL, View.AS_DISCLOSED)


def answer_record(disclosure: Disclosure) -> Record:
    """The record kind of an answer given under this disclosure."""
    return {
        Disclosure.NAMED: Record.ANSWER_NAMED,
        Disclosure.ORGANISATION: Record.ANSWER_ORGANISATION,
        Disclosure.ANONYMOUS: Record.ANSWER_ANONYMOUS,
    }[disclosure]


def update_record(kind: UpdateKind, state: UpdateState) -> Record:
    """The record kind of one version of an update or assessment."""
    if state is not UpdateState.PUBLISHED:
        return Record.UPDATE_DRAFT
    return Record.ASSESSMENT if kind is UpdateKind.ASSESSMENT else Record.UPDATE_PUBLISHED


def comment_record(shared: bool) -> Record:
    """The record kind of a comment on an update."""
    return Record.COMMENT_SHARED if shared else Record.COMMENT_PRIVATE
