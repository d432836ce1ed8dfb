"""The referral catalogue: the shipped file, filtering, and broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ohjaus_core.domain.catalogue import Service, ServiceKind, load_catalogue, services_for
from ohjaus_core.domain.codes import Register, ServiceArea
from ohjaus_core.domain.errors import DataFileError
from ohjaus_core.i18n import current_language, set_language

SERVICES = Path(__file__).resolve().parents[2] / "data" / "services.toml"
CATALOGUE = load_catalogue(SERVICES)
BY_CODE = {service.code: service for service in CATALOGUE}


def test_the_shipped_catalogue_loads() -> None:
    assert len(CATALOGUE) >= 25
    assert len(BY_CODE) == len(CATALOGUE)
    assert {s.kind for s in CATALOGUE} == set(ServiceKind)
    for code in (
        "urgent_care", "oral_health", "social_guidance", "home_care", "kela",
        "employment_services", "rescue_services", "emergency_department", "crisis_centre",
        "child_welfare_intake", "police", "shelter", "parish_diaconia",
    ):
        assert code in BY_CODE


@pytest.mark.parametrize("service", CATALOGUE, ids=lambda s: s.code)
def test_every_entry_is_complete_and_fictional(service: Service) -> None:
    assert set(service.names) == {"fi", "sv", "en"}
    assert set(service.descriptions) == {"fi", "sv", "en"}
    assert service.service_areas
    # phone numbers from the demo range, web addresses under the reserved .example domain
    assert service.contact.startswith("+358 9 4242 ") or ".example/" in service.contact


def test_any_register_serves_both() -> None:
    kela = BY_CODE["kela"]
    assert kela.register is None
    assert kela.serves(Register.HEALTH) and kela.serves(Register.SOCIAL)
    assert BY_CODE["urgent_care"].register is Register.HEALTH
    assert not BY_CODE["urgent_care"].serves(Register.SOCIAL)


def test_services_for_a_register_and_area() -> None:
    social = services_for(CATALOGUE, Register.SOCIAL)
    assert "urgent_care" not in {s.code for s in social}
    assert {"kela", "social_guidance", "police"} <= {s.code for s in social}

    family = [s.code for s in services_for(CATALOGUE, Register.SOCIAL, ServiceArea.FAMILY)]
    assert "child_welfare_intake" in family and "older_people_guidance" not in family
    assert family == [s.code for s in CATALOGUE if s.code in family]  # catalogue order

    oral = [s.code for s in services_for(CATALOGUE, Register.HEALTH, ServiceArea.ORAL_HEALTH)]
    assert oral == ["oral_health", "emergency_department"]


def test_name_follows_the_language() -> None:
    before = current_language()
    try:
        set_language("sv")
        assert BY_CODE["kela"].name == "FPA"
        set_language("fi")
        assert BY_CODE["kela"].name == "Kela"
        assert BY_CODE["home_care"].description.startswith("Kotiin")
    finally:
        set_language(before)


GOOD = """\
[[service]]
code = "first"
kind = "service"
register = "health"
service_areas = ["health"]
name = { fi = "Eka", sv = "Första", en = "First" }
description = { fi = "Kuvaus.", sv = "Beskrivning.", en = "Description." }
contact = "+358 9 4242 0001"
warm_handover = true

[[service]]
code = "second"
kind = "partner"
register = "any"
service_areas = ["family", "health"]
name = { fi = "Toka", sv = "Andra", en = "Second" }
description = { fi = "Kuvaus.", sv = "Beskrivning.", en = "Description." }
contact = "järvilaakso.example/toka"
warm_handover = false
"""


def test_a_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "services.toml"
    path.write_text(GOOD, "utf-8")
    first, second = load_catalogue(path)
    assert first.kind is ServiceKind.SERVICE and first.warm_handover
    assert second.register is None and second.service_areas == (ServiceArea.FAMILY, ServiceArea.HEALTH)


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('code = "second"', 'code = "second', 12, ""),  # TOML syntax
        ('code = "second"', 'code = "first"', 12, "duplicate service code 'first'"),
        ('kind = "partner"', 'kind = "friend"', 13, "friend"),
        ('register = "any"', 'register = "both"', 14, "both"),
        ('register = "health"', 'register = "social"', 5, "use register"),
        ('service_areas = ["family", "health"]', 'service_areas = ["family", "dental"]', 15, "dental"),
        ('service_areas = ["health"]', 'service_areas = []', 5, "empty"),
        ('name = { fi = "Toka", sv = "Andra", en = "Second" }', 'name = { sv = "Andra" }', 16, "Finnish"),
        ('contact = "+358 9 4242 0001"', 'contact = 3589', 8, "string"),
        ('warm_handover = false', 'warm_handover = "no"', 19, "true or false"),
        ('warm_handover = true', 'warm_handover = true\nurl = "x"', 10, "unknown key 'url'"),
        ('contact = "järvilaakso.example/toka"\n', '', 11, "missing key 'contact'"),
    ],
)
def test_a_broken_file_names_itself_and_the_line(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    assert old in GOOD
    path = tmp_path / "services.toml"
    path.write_text(GOOD.replace(old, new, 1), "utf-8")
    with pytest.raises(DataFileError) as caught:
        load_catalogue(path)
    assert caught.value.path == path
    assert caught.value.line == line, str(caught.value)
    assert words in caught.value.reason


def test_gambling_help_fits_gambling_and_family_services_a_family_that_cannot_cope():
    """Catalogue gaps of 5.12.2026: Peluuri (national, anonymous) is first for a client whose
    answers show gambling harms, and not offered for every substance use; the families' home help and family work
    (SHL 18-19 §) fits a family that cannot cope with daily life."""
    from ohjaus_core.domain.catalogue import by_need, services_for

    social = services_for(CATALOGUE, Register.SOCIAL)
    peluuri = BY_CODE["peluuri"]
    assert peluuri.anonymous and peluuri.first_for == ("gambling_harms",) and not peluuri.domains
    drinking = [s.code for s in by_need(social, ["substance_use"], 40, ["substance_use_harms"])]
    gambling = [s.code for s in by_need(social, ["substance_use", "livelihood"], 40, ["gambling_harms"])]
    assert drinking.index("peluuri") > drinking.index("substance_ngo") and drinking[0] != "peluuri"
    assert gambling[0] == "peluuri"
    # No money for food today: Kela's basic social assistance (decided by the next working day) first.
    urgent = by_need(social, ["substance_use", "livelihood"], 40, ["gambling_harms", "no_money_for_food_or_medicine"])
    assert urgent[0].code == "kela"
    family = by_need(social, ["family_children", "coping_at_home"], 34, ["family_needs_support"])
    assert family[0].code == "family_services"


@pytest.mark.parametrize(
    ("old", "new", "key", "word"),
    [
        ('domains = ["substance_use"]', 'domains = ["substance"]', "domains", "substance"),
        ('first_for = ["gambling_harms"]', 'first_for = ["gambling"]', "first_for", "gambling"),
        ('fallback_for = ["long_term_or_help_not_enough"]', 'fallback_for = ["long_term"]', "fallback_for", "long_term"),
        ('"!older_person_not_coping"', '"!older_not_coping"', "first_when", "older_not_coping"),
        ('duty = "child_welfare_notification"', 'duty = "child_protection_notification"', "duty", "child_protection_notification"),
    ],
)
def test_a_region_s_typo_in_a_social_id_is_refused_naming_the_line(tmp_path: Path, old, new, key, word) -> None:
    """A region that edits its catalogue (OHJAUS_SHIPPED_DATA, or `region import`) and writes a
    need domain, question or duty the social protocol does not have would leave the service
    silently out of its place - never first for the need it was written for. Refused, with the
    file, the line and the ids the protocol has; the same file with the right id loads."""
    from ohjaus_core.domain.catalogue import social_of
    from ohjaus_core.domain.protocols.loading import load_protocols

    social = social_of(load_protocols(SERVICES.parent / "protocols"))
    text = SERVICES.read_text("utf-8")
    assert text.count(old) == 1
    path = tmp_path / "services.toml"
    path.write_text(text.replace(old, new), "utf-8")
    assert len(load_catalogue(path)) == len(CATALOGUE)  # without the protocol: not checked
    with pytest.raises(DataFileError) as caught:
        load_catalogue(path, social)
    line = next(n for n, text_line in enumerate(path.read_text("utf-8").splitlines(), 1) if new in text_line)
    assert caught.value.path == path and caught.value.line == line, str(caught.value)
    assert f"'{word}' in {key}" in caught.value.reason
    path.write_text(text, "utf-8")
    assert load_catalogue(path, social) == CATALOGUE


def without_service(text: str, code: str) -> str:
    """A catalogue's text with the `[[service]]` of `code` taken out."""
    blocks = text.split("[[service]]\n")
    kept = [b for b in blocks if not b.startswith(f'code = "{code}"\n')]
    assert len(kept) == len(blocks) - 1, code
    return "[[service]]\n".join(kept)


def assert_refused_in_fi_and_sv(path: Path, social, english: str, *ids: str) -> None:
    """The refusal of `path` reads in Finnish and Swedish too, each naming every one of `ids`."""
    for language in ("fi", "sv"):
        set_language(language)
        try:
            with pytest.raises(DataFileError) as translated:
                load_catalogue(path, social)
        finally:
            set_language("en")
        assert all(f"'{i}'" in translated.value.reason for i in ids) and translated.value.reason != english


@pytest.mark.parametrize(("code", "duty"), [
    ("shelter", "immediate_safety_response"),
    ("child_welfare_intake", "child_welfare_notification"),
    ("older_person_notification", "older_person_notification"),
])
def test_a_catalogue_without_a_duty_s_receiver_is_refused_naming_the_duty(tmp_path: Path, code, duty) -> None:
    """A duty of the social protocol is made to the services it names (`receivers`); the duty
    screen lists them from the catalogue and left one it lacked silently out. A region's
    catalogue without one is refused, naming the file, the duty and the missing service."""
    from ohjaus_core.domain.catalogue import social_of
    from ohjaus_core.domain.protocols.loading import load_protocols

    social = social_of(load_protocols(SERVICES.parent / "protocols"))
    assert code in social.duty(duty).receivers
    path = tmp_path / "services.toml"
    path.write_text(without_service(SERVICES.read_text("utf-8"), code), "utf-8")
    assert len(load_catalogue(path)) == len(CATALOGUE) - 1  # without the protocol: not checked
    with pytest.raises(DataFileError) as caught:
        load_catalogue(path, social)
    assert caught.value.path == path
    assert f"duty '{duty}' is made to the service '{code}', which this catalogue lacks" in caught.value.reason
    assert_refused_in_fi_and_sv(path, social, caught.value.reason, duty, code)


@pytest.mark.parametrize(("code", "duty"), [
    ("shelter", "child_welfare_notification"),  # a receiver of another duty, not of this one
    ("social_guidance", "older_person_notification"),  # a receiver of no duty
])
def test_a_service_marked_for_a_duty_not_made_to_it_is_refused_naming_it(tmp_path: Path, code, duty) -> None:
    """The reverse: a service marked `duty = X` that duty X is not made to (its `receivers`)
    would never be offered on the duty screen for X, while the referral list ranks it as X's
    receiver. Refused, naming the file, the line, the service and the duty, in fi/sv/en."""
    from ohjaus_core.domain.catalogue import social_of
    from ohjaus_core.domain.protocols.loading import load_protocols

    social = social_of(load_protocols(SERVICES.parent / "protocols"))
    assert code not in social.duty(duty).receivers
    text = SERVICES.read_text("utf-8")
    start = text.index(f'code = "{code}"\n')
    end = text.index("[[service]]", start)
    marked = text[:end] + f'duty = "{duty}"\nlegal_basis = {{ fi = "L", sv = "L", en = "L" }}\n\n' + text[end:]
    path = tmp_path / "services.toml"
    path.write_text(marked, "utf-8")
    assert len(load_catalogue(path)) == len(CATALOGUE)  # without the protocol: not checked
    with pytest.raises(DataFileError) as caught:
        load_catalogue(path, social)
    line = marked[: marked.index(f'duty = "{duty}"', start)].count("\n") + 1
    assert caught.value.path == path and caught.value.line == line, str(caught.value)
    assert f"the service '{code}' is marked to receive the duty '{duty}'" in caught.value.reason
    assert_refused_in_fi_and_sv(path, social, caught.value.reason, duty, code)


def test_every_service_of_the_shipped_catalogue_marked_for_a_duty_is_one_of_its_receivers() -> None:
    from ohjaus_core.domain.catalogue import social_of
    from ohjaus_core.domain.protocols.loading import load_protocols

    social = social_of(load_protocols(SERVICES.parent / "protocols"))
    marked = [(s.code, s.duty) for s in load_catalogue(SERVICES, social) if s.duty]
    assert marked and all(code in social.duty(duty).receivers for code, duty in marked)


@pytest.mark.parametrize("broken", ["shelter", "[[service]]\ncode = 7\n"], ids=["no-receiver", "code-not-a-string"])
def test_a_kept_aside_catalogue_is_read_once_and_said_in_the_language_shown(monkeypatch, broken: str) -> None:
    """F6 draws the line of a region's catalogue kept aside at every refresh: the record is read
    once, and its reason (the duty and the service; a key and the kind it must be) still comes
    in the language shown now - the same text a fresh reading in that language gives."""
    import json

    from ohjaus_core.domain import catalogue
    from ohjaus_core.domain.catalogue import social_of
    from ohjaus_core.domain.protocols.loading import load_protocols
    from ohjaus_core.i18n import _

    social = social_of(load_protocols(SERVICES.parent / "protocols"))
    text = without_service(SERVICES.read_text("utf-8"), broken) if broken == "shelter" else broken
    record = json.dumps({"id": "catalogue", "toml": text, "optional": []})
    fresh = {}
    try:
        for language in ("fi", "sv", "en"):
            set_language(language)
            with pytest.raises(DataFileError) as caught:
                catalogue.catalogue_from_text(text, social=social)
            fresh[language] = _(
                "The region's referral catalogue came by sync but cannot be used on this device: {problem}. "
                "The catalogue in use stays; tried again at every sync, reported to the central API."
            ).format(problem=str(caught.value).rstrip("."))
        assert len(set(fresh.values())) == 3  # three languages, three texts

        reads = []
        real = catalogue.catalogue_from_text
        monkeypatch.setattr(catalogue, "catalogue_from_text", lambda *a, **k: reads.append(1) or real(*a, **k))
        monkeypatch.setattr(catalogue, "_KEPT_READ", {}, raising=False)
        for language in ("fi", "en", "sv", "fi"):  # the worker switches the language (F9) between draws
            set_language(language)
            for _draw in range(3):
                assert catalogue.kept_aside_text(record, social, "as recorded") == fresh[language]
    finally:
        set_language("en")
    assert len(reads) == 1
