"""Finnish working days (DOMAIN.md, "Time limits"): holidays, counting from the contact day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ohjaus_core.domain.calendar import (
    add_working_days,
    easter_sunday,
    finnish_holidays,
    is_working_day,
    working_days_between,
)

# Movable holidays 2025-2030 as published in Finnish almanacs; written out by hand, not
# computed, so that a wrong rule in the code shows up here.
MOVABLE = {
    2025: {"Good Friday": "04-18", "Easter Sunday": "04-20", "Easter Monday": "04-21",
           "Ascension Day": "05-29", "Whit Sunday": "06-08", "Midsummer Eve": "06-20",
           "Midsummer Day": "06-21", "All Saints' Day": "11-01"},
    2026: {"Good Friday": "04-03", "Easter Sunday": "04-05", "Easter Monday": "04-06",
           "Ascension Day": "05-14", "Whit Sunday": "05-24", "Midsummer Eve": "06-19",
           "Midsummer Day": "06-20", "All Saints' Day": "10-31"},
    2027: {"Good Friday": "03-26", "Easter Sunday": "03-28", "Easter Monday": "03-29",
           "Ascension Day": "05-06", "Whit Sunday": "05-16", "Midsummer Eve": "06-25",
           "Midsummer Day": "06-26", "All Saints' Day": "11-06"},
    2028: {"Good Friday": "04-14", "Easter Sunday": "04-16", "Easter Monday": "04-17",
           "Ascension Day": "05-25", "Whit Sunday": "06-04", "Midsummer Eve": "06-23",
           "Midsummer Day": "06-24", "All Saints' Day": "11-04"},
    2029: {"Good Friday": "03-30", "Easter Sunday": "04-01", "Easter Monday": "04-02",
           "Ascension Day": "05-10", "Whit Sunday": "05-20", "Midsummer Eve": "06-22",
           "Midsummer Day": "06-23", "All Saints' Day": "11-03"},
    2030: {"Good Friday": "04-19", "Easter Sunday": "04-21", "Easter Monday": "04-22",
           "Ascension Day": "05-30", "Whit Sunday": "06-09", "Midsummer Eve": "06-21",
           "Midsummer Day": "06-22", "All Saints' Day": "11-02"},
}
FIXED = {
    "New Year's Day": "01-01", "Epiphany": "01-06", "May Day": "05-01",
    "Independence Day": "12-06", "Christmas Eve": "12-24", "Christmas Day": "12-25",
    "St Stephen's Day": "12-26",
}


def _d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("year", "name", "day"),
    [(year, name, f"{year}-{md}") for year, names in MOVABLE.items() for name, md in names.items()]
    + [(year, name, f"{year}-{md}") for year in MOVABLE for name, md in FIXED.items()],
)
def test_published_holidays(year: int, name: str, day: str) -> None:
    assert finnish_holidays(year)[_d(day)] == name


@pytest.mark.parametrize("year", list(MOVABLE))
def test_exactly_fifteen_days_a_year(year: int) -> None:
    holidays = finnish_holidays(year)
    assert len(holidays) == 15
    assert all(day.year == year for day in holidays)


def test_may_day_and_ascension_on_one_day_keep_both_names() -> None:
    # Easter 2008 was on 23 March: Ascension Day fell on 1 May.
    assert finnish_holidays(2008)[date(2008, 5, 1)] == "May Day, Ascension Day"


def test_holiday_dict_is_a_copy() -> None:
    finnish_holidays(2025).clear()
    assert len(finnish_holidays(2025)) == 15


@pytest.mark.parametrize(
    "easter",
    ["1818-03-22", "1943-04-25", "1961-04-02", "2000-04-23", "2008-03-23", "2019-04-21",
     "2024-03-31", "2038-04-25", "2285-03-22"],
)
def test_easter_sunday(easter: str) -> None:
    assert easter_sunday(_d(easter).year) == _d(easter)


@pytest.mark.parametrize("year", range(1900, 2200))
def test_movable_rules_hold(year: int) -> None:
    by_name = {name: day for day, name in finnish_holidays(year).items()}
    eve = by_name["Midsummer Eve"]
    assert eve.weekday() == 4 and date(year, 6, 19) <= eve <= date(year, 6, 25)
    midsummer = by_name["Midsummer Day"]
    assert midsummer.weekday() == 5 and date(year, 6, 20) <= midsummer <= date(year, 6, 26)
    saints = by_name["All Saints' Day"]
    assert saints.weekday() == 5 and date(year, 10, 31) <= saints <= date(year, 11, 6)
    easter = easter_sunday(year)
    assert easter.weekday() == 6 and date(year, 3, 22) <= easter <= date(year, 4, 25)
    assert by_name.get("Good Friday") == easter - timedelta(days=2)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2025-03-10", True),   # Monday
        ("2025-03-14", True),   # Friday
        ("2025-03-08", False),  # Saturday (arkilauantai): not a working day
        ("2025-03-09", False),  # Sunday
        ("2025-04-18", False),  # Good Friday
        ("2025-04-21", False),  # Easter Monday
        ("2025-04-30", True),   # May Day Eve is an ordinary working day
        ("2025-05-01", False),  # May Day
        ("2025-05-29", False),  # Ascension Day
        ("2025-06-20", False),  # Midsummer Eve (Act 150/1930)
        ("2025-12-24", False),  # Christmas Eve (Act 150/1930)
        ("2025-12-31", True),   # New Year's Eve is an ordinary working day
        ("2026-01-06", False),  # Epiphany on a Tuesday
        ("2027-12-06", False),  # Independence Day on a Monday
    ],
)
def test_is_working_day(day: str, working: bool) -> None:
    assert is_working_day(_d(day)) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # n = 0 is the contact day itself, even on a holiday
        ("2025-03-10", 0, "2025-03-10"),
        ("2025-03-08", 0, "2025-03-08"),
        # plain week
        ("2025-03-10", 1, "2025-03-11"),
        ("2025-03-10", 4, "2025-03-14"),
        # across a weekend
        ("2025-03-07", 1, "2025-03-10"),
        ("2025-03-06", 3, "2025-03-11"),
        ("2025-03-08", 1, "2025-03-10"),  # contact on Saturday
        ("2025-03-09", 1, "2025-03-10"),  # contact on Sunday
        ("2025-03-10", 5, "2025-03-17"),
        # across Easter (Good Friday and Easter Monday)
        ("2025-04-17", 1, "2025-04-22"),
        ("2025-04-14", 7, "2025-04-25"),
        ("2026-04-02", 3, "2026-04-09"),
        # across Christmas (Eve, Day, St Stephen's) and New Year
        ("2025-12-23", 1, "2025-12-29"),
        ("2025-12-22", 3, "2025-12-30"),
        ("2026-12-23", 1, "2026-12-28"),
        ("2025-12-31", 1, "2026-01-02"),
        ("2025-12-19", 7, "2026-01-05"),
        # across Midsummer (Eve on Friday)
        ("2025-06-19", 1, "2025-06-23"),
        ("2026-06-18", 1, "2026-06-22"),
        ("2026-06-17", 3, "2026-06-23"),
        # Ascension Day, Epiphany, Independence Day on weekdays
        ("2026-05-13", 1, "2026-05-15"),
        ("2026-01-05", 1, "2026-01-07"),
        ("2027-12-03", 1, "2027-12-07"),
    ],
)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    assert add_working_days(_d(start), n) == _d(expected)


def test_add_working_days_refuses_negative() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2025, 3, 10), -1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2025-03-10", "2025-03-10", 0),
        ("2025-03-07", "2025-03-10", 1),
        ("2025-03-07", "2025-03-09", 0),
        ("2025-04-17", "2025-04-22", 1),
        ("2025-12-23", "2025-12-29", 1),
        ("2025-12-19", "2026-01-02", 6),
        # 261 weekdays minus 10 holidays on weekdays (6 Dec 2025 is a Saturday)
        ("2025-01-01", "2025-12-31", 251),
        ("2025-03-10", "2025-03-07", -1),
    ],
)
def test_working_days_between(start: str, end: str, expected: int) -> None:
    assert working_days_between(_d(start), _d(end)) == expected


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)),
    st.integers(min_value=0, max_value=60),
)
def test_property_add_then_count(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    assert working_days_between(end, start) == -n
    if n > 0:
        assert is_working_day(end)
        # the n-th working day, not a later one: the day before it has only n-1
        assert working_days_between(start, end - timedelta(days=1)) == n - 1
