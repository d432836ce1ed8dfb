"""Finding the protocol by a symptom word: Finnish, Swedish and English at once, lay words."""

from __future__ import annotations

from pathlib import Path

import pytest

from ohjaus_core.domain.codes import Register, ServiceArea, Urgency
from ohjaus_core.domain.protocol_finder import find_protocols, score
from ohjaus_core.domain.protocols.loading import load_protocols
from ohjaus_core.domain.protocols.model import Protocol

SHIPPED = load_protocols(Path(__file__).resolve().parents[2] / "data" / "protocols")


def ids(text: str, protocols: list[Protocol] = SHIPPED) -> list[str]:
    return [protocol.id for protocol in find_protocols(protocols, text)]


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        # Finnish, lay words and inflected forms
        ("pissa", "urinary"),
        ("pissatessa kirvelee", "urinary"),
        ("rintakipu", "chest_pain"),
        ("rintaa puristaa", "chest_pain"),
        ("päänsärkyä", "headache_stroke"),
        ("hammas", "dental_pain"),
        ("noidannuoli", "back_pain"),
        ("masu", "abdominal_pain"),
        ("ripuli", "vomiting_diarrhoea_adult"),
        ("lapsen ripuli", "vomiting_diarrhoea_child"),
        ("palovamma", "burns"),
        ("korvakipu", "ear"),
        ("vanhus kaatui", "falls_older_person"),
        ("nieli nappipariston", "poisoning"),
        ("verenpaine", "high_blood_pressure"),
        ("lapsen kuume", "fever_child"),
        ("kuume", "fever_adult"),
        ("hengenahdistus", "shortness_of_breath"),
        ("nyrjähdys nilkka", "injury"),
        ("ihottuma", "skin"),
        ("punkki", "skin"),
        ("resepti", "medication_question"),
        ("masennus", "mental_health_crisis"),
        ("viina", "substance_use"),
        # Swedish
        ("ont i bröstet", "chest_pain"),
        ("tandvärk", "dental_pain"),
        ("ryggskott", "back_pain"),
        ("andnöd", "shortness_of_breath"),
        ("svider när hon kissar", "urinary"),
        ("barnet har feber", "fever_child"),
        ("nässelutslag", "skin"),
        # English
        ("toothache", "dental_pain"),
        ("sciatica", "back_pain"),
        ("itchy rash", "skin"),
        ("tummy ache", "abdominal_pain"),
        ("short of breath", "shortness_of_breath"),
        ("heart attack", "chest_pain"),
        ("child with a fever", "fever_child"),
        ("overdose", "medication_question"),
        ("PEE", "urinary"),
    ],
)
def test_a_symptom_word_lists_its_protocol_first(typed: str, first: str) -> None:
    found = ids(typed)
    assert found and found[0] == first, found


def make(protocol_id: str, order: int, fi: list[str], en: list[str] = ()) -> Protocol:
    return Protocol(
        id=protocol_id, version=1, register=Register.HEALTH, service_areas=(ServiceArea.HEALTH,),
        order=order, titles={"fi": protocol_id, "en": protocol_id},
        default_urgency=Urgency.NON_URGENT, questions=(),
        keywords={"fi": tuple(fi), "en": tuple(en)},
    )


# Protocols for the families other files add (new in issue 13), with their lay words: the
# finder's matching is tested here on its own, whichever files a region ships.
FAMILIES = [
    make("diabetes", 10, ["sokeri", "verensokeri", "diabetes", "insuliini"], ["sugar", "diabetes"]),
    make("allergy", 20, ["allergia", "allerginen", "nokkonen"], ["allergy", "allergic"]),
    make("sore_throat", 30, ["kurkku", "kurkkukipu", "nielu", "flunssa"], ["throat"]),
    make("pregnancy", 40, ["raskaus", "raskaana", "odottaa"], ["pregnant", "pregnancy"]),
    make("dizziness", 50, ["huimaa", "huimaus", "pyörryttää"], ["dizzy", "vertigo"]),
    make("urinary", 60, ["virtsa", "pissa"], ["pee"]),
    make("breast_lump", 70, ["rinta", "kyhmy"], ["breast", "lump"]),
    make("chest_pain", 5, ["rintakipu", "rinta"], ["chest"]),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sokeri", ["diabetes"]),
        ("verensokeri heittelee", ["diabetes"]),
        ("allergia", ["allergy"]),
        ("allerginen reaktio", ["allergy"]),
        ("aller", ["allergy"]),  # half typed
        ("kurkkua", ["sore_throat"]),  # inflected: begins with the keyword
        ("kurkku", ["sore_throat"]),
        ("raskaus", ["pregnancy"]),
        ("raskaana", ["pregnancy"]),
        ("huimaa", ["dizziness"]),
        ("pissa", ["urinary"]),
        ("SOKERI", ["diabetes"]),  # case does not matter
        ("sugar", ["diabetes"]),
        ("dizzy", ["dizziness"]),
        ("ab", []),  # fewer than three letters match nothing
        ("", []),
        ("xyzzy", []),
        # two fit one word: both listed, picker order breaks the tie
        ("rinta", ["chest_pain", "breast_lump"]),
        # a second word decides: more matching words score more
        ("rinta kyhmy", ["breast_lump", "chest_pain"]),
        ("rintakipu", ["chest_pain", "breast_lump"]),
    ],
)
def test_lay_words_and_synonyms_come_from_the_keywords(typed: str, expected: list[str]) -> None:
    assert ids(typed, FAMILIES) == expected


def test_a_whole_word_scores_more_than_a_beginning() -> None:
    chest, breast = FAMILIES[-1], FAMILIES[-2]
    assert score(chest, "rintakipu") > score(breast, "rintakipu") > 0


def test_title_words_in_every_language_are_found_too() -> None:
    assert ids("Bröstsmärta")[0] == "chest_pain"
    assert ids("Urineringsbesvär")[0] == "urinary"
    assert "social_service_need" in ids("servicebehov")


def aged(text: str, age: int | None) -> list[str]:
    return [protocol.id for protocol in find_protocols(SHIPPED, text, age)]


@pytest.mark.parametrize(
    ("typed", "age", "first"),
    [
        ("kuume", 0, "fever_child"),
        ("kuume", 15, "fever_child"),
        ("kuume", 16, "fever_adult"),
        ("fever", 70, "fever_adult"),
        ("ripuli", 1, "vomiting_diarrhoea_child"),
        ("oksentelu", 4, "vomiting_diarrhoea_child"),
        ("ripuli", 40, "vomiting_diarrhoea_adult"),
        ("lapsen ripuli", 30, "vomiting_diarrhoea_adult"),  # the client is the adult
        ("ihottuma", 2, "rash_child"),
        ("ihottuma", 40, "skin"),
    ],
)
def test_the_clients_age_lists_the_protocol_for_that_age_first(
    typed: str, age: int, first: str
) -> None:
    assert aged(typed, age)[0] == first


def test_a_protocol_for_another_age_stays_findable_but_last() -> None:
    found = aged("kuume", 3)
    assert found[0] == "fever_child" and found[-1] == "fever_adult"
    assert set(found) == set(aged("kuume", None))


def test_an_unknown_age_changes_nothing() -> None:
    for typed in ("kuume", "ripuli", "ihottuma", "rintakipu"):
        assert aged(typed, None) == ids(typed)


@pytest.mark.parametrize(
    ("typed", "age", "first", "before"),
    [
        # a word of the title beats the same word as another protocol's keyword
        ("ripuli", None, "vomiting_diarrhoea_adult", "abdominal_pain"),
        ("oksentelu", None, "vomiting_diarrhoea_adult", "abdominal_pain"),
        ("vatsatauti", 3, "vomiting_diarrhoea_child", "abdominal_pain"),
        ("diarré", 40, "vomiting_diarrhoea_adult", "abdominal_pain"),
        ("palovamma", None, "burns", None),  # injury no longer takes burns
        ("brännskada", None, "burns", None),
        ("burn", None, "burns", None),
        ("vatsakipu", None, "abdominal_pain", None),
        ("krapula", None, "substance_use", None),
        # an exact keyword beats another protocol's beginning of a word
        ("rintakyhmy", None, "breast_lump", "chest_pain"),
        ("rintakipu", None, "chest_pain", "breast_lump"),
        # "rinta" alone says chest as well as breast: chest pain first, the safer
        ("rinta", None, "chest_pain", "breast_lump"),
        # an older person's fall is its own protocol; a young adult's is an injury
        ("kaatuminen", 80, "falls_older_person", "injury"),
        ("kaatuminen", 30, "injury", "falls_older_person"),
        # a rash of unknown age is a skin problem first; a toddler's the child's rash
        ("ihottuma", None, "skin", "rash_child"),
        ("ihottuma", 1, "rash_child", "skin"),
    ],
)
def test_ranking_of_shared_lay_words(typed: str, age: int | None, first: str, before: str | None) -> None:
    found = aged(typed, age)
    assert found[0] == first
    if before is None:
        # injury no longer takes burns: at most listed after it, by its compound head
        # ("palo|vamma", "bränn|skada")
        assert "injury" not in found[:1]
    else:
        assert found.index(first) < found.index(before)


def test_an_exact_word_beats_a_beginning_and_a_title_word_beats_a_keyword() -> None:
    burns = next(p for p in SHIPPED if p.id == "burns")
    abdomen = next(p for p in SHIPPED if p.id == "abdominal_pain")
    adult = next(p for p in SHIPPED if p.id == "vomiting_diarrhoea_adult")
    assert score(burns, "palovamma") > score(burns, "palovam")  # exact > beginning
    assert score(adult, "ripuli", 40) > score(abdomen, "ripuli")  # title > keyword
    assert score(adult, "ripuli", None) == score(abdomen, "ripuli")  # unknown age: as a keyword


def test_rinta_lists_chest_pain_first_and_breast_is_still_found() -> None:
    # "rinta" says chest as well as breast: chest pain first is the safe order; a breast word
    # finds the breast protocol first
    assert ids("rinta")[:2] == ["chest_pain", "breast_lump"]
    for typed in ("rinta", "rintakyhmy", "kyhmy"):
        assert "breast_lump" in ids(typed), typed
    assert ids("rintakyhmy")[0] == "breast_lump" and ids("kyhmy")[0] == "breast_lump"


def test_fever_of_an_unidentified_caller_lists_the_adult_and_the_child_protocol() -> None:
    found = aged("kuume", None)
    assert {"fever_adult", "fever_child"} <= set(found[:2])


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        # a word no symptom's own protocol takes: the general one, never none
        ("kipu", "general_symptom"),
        ("sattuu", "general_symptom"),
        ("väsymys", "general_symptom"),
        ("huono olo", "general_symptom"),
        # stroke signs in the caller's words find the stroke protocol
        ("puutuminen", "headache_stroke"),
        ("käsi puutuu", "headache_stroke"),
        ("numbness", "headache_stroke"),
        # a painkiller question is a medicine question, not a headache
        ("särkylääke", "medication_question"),
        ("kipulääke", "medication_question"),
        # an overdose is a poisoning, where any overdose is a red flag
        ("yliannos", "poisoning"),
    ],
)
def test_words_of_the_general_symptom_and_of_stroke_and_medicines(typed: str, first: str) -> None:
    assert ids(typed)[0] == first, ids(typed)


@pytest.mark.parametrize("typed", ["vatsakipu", "rintakipu", "päänsärky", "selkäkipu", "ont i bröstet"])
def test_a_named_symptom_is_not_taken_by_the_general_protocol(typed: str) -> None:
    assert ids(typed)[0] != "general_symptom"


@pytest.mark.parametrize("typed", ["kylkikipu", "kylkikipua", "olkavarsikipu", "pohjesärky"])
def test_a_compound_no_protocol_names_finds_the_protocol_of_its_head_word(typed: str) -> None:
    """A Finnish compound ends in its head word: '-kipu', '-särky' find the general protocol
    instead of nothing (a nurse never meets an empty list for a pain word)."""
    assert "general_symptom" in ids(typed), ids(typed)


def test_a_compound_head_ranks_below_every_whole_word_or_beginning() -> None:
    assert ids("polvikipu")[0] == "joint_pain_swelling"
    assert ids("kurkkukipu")[0] == "sore_throat"
    assert score(next(p for p in SHIPPED if p.id == "general_symptom"), "kylkikipu") == 1
