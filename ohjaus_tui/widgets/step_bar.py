"""The contact flow's progress line: every step visible, the current one marked."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from ohjaus_core.domain.contact import Step
from ..theme import themed


class StepBar(Static):
    DEFAULT_CSS = """
    StepBar { height: 1; padding: 0 1; background: $panel; }
    """

    current: reactive[Step] = reactive(Step.CLIENT)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for step in Step:
            if step > 0:
                text.append(" › ", style="dim")
            label = step.label
            if step == self.current:
                text.append(label, style="bold reverse")
            elif step < self.current:
                text.append(label, style=themed("$fine"))
            else:
                text.append(label, style="dim")
        return text
