"""The blind vignettes (issue 13): written from public guidance by helpers who never saw the
protocol files, findings marked from the stories and the question list only.

- blind/: development sets. The protocol editors have read them, so they are training sets now;
  every emergency in them is caught and stays caught, and the share right by class (whole and
  per class) does not fall below the floors measured when they were last worked on.
- heldout/: the part kept aside, read by nobody who edits protocols. Measured, not taught. The
  first parts kept aside became development sets once measured: w3 became blind/w3_dev3.toml and
  w4 (measured once: 111/130 right, 39/43 emergencies) blind/w4_dev4.toml, both on 5.12.2026. The
  part kept aside now is w5 (140, written blind 5.12.2026). It is run and reported without its
  misses; its floor is what it measured once (FLOORS below).
- outside/: the 45 vignettes of Semigran et al. 2015, an outside measure, with its own floor.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ohjaus_core.domain.codes import Urgency
from ohjaus_core.domain.protocols.loading import load_protocols
from ohjaus_core.domain.vignettes import load_vignettes, report, run_vignettes

ROOT = Path(__file__).resolve().parents[2]
VIGNETTES = ROOT / "tests" / "vignettes"
PROTOCOLS = load_protocols(ROOT / "data" / "protocols")


def files(part: str) -> list[Path]:
    return sorted((VIGNETTES / part).glob("*.toml"))


def outcomes(part: str):
    return run_vignettes([v for f in files(part) for v in load_vignettes(f, PROTOCOLS)], PROTOCOLS)


DEV = outcomes("blind")


@pytest.mark.parametrize(
    "outcome",
    [o for o in DEV if o.vignette.expected is Urgency.EMERGENCY],
    ids=lambda o: o.vignette.id,
)
def test_no_emergency_of_the_development_sets_is_under_triaged(outcome) -> None:
    assert outcome.suggested is Urgency.EMERGENCY, outcome.vignette.story


def right(measured, expected_class: str | None = None) -> int:
    return sum(o.correct for o in measured if expected_class is None or o.vignette.expected_class == expected_class)


# blind/ file: (vignettes, right by class at least, self-care right at least), measured when last worked on
# (5.12.2026, h13: with the nurse's concern a red flag, which costs w1_dev 5 and w2_dev 1 care cases)
DEV_FLOORS = {
    "w1_dev.toml": (51, 43, 15),
    "w1_dev2.toml": (68, 63, 15),
    "w2_dev.toml": (51, 47, 15),
    "w2_dev2.toml": (68, 65, 15),
    "w3_dev3.toml": (102, 94, 26),
    "w4_dev4.toml": (130, 124, 38),
}


def test_every_development_file_has_a_floor() -> None:
    assert sorted(f.name for f in files("blind")) == sorted(DEV_FLOORS)


@pytest.mark.parametrize("name", sorted(DEV_FLOORS))
def test_the_development_sets_do_not_get_worse(name) -> None:
    count, at_least, self_care_at_least = DEV_FLOORS[name]
    measured = [o for o in DEV if o.vignette.path.name == name]
    assert len(measured) == count
    assert right(measured) >= at_least
    assert right(measured, "self_care") >= self_care_at_least


def test_the_development_sets_share_right_by_class() -> None:
    assert len(DEV) >= 340
    assert right(DEV) / len(DEV) >= 0.90


# (part, vignettes, right by class at least, emergencies caught at least): measured at first run.
# heldout/: w5 (140, written blind 5.12.2026 while the protocols were edited, findings marked blind
# against the question list frozen at 02:55), measured once after h13: 126/140, 45/45 (the goal:
# every emergency, 90 %; without the nurse's concern 125/140, 42/45). outside/: Semigran 2015,
# findings marked blind: 30/45, 15/15 (21/45 and 6/15 without the concern).
FLOORS = [
    ("heldout", 140, 126, 45),
    ("outside", 45, 30, 15),
]


@pytest.mark.parametrize(("part", "count", "right_at_least", "emergencies"), FLOORS, ids=[f[0] for f in FLOORS])
def test_the_parts_kept_aside_do_not_get_worse(part, count, right_at_least, emergencies) -> None:
    measured = outcomes(part)
    assert len(measured) == count
    assert right(measured) >= right_at_least
    caught = sum(o.suggested is Urgency.EMERGENCY for o in measured if o.vignette.expected is Urgency.EMERGENCY)
    assert caught >= emergencies


@pytest.mark.skipif(not files("heldout"), reason="no part kept aside yet (tests/vignettes/heldout/ is empty)")
def test_the_part_kept_aside_is_measured_without_listing_its_misses() -> None:
    measured = outcomes("heldout")
    assert measured
    text = report(measured, VIGNETTES)
    assert "== heldout/" in text and "right by class" in text
    assert not any(o.vignette.id in text for o in measured if not o.correct)


def test_the_report_gives_the_kept_aside_parts_figures_but_never_its_misses(tmp_path) -> None:
    # a development file put in a heldout/ folder: its figures are printed, its misses are not
    (tmp_path / "heldout").mkdir()
    shutil.copy(VIGNETTES / "blind" / "w3_dev3.toml", tmp_path / "heldout" / "aside.toml")
    measured = run_vignettes(load_vignettes(tmp_path / "heldout" / "aside.toml", PROTOCOLS), PROTOCOLS)
    misses = [o for o in measured if not o.correct]
    assert misses, "the test needs a miss to hide"
    text = report(measured, tmp_path)
    assert "== heldout/" in text and "right by class" in text
    assert not any(o.vignette.id in text for o in misses)
    assert "are not listed" in text
