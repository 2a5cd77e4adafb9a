"""Keep the gettext catalogs in step with the code: `python -m petition.catalogs [update|check]`.

`update` extracts every text marked in the code and the templates (`_()`, `gettext()`,
`ngettext()`, `N_()`, `NP_()`) into petition/locale/messages.pot, merges it into each language's
messages.po (new texts arrive untranslated, texts gone from the code are dropped) and compiles
the messages.mo files the program reads. A translator edits the .po files (Poedit, Weblate,
a text editor) and runs `update` again. `check` lists what is missing, untranslated, fuzzy or
not compiled, and exits 1 if anything is; the test suite runs the same check.

The .mo files are committed with the .po files they are compiled from, so a fresh clone and
an installed package run without a build step; `check` fails when one is stale.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from petition.i18n import DOMAIN, LANGUAGE_NAMES, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("ivr", "petition", "workers", "audio")
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]
KEYWORDS = {**DEFAULT_KEYWORDS, "NP_": ((1, "c"), 2)}
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != "en")  # English is the source
HEADER = "Voice-line petition: staff pages, public page, export and domain texts"


def _catalog(**values: object) -> Catalog:
    return Catalog(
        project="voice-petition",
        version="1",
        copyright_holder="the voice-petition project",
        msgid_bugs_address="",
        header_comment=f"# {HEADER}",
        fuzzy=False,
        **values,  # type: ignore[arg-type]
    )


def extract() -> Catalog:
    """Every marked text of the code and the templates, as a template catalog."""
    template = _catalog()
    for folder in SOURCES:
        found = extract_from_dir(
            ROOT / folder,
            METHODS,
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            where = f"{folder}/{filename}"
            template.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return template


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    with open(po_path(language), "rb") as fh:
        return read_po(fh, locale=language)


def _same_date(template: Catalog, path: Path) -> None:
    """Keep the template's date while its texts stay the same: no churn in the files."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        before = read_po(fh)
    if {(m.id, m.context) for m in before} == {(m.id, m.context) for m in template}:
        template.creation_date = before.creation_date


def _write(path: Path, catalog: Catalog) -> None:
    # Files without line numbers: moving code does not touch the catalogs.
    with open(path, "wb") as fh:
        write_po(
            fh, catalog, width=100, sort_output=True, ignore_obsolete=True, include_lineno=False
        )


def update() -> None:
    template = extract()
    pot = LOCALE_DIR / f"{DOMAIN}.pot"
    _same_date(template, pot)
    _write(pot, template)
    for language in TRANSLATED:
        path = po_path(language)
        if path.exists():
            catalog = read_catalog(language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = _catalog(locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        catalog.project, catalog.version = "voice-petition", "1"
        catalog.msgid_bugs_address = ""
        catalog.header_comment = f"# {HEADER}"
        catalog.last_translator = "the voice-petition project"
        catalog.language_team = LANGUAGE_NAMES[language]
        catalog.revision_date = catalog.creation_date
        _write(path, catalog)
        with open(path.with_suffix(".mo"), "wb") as fh:
            write_mo(fh, catalog)


def _translated(message: object) -> bool:
    string = getattr(message, "string", None)
    if isinstance(string, tuple | list):
        return all(string)
    return bool(string)


def _entries(catalog: Catalog) -> dict[tuple[object, object], object]:
    """A compiled catalog's messages, comparable: {(id, context): translation}."""

    def plain(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    return {(plain(m.id), m.context): plain(m.string) for m in catalog if m.id}


def problems(languages: Iterable[str] = TRANSLATED) -> list[str]:
    """What keeps the catalogs from being complete: one line per problem."""
    found: list[str] = []
    wanted = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in extract() if m.id}
    for language in languages:
        catalog = read_catalog(language)
        have = {(m.id if isinstance(m.id, str) else m.id[0], m.context): m for m in catalog if m.id}
        for key in sorted(wanted, key=str):
            message = have.get(key)
            if message is None:
                found.append(f"{language}: not in the catalog: {key[0]!r}")
            elif not _translated(message):
                found.append(f"{language}: untranslated: {key[0]!r}")
            elif message.fuzzy:
                found.append(f"{language}: fuzzy: {key[0]!r}")
        for key in sorted(set(have) - wanted, key=str):
            found.append(f"{language}: no longer in the code: {key[0]!r}")
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        mo_path = po_path(language).with_suffix(".mo")
        if not mo_path.exists():
            found.append(f"{language}: {mo_path.name} is missing")
            continue
        with open(mo_path, "rb") as fh:
            current = _entries(read_mo(fh))
        compiled.seek(0)
        if current != _entries(read_mo(compiled)):
            found.append(f"{language}: {mo_path.name} is older than its .po (run update)")
    return found


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command != "check":
        print("usage: python -m petition.catalogs [update|check]", file=sys.stderr)
        return 2
    found = problems()
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
