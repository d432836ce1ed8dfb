"""What `ohjaus region import` tells an administrator of the region's services.toml: it travels
to the devices as their catalogue (docs/region.md), so its report says so and counts it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ohjaus_central.db import CentralStore
from ohjaus.cli import main
from ohjaus_core.data_dir import shipped_data_dir
from ohjaus_core.protocol import RecordType

REGION = Path(__file__).parent.parent / "data" / "region_kaarna"


@pytest.fixture
def db_url(db_url):
    CentralStore(db_url).close()  # as `ohjaus db upgrade` leaves it
    return db_url


def test_the_region_s_catalogue_is_reported_as_sent_and_a_change_of_it_alone_counts(tmp_path, capsys, db_url):
    folder = tmp_path / "region"
    shutil.copytree(REGION, folder)
    shutil.copy(shipped_data_dir() / "services.toml", folder / "services.toml")

    def imported() -> str:
        assert main(["--lang", "en", "region", "--db", db_url, "import", str(folder)]) == 0
        return capsys.readouterr().out

    shipped = (shipped_data_dir() / "services.toml").read_text("utf-8").count("[[service]]")
    out = imported()
    assert f"services: {shipped} checked, sent to the devices as the region's catalogue" in out
    assert "read them from their data folder" not in out  # they do not: it replaces theirs
    assert "72 changes;" in out  # 2 units, 6 workers, 4 professionals, 59 slots and the catalogue
    out = imported()
    assert f"services: {shipped} checked, the same catalogue as the devices already get" in out
    assert "0 changes: the database already held these files." in out
    # The region edits a service's phone number and nothing else: the devices get it.
    path = folder / "services.toml"
    path.write_text(path.read_text("utf-8").replace("+358 9 4242 1000", "+358 9 4242 1001", 1), "utf-8")
    out = imported()
    assert "sent to the devices as the region's catalogue" in out
    assert "1 changes; devices receive them at their next sync." in out


def test_a_calendar_cut_short_is_refused_and_retires_no_slot(tmp_path, capsys, db_url):
    """A scheduling system's export copied half-way: the icalendar library read the events
    before the cut and dropped the rest without a word, so the import retired the 45 future
    slots of the calendar. Refused at the event left open, nothing changed."""
    folder = tmp_path / "region"
    shutil.copytree(REGION, folder)
    assert main(["--lang", "en", "region", "--db", db_url, "import", str(folder)]) == 0
    capsys.readouterr()
    path = folder / "slots" / "kaarna.ics"
    lines = path.read_bytes().splitlines(keepends=True)
    cut = len(lines) // 2
    while lines[cut - 1].startswith(b"END:VEVENT"):
        cut += 1  # inside an event, as a copy stopped anywhere would be
    path.write_bytes(b"".join(lines[:cut]))
    opened = max(n for n, line in enumerate(lines[:cut], start=1) if line.strip() == b"BEGIN:VEVENT")
    assert main(["--lang", "en", "region", "--db", db_url, "import", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err == f"ohjaus: {path}:{opened}: BEGIN:VEVENT has no END:VEVENT: the file ends inside it (cut short?)\n"
    store = CentralStore(db_url)
    try:
        retired = [s for s in store.records(RecordType.SLOT).values() if s.get("booked_contact_id") is not None]
    finally:
        store.close()
    assert retired == []


def test_a_folder_without_region_toml_says_so_not_that_a_unit_is_unknown(tmp_path, capsys):
    """region.toml left out of a copy: the first line was the workers' "unknown unit 'KA-KESK'
    (known: )", which sends the editor to workers.csv."""
    folder = tmp_path / "region"
    shutil.copytree(REGION, folder)
    (folder / "region.toml").unlink()
    assert main(["--lang", "en", "region", "--db", f"sqlite:///{tmp_path / 'c.db'}", "import", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err == f"ohjaus: {folder / 'region.toml'}: a region needs at least one unit: [[unit]] in region.toml or units.csv\n"


def test_an_empty_calendar_file_is_refused(tmp_path, capsys):
    """An export that wrote nothing (0 bytes) read as a calendar without events: its
    professional's future slots would all be retired."""
    folder = tmp_path / "region"
    shutil.copytree(REGION, folder)
    path = folder / "slots" / "kaarna.ics"
    path.write_bytes(b"")
    assert main(["--lang", "en", "region", "--db", f"sqlite:///{tmp_path / 'c.db'}", "import", str(folder)]) == 2
    assert capsys.readouterr().err == f"ohjaus: {path}: no BEGIN:VCALENDAR: not an iCalendar file, or an empty one (cut short?)\n"
