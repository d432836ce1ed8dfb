"""The client search as a worker types (issue 18): off the UI thread, the latest keystroke's
results win over a slower earlier search, and an Enter typed ahead takes the right client."""

from __future__ import annotations

import threading
import time

from ohjaus_core.domain.codes import Language
from ohjaus_tui.screens.confirm import ConfirmScreen

from ..conftest import FIXED_NOW
from ..pilot_helpers import search_shown, sign_in


def add_namesakes(store) -> None:
    for first, last in (("Aino", "Hidasnen"), ("Eero", "Hidastaja")):
        store.clients.add_client(first_name=first, last_name=last, identity_code=None, phone=None,
                         language=Language.FI, municipality="", created_by=None, now=FIXED_NOW)


def slowed(monkeypatch, store, delay_for) -> list[str]:
    """Make the store's search slow for some queries; returns the threads it ran in."""
    threads, find = [], store.clients.find_clients

    def find_clients(query: str, limit: int = 20):
        threads.append(threading.current_thread().name)
        time.sleep(delay_for(query))
        return find(query, limit)

    monkeypatch.setattr(store.clients, "find_clients", find_clients)
    return threads


def shown_names(app) -> list[str]:
    results = app.screen.query_one("#client-results")
    return [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]


async def test_a_slow_earlier_search_never_replaces_the_latest_results(app, store, monkeypatch):
    add_namesakes(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        threads = slowed(monkeypatch, app.ctx.store, lambda q: 0.4 if q == "Hidas" else 0.0)
        await pilot.press(*"Hidas")
        await pilot.pause(0.05)  # the search of "Hidas" is under way (slow)
        await pilot.press("n")
        await search_shown(pilot)
        await pilot.pause(0.5)  # long enough for the slow one to have finished too
        names = shown_names(app)
        assert any("Hidasnen Aino" in n for n in names)
        assert not any("Hidastaja" in n for n in names), names
        assert threads and threading.main_thread().name not in threads


async def test_an_enter_typed_ahead_takes_the_client_of_the_whole_query(app, store, monkeypatch):
    add_namesakes(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        slowed(monkeypatch, app.ctx.store, lambda q: 0.2)
        await pilot.press(*"Hidast", "enter")
        await pilot.pause()
        # Found by name: the second-identifier question is about Hidastaja, not Hidasnen.
        assert isinstance(app.screen, ConfirmScreen)
        assert "Hidastaja Eero" in app.screen.question and "Hidasnen" not in app.screen.question
