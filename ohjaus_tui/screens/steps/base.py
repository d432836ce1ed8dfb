"""What every step panel of the contact flow does.

The contact screen owns the draft and gives every panel its `ContactFlow` (the draft, the
client read once, the time limits): attributes down. A panel shows the draft (`enter`), writes
what the worker typed back into it (`apply`), and posts messages for the screen (messages up):
`Next` when the worker has finished the step, `DeadlinesChanged` when what the time limits
depend on changed, `Problems` for what stops the worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ohjaus_core.domain.contact import ContactDraft, Step
from ohjaus_core.i18n import _
from ...app_access import AppAccess
from ...theme import themed

if TYPE_CHECKING:
    from ...flow import ContactFlow


def offer_codes(listing: OptionList, codes: list, suggested, chosen, label=None) -> None:
    """Fill an option list with codes, mark the suggested one, highlight the chosen one;
    label(code) words an option (default: the code's label)."""
    listing.clear_options()
    for code in codes:
        prompt = Text(label(code) if label else code.label)
        if code == suggested:
            prompt.append("  " + _("(suggested)"), style=themed("bold $fine"))
        listing.add_option(Option(prompt, id=code.value))
    current = chosen if chosen in codes else suggested
    listing.highlighted = codes.index(current) if current in codes else 0


class StepPanel(AppAccess, VerticalScroll):
    step: Step
    flow: ContactFlow  # given by the contact screen before the panel is mounted
    # What each list of the step suggested when the worker last saw it (issue 15: a stale
    # choice). Kept by the panel, which lives as long as the contact screen.
    _seen: dict[str, object] | None = None

    def suggestion_changed(self, listing: str, suggested: object) -> bool:
        """Has the suggestion of `listing` changed since the worker last saw this step?

        Called once a visit, when the step is shown: a changed suggestion means the earlier
        choice was made for another case, so the step highlights the new suggestion and the
        worker chooses again (Enter takes the new one). The first visit has nothing to
        compare with.
        """
        if self._seen is None:
            self._seen = {}
        missing = object()
        before = self._seen.get(listing, missing)
        self._seen[listing] = suggested
        return before is not missing and before != suggested

    class Next(Message):
        """The worker finished this step (Enter on its last field)."""

    class Answered(Message):
        """Something the step asks for was given: what the step's problems said is read again."""

    class DeadlinesChanged(Message):
        """What the contact's time limits depend on changed: the deadline line is redrawn."""

    class Problems(Message):
        """What stops the worker, shown under the step ("" clears it)."""

        def __init__(self, problems: str | Text) -> None:
            super().__init__()
            self.problems = problems

    def enter(self, draft: ContactDraft) -> None:
        """Show the draft (called every time the step is shown)."""

    def apply(self, draft: ContactDraft) -> None:
        """Write what is on the screen into the draft."""

    def problems(self, draft: ContactDraft) -> list[str]:
        """What else stops the worker on this step, beyond the draft's own rules (after `apply`):
        what the step asks of the store, such as the follow-up's phone number."""
        return []

    def focus_default(self) -> None:
        """Focus the field where the worker starts."""
        if self.focus_chain:
            self.focus_now(self.focus_chain[0])

    def focus_now(self, widget: Widget) -> None:
        """Move the focus before the next key is handled.

        `Widget.focus()` waits for the message queue, so keys typed ahead (Enter, Down, Down,
        Enter) would reach the old field; a worker who knows the flow types ahead.
        """
        if widget.focusable:
            self.screen.set_focus(widget)
        else:
            widget.focus()
        # A field that was just shown has no place yet: scroll to it once it has.
        self.call_after_refresh(widget.scroll_visible)

    def next(self) -> None:
        self.post_message(self.Next())
