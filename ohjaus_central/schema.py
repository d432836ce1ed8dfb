"""The central database's schema under Alembic (issue 17): the revisions are in
central/migrations/versions (shipped in the wheel), run from here, with no alembic.ini.

`ohjaus db upgrade --db URL` brings a database to this code's head; `ohjaus serve` and the
administrator's commands only check, and refuse a database behind the code in one line
(`serve --upgrade` or `serve --demo` upgrade first). A database made before Alembic (its
`schema_version` table at 3, no `alembic_version`) is stamped at the baseline, not rebuilt;
one at 1 or 2 runs the baseline, which completes it as the code before Alembic did.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine, make_url

from ohjaus_core.domain.errors import DomainError
from ohjaus_core.i18n import _

BASELINE = "0001"
LEGACY_VERSION = 3  # central/tables.py's SCHEMA_VERSION when Alembic came
_LOCK_KEY = 0x6F686A61  # PostgreSQL advisory lock: one upgrade at a time ("ohja")


class SchemaBehind(DomainError):
    """The database's schema is older than this code's: run `ohjaus db upgrade`."""


class SchemaAhead(DomainError):
    """The database was upgraded by a newer ohjaus than this one."""


class Unreachable(DomainError):
    """The central database cannot be connected to (its address, name or password): one line
    with the driver's reason, never "the local store is damaged" (a device's message)."""

    def __init__(self, url: str, error: Exception) -> None:
        reason = " ".join(str(getattr(error, "orig", None) or error).split())
        super().__init__(_("The central database {db} cannot be opened: {reason}").format(
            db=shown(url), reason=reason[:300]
        ))


@dataclass(frozen=True)
class State:
    revision: str | None  # Alembic's, when the database has one
    legacy: int | None  # schema_version of a database made before Alembic
    empty: bool  # no tables of ours at all

    def describe(self) -> str:
        if self.revision is not None:
            return self.revision
        if self.legacy is not None:
            return _("{version} (before Alembic)").format(version=self.legacy)
        return _("empty") if self.empty else "?"


def _config(connection: Connection | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "ohjaus_central:migrations")
    config.attributes["connection"] = connection
    return config


@functools.cache
def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head() -> str:
    return _script().get_current_head()


def known(revision: str) -> bool:
    return any(script.revision == revision for script in _script().walk_revisions())


def state(conn: Connection) -> State:
    names = set(inspect(conn).get_table_names())
    revision = None
    if "alembic_version" in names:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    legacy = None
    if "schema_version" in names:
        legacy = conn.execute(text("SELECT max(version) FROM schema_version")).scalar()
    return State(revision, legacy, not (names - {"alembic_version"}))


def shown(url: str) -> str:
    """The database's address without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is reported elsewhere
        return url.split("@")[-1]


def check(engine: Engine, url: str) -> State:
    """Raise SchemaBehind or SchemaAhead unless the database is at this code's head."""
    with engine.connect() as conn:
        found = state(conn)
    if found.revision == head():
        return found
    if found.revision is not None and not known(found.revision):
        raise SchemaAhead(_ahead(found, url))
    if found.revision is None and found.legacy is not None and found.legacy > LEGACY_VERSION:
        raise SchemaAhead(_ahead(found, url))
    if found.empty:
        raise SchemaBehind(_("The central database {db} has no tables yet: run `ohjaus db upgrade --db {db}` to make "
                             "them.").format(db=shown(url)))
    raise SchemaBehind(
        _("The central database {db} is at schema {found}, this ohjaus needs {head}: back it up, then run "
          "`ohjaus db upgrade --db {db}`.").format(db=shown(url), found=found.describe(), head=head())
    )


def _ahead(found: State, url: str) -> str:
    return _("The central database {db} is at schema {found}, newer than this ohjaus ({head}): install the "
             "ohjaus that upgraded it.").format(db=shown(url), found=found.describe(), head=head())


def upgrade(engine: Engine, url: str) -> tuple[State, str]:
    """Bring the database to this code's head in one transaction (on PostgreSQL under an
    advisory lock, so two start-ups never upgrade at once); returns the state found and the
    revision reached. A database at the head is left untouched."""
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        found = state(conn)
        if found.revision == head():
            return found, found.revision
        if found.revision is not None and not known(found.revision):
            raise SchemaAhead(_ahead(found, url))
        if found.revision is None and found.legacy is not None:
            if found.legacy > LEGACY_VERSION:
                raise SchemaAhead(_ahead(found, url))
            if found.legacy == LEGACY_VERSION:
                command.stamp(_config(conn), BASELINE)  # today's schema already: not rebuilt
        command.upgrade(_config(conn), "head")
    return found, head()
