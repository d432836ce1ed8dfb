"""The server's fast paths (issue 18) give what the slow ones gave: the stored text of a
record byte for byte, the hidden-character verdict of every string, and a pull page or push
answer of the same content whether the framework or the fast route served it."""

from __future__ import annotations

import json
import random
import unicodedata

import pytest

from ohjaus_central.hot_path import _query
from ohjaus_central.batch import _json
from ohjaus_core.domain import text
from ohjaus_core.domain.text import hidden_character


def reference_hidden(value: str, keep_lines: bool) -> str | None:
    """hidden_character without its fast paths: every character looked at."""
    run = 0
    for index, char in enumerate(value):
        if keep_lines and char in "\n\t":
            continue
        if text._is_hidden(value, index):
            return text._escape(char)
        run = run + 1 if unicodedata.combining(char) else 0
        if run > text.MAX_COMBINING:
            return text._escape(char)
    return None


def some_strings(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pools = [
        (0, 0x80), (0x80, 0x100), (0x100, 0x300), (0x300, 0x370), (0x2000, 0x2070), (0x3160, 0x3170),
        (0xFE00, 0xFF00), (0x1F300, 0x1F400), (0x0E0000, 0x0E0080),
        # scripts above U+0300 with their own marks: Cyrillic, Hebrew points, Arabic, Thai, CJK
        (0x400, 0x480), (0x590, 0x5D0), (0x600, 0x660), (0xE00, 0xE60), (0x4E00, 0x4E40),
    ]
    found = []
    for _ in range(count):
        picked = [rng.choice(pools) for _ in range(rng.randrange(1, 3))]
        found.append("".join(chr(rng.randrange(*rng.choice(picked))) for _ in range(rng.randrange(0, 12))))
    return found + ["Mäkinen", "Åström\nrivi\ttab", "a\u00adb", "x\u0085y", "ok\x7f", "ä\u200b", "É\u0301\u0301\u0301\u0301\u0301"]


@pytest.mark.parametrize("keep_lines", [False, True])
def test_hidden_character_fast_paths_agree_with_looking_at_every_character(keep_lines):
    for value in some_strings(20_000, seed=18):
        assert hidden_character(value, keep_lines=keep_lines) == reference_hidden(value, keep_lines), repr(value)


def test_stored_record_text_is_json_dumps_byte_for_byte():
    rng = random.Random(7)
    for value in some_strings(5_000, seed=7) + ['quote " and \\ backslash', "\u2028\u2029", "\x00\x1f\x7f"]:
        record = {
            "text": value, "n": rng.randrange(-2**40, 2**40), "flag": True, "none": None,
            "list": [value, 1, {"b": value, "a": []}], value: 1, "date": "2026-12-05",
        }
        assert _json(record) == json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def test_a_lone_surrogate_still_gets_the_standard_librarys_text():
    assert _json({"a": "\ud800"}) == json.dumps({"a": "\ud800"}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def test_only_a_plainly_well_formed_pull_query_takes_the_fast_route():
    assert _query(b"") == (0, 500)
    assert _query(b"after=12&limit=1000") == (12, 1000)
    assert _query(b"limit=3") == (0, 3)
    # Anything else goes to the framework, which answers it as before (422 with what is wrong).
    for raw in (b"after=-1", b"after=1&after=2", b"limit=0", b"limit=1001", b"after=x", b"after=",
                b"after=1&other=2", b"after=%31", b"after=4611686018427387905", b"after=+1", b"limit= 1"):
        assert _query(raw) is None, raw


def test_a_large_push_is_read_and_checked_off_the_event_loop(monkeypatch):
    """A push of a few changes is checked on the event loop (issue 18: no thread hop for the
    common small push), but only when its body is small: 17 contacts with long notes in a
    script whose every character is looked at (4 MiB) held the event loop ~3 s, and every other
    device's pull and push waited behind it (sec2 probe). Where the checks ran, not how long."""
    import asyncio
    import threading
    import types
    import uuid
    from concurrent.futures import Future

    from ohjaus_central import hot_path

    where: list[tuple[str, bool]] = []
    checked = hot_path.prepare_push

    def recording(changes):
        where.append(("checks", threading.current_thread() is threading.main_thread()))
        return checked(changes)

    monkeypatch.setattr(hot_path, "prepare_push", recording)
    read = hot_path._push_body
    monkeypatch.setattr(hot_path, "_push_body", lambda *a: where.append(("read", threading.current_thread() is threading.main_thread())) or read(*a))

    class Changes:
        def submit(self, dev, changes, prepared):
            done: Future = Future()
            done.set_result([])
            return done

    routes = hot_path.FastRoutes(app=None, store=types.SimpleNamespace(changes=Changes()))
    device = types.SimpleNamespace(integration=False)

    def body(note: str) -> bytes:
        change = {"id": str(uuid.uuid4()), "type": "merge", "record_id": "x", "base_seq": 0, "data": {"note": note}}
        return json.dumps({"changes": [change] * 3}).encode()

    async def pushed(raw: bytes) -> int:
        scope = {"type": "http", "path": "/v1/push", "method": "POST", "ohjaus.device": device,
                 "headers": [(b"content-type", b"application/json")]}
        sent = []

        async def receive():
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message):
            sent.append(message)

        await routes(scope, receive, send)
        return sent[0]["status"]

    assert asyncio.run(pushed(body("Lepoa ja nestettä."))) == 200
    assert where == [("read", True), ("checks", True)]  # on the event loop (the main thread here)
    where.clear()
    assert len(body("ж" * 20_000)) > 300_000  # (three changes: on the event loop by their number alone)
    assert asyncio.run(pushed(body("ж" * 20_000))) == 200
    assert where == [("read", False), ("checks", False)]
