"""An option list where a letter jumps to the next option starting with it (like a file list):
with sixteen protocols, "v" is one key to Virtsaamisvaivat instead of eight arrows."""

from __future__ import annotations

from textual import events
from textual.widgets import OptionList


class JumpList(OptionList):
    def on_key(self, event: events.Key) -> None:
        letter = event.character
        if not letter or len(letter) != 1 or not letter.isalpha():
            return
        letter = letter.casefold()
        count = self.option_count
        start = self.highlighted if self.highlighted is not None else -1
        for step in range(1, count + 1):
            index = (start + step) % count
            prompt = self.get_option_at_index(index).prompt
            text = getattr(prompt, "plain", str(prompt)).lstrip()
            if text[:1].casefold() == letter:
                self.highlighted = index
                event.stop()
                event.prevent_default()
                return
