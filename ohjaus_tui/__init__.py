"""ohjaus: keyboard-driven client guidance (asiakasohjaus) for a sote-keskus."""

__version__ = "0.1.0"
