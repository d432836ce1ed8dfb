"""Every text a person sees goes through here (gettext).

Message ids are English; Finnish is the default language. A missing catalogue falls back
to the English message id rather than failing, so a new language can arrive as data.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path
from typing import Mapping

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "ohjaus"
LANGUAGES = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def set_language(language: str) -> None:
    """Switch every later `_()` call to `language` (fi, sv or en)."""
    global _translations, _language
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    _language = language
    _translations = gettext.translation(
        DOMAIN, LOCALE_DIR, languages=[language], fallback=True
    )


def current_language() -> str:
    return _language


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet."""
    return message


def localized(texts: Mapping[str, str]) -> str:
    """Pick a data file's text ({fi, sv, en}) in the current language, falling back to Finnish."""
    return texts.get(_language) or texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()), "")


set_language(os.environ.get("OHJAUS_LANG", DEFAULT_LANGUAGE))
