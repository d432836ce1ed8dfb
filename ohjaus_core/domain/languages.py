"""A client's language of service as an ISO 639 code: any language, not only Finnish and
Swedish (issue 20). A code is checked against ISO 639-1 and ISO 639-3 (pycountry ships the
standard's tables); its name is shown in the worker's language where CLDR (Babel) knows it,
else from the few languages of Finland it lacks, else in English from the standard."""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry
from babel import Locale

from .errors import DomainError
from ..i18n import _, current_language

# Languages of Finland that CLDR does not name (the sign languages, Kven, Meänkieli, Kalo).
_FINLAND = {
    "fse": {"fi": "suomalainen viittomakieli", "sv": "finskt teckenspråk", "en": "Finnish Sign Language"},
    "fss": {"fi": "suomenruotsalainen viittomakieli", "sv": "finlandssvenskt teckenspråk", "en": "Finland-Swedish Sign Language"},
    "fkv": {"fi": "kveeni", "sv": "kvänska", "en": "Kven"},
    "fit": {"fi": "meänkieli", "sv": "meänkieli", "en": "Meänkieli"},
    "rmf": {"fi": "Suomen romanikieli", "sv": "finsk romani", "en": "Finnish Kalo Romani"},
}
_FORM = re.compile(r"[a-z]{2,3}")


class InvalidLanguage(DomainError):
    """Not an ISO 639-1 or ISO 639-3 language code."""


def normalize_language(code: str) -> str:
    """The code as stored: trimmed, lower case; two letters when ISO 639-1 has the language
    (so "fin" and "fi" are one language). Raises InvalidLanguage with a line for the worker."""
    value = code.strip().lower()
    found = _lookup(value) if _FORM.fullmatch(value) else None
    if found is None:
        raise InvalidLanguage(
            _("{code} is not a language code of ISO 639 (two or three letters, e.g. ar, so, fse).").format(
                code=code.strip()[:20]
            )
        )
    return getattr(found, "alpha_2", None) or found.alpha_3


def is_language(code: str) -> bool:
    """Whether `code` is stored as a valid language (already normalized)."""
    try:
        return normalize_language(code) == code
    except InvalidLanguage:
        return False


@lru_cache(maxsize=2048)
def _lookup(code: str):
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code)
    return pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)


def language_name(code: str, ui: str | None = None) -> str:
    """The language's name in the UI language (Finnish: arabia, Swedish: arabiska); the
    code itself when it is not a language."""
    ui = ui or current_language()
    names = _FINLAND.get(code)
    if names:
        return names.get(ui, names["en"])
    name = _locale(ui).languages.get(code)
    if name:
        return name
    found = _lookup(code) if _FORM.fullmatch(code or "") else None
    if found is not None:
        alpha_2 = getattr(found, "alpha_2", None)
        name = _locale(ui).languages.get(alpha_2) if alpha_2 else None
        return name or found.name
    return code


@lru_cache(maxsize=8)
def _locale(ui: str) -> Locale:
    return Locale.parse(ui)
