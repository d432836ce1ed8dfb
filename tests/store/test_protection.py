"""Client data protection in the store: passphrases, registers and consent, the access log,
and the export as a logged disclosure."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlcipher3 import dbapi2 as sqlcipher
from sqlalchemy import text
from sqlmodel import select

from ohjaus_core.domain.access_log import AccessAction
from ohjaus_core.domain.codes import Register
from ohjaus_core.domain.credentials import DEMO_PASSPHRASE, make_verifier
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.viewer import NotPermitted, NotVisible
from ohjaus_tui.export import export
from ohjaus_tui.store.directory import connect
from ohjaus_tui.store.models import Contact, Credential
from ohjaus_tui.screens.lock import sign_in_problem
from ohjaus_tui.store.sign_in import SignIn
from ohjaus_tui.store.sign_in_check import check_passphrase

from ..conftest import FIXED_NOW
from ..factories import client_in_both_registers, viewer, worker_id


# -- passphrases -------------------------------------------------------------------------------


def test_the_passphrase_is_not_stored_and_a_wrong_one_is_counted(store):
    nurse = worker_id(store, "hoitaja1")
    with store.session() as session:
        row = session.get(Credential, nurse)
    assert DEMO_PASSPHRASE.encode() not in row.digest + row.salt + row.params.encode()
    assert store.sign_in.check_passphrase(nurse, DEMO_PASSPHRASE, FIXED_NOW).result == SignIn.OK
    wrong = store.sign_in.check_passphrase(nurse, "not-it-at-all", FIXED_NOW)
    assert wrong.result == SignIn.WRONG and wrong.tries_left == 4


def test_five_wrong_tries_make_sign_in_wait_even_for_the_right_passphrase(store):
    nurse = worker_id(store, "hoitaja1")
    results = [store.sign_in.check_passphrase(nurse, f"wrong-{n}", FIXED_NOW).result for n in range(5)]
    assert results == [SignIn.WRONG] * 4 + [SignIn.WAIT]
    assert store.sign_in.check_passphrase(nurse, DEMO_PASSPHRASE, FIXED_NOW + timedelta(seconds=30)).result == SignIn.WAIT
    assert store.sign_in.check_passphrase(nurse, DEMO_PASSPHRASE, FIXED_NOW + timedelta(seconds=61)).result == SignIn.OK


def test_a_new_passphrase_replaces_the_old_and_a_short_one_is_refused(store):
    nurse = worker_id(store, "hoitaja1")
    with pytest.raises(DomainError, match="at least 8"):
        store.sign_in.set_passphrase(nurse, "short", FIXED_NOW)
    store.sign_in.set_passphrase(nurse, "kaksi kissaa katolla", FIXED_NOW)
    assert store.sign_in.check_passphrase(nurse, DEMO_PASSPHRASE, FIXED_NOW).result == SignIn.WRONG
    assert store.sign_in.check_passphrase(nurse, "kaksi kissaa katolla", FIXED_NOW).result == SignIn.OK


def test_new_verifiers_are_argon2id_at_owasps_minimum(store):
    nurse = worker_id(store, "hoitaja1")
    store.sign_in.set_passphrase(nurse, "kaksi kissaa katolla", FIXED_NOW)
    with store.session() as session:
        row = session.get(Credential, nurse)
    cost = json.loads(row.params)
    assert row.kdf == "argon2id" and cost["m"] >= 19456 and cost["t"] >= 2 and cost["p"] == 1
    assert len(row.salt) == 16


def test_an_old_scrypt_verifier_signs_in_and_is_upgraded_then_only_by_the_right_passphrase(store):
    nurse = worker_id(store, "hoitaja1")
    old = make_verifier("vanha tunnuslause", kdf="scrypt")
    store.sign_in.set_verifiers({nurse: old}, FIXED_NOW)
    assert store.sign_in.check_passphrase(nurse, "not-it-at-all", FIXED_NOW).result == SignIn.WRONG
    with store.session() as session:
        assert session.get(Credential, nurse).kdf == "scrypt"  # a wrong try upgrades nothing
    assert store.sign_in.check_passphrase(nurse, "vanha tunnuslause", FIXED_NOW).result == SignIn.OK
    with store.session() as session:
        row = session.get(Credential, nurse)
    assert row.kdf == "argon2id" and row.salt != old.salt and row.digest != old.digest
    assert store.sign_in.check_passphrase(nurse, "vanha tunnuslause", FIXED_NOW).result == SignIn.OK
    assert store.sign_in.check_passphrase(nurse, "not-it-at-all", FIXED_NOW).result == SignIn.WRONG


def test_the_lock_out_written_without_the_orm_is_the_moment_the_store_reads(store):
    """The check writes the credential row on the raw connection: the ORM store (and an
    older version's check) reads the same failures and the same wait, to the second."""
    nurse = worker_id(store, "hoitaja1")
    for n in range(4):
        check_passphrase(store.data_dir, nurse, f"wrong-{n}", FIXED_NOW)
    with store.session() as session:
        assert session.get(Credential, nurse).failures == 4
    assert check_passphrase(store.data_dir, nurse, "wrong-5", FIXED_NOW).wait_until == FIXED_NOW + timedelta(seconds=60)
    with store.session() as session:
        row = session.get(Credential, nurse)
    assert (row.failures, row.wait_until) == (0, FIXED_NOW + timedelta(seconds=60))
    assert check_passphrase(store.data_dir, nurse, DEMO_PASSPHRASE, FIXED_NOW + timedelta(seconds=59)).result == SignIn.WAIT
    assert check_passphrase(store.data_dir, nurse, DEMO_PASSPHRASE, FIXED_NOW + timedelta(seconds=60)).result == SignIn.OK


def test_an_unknown_worker_is_refused_without_a_try(store):
    check = check_passphrase(store.data_dir, "no-such-worker", DEMO_PASSPHRASE, FIXED_NOW)
    assert check.result == SignIn.UNKNOWN
    assert sign_in_problem(check, store.data_dir) == "Unknown worker."


SIGN_IN_WITHOUT_ORM = """
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import ohjaus_tui.app, ohjaus_tui.screens.login, ohjaus_tui.screens.lock
from ohjaus_tui.store.sign_in_check import check_passphrase

now = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
results = [check_passphrase(Path(sys.argv[1]), sys.argv[2], p, now).result.value for p in sys.argv[3:]]
print(",".join(results), sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "sqlmodel")))
"""


@pytest.mark.slow
def test_the_sign_in_screen_checks_a_passphrase_without_importing_the_orm(store):
    """Start-up (issue 18): the passphrase is checked before the ORM has been imported."""
    import subprocess
    import sys

    nurse = worker_id(store, "hoitaja1")
    done = subprocess.run(
        [sys.executable, "-c", SIGN_IN_WITHOUT_ORM, str(store.data_dir), nurse, "not-it-at-all", DEMO_PASSPHRASE],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert done.stdout.split() == ["wrong,ok", "[]"]


# -- registers and consent ---------------------------------------------------------------------


def test_a_health_worker_sees_only_health_contacts_without_consent(store):
    client = client_in_both_registers(store)
    history = store.protection.client_history(client, viewer(store, "hoitaja1"), FIXED_NOW)
    assert history.rows and {row.register for row in history.rows} == {Register.HEALTH}
    assert history.not_shown == [Register.SOCIAL]
    social = store.protection.client_history(client, viewer(store, "ohjaaja1"), FIXED_NOW)
    assert {row.register for row in social.rows} == {Register.SOCIAL}


def test_consent_shows_the_other_register_until_it_ends_or_is_denied(store):
    client = client_in_both_registers(store)
    nurse = viewer(store, "hoitaja1")
    store.protection.record_consent(nurse, client, Register.SOCIAL, True, FIXED_NOW.date() + timedelta(days=10), FIXED_NOW)
    shown = store.protection.client_history(client, nurse, FIXED_NOW)
    assert {row.register for row in shown.rows} == {Register.HEALTH, Register.SOCIAL}
    assert shown.shown[Register.SOCIAL].startswith("consent:")
    later = FIXED_NOW + timedelta(days=11)
    assert {row.register for row in store.protection.client_history(client, nurse, later).rows} == {Register.HEALTH}
    # The consent is one way: the social worker still sees only social welfare.
    assert {row.register for row in store.protection.client_history(client, viewer(store, "ohjaaja1"), FIXED_NOW).rows} == {Register.SOCIAL}
    store.protection.record_consent(nurse, client, Register.SOCIAL, False, None, FIXED_NOW + timedelta(minutes=1))
    after_denial = store.protection.client_history(client, nurse, FIXED_NOW + timedelta(minutes=2))
    assert {row.register for row in after_denial.rows} == {Register.HEALTH}


def test_a_stated_legal_basis_shows_the_other_register_once_and_is_logged(store):
    client = client_in_both_registers(store)
    nurse = viewer(store, "hoitaja1")
    history = store.protection.client_history(client, nurse, FIXED_NOW, basis="Laki 703/2023 17 §: hengenvaara")
    assert Register.SOCIAL in {row.register for row in history.rows}
    assert Register.SOCIAL not in {row.register for row in store.protection.client_history(client, nurse, FIXED_NOW).rows}
    entries = [e for e in store.protection.access_entries() if e.client_id == client and e.sector == "social"]
    assert entries and entries[0].purpose == "legal_basis:Laki 703/2023 17 §: hengenvaara"
    assert entries[0].worker_id == nurse.worker_id


def test_opening_the_other_registers_contact_is_refused_and_logged(store):
    client = client_in_both_registers(store)
    with store.session() as session:
        social_contact = session.exec(
            select(Contact.id).where(Contact.client_id == client).where(Contact.sector == "social")
        ).first()
    nurse = viewer(store, "hoitaja1")
    with pytest.raises(NotVisible):
        store.contacts.load_draft(social_contact, nurse, FIXED_NOW)
    refused = store.protection.access_entries()[-1]
    assert (refused.action, refused.client_id, refused.sector) == ("refused", client, "social")
    assert store.contacts.load_draft(social_contact, viewer(store, "ohjaaja1"), FIXED_NOW).id == social_contact


def test_history_triggers_count_only_the_registers_seen(store):
    client = client_in_both_registers(store)
    since = FIXED_NOW - timedelta(days=365)
    every = store.contacts.contacts_since(client, since)
    health = store.contacts.contacts_since(client, since, [Register.HEALTH])
    social = store.contacts.contacts_since(client, since, [Register.SOCIAL])
    assert health and social and health + social == every


# -- the access log ----------------------------------------------------------------------------


def test_the_access_log_refuses_update_and_delete_even_by_direct_sql(store):
    nurse = viewer(store, "hoitaja1")
    client = client_in_both_registers(store)
    store.protection.log_access(nurse, [client], AccessAction.VIEW, "client", "contact", FIXED_NOW)
    connection = connect(store.data_dir)
    try:
        for statement in ("UPDATE access_log SET worker_id = 'x'", "DELETE FROM access_log"):
            with pytest.raises(sqlcipher.DatabaseError, match="append-only"):
                connection.execute(statement)
    finally:
        connection.close()
    assert store.protection.verify_access_log().intact


def _tamper(store, *statements: str) -> None:
    """What someone with the database file could do: go around the triggers."""
    connection = connect(store.data_dir)
    try:
        with connection:
            connection.execute("DROP TRIGGER access_log_no_update")
            connection.execute("DROP TRIGGER access_log_no_delete")
            for statement in statements:
                connection.execute(statement)
    finally:
        connection.close()


@pytest.fixture
def logged(store):
    nurse = viewer(store, "hoitaja1")
    client = client_in_both_registers(store)
    for minute in range(5):
        store.protection.log_access(nurse, [client], AccessAction.VIEW, "client", "contact", FIXED_NOW + timedelta(minutes=minute))
    assert store.protection.verify_access_log().intact
    return store


def test_the_chain_finds_a_changed_entry(logged):
    _tamper(logged, "UPDATE access_log SET worker_id = 'someone-else' WHERE seq = 3")
    check = logged.protection.verify_access_log()
    assert not check.intact and check.problems == [(3, "changed after it was written")]


def test_the_chain_finds_a_removed_entry(logged):
    _tamper(logged, "DELETE FROM access_log WHERE seq = 2")
    check = logged.protection.verify_access_log()
    assert not check.intact and check.problems[0][0] == 3 and "missing" in check.problems[0][1]


def test_the_chain_finds_an_entry_rewritten_with_a_new_hash(logged):
    # Changed and its own hash made again: the next entry no longer links to it.
    from ohjaus_core.domain.access_log import entry_hash

    entry = logged.protection.access_entries()[1]
    forged = type(entry)(**{**entry.__dict__, "worker_id": "someone-else", "hash": ""})
    _tamper(logged, f"UPDATE access_log SET worker_id = 'someone-else', hash = '{entry_hash(forged)}' WHERE seq = 2")
    problems = logged.protection.verify_access_log().problems
    assert problems == [(3, "not linked to the entry before it")]


def test_only_a_team_lead_may_read_a_clients_access_log(store):
    client = client_in_both_registers(store)
    with pytest.raises(NotPermitted):
        store.protection.access_log_for(client, viewer(store, "hoitaja1"), FIXED_NOW)
    store.protection.client_history(client, viewer(store, "hoitaja1"), FIXED_NOW)
    rows = store.protection.access_log_for(client, viewer(store, "esihenkilo1"), FIXED_NOW)
    names = [(row.worker_name, row.entry.action, row.entry.item) for row in rows]
    assert names[0] == ("Kaisa Rantanen", "view", "access log")  # asking is logged too
    assert ("Sari Mäkinen", "view", "contacts") in names


def test_verify_on_the_command_line_exits_1_on_a_tampered_log(logged, capsys):
    from ohjaus.cli import main

    assert main(["log", "verify", "--data-dir", str(logged.data_dir)]) == 0
    _tamper(logged, "UPDATE access_log SET item = 'nothing' WHERE seq = 4")
    assert main(["log", "verify", "--data-dir", str(logged.data_dir)]) == 1
    assert "entry 4: changed after it was written" in capsys.readouterr().out


# -- export: a logged disclosure ---------------------------------------------------------------


def test_an_export_holds_one_register_and_logs_every_client_in_it(store, tmp_path):
    lead = viewer(store, "esihenkilo1")
    out = tmp_path / "out" / "health.jsonl"
    records, clients = export(store, lead, "jsonl", out, "audit by the region", "Valvira", FIXED_NOW)
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(lines) == records
    assert {r["sector"] for r in lines if r["type"] == "contact"} == {"health"}
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    exported = [e for e in store.protection.access_entries() if e.action == "export"]
    assert len(exported) == clients == len({r["id"] for r in lines if r["type"] == "client"})
    assert exported[0].recipient == f"Valvira ({out})" and exported[0].purpose == "export:audit by the region"
    with pytest.raises(DomainError, match="exists already"):
        export(store, lead, "jsonl", out, "again", "", FIXED_NOW)


def test_a_nurse_may_not_export(store, tmp_path):
    with pytest.raises(NotPermitted):
        export(store, viewer(store, "hoitaja1"), "jsonl", tmp_path / "x.jsonl", "why", "", FIXED_NOW)
    assert not (tmp_path / "x.jsonl").exists()


def test_export_from_the_command_line_asks_the_passphrase(data_dir, tmp_path, monkeypatch, capsys):
    import io

    from ohjaus.cli import main

    out = tmp_path / "e.csv"
    args = ["export", "--data-dir", str(data_dir), "--worker", "esihenkilo1", "--out", str(out), "--purpose", "p", "--format", "csv"]
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong-passphrase\n"))
    assert main(args) == 2 and not out.exists()
    assert "Wrong passphrase" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(DEMO_PASSPHRASE + "\n"))
    assert main(args) == 0 and out.read_text("utf-8-sig").startswith("type;id")


def test_the_timeline_has_the_bookings_referrals_and_follow_ups_of_the_contacts_shown(store):
    from ohjaus_tui.store.protection import EventKind

    client = client_in_both_registers(store)
    nurse = viewer(store, "hoitaja1")
    history = store.protection.client_history(client, nurse, FIXED_NOW)
    shown_contacts = {row.contact_id for row in history.rows}
    assert {e.contact_id for e in history.timeline} == shown_contacts  # nothing of the hidden register
    assert [e.at for e in history.timeline] == sorted((e.at for e in history.timeline), reverse=True)
    kinds = {e.kind for e in history.timeline}
    assert EventKind.CONTACT in kinds
    with store.session() as session:
        from ohjaus_tui.store.models import FollowUp, Outcome

        outcomes = session.exec(select(Outcome).where(Outcome.contact_id.in_(shown_contacts))).all()
        follow_ups = session.exec(select(FollowUp).where(FollowUp.contact_id.in_(shown_contacts))).all()
    assert sum(e.kind == EventKind.BOOKING for e in history.timeline) == sum(o.kind == "booking" for o in outcomes)
    assert sum(e.kind == EventKind.REFERRAL for e in history.timeline) == sum(o.kind == "referral" for o in outcomes)
    assert sum(e.kind == EventKind.FOLLOW_UP for e in history.timeline) == len(follow_ups)


def test_a_high_need_client_shows_the_plan_and_the_named_worker(store):
    from ohjaus_tui.store.models import SegmentChoice

    with store.session() as session:
        segment = session.exec(select(SegmentChoice).where(SegmentChoice.high_need == True)).first()  # noqa: E712
        contact = session.get(Contact, segment.contact_id)
    reader = viewer(store, "ohjaaja1" if contact.sector == "social" else "hoitaja1")
    high_need = store.protection.client_history(contact.client_id, reader, FIXED_NOW).high_need
    assert high_need is not None and high_need.plan_type == segment.plan_type
    named = segment.named_contact
    if named.startswith("worker:"):
        assert high_need.named_contact == store.worker(named.removeprefix("worker:")).name


def test_an_export_leaves_out_the_other_registers_callbacks_and_logs_their_clients(store, tmp_path):
    lead = viewer(store, "esihenkilo1")
    out = tmp_path / "e.jsonl"
    export(store, lead, "jsonl", out, "audit", "", FIXED_NOW)
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    callbacks = [r for r in lines if r["type"] == "callback"]
    assert callbacks and {r["sector"] for r in callbacks} == {"health"}
    logged = {e.client_id for e in store.protection.access_entries() if e.action == "export"}
    assert {r["client_id"] for r in callbacks if r["client_id"]} <= logged


def test_a_refusal_outweighs_a_grant_whatever_the_clocks_say_and_a_revoked_grant_is_no_consent(store):
    client = client_in_both_registers(store)
    nurse = viewer(store, "hoitaja1")
    store.protection.record_consent(nurse, client, Register.SOCIAL, True, None, FIXED_NOW)
    # A refusal recorded on a laptop whose clock is two hours slow still ends it.
    store.protection.record_consent(nurse, client, Register.SOCIAL, False, None, FIXED_NOW - timedelta(hours=2))
    assert Register.SOCIAL not in store.protection.visible_registers(client, nurse, FIXED_NOW)


def test_a_follow_up_goes_only_to_a_worker_of_its_register(store):
    from ohjaus_tui.store.models import FollowUp

    nurse = viewer(store, "hoitaja1")
    with store.session() as session:
        row = session.exec(select(FollowUp).where(FollowUp.assignee_id == nurse.worker_id).where(FollowUp.status == "open")).first()
    with pytest.raises(DomainError, match="its register"):
        store.worklist.hand_follow_up(row.id, nurse, FIXED_NOW, worker_id=worker_id(store, "ohjaaja1"))
    assert {w.sector for w in store.workers_of_unit(nurse.unit_id, Register.HEALTH)} == {"health"}


def _wrong_try(data_dir: str, worker: str, barrier) -> tuple[str, int | None]:
    from ohjaus_tui.store.store import Store

    store = Store(Path(data_dir))
    try:
        barrier.wait(60)
        check = store.sign_in.check_passphrase(worker, "not-the-passphrase", FIXED_NOW)
        return check.result.value, check.tries_left
    finally:
        store.close()


def test_parallel_wrong_tries_each_get_their_own_count(store):
    """12 processes try a wrong passphrase at one moment on the same store file: each try is
    counted once (4, 3, 2, 1 tries left, then waiting), never all "4 tries left"."""
    import multiprocessing

    nurse = worker_id(store, "hoitaja1")
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(12)
    with context.Pool(12) as pool:
        results = pool.starmap(_wrong_try, [(str(store.data_dir), nurse, barrier)] * 12)
    wrong = sorted(left for result, left in results if result == "wrong")
    assert wrong == [1, 2, 3, 4]
    assert [result for result, _left in results].count("wait") == 8
    assert store.sign_in.check_passphrase(nurse, DEMO_PASSPHRASE, FIXED_NOW).result == SignIn.WAIT
