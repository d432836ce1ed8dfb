"""The clients in the store: search (identity code, phone, name), add and change. A
repository of the Store (store.clients); each write is one transaction with its outbox
entry and, with a viewer, its access-log entry."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ohjaus_core.domain.access_log import AccessAction
from ohjaus_core.domain.codes import Language
from ohjaus_core.domain.contact import new_id
from ohjaus_core.domain.errors import DomainError
from ohjaus_core.domain.identity import (
    client_id_for,
    looks_like_identity_code,
    normalize_identity_code,
    parse_identity_code,
)
from ohjaus_core.domain.languages import normalize_language
from ohjaus_core.domain.phone import looks_like_phone, normalize_phone
from ohjaus_core.domain.text import NAME_FIELDS, check_client_fields
from ohjaus_core.domain.viewer import Viewer
from ohjaus_core.i18n import _
from ohjaus_core.protocol import RecordType
from .errors import DuplicateClient, StoreError
from .models import Client, ClientMerge, Setting
from .name_search import find_by_name
from .protection import save_change
from .removal import WANTED_BACK
from .repository import Repository
from .sync_side import dump, enqueue_many


class Clients(Repository):
    """store.clients"""

    def find_clients(self, query: str, limit: int = 20) -> list[Client]:
        """Search by identity code (exact), phone (exact, any format) or name (prefixes)."""
        query = query.strip()
        if not query:
            return []
        with self.session() as session:
            if looks_like_identity_code(query):
                # Exact code, or the codes that begin with what has been typed so far;
                # never a fuzzy match (the wrong person is worse than none).
                code = normalize_identity_code(query)
                query_ = (
                    select(Client)
                    .where(Client.identity_code >= code)
                    .where(Client.identity_code < code + "\uffff")
                    .order_by(Client.identity_code)
                    .limit(limit)
                )
                return _without_merged(session, list(session.exec(query_)))
            if looks_like_phone(query):
                try:
                    phone = normalize_phone(query)
                except DomainError:
                    return []
                return _without_merged(session, list(session.exec(select(Client).where(Client.phone == phone).limit(limit))))
            # Names: the first `limit` in name order straight from the name index (issue 18).
            ids = find_by_name(session.connection().connection.dbapi_connection, query, limit)
            if not ids:
                return []
            found = {client.id: client for client in session.exec(select(Client).where(col(Client.id).in_(ids)))}
            return _without_merged(session, [found[client_id] for client_id in ids if client_id in found])

    def client(self, client_id: str) -> Client | None:
        """The client; a merged client's id finds the client it was merged into."""
        with self.session() as session:
            return session.get(Client, redirected(session, client_id))

    def add_client(
        self,
        *,
        first_name: str,
        last_name: str,
        identity_code: str | None,
        phone: str | None,
        language: Language,
        municipality: str,
        created_by: str | None,
        now: datetime,
        allow_temporary: bool = False,
        viewer: Viewer | None = None,
        service_language: str = "",
        interpreter: bool = False,
        protected: bool = False,
    ) -> Client:
        """Add a client; the identity code is checked and must be unique. `service_language`:
        an ISO 639 code when the client is served in another language than `language`;
        `protected`: a non-disclosure order (turvakielto).

        Raises InvalidIdentityCode / InvalidPhone / InvalidLanguage / StoreError with a
        message for the worker.
        """
        if not first_name.strip() or not last_name.strip():
            raise StoreError(_("Give the client's first and last name."))
        check_client_fields(first_name=first_name, last_name=last_name, municipality=municipality)
        service_language = _service_language(service_language, language.value)
        parsed = parse_identity_code(identity_code) if identity_code else None
        if parsed and parsed.temporary and not allow_temporary:
            raise StoreError(
                _("{code} is a temporary identity code (900-999): mark it as temporary.").format(
                    code=parsed.code
                )
            )
        client = Client(
            # One person, one record, even when two devices add them offline.
            id=client_id_for(parsed.code) if parsed else new_id(),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            identity_code=parsed.code if parsed else None,
            identity_temporary=bool(parsed and parsed.temporary),
            birth_date=parsed.birth_date if parsed else None,
            phone=normalize_phone(phone) if phone else None,
            language=language.value,
            municipality=municipality.strip(),
            created_at=now,
            created_by=created_by,
            protected=protected,
            interpreter=interpreter,
            service_language=service_language,
        )
        try:
            with self.session() as session:
                if parsed and session.execute(
                    text("SELECT 1 FROM client_removed WHERE client_id = :id"), {"id": client.id}
                ).first():
                    # Their records left this device (issue 20): added anew, the new version
                    # would overwrite the server's (a non-disclosure order, a phone). They are
                    # taken back whole at the next sync instead (review of issue 20).
                    asked = session.get(Setting, WANTED_BACK)
                    wanted = set(json.loads(asked.value)) if asked else set()
                    session.merge(Setting(key=WANTED_BACK, value=json.dumps(sorted(wanted | {client.id}))))
                    session.commit()
                    raise StoreError(
                        _("This client's records left this device; sync (F5) to bring them back, then search again.")
                    )
                save_change(session, client, RecordType.CLIENT, now, viewer, "client", action=AccessAction.CREATE, client_id=client.id)
                session.commit()
        except IntegrityError as error:
            raise DuplicateClient(
                _("A client with the identity code {code} already exists.").format(
                    code=client.identity_code
                ),
                client.identity_code or "",
            ) from error
        return client

    def add_clients(self, clients: list[Client], now: datetime) -> None:
        with self.session() as session:
            session.exec(insert(Client.__table__), params=[client.model_dump() for client in clients])
            enqueue_many(session, RecordType.CLIENT, [(client.id, dump(client)) for client in clients], now)
            session.commit()

    def update_client(self, client_id: str, now: datetime, viewer: Viewer | None = None, **fields: object) -> Client:
        """Change a client's details (name, phone, language, municipality, and issue 20's
        language of service, interpreter and non-disclosure order)."""
        allowed = {
            "first_name", "last_name", "phone", "language", "municipality",
            "service_language", "interpreter", "protected",
        }
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        check_client_fields(**{k: v for k, v in fields.items() if k in NAME_FIELDS})
        if "phone" in fields and fields["phone"]:
            fields["phone"] = normalize_phone(str(fields["phone"]))
        with self.session() as session:
            client = session.get(Client, client_id)
            if client is None:
                raise StoreError(_("No such client: {id}").format(id=client_id))
            if "service_language" in fields or "language" in fields:
                language = getattr(fields.get("language"), "value", fields.get("language")) or client.language
                fields["service_language"] = _service_language(
                    str(fields.get("service_language", client.service_language)), str(language)
                )
            for key, value in fields.items():
                setattr(client, key, value)
            save_change(session, client, RecordType.CLIENT, now, viewer, "client", client_id=client.id)
            session.commit()
            return client


def follow_merges(client_id: str, into_of: Callable[[str], str | None]) -> str:
    """A merged client's id leads to the client it was merged into (issue 20), hop by hop;
    `into_of` reads one merge (None: not merged), through the session or driver SQL."""
    for _hop in range(8):
        into_id = into_of(client_id)
        if into_id is None:
            break
        client_id = into_id
    return client_id


def redirected(session: Session, client_id: str) -> str:
    def into_of(merged_id: str) -> str | None:
        row = session.get(ClientMerge, merged_id)
        return None if row is None else row.into_id

    return follow_merges(client_id, into_of)


def _without_merged(session: Session, clients: list[Client]) -> list[Client]:
    """Search results with a merged client replaced by the one it was merged into, once."""
    if not clients:
        return clients
    merged = dict(
        session.exec(select(ClientMerge.id, ClientMerge.into_id).where(col(ClientMerge.id).in_([c.id for c in clients]))).all()
    )
    if not merged:
        return clients
    out: list[Client] = []
    seen: set[str] = set()
    for client in clients:
        if client.id in merged:
            client = session.get(Client, redirected(session, client.id)) or client
        if client.id not in seen:
            seen.add(client.id)
            out.append(client)
    return out


def _service_language(code: str, language: str) -> str:
    """The stored language of service: "" when none is given or it is the national one."""
    if not code.strip():
        return ""
    code = normalize_language(code)
    return "" if code == language else code

