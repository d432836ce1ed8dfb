"""A region's own data folder, as `ohjaus region import` reads it (docs/region.md).

The folder holds what a region edits and what its scheduling system exports:

- `region.toml`: `[[municipality]]`, `[[unit]]`, `[[worker]]` and `[[professional]]` with the
  keys of the demo region's file; any of the four may instead be a CSV file
  (`municipalities.csv`, `units.csv`, `workers.csv`, `professionals.csv`) whose header names
  the same keys (a text as `name_fi`, `name_sv`, `name_en`; a list such as `languages` as
  words separated by spaces, commas or `|`);
- `services.toml`: the referral catalogue, as in the shipped data folder (optional);
- `slots/`: appointment slots, as `*.csv` (columns `professional`, `starts_at`, `minutes` or
  `ends_at`, and optionally `mode` and `id`) and as iCalendar files `*.ics` (RFC 5545), one
  VEVENT a slot.

Everything is read as strictly as the protocols: the first problem stops the import with its
file and line, before anything is written.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..i18n import LANGUAGES, _
from .catalogue import Service, load_catalogue, shipped_social
from .clock import HELSINKI
from .datafile import Fields, Source, load_toml
from .demo_region import REGION_FILE, DemoWorker, Municipality, Professional, Unit, read_lists
from .errors import DataFileError, DomainError
from .textfile import read_lines

SERVICES_FILE = "services.toml"
SLOTS_FOLDER = "slots"
CSV_FILES = {
    "municipality": "municipalities.csv",
    "unit": "units.csv",
    "worker": "workers.csv",
    "professional": "professionals.csv",
}
LIST_KEYS = {"languages", "modes"}
BOOLEAN_KEYS = {"mobile"}
TEXT_KEYS = {"name", "profession_name"}
MAX_MINUTES = 8 * 60
# The iCalendar properties ohjaus reads beyond RFC 5545's own (docs/region.md).
X_PROFESSIONAL = "X-OHJAUS-PROFESSIONAL"
X_MODE = "X-OHJAUS-MODE"
_SPLIT = re.compile(r"[\s,;|]+")
_TRUE = {"true", "yes", "1", "kyllä", "ja"}
_FALSE = {"false", "no", "0", "ei", "nej", ""}


@dataclass(frozen=True)
class SlotRow:
    """One appointment slot of a file. `source` is the scheduling system's id (an iCalendar
    UID, a CSV `id`; without one, the professional's code and the start), which makes the
    slot's id: the same slot imported again is the same record."""

    source: str
    professional: str  # code
    starts_at: datetime  # aware
    minutes: int
    mode: str
    path: Path
    line: int | None


@dataclass(frozen=True)
class RegionFolder:
    municipalities: tuple[Municipality, ...]
    units: tuple[Unit, ...]
    workers: tuple[DemoWorker, ...]
    professionals: tuple[Professional, ...]
    services: tuple[Service, ...]
    slots: tuple[SlotRow, ...]
    files: dict[str, bytes]  # the region's own files as read (not the slots), for export


def default_source(professional: str, starts_at: datetime) -> str:
    """A slot's source when its file gives no id (as the demo's slots are named)."""
    return f"{professional}:{starts_at.isoformat()}"


# --- CSV as the same strict fields -----------------------------------------------------------


class CsvSource(Source):
    """A CSV file's rows for `Fields`: every problem of a row names the row's line."""

    def __init__(self, path: Path, row_lines: list[int]) -> None:
        self.path = path
        self.lines = []
        self.headers = []
        self.row_lines = row_lines

    def line(self, table: str | None = None, index: int | None = None, key: str | None = None) -> int | None:
        if index is None or index >= len(self.row_lines):
            return 1
        return self.row_lines[index]


def read_csv(path: Path) -> tuple[list[int], list[dict[str, str]]]:
    """The rows of a CSV file (`,` or `;` as Finnish spreadsheets write it, UTF-8 with or
    without a byte-order mark) with the line each starts on; empty rows are skipped."""
    lines = read_lines(path)
    if lines.invalid:
        raise DataFileError(path, lines.invalid[0], _("not valid UTF-8"))
    text = "\n".join(line for _number, line in lines.lines)
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        head = [name.strip() for name in next(reader)]
    except StopIteration:
        raise DataFileError(path, 1, _("the file is empty; the first line names the columns")) from None
    if len(set(head)) != len(head):
        raise DataFileError(path, 1, _("a column is named twice"))
    numbers: list[int] = []
    rows: list[dict[str, str]] = []
    starts = [number for number, _line in lines.lines]
    try:
        for cells in reader:
            number = starts[min(reader.line_num - 1, len(starts) - 1)] if starts else reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(head):
                raise DataFileError(path, number, _("more cells than the first line has columns"))
            numbers.append(number)
            rows.append({name: cell.strip() for name, cell in zip(head, cells)})
    except csv.Error as error:
        raise DataFileError(path, reader.line_num, str(error)) from None
    return numbers, rows


def _as_toml(row: dict[str, str], source: CsvSource, index: int) -> dict[str, Any]:
    """A CSV row as the TOML table it stands for: `name_fi` into `name = {fi = ...}`, lists
    split, booleans read; an empty cell is a missing key."""
    data: dict[str, Any] = {}
    for key, value in row.items():
        base, _sep, language = key.rpartition("_")
        if base in TEXT_KEYS and language in LANGUAGES:
            if value:
                data.setdefault(base, {})[language] = value
            continue
        if not value:
            continue
        if key in LIST_KEYS:
            data[key] = [part for part in _SPLIT.split(value) if part]
        elif key in BOOLEAN_KEYS:
            lowered = value.lower()
            if lowered not in _TRUE | _FALSE:
                raise DataFileError(
                    source.path, source.line(index=index), _("'{key}' must be true or false").format(key=key)
                )
            data[key] = lowered in _TRUE
        else:
            data[key] = value
    return data


def _tables(folder: Path, top: Fields | None, kind: str, files: dict[str, bytes]) -> list[Fields]:
    """The `[[kind]]` tables of region.toml, or the rows of the kind's CSV file (not both)."""
    csv_path = folder / CSV_FILES[kind]
    in_toml = top is not None and top.has(kind)
    if csv_path.is_file():
        if in_toml:
            raise DataFileError(
                csv_path, None,
                _("both {csv} and [[{kind}]] in {toml}: keep one of them").format(
                    csv=csv_path.name, kind=kind, toml=REGION_FILE
                ),
            )
        numbers, rows = read_csv(csv_path)
        files[csv_path.name] = csv_path.read_bytes()
        source = CsvSource(csv_path, numbers)
        return [Fields(source, _as_toml(row, source, index), kind, index) for index, row in enumerate(rows)]
    if not in_toml:
        return []
    return list(top.tables(kind))


# --- the folder ------------------------------------------------------------------------------


def read_region_folder(folder: Path) -> RegionFolder:
    """Read and check a region's folder; raises DataFileError (file:line: reason) or
    DomainError for the first problem."""
    if not folder.is_dir():
        raise DomainError(_("No data folder at {path}").format(path=folder))
    files: dict[str, bytes] = {}
    top: Fields | None = None
    toml_path = folder / REGION_FILE
    if toml_path.is_file():
        top = Fields(Source(toml_path), load_toml(toml_path))
        top.only("municipality", "unit", "worker", "professional", "slots")
        if top.has("slots"):
            top.subtable("slots")  # the demo's slot template: read by `ohjaus demo`, not here
        files[REGION_FILE] = toml_path.read_bytes()

    no_units = DataFileError(
        toml_path, None,
        _("a region needs at least one unit: [[unit]] in {toml} or {csv}").format(
            toml=REGION_FILE, csv=CSV_FILES["unit"]
        ),
    )
    if top is None and not (folder / CSV_FILES["unit"]).is_file():
        raise no_units  # before the workers' units are looked up: "unknown unit (known: )" said less
    municipalities, units, workers, professionals = read_lists(lambda kind: _tables(folder, top, kind, files))
    if not units:
        raise no_units

    services: tuple[Service, ...] = ()
    services_path = folder / SERVICES_FILE
    if services_path.is_file():
        # Named as the devices' own protocols name them (the shipped data's): a typo is refused
        # here, before any device takes the catalogue.
        services = tuple(load_catalogue(services_path, shipped_social()))
        files[SERVICES_FILE] = services_path.read_bytes()

    by_code = {p.code: p for p in professionals}
    slots: list[SlotRow] = []
    slot_folder = folder / SLOTS_FOLDER
    if slot_folder.is_dir():
        for path in sorted(slot_folder.iterdir()):
            if path.suffix.lower() == ".csv":
                slots.extend(read_slots_csv(path, by_code))
            elif path.suffix.lower() == ".ics":
                slots.extend(read_slots_ics(path, by_code))
    sources: dict[str, SlotRow] = {}
    for slot in slots:
        earlier = sources.setdefault(slot.source, slot)
        if earlier is not slot:
            raise DataFileError(
                slot.path, slot.line,
                _("the slot '{id}' is also at {where}").format(
                    id=slot.source, where=f"{earlier.path}:{earlier.line}"
                ),
            )
    return RegionFolder(
        tuple(municipalities), tuple(units), tuple(workers), tuple(professionals), services,
        tuple(slots), files,
    )


# --- slots -----------------------------------------------------------------------------------


def _moment(value: str) -> datetime:
    """ISO 8601, or d.m.yyyy hh:mm (or hh.mm); without an offset, Finnish time."""
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        for pattern in ("%d.%m.%Y %H:%M", "%d.%m.%Y %H.%M"):
            try:
                moment = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
        else:
            raise ValueError(value) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=HELSINKI)


def _slot(
    path: Path, line: int | None, professionals: dict[str, Professional], code: str, starts: datetime,
    minutes: int, mode: str | None, source: str | None,
) -> SlotRow:
    professional = professionals.get(code)
    if professional is None:
        raise DataFileError(
            path, line,
            _("unknown professional '{value}' (known: {known})").format(
                value=code, known=", ".join(sorted(professionals)) or "-"
            ),
        )
    if not 5 <= minutes <= MAX_MINUTES:
        raise DataFileError(
            path, line, _("a slot lasts from 5 to {most} minutes, not {n}").format(most=MAX_MINUTES, n=minutes)
        )
    mode = mode or professional.modes[0]
    if mode not in professional.modes:
        raise DataFileError(
            path, line,
            _("{name} does not meet clients by '{mode}' (modes: {modes})").format(
                name=professional.name, mode=mode, modes=", ".join(professional.modes)
            ),
        )
    starts = starts.astimezone(HELSINKI)
    return SlotRow(source or default_source(code, starts), code, starts, minutes, mode, path, line)


def read_slots_csv(path: Path, professionals: dict[str, Professional]) -> list[SlotRow]:
    numbers, rows = read_csv(path)
    known = {"id", "professional", "starts_at", "minutes", "ends_at", "mode", "booked"}  # booked: export's, not read
    slots = []
    for line, row in zip(numbers, rows):
        unknown = sorted(set(row) - known)
        if unknown:
            raise DataFileError(path, 1, _("unknown column '{key}'").format(key=unknown[0]))
        for key in ("professional", "starts_at"):
            if not row.get(key):
                raise DataFileError(path, line, _("missing key '{key}'").format(key=key))
        try:
            starts = _moment(row["starts_at"])
        except ValueError:
            raise DataFileError(path, line, _("'{key}' must be a time like 2026-12-07T08:00").format(key="starts_at")) from None
        if row.get("minutes"):
            if not row["minutes"].isdigit():
                raise DataFileError(path, line, _("'{key}' must be an integer").format(key="minutes"))
            minutes = int(row["minutes"])
        elif row.get("ends_at"):
            try:
                minutes = int((_moment(row["ends_at"]) - starts).total_seconds() // 60)
            except ValueError:
                raise DataFileError(path, line, _("'{key}' must be a time like 2026-12-07T08:00").format(key="ends_at")) from None
        else:
            raise DataFileError(path, line, _("give 'minutes' or 'ends_at'"))
        slots.append(_slot(path, line, professionals, row["professional"], starts, minutes, row.get("mode"), row.get("id")))
    return slots


def read_slots_ics(path: Path, professionals: dict[str, Professional]) -> list[SlotRow]:
    """The VEVENTs of an iCalendar file, one slot each (docs/region.md says which properties
    are read). A cancelled event (STATUS:CANCELLED) is no slot; a recurring one is refused."""
    try:
        import icalendar
    except ImportError:  # a workstation without the server's packages
        raise DomainError(_("Reading iCalendar files needs the server's packages: pip install 'ohjaus[server]'")) from None
    lines = read_lines(path)
    if lines.invalid:
        raise DataFileError(path, lines.invalid[0], _("not valid UTF-8"))
    starts = [number for number, text in lines.lines if text.strip().upper() == "BEGIN:VEVENT"]
    _check_components(path, lines.lines)
    try:
        calendars = icalendar.Calendar.from_ical(lines.text, multiple=True)
    except ValueError as error:
        raise DataFileError(path, None, _("not an iCalendar file: {reason}").format(reason=str(error)[:200])) from None
    by_name = {p.name.casefold(): p.code for p in professionals.values()}
    slots = []
    number = 0
    for calendar in calendars:
        calendar_name = str(calendar.get("X-WR-CALNAME", "")).strip()
        for event in calendar.walk("VEVENT"):
            line = starts[number] if number < len(starts) else None
            number += 1
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            if "RRULE" in event or "RDATE" in event:
                raise DataFileError(path, line, _("a recurring event; export each slot as an event of its own"))
            uid = str(event.get("UID", "")).strip()
            if not uid:
                raise DataFileError(path, line, _("an event without a UID"))
            start = event.get("DTSTART")
            if start is None or not isinstance(start.dt, datetime):
                raise DataFileError(path, line, _("DTSTART must be a date and time, not a whole day"))
            begins = start.dt if start.dt.tzinfo else start.dt.replace(tzinfo=HELSINKI)
            end = event.get("DTEND")
            if end is not None:
                if not isinstance(end.dt, datetime):
                    raise DataFileError(path, line, _("DTEND must be a date and time, not a whole day"))
                ends = end.dt if end.dt.tzinfo else end.dt.replace(tzinfo=HELSINKI)
                minutes = int((ends - begins).total_seconds() // 60)
            elif event.get("DURATION") is not None and isinstance(event.get("DURATION").dt, timedelta):
                minutes = int(event.get("DURATION").dt.total_seconds() // 60)
            else:
                raise DataFileError(path, line, _("an event needs DTEND or DURATION"))
            code = _professional_of(event, calendar_name, professionals, by_name)
            if code is None:
                raise DataFileError(
                    path, line,
                    _("whose slot is it? Give {x} (a professional's code), an ORGANIZER or the "
                      "calendar's X-WR-CALNAME with a professional's name").format(x=X_PROFESSIONAL),
                )
            mode = str(event.get(X_MODE, "")).strip().lower() or None
            slots.append(_slot(path, line, professionals, code, begins, minutes, mode, uid))
    return slots


def _check_components(path: Path, lines: list[tuple[int, str]]) -> None:
    """Every BEGIN has its END. A file cut short (a copy interrupted, a disk full) reads as a
    calendar without its last events - the icalendar library drops them without a word - and
    an import would retire the future slots they held: refused at the BEGIN left open."""
    if not any(text.strip().upper() == "BEGIN:VCALENDAR" for _number, text in lines):
        raise DataFileError(path, None, _("no BEGIN:VCALENDAR: not an iCalendar file, or an empty one (cut short?)"))
    open_components: list[tuple[str, int]] = []
    for number, text in lines:
        if text[:1] in (" ", "\t"):  # a folded line's continuation
            continue
        word = text.strip().upper()
        if word.startswith("BEGIN:"):
            open_components.append((word.removeprefix("BEGIN:"), number))
        elif word.startswith("END:"):
            name = word.removeprefix("END:")
            if not open_components or open_components[-1][0] != name:
                raise DataFileError(path, number, _("END:{name} without its BEGIN:{name}").format(name=name))
            open_components.pop()
    if open_components:
        name, number = open_components[-1]
        raise DataFileError(
            path, number,
            _("BEGIN:{name} has no END:{name}: the file ends inside it (cut short?)").format(name=name),
        )


def _professional_of(event, calendar_name: str, professionals: dict[str, Professional], by_name: dict[str, str]) -> str | None:
    """X-OHJAUS-PROFESSIONAL (a code); else the ORGANIZER's CN (a name); else the calendar's
    name (a code or a name), as a scheduling system names a resource's calendar."""
    own = str(event.get(X_PROFESSIONAL, "")).strip()
    if own:
        return own
    organizer = event.get("ORGANIZER")
    if organizer is not None:
        name = str(organizer.params.get("CN", "")).strip().casefold()
        if name in by_name:
            return by_name[name]
    if calendar_name in professionals:
        return calendar_name
    return by_name.get(calendar_name.casefold())


def write_slots_ics(slots: list[tuple[SlotRow, bool]], name: str) -> bytes:
    """Slots as an iCalendar file ohjaus reads back to the same slots; a booked slot is
    CONFIRMED with X-OHJAUS-BOOKED (no client data), a free one TENTATIVE."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("PRODID", "-//ohjaus//region export//EN")
    calendar.add("VERSION", "2.0")
    calendar.add("X-WR-CALNAME", name)
    stamp = datetime.now(HELSINKI).replace(microsecond=0)
    for slot, booked in slots:
        event = icalendar.Event()
        event.add("UID", slot.source)
        event.add("DTSTAMP", stamp)
        event.add("DTSTART", slot.starts_at)
        event.add("DTEND", slot.starts_at + timedelta(minutes=slot.minutes))
        event.add("SUMMARY", f"{slot.professional} ({slot.mode})")
        event.add("STATUS", "CONFIRMED" if booked else "TENTATIVE")
        event.add(X_PROFESSIONAL, slot.professional)
        event.add(X_MODE, slot.mode)
        if booked:
            event.add("X-OHJAUS-BOOKED", "TRUE")
        calendar.add_component(event)
    calendar.add_missing_timezones()  # RFC 5545: a VTIMEZONE for every TZID used
    return calendar.to_ical()


def write_slots_csv(slots: list[tuple[SlotRow, bool]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "professional", "starts_at", "minutes", "mode", "booked"])
    for slot, booked in slots:
        writer.writerow([slot.source, slot.professional, slot.starts_at.isoformat(), slot.minutes, slot.mode,
                         "yes" if booked else "no"])
    return out.getvalue().encode("utf-8")

