"""Phone numbers (puhelinnumero): stored in E.164, read with Finland as the default region."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from ..i18n import _
from .errors import DomainError
from .identity import looks_like_identity_code

REGION = "FI"
FINLAND_COUNTRY_CODE = 358

# What a person types into a phone field. Letters are refused on purpose: phonenumbers would
# read "040 HELLO" as a vanity number, which is never what a worker meant.
_PHONE_CHARS = re.compile(r"[+0-9\s()\-./]+")
_SEARCH_CHARS = re.compile(r"[+0-9\s()\-]+")
_MIN_SEARCH_DIGITS = 5


class InvalidPhone(DomainError):
    """The text is not a phone number that can be called."""


def normalize_phone(text: str) -> str:
    """E.164 form: "040 123 4567" and "+358 40 1234567" both give "+358401234567"."""
    stripped = text.strip()
    if not stripped or _PHONE_CHARS.fullmatch(stripped) is None:
        raise InvalidPhone(_("Not a valid phone number: {text}").format(text=stripped))
    try:
        number = phonenumbers.parse(stripped, REGION)
    except NumberParseException:
        raise InvalidPhone(_("Not a valid phone number: {text}").format(text=stripped)) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_("Not a valid phone number: {text}").format(text=stripped))
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """For display: national form for Finnish numbers (040 1234567), international otherwise.

    A stored value that does not parse is shown as it is rather than hiding it.
    """
    try:
        number = phonenumbers.parse(e164, REGION)
    except NumberParseException:
        return e164
    if number.country_code == FINLAND_COUNTRY_CODE:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def looks_like_phone(text: str) -> bool:
    """Quick shape test for routing a search query: starts with + or 0, digits and spaces.

    A query shaped like an identity code (six digits and a century sign) is not a phone,
    so "010190-1234" goes to the identity-code search.
    """
    stripped = text.strip()
    if not stripped or stripped[0] not in "+0":
        return False
    if _SEARCH_CHARS.fullmatch(stripped) is None or looks_like_identity_code(stripped):
        return False
    return sum(ch.isdigit() for ch in stripped if ch.isascii()) >= _MIN_SEARCH_DIGITS
