"""Hostile names and text through the screens: whatever a record holds (it can come from
another device or an import, past the store's own checks), the worker sees it literally,
no control character reaches the terminal, and one line stays one line."""

from __future__ import annotations

import asyncio
import shutil
import unicodedata
import uuid
from datetime import date

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ohjaus_core.domain.identity import make_identity_code
from ohjaus_core.domain.text import BIDI, LINE_NAME, free_text, shown
from ohjaus_tui.widgets.client_line import MUNICIPALITY_SHOWN
from ohjaus_tui.store.models import Client
from ohjaus_tui.store.store import Store

from ..conftest import FIXED_NOW, build_app
from ..pilot_helpers import sign_in, type_text

PIECES = [
    "[bold red]", "[/]", "[link=http://x]", "[@click=app.quit]", "\x1b[31m", "\x1b]0;title\x07",
    "\x1b[2J", "\x1b[1A", "\x00", "\x07", "\x08", "\r", "\n", "\t", "\x7f", "\x85", "\x9b",
    "\u202e", "\u202d", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", "\u200b", "\ufeff",
    "\u2028", "e" + "\u0301" * 30, "👩\u200d⚕️", "🇫🇮", "漢字", "Åsa", "Virtanen", "ﷺ",
]
hostile = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(min_size=1, max_size=4)), min_size=1, max_size=8
).map("".join)
# Some as 10,000 characters.
hostile_or_long = st.one_of(hostile, hostile, hostile.map(lambda s: (s * 10_000)[:10_000]))


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def raw_controls(lines: list[str]) -> list[str]:
    return [
        repr(char) for line in lines for char in line
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in BIDI
    ]


async def search_and_open(app, code: str, first: str, last: str, municipality: str, reason: str) -> str:
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("n")
        await type_text(pilot, code)
        await pilot.pause()
        results = app.screen.query_one("#client-results")
        prompt = results.get_option_at_index(0).prompt
        assert shown(f"{last} {first}", LINE_NAME) in prompt.plain
        assert shown(municipality, MUNICIPALITY_SHOWN) in prompt.plain
        lines = screen_lines(app)
        assert not raw_controls(lines)
        # The client's result is one line: the next line is the list's "New client".
        (at,) = [i for i, line in enumerate(lines) if "New client" in line]
        assert code in lines[at - 1] and code not in lines[at - 2]
        assert "esc Back" in lines[-1] and "f9 Language" in lines[-1], "the footer still shows"
        assert len(lines) == 30
        await pilot.press("enter")
        await pilot.pause()
        header = str(app.screen.query_one("#contact-header").render())
        assert shown(f"{last} {first}", LINE_NAME) in header
        assert "Service language: Finnish" in header, "the language of service stays in sight"
        reason_input = app.screen.query_one("#reason")
        reason_input.value = reason  # as a paste would put it there
        await pilot.press("enter")
        await pilot.pause()
        lines = screen_lines(app)
        assert not raw_controls(lines)
        assert "f9 Language" in lines[-1] and len(lines) == 30
        return app.screen.draft.id


# No shrinking: an example takes a second of Pilot; the failing one is printed as it is.
# A reason with nothing readable is refused by the need step (tests/domain/test_contact_rules.py).
@settings(max_examples=18, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=hostile_or_long, last=hostile_or_long, municipality=hostile, reason=hostile_or_long.filter(lambda r: bool(free_text(r).strip())), n=st.integers(900, 999))
def test_hostile_client_names_are_shown_literally_on_one_line(demo_template, tmp_path_factory, first, last, municipality, reason, n):
    data_dir = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(demo_template, data_dir)
    code = make_identity_code(date(1961, 3, 14), n)
    store = Store(data_dir)
    # Straight into the store, as a pulled record would come: add_client itself refuses these.
    store.clients.add_clients(
        [Client(
            id=str(uuid.uuid4()), first_name=first, last_name=last, identity_code=code,
            identity_temporary=True, birth_date=date(1961, 3, 14), language="fi",
            municipality=municipality, created_at=FIXED_NOW,
        )],
        FIXED_NOW,
    )
    store.close()
    app = build_app(data_dir)
    draft_id = asyncio.run(search_and_open(app, code, first, last, municipality, reason))
    store = Store(data_dir)
    assert store.contacts.load_draft(draft_id).reason == free_text(reason).strip(), "pasted: hidden characters dropped"
    store.close()
    shutil.rmtree(data_dir.parent)
