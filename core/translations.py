"""Keeping the catalogs in step with the code: extract, update and compile (`make translations`).

Run as `python -m core.translations [extract|update|compile|all]`. The catalog checks in the
test suite use the same extraction, so a message added to the code without a translation
fails `make test`.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from core.i18n import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE, SUPPORTED_LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
# Every package whose messages reach a person; the surveys package says nothing to anyone.
SOURCES = ("core", "adapters", "bots")
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
# Function names whose string arguments are messages: t("..."), tn("...", "...", n),
# translate(language, "..."),
# _("...") in code and templates, and N_("...") for messages kept in tables.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "t": None,
    "tn": (1, 2),
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "translate": (2,),
    "translate_plural": (2, 3),
}
METHODS = [
    ("**/migrations/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
    ("**/report_templates/**.j2", "jinja2"),
]
JINJA_OPTIONS = {"extensions": "jinja2.ext.do", "trimmed": "true"}
HEADER = "# Consulta's messages.\n# This file is distributed under the same licence as Consulta.\n#"


def extract() -> Catalog:
    """Every message in the code and templates, as a template catalog."""
    template = Catalog(project="Consulta", header_comment=HEADER, fuzzy=False)
    for package in SOURCES:
        found = extract_from_dir(
            ROOT / package,
            method_map=[(pattern, method) for pattern, method in METHODS],
            options_map={"**/templates/**.html": JINJA_OPTIONS, "**.j2": JINJA_OPTIONS},
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            where = (f"{package}/{filename}", lineno)
            template.add(message, None, [where], auto_comments=comments, context=context)
    return template


def catalog_path(language: str) -> Path:
    """Where a language's editable catalog lives."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    """A language's catalog as it is in the repository."""
    with catalog_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        # No line numbers: they would churn the catalogs with every unrelated edit.
        write_po(handle, catalog, width=100, include_lineno=False, sort_output=True)


def update(template: Catalog) -> list[str]:
    """Bring every language's catalog in line with the template; returns what changed."""
    _write(TEMPLATE, template)
    said: list[str] = []
    for language in SUPPORTED_LANGUAGES:
        path = catalog_path(language)
        if path.exists():
            catalog = read_catalog(language)
        else:
            # Babel writes the CLDR plural forms of the language into the header.
            catalog = Catalog(locale=language, domain=DOMAIN, project="Consulta", fuzzy=False)
            catalog.header_comment = HEADER
        before = {_key(m) for m in catalog if m.id}
        # No fuzzy matching: a guessed translation of a new message is worse than none,
        # and the completeness check names every missing one.
        # Catalog.update shares the template's message objects; each language gets a copy.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if language == SOURCE_LANGUAGE:
            for message in catalog:
                if message.id and not _translated(message):
                    message.string = message.id
        after = {_key(m) for m in catalog if m.id}
        _write(path, catalog)
        said.append(
            f"{language}: {len(after)} messages, {len(after - before)} new, "
            f"{len(before - after)} gone, {len(untranslated(catalog))} untranslated"
        )
    return said


def compile_all() -> list[str]:
    """Compile every catalog to the .mo file gettext reads at run time."""
    said: list[str] = []
    for language in SUPPORTED_LANGUAGES:
        catalog = read_catalog(language)
        with catalog_path(language).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        said.append(f"{language}: compiled {len(catalog) - len(untranslated(catalog))} messages")
    return said


def _key(message: Message) -> str | tuple[str, ...]:
    return message.id if isinstance(message.id, str) else tuple(message.id)


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(strings) and all(strings) and not message.fuzzy


def untranslated(catalog: Catalog) -> list[Message]:
    """The messages of a catalog that have no usable translation."""
    return [m for m in catalog if m.id and not _translated(m)]


_BRACED = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")
_PERCENT = re.compile(r"%(?:\([A-Za-z_]\w*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def placeholders(text: str) -> list[str]:
    """The placeholders of a message, {name} and %-style, sorted so their order may change."""
    return sorted(["{" + m.group(1) + "}" for m in _BRACED.finditer(text)] + _PERCENT.findall(text))


def strings_of(message: Message) -> Iterable[str]:
    """Each translated form of a message (one, or one per plural form)."""
    if isinstance(message.string, tuple | list):
        return [str(s or "") for s in message.string]
    return [message.string or ""]


def main(argv: list[str]) -> int:
    """`extract`, `update`, `compile` or `all` (the default)."""
    step = argv[0] if argv else "all"
    if step not in {"extract", "update", "compile", "all"}:
        print(f"unknown step {step!r}: use extract, update, compile or all", file=sys.stderr)
        return 2
    if step in {"extract", "update", "all"}:
        template = extract()
        # Fixed dates keep the catalogs from changing when no message did.
        template.creation_date = template.revision_date = datetime(2026, 1, 1)
        print(f"extracted {len(template)} messages from {', '.join(SOURCES)}")
        if step == "extract":
            _write(TEMPLATE, template)
        else:
            for line in update(template):
                print(line)
    if step in {"compile", "all"}:
        for line in compile_all():
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
