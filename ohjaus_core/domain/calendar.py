"""Finnish working days (arkipäivät) for counting time limits.

Counting follows the Act on counting statutory time limits (150/1930) as the national
child-welfare handbook states it: the day of the contact is not counted; Saturdays (also a
weekday Saturday, arkilauantai), Sundays, public holidays, Midsummer Eve and Christmas Eve are
not working days.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

_DAY = timedelta(days=1)


def easter_sunday(year: int) -> date:
    """Easter Sunday (pääsiäispäivä), anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _on_or_after(day: date, weekday: int) -> date:
    """The first `weekday` (Monday 0) on or after `day`."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@lru_cache(maxsize=None)
def _holidays(year: int) -> Mapping[date, str]:
    easter = easter_sunday(year)
    # Midsummer Eve is the Friday of 19-25 June; All Saints' Day the Saturday of 31 Oct - 6 Nov.
    midsummer_eve = _on_or_after(date(year, 6, 19), 4)
    all_saints = _on_or_after(date(year, 10, 31), 5)
    named = [
        (date(year, 1, 1), "New Year's Day"),
        (date(year, 1, 6), "Epiphany"),
        (easter - 2 * _DAY, "Good Friday"),
        (easter, "Easter Sunday"),
        (easter + _DAY, "Easter Monday"),
        (date(year, 5, 1), "May Day"),
        (easter + 39 * _DAY, "Ascension Day"),
        (easter + 49 * _DAY, "Whit Sunday"),
        (midsummer_eve, "Midsummer Eve"),
        (midsummer_eve + _DAY, "Midsummer Day"),
        (all_saints, "All Saints' Day"),
        (date(year, 12, 6), "Independence Day"),
        (date(year, 12, 24), "Christmas Eve"),
        (date(year, 12, 25), "Christmas Day"),
        (date(year, 12, 26), "St Stephen's Day"),
    ]
    days: dict[date, str] = {}
    for day, name in named:
        # Ascension Day falls on May Day when Easter is on 23 March (2008): keep both names.
        days[day] = f"{days[day]}, {name}" if day in days else name
    # Read-only: the cached mapping is shared by every caller.
    return MappingProxyType(dict(sorted(days.items())))


def finnish_holidays(year: int) -> dict[date, str]:
    """Public holidays (pyhäpäivät) plus Midsummer Eve and Christmas Eve, with English names."""
    return dict(_holidays(year))


def is_working_day(d: date) -> bool:
    """Monday to Friday and not a holiday (arkipäivä in the sense of time limits)."""
    return d.weekday() < 5 and d not in _holidays(d.year)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start`; the contact day itself is not counted. n=0: start."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    remaining = n
    while remaining:
        day += _DAY
        if is_working_day(day):
            remaining -= 1
    return day


def working_day_by(day: date) -> date:
    """The last working day on or before `day` (a limit counted in calendar days may end on a
    Sunday: what is due by it is due the working day before)."""
    while not is_working_day(day):
        day -= _DAY
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`.

    Negative when `end` is before `start` (so that a(b, c) == -a(c, b)): useful for
    "overdue by N working days".
    """
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start + _DAY
    while day <= end:
        if is_working_day(day):
            count += 1
        day += _DAY
    return count
