"""scripts/reader_agreement.py: blind readers against the writer and the protocol, counts only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent
SOCIAL = ROOT / "tests" / "social_vignettes"


def test_the_second_readers_are_compared_without_showing_a_case():
    part = SOCIAL / "dev" / "social_dev8.toml"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "reader_agreement.py"), str(part),
         "--readers", str(ROOT / "tests" / "social_readers" / "sh7_reader_a.toml"), str(ROOT / "tests" / "social_readers" / "sh7_reader_b.toml")],
        capture_output=True, text=True, check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "cases read by the writer and every reader: 36"
    assert any(line.startswith("urgency: writer-sh7_reader_a ") and "sh7_reader_a-sh7_reader_b" in line for line in lines)
    assert any(line.startswith("segment: writer-sh7_reader_a ") for line in lines)
    # nothing of a case is printed: no id, no story
    assert "sh7_" not in done.stdout.replace("sh7_reader_a", "").replace("sh7_reader_b", "")
