"""The blind vignettes (issue 13): written from public guidance by helpers who never saw the
protocol files, findings marked from the stories and the question list only.

- blind/: development sets. The protocol editors have read them, so they are training sets now;
  every emergency in them is caught and stays caught.
- heldout/: the part kept aside, read by nobody who edits protocols. Measured, not taught: the
  floors below are the figures measured when it was first run (README, "Triage you can check"),
  so that a later protocol edit cannot quietly make the unseen cases worse. They are NOT the
  goal (every emergency, 90 % by class): a protocol changed because of a case here turns this
  part into a training set, and a new part must be written aside.
- outside/: the 45 vignettes of Semigran et al. 2015, an outside measure, with its own floor.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ohjaus_tui.domain.codes import Urgency
from ohjaus_tui.domain.protocols import load_protocols
from ohjaus_tui.domain.vignettes import load_vignettes, run_vignettes

ROOT = Path(__file__).resolve().parent.parent
VIGNETTES = ROOT / "tests" / "vignettes"
PROTOCOLS = load_protocols(ROOT / "data" / "protocols")


def outcomes(part: str):
    files = sorted((VIGNETTES / part).glob("*.toml"))
    assert files, part
    return run_vignettes([v for f in files for v in load_vignettes(f, PROTOCOLS)], PROTOCOLS)


DEV = outcomes("blind")


@pytest.mark.parametrize(
    "outcome", [o for o in DEV if o.vignette.expected is Urgency.EMERGENCY], ids=lambda o: o.vignette.id
)
def test_no_emergency_of_the_development_sets_is_under_triaged(outcome) -> None:
    assert outcome.suggested is Urgency.EMERGENCY, outcome.vignette.story


def test_the_development_sets_share_right_by_class() -> None:
    assert len(DEV) >= 238
    assert sum(o.correct for o in DEV) / len(DEV) >= 0.80


# (part, vignettes, right by class at least, emergencies caught at least): measured at first run
FLOORS = [
    ("heldout", 102, 66, 28),
    ("outside", 45, 24, 8),
]


@pytest.mark.parametrize(("part", "count", "right", "emergencies"), FLOORS, ids=[f[0] for f in FLOORS])
def test_the_parts_kept_aside_do_not_get_worse(part, count, right, emergencies) -> None:
    measured = outcomes(part)
    assert len(measured) == count
    assert sum(o.correct for o in measured) >= right
    caught = sum(o.suggested is Urgency.EMERGENCY for o in measured if o.vignette.expected is Urgency.EMERGENCY)
    assert caught >= emergencies


def test_the_report_gives_the_kept_aside_parts_figures_but_never_its_misses() -> None:
    from ohjaus_tui.domain.vignettes import report

    measured = outcomes("heldout")
    text = report(measured, VIGNETTES)
    assert "== heldout/" in text and "right by class" in text
    assert not any(o.vignette.id in text for o in measured if not o.correct)
    assert "are not listed" in text
