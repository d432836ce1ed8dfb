"""Every text a person sees goes through here (gettext).

Message ids are English; Finnish is the default language. A missing catalogue falls back
to the English message id rather than failing, so a new language can arrive as data.
"""

from __future__ import annotations

import gettext
from pathlib import Path
from typing import Mapping

from .settings import settings

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


set_language(settings().lang or DEFAULT_LANGUAGE)


# -- dates, times and numbers in the language's own way (Babel, Finland's variants) -----------

_LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}


def babel_locale() -> str:
    return _LOCALES.get(_language, "fi_FI")


def format_date(value) -> str:
    """25.11.2026 / 2026-11-25 / 25/11/2026."""
    from babel.dates import format_date as babel_format_date

    return babel_format_date(value, "short", locale=babel_locale())


def format_day(value) -> str:
    """Day and month: 25.11. / 25.11 / 25/11."""
    from babel.dates import format_skeleton

    return format_skeleton("dM", value, locale=babel_locale())


def format_weekday_day(value) -> str:
    """Weekday, day and month: ma 30.11. / mån 30.11 / Mon 30/11."""
    from babel.dates import format_skeleton

    return format_skeleton("EdM", value, locale=babel_locale())


def format_time(value) -> str:
    """9.05 / 09:05 / 09:05."""
    from babel.dates import format_time as babel_format_time

    return babel_format_time(value, "short", locale=babel_locale())


def format_moment(value) -> str:
    """Day, month and time, for lists: 25.11. 9.05."""
    return f"{format_day(value)} {format_time(value)}"


def format_number(value) -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale=babel_locale())
