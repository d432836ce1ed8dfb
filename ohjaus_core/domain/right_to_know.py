"""The client's right to know (Client Data Act 703/2023 § 11): who processed the client's
data, to whom it was disclosed and on what basis. Logs up to two years back are given on
request; the window is counted in Finnish calendar days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ..i18n import _
from .clock import HELSINKI
from .errors import DomainError

YEARS_BACK = 2


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (29 February to 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def window(today: date, first: date | None = None, last: date | None = None) -> tuple[date, date, datetime, datetime]:
    """The days asked about (default: two years back to today) and the UTC moments that bound
    them: from the first day's start to the end of the last, in Finnish time."""
    last = last or today
    first = first or years_before(last, YEARS_BACK)
    if first > last:
        raise DomainError(_("The first day {first} is after the last day {last}.").format(
            first=first.isoformat(), last=last.isoformat()))
    since = datetime.combine(first, time(), HELSINKI).astimezone(UTC)
    until = datetime.combine(last + timedelta(days=1), time(), HELSINKI).astimezone(UTC)
    return first, last, since, until
