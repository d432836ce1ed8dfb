"""Time: stored in UTC (aware datetimes), shown and reasoned about in Finnish local time.

Deadlines count in local calendar days, so every date taken from a time goes through
`local()` first.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def now() -> datetime:
    return datetime.now(HELSINKI).replace(microsecond=0)


def local(moment: datetime) -> datetime:
    """The moment in Finnish local time (a naive value is taken to be local already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=HELSINKI)
    return moment.astimezone(HELSINKI)
