"""Argument types the command-line parsers of both sides use (ohjaus_tui.cli, ohjaus_central.cli)."""

from __future__ import annotations

import argparse
from datetime import date

from .i18n import _


def iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a date like 2026-11-25: {text}").format(text=text)) from None
