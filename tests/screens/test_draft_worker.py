"""Sign-in offers the worker whose unfinished contact is on the device (issue 15)."""

from __future__ import annotations

from textual.widgets import OptionList

from ohjaus_core.domain.contact import ContactDraft
from ohjaus_tui.store.directory import sign_in_workers

from ..conftest import FIXED_NOW


async def test_the_worker_of_an_unfinished_contact_is_highlighted_at_sign_in(app, data_dir, store):
    workers = sign_in_workers(data_dir)
    owner = workers[2]
    unit = store.worker(owner.id).unit_id
    store.contacts.save_draft(ContactDraft(worker_id=owner.id, unit_id=unit, started_at=FIXED_NOW), FIXED_NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        listing = app.screen.query_one("#workers", OptionList)
        assert listing.get_option_at_index(listing.highlighted).id == owner.id


async def test_without_a_draft_the_first_worker_is_highlighted(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#workers", OptionList).highlighted == 0
