"""Run by test_draft_recovery in a subprocess: drive a contact to a step, then wait to be killed.

argv: DATA_DIR CLIENT_CODE STOP_STEP
Prints "AT <step>" after the screen has moved to each step (and so saved the draft).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import build_app  # noqa: E402
from tests.pilot_helpers import sign_in  # noqa: E402

REASON = "Kysyy rokotusajoista"
ADVICE = "Ohjattu varaamaan aika sähköisesti"


async def main(data_dir: Path, code: str, stop: int) -> None:
    app = build_app(data_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        steps = [
            [*code, "enter"],
            [*REASON, "enter"],
            ["enter", "y", "enter"],  # advice only: only wants information (self-care criterion)
            ["enter"],
            ["enter", *ADVICE, "enter"],
            ["enter"],
        ]
        for keys in steps:
            await pilot.press(*keys)
            await pilot.pause()
            step = int(app.screen.draft.step)
            print(f"AT {step}", flush=True)
            if step >= stop:
                await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
