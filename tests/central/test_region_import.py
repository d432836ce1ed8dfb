"""`ohjaus region import` and `export`: a region's own folder (tests/data/region_kaarna, not the
demo's) on a real central server, and a device enrolled to one of its units that syncs it."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from ohjaus_central.db import CentralStore
from ohjaus_tui.demo import ref_id
from ohjaus_core.domain.clock import HELSINKI
from ohjaus_core.data_dir import shipped_data_dir
from ohjaus_core.domain.codes import ServiceArea
from ohjaus_core.domain.errors import DataFileError
from ohjaus_core.domain.region_files import read_region_folder
from ohjaus_tui.store.store import Store

from ..sync_helpers import Device, enrolled_device, opened, region_server, run_cli as run

REGION = Path(__file__).parent.parent / "data" / "region_kaarna"
WEEK = (datetime(2030, 1, 7, tzinfo=HELSINKI), datetime(2030, 1, 12, tzinfo=HELSINKI))


@pytest.fixture
def db_url(db_url):
    """The central database with its schema, as `ohjaus db upgrade` leaves it: a region's first
    step (`region import` and `worker add` refuse a database without it)."""
    CentralStore(db_url).close()
    return db_url


def text_of(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # the line ends as written (iCalendar's are CRLF)


def drop_event(path: Path, uid: str) -> None:
    """The scheduling system no longer lists the slot `uid`."""
    text = text_of(path)
    start = text.index(f"UID:{uid}")
    begin = text.rindex("BEGIN:VEVENT", 0, start)
    end = text.index("END:VEVENT\r\n", start) + len("END:VEVENT\r\n")
    path.write_text(text[:begin] + text[end:], "utf-8", newline="")


def copy_region(tmp_path: Path) -> Path:
    target = tmp_path / "region"
    shutil.copytree(REGION, target)
    return target


# --- reading the folder --------------------------------------------------------------------


def test_the_folder_reads_as_its_scheduling_systems_wrote_it():
    folder = read_region_folder(REGION)
    assert [u.code for u in folder.units] == ["KA-KESK", "KA-SAARI"]
    assert len(folder.workers) == 6 and {w.username for w in folder.workers} >= {"kallio.h", "lind.e"}
    assert next(w for w in folder.workers if w.username == "lind.e").languages == ("sv", "fi")
    assert len(folder.professionals) == 4
    # 45 events of the resource calendar, 15 of Henrik Holm's own less one cancelled.
    assert len(folder.slots) == 59
    by_source = {s.source: s for s in folder.slots}
    first = by_source["kaarna-ka-doctor-1-20300107T0800@ajanvaraus.kaarna.example"]
    assert first.starts_at == datetime(2030, 1, 7, 8, 0, tzinfo=HELSINKI) and first.minutes == 30
    assert first.mode == "visit"  # the professional's first mode when the event names none
    assert by_source["kaarna-ka-doctor-1-20300107T1300@ajanvaraus.kaarna.example"].mode == "phone"
    nurse = by_source["kaarna-ka-nurse-1-20300108T1000@ajanvaraus.kaarna.example"]
    assert nurse.professional == "ka-nurse-1"  # named by the ORGANIZER's CN
    holm = [s for s in folder.slots if s.professional == "sa-doctor-1"]
    assert len(holm) == 14  # the calendar's name is the professional's; the cancelled one is none
    # UTC in the file, 8.30 Finnish time; DURATION instead of DTEND.
    assert min(s.starts_at for s in holm).astimezone(HELSINKI).time().isoformat() == "08:30:00"
    assert {s.minutes for s in holm} == {30, 40}


@pytest.mark.parametrize(
    "edit, where, words",
    [
        (("workers.csv", "KA-SAARI;sv fi\nberg", "KA-MUU;sv fi\nberg"), "workers.csv:5", "unknown unit 'KA-MUU'"),
        (("workers.csv", "lind.e;Emma Lind;nurse;health", "lind.e;Emma Lind;nurse;social"), "workers.csv:5", "health register"),
        (("slots/kaarna.ics", "X-OHJAUS-PROFESSIONAL:ka-social-1", "X-OHJAUS-PROFESSIONAL:ka-nobody"), "kaarna.ics:", "unknown professional 'ka-nobody'"),
        (("slots/kaarna.ics", "X-OHJAUS-MODE:phone", "X-OHJAUS-MODE:video"), "kaarna.ics:", "does not meet clients by 'video'"),
        (("slots/saarela.ics", "X-WR-CALNAME:Henrik Holm", "X-WR-CALNAME:Someone Else"), "saarela.ics:5:", "whose slot is it?"),
        (("region.toml", 'unit = "KA-SAARI"\nlanguages = ["sv", "fi"]', 'unit = "KA-SAARI"\nlanguages = ["sv", "xx"]'), "region.toml:", "unknown languages 'xx'"),
    ],
)
def test_a_broken_file_is_named_with_its_line_and_nothing_is_imported(tmp_path, capsys, edit, where, words):
    folder = copy_region(tmp_path)
    name, old, new = edit
    path = folder / name
    text = text_of(path)
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8", newline="")
    with pytest.raises(DataFileError) as raised:
        read_region_folder(folder)
    message = str(raised.value)
    assert where in message and words in message, message
    db = f"sqlite:///{tmp_path / 'central.db'}"
    code, _out, err = run(capsys, "region", "--db", db, "import", str(folder))
    assert code == 2 and err.count("\n") == 1 and where in err
    assert not (tmp_path / "central.db").exists()  # checked before the database was opened


def test_a_catalogue_naming_a_question_the_devices_do_not_ask_is_refused(tmp_path, capsys):
    """The region's services.toml goes by sync to every device, which ranks it by the social
    protocol's answers: a `first_for` naming a question the protocol has not (a typo) is refused
    at import with its line, before the database is opened."""
    folder = copy_region(tmp_path)
    text = (shipped_data_dir() / "services.toml").read_text("utf-8")
    assert 'first_for = ["gambling_harms"]' in text
    (folder / "services.toml").write_text(text.replace('first_for = ["gambling_harms"]', 'first_for = ["gambling_harm"]'), "utf-8")
    with pytest.raises(DataFileError, match="services.toml:[0-9]+: 'gambling_harm' in first_for is not the social protocol's"):
        read_region_folder(folder)
    db = f"sqlite:///{tmp_path / 'central.db'}"
    code, _out, err = run(capsys, "region", "--db", db, "import", str(folder))
    assert code == 2 and "gambling_harm" in err and not (tmp_path / "central.db").exists()
    (folder / "services.toml").write_text(text, "utf-8")
    assert len(read_region_folder(folder).services) >= 25


def test_an_event_without_its_uid_is_named_by_its_line(tmp_path):
    folder = copy_region(tmp_path)
    path = folder / "slots" / "saarela.ics"
    lines = text_of(path).split("\r\n")
    third = [n for n, line in enumerate(lines) if line == "BEGIN:VEVENT"][2]
    uid = next(n for n in range(third, len(lines)) if lines[n].startswith("UID:"))
    del lines[uid]
    path.write_text("\r\n".join(lines), "utf-8", newline="")
    with pytest.raises(DataFileError, match=rf"saarela.ics:{third + 1}: an event without a UID"):
        read_region_folder(folder)


# --- on a real server ----------------------------------------------------------------------


def summary(out: str) -> dict[str, tuple[int, int, int]]:
    found = {}
    for line in out.splitlines():
        what, _sep, rest = line.partition(": ")
        numbers = [int(word) for word in rest.replace(",", " ").split() if word.isdigit()]
        if what in ("units", "workers", "professionals", "slots") and len(numbers) == 3:
            found[what] = tuple(numbers)
    return found


def test_a_regions_folder_reaches_an_enrolled_device_and_a_second_import_changes_nothing(tmp_path, capsys, db_url):
    folder = copy_region(tmp_path)
    code, out, err = run(capsys, "region", "--db", db_url, "import", str(folder))
    assert code == 0, err
    assert summary(out) == {
        "units": (2, 0, 0), "workers": (6, 0, 0), "professionals": (4, 0, 0), "slots": (59, 0, 0),
    }, out
    assert "71 changes" in out
    code, out, err = run(capsys, "region", "--db", db_url, "import", str(folder))
    assert code == 0 and "0 changes" in out, out
    assert set(summary(out).values()) == {(0, 0, 0)}

    with region_server(db_url, tmp_path) as server:
        device = enrolled_device(tmp_path, capsys, server)
        with opened(device) as store:
            assert [u.code for u in store.units()] == ["KA-KESK", "KA-SAARI"]
            assert len(store.workers()) == 6
            assert store.setting("unit") == "KA-SAARI"
            offers = store.bookings.free_slots(ServiceArea.HEALTH, *WEEK)
            starts = {(o.professional_name, o.starts_at.astimezone(HELSINKI).strftime("%a %H:%M")) for o in offers}
            assert ("Henrik Holm", "Mon 08:30") in starts and ("Outi Kallio", "Fri 13:00") in starts
            holm_id = ref_id("slot", "holm-20300107T0630Z")  # Monday 8.30 in Finnish time, as the UID says in UTC
            assert any(o.slot_id == holm_id for o in offers)

        # A nurse of the unit books the .ics slot for a client; the server holds it booked.
        nurse = Device.__new__(Device)
        nurse.path, nurse.unit, nurse.store = device, "KA-SAARI", Store(device)
        try:
            client = nurse.add_client(date(1961, 3, 14), 402, "Greta")
            nurse.sign_contact(client.id, slot_id=holm_id)
            nurse.sync()
            assert nurse.store.outbox.pending_count() == 0
        finally:
            nurse.close()
        central = CentralStore(db_url)
        try:
            assert central.slot_states()[holm_id] == "booked"
        finally:
            central.close()

        # The scheduling system moves one slot and drops another: one changed, one retired,
        # and the device no longer offers the dropped one.
        kaarna = folder / "slots" / "kaarna.ics"
        text = text_of(kaarna)
        text = text.replace("DTSTART;TZID=Europe/Helsinki:20300108T080000\r\nDTEND;TZID=Europe/Helsinki:20300108T083000",
                            "DTSTART;TZID=Europe/Helsinki:20300108T081500\r\nDTEND;TZID=Europe/Helsinki:20300108T084500")
        kaarna.write_text(text, "utf-8", newline="")
        dropped = "kaarna-ka-doctor-1-20300109T0900@ajanvaraus.kaarna.example"
        drop_event(kaarna, dropped)
        code, out, err = run(capsys, "region", "--db", db_url, "import", str(folder))
        assert code == 0, err
        assert summary(out)["slots"] == (0, 1, 1), out
        code, out, err = run(capsys, "sync", "--data-dir", str(device))
        assert code == 0, err
        with opened(device) as store:
            offers = {o.slot_id: o for o in store.bookings.free_slots(ServiceArea.HEALTH, *WEEK)}
            assert ref_id("slot", dropped) not in offers
            moved = offers[ref_id("slot", "kaarna-ka-doctor-1-20300108T0800@ajanvaraus.kaarna.example")]
            assert moved.starts_at.astimezone(HELSINKI).strftime("%H:%M") == "08:15"

        # Export writes the same files back; importing them changes nothing.
        exported = tmp_path / "exported"
        code, out, err = run(capsys, "region", "--db", db_url, "export", str(exported))
        assert code == 0, err
        assert (exported / "workers.csv").read_bytes() == (folder / "workers.csv").read_bytes()
        assert (exported / "region.toml").read_bytes() == (folder / "region.toml").read_bytes()
        code, out, err = run(capsys, "region", "--db", db_url, "import", str(exported))
        assert code == 0 and "0 changes" in out, out
        assert "STATUS:CONFIRMED" in text_of(exported / "slots" / "slots.ics")  # the slot booked above
        as_csv = tmp_path / "as-csv"
        assert run(capsys, "region", "--db", db_url, "export", "--format", "csv", str(as_csv))[0] == 0
        rows = text_of(as_csv / "slots" / "slots.csv").splitlines()
        assert len(rows) == 1 + 58 and sum(row.endswith(",yes") for row in rows) == 1
        code, out, err = run(capsys, "region", "--db", db_url, "import", str(as_csv))
        assert code == 0 and "0 changes" in out, out


def test_a_booked_slot_is_never_retired_nor_moved(tmp_path, capsys, db_url):
    """A slot booked in ohjaus stays booked when the scheduling system's file drops or moves it."""
    from ohjaus_core.protocol import RecordType

    folder = copy_region(tmp_path)
    assert run(capsys, "region", "--db", db_url, "import", str(folder))[0] == 0
    central = CentralStore(db_url)
    try:
        slot_id = ref_id("slot", "holm-20300107T0630Z")
        slot = central.records(RecordType.SLOT)[slot_id]
        # The booking as the server records it for a contact (the holder is the server's own).
        from ohjaus_central.db import _Writing
        from ohjaus_central.batch import Batch, _json

        with _Writing(central) as conn:
            batch = Batch(conn, None)
            batch.load({(RecordType.SLOT.value, slot_id)}, set(), set())
            text = _json({**slot, "booked_contact_id": "11111111-1111-4111-8111-111111111111"})
            batch.put(RecordType.SLOT, slot_id, text, batch.log(RecordType.SLOT, slot_id, text, None, None))
            batch.flush()
    finally:
        central.close()
    drop_event(folder / "slots" / "saarela.ics", "holm-20300107T0630Z")
    code, out, err = run(capsys, "region", "--db", db_url, "import", str(folder))
    assert code == 0, err
    assert summary(out)["slots"] == (0, 0, 0), out
    assert "1 no longer in them" in out
    central = CentralStore(db_url)
    try:
        assert central.slot_states()[slot_id] == "booked"
    finally:
        central.close()


def test_a_catalogue_without_a_duty_s_receiver_is_refused_at_import(tmp_path, capsys):
    """Every device lists a duty's receivers from the region's catalogue: one without the
    child welfare intake would leave the child-welfare notification's receiver out on every
    device. Refused at import, naming the file, the duty and the missing service, before the
    database is opened."""
    from tests.domain.test_catalogue import without_service

    folder = copy_region(tmp_path)
    text = (shipped_data_dir() / "services.toml").read_text("utf-8")
    (folder / "services.toml").write_text(without_service(text, "child_welfare_intake"), "utf-8")
    with pytest.raises(DataFileError, match="services.toml: the social protocol's duty 'child_welfare_notification' is made to the service 'child_welfare_intake'"):
        read_region_folder(folder)
    db = f"sqlite:///{tmp_path / 'central.db'}"
    code, _out, err = run(capsys, "region", "--db", db, "import", str(folder))
    assert code == 2 and err.count("\n") == 1 and "child_welfare_intake" in err
    assert not (tmp_path / "central.db").exists()
