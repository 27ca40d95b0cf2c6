"""Importing invitees from CSV: every row checked, all or nothing, and no name ever echoed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from core import audit, people
from core.invitees import InviteeFileError, import_invitees
from core.models import Participant, PlatformIdentity
from core.vocabulary import OrganisationType, Platform, Role
from tests.conftest import FIXTURES, PSEUDONYM_KEY

INVITEES = FIXTURES / "invitees"
GOOD_NAMES = ["Amina Haddad", "José Núñez", "Li Wei", "Grace Mensah", "Élodie Martin"]
BAD_FILE_NAMES = ["Ana Pereira", "Bruno Costa", "Chiara Rossi", "Dmitri Ivanov", "Efua Owusu"]


@pytest.fixture
def db(database):
    with database.unit_of_work() as session:
        people.add_organisation(
            session, name="Valdoria Rights Watch", type=OrganisationType.CIVIL_SOCIETY
        )
        people.add_organisation(session, name="Office of the Ombudsman", type=OrganisationType.NHRI)
    return database


def _import(database, path: Path, **options):
    return import_invitees(database, path, pseudonym_key=PSEUDONYM_KEY, **options)


def _participants(database) -> list[Participant]:
    with database.unit_of_work() as session:
        found = list(session.scalars(select(Participant).order_by(Participant.id)))
        for participant in found:
            _ = participant.identities, participant.organisation
        return found


def test_a_good_file_with_a_bom_adds_everyone_with_pseudonyms_and_handles(db):
    summary = _import(db, INVITEES / "good.csv")
    assert summary.as_dict() == {"added": 5, "duplicates": 0, "rejected": [], "committed": True}
    found = _participants(db)
    assert [p.display_name for p in found] == GOOD_NAMES
    assert all(p.pseudonym.startswith("P-") for p in found)
    assert [p.role for p in found] == [
        Role.CIVIL_SOCIETY,
        Role.CIVIL_SOCIETY,
        Role.ACADEMIC,
        Role.NHRI,
        Role.CIVIL_SOCIETY,
    ]
    assert [p.organisation.name if p.organisation else None for p in found] == [
        "Valdoria Rights Watch",
        "Valdoria Rights Watch",
        None,
        "Office of the Ombudsman",
        None,
    ]
    assert [p.language for p in found] == ["ar", "es", "zh", "en", "fr"]
    handles = {
        p.display_name: sorted((i.platform.value, i.external_id) for i in p.identities)
        for p in found
    }
    assert handles["Grace Mensah"] == [
        ("slack", "W0987ZYXW"),
        ("telegram", "987654321"),
        ("webhook", "+233201234567"),
    ]
    assert handles["José Núñez"] == [("telegram", "123456789")]
    assert handles["Élodie Martin"] == []


def test_the_summary_and_the_audit_log_carry_no_names(db):
    summary = _import(db, INVITEES / "bad-rows.csv", skip_invalid=True)
    _import(db, INVITEES / "good.csv")
    with db.unit_of_work() as session:
        logged = json.dumps(
            [(e.action, e.subject_id, e.details) for e in audit.recent(session, 100)],
            ensure_ascii=False,
        )
    shown = json.dumps(summary.as_dict(), ensure_ascii=False)
    for name in GOOD_NAMES + BAD_FILE_NAMES + ["Femi Adeyemi", "Nowhere Collective"]:
        assert name not in logged and name not in shown
    for handle in ("U0456EFGH", "U1111AAAA", "123456789", "+233201234567"):
        assert handle not in logged and handle not in shown
    assert '"participants.imported"' in logged


def test_a_semicolon_file_with_quoted_separators_and_loose_roles(db):
    summary = _import(db, INVITEES / "semicolon.csv")
    assert (summary.added, summary.committed) == (2, True)
    found = _participants(db)
    assert [(p.display_name, p.role, p.language) for p in found] == [
        ("Okafor; Chidi", Role.NHRI, "en"),
        ("Søren Ibsen", Role.CIVIL_SOCIETY, None),
    ]
    assert [(i.platform, i.external_id) for i in found[0].identities] == [
        (Platform.TELEGRAM, "555000111")
    ]


def test_bad_rows_are_each_reported_with_line_and_column_and_nothing_is_stored(db):
    summary = _import(db, INVITEES / "bad-rows.csv")
    assert (summary.added, summary.duplicates, summary.committed) == (0, 1, False)
    reasons = {p["line"]: p["reason"] for p in summary.as_dict()["rejected"]}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert reasons[3].startswith("column role: not a role")
    assert reasons[4].startswith("column organisation: no organisation")
    assert reasons[5].startswith("column slack: not a Slack user id")
    assert reasons[6] == "column slack: the same Slack user id is on line 2"
    assert reasons[7].startswith("column name: empty")
    assert _participants(db) == []


def test_skip_invalid_stores_the_good_rows_and_counts_the_duplicate(db):
    summary = _import(db, INVITEES / "bad-rows.csv", skip_invalid=True)
    assert (summary.added, summary.duplicates, summary.committed) == (2, 1, True)
    assert [p["line"] for p in summary.as_dict()["rejected"]] == [3, 4, 5, 6, 7]
    found = _participants(db)
    assert [(p.display_name, p.role) for p in found] == [
        ("Ana Pereira", Role.CIVIL_SOCIETY),
        ("Femi Adeyemi", Role.GOVERNMENT),
    ]


def test_a_handle_that_already_belongs_to_someone_is_refused(db):
    assert _import(db, INVITEES / "good.csv").committed
    again = _import(db, INVITEES / "good.csv")
    assert not again.committed
    reasons = {p.line: p.reason for p in again.rejected}
    # Line 6 has no handle, so nothing tells it apart from a new person of the same name.
    assert sorted(reasons) == [2, 3, 4, 5]
    assert reasons[2] == "column slack: this Slack user id already belongs to another participant"
    assert "column telegram: this Telegram chat id" in reasons[5]
    assert "column webhook: this webhook sender id" in reasons[5]
    with db.unit_of_work() as session:
        assert len(list(session.scalars(select(PlatformIdentity)))) == 6


def test_a_row_with_several_problems_lists_them_all(db, tmp_path):
    path = tmp_path / "several.csv"
    path.write_text(
        "name,role,language,telegram,webhook\n"
        "Kwame Boateng,king,de,12ab,+1\n"
        "Ama Serwaa,observer,EN,42,+233 20 123\n"
        "Yaw Mensah,academic,en,7,sender-7,surplus\n",
        encoding="utf-8",
    )
    summary = _import(db, path)
    reasons = {p.line: p.reason.split("; ") for p in summary.rejected}
    assert [r.split(":")[0] for r in reasons[2]] == [
        "column role",
        "column language",
        "column telegram",
        "column webhook",
    ]
    assert reasons[3] == [
        "column webhook: not a sender id such as +233201234567 (3 to 64 letters, digits "
        "or . _ : -, after an optional +)"
    ]
    assert reasons[4][0].startswith("1 value(s) outside the named columns")
    assert "Kwame" not in json.dumps(summary.as_dict())


def test_blank_lines_and_trailing_empty_columns_are_ignored(db, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text(
        "name,role,,\n\nAbena Ofori,nhri,,\n,,,\n\nKofi Annan-Smith,,,\n", encoding="utf-8"
    )
    summary = _import(db, path)
    assert (summary.added, summary.rejected, summary.committed) == (2, [], True)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "empty.csv: is empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "is empty"),
        (b"name,role\n", "has a header but no participant rows"),
        (b"nom,role\nAna,nhri\n", "has no name column"),
        (b"name,email\nAna,a@example.org\n", "unknown column(s) 'email'"),
        (b"name,role,Role\nAna,nhri,nhri\n", "the column(s) role appear more than once"),
        (b"name,role\nJos\xe9,nhri\n", "line 2: byte 0xe9 is not UTF-8"),
        (b"PK\x03\x04\x00\x00binary", "holds binary data"),
        (b'name,role\n"Ana,nhri\nBruno,nhri\n', "line 2: is not well-formed CSV"),
    ],
)
def test_whole_file_problems_get_one_clear_message(db, tmp_path, content, words):
    path = INVITEES / "empty.csv" if content is None else tmp_path / "file.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InviteeFileError) as refused:
        _import(db, path)
    assert words in str(refused.value)
    assert "\n" not in str(refused.value)
    assert _participants(db) == []


def test_the_malformed_fixture_names_the_line_where_the_quote_opens(db):
    with pytest.raises(InviteeFileError, match=r"malformed\.csv, line 2: is not well-formed"):
        _import(db, INVITEES / "malformed.csv")


def test_a_file_over_the_size_limit_is_refused_before_reading(db):
    with pytest.raises(InviteeFileError, match="more than the 100 allowed"):
        _import(db, INVITEES / "good.csv", max_bytes=100)
    with pytest.raises(InviteeFileError, match="no such file"):
        _import(db, INVITEES / "absent.csv")
