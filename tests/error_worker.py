"""Run by test_internal_error in a subprocess: the app meets an unexpected error mid-contact."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ohjaus_tui.screens.steps.need import NeedStep  # noqa: E402
from tests.conftest import build_app  # noqa: E402
from tests.pilot_helpers import sign_in  # noqa: E402


def broken(self, draft):
    raise RuntimeError(f"boom with client data {draft.reason}")


async def drive(pilot) -> None:
    await sign_in(pilot, "hoitaja1")
    await pilot.press("n")
    await pilot.press(*sys.argv[2], "enter")
    await pilot.press(*"Salainen syy", "enter")
    await pilot.pause()


NeedStep.apply = broken
if sys.argv[3:] == ["cli"]:
    # As `ohjaus --data-dir DIR` runs it: the command's exit status is what is checked.
    from functools import partialmethod

    from ohjaus_tui.app import OhjausApp
    from ohjaus.cli import main

    OhjausApp.run = partialmethod(OhjausApp.run, headless=True, auto_pilot=drive)
    sys.exit(main(["--data-dir", sys.argv[1]]))
app = build_app(Path(sys.argv[1]))
app.run(headless=True, auto_pilot=drive)
sys.exit(app.return_code or 0)
