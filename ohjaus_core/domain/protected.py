"""A client with a non-disclosure order (turvakielto, Population Information Act 661/2009
36 §): where they live is shown to nobody. The store keeps the municipality (the register's
data, synced as it is); every screen, export and report row shows this mark instead."""

from __future__ import annotations

from ..i18n import _


def non_disclosure() -> str:
    """The mark shown instead of the address and municipality (Turvakielto, Spärrmarkering)."""
    return _("Non-disclosure")


def municipality_shown(protected: bool, municipality: str) -> str:
    """The municipality as a screen, export or report row may show it."""
    return non_disclosure() if protected else municipality
