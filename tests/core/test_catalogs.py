"""The six catalogs: complete, faithful to each message's placeholders, compiled, and current."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from core.i18n import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE, SUPPORTED_LANGUAGES
from core.translations import (
    catalog_path,
    extract,
    placeholders,
    read_catalog,
    strings_of,
    untranslated,
)

ALLOWED_SAME = LOCALE_DIR / "same-as-english.txt"
OTHERS = [language for language in SUPPORTED_LANGUAGES if language != SOURCE_LANGUAGE]


def _allowed_same() -> set[tuple[str, str]]:
    allowed: set[tuple[str, str]] = set()
    for line in ALLOWED_SAME.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            language, _, message = line.partition("\t")
            allowed.add((language, message))
    return allowed


def _ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


@pytest.fixture(scope="module")
def in_code() -> set[str | tuple[str, ...]]:
    return _ids(extract())


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_message_in_the_code_is_in_the_catalog_and_nothing_stale(
    language: str, in_code: set[str | tuple[str, ...]]
) -> None:
    in_catalog = _ids(read_catalog(language))
    missing = sorted(map(str, in_code - in_catalog))
    stale = sorted(map(str, in_catalog - in_code))
    assert not missing, f"{language}: run make translations; not in the catalog: {missing[:5]}"
    assert not stale, f"{language}: run make translations; no longer in the code: {stale[:5]}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    missing = [m.id for m in untranslated(read_catalog(language))]
    assert not missing, f"{language} misses {len(missing)} translations, e.g. {missing[:3]}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_translations_keep_the_placeholders_of_their_source(language: str) -> None:
    wrong = []
    for message in read_catalog(language):
        if not message.id:
            continue
        sources = [message.id] if isinstance(message.id, str) else list(message.id)
        # A plural form may leave out the count ("one day"), but never add a placeholder or
        # lose another one.
        allowed = {tuple(placeholders(source)) for source in sources}
        for translated in strings_of(message):
            found = placeholders(translated)
            if tuple(found) not in allowed and not _count_only_dropped(found, sources):
                wrong.append((message.id, translated))
    assert not wrong, f"{language}: placeholders differ from the source: {wrong[:3]}"


def _count_only_dropped(found: list[str], sources: list[str]) -> bool:
    if len(sources) < 2:
        return False
    full = placeholders(sources[-1])
    return all(p in full for p in found) and all(
        p in found for p in full if p not in {"{count}", "{n}", "%(num)d", "%d"}
    )


@pytest.mark.parametrize("language", OTHERS)
def test_no_translation_is_the_english_source_unless_allowed(language: str) -> None:
    allowed = _allowed_same()
    same = [
        message.id
        for message in read_catalog(language)
        if isinstance(message.id, str)
        and message.id
        and message.string == message.id
        and (language, message.id) not in allowed
    ]
    assert not same, f"{language}: identical to English, translate or allow-list: {same[:5]}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_plural_forms_are_the_ones_babel_writes_from_cldr(language: str) -> None:
    catalog = read_catalog(language)
    assert catalog.plural_forms == Catalog(locale=language).plural_forms


def test_plural_counts_are_cldrs() -> None:
    counts = {language: read_catalog(language).num_plurals for language in SUPPORTED_LANGUAGES}
    assert counts["ar"] == 6
    assert counts["fr"] == counts["es"] == 3
    assert counts["en"] == 2
    assert counts["zh"] == 1


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_compiled_catalog_matches_its_source(language: str) -> None:
    compiled_path = catalog_path(language).with_suffix(".mo")
    with compiled_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in read_catalog(language):
        if not message.id or not isinstance(message.id, str):
            continue
        assert compiled.gettext(message.id) == message.string, (
            f"{language}: {compiled_path.name} is out of date; run make translations"
        )


def test_the_compiled_catalogs_ship_with_the_package() -> None:
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert "locale/*/LC_MESSAGES/*.mo" in pyproject
    for language in SUPPORTED_LANGUAGES:
        assert (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()


def test_the_allow_list_names_only_real_messages() -> None:
    for language, message in _allowed_same():
        assert language in OTHERS, f"unknown language {language!r} in {ALLOWED_SAME.name}"
        assert message in _ids(read_catalog(language)), f"{message!r} is in no catalog"


def test_placeholders_are_found_in_both_styles() -> None:
    assert placeholders("{count} of %(total)d, %s and {{literal}}") == sorted(
        ["{count}", "%(total)d", "%s"]
    )
