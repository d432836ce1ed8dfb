"""Textual's parsed stylesheets kept between starts (start-up, issue 18).

Parsing the CSS of the sign-in screen (app.tcss, login.tcss and the default CSS of Textual's
App, Screen, OptionList, Footer, FooterKey...) was ~8 ms of CPU before the first screen, every
start, for the same text. Textual keeps what it parsed in the stylesheet's own parse cache
(`Stylesheet._parse_cache`, keyed by the CSS text, where it was read from and how); this puts
the entries the first screen needed into that cache at the next start, before anything is
parsed, from a pickle in the user's cache directory (the shipped data's: `_ShippedCache`).

The entries are used only when made by the same Python and Textual code (its CSS modules'
sizes and times) for the same theme variables (the file's first line); the CSS text itself is
in every entry's key, so a changed stylesheet simply misses and is parsed. Textual clears the parse cache when the variables
change (a theme change), and parses anew. Only the application's start uses this
(`cli/start.py`), not tests or other hosts of the app. The file is unpickled only when no one
else could have written it, as the shipped data's (`_private`).
"""

from __future__ import annotations

import os
import sys

from .context import _private, _ShippedCache, write_cache_file

FILE = "stylesheet.pickle"


def _textual_css_code() -> list:
    """Textual's CSS code as it is installed: each module's name, size and time (not
    `textual.__version__`, which imports importlib.metadata: ~7 ms, issue 18)."""
    from textual import css

    folder = os.path.dirname(css.__file__)
    code = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            stat = os.stat(os.path.join(folder, name))
            code.append((name, stat.st_size, stat.st_mtime_ns))
    return code


class StylesheetCache:
    def __init__(self, stylesheet) -> None:
        self.stylesheet = stylesheet
        self.loaded: set = set()
        self.noted: list = []

    def _header(self) -> bytes:
        return repr((FILE, sys.version, _textual_css_code(), sorted(self.stylesheet._variables.items()))).encode()

    def load(self) -> None:
        """The kept entries into the stylesheet's parse cache (nothing when they do not fit)."""
        import pickle

        try:
            folder = _ShippedCache.directory()
            path = folder / FILE
            if not (_private(folder) and _private(path)):
                return  # unpickling runs code: only a file no one else could have written
            header, _, body = path.read_bytes().partition(b"\n")
            if header != self._header():
                return
            entries = pickle.loads(body)
            cache = self.stylesheet._parse_cache
            for key, rules in entries.items():
                cache.set(key, rules)
                self.loaded.add(key)
        except Exception:  # noqa: BLE001 - missing, stale or unreadable: Textual parses the CSS
            self.loaded.clear()

    def note(self) -> None:
        """The first screen is mounted: what was parsed for it is what the next start needs."""
        self.noted = list(self.stylesheet._parse_cache.keys())

    def save(self) -> None:
        """Keep the noted entries, when any of them was parsed by this start (first start,
        another Textual or theme, a changed stylesheet)."""
        import pickle

        if not self.noted or set(self.noted) <= self.loaded:
            return
        cache = self.stylesheet._parse_cache
        entries = {key: cache.get(key) for key in self.noted if key in cache}
        write_cache_file(FILE, lambda: self._header() + b"\n" + pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL))
