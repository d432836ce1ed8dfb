"""The contact flow outside Textual: the contact's client is read from the store once, and
again only when another client is chosen or a sync may have changed it (issue 19)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from ohjaus_core.domain.codes import ServiceArea, Urgency
from ohjaus_core.domain.contact import ContactDraft
from ohjaus_tui.flow import ContactFlow

from ..conftest import FIXED_NOW


class CountingStore:
    """The store's clients repository (store.clients.client), counting its reads."""

    def __init__(self, clients: dict) -> None:
        self.rows, self.reads = clients, 0
        self.clients = self

    def client(self, client_id: str):
        self.reads += 1
        return self.rows.get(client_id)


def a_flow(shipped, clients: dict) -> tuple[ContactFlow, CountingStore]:
    store = CountingStore(clients)
    ctx = SimpleNamespace(store=store, shipped=shipped, now=lambda: FIXED_NOW)
    return ContactFlow(ctx, ContactDraft(worker_id="w", unit_id="u", started_at=FIXED_NOW)), store


def test_the_client_is_read_once_and_again_only_when_it_may_have_changed(shipped):
    adult = SimpleNamespace(id="c1", birth_date=date(1980, 1, 1))
    child = SimpleNamespace(id="c2", birth_date=date(2020, 6, 1))
    flow, store = a_flow(shipped, {"c1": adult, "c2": child})
    assert flow.client is None and store.reads == 0  # a new contact: nothing to read
    flow.draft.client_id = "c1"
    assert [flow.client, flow.client, flow.client_age(), flow.child()] == [adult, adult, 46, False]
    assert store.reads == 1
    flow.draft.client_id = "c2"  # another client chosen
    assert flow.client is child and flow.child() and store.reads == 2
    flow.forget_client()  # after a sync round
    assert flow.client is child and store.reads == 3
    flow.take_client(adult)  # chosen from the search results, already read
    flow.draft.client_id = adult.id
    assert flow.client is adult and store.reads == 3


def test_the_deadlines_follow_the_draft_and_are_kept_for_the_steps(shipped):
    flow, _store = a_flow(shipped, {})
    assert flow.refresh_deadlines() == [] and flow.deadlines == []  # no service area yet
    flow.draft.service_area, flow.draft.urgency = ServiceArea.HEALTH, Urgency.NON_URGENT
    deadlines = flow.refresh_deadlines()
    assert deadlines and flow.deadlines == deadlines
