"""The region's referral catalogue by sync (issue 17): a services.toml imported with the
region's folder reaches the devices at their next sync and replaces the data folder's; a broken
one that reaches a device anyway is kept aside with its reason, the one held before staying in
use. Against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from ohjaus_central.db import CentralStore
from ohjaus_tui.context import Context, load_shipped, shipped_data_dir
from ohjaus_tui.store.store import Store
from ohjaus_core.protocol import CATALOGUE_ID, RecordType

from ..factories import region_catalogue_in_use
from ..sync_helpers import enrolled_device, opened, region_server, run_cli as run
from tests.central.test_region_import import copy_region

OWN = "Kaarnan oma neuvonta"


@pytest.fixture
def db_url(db_url):
    CentralStore(db_url).close()  # `ohjaus db upgrade`
    return db_url


def _import_own_catalogue(tmp_path, capsys, db_url) -> str:
    """The region's folder imported with the shipped services.toml, one service renamed OWN:
    the catalogue's text."""
    folder = copy_region(tmp_path)
    shipped_text = (shipped_data_dir() / "services.toml").read_text("utf-8")
    own = shipped_text.replace('name = { fi = "Kiirevastaanotto"', f'name = {{ fi = "{OWN}"', 1)
    assert own != shipped_text
    (folder / "services.toml").write_text(own, "utf-8")
    code, _out, err = run(capsys, "region", "--db", db_url, "import", str(folder))
    assert code == 0, err
    return own


def test_the_imported_catalogue_reaches_the_device_and_replaces_the_data_folders(tmp_path, capsys, db_url):
    _import_own_catalogue(tmp_path, capsys, db_url)
    with region_server(db_url, tmp_path) as server:
        device = enrolled_device(tmp_path, capsys, server)  # enrols and syncs
        with opened(device) as store:
            services = region_catalogue_in_use(store)
            assert services is not None and services[0].code == "urgent_care"
            assert services[0].names["fi"] == OWN
            context = Context(store=store, shipped=load_shipped())
            assert context.shipped.service("urgent_care").names["fi"] == OWN  # the screens' catalogue

        # A broken catalogue (written straight into the server, past the import's check) is
        # kept aside on the device with its file and line; the imported one stays in use.
        central = CentralStore(db_url, upgrade=False)
        central.load_reference(RecordType.CATALOGUE, [{"id": CATALOGUE_ID, "toml": "[[service]]\ncode = 7\n"}])
        central.close()
        code, out, err = run(capsys, "sync", "--data-dir", str(device))
        with opened(device) as store:
            kept = [q for q in store.pull.quarantined() if q.record_type == RecordType.CATALOGUE.value]
            assert len(kept) == 1 and "services.toml" in kept[0].detail
            assert region_catalogue_in_use(store)[0].names["fi"] == OWN


def test_a_device_of_an_earlier_version_keeps_reading_a_catalogue_extended_with_an_ordering_field(
    tmp_path, capsys, db_url, monkeypatch
):
    """A region imports the shipped services.toml, which has `fallback_for`, and syncs it to a
    device of a version before that field (its strict reading does not know it). The central
    API names the fields that only order the referral list (catalogue.OPTIONAL_FIELDS): the
    device reads the catalogue without it, keeps nothing aside, and F6 says an update reads it.
    A field that is not named so (one a referral must get right) still refuses the catalogue:
    the one held stays in use, and the administrator's `ohjaus device list` names the device
    that needs an update."""
    from ohjaus_core.domain import catalogue

    own = _import_own_catalogue(tmp_path, capsys, db_url)
    assert "\nfallback_for = " in own

    # This device's version does not know fallback_for (the central API's does).
    monkeypatch.setattr(catalogue, "SERVICE_FIELDS", tuple(f for f in catalogue.SERVICE_FIELDS if f != "fallback_for"))
    with region_server(db_url, tmp_path) as server:
        device = enrolled_device(tmp_path, capsys, server)
        with opened(device) as store:
            assert store.pull.quarantined() == []
            assert region_catalogue_in_use(store)[0].names["fi"] == OWN  # in use
            assert store.pull.region_catalogue_ignored() == ["fallback_for"]  # F6 says so
        code, out, err = run(capsys, "device", "--db", db_url, "list")
        assert code == 0 and "needs an update" not in out

        central = CentralStore(db_url, upgrade=False)
        essential = own.replace('code = "urgent_care"', 'code = "urgent_care"\nduty_when = ["x"]', 1)
        assert essential != own
        central.load_reference(
            RecordType.CATALOGUE,
            [{"id": CATALOGUE_ID, "toml": essential, "optional": list(catalogue.OPTIONAL_FIELDS)}],
        )
        central.close()
        code, out, err = run(capsys, "sync", "--data-dir", str(device))
        assert code == 0, err
        with opened(device) as store:
            kept = [q for q in store.pull.quarantined() if q.record_type == RecordType.CATALOGUE.value]
            assert len(kept) == 1 and "duty_when" in kept[0].detail
            assert region_catalogue_in_use(store)[0].names["fi"] == OWN  # the one held, still in use
        code, out, err = run(capsys, "device", "--db", db_url, "list")
        assert code == 0, err
        assert out.count("needs an update: cannot read the region's referral catalogue") == 1


async def test_f6_says_which_fields_of_the_regions_catalogue_this_version_leaves_out(data_dir, shipped):
    import json

    from ohjaus_core.domain.catalogue import OPTIONAL_FIELDS
    from ohjaus_tui.store.sync_apply import REGION_CATALOGUE, REGION_CATALOGUE_OPTIONAL

    from ..conftest import build_app
    from ..pilot_helpers import sign_in

    text = (shipped_data_dir() / "services.toml").read_text("utf-8")
    newer = text.replace('code = "urgent_care"', 'code = "urgent_care"\nprefer_after = ["x"]', 1)
    store = Store(data_dir)
    store.set_setting(REGION_CATALOGUE, newer)
    store.set_setting(REGION_CATALOGUE_OPTIONAL, json.dumps([*OPTIONAL_FIELDS, "prefer_after"]))
    assert region_catalogue_in_use(store)[0].code == "urgent_care"
    store.close()
    app = build_app(data_dir, shipped)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "hoitaja1")
        await pilot.press("f6")
        await pilot.pause()
        line = str(app.screen.query_one("#sync-catalogue").render())
        assert "(prefer_after)" in line and "update of the application" in line
