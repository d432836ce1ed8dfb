"""The time limits of the contact on screen, worded for the worker (the flow works them out)."""

from __future__ import annotations

from datetime import date

from rich.text import Text

from ohjaus_core.domain.deadlines.contact import Deadline, DeadlineKind
from ohjaus_core.i18n import N_, _, format_weekday_day
from ...theme import themed

_LABELS = {
    DeadlineKind.HEALTH_ASSESSMENT: N_("care-need assessment {date}"),
    DeadlineKind.CARE: N_("care by {date}"),
    DeadlineKind.PROMISE: N_("region's promise {date}"),
    DeadlineKind.SOCIAL_ASSESSMENT: N_("service-need assessment starts by {date}"),
    DeadlineKind.CHILD_WELFARE: N_("child welfare decides by {date}"),
    DeadlineKind.SOCIAL_URGENT: N_("urgent need assessed by {date}"),
    DeadlineKind.SOCIAL_DONE: N_("service-need assessment completed by {date}"),
    DeadlineKind.CHILD_WELFARE_DONE: N_("child-welfare assessment done by {date}"),
}


def deadline_phrase(deadline: Deadline) -> str:
    if deadline.day is None:
        if deadline.kind is DeadlineKind.CARE:
            return deadline.basis  # no rule gives a day: the reason, as the rules name it
        if deadline.kind is DeadlineKind.SOCIAL_DONE:
            return _("service-need assessment completed without undue delay")
        return _("service-need assessment starts without delay")
    return _(_LABELS[deadline.kind]).format(date=format_weekday_day(deadline.day))


def limit_phrase(deadlines: list[Deadline], limit: Deadline) -> str:
    """The service-need assessment's limit a follow-up keeps (`assessment_limit`), worded: the
    region's promise, when it comes first, beside the start it stands for (dated or "without
    delay"), as the deadline line shows both."""
    start = next((d for d in deadlines if d.kind is DeadlineKind.SOCIAL_ASSESSMENT), None)
    if limit.kind is DeadlineKind.PROMISE and start is not None:
        return deadline_phrase(start) + ", " + deadline_phrase(limit)
    return deadline_phrase(limit)


def deadline_text(deadlines: list[Deadline], today: date | None = None) -> Text:
    """One line: "Deadlines: care-need assessment 25.11.2026 · care by 9.12.2026 · ..."."""
    text = Text()
    if not deadlines:
        return text
    text.append(_("Deadlines: "), style="bold")
    for position, deadline in enumerate(deadlines):
        if position:
            text.append(" · ", style="dim")
        overdue = today is not None and deadline.day is not None and deadline.day < today
        text.append(deadline_phrase(deadline), style=themed("bold $alarm") if overdue else "")
    return text
