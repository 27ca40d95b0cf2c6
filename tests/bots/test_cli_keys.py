"""`consulta keys`: a fresh key, and every platform id re-encrypted under it in one go."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from core import crypto
from core.models import AuditEntry, PlatformIdentity
from tests.conftest import SECRET_KEY

HANDLES = {"telegram": "5113920487", "slack": "U0AMINA01", "webhook": "+254700000001"}
OTHER_KEY = "not-the-key-in-use-T3RoZXJLZXlGb3JUZXN0aW5n"


@pytest.fixture
def keyed(consulta, monkeypatch, tmp_path):
    """The command line with CONSULTA_SECRET_KEY set, and two invitees with their handles."""
    monkeypatch.setenv("CONSULTA_SECRET_KEY", SECRET_KEY)
    monkeypatch.delenv("CONSULTA_NEW_SECRET_KEY", raising=False)
    invitees = tmp_path / "invitees.csv"
    invitees.write_text(
        "name,role,telegram,slack,webhook\n"
        f"Amina Diallo,civil_society,{HANDLES['telegram']},{HANDLES['slack']},"
        f"{HANDLES['webhook']}\n"
        "Jonas Berg,civil_society,5113920999,,\n",
        encoding="utf-8",
    )
    imported = consulta("participants", "import", str(invitees))
    assert imported.exit_code == 0, imported.output
    return consulta


def _stored(database) -> list[str]:
    with database.engine.connect() as connection:
        return list(
            connection.execute(text("SELECT external_id FROM platform_identities ORDER BY id"))
            .scalars()
            .all()
        )


def _pseudonyms(consulta) -> list[str]:
    listed = consulta("participants", "list", "--json")
    assert listed.exit_code == 0, listed.output
    return [p["pseudonym"] for p in json.loads(listed.stdout)]


def _audit_lines(database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count(AuditEntry.id))) or 0


def _new_key(consulta, tmp_path):
    generated = consulta("keys", "generate")
    assert generated.exit_code == 0
    path = tmp_path / "new.key"
    path.write_text(generated.stdout, encoding="utf-8")
    return generated.stdout.strip(), path


def test_generate_prints_a_fresh_long_key_each_time(consulta):
    first, second = consulta("keys", "generate").stdout, consulta("keys", "generate").stdout
    assert first != second
    assert len(first.strip()) >= crypto.MIN_SECRET_CHARACTERS and first.endswith("\n")


def test_rotate_re_encrypts_every_id_keeps_pseudonyms_and_says_what_next(
    keyed, database, tmp_path, monkeypatch
):
    before, names = _stored(database), _pseudonyms(keyed)
    assert len(before) == 4 and all(v.startswith("v1:") for v in before)
    new_key, path = _new_key(keyed, tmp_path)

    rotated = keyed("keys", "rotate", "--new-key-file", str(path))
    assert rotated.exit_code == 0, rotated.output
    said = " ".join(rotated.output.split())
    assert "Re-encrypted 4 platform ids and chat ids" in said
    assert "platform_identities.external_id: 4" in said
    assert "put the new key in CONSULTA_SECRET_KEY" in said and "restart" in said
    assert "Dashboard sessions signed with the old key end" in said
    assert new_key not in rotated.output and SECRET_KEY not in rotated.output

    after = _stored(database)
    assert len(after) == 4 and not set(after) & set(before)
    with pytest.raises(crypto.UnreadableData):
        crypto.Cipher(new_key).decrypt(before[0])
    assert sorted(crypto.Cipher(new_key).decrypt(v) for v in after) == sorted(
        [*HANDLES.values(), "5113920999"]
    )
    # The old key is refused from now on; with the new one everything reads as before.
    refused = keyed("participants", "list")
    assert refused.exit_code == 1
    assert "do not decrypt with CONSULTA_SECRET_KEY" in " ".join(refused.output.split())
    monkeypatch.setenv("CONSULTA_SECRET_KEY", new_key)
    assert _pseudonyms(keyed) == names
    crypto.use_key(new_key)
    with database.unit_of_work() as session:
        found = session.scalars(
            select(PlatformIdentity).where(PlatformIdentity.external_id == HANDLES["slack"])
        ).one()
        assert found.participant.pseudonym == names[0]

    # One audit line, with counts and no key.
    with database.unit_of_work() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.action == "secret_key.rotated"
        assert entry.actor == "cli" and entry.details["values"] == 4
        written = json.dumps(entry.details)
    assert new_key not in written and SECRET_KEY not in written


def test_the_new_key_can_come_from_the_environment(keyed, database, monkeypatch):
    before = _stored(database)
    monkeypatch.setenv("CONSULTA_NEW_SECRET_KEY", "from-the-environment-" + "k" * 24)
    rotated = keyed("keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert not set(_stored(database)) & set(before)


@pytest.mark.parametrize(
    ("key_file_text", "expected"),
    [
        (None, "no new key: give it in a file with --new-key-file FILE, or in the environment"),
        ("", "must hold the new key alone"),
        ("two words-0123456789012345678901234567890", "must hold the new key alone"),
        ("short-key", "has 9 characters; use at least 32"),
        (SECRET_KEY, "is the key in use (CONSULTA_SECRET_KEY)"),
    ],
)
def test_a_missing_or_unusable_new_key_changes_nothing(
    keyed, database, tmp_path, key_file_text, expected
):
    before, lines = _stored(database), _audit_lines(database)
    if key_file_text is None:
        result = keyed("keys", "rotate")
    else:
        path = tmp_path / "new.key"
        path.write_text(key_file_text + "\n", encoding="utf-8")
        result = keyed("keys", "rotate", "--new-key-file", str(path))
    assert result.exit_code == 1
    assert expected in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert _stored(database) == before and _audit_lines(database) == lines


def test_an_unreadable_key_file_is_named(keyed, tmp_path):
    result = keyed("keys", "rotate", "--new-key-file", str(tmp_path / "absent.key"))
    assert result.exit_code == 1
    assert "cannot read the new key from" in result.output and "absent.key" in result.output


def test_the_new_key_is_never_taken_from_the_command_line(keyed, database):
    before = _stored(database)
    result = keyed("keys", "rotate", "brand-new-key-0123456789012345678901234567")
    assert result.exit_code == 2
    assert _stored(database) == before


def test_a_wrong_old_key_is_refused_and_nothing_changes(keyed, database, tmp_path, monkeypatch):
    before, lines = _stored(database), _audit_lines(database)
    _, path = _new_key(keyed, tmp_path)
    monkeypatch.setenv("CONSULTA_SECRET_KEY", OTHER_KEY)
    result = keyed("keys", "rotate", "--new-key-file", str(path))
    assert result.exit_code == 1
    assert "do not decrypt with CONSULTA_SECRET_KEY" in " ".join(result.output.split())
    assert _stored(database) == before and _audit_lines(database) == lines


def test_data_partly_under_another_key_is_refused_in_one_transaction(keyed, database, tmp_path):
    lines = _audit_lines(database)
    # The last identity was written under another key: the first ones re-encrypt, then this
    # one fails, and all of it is rolled back.
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE platform_identities SET external_id = :v WHERE id = :id"),
            {"v": crypto.Cipher(OTHER_KEY).encrypt("5113920999"), "id": 4},
        )
    before = _stored(database)
    _, path = _new_key(keyed, tmp_path)
    result = keyed("keys", "rotate", "--new-key-file", str(path))
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "do not decrypt with CONSULTA_SECRET_KEY" in said and "nothing was changed" in said
    assert _stored(database) == before and _audit_lines(database) == lines


def test_without_a_secret_key_rotation_and_the_servers_say_how_to_set_one(
    keyed, tmp_path, monkeypatch
):
    _, path = _new_key(keyed, tmp_path)
    monkeypatch.delenv("CONSULTA_SECRET_KEY")
    for args in (["keys", "rotate", "--new-key-file", str(path)], ["worker"], ["serve"]):
        result = keyed(*args)
        assert result.exit_code == 1, args
        said = " ".join(result.output.split())
        assert "CONSULTA_SECRET_KEY is not set" in said and "consulta config init" in said
        assert "Traceback" not in result.output


def test_the_servers_refuse_a_key_that_does_not_decrypt_the_data(keyed, monkeypatch):
    monkeypatch.setenv("CONSULTA_SECRET_KEY", OTHER_KEY)
    for args in (["worker"], ["serve"], ["bot", "slack", "--socket"]):
        result = keyed(*args)
        assert result.exit_code == 1, args
        assert "do not decrypt with CONSULTA_SECRET_KEY" in " ".join(result.output.split())
