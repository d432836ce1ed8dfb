"""A push request that goes away while the writer holds it must not stop the writer: every
later push in the region would wait for ever (review of issue 18's push, 5.12.2026)."""

from __future__ import annotations

import asyncio
import threading
import types

from ohjaus_central import hot_path
from ohjaus_central.store.changes import _Writer


class SlowChanges:
    """The writer's side of the store: each group takes until it is let go."""

    def __init__(self) -> None:
        self.writing = threading.Event()
        self.go_on = threading.Event()
        self.groups = 0
        self.writer = _Writer(self)

    def submit(self, dev, changes, prepared=None):
        return self.writer.submit(dev, changes, prepared)

    def _push_group(self, requests, prepared=None, read_first=True):
        self.groups += 1
        self.writing.set()
        self.go_on.wait(5)
        return [[] for _ in requests]


def test_a_push_cancelled_while_written_leaves_the_next_push_answered():
    changes = SlowChanges()
    store = types.SimpleNamespace(changes=changes)

    async def scenario():
        first = asyncio.create_task(hot_path.push(store, object(), []))
        await asyncio.to_thread(changes.writing.wait, 5)
        first.cancel()  # the client went away, or the server is stopping
        await asyncio.gather(first, return_exceptions=True)
        changes.go_on.set()
        return await asyncio.wait_for(hot_path.push(store, object(), []), 5)

    answer = asyncio.run(scenario())
    assert answer.status_code == 200 and answer.body == b'{"answers":[]}'
    assert changes.writer.thread.is_alive()
    assert changes.groups == 2  # the cancelled push was written all the same (idempotent)
