"""Finnish personal identity code (henkilötunnus, hetu): parse, validate, make.

Form DDMMYY C ZZZ Q: birth date, century sign, individual number (yksilönumero) and check
character (tarkistusmerkki). The century signs are those in use since 1.1.2023 (DVV).

The code is stored exactly as given, trimmed and upper-cased: the sign is part of the
identity (100190-999P and 100190Y999P are two different people), so it is never rewritten.
Gender is deliberately not derived from the individual number.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from ..i18n import _
from .errors import DomainError

CHECK_ALPHABET = "0123456789ABCDEFHJKLMNPRSTUVWXY"

# Century sign (välimerkki) -> first year of its century.
CENTURY_SIGNS: dict[str, int] = {
    "+": 1800,
    "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
    "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000,
}

# The sign make_identity_code uses when none is asked for: the traditional one per century.
DEFAULT_SIGNS: dict[int, str] = {1800: "+", 1900: "-", 2000: "A"}

TEMPORARY_FROM = 900  # 900-999: temporary / artificial ids, not in the population register
FIRST_ISSUED = 2  # 000 and 001 are never issued

_SHAPE = re.compile(r"(\d{2})(\d{2})(\d{2})(.)(\d{3})([0-9A-Z])")
_SIGN_CLASS = "".join(re.escape(sign) for sign in CENTURY_SIGNS)
# Enough to route a search box query: six digits, a sign, then at most the rest of a code.
_LOOKS_LIKE = re.compile(rf"\d{{6}}[{_SIGN_CLASS}][0-9A-Z]{{0,4}}")


class InvalidIdentityCode(DomainError):
    """The text is not a valid identity code; `reason` says which part failed.

    reason is one of "format", "century", "date", "individual", "check".
    """

    REASONS = ("format", "century", "date", "individual", "check")

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class IdentityCode:
    """A validated identity code (henkilötunnus)."""

    code: str
    birth_date: date
    individual: int
    temporary: bool

    def __str__(self) -> str:
        return self.code


def normalize_identity_code(text: str) -> str:
    """Trim and upper-case; nothing else (the century sign is never changed)."""
    return text.strip().upper()


def check_character(nine_digits: str) -> str:
    """Check character (tarkistusmerkki) of DDMMYYZZZ: the number mod 31 in the alphabet."""
    if len(nine_digits) != 9 or not nine_digits.isascii() or not nine_digits.isdigit():
        raise InvalidIdentityCode("format", _format_message())
    return CHECK_ALPHABET[int(nine_digits) % 31]


def parse_identity_code(text: str) -> IdentityCode:
    """Validate an identity code and return its parts, or raise InvalidIdentityCode."""
    code = normalize_identity_code(text)
    match = _SHAPE.fullmatch(code)
    # isascii: str.isdigit/\d would otherwise accept e.g. Arabic-Indic digits
    if match is None or not code.isascii():
        raise InvalidIdentityCode("format", _format_message())
    day, month, year2, sign, individual_text, given = match.groups()

    century = CENTURY_SIGNS.get(sign)
    if century is None:
        raise InvalidIdentityCode(
            "century", _("Unknown century sign: {sign}").format(sign=sign)
        )

    year = century + int(year2)
    try:
        birth_date = date(year, int(month), int(day))
    except ValueError:
        raise InvalidIdentityCode(
            "date",
            _("Impossible date: {date}").format(date=f"{int(day)}.{int(month)}.{year}"),
        ) from None

    individual = int(individual_text)
    if individual < FIRST_ISSUED:
        raise InvalidIdentityCode(
            "individual",
            _("Individual number {number} is not issued").format(number=individual_text),
        )

    expected = check_character(day + month + year2 + individual_text)
    if given != expected:
        raise InvalidIdentityCode(
            "check",
            _("Wrong check character: {given} (expected {expected})").format(
                given=given, expected=expected
            ),
        )

    return IdentityCode(
        code=code,
        birth_date=birth_date,
        individual=individual,
        temporary=individual >= TEMPORARY_FROM,
    )


def make_identity_code(birth_date: date, individual: int, sign: str | None = None) -> str:
    """Build a valid code; `sign` defaults to - (1900s), A (2000s) or + (1800s)."""
    century = birth_date.year // 100 * 100
    if century not in DEFAULT_SIGNS:
        raise InvalidIdentityCode(
            "century",
            _("No century sign exists for the year {year}").format(year=birth_date.year),
        )
    if sign is None:
        sign = DEFAULT_SIGNS[century]
    sign = sign.upper()
    if sign not in CENTURY_SIGNS:
        raise InvalidIdentityCode(
            "century", _("Unknown century sign: {sign}").format(sign=sign)
        )
    if CENTURY_SIGNS[sign] != century:
        raise InvalidIdentityCode(
            "century",
            _("Century sign {sign} does not fit the year {year}").format(
                sign=sign, year=birth_date.year
            ),
        )
    if not FIRST_ISSUED <= individual <= 999:
        raise InvalidIdentityCode(
            "individual",
            _("Individual number {number} is not issued").format(number=f"{individual:03d}"),
        )
    digits = f"{birth_date:%d%m}{birth_date.year % 100:02d}"
    number = f"{individual:03d}"
    return f"{digits}{sign}{number}{check_character(digits + number)}"


def looks_like_identity_code(text: str) -> bool:
    """Quick shape test for routing a search query: six digits then a century sign."""
    return _LOOKS_LIKE.fullmatch(normalize_identity_code(text)) is not None and text.isascii()


def _format_message() -> str:
    return _("Identity code must look like DDMMYYCZZZQ, e.g. 131052-308T")


_CLIENT_NAMESPACE = uuid.UUID("0b9a4c1e-3f2d-5e6a-9b8c-7d6e5f4a3b2c")
_CLIENT_NAMESPACE_BYTES = _CLIENT_NAMESPACE.bytes


def client_id_for(code: str) -> str:
    """The record id of the client with this identity code.

    Derived from the code, so two devices that add the same person while offline make one
    record, not two (the sync conflict rule for clients then decides between their
    versions). The id is therefore as sensitive as the code itself.
    """
    # uuid.uuid5, without its UUID object (a push checks thousands of these): the SHA-1 of
    # the namespace and the name, its first 16 bytes with the version and variant bits.
    # (hashlib imported here, as uuid5 imports it: not on the application's start path)
    from hashlib import sha1

    digest = bytearray(sha1(_CLIENT_NAMESPACE_BYTES + normalize_identity_code(code).encode(), usedforsecurity=False).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50
    digest[8] = digest[8] & 0x3F | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def age_in_years(
    today: date, birth_date: date | None = None, identity_code: str | None = None
) -> int | None:
    """The client's age in whole years on `today`, from the birth date or else from the
    identity code (a temporary code carries a birth date too); None when neither gives it
    or the date is in the future."""
    born = birth_date
    if born is None and identity_code:
        try:
            born = parse_identity_code(identity_code).birth_date
        except InvalidIdentityCode:
            return None
    if born is None or born > today:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
