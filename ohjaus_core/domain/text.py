"""Text typed by people, made safe to show and checked where it enters.

Names and free text reach the screen from the keyboard, from a paste, from another device
through the central API and (later) from imports. Whatever they hold, the worker must see
what is there - not a terminal escape that recolours the screen, not a right-to-left override
that shows "Virtanen" for another string, not an invisible character that makes two names
look the same - and one line must stay one line.

`shown(value)` is for the screen: every such character becomes a visible escape in the form
Python and support tools use (`\\x1b`, `\\u202e`). We chose that over control pictures (the
tiny U+241B "␛" glyphs) because a worker can read it out on the phone to support, it looks
like nothing that belongs in a name, and it is the same text a developer finds in a log.

`hidden_character(value)` is the check where text enters: names refuse what `shown` would
escape. Free text (`free_text`) keeps new lines and tabs and drops the rest silently: it is
mostly pasted from a chat or another system, where such a character is invisible to the
worker; refusing would send them hunting for something they cannot see, and dropping it
loses nothing they could read.
"""

from __future__ import annotations

import re
import unicodedata

from ..i18n import N_, _
from .errors import DomainError

MAX_NAME = 100  # characters in a name or a municipality
NEWLINE_MARK = "↵"  # a line break shown inside a one-line field
ELLIPSIS = "…"
MAX_COMBINING = 4  # combining marks kept on one base character when shown ("Zalgo" text)
# Characters shown at most: a name on one line, a note in a table cell, free text in the
# summary (where 20,000 pasted characters would push the signing line off the screen).
NAME_SHOWN = 2 * MAX_NAME + 1
NOTE_SHOWN = 120
LINE_NAME = 48  # a name with more after it on the line (the code, the language): that stays in sight
TEXT_SHOWN = 600

# Bidirectional controls: embeddings, overrides, isolates and the invisible direction marks.
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Characters that draw nothing though they are letters or symbols (Hangul fillers, the blank
# Braille pattern, the combining grapheme joiner): two names that differ only by them look the
# same, and a name made of them looks empty.
BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")
# Joiners are legitimate between letters of scripts that need them (Persian, Indic) and in
# emoji sequences; between ASCII letters they only hide a difference.
_JOINERS = frozenset("\u200c\u200d")
_BLANK = re.compile("[" + "".join(sorted(BLANK)) + "]")
_ABOVE_LATIN = re.compile("[\u0300-\U0010ffff]")


_ASCII_TEXT = re.compile(r"[ -~\n\t]*")  # printable ASCII, new lines and tabs


class InvalidText(DomainError):
    """A name or text holds a character that cannot be shown, or is too long."""


def _is_hidden(value: str, index: int) -> bool:
    """A character that does not show as itself: control, format (invisible), bidi, lone
    surrogate, unassigned, line or paragraph separator."""
    char = value[index]
    if char in BIDI or char in BLANK:
        return True
    category = unicodedata.category(char)
    # Cn: unassigned, so no terminal can draw it as anything a worker could read.
    if category in ("Cc", "Cs", "Cn", "Zl", "Zp"):
        return True
    if category != "Cf":
        return False
    if char in _JOINERS:
        before = value[index - 1] if index > 0 else "a"
        after = value[index + 1] if index + 1 < len(value) else "a"
        return before.isascii() or after.isascii()
    return True


def _escape(char: str) -> str:
    point = ord(char)
    if point < 0x100:
        return f"\\x{point:02x}"
    if point < 0x10000:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def width(char: str) -> int:
    """Terminal cells a character takes: wide (East Asian, most emoji) 2, combining 0."""
    if unicodedata.combining(char) or char in _JOINERS or "\ufe00" <= char <= "\ufe0f":
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def shown(value: str | None, limit: int | None = None, *, multiline: bool = False) -> str:
    """The text as it may go on the screen: hidden characters as visible escapes, line
    breaks as ↵ (kept when `multiline`), tabs as a space, at most `limit` terminal cells
    (cut with …). Markup needs no escaping here: the screens put text in rich Text objects."""
    if not value:
        return ""
    if limit is not None:
        value = value[: limit * 4 + 16]  # no need to look at 10,000 characters for 60 cells
    out: list[str] = []
    cells = 0
    text = value.replace("\r\n", "\n")
    lookalikes = _lookalikes(text)
    index, end = 0, len(text)
    while index < end:
        char = text[index]
        if char == "\n" or char in "\r\u2028\u2029":
            piece = "\n" if multiline else NEWLINE_MARK
        elif char == "\t":
            piece = "\t" if multiline else " "
        elif _is_hidden(text, index) or index in lookalikes:
            piece = _escape(char)
        elif unicodedata.combining(char):
            # A run of marks on one base: kept when a few, all escaped when they stack up.
            run_end = index
            while run_end < end and unicodedata.combining(text[run_end]):
                run_end += 1
            run = text[index:run_end]
            index = run_end
            if len(run) <= MAX_COMBINING:
                out.append(run)
                continue
            piece = "".join(_escape(mark) for mark in run)
            index -= 1  # the loop's step below
        else:
            piece = char
        index += 1
        cells_needed = sum(width(c) for c in piece)
        if limit is not None and cells + cells_needed > limit:
            # Too long: cut, leaving a cell for the ellipsis.
            while out and cells > limit - 1:
                cells -= sum(width(c) for c in out.pop())
            return "".join(out) + ELLIPSIS
        cells += cells_needed
        out.append(piece)
    return "".join(out)


# -- look-alike letters of another script ---------------------------------------------------------

_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def _script(char: str) -> str | None:
    if char.isascii():
        return "LATIN" if char.isalpha() else None
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    for script in _SCRIPTS:
        if name.startswith(script):
            return script
    return None


def _lookalikes(value: str) -> set[int]:
    """The places of letters that break their word's script: in a word that mixes Latin with
    Cyrillic or Greek ("Virtаnen" with a Cyrillic а), the letters of the scripts fewer of
    its letters are in (on a tie, the non-Latin ones). A name wholly in one script, and
    Finnish, Swedish and Sámi letters (ä ö å š ž č đ ŋ ŧ ʒ), are not touched."""
    if not value or max(value) < "\u0370":  # below Greek: nothing to mix with Latin
        return set()
    found: set[int] = set()
    word: list[tuple[int, str]] = []
    for index, char in enumerate(value + " "):
        script = _script(char) if index < len(value) else None
        if script is not None:
            word.append((index, script))
            continue
        if char.isalpha() or unicodedata.combining(char) or char in "'’":
            continue  # a letter of no script listed, a mark, an apostrophe: the word goes on
        if word:
            counts: dict[str, int] = {}
            for _index, letter_script in word:
                counts[letter_script] = counts.get(letter_script, 0) + 1
            if len(counts) > 1:
                base = max(counts, key=lambda s: (counts[s], s == "LATIN"))
                found.update(i for i, letter_script in word if letter_script != base)
            word = []
    return found


def mixed_script(value: str | None) -> str | None:
    """The first look-alike letter of another script in a word (see `_lookalikes`), as its
    escape and name (e.g. "\\u0430 CYRILLIC SMALL LETTER A"), or None."""
    if not value:
        return None
    places = _lookalikes(value)
    if not places:
        return None
    char = value[min(places)]
    return f"{_escape(char)} {unicodedata.name(char, '')}"


def hidden_character(value: str, *, keep_lines: bool = False) -> str | None:
    """The first character `shown` would escape, as its escape (e.g. "\\u202e"), or None.
    With `keep_lines`, new lines and tabs are allowed (free text)."""
    # Fast path (issue 18): printable ASCII - ids, codes, most names and notes - holds
    # nothing hidden and no combining marks; one check for the whole string.
    if value.isascii() and (value.isprintable() or (keep_lines and _ASCII_TEXT.fullmatch(value))):
        return None
    # And printable text below U+0300 (Latin-1 and Latin Extended: Finnish, Swedish, Sámi):
    # no control, format, separator or unassigned character (isprintable), and neither a
    # combining mark nor a blank letter, which all lie above it. One pass in C.
    if _ABOVE_LATIN.search(value) is None:  # (max(value) took as long as the rest)
        if value.isprintable() or (keep_lines and value.replace("\n", "").replace("\t", "").isprintable()):
            return None
    # And any printable text (Cyrillic, Arabic, CJK, emoji): isprintable leaves out every
    # control, format (bidi, joiners), separator, surrogate and unassigned character, so what
    # `_is_hidden` could still find is a blank letter, and a run of combining marks needs a
    # combining mark among its distinct characters. In C but for one call per distinct
    # character (sec2 probe: the loop below took ~1.5 us a character, 3 s for a 4 MiB push).
    elif value.isprintable() or (keep_lines and value.replace("\n", "").replace("\t", "").isprintable()):
        if _BLANK.search(value) is None and not any(map(unicodedata.combining, set(value))):
            return None
    run = 0
    for index, char in enumerate(value):
        if keep_lines and char in "\n\t":
            continue
        if _is_hidden(value, index):
            return _escape(char)
        run = run + 1 if unicodedata.combining(char) else 0
        if run > MAX_COMBINING:  # marks stacked on one letter
            return _escape(char)
    return None


def check_name(field: str, value: str | None, limit: int = MAX_NAME) -> None:
    """Refuse a name (or another one-line field) that holds a hidden character or is too
    long, naming the field; `field` is its label in the worker's language."""
    if not value:
        return
    found = hidden_character(value)
    if found is not None:
        raise InvalidText(
            _("{field} holds a character that cannot be shown ({char}); type it again without it.").format(
                field=field, char=found
            )
        )
    if len(value.strip()) > limit:
        raise InvalidText(
            _("{field} is too long: at most {limit} characters.").format(field=field, limit=limit)
        )
    lookalike = mixed_script(value)
    if lookalike is not None:
        raise InvalidText(
            _("{field} mixes letters of two scripts in one word ({char}): it would look like "
              "another name. Type it again in one script.").format(field=field, char=lookalike)
        )


NAME_FIELDS = {
    "first_name": N_("First name"), "last_name": N_("Last name"), "municipality": N_("Municipality"),
}


def check_client_fields(**fields: object) -> None:
    """Check a client's names (first_name, last_name, municipality) as the store takes them."""
    for name, value in fields.items():
        check_name(_(NAME_FIELDS[name]), str(value) if value is not None else None)


def free_text(value: str) -> str:
    """Free text (reason, advice, notes) with new lines and tabs kept and every other hidden
    character dropped (see the module's docstring for why dropped, not refused)."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    if hidden_character(text, keep_lines=True) is None:
        return text
    return "".join(
        char for index, char in enumerate(text)
        if char in "\n\t" or not _is_hidden(text, index)
    )
