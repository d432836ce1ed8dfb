"""The fictional Järvilaakso welfare region behind `ohjaus --demo`.

`data/demo/region.toml` holds its municipalities, units (toimipisteet), guidance workers,
bookable professionals and the slot template; `data/demo/names.toml` the first and family
names the demo generator draws synthetic clients from. Everything is fictional, and read as
strictly as the protocols: a broken reference names its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from collections.abc import Callable, Iterable
from typing import Any

from ..i18n import _, localized
from .codes import Language, Register, Role, ServiceArea
from .datafile import IDENTIFIER, Fields, Source, load_toml

REGION_FILE = "region.toml"
MODES = ("visit", "phone", "video")
"""How a professional meets a client: at the unit, by phone, by video."""

UNIT_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*$")
PROFESSIONAL_CODE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
USERNAME = re.compile(r"^[a-z][a-z0-9_.]*$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Municipality:
    """A municipality of the region; a bilingual one has a name in both languages."""

    code: str
    names: dict[str, str]
    languages: tuple[Language, ...]  # official languages, the majority language first

    @property
    def name(self) -> str:
        return localized(self.names)


@dataclass(frozen=True)
class Unit:
    """A unit (toimipiste); `mobile` for a mobile service point (liikkuva palvelupiste)."""

    code: str
    names: dict[str, str]
    municipality: str
    languages: tuple[Language, ...]
    mobile: bool

    @property
    def name(self) -> str:
        return localized(self.names)


@dataclass(frozen=True)
class DemoWorker:
    """A guidance worker who signs in to the demo."""

    username: str
    name: str
    role: Role
    register: Register
    unit: str
    languages: tuple[Language, ...]


@dataclass(frozen=True)
class Professional:
    """A professional whose slots can be booked."""

    code: str
    name: str
    profession: str
    profession_names: dict[str, str]
    unit: str
    languages: tuple[Language, ...]
    service_area: ServiceArea
    modes: tuple[str, ...]

    @property
    def profession_name(self) -> str:
        return localized(self.profession_names)


@dataclass(frozen=True)
class SlotTemplate:
    """The demo's appointment grid; `fill_ratio` of a working day's slots exist per professional."""

    days: int
    day_start: time
    day_end: time
    minutes: int
    fill_ratio: float

    def times(self) -> list[time]:
        """Start times of one working day's template slots (each ends by `day_end`)."""
        day = datetime(2000, 1, 1)
        start = datetime.combine(day, self.day_start)
        end = datetime.combine(day, self.day_end)
        step = timedelta(minutes=self.minutes)
        found: list[time] = []
        while start + step <= end:
            found.append(start.time())
            start += step
        return found


@dataclass(frozen=True)
class DemoRegion:
    units: tuple[Unit, ...]
    workers: tuple[DemoWorker, ...]
    professionals: tuple[Professional, ...]
    slot_template: SlotTemplate
    municipalities: tuple[Municipality, ...] = ()

    def unit(self, code: str) -> Unit:
        return next(unit for unit in self.units if unit.code == code)

    def worker(self, username: str) -> DemoWorker:
        return next(worker for worker in self.workers if worker.username == username)


@dataclass(frozen=True)
class Names:
    """Common Finnish and Finland-Swedish names for synthetic clients."""

    fi_female: tuple[str, ...]
    fi_male: tuple[str, ...]
    fi_last: tuple[str, ...]
    sv_female: tuple[str, ...]
    sv_male: tuple[str, ...]
    sv_last: tuple[str, ...]


# --- reading ----------------------------------------------------------------------------------


def _unique(fields: Fields, key: str, value: str, seen: set[str], what: str) -> None:
    if value in seen:
        raise fields.error(_("duplicate {what} '{value}'").format(what=what, value=value), key)
    seen.add(value)


def _known(fields: Fields, key: str, value: str, known: set[str], what: str) -> None:
    if value not in known:
        raise fields.error(
            _("unknown {what} '{value}' (known: {known})").format(
                what=what, value=value, known=", ".join(sorted(known))
            ),
            key,
        )


def _read_municipality(fields: Fields) -> Municipality:
    fields.only("code", "name", "languages")
    return Municipality(
        code=fields.identifier("code"),
        names=fields.texts("name"),
        languages=fields.choices("languages", Language),
    )


def _read_unit(fields: Fields, municipalities: set[str]) -> Unit:
    fields.only("code", "name", "municipality", "languages", "mobile")
    code = fields.identifier("code", UNIT_CODE)
    names = fields.texts("name")
    municipality = fields.string("municipality")
    _known(fields, "municipality", municipality, municipalities, _("municipality"))
    return Unit(
        code=code,
        names=names,
        municipality=municipality,
        languages=fields.choices("languages", Language),
        mobile=fields.boolean("mobile", False),
    )


def _read_worker(fields: Fields, units: set[str]) -> DemoWorker:
    fields.only("username", "name", "role", "register", "unit", "languages")
    username = fields.identifier("username", USERNAME)
    name = fields.string("name")
    role = fields.choice("role", Role)
    register = fields.choice("register", Register)
    # a nurse assesses care needs, a counsellor service needs: each in their own register
    expected = {Role.NURSE: Register.HEALTH, Role.COUNSELLOR: Register.SOCIAL}.get(role)
    if expected is not None and register is not expected:
        raise fields.error(
            _("a {role} works in the {expected} register, not {register}").format(
                role=role.value, expected=expected.value, register=register.value
            ),
            "register",
        )
    unit = fields.string("unit")
    _known(fields, "unit", unit, units, _("unit"))
    return DemoWorker(username, name, role, register, unit, fields.choices("languages", Language))


def _read_professional(fields: Fields, units: set[str]) -> Professional:
    fields.only(
        "code", "name", "profession", "profession_name", "unit", "languages", "service_area",
        "modes",
    )
    code = fields.identifier("code", PROFESSIONAL_CODE)
    name = fields.string("name")
    profession = fields.identifier("profession", IDENTIFIER)
    profession_names = fields.texts("profession_name")
    unit = fields.string("unit")
    _known(fields, "unit", unit, units, _("unit"))
    languages = fields.choices("languages", Language)
    service_area = fields.choice("service_area", ServiceArea)
    modes = fields.strings("modes")
    for mode in modes:
        _known(fields, "modes", mode, set(MODES), _("mode"))
    return Professional(
        code, name, profession, profession_names, unit, languages, service_area, modes
    )


def _clock(fields: Fields, key: str) -> time:
    value = fields.value(key, (str, time))  # "08:00" or a TOML local time 08:00:00
    if isinstance(value, time):
        return value
    match = _CLOCK.match(value)
    if not match:
        raise fields.error(_("'{key}' must be a time like \"08:00\"").format(key=key), key)
    return time(int(match.group(1)), int(match.group(2)))


def _read_slots(fields: Fields) -> SlotTemplate:
    fields.only("days", "day_start", "day_end", "minutes", "fill_ratio")
    days = fields.integer("days", minimum=1)
    day_start = _clock(fields, "day_start")
    day_end = _clock(fields, "day_end")
    if day_end <= day_start:
        raise fields.error(_("'day_end' must be after 'day_start'"), "day_end")
    minutes = fields.integer("minutes", minimum=5)
    fill_ratio = fields.number("fill_ratio")
    if not 0 < fill_ratio <= 1:
        raise fields.error(_("'fill_ratio' must be more than 0 and at most 1"), "fill_ratio")
    template = SlotTemplate(days, day_start, day_end, minutes, fill_ratio)
    if not template.times():
        raise fields.error(_("no slot of 'minutes' fits between day_start and day_end"), "minutes")
    return template


def load_demo_region(directory: Path) -> DemoRegion:
    """The demo region from `directory/region.toml`."""
    path = directory / REGION_FILE
    top = Fields(Source(path), load_toml(path))
    top.only("municipality", "unit", "worker", "professional", "slots")

    municipalities, units, workers, professionals = read_lists(top.tables)
    slot_template = _read_slots(top.subtable("slots"))
    return DemoRegion(
        units=tuple(units),
        workers=tuple(workers),
        professionals=tuple(professionals),
        slot_template=slot_template,
        municipalities=tuple(municipalities),
    )


def read_lists(
    tables: Callable[[str], Iterable[Fields]],
) -> tuple[list[Municipality], list[Unit], list[DemoWorker], list[Professional]]:
    """A region's municipalities, units, workers and professionals, each kind's tables given by
    `tables(kind)` (a TOML file's [[kind]], or a CSV file's rows: domain/region_files.py);
    references between them and duplicates checked."""
    municipalities: list[Municipality] = []
    seen: set[str] = set()
    for fields in tables("municipality"):
        municipality = _read_municipality(fields)
        _unique(fields, "code", municipality.code, seen, _("municipality code"))
        municipalities.append(municipality)

    units: list[Unit] = []
    seen = set()
    for fields in tables("unit"):
        unit = _read_unit(fields, {m.code for m in municipalities})
        _unique(fields, "code", unit.code, seen, _("unit code"))
        units.append(unit)
    unit_codes = {unit.code for unit in units}

    workers: list[DemoWorker] = []
    seen = set()
    for fields in tables("worker"):
        worker = _read_worker(fields, unit_codes)
        _unique(fields, "username", worker.username, seen, _("username"))
        workers.append(worker)

    professionals: list[Professional] = []
    seen = set()
    profession_names: dict[str, dict[str, str]] = {}
    for fields in tables("professional"):
        professional = _read_professional(fields, unit_codes)
        _unique(fields, "code", professional.code, seen, _("professional code"))
        # one profession, one name: a differing name is a typo somewhere
        first = profession_names.setdefault(professional.profession, professional.profession_names)
        if first != professional.profession_names:
            raise fields.error(
                _("profession '{profession}' has a different profession_name above").format(
                    profession=professional.profession
                ),
                "profession_name",
            )
        professionals.append(professional)

    return municipalities, units, workers, professionals


def load_names(path: Path) -> Names:
    """The name lists for synthetic clients."""
    top = Fields(Source(path), load_toml(path))
    keys = ("fi_female", "fi_male", "fi_last", "sv_female", "sv_male", "sv_last")
    top.only(*keys)
    lists: dict[str, Any] = {key: top.strings(key) for key in keys}
    return Names(**lists)
