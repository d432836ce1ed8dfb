"""A team lead reads the figures on the reports screen; a nurse is refused; how it looks."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from ohjaus_core.i18n import set_language
from ohjaus_tui.screens.home import HomeScreen
from ohjaus_tui.screens.reports import ReportsScreen
from ohjaus_tui.store.reports import make_report

from ..conftest import FIXED_NOW, build_app
from ..pilot_helpers import sign_in

SIZES = {"100x30": (100, 30), "80x24": (80, 24)}


async def counted(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def shown(app, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}", Static).render())


async def test_a_team_lead_reads_the_reports_and_switches_the_range(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "esihenkilo1")
        await pilot.press("r")
        await counted(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen) and screen.days == 30
        ctx = app.ctx
        today = FIXED_NOW.date()
        from datetime import timedelta

        expected = make_report(ctx.store, ctx.shipped.region, today - timedelta(days=29), today, ctx.now())
        assert expected.contacts > 0
        assert screen.report == expected
        assert f"Contacts{expected.contacts:>{32 - len('Contacts')}}" in shown(app, "numbers-contacts")
        await pilot.press("1")
        await counted(pilot)
        assert screen.days == 7 and len(screen.report.by_day) == 7
        week = make_report(ctx.store, ctx.shipped.region, today - timedelta(days=6), today, ctx.now())
        assert screen.report.contacts == week.contacts
        assert "Last 7 days" in shown(app, "reports-status")
        await pilot.press("9")
        await counted(pilot)
        assert len(screen.report.by_day) == 90 and screen.report.contacts == 40  # every demo contact
        await pilot.press("u")
        await counted(pilot)
        assert screen.report.unit_code == "JL-KESK"
        assert "JL-KESK" in shown(app, "reports-title")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_a_nurse_is_told_the_reports_are_for_team_leads(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert any("for team leads" in str(n.message) for n in app._notifications)


def open_reports(days_key: str | None = None):
    async def run_before(pilot) -> None:
        await pilot.pause()
        await sign_in(pilot, "esihenkilo1")
        await pilot.press("r")
        await counted(pilot)
        if days_key:
            await pilot.press(days_key)
            await counted(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_of_the_reports(snap_compare, data_dir, shipped, size):
    set_language("fi")
    app = build_app(data_dir, shipped)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=open_reports())


@pytest.mark.parametrize("size", SIZES)
async def test_no_report_label_is_cut(app, size):
    """At 100 and at 80 columns, in Finnish, a profession, segment or service is named in
    full ("Tunnistetut paljon palveluita tarvitsevat", not "Tunnistetut paljon palvel…") and
    parted from its figure ("Terveydenhoitaja 0,1 pv", not "Terveydenhoitaja0,1 pv")."""
    set_language("fi")
    async with app.run_test(size=SIZES[size]) as pilot:
        await sign_in(pilot, "esihenkilo1")
        await pilot.press("r")
        await counted(pilot)
        more = shown(app, "reports-more")
        assert "…" not in more, more
        assert "Tunnistetut paljon palveluita tarvitsevat " in more
        assert "Terveydenhoitaja " in more and "Terveydenhoitaja0" not in more
        width = app.screen.query_one("#reports-more").content_region.width
        assert max(len(line) for line in more.splitlines()) <= width
