"""Drawing a screen again in another language without losing what was typed (F9)."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Checkbox, Input, OptionList, Select, TextArea


async def relabel(screen: Screen) -> None:
    """Compose the screen again (every text is looked up anew) and put back the values of
    its fields, the highlighted options and the focus. A screen may prepare with
    `before_relabel` (the contact flow writes the open step into its draft) and finish with
    `after_relabel` (fill the new widgets from its state)."""
    kept: dict[str, tuple[type, object]] = {}
    for widget in screen.query("Input, TextArea, Select, Checkbox, OptionList"):
        if not widget.id:
            continue
        if isinstance(widget, Input):
            kept[widget.id] = (Input, widget.value)
        elif isinstance(widget, TextArea):
            kept[widget.id] = (TextArea, widget.text)
        elif isinstance(widget, Select):
            kept[widget.id] = (Select, widget.value)
        elif isinstance(widget, Checkbox):
            kept[widget.id] = (Checkbox, widget.value)
        elif isinstance(widget, OptionList):
            kept[widget.id] = (OptionList, widget.highlighted)
    focused = screen.focused.id if screen.focused is not None else None
    before = getattr(screen, "before_relabel", None)
    if before is not None:
        before()
    await screen.recompose()
    after = getattr(screen, "after_relabel", None)
    if after is not None:
        after()
    for widget_id, (kind, value) in kept.items():
        for widget in screen.query(f"#{widget_id}"):
            if not isinstance(widget, kind):
                continue
            if kind is Input:
                widget.value = value
            elif kind is TextArea:
                widget.load_text(value)
            elif kind is Select and value is not Select.BLANK:
                widget.value = value
            elif kind is Checkbox:
                widget.value = value
            elif kind is OptionList and value is not None and value < widget.option_count:
                widget.highlighted = value
    if focused:
        for widget in screen.query(f"#{focused}"):
            if widget.focusable:
                if isinstance(widget, Input):
                    # Typing goes on at the end of the text, not over it.
                    selects, widget.select_on_focus = widget.select_on_focus, False
                    widget.cursor_position = len(widget.value)
                    screen.set_focus(widget)
                    widget.call_after_refresh(setattr, widget, "select_on_focus", selects)
                else:
                    screen.set_focus(widget)
                break
