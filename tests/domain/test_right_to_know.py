"""The right-to-know window: two years back by default, Finnish calendar days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.right_to_know import window


@pytest.mark.parametrize("today, first, last, expected", [
    (date(2026, 12, 6), None, None, (date(2024, 12, 6), date(2026, 12, 6))),
    (date(2028, 2, 29), None, None, (date(2026, 2, 28), date(2028, 2, 29))),  # no 29 February in 2026
    (date(2026, 12, 6), None, date(2025, 6, 30), (date(2023, 6, 30), date(2025, 6, 30))),
    (date(2026, 12, 6), date(2020, 1, 1), None, (date(2020, 1, 1), date(2026, 12, 6))),
])
def test_the_days(today, first, last, expected):
    assert window(today, first, last)[:2] == expected


def test_the_bounds_are_finnish_midnights_in_utc():
    # Winter time (UTC+2) on the first day, summer time (UTC+3) the day after the last.
    _first, _last, since, until = window(date(2026, 12, 6), date(2026, 3, 1), date(2026, 6, 30))
    assert since == datetime(2026, 2, 28, 22, tzinfo=UTC)
    assert until == datetime(2026, 6, 30, 21, tzinfo=UTC)


def test_a_first_day_after_the_last_is_refused():
    with pytest.raises(DomainError, match="after the last day"):
        window(date(2026, 12, 6), date(2026, 12, 7), None)
