"""Issue 20: a client with a non-disclosure order (turvakielto), one who needs an interpreter,
and the language of service as any ISO 639 code - in the store, the export and the demo."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ohjaus_core.domain.languages import InvalidLanguage, language_name, normalize_language
from ohjaus_tui.export import export
from ohjaus_core.i18n import set_language

from ..conftest import FIXED_NOW
from ..factories import add_client, advice_draft, viewer


def add(store, individual: int, municipality: str = "Kaukoniemi", **kwargs):
    return add_client(store, date(1980, 5, 4), individual, "Salainen", "Testaaja", by=viewer(store, "hoitaja1"),
                      municipality=municipality, **kwargs)


def test_language_codes_of_iso_639_1_and_3_are_taken_and_named_in_the_ui_language():
    assert normalize_language(" AR ") == "ar"
    assert normalize_language("ara") == "ar"  # one language, one code: ISO 639-1 where it has one
    assert normalize_language("fse") == "fse"  # Finnish Sign Language: ISO 639-3 only
    for wrong in ("xx", "zzz", "arabic", "a", "", "f1"):
        with pytest.raises(InvalidLanguage):
            normalize_language(wrong)
    assert language_name("ar", "fi") == "arabia"
    assert language_name("ar", "sv") == "arabiska"
    assert language_name("fse", "fi") == "suomalainen viittomakieli"
    assert language_name("so", "en") == "Somali"
    assert language_name("aaa", "fi") == "Ghotuo"  # CLDR has no Finnish name: the standard's


def test_the_client_keeps_the_flags_and_a_checked_language(store):
    client = add(store, 951, protected=True, interpreter=True, service_language="ARA")
    held = store.clients.client(client.id)
    assert (held.protected, held.interpreter, held.service_language) == (True, True, "ar")
    with pytest.raises(InvalidLanguage):
        add(store, 952, service_language="klingon")
    assert add(store, 953, service_language="fi").service_language == ""  # the national one
    changed = store.clients.update_client(client.id, FIXED_NOW, protected=False, service_language="so")
    assert (changed.protected, changed.service_language) == (False, "so")


def test_an_export_of_a_protected_client_holds_no_municipality(store, tmp_path):
    client = add(store, 954, protected=True, municipality="Kaukoniemi")
    open_client = add(store, 955, municipality="Lähilahti")
    lead = viewer(store, "esihenkilo1")
    # The clients go into the health register's export with a contact each.
    from ohjaus_core.domain.codes import Segment

    for client_id in (client.id, open_client.id):
        nurse = viewer(store, "hoitaja1")
        draft = advice_draft(store, client_id, reason="Testi", suggested_segment=Segment.ADVICE, advice_text="Lepoa.")
        store.contacts.sign(draft, FIXED_NOW, nurse)
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"export.{fmt}"
        export(store, lead, fmt, out, "audit", "", FIXED_NOW)
        written = out.read_text("utf-8")
        assert "Kaukoniemi" not in written  # nowhere in the file, in no record
        assert "Lähilahti" in written  # a client without the order keeps theirs
    records = [json.loads(line) for line in (tmp_path / "export.jsonl").read_text("utf-8").splitlines()]
    exported = next(r for r in records if r["id"] == client.id)
    assert exported["municipality"] == "Non-disclosure" and exported["protected"] is True
    # The store keeps it: the register's data, synced as it is.
    assert store.clients.client(client.id).municipality == "Kaukoniemi"


def test_the_mark_is_in_the_ui_language():
    from ohjaus_core.domain.protected import municipality_shown

    try:
        for language, mark in (("fi", "Turvakielto"), ("sv", "Spärrmarkering"), ("en", "Non-disclosure")):
            set_language(language)
            assert municipality_shown(True, "Kaukoniemi") == mark
            assert municipality_shown(False, "Kaukoniemi") == "Kaukoniemi"
    finally:
        set_language("en")


def test_the_demo_has_protected_clients_and_one_with_an_interpreter(store):
    from sqlmodel import select

    from ohjaus_core.domain.identity import parse_identity_code
    from ohjaus_tui.store.models import Client

    with store.session() as session:
        protected = list(session.exec(select(Client).where(Client.protected == True)))  # noqa: E712
        interpreted = list(session.exec(select(Client).where(Client.interpreter == True)))  # noqa: E712
    assert len(protected) == 2 and len(interpreted) == 1
    assert interpreted[0].service_language == "ru"
    for client in (*protected, *interpreted):
        parsed = parse_identity_code(client.identity_code)  # a valid check character
        assert parsed.temporary and client.identity_temporary  # the test range 900-999
