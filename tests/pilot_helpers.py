"""Keyboard helpers for Pilot tests: they press keys, as a worker would."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from ohjaus_core.domain.credentials import DEMO_PASSPHRASE
from ohjaus_tui.screens.home import HomeScreen
from ohjaus_tui.screens.new_client import NewClientScreen
from ohjaus_tui.screens.steps.client import SEARCH_GROUP
from ohjaus_tui.store.directory import sign_in_workers
from ohjaus_tui.store.models import Client
from textual.widgets import DataTable, OptionList


async def sign_in(pilot, username: str) -> None:
    by_id = {w.id: w.username for w in pilot.app.ctx.store.workers()}
    names = [by_id[w.id] for w in sign_in_workers(pilot.app.ctx.data_dir)]
    # From the highlighted worker (the one with an unfinished contact, else the first).
    current = pilot.app.screen.query_one("#workers", OptionList).highlighted or 0
    steps = names.index(username) - current
    await pilot.press(*(["down"] * steps if steps >= 0 else ["up"] * -steps))
    await pilot.press("enter")
    await pilot.press(*DEMO_PASSPHRASE, "enter")
    await pilot.pause()
    assert any(isinstance(screen, HomeScreen) for screen in pilot.app.screen_stack)


async def start_contact(pilot, username: str, code: str, reason: str) -> None:
    """Sign in, start a contact, find the client by identity code, write the reason."""
    await sign_in(pilot, username)
    await pilot.press("n")
    await pilot.press(*code, "enter")
    await pilot.press(*reason, "enter")
    await pilot.pause()


async def start_unidentified(pilot, username: str, reason: str) -> None:
    """Sign in, start a contact with an unidentified client, write the reason, go on."""
    await sign_in(pilot, username)
    await pilot.press("n")
    await pick_result(pilot, "anonymous")
    await type_text(pilot, reason)
    await pilot.press("enter")
    await pilot.pause()


async def pick(pilot, list_id: str, option_id: str) -> None:
    """Move the highlight of a focused option list to `option_id` with arrow keys, press Enter."""
    listing = pilot.app.screen.query_one(f"#{list_id}", OptionList)
    focused = pilot.app.screen.focused
    # The protocol finder keeps the focus while its arrows move the list's highlight.
    finder = list_id == "protocols" and focused is not None and focused.id == "protocol-find"
    assert focused is listing or finder, f"{list_id} is not focused"
    ids = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
    target, current = ids.index(option_id), listing.highlighted or 0
    await pilot.press(*(["down"] * (target - current) if target >= current else ["up"] * (current - target)))
    await pilot.press("enter")
    await pilot.pause()


async def pick_result(pilot, option_id: str) -> None:
    """In the client step: arrows move the highlight while typing continues; Enter takes it."""
    await search_shown(pilot)
    listing = pilot.app.screen.query_one("#client-results", OptionList)
    ids = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
    await pilot.press(*["down"] * (ids.index(option_id) - (listing.highlighted or 0)))
    await pilot.press("enter")
    await pilot.pause()


async def answer(pilot, answers: list[bool]) -> None:
    await pilot.press(*["k" if yes else "e" for yes in answers])
    await pilot.pause()


def a_client(store, language: str = "fi", nth: int = 0) -> Client:
    with store.session() as session:
        query = select(Client).where(Client.language == language).order_by(Client.id)
        return list(session.exec(query))[nth]


def a_client_not_waiting(store, language: str = "fi", nth: int = 0) -> Client:
    """The nth client with no callback request waiting: signing for a waiting client asks
    whether the contact answers the callback (issue 15), which a test may not be about."""
    with store.session() as session:
        query = select(Client).where(Client.language == language).order_by(Client.id)
        clients = list(session.exec(query))
    return [c for c in clients if not store.worklist.open_callbacks_of_client(c.id)][nth]


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)
    await search_shown(pilot)


async def search_shown(pilot) -> None:
    """The client search runs in a worker thread as the worker types (issue 18): wait until
    the last one has put its results on the screen, as a person waits to see them. (`press`
    has handled the keys, so a search they started is already listed; with none running,
    this returns at once and takes no time from the test.)"""
    waited = False
    for _ in range(2000):
        if not any(w.group == SEARCH_GROUP and not w.is_finished for w in pilot.app.workers):
            break
        waited = True
        await asyncio.sleep(0.005)
    if waited:
        await pilot.pause()


def focused_id(pilot) -> str | None:
    focused = pilot.app.screen.focused
    return focused.id if focused else None


async def answer_shown(pilot, *yes: str) -> None:
    """Answer the question list as it asks, from the highlighted question on: yes to the
    questions named, no to every other one, until no question shown is unanswered (a
    follow-up appears after the yes it depends on)."""
    questions = pilot.app.screen.query_one("#questions")
    for _ in range(100):
        question = questions._question_at(questions.highlighted)
        if question is None or question.id in questions.answers:
            break
        await pilot.press("k" if question.id in yes else "e")
        await pilot.pause()


async def all_no_then_urgency(pilot, protocol_id: str, urgency: str, reason: str) -> None:
    """Pick a protocol, answer every question no, choose another urgency with its reason."""
    await pick(pilot, "protocols", protocol_id)
    await answer_shown(pilot)
    await pilot.press("tab")
    await pick(pilot, "urgency", urgency)
    await type_text(pilot, reason)
    await pilot.press("enter")
    await pilot.pause()


async def pick_and_answer(pilot, protocol_id: str, *yes: str) -> None:
    """Pick a protocol and answer yes to the questions named, no to every other one."""
    await pick(pilot, "protocols", protocol_id)
    await answer_shown(pilot, *yes)


async def social_assessment_to_segment(pilot, worry: str, segment: str | None, *yes: str) -> None:
    """From the assessment step of a social contact: the service-need protocol with the
    questions named answered yes, the worker's worry, the suggested urgency, then the segment
    named (None: the suggested one) - the outcome step is next."""
    await pick_and_answer(pilot, "social_service_need", *yes)
    await pilot.press("enter")
    await pick(pilot, "worry", worry)
    await pilot.press("enter")  # the suggested urgency
    await pilot.pause()
    if segment is None:
        await pilot.press("enter")
    else:
        await pick(pilot, "segments", segment)
    await pilot.pause()


def raised_to_same_day(protocol) -> list[bool]:
    """The answers of a caller who needs a visit today: no to every question shown when all
    are no, yes to the first that raises the suggestion to the same day (not a red flag, not
    the nurse's concern, which sends to emergency care, and one with no follow-up question)."""
    from ohjaus_core.domain.codes import Urgency

    shown = [q for q in protocol.questions if q.show_if is None]
    parents = {q.show_if for q in protocol.questions if q.show_if}
    chosen = next(
        q for q in shown
        if q.if_yes is Urgency.SAME_DAY and not q.red_flag and not q.nurse_concern and q.id not in parents
    )
    return [q is chosen for q in shown]


def items(app):
    """The home screen's work list, as listed."""
    return app.screen.items


async def advise_and_sign(pilot) -> None:
    """From the assessment step: advice only, no symptoms, segment and outcome as suggested,
    signed. Advice and guidance is chosen by name: the reason's own protocol may come first."""
    await pilot.pause()
    await pick(pilot, "protocols", "advice_only")
    await pilot.press("n", "enter")  # no symptoms, its urgency
    await pilot.press("enter", "enter")  # segment and outcome as suggested
    await type_text(pilot, "Neuvottu")
    await pilot.press("enter", "enter", "enter")  # no follow-up; sign
    await pilot.pause()


def section(app, name: str) -> list[list[str]]:
    """The rows of the home screen's table `name` (#callbacks, #requests, #worklist) as text."""
    table = app.screen.query_one(name, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def open_new_client(pilot, query: str) -> None:
    """Sign in as hoitaja1, search for `query`, choose to add a new client."""
    await sign_in(pilot, "hoitaja1")
    await pilot.press("n")
    await type_text(pilot, query)
    await pilot.pause()
    await pick_result(pilot, "new")
    assert isinstance(pilot.app.screen, NewClientScreen)


def screen_text(app) -> str:
    """What the screen shows, line after line joined (wrapped words join with a space)."""
    lines = ["".join(segment.text for segment in strip).strip() for strip in app.screen._compositor.render_strips()]
    return " ".join(lines)
