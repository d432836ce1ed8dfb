"""SIGKILL at random points while saving: every reported save survives, nothing is half-written.

The full 250-kill run is `python bench/durability.py`; the suite runs a shorter one.
"""

from __future__ import annotations

from ..durability import kill_at_random


def test_random_kills_lose_nothing_reported_and_leave_nothing_half_written(data_dir):
    counts = kill_at_random(data_dir, iterations=40)
    assert counts["reported_saves"] > 40  # the kills did land between saves, not before any
