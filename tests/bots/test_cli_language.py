"""The command line speaks the organiser's language: CONSULTA_LANGUAGE, else the locale's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.cli.common import locale_language, organiser_language
from core import people
from core.i18n import translate, translate_plural
from tests.fakes.catalogs import missing_in, recording_missing_messages


def _error(language: str, message: str, **values: object) -> str:
    """The one line the command line prints for a mistake, as the catalog says it."""
    return f"{translate(language, 'Error:')} {translate(language, message).format(**values)}\n"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "es_ES.UTF-8"}, "es"),
        ({"LANG": "fr_CA.UTF-8@euro"}, "fr"),
        ({"LANGUAGE": "de:ru", "LANG": "fr_FR.UTF-8"}, "ru"),
        ({"LC_ALL": "ar_EG.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8", "LANG": "es_ES"}, "ar"),
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "es_ES"}, "zh"),
        ({"LC_ALL": "C.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "de_DE.UTF-8", "LANGUAGE": "it:nl"}, None),
        ({}, None),
    ],
)
def test_the_locale_names_the_first_language_consulta_speaks(
    environ: dict[str, str], expected: str | None
) -> None:
    assert locale_language(environ) == expected


def test_the_setting_outranks_the_locale_and_english_is_the_last_resort(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    assert organiser_language() == "es"
    monkeypatch.setenv("CONSULTA_LANGUAGE", "fr")
    assert organiser_language() == "fr"
    # A language Consulta does not speak is passed over, not forced on the organiser.
    monkeypatch.setenv("CONSULTA_LANGUAGE", "de")
    assert organiser_language() == "es"
    monkeypatch.delenv("CONSULTA_LANGUAGE")
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert organiser_language() == "en"
    # The setting is read from the .env file too, like every other.
    (tmp_path / ".env").write_text("CONSULTA_LANGUAGE=zh\n", encoding="utf-8")
    assert organiser_language() == "zh"


def test_consulta_language_fr_translates_confirmations_tables_and_errors(
    consulta, database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSULTA_LANGUAGE", "fr")
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    assert organiser_language() == "fr"
    name = "Arcadia Human Rights Commission"

    added = consulta("organisations", "add", name, "--type", "nhri")
    assert added.exit_code == 0, added.output
    with database.unit_of_work() as session:
        found = people.find_organisation(session, name)
        assert found is not None
        org_id = found.id
    confirmation = translate("fr", "Organisation {id} added: {name} ({type}).")
    assert added.stderr == confirmation.format(id=org_id, name=name, type="nhri") + "\n"

    duplicate = consulta("organisations", "add", name, "--type", "nhri")
    assert duplicate.exit_code == 1
    assert duplicate.stderr == _error(
        "fr", "an organisation named {name!r} already exists", name=name
    )

    listing = consulta("organisations", "list")
    header = listing.stdout.splitlines()[1]
    for column in ("id", "name", "type", "country"):
        assert translate("fr", column) in header

    unknown = consulta("rounds", "show", "NOPE")
    assert unknown.exit_code == 1
    assert unknown.stderr == _error("fr", "no round with the code {code!r}", code="NOPE")
    assert "Traceback" not in unknown.output

    # Machine output stays as it is: JSON keys are for programs, in any language.
    assert '"name":' in consulta("organisations", "list", "--json").stdout


def test_lang_es_translates_errors_from_core_and_plurals(
    consulta, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    assert organiser_language() == "es"

    revoked = consulta("tokens", "revoke", "999")
    assert revoked.exit_code == 1
    assert revoked.stderr == _error("es", "no token with id {id}", id=999)

    # A file problem is two messages: where, and what is wrong there.
    missing = consulta("recommendations", "import", "nowhere.csv")
    assert missing.exit_code == 1
    reason = translate("es", "no such file")
    assert missing.stderr == _error("es", "{path}: {reason}", path="nowhere.csv", reason=reason)

    written = consulta("config", "init", "--path", "keys.env")
    assert written.exit_code == 0, written.output
    wrote = translate_plural(
        "es",
        "Wrote {count} new key to {path}. Keep this file private and backed up.",
        "Wrote {count} new keys to {path}. Keep this file private and backed up.",
        2,
    )
    assert written.stderr == wrote.format(count=2, path="keys.env") + "\n"
    again = consulta("config", "init", "--path", "keys.env")
    held = translate("es", "{path} already holds both keys; nothing changed.")
    assert again.stderr == held.format(path="keys.env") + "\n"


def test_without_a_language_the_command_line_speaks_english(consulta) -> None:
    assert organiser_language() == "en"
    unknown = consulta("rounds", "show", "NOPE")
    assert unknown.stderr == "Error: no round with the code 'NOPE'\n"


@pytest.mark.parametrize("language", ["fr", "es", "ar", "ru", "zh"])
def test_a_tour_of_the_command_line_finds_every_word_in_the_catalog(
    consulta, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    monkeypatch.setenv("CONSULTA_LANGUAGE", language)
    with recording_missing_messages() as recorders:
        assert consulta("demo", "load").exit_code == 0
        for command in (
            ("rounds", "list"),
            ("rounds", "show", "ARC2027"),
            ("rounds", "share", "ARC2027"),
            ("recommendations", "list", "--limit", "3"),
            ("organisations", "list"),
            ("participants", "list"),
            ("updates", "list"),
            ("gaps",),
            ("results", "--round", "ARC2027"),
            ("outbox", "status"),
            ("tokens", "list"),
        ):
            ran = consulta(*command)
            assert ran.exit_code == 0, (command, ran.output)
        for refused in (
            ("rounds", "show", "NOPE"),
            ("tokens", "revoke", "999"),
            ("recommendations", "import", "nowhere.csv"),
        ):
            ran = consulta(*refused)
            assert ran.exit_code == 1 and "Traceback" not in ran.output, refused
    assert missing_in(recorders) == {}
