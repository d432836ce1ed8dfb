"""The command palette speaks the worker's language and offers the app's own actions only;
the sync line follows F9 at once (issue 15)."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from ohjaus_core.i18n import set_language
from ohjaus_tui.widgets.sync_badge import SyncBadge

from ..pilot_helpers import sign_in


async def palette_texts(pilot) -> str:
    await pilot.press("ctrl+p")
    await pilot.pause(0.5)
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette)
    listing = palette.query_one("CommandList")
    texts = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
    return "\n".join(texts) + "\n" + palette.query_one("Input").placeholder


async def test_the_palette_lists_the_apps_actions_in_finnish_without_a_screenshot(app, monkeypatch):
    monkeypatch.delenv("OHJAUS_DEVELOPER", raising=False)
    set_language("fi")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        shown = await palette_texts(pilot)
        for name in ("Synkronoi", "Kieli", "Lukitse", "Raportit", "Kirjaudu ulos"):
            assert name in shown, shown
        assert "Screenshot" not in shown and "Theme" not in shown
        assert "Search for commands" not in shown


async def test_a_developer_device_keeps_textuals_commands(data_dir, shipped, monkeypatch):
    from ..conftest import build_app

    monkeypatch.setenv("OHJAUS_DEVELOPER", "1")
    app = build_app(data_dir, shipped)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        assert "Screenshot" in await palette_texts(pilot)


async def test_the_sync_line_follows_the_language_at_once(app):
    set_language("fi")
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.pause()
        assert "Synkronointi" in str(app.screen.query_one(SyncBadge).render())
        await pilot.press("f9")
        await pilot.pause()
        line = str(app.screen.query_one(SyncBadge).render())
        assert "Synkronointi" not in line and "Synkronisering" in line, line


async def test_textuals_own_texts_are_in_the_workers_language(app, monkeypatch):
    """What Textual itself writes: the palette's "No matches found", and the note Ctrl+C
    gives (it copies; it does not quit)."""
    from ohjaus_core.i18n import _

    monkeypatch.delenv("OHJAUS_DEVELOPER", raising=False)
    set_language("sv")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        notes = [(n.title, n.message) for n in app._notifications]
        assert notes and all("quit" not in f"{title} {message}" for title, message in notes), notes
        assert _("Do you want to quit?") in notes[-1][0] and "^q" in notes[-1][1]
        await sign_in(pilot, "hoitaja1")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"xyzzy")
        listing = app.screen.query_one("CommandList")
        for _wait in range(50):  # Textual shows the line after half a second of no match
            await pilot.pause(0.1)
            if listing.option_count:
                break
        shown = [str(listing.get_option_at_index(i).prompt.renderable) for i in range(listing.option_count)]
        assert shown == [_("No matches found")] and "No matches" not in shown[0]


def screen_text(app) -> str:
    """What the screen on top says: its title bar, labels and lines."""
    from textual.widgets import Static

    return "\n".join(str(widget.render()) for widget in app.screen.query(Static))


@pytest.mark.parametrize(
    ("typed", "seen"),
    [
        ("rapor", "Raportit: "),  # Reports: the reports screen, its title in Finnish
        ("ongelm", "Synkronointi: hylätyt muutokset"),  # found by its help (problems): the sync view
        ("lukit", "Lukittu"),  # Lock: the lock screen
        ("synkronoi", "Tätä laitetta ei ole yhdistetty keskuspalvelimeen."),  # Sync: what F5 says here
        ("kiel", "Synkronisering"),  # Language: the next one, Swedish, at once (the sync line)
    ],
)
async def test_a_command_typed_in_part_runs_what_its_key_runs(app, monkeypatch, typed, seen):
    monkeypatch.delenv("OHJAUS_DEVELOPER", raising=False)
    set_language("fi")
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "esihenkilo1")  # a team lead: the reports are hers
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*typed)
        await pilot.pause(0.5)
        await pilot.press("enter")
        shown = ""
        for _wait in range(50):  # the reports are made in a worker thread
            await pilot.pause(0.1)
            notes = " ".join(str(note.message) for note in app._notifications)
            shown = screen_text(app) + "\n" + notes
            if seen in shown:
                break
        assert not isinstance(app.screen, CommandPalette)
        assert seen in shown, shown
