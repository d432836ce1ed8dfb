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


def test_the_consensus_takes_the_agreed_reading_else_the_adjudicated_one(tmp_path):
    """scripts/consensus.py: a field all readings agree on stays; one they differ on is the
    adjudicator's; duties and referrals stay the writer's; a differing field nobody settled is
    refused by its id."""
    import tomllib

    part = tmp_path / "part.toml"
    part.write_text(
        '[[vignette]]\nid = "a"\nexpected_urgency = "three_days"\nexpected_segment = "clear"\n'
        'duties = []\nreferrals = ["kela"]\n\n'
        '[[vignette]]\nid = "b"\nexpected_urgency = "same_day"\nexpected_segment = "complex"\n'
        'duties = ["child_welfare_notification"]\nreferrals = ["child_welfare"]\n', "utf-8")
    reader = tmp_path / "reader.toml"
    reader.write_text(
        '[[label]]\nid = "a"\nexpected_urgency = "non_urgent"\nexpected_segment = "clear"\n\n'
        '[[label]]\nid = "b"\nexpected_urgency = "same_day"\nexpected_segment = "complex"\n', "utf-8")
    settled = tmp_path / "settled.toml"
    settled.write_text('[[label]]\nid = "a"\nexpected_urgency = "non_urgent"\nexpected_segment = "advice"\n', "utf-8")
    out = tmp_path / "consensus.toml"
    command = [sys.executable, str(ROOT / "scripts" / "consensus.py"), str(part), "--readers", str(reader),
               "--adjudicated", str(settled), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert done.stdout.strip().endswith("2 cases; fields agreed 3, adjudicated 1")
    labels = {label["id"]: label for label in tomllib.loads(out.read_text("utf-8"))["label"]}
    assert (labels["a"]["expected_urgency"], labels["a"]["expected_segment"]) == ("non_urgent", "clear")
    assert labels["b"]["duties"] == ["child_welfare_notification"] and labels["a"]["referrals"] == ["kela"]
    settled.write_text('[[label]]\nid = "b"\nexpected_urgency = "same_day"\nexpected_segment = "complex"\n', "utf-8")
    refused = subprocess.run(command, capture_output=True, text=True)
    assert refused.returncode != 0 and "a: readings differ on expected_urgency" in refused.stderr
    # A reader without a label for a case of the part: refused, naming it.
    reader.write_text('[[label]]\nid = "b"\nexpected_urgency = "same_day"\nexpected_segment = "complex"\n', "utf-8")
    unread = subprocess.run(command, capture_output=True, text=True)
    assert unread.returncode != 0 and "no label for 1 case(s) of part.toml, the first a" in unread.stderr
