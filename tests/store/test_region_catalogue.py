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

from ..sync_helpers import CentralServer
from tests.central.test_region_import import copy_region, empty_device, run

OWN = "Kaarnan oma neuvonta"


@pytest.fixture
def db_url(db_url):
    CentralStore(db_url).close()  # `ohjaus db upgrade`
    return db_url


def test_the_imported_catalogue_reaches_the_device_and_replaces_the_data_folders(tmp_path, capsys, db_url):
    folder = copy_region(tmp_path)
    shipped_text = (shipped_data_dir() / "services.toml").read_text("utf-8")
    own = shipped_text.replace('name = { fi = "Kiirevastaanotto"', f'name = {{ fi = "{OWN}"', 1)
    assert own != shipped_text
    (folder / "services.toml").write_text(own, "utf-8")
    code, _out, err = run(capsys, "region", "--db", db_url, "import", str(folder))
    assert code == 0, err

    server = CentralServer(db_url, tmp_path / "server.log", demo=False).start()
    try:
        device = tmp_path / "device"
        empty_device(device, capsys, server, "KA-SAARI", ("health",))  # enrols and syncs
        store = Store(device)
        try:
            services = store.pull.region_catalogue()
            assert services is not None and services[0].code == "urgent_care"
            assert services[0].names["fi"] == OWN
            context = Context(store=store, shipped=load_shipped())
            assert context.shipped.service("urgent_care").names["fi"] == OWN  # the screens' catalogue
        finally:
            store.close()

        # A broken catalogue (written straight into the server, past the import's check) is
        # kept aside on the device with its file and line; the imported one stays in use.
        central = CentralStore(db_url, upgrade=False)
        central.load_reference(RecordType.CATALOGUE, [{"id": CATALOGUE_ID, "toml": "[[service]]\ncode = 7\n"}])
        central.close()
        code, out, err = run(capsys, "sync", "--data-dir", str(device))
        store = Store(device)
        try:
            kept = [q for q in store.pull.quarantined() if q.record_type == RecordType.CATALOGUE.value]
            assert len(kept) == 1 and "services.toml" in kept[0].detail
            assert store.pull.region_catalogue()[0].names["fi"] == OWN
        finally:
            store.close()
    finally:
        server.stop()
