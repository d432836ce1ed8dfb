"""A name typed into the system is shown as typed: markup is not interpreted."""

from __future__ import annotations

from ohjaus_tui.domain.codes import Language

from .conftest import FIXED_NOW
from .pilot_helpers import sign_in, type_text


async def test_markup_in_a_name_is_shown_literally(app, store):
    store.add_client(
        first_name="[bold red]Eve[/]",
        last_name="Markuppinen[link=http://x]",
        identity_code=None,
        phone=None,
        language=Language.FI,
        municipality="[blink]Järvilaakso",
        created_by=None,
        now=FIXED_NOW,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await type_text(pilot, "Markuppinen")
        await pilot.pause()
        results = app.screen.query_one("#client-results")
        shown = str(results.get_option_at_index(0).prompt)
        assert "Markuppinen[link=http://x]" in shown and "[bold red]Eve[/]" in shown
        await pilot.press("enter")
        await pilot.pause()
        header = str(app.screen.query_one("#contact-header").render())
        assert "[bold red]Eve[/]" in header
