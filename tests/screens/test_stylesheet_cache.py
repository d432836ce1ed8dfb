"""The sign-in screen's parsed CSS kept between starts (css_cache, start-up issue 18): the next
start draws the very same screen without parsing it, and a cache that does not fit is not used."""

from __future__ import annotations

import os

import pytest
from textual.css import stylesheet as textual_stylesheet

from ohjaus_tui.css_cache import FILE, StylesheetCache

from ..conftest import build_app


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OHJAUS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


async def start(data_dir, shipped, *, size=(80, 24)):
    """The application's start as cli/start.py runs it: the screen drawn, then its exit."""
    app = build_app(data_dir, shipped)
    app.stylesheet_cache = StylesheetCache(app.stylesheet)
    app.stylesheet_cache.load()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.export_screenshot(simplify=True)
        await pilot.press("down", "enter")  # the keys work at once: a name chosen, the passphrase asked
        await pilot.pause()
        asking = app.screen.has_class("asking")
    app.stylesheet_cache.save()
    return app.stylesheet_cache, screen, asking


def parsed_css(monkeypatch) -> list:
    """Every stylesheet Textual parses from now on."""
    seen = []
    original = textual_stylesheet.parse

    def parse(scope, css, read_from, **kwargs):
        seen.append(read_from)
        return original(scope, css, read_from, **kwargs)

    monkeypatch.setattr(textual_stylesheet, "parse", parse)
    return seen


async def test_the_next_start_draws_the_same_sign_in_screen_without_parsing_its_css(data_dir, shipped, cache_dir, monkeypatch):
    first, screen, asking = await start(data_dir, shipped)
    assert not first.loaded and (cache_dir / FILE).exists() and asking
    seen = parsed_css(monkeypatch)
    second, again, asking = await start(data_dir, shipped)
    assert second.loaded and asking
    assert again == screen
    # Only what the first screen did not need (the passphrase field, chosen after the paint).
    assert not any("Screen" in str(where) or "tcss" in str(where) or "OptionList" in str(where) for where in seen)


async def test_a_cache_of_other_theme_variables_or_another_textual_is_not_used(data_dir, shipped, cache_dir):
    await start(data_dir, shipped)
    path = cache_dir / FILE
    header, _, body = path.read_bytes().partition(b"\n")
    other = header.replace(b"#", b"%")  # other colours
    assert other != header
    path.write_bytes(other + b"\n" + body)
    cache, _screen, _asking = await start(data_dir, shipped)
    assert not cache.loaded
    assert path.read_bytes().partition(b"\n")[0] == header  # kept anew by that start


async def test_a_damaged_cache_or_one_others_could_write_is_only_slower(data_dir, shipped, cache_dir):
    _cache, screen, _asking = await start(data_dir, shipped)
    path = cache_dir / FILE
    os.chmod(path, 0o666)
    cache, again, _asking = await start(data_dir, shipped)
    assert not cache.loaded and again == screen
    path.write_bytes(path.read_bytes().partition(b"\n")[0] + b"\ngarbage")
    os.chmod(path, 0o600)
    cache, again, _asking = await start(data_dir, shipped)
    assert not cache.loaded and again == screen
