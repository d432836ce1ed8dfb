"""Keep the gettext catalogues (domain "ohjaus") in step with the code.

    python scripts/catalogue.py          extract the texts (babel.cfg) into ohjaus.pot, merge
                                         them into every locale/<lang>/.../ohjaus.po (fi always),
                                         compile ohjaus.mo, list what still needs translating
    python scripts/catalogue.py --check  change nothing; exit 1 listing what is missing or stale

The .po files carry no source locations and no dates, so they change only when a text does.
A new language: mkdir -p ohjaus_core/locale/sv/LC_MESSAGES and run the script.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "babel.cfg"
LOCALE = ROOT / "ohjaus_core" / "locale"
DOMAIN = "ohjaus"
POT = LOCALE / f"{DOMAIN}.pot"
DEFAULT_LANGUAGE = "fi"
FIXED_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc)  # a real date would churn the .mo
DATE_LINES = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"\n', re.MULTILINE)
PLACEHOLDER = re.compile(r"\{[^{}\s]*\}")


def _stable(catalog: Catalog, language: str | None) -> Catalog:
    catalog.project, catalog.version = DOMAIN, ""
    catalog.header_comment = f"# {language or 'Template'} texts of {DOMAIN}: see scripts/catalogue.py."
    catalog.msgid_bugs_address = ""
    catalog.last_translator = catalog.language_team = DOMAIN
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    catalog.fuzzy = False
    return catalog


def extract() -> Catalog:
    """Every marked text in the code, in file order."""
    with CONFIG.open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, str(CONFIG))
    template = Catalog(project=DOMAIN, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords={}, strip_comment_tags=True
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return _stable(template, None)


def languages() -> list[str]:
    found = {p.parent.name for p in LOCALE.glob("*/LC_MESSAGES")}
    return sorted(found | {DEFAULT_LANGUAGE})


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def merge(template: Catalog, language: str) -> Catalog:
    """The language's catalogue updated to the template; translations kept, changed ones fuzzy."""
    path = po_path(language)
    if path.exists():
        with path.open("rb") as file:
            catalog = read_po(file, locale=language, domain=DOMAIN)
    else:
        catalog = Catalog(locale=language, domain=DOMAIN, charset="utf-8")
    catalog.update(template)
    catalog.obsolete.clear()  # a text gone from the code goes from the catalogue
    return _stable(catalog, language)


def render_po(catalog: Catalog, locations: bool) -> bytes:
    out = io.BytesIO()
    # no "#| msgid" of fuzzy entries: Babel reads those back as comments, so they would pile up
    write_po(out, catalog, no_location=not locations, include_lineno=False, ignore_obsolete=True)
    return DATE_LINES.sub(b"", out.getvalue())


def render_mo(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _key(message) -> str:
    """A message's id; the singular of a plural one."""
    return message.id[0] if message.pluralizable else message.id


def untranslated(catalog: Catalog) -> list[str]:
    """Ids with no usable translation: empty (any plural form) or fuzzy."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy or not all(strings):
            missing.append(_key(message))
    return missing


def placeholder_mismatches(catalog: Catalog) -> list[str]:
    """Ids whose translation lost or invented a {placeholder} (a plural form may drop one)."""
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            expected = set(PLACEHOLDER.findall(" ".join(message.id)))
            ok = all(set(PLACEHOLDER.findall(s)) <= expected for s in message.string if s)
        else:
            ok = not message.string or (
                set(PLACEHOLDER.findall(message.string)) == set(PLACEHOLDER.findall(message.id))
            )
        if not ok:
            wrong.append(_key(message))
    return wrong


def build() -> tuple[Catalog, dict[Path, bytes], dict[str, Catalog]]:
    """The template, what the files should hold, and the merged catalogue of every language."""
    template = extract()
    files = {POT: render_po(template, locations=True)}
    catalogs = {}
    for language in languages():
        catalog = merge(template, language)
        catalogs[language] = catalog
        files[po_path(language)] = render_po(catalog, locations=False)
        files[po_path(language).with_suffix(".mo")] = render_mo(catalog)
    return template, files, catalogs


def check() -> list[str]:
    """Everything missing or stale, one line each; an empty list means all is well."""
    template, files, catalogs = build()
    template_ids = {_key(m) for m in template if m.id}
    problems = []
    for language, catalog in catalogs.items():
        path = po_path(language)
        on_disk = set()
        if path.exists():
            with path.open("rb") as file:
                on_disk = {_key(m) for m in read_po(file, locale=language) if m.id}
        problems += [f"{language}: not in {path.name}: {i!r}" for i in sorted(template_ids - on_disk)]
        problems += [f"{language}: no longer in the code: {i!r}" for i in sorted(on_disk - template_ids)]
        problems += [
            f"{language}: untranslated or fuzzy: {i!r}" for i in untranslated(catalog) if i in on_disk
        ]
        problems += [f"{language}: placeholders differ: {i!r}" for i in placeholder_mismatches(catalog)]
    for path, content in files.items():
        if not path.exists() or path.read_bytes() != content:
            problems.append(f"stale: {path.relative_to(ROOT)} (run scripts/catalogue.py)")
    return problems


def update() -> dict[str, Catalog]:
    """Write the .pot, the .po and the .mo files; return the merged catalogue per language."""
    _template, files, catalogs = build()
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)
    return catalogs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or "Catalogues are complete and up to date.")
        return 1 if problems else 0
    for language, catalog in update().items():
        missing = untranslated(catalog)
        print(f"{language}: {len(missing)} untranslated or fuzzy in {po_path(language).relative_to(ROOT)}")
        print("".join(f"  {message_id!r}\n" for message_id in missing), end="")
        for message_id in placeholder_mismatches(catalog):
            print(f"  placeholders differ: {message_id!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
