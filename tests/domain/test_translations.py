"""Every text in three languages: the gettext catalogues and the shipped data files."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from ohjaus_tui.context import shipped_data_dir
from ohjaus_core.domain.translations import missing_translations
from ohjaus_core.i18n import LANGUAGES, LOCALE_DIR, localized, set_language

PLACEHOLDER = re.compile(r"\{[^{}\s]*\}")


def test_every_data_text_has_finnish_swedish_and_english():
    assert missing_translations(shipped_data_dir()) == []


def test_the_check_reports_a_missing_language_and_the_screen_falls_back_to_finnish(tmp_path: Path):
    (tmp_path / "services.toml").write_text(
        '[[service]]\ncode = "x"\nname = { fi = "Neuvola", en = "Child health clinic" }\n', encoding="utf-8"
    )
    assert missing_translations(tmp_path) == ["services.toml: service[0].name: no sv text"]
    set_language("sv")
    assert localized({"fi": "Neuvola", "en": "Child health clinic"}) == "Neuvola"


def test_every_message_is_translated_in_every_catalogue_with_its_placeholders():
    with (LOCALE_DIR / "ohjaus.pot").open("rb") as file:
        template = {m.id for m in read_po(file) if m.id}
    assert len(template) > 300
    for language in LANGUAGES:
        if language == "en":
            continue  # the message ids are English
        with (LOCALE_DIR / language / "LC_MESSAGES" / "ohjaus.po").open("rb") as file:
            catalog = {m.id: m for m in read_po(file) if m.id}
        assert set(catalog) == template, language
        for message in catalog.values():
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings) and "fuzzy" not in message.flags, (language, message.id)
            assert {p for s in strings for p in PLACEHOLDER.findall(s)} == {p for i in ids for p in PLACEHOLDER.findall(i)}, (language, message.id)
