"""The ages the law draws lines at are named once (codes.CHILD_UNTIL, codes.STATUTORY_AGE) and
every rule that asks uses the name: a 17-year-old is a child for the deadlines and for the
catalogue alike, and a literal `age < 18` in one rule cannot drift from the others."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from ohjaus_core.domain.catalogue import Service, ServiceKind, by_need
from ohjaus_core.domain.codes import CHILD_UNTIL, Register, Urgency
from ohjaus_core.domain.deadlines.contact import DeadlineKind, contact_deadlines
from ohjaus_core.domain.deadlines.loading import load_region_rules

ROOT = Path(__file__).resolve().parents[2]


def _service(code: str, **fields) -> Service:
    return Service(
        code=code, kind=ServiceKind.SERVICE, register=Register.SOCIAL, service_areas=(), names={"fi": code},
        descriptions={}, contact="", warm_handover=False, **fields,
    )


def _is_age(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return "age" in name.lower().split("_")


def _age_literals() -> list[str]:
    """Every comparison of an age with a number other than 0, as `file:line: code`."""
    found = []
    for package in ("ohjaus_core", "ohjaus_tui", "ohjaus_central", "ohjaus"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Compare):
                    continue
                sides = [node.left, *node.comparators]
                number = any(
                    isinstance(s, ast.Constant) and type(s.value) is int and s.value != 0 for s in sides
                )
                if number and any(_is_age(s) for s in sides):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_rule_compares_an_age_with_a_literal_number():
    assert _age_literals() == [], "use codes.CHILD_UNTIL / codes.STATUTORY_AGE (or a region rule)"


@pytest.mark.parametrize("age, child", [(CHILD_UNTIL - 1, True), (CHILD_UNTIL, False)])
def test_the_deadlines_and_the_catalogue_agree_who_is_a_child(age, child):
    # The social assessment is completed within three months for a child (SWA 36 §) ...
    deadlines = contact_deadlines(
        load_region_rules(ROOT / "data" / "region.toml"), date(2026, 12, 7), register="social", urgency=Urgency.NON_URGENT, age=age,
    )
    done = next(d for d in deadlines if d.kind is DeadlineKind.SOCIAL_DONE)
    assert (done.day is not None) is child
    # ... and child welfare, the named receiver of a notification, comes first for a child
    # even where the other service is named by more answers.
    receiver = _service("child_welfare_intake", duty="child_welfare_notification", first_for=("child_at_risk",))
    other = _service("shelter", first_for=("violence_at_home", "nowhere_to_sleep_tonight"))
    first = by_need([other, receiver], [], age, answered=["child_at_risk", "violence_at_home", "nowhere_to_sleep_tonight"])[0]
    assert (first.code == "child_welfare_intake") is child
