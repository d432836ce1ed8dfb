"""Text typed by people, as the screen shows it and as the store takes it (domain/text.py)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ohjaus_core.domain.text import (
    ELLIPSIS,
    NEWLINE_MARK,
    InvalidText,
    check_name,
    free_text,
    hidden_character,
    shown,
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Virtanen", "Virtanen"),
        ("[bold]Eve[/]", "[bold]Eve[/]"),  # markup is the Text object's business: kept as typed
        ("\x1b[31mPunainen", "\\x1b[31mPunainen"),
        ("bell\x07", "bell\\x07"),
        ("del\x7f", "del\\x7f"),
        ("c1\x9b2J", "c1\\x9b2J"),
        ("abc\u202eneg", "abc\\u202eneg"),
        ("\u2066iso\u2069", "\\u2066iso\\u2069"),
        ("lrm\u200e", "lrm\\u200e"),
        ("arabic\u061cmark", "arabic\\u061cmark"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("Vir\u200dtanen", "Vir\\u200dtanen"),  # a joiner between Latin letters only hides
        ("👩\u200d⚕️", "👩\u200d⚕️"),  # in an emoji sequence it is kept
        ("two\nlines", f"two{NEWLINE_MARK}lines"),
        ("cr\r\nlf", f"cr{NEWLINE_MARK}lf"),
        ("tab\there", "tab here"),
        ("sep\u2028line", f"sep{NEWLINE_MARK}line"),
        ("Åsa Öberg-Mäkelä", "Åsa Öberg-Mäkelä"),
    ],
)
def test_shown_makes_every_hidden_character_visible(value, expected):
    assert shown(value) == expected


def test_shown_keeps_lines_where_the_place_has_room_for_them():
    assert shown("a\nb\tc\x1b", multiline=True) == "a\nb\tc\\x1b"


def test_shown_cuts_a_long_string_with_an_ellipsis():
    assert shown("x" * 10_000, 40) == "x" * 39 + ELLIPSIS
    assert shown("short", 40) == "short"
    assert shown("\x1b" * 100, 20) == "\\x1b" * 4 + ELLIPSIS  # an escape is never cut in two


def test_a_pile_of_combining_marks_is_shown_escaped_and_a_few_are_kept():
    zalgo = "Z" + "\u0301" * 50 + "a"
    assert shown(zalgo) == "Z" + "\\u0301" * 50 + "a"  # visible, on one line's height
    assert shown("Åke") == "Åke" and shown("A\u030ake") == "A\u030ake"
    assert shown("Vie\u0323\u0302t") == "Vie\u0323\u0302t"  # ệ decomposed: two marks stay


def test_characters_that_draw_nothing_are_shown_escaped_and_refused_in_a_name():
    from ohjaus_core.domain.text import InvalidText, check_name

    for blank in ("\u3164", "\u115f", "\u1160", "\uffa0", "\u2800", "\u034f"):
        assert shown(f"Vir{blank}tanen") == f"Vir\\u{ord(blank):04x}tanen"
        with pytest.raises(InvalidText, match="cannot be shown"):
            check_name("Last name", f"Vir{blank}tanen")
    with pytest.raises(InvalidText, match="cannot be shown"):
        check_name("Last name", "Z" + "\u0301" * 8)


def test_a_latin_name_with_a_cyrillic_or_greek_look_alike_is_flagged():
    from ohjaus_core.domain.text import InvalidText, check_name, mixed_script

    assert shown("Virt\u0430nen") == "Virt\\u0430nen"  # Cyrillic а in a Latin name
    assert shown("Mikk\u03bfla") == "Mikk\\u03bfla"  # Greek ο
    assert mixed_script("Virt\u0430nen") == "\\u0430 CYRILLIC SMALL LETTER A"
    with pytest.raises(InvalidText, match="two scripts"):
        check_name("Last name", "Virt\u0430nen")


@pytest.mark.parametrize(
    "name",
    ["Äänismaa", "Öhman Åsa", "Šárka Žižek", "Čáp Đorđe", "Ŋuolja Ŧovdna Ʒiŋŋa", "José Müller-Lüdenscheidt",
     "O’Brien", "Иванов Пётр", "Παπαδόπουλος Νίκος", "Nguyễn Thị", "Νίκος Virtanen"],
)
def test_legitimate_names_are_shown_as_typed_and_accepted(name):
    from ohjaus_core.domain.text import check_name, mixed_script

    assert shown(name) == name and mixed_script(name) is None
    check_name("Last name", name)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_nothing_shown_is_a_control_bidi_or_format_character(value):
    result = shown(value)
    for char in result:
        assert unicodedata.category(char) not in ("Cc", "Cs", "Zl", "Zp"), repr(char)
        assert char not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    assert "\n" not in result
    assert hidden_character(result) is None or "\u200c" in result or "\u200d" in result


@pytest.mark.parametrize("value", ["Eve\x1b[2J", "Anna\u202eaksin", "Bo\x00b", "Ma\u200bri", "two\nlines"])
def test_a_name_with_a_hidden_character_is_refused_naming_the_field_and_the_character(value):
    with pytest.raises(InvalidText) as refused:
        check_name("First name", value)
    message = str(refused.value)
    assert "First name" in message and "\\" in message


def test_a_name_over_the_limit_is_refused_and_a_usual_one_taken():
    with pytest.raises(InvalidText, match="Last name is too long: at most 100"):
        check_name("Last name", "x" * 101)
    check_name("Last name", "Kallio-Kyllönen")
    check_name("Last name", "x" * 100)


def test_free_text_keeps_lines_and_tabs_and_drops_other_hidden_characters():
    assert free_text("Kuume\r\n3 päivää\tyskä\x1b[31m\u202e\x00") == "Kuume\n3 päivää\tyskä[31m"
    assert free_text("tavallinen teksti") == "tavallinen teksti"


def test_the_limit_counts_terminal_cells():
    assert shown("😀" * 30, 11) == "😀" * 5 + ELLIPSIS
    assert shown("x" * 40, 40) == "x" * 40


def test_the_ascii_fast_path_refuses_every_ascii_control_as_before():
    """Printable ASCII is passed by one check (issue 18); any other ASCII character still
    goes through the character-by-character check, with and without kept lines."""
    from ohjaus_core.domain.text import hidden_character

    for point in range(128):
        char = chr(point)
        for keep_lines in (False, True):
            found = hidden_character(f"Virtanen{char}Matti", keep_lines=keep_lines)
            allowed = 0x20 <= point < 0x7F or (keep_lines and char in "\n\t")
            assert found == (None if allowed else f"\\x{point:02x}"), (point, keep_lines)
    assert hidden_character("a" * 10_000) is None
    assert hidden_character("Mäki\u202e") == "\\u202e"  # not ASCII: the full check
