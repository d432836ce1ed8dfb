"""The fictional demo region and its name lists."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from ohjaus_core.domain.codes import Language, Register, Role, ServiceArea
from ohjaus_core.domain.demo_region import MODES, load_demo_region, load_names
from ohjaus_core.domain.errors import DataFileError

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
REGION = load_demo_region(DEMO)


def test_the_shipped_region_loads() -> None:
    assert {u.code for u in REGION.units} == {"JL-KESK", "JL-POHJ", "JL-RANTA", "JL-MOBI"}
    assert [u.code for u in REGION.units if u.mobile] == ["JL-MOBI"]
    assert len(REGION.workers) >= 8
    assert len(REGION.professionals) >= 15
    assert {w.role for w in REGION.workers} == set(Role)
    assert {p.service_area for p in REGION.professionals} >= {
        ServiceArea.HEALTH, ServiceArea.ORAL_HEALTH, ServiceArea.MENTAL_SUBSTANCE, ServiceArea.FAMILY,
    }
    for professional in REGION.professionals:
        assert set(professional.modes) <= set(MODES)
        assert set(professional.profession_names) == {"fi", "sv", "en"}


def test_rantala_is_bilingual_with_a_swedish_speaking_nurse() -> None:
    rantala = next(m for m in REGION.municipalities if m.code == "rantala")
    assert rantala.names["sv"] == "Strandby"
    assert rantala.languages[0] is Language.SV  # Swedish-speaking majority
    unit = REGION.unit("JL-RANTA")
    assert unit.municipality == "rantala" and Language.SV in unit.languages
    assert any(
        w.role is Role.NURSE and w.unit == "JL-RANTA" and Language.SV in w.languages
        for w in REGION.workers
    )


def test_nurses_are_health_and_counsellors_social() -> None:
    for worker in REGION.workers:
        if worker.role is Role.NURSE:
            assert worker.register is Register.HEALTH
        if worker.role is Role.COUNSELLOR:
            assert worker.register is Register.SOCIAL


def test_slot_template() -> None:
    template = REGION.slot_template
    assert (template.days, template.minutes, template.fill_ratio) == (28, 30, 0.6)
    times = template.times()
    assert times[0] == time(8, 0) and times[-1] == time(15, 0) and len(times) == 15


def test_the_shipped_names_load() -> None:
    names = load_names(DEMO / "names.toml")
    for field in ("fi_female", "fi_male", "fi_last", "sv_female", "sv_male", "sv_last"):
        values = getattr(names, field)
        assert len(values) >= 30 and len(set(values)) == len(values), field


# --- broken files -------------------------------------------------------------------------

GOOD = """\
[[municipality]]
code = "jarvilaakso"
name = { fi = "Järvilaakso" }
languages = ["fi"]

[[unit]]
code = "JL-KESK"
name = { fi = "Keskus" }
municipality = "jarvilaakso"
languages = ["fi"]

[[worker]]
username = "hoitaja1"
name = "Testi Hoitaja"
role = "nurse"
register = "health"
unit = "JL-KESK"
languages = ["fi"]

[[worker]]
username = "ohjaaja1"
name = "Testi Ohjaaja"
role = "counsellor"
register = "social"
unit = "JL-KESK"
languages = ["fi"]

[[professional]]
code = "kesk-doctor-1"
name = "Testi Lääkäri"
profession = "doctor"
profession_name = { fi = "Lääkäri" }
unit = "JL-KESK"
languages = ["fi"]
service_area = "health"
modes = ["visit"]

[slots]
days = 5
day_start = "08:00"
day_end = "10:00"
minutes = 30
fill_ratio = 0.5
"""


def test_a_good_region_loads(tmp_path: Path) -> None:
    (tmp_path / "region.toml").write_text(GOOD, "utf-8")
    region = load_demo_region(tmp_path)
    assert [w.username for w in region.workers] == ["hoitaja1", "ohjaaja1"]
    assert not region.units[0].mobile  # mobile defaults to false
    assert len(region.slot_template.times()) == 4


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('unit = "JL-KESK"\nlanguages = ["fi"]\n\n[[worker]]\nusername = "ohjaaja1"',
         'unit = "JL-KESKI"\nlanguages = ["fi"]\n\n[[worker]]\nusername = "ohjaaja1"',
         17, "unknown unit 'JL-KESKI'"),
        ('unit = "JL-KESK"\nlanguages = ["fi"]\nservice_area',
         'unit = "JL-POHJ"\nlanguages = ["fi"]\nservice_area', 33, "unknown unit 'JL-POHJ'"),
        ('municipality = "jarvilaakso"', 'municipality = "rantala"', 9, "unknown municipality"),
        ('username = "ohjaaja1"', 'username = "hoitaja1"', 21, "duplicate username"),
        ('register = "social"', 'register = "health"', 24, "counsellor"),
        ('role = "nurse"', 'role = "doctor"', 15, "doctor"),
        ('languages = ["fi"]\n\n[[worker]]', 'languages = ["fi", "ru"]\n\n[[worker]]', 10, "ru"),
        ('modes = ["visit"]', 'modes = ["visit", "teleport"]', 36, "teleport"),
        ('service_area = "health"', 'service_area = "surgery"', 35, "surgery"),
        ('day_start = "08:00"', 'day_start = "8am"', 40, "08:00"),
        ('day_end = "10:00"', 'day_end = "07:00"', 41, "after"),
        ('fill_ratio = 0.5', 'fill_ratio = 1.5', 43, "fill_ratio"),
        ('days = 5', 'days = 5\nweeks = 1', 40, "unknown key 'weeks'"),
        ('code = "JL-KESK"', 'code = "jl kesk"', 7, "identifier"),
        ('name = "Testi Hoitaja"', 'name = "Testi Hoitaja', 14, ""),  # TOML syntax
    ],
)
def test_a_broken_region_names_itself_and_the_line(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    assert old in GOOD
    path = tmp_path / "region.toml"
    path.write_text(GOOD.replace(old, new, 1), "utf-8")
    with pytest.raises(DataFileError) as caught:
        load_demo_region(tmp_path)
    assert caught.value.path == path
    assert caught.value.line == line, str(caught.value)
    assert words in caught.value.reason


def test_a_profession_with_two_names_is_an_error(tmp_path: Path) -> None:
    second = GOOD[GOOD.index("[[professional]]") : GOOD.index("[slots]")]
    second = second.replace("kesk-doctor-1", "kesk-doctor-2").replace('"Lääkäri" }', '"Laakari" }')
    path = tmp_path / "region.toml"
    path.write_text(GOOD.replace("[slots]", second + "[slots]"), "utf-8")
    with pytest.raises(DataFileError) as caught:
        load_demo_region(tmp_path)
    assert caught.value.line == 42 and "profession_name" in caught.value.reason


def test_broken_names(tmp_path: Path) -> None:
    path = tmp_path / "names.toml"
    lists = "\n".join(
        f'{key} = ["A", "B"]' for key in ("fi_female", "fi_male", "fi_last", "sv_female", "sv_male")
    )
    path.write_text(lists + '\nsv_last = ["A", "A"]\n', "utf-8")
    with pytest.raises(DataFileError) as caught:
        load_names(path)
    assert caught.value.line == 6 and "twice" in caught.value.reason

    path.write_text(lists + "\n", "utf-8")
    with pytest.raises(DataFileError) as caught:
        load_names(path)
    assert "sv_last" in caught.value.reason
