"""The words of a client's name as the name search matches them (issue 18).

A search term matches a client when it begins one of the words of their first or last name:
lower case, diacritics removed (ä as a, å as a, é as e), a word being a run of letters and
digits. The store keeps these words in an index of its own, each beside the name it sorts by,
so that the first matches in name order are read straight from the index.
"""

from __future__ import annotations

import json
import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")


def name_words(text: str) -> list[str]:
    """The words of `text`, folded for matching: "Mäki-Kuusela" -> ["maki", "kuusela"]."""
    folded = text.lower()
    if not folded.isascii():
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return _WORD.findall(folded)


def name_words_json(first_name: str | None, last_name: str | None) -> str:
    """The distinct words of a whole name as a JSON array (the index trigger's SQL function)."""
    words = name_words(first_name or "") + name_words(last_name or "")
    return json.dumps(sorted(set(words)), ensure_ascii=False)
