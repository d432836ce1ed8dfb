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
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from ..domain.errors import DomainError
from ..i18n import _
from ..sync.protocol import MAX_BATCH, MAX_BODY_BYTES, MAX_PAGE, Change, PullResponse, PushResponse

DEMO_SERVER = "http://127.0.0.1:8765"
BATCH_BYTES = MAX_BODY_BYTES // 2  # a batch stops growing here, well under the server's limit


class SyncError(DomainError):
    """A round that could not finish; the message is one line for the worker."""


class Offline(SyncError):
    """No connection to the central API (the device keeps working)."""


@dataclass(frozen=True)
class RoundResult:
    pushed: int = 0
    accepted: int = 0
    rejected: int = 0
    conflicts: int = 0
    pulled: int = 0
    pending: int = 0

    def summary(self) -> str:
        return _(
            "sent {pushed} (accepted {accepted}, rejected {rejected}, conflicts {conflicts}), "
            "received {pulled}, waiting {pending}"
        ).format(**self.__dict__)


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
        store,
        server: str,
        token: str,
        *,
        clock: Callable[[], datetime],
        timeout: float = 15.0,
        batch: int = MAX_BATCH,
        page: int = MAX_PAGE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.store = store
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
        """Push everything pending, then pull until caught up. Raises SyncError."""
        try:
            pushed, accepted, rejected, conflicts = self._push_all()
            pulled = self._pull_all()
        except SyncError as error:
            self.store.record_sync_result(self.clock(), str(error))
            raise
        self.store.record_sync_result(self.clock())
        return RoundResult(pushed, accepted, rejected, conflicts, pulled, self.store.pending_count())

    def _push_all(self) -> tuple[int, int, int, int]:
        pushed = accepted = rejected = conflicts = 0
        while True:
            entries = _within(self.store.pending_changes(self.batch), BATCH_BYTES)
            if not entries:
                return pushed, accepted, rejected, conflicts
            changes = [
                Change(
                    id=entry.change_id,
                    type=entry.record_type,
                    record_id=entry.record_id,
                    base_seq=entry.base_seq,
                    data=json.loads(entry.data),
                )
                for entry in entries
            ]
            body = {"changes": [change.model_dump(mode="json") for change in changes]}
            response = self._request("POST", "/v1/push", json=body)
            answers = _parse(PushResponse, response).answers
            counts = self.store.apply_answers(entries, answers, self.clock())
            pushed += len(entries)
            accepted, rejected, conflicts = (
                accepted + counts.accepted,
                rejected + counts.rejected,
                conflicts + counts.conflicts,
            )
            if counts.accepted + counts.rejected == 0:
                raise SyncError(_("The central API answered none of the changes sent."))

    def _pull_all(self) -> int:
        pulled = 0
        while True:
            after = self.store.sync_cursor()
            response = self._request("GET", "/v1/changes", params={"after": after, "limit": self.page})
            page = _parse(PullResponse, response)
            pulled += self.store.apply_page(page.changes, page.last_seq)
            if not page.more:
                return pulled

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
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
        if response.status_code >= 400:
            try:
                message = response.json().get("error", "")
            except ValueError:
                message = response.text[:200]
            raise SyncError(
                _("The central API answered {status}: {message}").format(status=response.status_code, message=message)
            )
        return response


def _within(entries: list, limit: int) -> list:
    """The first entries whose data fit in `limit` bytes (always at least one)."""
    total = 0
    for index, entry in enumerate(entries):
        total += len(entry.data.encode())
        if total > limit and index > 0:
            return entries[:index]
    return entries


def _parse(model, response: httpx.Response):
    try:
        return model.model_validate_json(response.content)
    except ValidationError:
        raise SyncError(_("The central API sent an answer this version cannot read.")) from None


def sync_once(store, clock: Callable[[], datetime], server: str | None = None) -> RoundResult:
    """One round with the configured server (or `server`); raises SyncError."""
    configured, token = store.sync_config()
    server = server or configured
    if not server or not token:
        raise SyncError(_("This device is not connected to a central API: run `ohjaus connect` first."))
    with SyncClient(store, server, token, clock=clock) as client:
        return client.round()
