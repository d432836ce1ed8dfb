"""The central schema under Alembic (issue 17): the revisions make the tables the code uses, a
database made before Alembic is stamped and upgraded (its rows kept, the newer column added),
`ohjaus serve` refuses a database behind or ahead of the code in one line, and
`ohjaus db upgrade` brings it to the head. On SQLite and on PostgreSQL (OHJAUS_TEST_PG)."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, inspect, select, text

from ohjaus_central import schema
from ohjaus_central.db import CentralStore
from ohjaus_central.tables import enrolment, metadata, record
from ohjaus.cli import main

VERSIONS = Path(schema.__file__).parent / "migrations" / "versions"


def _engine(url: str):
    return create_engine("postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgresql") else url)


def _baseline():
    spec = importlib.util.spec_from_file_location("baseline_0001", VERSIONS / "0001_baseline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _database_from_before_alembic(url: str) -> None:
    """What the code before Alembic left: its tables (schema 3), schema_version 3, no
    alembic_version; a unit and a worker's enrolment code in it."""
    baseline = _baseline()
    engine = _engine(url)
    baseline.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(baseline.schema).values(version=3))
        conn.execute(insert(baseline.record).values(
            record_type="unit", record_id="u1", data='{"code": "KA-1"}', seq=1))
        conn.execute(insert(baseline.enrolment).values(
            worker_id="w1", code_hash="0" * 64, created_at=datetime(2026, 12, 1, tzinfo=UTC)))
    engine.dispose()


def test_the_revisions_make_exactly_the_tables_the_code_uses(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = CentralStore(db_url)
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
        assert differences == []
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == schema.head()
    store.close()


def test_a_database_from_before_alembic_is_refused_then_stamped_and_gets_the_newer_column(db_url, capsys):
    _database_from_before_alembic(db_url)

    assert main(["serve", "--db", db_url, "--port", "1"]) == 2
    said = capsys.readouterr().err.strip()
    assert said.count("\n") == 0
    assert "3 (before Alembic)" in said and f"ohjaus db upgrade --db {schema.shown(db_url)}" in said

    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert f"from 3 (before Alembic) to {schema.head()}" in capsys.readouterr().out

    store = CentralStore(db_url, upgrade=False)  # what serve does: now at the head
    with store.engine.connect() as conn:
        assert "revoked_at" in {c["name"] for c in inspect(conn).get_columns("enrolment")}
        rows = conn.execute(select(enrolment.c.worker_id, enrolment.c.revoked_at)).all()
        assert rows == [("w1", None)]  # stamped, not rebuilt: the rows are there
        assert conn.execute(select(record.c.record_id)).scalars().all() == ["u1"]
        assert conn.execute(text("SELECT version FROM schema_version")).scalar() == 4
    assert store.unit_codes() == ["KA-1"]
    store.close()

    assert main(["db", "upgrade", "--db", db_url]) == 0  # again: nothing to do
    assert "this version's" in capsys.readouterr().out


def test_a_database_at_the_baseline_is_upgraded_by_serve_only_when_told(db_url, capsys):
    store = CentralStore(db_url)
    store.close()
    engine = _engine(db_url)
    with engine.begin() as conn:  # back to the baseline, as a server of the first Alembic release left it
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        conn.execute(text("ALTER TABLE enrolment DROP COLUMN revoked_at"))
        conn.execute(text("DROP TABLE integration"))  # 0003's
        conn.execute(text("DROP TABLE client_release"))  # 0004_retention's
        conn.execute(text("DROP TABLE controller_access_event"))  # 0005_controller_log's
    engine.dispose()
    with pytest.raises(schema.SchemaBehind, match="ohjaus db upgrade"):
        CentralStore(db_url, upgrade=False)
    assert main(["db", "status", "--db", db_url]) == 1
    assert "0001" in capsys.readouterr().out
    store = CentralStore(db_url, upgrade=True)  # `serve --upgrade`
    with store.engine.connect() as conn:
        assert "revoked_at" in {c["name"] for c in inspect(conn).get_columns("enrolment")}
        assert "integration" in inspect(conn).get_table_names()
        assert "client_release" in inspect(conn).get_table_names()
        assert "controller_access_event" in inspect(conn).get_table_names()
    store.close()


def test_a_database_newer_than_the_code_is_refused(db_url, capsys):
    store = CentralStore(db_url)
    store.close()
    engine = _engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for command in (["serve", "--db", db_url, "--port", "1"], ["db", "upgrade", "--db", db_url]):
        assert main(command) == 2
        said = capsys.readouterr().err
        assert "9999" in said and "newer than this ohjaus" in said
