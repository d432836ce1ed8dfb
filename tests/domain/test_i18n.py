"""The Finnish catalogue covers every text in the code, and every data text has fi, sv and en.

When this fails after a code change: run `python scripts/catalogue.py`, translate what it lists
in ohjaus_core/locale/fi/LC_MESSAGES/ohjaus.po, and run it again to compile the .mo.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from typing import Any, Iterator

import pytest
from babel.messages.pofile import read_po

from ohjaus_core.domain.codes import Urgency
from ohjaus_core.domain.contact import Step
from ohjaus_core.i18n import _, current_language, set_language

ROOT = Path(__file__).resolve().parents[2]
FI_PO = ROOT / "ohjaus_core" / "locale" / "fi" / "LC_MESSAGES" / "ohjaus.po"
PLACEHOLDER = re.compile(r"\{[^{}\s]*\}")  # {name}, {key}.{language}; not TOML's { fi = ... }
DATA_FILES = sorted((ROOT / "data" / "protocols").glob("*.toml")) + [
    ROOT / "data" / "services.toml",
    ROOT / "data" / "demo" / "region.toml",
    ROOT / "data" / "region.toml",
]
DATA_LANGUAGES = ("fi", "sv", "en")


def _load_script():
    spec = importlib.util.spec_from_file_location("catalogue_script", ROOT / "scripts" / "catalogue.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fi_messages():
    with FI_PO.open("rb") as file:
        return [m for m in read_po(file, locale="fi") if m.id]


def test_catalogue_check_finds_nothing_missing_or_stale() -> None:
    problems = _load_script().check()
    assert problems == [], "run scripts/catalogue.py and translate:\n" + "\n".join(problems)


def test_every_translation_keeps_the_placeholders_of_its_id() -> None:
    wrong = []
    for message in _fi_messages():
        ids = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        expected = {p for text in ids for p in PLACEHOLDER.findall(text)}
        for string in strings:
            found = set(PLACEHOLDER.findall(string))
            # a plural form may leave the number out ("Yksi kysymys"), never add a placeholder
            if found != expected and not (message.pluralizable and found < expected):
                wrong.append(f"{ids[0]!r} -> {string!r}")
    assert wrong == []


def test_the_catalogue_has_a_translation_for_every_id() -> None:
    messages = _fi_messages()
    assert len(messages) > 100
    assert [m.id for m in messages if not m.string or m.fuzzy] == []


@pytest.fixture
def language() -> Iterator[None]:
    before = current_language()
    yield
    set_language(before)


def test_finnish_by_default_and_english_by_falling_back(language: None) -> None:
    set_language("fi")
    assert _("Client") == "Asiakas"
    assert _("Sign out") == "Kirjaudu ulos"
    assert _("Urgency: {urgency}").format(urgency="x") == "Kiireellisyys: x"
    assert Step.CLIENT.label == "Asiakas"
    assert Urgency.SAME_DAY.label == "Samana päivänä"
    set_language("en")
    assert _("Client") == "Client"
    assert Step.CLIENT.label == "Client"
    assert Urgency.SAME_DAY.label == "Same day"
    set_language("xx")  # an unknown language falls back to Finnish
    assert current_language() == "fi" and _("Client") == "Asiakas"


def _texts(node: Any, where: str) -> Iterator[tuple[str, dict]]:
    """Every {fi, sv, en} table in parsed TOML, with where it is (services[2].name)."""
    if isinstance(node, dict):
        if "fi" in node:
            yield where, node
        for key, value in node.items():
            yield from _texts(value, f"{where}.{key}" if where else key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, f"{where}[{index}]")


def test_every_data_text_has_finnish_swedish_and_english() -> None:
    missing, count = [], 0
    for path in DATA_FILES:
        data = tomllib.loads(path.read_text("utf-8"))
        for where, texts in _texts(data, ""):
            count += 1
            lacking = [
                lang for lang in DATA_LANGUAGES
                if not (isinstance(texts.get(lang), str) and texts[lang].strip())
                # a protocol's keywords: a list of words in each language
                and not (isinstance(texts.get(lang), list) and texts[lang])
            ]
            if lacking:
                missing.append(f"{path.relative_to(ROOT)}: {where} lacks {', '.join(lacking)}")
    assert count > 50
    assert missing == []
