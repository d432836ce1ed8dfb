"""Kill the process (SIGKILL) at any step: the draft is offered and continues where it stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ohjaus_core.domain.codes import OutcomeKind
from ohjaus_core.domain.contact import Step
from ohjaus_tui.screens.confirm import ConfirmScreen
from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.screens.home import HomeScreen

from ..conftest import build_app
from ..factories import worker
from ..crash_worker import ADVICE, REASON
from ..pilot_helpers import a_client, focused_id, sign_in

WORKER = Path(__file__).parent.parent / "crash_worker.py"


def run_until_killed(data_dir: Path, code: str, stop: Step) -> None:
    process = subprocess.Popen(
        [sys.executable, str(WORKER), str(data_dir), code, str(int(stop))],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in process.stdout:
            if line.strip() == f"AT {int(stop)}":
                break
        else:
            pytest.fail(f"the worker process ended before step {stop.name}")
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("stop", [Step.NEED, Step.ASSESSMENT, Step.SEGMENT, Step.OUTCOME, Step.FOLLOW_UP, Step.SUMMARY])
async def test_a_killed_contact_is_offered_and_continues(data_dir, shipped, stop):
    app = build_app(data_dir, shipped)
    store = app.ctx.store
    client = a_client(store)
    run_until_killed(data_dir, client.identity_code, stop)

    nurse = worker(store, "hoitaja1")
    drafts = store.contacts.open_drafts(nurse.id)
    assert [d.step for d in drafts] == [stop]
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen), "the unfinished contact is offered"
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        draft = app.screen.draft
        assert draft.step == stop
        assert draft.client_id == client.id
        assert app.screen.query_one("#reason").value == (REASON if stop > Step.NEED else "")
        # Finish the contact from where it stopped.
        remaining = {
            Step.NEED: [*REASON, "enter", "enter", "y", "enter", "enter", "enter", *ADVICE, "enter", "enter", "enter"],
            Step.ASSESSMENT: ["enter", "y", "enter", "enter", "enter", *ADVICE, "enter", "enter", "enter"],
            Step.SEGMENT: ["enter", "enter", *ADVICE, "enter", "enter", "enter"],
            Step.OUTCOME: ["enter", *ADVICE, "enter", "enter", "enter"],
            Step.FOLLOW_UP: ["enter", "enter"],
            Step.SUMMARY: ["enter"],
        }[stop]
        if stop >= Step.FOLLOW_UP:
            assert draft.advice_text == ADVICE
        await pilot.press(*remaining)
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen), focused_id(pilot)
    assert store.contacts.open_drafts(nurse.id) == []
    signed = store.contacts.load_draft(drafts[0].id)
    assert signed.outcome_kind == OutcomeKind.ADVICE and signed.advice_text == ADVICE
    assert signed.reason == REASON
