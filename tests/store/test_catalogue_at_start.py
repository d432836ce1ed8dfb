"""The region's catalogue a device already holds is checked at the start as one coming by sync
is: one stored before that check (or that an update of the program makes unfit) is kept aside,
the data folder's is used, and the worker is told why with the line F6 shows - never a crash."""

from __future__ import annotations

import json

from sqlmodel import Session
from textual.widgets import DataTable

from ohjaus_core.data_dir import shipped_data_dir
from ohjaus_core.protocol import CATALOGUE_ID, RecordType
from ohjaus_tui.context import Context
from ohjaus_tui.screens.sync_view import SyncViewScreen
from ohjaus_tui.store.models import Setting, SyncRecord
from ohjaus_tui.store.store import Store
from ohjaus_tui.store.sync_apply import REGION_CATALOGUE, REGION_CATALOGUE_OPTIONAL

from ..conftest import build_app
from ..factories import region_catalogue_in_use
from ..pilot_helpers import sign_in
from tests.domain.test_catalogue import without_service

OWN = "Kaarnan oma kiirevastaanotto"
WHY = "duty 'immediate_safety_response' is made to the service 'shelter'"


def _held(data_dir, toml: str, optional: str = "[]", seq: int = 7) -> None:
    """A region catalogue stored on the device as a sync before the check stored it."""
    store = Store(data_dir)
    try:
        with Session(store.engine) as session:
            session.merge(Setting(key=REGION_CATALOGUE, value=toml))
            session.merge(Setting(key=REGION_CATALOGUE_OPTIONAL, value=optional))
            session.merge(SyncRecord(record_type=RecordType.CATALOGUE.value, record_id=CATALOGUE_ID, seq=seq))
            session.commit()
    finally:
        store.close()


def _own() -> str:
    shipped = (shipped_data_dir() / "services.toml").read_text("utf-8")
    return shipped.replace('name = { fi = "Kiirevastaanotto"', f'name = {{ fi = "{OWN}"', 1)


async def test_an_unfit_catalogue_held_from_before_is_kept_aside_at_the_start_and_the_worker_told(data_dir, shipped):
    _held(data_dir, without_service(_own(), "shelter"))
    app = build_app(data_dir, shipped)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(0.5)
        store = app.ctx.store
        await sign_in(pilot, "hoitaja1")
        await pilot.pause()
        # The data folder's catalogue is in use: the shelter is there, the region's name is not.
        assert app.ctx.shipped.service("urgent_care").names["fi"] != OWN
        assert app.ctx.shipped.service("shelter") is not None
        notes = [str(n.message) for n in app._notifications]
        told = next(note for note in notes if WHY in note)
        assert "cannot be used on this device" in told
        kept = store.pull.quarantined()
        assert [(k.record_type, k.record_id, k.seq, k.reason) for k in kept] == [("catalogue", CATALOGUE_ID, 7, "invalid")]
        assert json.loads(kept[0].data)["toml"] == without_service(_own(), "shelter")
        assert region_catalogue_in_use(store) is None  # not taken again at the next start
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, SyncViewScreen)
        assert "Referral catalogue" in " ".join(str(c) for c in app.screen.query_one(DataTable).get_row_at(0))
        assert str(app.screen.query_one("#sync-detail").render()).endswith(told)


def test_a_catalogue_that_does_not_read_at_all_never_stops_the_start(data_dir, shipped):
    for toml, optional in (("[[service]]\ncode = 7\n", "[]"), (_own(), "not json"), ("[[service", '["x", 1]')):
        _held(data_dir, toml, optional)
        store = Store(data_dir)
        try:
            context = Context(store=store, shipped=shipped)
            assert context.shipped.catalogue == shipped.catalogue
            assert "cannot be used on this device" in context.catalogue_notice
            assert [k.record_type for k in store.pull.quarantined()] == ["catalogue"]
        finally:
            store.close()


def test_a_fitting_catalogue_held_stays_in_use_and_nothing_is_kept_aside(data_dir, shipped):
    _held(data_dir, _own())
    store = Store(data_dir)
    try:
        context = Context(store=store, shipped=shipped)
        assert context.shipped.service("urgent_care").names["fi"] == OWN
        assert context.catalogue_notice == "" and store.pull.quarantined() == []
    finally:
        store.close()
