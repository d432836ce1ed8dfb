"""ohjaus: keyboard-driven client guidance (asiakasohjaus) for a sote-keskus."""

from ohjaus_core import __version__

__all__ = ["__version__"]
