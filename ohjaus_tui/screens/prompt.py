"""Small modal questions of the worklist: a line of text (what came of it, a new date) and
a choice from a list (who takes a follow-up on). Each dismisses its answer or None."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from .ask import AskScreen


class PromptScreen(AskScreen):
    """One line of text; `check` returns what is wrong with it, or None."""

    CSS_PATH = "prompt.tcss"

    def __init__(self, title: str, question: str, value: str = "", check: Callable[[str], str | None] | None = None) -> None:
        super().__init__()
        self.title_text, self.question, self.value, self.check = title, question, value, check

    def heading(self) -> str:
        return self.title_text

    def body(self) -> ComposeResult:
        yield Static(Text(self.question))
        yield Input(self.value, id="prompt-value")
        yield Static(classes="error", id="prompt-error")

    def on_mount(self) -> None:
        self.query_one("#prompt-value", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = self.check(event.value) if self.check else None
        if problem:
            self.query_one("#prompt-error", Static).update(Text(problem))
            self.app.bell()
            return
        self.dismiss(event.value.strip())


class PickScreen(AskScreen):
    """A choice from (id, label) pairs."""

    CSS_PATH = "prompt.tcss"

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text, self.choices = title, choices

    def heading(self) -> str:
        return self.title_text

    def body(self) -> ComposeResult:
        yield OptionList(*[Option(Text(label), id=key) for key, label in self.choices], id="pick")

    def on_mount(self) -> None:
        self.query_one("#pick", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)
