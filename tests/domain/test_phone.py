"""Phone numbers in E.164, read with Finland as the default region (TRUST.md)."""

from __future__ import annotations

import pytest

from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.phone import InvalidPhone, format_phone, looks_like_phone, normalize_phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("040 123 4567", "+358401234567"),
        ("+358 40 1234567", "+358401234567"),
        ("0401234567", "+358401234567"),
        ("+358401234567", "+358401234567"),
        ("040-123 4567", "+358401234567"),
        ("(040) 123 4567", "+358401234567"),
        ("  050 987 6543 ", "+358509876543"),
        ("09 123 4567", "+35891234567"),
        ("00358 40 1234567", "+358401234567"),  # international call prefix from Finland
        ("+46 70 123 45 67", "+46701234567"),
        ("+1 202 555 0143", "+12025550143"),
    ],
)
def test_normalize_phone(text: str, expected: str) -> None:
    assert normalize_phone(text) == expected


def test_the_same_number_written_two_ways_is_one_number() -> None:
    assert normalize_phone("040 123 4567") == normalize_phone("+358 40 1234567")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "abc", "123", "040", "040 HELLO", "+358", "131052-308T", "phone: 040 123 4567",
     "+999 123 456 789"],
)
def test_normalize_phone_refuses_garbage(text: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(text)
    assert isinstance(caught.value, DomainError)
    assert text.strip() in str(caught.value)


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+358401234567", "040 1234567"),
        ("+35891234567", "09 1234567"),
        ("+46701234567", "+46 70 123 45 67"),
        ("+12025550143", "+1 202-555-0143"),
        ("not a number", "not a number"),  # shown as stored rather than hidden
    ],
)
def test_format_phone(e164: str, expected: str) -> None:
    assert format_phone(e164) == expected


@pytest.mark.parametrize("text", ["040 123 4567", "+358 40 1234567", "+46701234567"])
def test_format_then_normalize_round_trips(text: str) -> None:
    e164 = normalize_phone(text)
    assert normalize_phone(format_phone(e164)) == e164


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("040 123 4567", True),
        ("+358401234567", True),
        ("0401", False),  # too few digits to route on
        ("04012", True),
        (" 040-123 ", True),
        ("+358", False),
        ("401234567", False),  # neither + nor 0 first
        ("Virtanen", False),
        ("040 Virtanen", False),
        ("010190-1239", False),  # an identity code, not a phone
        ("010190A123C", False),
        ("", False),
    ],
)
def test_looks_like_phone(text: str, expected: bool) -> None:
    assert looks_like_phone(text) is expected
