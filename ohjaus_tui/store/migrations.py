"""Schema migrations, from the first release: field laptops upgrade with data on them.

Each migration is plain SQL, applied once, in order, in its own transaction; the schema
version lives in SQLite's `user_version`. A migration is never edited after release: a
change is a new migration. tests/test_store_schema.py checks that the migrated schema
matches the SQLModel tables in models.py. The scripts are in migrations_v1_10.py and
migrations_v11_up.py.
"""

from __future__ import annotations

from sqlcipher3 import dbapi2 as sqlcipher

from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.name_search import name_words_json
from ohjaus_core.i18n import _
from . import migrations_v1_10, migrations_v11_up
from .migrations_v11_up import SIGNED_CONTACT_COLUMNS

__all__ = ["MIGRATIONS", "NAME_WORDS_FUNCTION", "SCHEMA_VERSION", "SIGNED_CONTACT_COLUMNS", "migrate", "register_functions"]

NAME_WORDS_FUNCTION = "ohjaus_name_words"


def register_functions(connection: sqlcipher.Connection) -> None:
    """The SQL functions the schema's triggers call; every connection to the store has them."""
    connection.create_function(NAME_WORDS_FUNCTION, 2, name_words_json, deterministic=True)



MIGRATIONS: list[tuple[int, str]] = migrations_v1_10.MIGRATIONS + migrations_v11_up.MIGRATIONS
SCHEMA_VERSION = MIGRATIONS[-1][0]


class SchemaTooNew(DomainError):
    pass


def migrate(connection: sqlcipher.Connection) -> int:
    """Bring the database up to SCHEMA_VERSION; returns the version it was at."""
    found = connection.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(
            _("The data was written by a newer ohjaus (schema {found}, this one knows {known}).").format(
                found=found, known=SCHEMA_VERSION
            )
        )
    for version, script in MIGRATIONS:
        if version <= found:
            continue
        # executescript would commit on its own; run the statements inside one transaction.
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return found


def _statements(script: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies whole."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlcipher.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
