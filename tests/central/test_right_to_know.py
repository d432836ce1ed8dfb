"""A client's right to know (Client Data Act 703/2023 § 11) answered by the controller:
`ohjaus client --db URL access-log CODE` prints every use and disclosure of the client's data
that the central API holds, of every unit and both registers, and never another client's; a
wrong identity code is refused; no rows are said plainly; the answer is written to the log
before it is shown, and with --out to a CSV file for the client. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from ohjaus.cli import main
from ohjaus_central.db import CentralStore
from ohjaus_central.serve import load_demo_region
from ohjaus_central.tables import access_event, controller_access_event, device_log_anchor, record
from ohjaus_core.domain.access_log import AccessAction, Purpose
from ohjaus_core.domain.clock import now
from ohjaus_core.domain.identity import client_id_for, make_identity_code
from ohjaus_core.protocol import RecordType

from ..sync_helpers import sync_all

CODE_A = make_identity_code(date(1952, 10, 13), 308)  # 131052-308T
CODE_B = make_identity_code(date(1980, 12, 31), 999)
OFFICER = "Tietosuojavastaava Tiina"


def answer(db_url: str, *args: str, capsys) -> tuple[int, str, str]:
    code = main(["client", "--db", db_url, "access-log", *args])
    said = capsys.readouterr()
    return code, said.out, said.err


def answers(db_url: str) -> list[dict]:
    store = CentralStore(db_url)
    with store.engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(select(controller_access_event)).mappings()]
    store.close()
    return rows


# -- a real server, devices of both registers and of two units --------------------------------


def test_the_answer_has_both_registers_and_every_unit_and_no_other_client(server, devices, capsys):
    health = devices("health", "JL-KESK", ("health",))
    social = devices("social", "JL-KESK", ("social",))
    pohj = devices("pohj", "JL-POHJ", ("health",))
    client = health.add_client(date(1952, 10, 13), 908, "Aino")
    other = health.add_client(date(1980, 12, 31), 909, "Bertta")
    sync_all(health, social, pohj)
    pohj_client = pohj.add_client(date(1952, 10, 13), 908, "Aino")  # the same person, known at another unit too
    assert pohj_client.id == client.id
    at = now()
    health_worker, social_worker, pohj_worker = health.worker(), social.worker("social"), pohj.worker()
    health.store.protection.log_access(
        health.store.viewer(health_worker.id), [client.id], AccessAction.VIEW, "contacts", Purpose.CONTACT.value, at, "health")
    social_viewer = social.store.viewer(social_worker.id)
    social.store.protection.log_access(social_viewer, [client.id], AccessAction.VIEW, "consent", Purpose.CONTACT.value, at, "social")
    social.store.protection.log_access(
        social_viewer, [client.id], AccessAction.EXPORT, "export", f"{Purpose.EXPORT.value}:toimeentulotuki", at, "social",
        recipient="Kela")
    pohj.store.protection.log_access(
        pohj.store.viewer(pohj_worker.id), [client.id], AccessAction.VIEW, "client", Purpose.CONTACT.value, at, "health")
    # The other client: viewed by the same health worker, by a worker no one else is, exported to another recipient.
    health.store.protection.log_access(
        health.store.viewer(health_worker.id), [other.id], AccessAction.VIEW, "follow-up", Purpose.WORKLIST.value, at, "health")
    social.store.protection.log_access(
        social_viewer, [other.id], AccessAction.EXPORT, "export", f"{Purpose.EXPORT.value}:muu", at, "social",
        recipient="Verohallinto")
    sync_all(health, social, pohj)

    code, out, _err = answer(server.db_url, client.identity_code, "--by", OFFICER, capsys=capsys)

    assert code == 0
    assert f"Client: Asiakas Aino, {client.identity_code}" in out
    assert health_worker.name in out and social_worker.name in out and pohj_worker.name in out
    assert "JL-KESK" in out and "JL-POHJ" in out
    assert "Health care" in out and "Social welfare" in out
    uses, disclosures = out.split("Disclosures:")
    assert "Use of the data:" in uses and "consent" in uses and "contacts" in uses
    assert "Kela" in disclosures and "toimeentulotuki" in disclosures and "Exported" in disclosures
    # Nothing of the other client: not their data item, not their recipient.
    assert "follow-up" not in out and "Verohallinto" not in out and "muu" not in out
    # Each device's entries are there (the demo's own entries about this client may be too).
    assert out.count(social_worker.name) >= 2 and out.count(pohj_worker.name) >= 1

    # The answer is in the log, with who gave it and on what basis, and the next answer lists it.
    [given] = [row for row in answers(server.db_url) if row["client_id"] == client.id]
    assert (given["action"], given["purpose"], given["handled_by"], given["registers"]) == (
        "view", "right_to_know", OFFICER, "health,social")
    _code, again, _err = answer(server.db_url, client.identity_code, "--by", "Rekisterinpitäjä", capsys=capsys)
    assert OFFICER in again and "controller" in again
    assert client.identity_code not in server.log.read_text()  # the server's technical log


# -- the central database alone (rows as the devices sent them) --------------------------------


@pytest.fixture
def central(db_url):
    store = CentralStore(db_url)
    load_demo_region(store, date(2026, 11, 25))
    yield store
    store.close()


def _workers(store) -> tuple[dict, dict]:
    workers = list(store.records(RecordType.WORKER).values())
    health = next(w for w in workers if w["sector"] == "health")
    social = next(w for w in workers if w["sector"] == "social")
    return health, social


def _event(store, seq: int, client_id: str, worker: dict, at: datetime, **fields) -> None:
    row = dict(
        device_id="dev-1", seq=seq, id=f"e{seq}", at=at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds"),
        worker_id=worker["id"], unit_id=worker["unit_id"], client_id=client_id, action="view", item="client",
        sector=worker["sector"], purpose="contact", recipient="", prev_hash="0" * 64, hash="0" * 64,
        received_at=at + timedelta(minutes=5),
    )
    with store.engine.begin() as conn:
        conn.execute(insert(access_event).values({**row, **fields}))


def test_a_wrong_identity_code_is_refused_and_nothing_is_looked_up(central, capsys):
    for wrong, why in (("131052-308U", "check character"), ("131052Q308T", "century sign"), ("13105-308T", "DDMMYYCZZZQ")):
        code, out, err = answer(central.url, wrong, "--by", OFFICER, capsys=capsys)
        assert code == 2 and out == ""
        assert "Not a valid identity code" in err and why in err and err.count("\n") == 1
    assert answer(central.url, "--by", OFFICER, capsys=capsys)[0] == 2  # neither a code nor an id
    assert answers(central.url) == []


def test_no_rows_are_said_plainly_and_the_answer_is_still_logged(central, capsys):
    code, out, _err = answer(central.url, CODE_A, "--by", OFFICER, capsys=capsys)
    assert code == 0
    assert "No one has processed the client's data in these days" in out
    assert [row["client_id"] for row in answers(central.url)] == [client_id_for(CODE_A)]


def test_rows_of_both_registers_in_the_window_and_of_this_client_only(central, capsys):
    health, social = _workers(central)
    a, b = client_id_for(CODE_A), client_id_for(CODE_B)
    recent = now() - timedelta(days=3)
    _event(central, 1, a, health, recent, item="contacts")
    _event(central, 2, a, social, recent, item="consent", sector=None)  # the register from the worker
    _event(central, 3, b, health, recent, item="follow-up")
    _event(central, 4, a, social, now() - timedelta(days=800), item="work list")  # over two years back
    _event(central, 5, a, social, recent, action="export", item="export", purpose="export:selvitys", recipient="Kela")

    _code, out, _err = answer(central.url, CODE_A, "--by", OFFICER, capsys=capsys)
    assert "Use of the data: 2 rows" in out and "Disclosures: 1 row" in out
    assert health["name"] in out and social["name"] in out
    assert "Health care" in out and "Social welfare" in out and "Kela" in out
    assert "follow-up" not in out and "work list" not in out

    old = (now() - timedelta(days=801)).date().isoformat()
    _code, out, _err = answer(central.url, CODE_A, "--by", OFFICER, "--from", old, capsys=capsys)
    assert "work list" in out and "follow-up" not in out


def test_the_answer_in_finnish_and_swedish(central, capsys):
    health, _social = _workers(central)
    _event(central, 1, client_id_for(CODE_A), health, now() - timedelta(days=1), item="contacts")
    main(["--lang", "fi", "client", "--db", central.url, "access-log", CODE_A, "--by", OFFICER])
    finnish = capsys.readouterr().out
    assert "Terveydenhuolto" in finnish and "yhteydenotot" in finnish and health["name"] in finnish
    main(["--lang", "sv", "client", "--db", central.url, "access-log", CODE_A, "--by", OFFICER])
    swedish = capsys.readouterr().out
    assert "Hälso- och sjukvård" in swedish and health["name"] in swedish
    main(["--lang", "fi", "client", "--db", central.url, "access-log", "131052-308U", "--by", OFFICER])
    assert "tarkistusmerkki" in capsys.readouterr().err.lower()


def test_a_file_for_the_client_and_the_disclosure_logged_before_it(central, tmp_path, capsys):
    health, social = _workers(central)
    a = client_id_for(CODE_A)
    _event(central, 1, a, health, now() - timedelta(days=2), item="contacts")
    _event(central, 2, a, social, now() - timedelta(days=1), action="export", item="export",
           purpose="export:x", recipient="=HYPERLINK(\"x\")")
    out = tmp_path / "vastaus.csv"

    code, printed, _err = answer(central.url, CODE_A, "--by", OFFICER, "--request", "DNRO 12/2026", "--out", str(out),
                                 capsys=capsys)

    assert code == 0 and health["name"] in printed
    assert os.stat(out).st_mode & 0o777 == 0o600
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][0] == "Log" and len(rows) == 3
    assert [row[0] for row in rows[1:]] == ["use", "disclosure"]
    assert rows[1][2] == health["name"] and rows[2][-1].startswith("'=")  # never a formula
    [given] = answers(central.url)
    assert given["action"] == "export" and given["purpose"] == "right_to_know:DNRO 12/2026"
    assert given["recipient"] == f"the client ({out})"
    # An existing file is never overwritten, and nothing is logged for a refused answer.
    assert answer(central.url, CODE_A, "--by", OFFICER, "--out", str(out), capsys=capsys)[0] == 2
    assert len(answers(central.url)) == 1


def test_a_merged_client_and_the_client_id(central, capsys):
    health, _social = _workers(central)
    real, temporary = client_id_for(CODE_A), client_id_for(CODE_B)
    with central.engine.begin() as conn:
        conn.execute(insert(record).values(
            record_type=RecordType.MERGE.value, record_id=temporary, data=json.dumps({"into_id": real}), seq=10_000,
            unit_id=health["unit_id"], parent_id=real))
    _event(central, 1, temporary, health, now() - timedelta(days=1), item="contacts")
    _code, out, _err = answer(central.url, CODE_A, "--by", OFFICER, capsys=capsys)
    assert "contacts" in out  # logged under the temporary code's id before the merge
    _code, out, _err = answer(central.url, "--client-id", real, "--by", OFFICER, capsys=capsys)
    assert "contacts" in out
    assert answer(central.url, "--client-id", "not-an-id", "--by", OFFICER, capsys=capsys)[0] == 2


def test_the_answers_cannot_be_changed_or_deleted(central, capsys):
    answer(central.url, CODE_A, "--by", OFFICER, capsys=capsys)
    for statement in ("UPDATE controller_access_event SET handled_by = 'x'", "DELETE FROM controller_access_event"):
        with pytest.raises(DBAPIError, match="append-only"):
            with central.engine.begin() as conn:
                conn.execute(text(statement))


def test_a_device_whose_log_has_not_all_reached_the_server_is_named(central, capsys):
    health, _social = _workers(central)
    device_id, _token = central.add_device("JL-KESK", ["health"], "Kannettava 7")
    _event(central, 1, client_id_for(CODE_A), health, now() - timedelta(days=1), device_id=device_id)
    with central.engine.begin() as conn:
        conn.execute(insert(device_log_anchor).values(device_id=device_id, count=3, hash="0" * 64, at=now()))
    _code, out, _err = answer(central.url, CODE_A, "--by", OFFICER, capsys=capsys)
    assert "device Kannettava 7 (JL-KESK) has 2 access-log entries not yet received" in out
