"""One sync round of a device: push the outbox in batches, then pull until caught up.

Safe to run again after any failure: an outbox entry leaves only when its answer is stored,
and the pull cursor moves only in the transaction that applies its page. A connection
cut mid-request or mid-response only means the batch or page is sent again; the server
answers an already-applied change with the answer it gave the first time.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from ohjaus_core.domain.errors import DomainError
from ohjaus_core.i18n import _, ngettext
from ohjaus_core.protocol import (
    MAX_ACCESS_BATCH,
    MAX_BATCH,
    MAX_BODY_BYTES,
    MAX_PAGE,
    MAX_QUARANTINE_REPORT,
    AccessEntry,
    AccessLogAck,
    ClientAccessLog,
    ClientRecords,
    DeviceStateAck,
    PushResponse,
    ReleasedClients,
)
from .pages import Page, PageUnreadable, one_at_a_time, read_page
from .store_needs import SyncStore

DEMO_SERVER = "http://127.0.0.1:8765"
BATCH_BYTES = MAX_BODY_BYTES // 2  # a batch stops growing here, well under the server's limit


class SyncError(DomainError):
    """A round that could not finish; the message is one line for the worker."""


class Offline(SyncError):
    """No connection to the central API (the device keeps working)."""


class AccessLogRefused(SyncError):
    """The central API did not take this device's access log: an entry does not continue
    what it holds (edited, cut or replaced here). Changes still sync; the log waits."""

    def __init__(self, message: str, seq: int | None) -> None:
        super().__init__(message)
        self.seq = seq


@dataclass(frozen=True)
class RoundResult:
    pushed: int = 0
    accepted: int = 0
    rejected: int = 0
    conflicts: int = 0
    pulled: int = 0
    pending: int = 0
    access_sent: int = 0  # access-log entries sent
    removed: int = 0  # clients removed from this device (out of scope or past retention)
    removed_records: int = 0  # their contacts, follow-ups, consents, callbacks, missed appointments
    kept: int = 0  # clients due to leave that stay for now (unsent, open item, log not sent)
    restored: int = 0  # removed clients taken back whole
    set_aside: int = 0  # received records kept aside in this round (this device cannot apply them)

    def summary(self) -> str:
        text = _(
            "sent {pushed} (accepted {accepted}, rejected {rejected}, conflicts {conflicts}), "
            "received {pulled}, waiting {pending}"
        ).format(**self.__dict__)
        if self.set_aside:
            text = f"{text}; {self.set_aside_summary()}"
        return f"{text}; {self.removal_summary()}" if self.removal_summary() else text

    def set_aside_summary(self) -> str:
        """The received records this round kept aside, in one line that points to F6."""
        return ngettext(
            "kept aside {n} received record this device cannot apply (F6)",
            "kept aside {n} received records this device cannot apply (F6)",
            self.set_aside,
        ).format(n=self.set_aside)

    def removal_summary(self) -> str:
        """What left the device in this round (and what stayed though due), or ""."""
        parts = []
        if self.removed:
            parts.append(
                ngettext(
                    "removed {clients} client and {records} of their records from this device",
                    "removed {clients} clients and {records} of their records from this device",
                    self.removed,
                ).format(clients=self.removed, records=self.removed_records)
            )
        if self.kept:
            parts.append(
                ngettext(
                    "kept {n} client due to leave (unsent changes, open items)",
                    "kept {n} clients due to leave (unsent changes, open items)",
                    self.kept,
                ).format(n=self.kept)
            )
        if self.restored:
            parts.append(
                ngettext("{n} removed client back", "{n} removed clients back", self.restored).format(n=self.restored)
            )
        return ", ".join(parts)


def check_server_url(url: str) -> str:
    """https anywhere; plain http only to this machine (a test or demo server)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncError(_("The server address must be http(s)://HOST[:PORT], not {url}").format(url=url))
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise SyncError(
            _("Plain http is allowed only to this machine; use https for {host}.").format(host=parts.hostname)
        )
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SyncClient:
    def __init__(
        self,
        store: SyncStore,
        server: str,
        token: str,
        *,
        clock: Callable[[], datetime],
        timeout: float = 15.0,
        batch: int = MAX_BATCH,
        page: int = MAX_PAGE,
        transport: httpx.BaseTransport | None = None,
        retention_days: int | None = None,
    ) -> None:
        self.store = store
        self.retention_days = retention_days
        self.server = check_server_url(server)
        self.clock = clock
        self.batch, self.page = batch, page
        self.http = httpx.Client(
            base_url=self.server,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "SyncClient":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def round(self) -> RoundResult:
        """Push everything pending, send the access log, then pull until caught up. Raises
        SyncError; a refused access log (AccessLogRefused) only after the pull, so that
        changes keep moving while someone looks into it."""
        refused = None
        try:
            pushed, accepted, rejected, conflicts = self._push_all()
            try:
                access_sent = self._send_access_log()
            except AccessLogRefused as error:
                refused, access_sent = error, 0
            pulled = self._pull_all()
            removal, restored = self._leave()
            set_aside = 0
            try:
                set_aside = self._send_state()
            except AccessLogRefused as error:
                refused = refused or error  # the log's own refusal, when there was one, names the entry
            if refused is not None:
                raise refused
        except SyncError as error:
            self.store.outbox.record_sync_result(self.clock(), str(error))
            raise
        self.store.outbox.record_sync_result(self.clock())
        return RoundResult(
            pushed, accepted, rejected, conflicts, pulled, self.store.outbox.pending_count(), access_sent,
            removal.removed, removal.records, removal.kept, restored, set_aside,
        )

    def _leave(self):
        """Clients leaving this device (docs/sync.md): those the central API says its unit no
        longer serves, and, once a day, those past the region's retention on devices; then
        removed clients someone is in touch with again, or whom the unit serves again, come
        back whole. Returns the store's Removal and the number taken back."""
        response = self._request("GET", "/v1/released", refusals=(404,))
        # A central API of an earlier version has no releases to give (404): none.
        released = set(_parse(ReleasedClients, response).clients) if response.status_code != 404 else set()
        now = self.clock()
        days = None
        if self.store.removal.retention_due(now):
            days = self.retention_days if self.retention_days is not None else _region_retention_days()
        removal = self.store.removal.remove_clients(released, days, now)
        wanted = set(self.store.removal.clients_wanted_back())
        wanted |= {c for c, reason in self.store.removal.removed_clients().items() if reason == "scope" and c not in released}
        restored = 0
        for client_id in sorted(wanted):
            response = self._request("GET", f"/v1/clients/{client_id}/records", refusals=(404,))
            if response.status_code == 404:
                continue  # not (or no longer) a client of this unit: stays removed
            records = _parse(ClientRecords, response)
            self.store.pull.apply_page(records.changes, None, now, restoring=frozenset({client_id}))
            restored += 1
        if removal.removed or removal.kept or restored:
            self.store.removal.record_removal(now, removal.removed, removal.records, removal.kept, restored)
        return removal, restored

    def _send_access_log(self) -> int:
        """The access-log entries after the acknowledged mark, in batches; the mark moves
        after each batch the server took. A resend after a lost answer is taken again."""
        sent = 0
        while True:
            after = self.store.outbox.access_log_sent()
            entries = self.store.protection.access_entries(after, MAX_ACCESS_BATCH)
            if not entries:
                return sent
            rows = []
            for entry in entries:
                try:
                    rows.append(AccessEntry.model_validate(entry.__dict__).model_dump(mode="json"))
                except ValidationError as error:
                    problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:3])
                    raise AccessLogRefused(
                        _("The central API refused this device's access log at entry {seq}: {problem}").format(
                            seq=entry.seq, problem=problem
                        ),
                        entry.seq,
                    ) from None
            rows = _within_rows(rows, BATCH_BYTES)
            response = self._request("POST", "/v1/access-log", json={"entries": rows}, refusals=(409, 422))
            if response.status_code in (409, 422):
                raise _log_refused(response)
            _parse(AccessLogAck, response)
            self.store.outbox.set_access_log_sent(rows[-1]["seq"])
            sent += len(rows)

    def _send_state(self) -> int:
        """The access log's anchor (its count and last hash), at every round: the central
        API refuses a log that shrank or was rewritten since it last saw it. With it, the
        pulled records this device keeps aside (ids and reasons), once each: returns how
        many were reported now (kept aside since the last report)."""
        count, last_hash = self.store.protection.access_log_anchor()
        kept = self.store.pull.unreported_quarantine(MAX_QUARANTINE_REPORT)
        body = {
            "access_log": {"count": count, "hash": last_hash},
            "quarantine": [
                # (unreadable is this device's own word: the protocol's is invalid)
                {"seq": q.seq, "type": q.record_type, "record_id": q.record_id,
                 "reason": "invalid" if q.reason == "unreadable" else q.reason}
                for q in kept
            ],
        }
        response = self._request("POST", "/v1/device-state", json=body, refusals=(409,))
        if response.status_code == 409:
            raise _log_refused(response)
        _parse(DeviceStateAck, response)
        if kept:
            self.store.pull.mark_quarantine_reported([(q.record_type, q.record_id, q.seq) for q in kept])
        return len(kept)

    def _push_all(self) -> tuple[int, int, int, int]:
        """The outbox in batches, in order. Pipelined (issue 18): a batch is sent only when
        the answers to the one before came (the server takes them in order), but while this
        device stores those answers (one transaction), the next batch - the entries after
        it - is already on its way; and that batch is read and its request assembled while
        the one before is still with the server, so the answers find it ready. Whatever is
        left then (an entry the server did not answer, one written while the answers were
        stored) goes one batch at a time."""
        totals = [0, 0, 0, 0]
        self.store.outbox.rekey_earlier_imports(self.clock())  # (once: a settings read after)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ohjaus-push") as sending:
            entries = self._next_batch(0)
            in_flight = sending.submit(self._send_body, _push_body(entries)) if entries else None
            while entries:
                # The entries after those in flight, and their request, meanwhile.
                following = self._next_batch(entries[-1].seq)
                body = _push_body(following) if following else None
                answers = in_flight.result()
                if not {entry.change_id for entry in entries} <= {answer.change_id for answer in answers}:
                    # An entry left unanswered is sent again before anything after it (a
                    # client before the contact that names it): no batch goes ahead of it.
                    self._take_answers(entries, answers, totals)
                    break
                in_flight = sending.submit(self._send_body, body) if following else None
                # (an error here or in the request: the executor waits for the request first)
                self._take_answers(entries, answers, totals)
                entries = following
        while True:
            entries = self._next_batch(0)
            if not entries:
                return totals[0], totals[1], totals[2], totals[3]
            self._take_answers(entries, self._send(entries), totals)

    def _next_batch(self, after: int) -> list:
        """The outbox entries of the next batch: those after outbox seq `after`."""
        return _within(self.store.outbox.pending_changes(self.batch, after), BATCH_BYTES)

    def _send(self, entries: list) -> list:
        """The server's answers to a batch (SyncError or Offline if none came)."""
        return self._send_body(_push_body(entries))

    def _send_body(self, body: bytes) -> list:
        """The server's answers to a push request's body (`_push_body`)."""
        response = self._request("POST", "/v1/push", content=body, headers=_JSON)
        return _parse(PushResponse, response).answers

    def _take_answers(self, entries: list, answers: list, totals: list[int]) -> None:
        """A batch's answers stored on this device, counted into totals (pushed, accepted,
        rejected, conflicts)."""
        counts = self.store.outbox.apply_answers(entries, answers, self.clock())
        totals[0] += len(entries)
        totals[1] += counts.accepted
        totals[2] += counts.rejected
        totals[3] += counts.conflicts
        if counts.accepted + counts.rejected == 0:
            raise SyncError(_("The central API answered none of the changes sent."))

    def _pull_all(self) -> int:
        """Pages after the stored cursor until caught up, each applied with its cursor in one
        transaction. Pipelined (issue 18): while a page is applied, the next one - the page
        after its last_seq, the cursor its apply stores - is asked for and read; should the
        apply fail, that page is dropped unapplied and the next round asks again from the
        cursor stored."""
        pulled = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ohjaus-pull") as fetching:
            page = self._page(self.store.pull.sync_cursor())
            while True:
                following = fetching.submit(self._page, page.last_seq) if page.more else None
                # (an error here: the executor waits for the request in flight first)
                pulled += self.store.pull.apply_page(page.changes, page.last_seq, self.clock(), unreadable=page.unreadable)
                if following is None:
                    return pulled
                page = following.result()

    def _page(self, after: int) -> Page:
        """The page of changes after server sequence `after`, with the changes of it this
        version cannot read apart (pages.py); SyncError when it is no pull page at all."""
        try:
            page = read_page(self._page_body(after, self.page))
            if page is None:  # one change's text is not JSON: the page up to it, a change a request
                page = one_at_a_time(self._page_body, after, self.page)
        except PageUnreadable:
            raise SyncError(_("The central API sent an answer this version cannot read.")) from None
        return page

    def _page_body(self, after: int, limit: int) -> bytes:
        return self._request("GET", "/v1/changes", params={"after": after, "limit": limit}).content

    def _request(self, method: str, path: str, refusals: tuple[int, ...] = (), **kwargs) -> httpx.Response:
        """The response, or SyncError / Offline; a status in `refusals` is the caller's."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise Offline(_("The central API at {server} did not answer in time.").format(server=self.server)) from None
        except httpx.TransportError as error:
            raise Offline(
                _("No connection to the central API at {server} ({reason}).").format(
                    server=self.server, reason=type(error).__name__
                )
            ) from None
        if response.status_code == 401:
            raise SyncError(_("The central API does not accept this device's credential (401): ask for a new one."))
        if response.status_code == 429:
            # Busy, not broken: the changes wait and the next round tries again.
            raise Offline(
                _("The central API is busy; trying again in {seconds} s.").format(
                    seconds=response.headers.get("retry-after", "?")
                )
            )
        if response.status_code in refusals:
            return response
        if response.status_code >= 400:
            try:
                message = response.json().get("error", "")
            except ValueError:
                message = response.text[:200]
            raise SyncError(
                _("The central API answered {status}: {message}").format(status=response.status_code, message=message)
            )
        return response


def _log_refused(response: httpx.Response) -> AccessLogRefused:
    """The central API's refusal of the access log, naming the entry it names."""
    try:
        body = response.json()
        seq, problem = body["detail"]["seq"], body["detail"]["problem"]
    except (ValueError, KeyError, TypeError):
        seq, problem = None, response.text[:200]
    return AccessLogRefused(
        _("The central API refused this device's access log at entry {seq}: {problem}").format(seq=seq, problem=problem),
        seq,
    )


_JSON = {"Content-Type": "application/json"}


def _push_body(entries: list) -> bytes:
    """The push request (PushRequest's JSON) of outbox entries, each record's data as the
    outbox holds it: JSON text the store wrote (sync_side.enqueue), not parsed and encoded
    again (issue 18: a tenth of a push's time was the device doing that)."""
    quote = encode_basestring
    changes = ",".join([
        '{"id":%s,"type":%s,"record_id":%s,"base_seq":%d,"data":%s}'
        % (quote(entry.change_id), quote(entry.record_type), quote(entry.record_id), entry.base_seq, entry.data)
        for entry in entries
    ])
    return ('{"changes":[%s]}' % changes).encode()


def _within(entries: list, limit: int) -> list:
    """The first entries whose data fit in `limit` bytes (always at least one)."""
    total = 0
    for index, entry in enumerate(entries):
        total += len(entry.data.encode())
        if total > limit and index > 0:
            return entries[:index]
    return entries


def _within_rows(rows: list[dict], limit: int) -> list[dict]:
    """The first rows whose JSON fits in `limit` bytes (always at least one)."""
    total = 0
    for index, row in enumerate(rows):
        total += len(json.dumps(row, ensure_ascii=False).encode()) + 1
        if total > limit and index > 0:
            return rows[:index]
    return rows


def _parse(model, response: httpx.Response):
    try:
        return model.model_validate_json(response.content)
    except ValidationError:
        raise SyncError(_("The central API sent an answer this version cannot read.")) from None


def _region_retention_days() -> int:
    """region.toml [devices] retention_days of the shipped data (DataFileError if broken)."""
    from ..context import shipped_data_dir
    from ohjaus_core.domain.deadlines.loading import load_region_rules

    return load_region_rules(shipped_data_dir() / "region.toml").devices.retention_days


def sync_once(store: SyncStore, clock: Callable[[], datetime], server: str | None = None) -> RoundResult:
    """One round with the configured server (or `server`); raises SyncError."""
    configured, token = store.outbox.sync_config()
    server = server or configured
    if not server or not token:
        raise SyncError(_("This device is not connected to a central API: run `ohjaus connect` first."))
    with SyncClient(store, server, token, clock=clock) as client:
        return client.round()


def fetch_access_log(store: SyncStore, client_id: str, clock: Callable[[], datetime] | None = None) -> list[dict]:
    """The client's access log from the central API, every device's, newest first (the
    client's right to know): dicts with at, worker_name, action, item, sector, purpose,
    recipient, unit_code and source. Raises Offline without a connection and SyncError when
    the server will not give it (not a client of this unit, credential refused)."""
    from ohjaus_core.domain.clock import now

    configured, token = store.outbox.sync_config()
    if not configured or not token:
        raise SyncError(_("This device is not connected to a central API: run `ohjaus connect` first."))
    with SyncClient(store, configured, token, clock=clock or now) as client:
        response = client._request("GET", f"/v1/clients/{client_id}/access-log", refusals=(404, 422))
        if response.status_code in (404, 422):
            raise SyncError(_("The central API has no such client for this device's unit."))
        return [event.model_dump() for event in _parse(ClientAccessLog, response).events]


def enrol(store: SyncStore, worker_id: str, code: str, passphrase: str, now: datetime) -> None:
    """A worker's first sign-in on this device: the one-time code of `ohjaus worker add` and
    a new passphrase. The verifier (never the passphrase) is made here and sent with the
    code; the central API keeps it for the devices of the worker's unit, which take it at
    their next sync, and this device keeps it at once. Raises WeakPassphrase, Offline, or
    SyncError (a code not right or already used) with one line."""
    from ohjaus_core.domain.credentials import make_verifier
    from ohjaus_core.protocol import EnrolmentAck

    verifier = make_verifier(passphrase)
    configured, token = store.outbox.sync_config()
    if not configured or not token:
        raise SyncError(_("This device is not connected to a central API: run `ohjaus connect` first."))
    body = {
        "worker_id": worker_id,
        "code": code.strip()[:40],
        "verifier": {"kdf": verifier.kdf, "params": verifier.params, "salt": verifier.salt.hex(), "digest": verifier.digest.hex()},
    }
    with SyncClient(store, configured, token, clock=lambda: now) as client:
        response = client._request("POST", "/v1/enrol", refusals=(403,), json=body)
        if response.status_code == 403:
            raise SyncError(_("The enrolment code is not right or was used already; ask your team lead for a new one."))
        _parse(EnrolmentAck, response)
    store.sign_in.set_verifiers({worker_id: verifier}, now)
