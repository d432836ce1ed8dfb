"""The `ohjaus` command: the one program a region installs, built from both sides.

ohjaus_tui (the device) and ohjaus_central (the central API) each contribute their commands;
this package builds one argparse parser from them and dispatches. It is the only place that
imports both (docs/settings.md lists the settings either side reads)."""

from ohjaus_core import __version__

__all__ = ["__version__"]
