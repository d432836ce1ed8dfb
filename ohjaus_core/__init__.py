"""ohjaus_core: what the device (ohjaus_tui) and the central API (ohjaus_central) share.

The domain rules (domain/), the texts (i18n, locale/), the sync contract (protocol) and
the shipped data's place (data_dir). It imports neither of them (tests/test_layers.py).
"""

__version__ = "0.1.0"
