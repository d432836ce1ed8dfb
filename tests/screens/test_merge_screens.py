"""Issue 20, duplicates and merge, on the screens at 80x24: the possible matches shown before a
client without an identity code is saved (take one, or save anyway), and a team lead's merge
of a temporary-code client into the real one from the client view, confirmed first."""

from __future__ import annotations

from datetime import date

from ohjaus_core.domain.identity import make_identity_code
from ohjaus_tui.screens.client_view import ClientScreen
from ohjaus_tui.screens.confirm import ConfirmScreen
from ohjaus_tui.screens.contact import ContactScreen
from ohjaus_tui.screens.duplicates import MatchesScreen, MergeScreen
from ohjaus_tui.screens.new_client import NewClientScreen

from ..conftest import build_app
from ..factories import add_client
from ..pilot_helpers import open_new_client, sign_in, type_text

BORN = date(1961, 4, 9)
SIZE = (80, 24)


def add(store, individual: int | None, first: str = "Aune", phone: str | None = None):
    return add_client(store, BORN, individual, first, "Kivimäki", phone=phone)


async def new_client_form(pilot, query: str) -> NewClientScreen:
    await open_new_client(pilot, query)
    return pilot.app.screen


def kivimaki_count(store) -> int:
    return sum(1 for r in store.export_records() if r["type"] == "client" and r["last_name"] == "Kivimäki")


async def test_matches_are_shown_before_a_client_without_a_code_is_saved_and_one_is_taken(app, store):
    real = add(store, 123, phone="0401234567")
    async with app.run_test(size=SIZE) as pilot:
        await new_client_form(pilot, "Kivimäki Aune")
        await pilot.press("ctrl+t")  # save without the identity code
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MatchesScreen)
        listing = screen.query_one("#matches")
        assert listing.option_count == 1 and "Kivimäki Aune" in str(listing.get_option_at_index(0).prompt)
        # On the screen whole at 80x24, its keys in the footer.
        assert screen.query_one("Vertical").region.bottom <= 24
        await pilot.press("enter")  # the existing client instead
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
        assert app.screen.draft.client_id == real.id
    assert kivimaki_count(store) == 1  # no second record


async def test_a_temporary_code_with_a_matching_phone_can_be_saved_anyway(app, store):
    add(store, 123, phone="0401234567")
    async with app.run_test(size=SIZE) as pilot:
        form = await new_client_form(pilot, "Kivimäki Aino")
        form.query_one("#identity-code").value = make_identity_code(BORN, 955)
        form.query_one("#phone").value = "+358 40 123 4567"
        form.query_one("#temporary").value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MatchesScreen)  # the same phone number
        await pilot.press("escape")  # back to the form: nothing lost
        await pilot.pause()
        assert app.screen is form and form.query_one("#phone").value == "+358 40 123 4567"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MatchesScreen)
        await pilot.press("ctrl+s")  # a new client after all
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)
    assert kivimaki_count(store) == 2


async def test_no_match_no_question(app, store):
    async with app.run_test(size=SIZE) as pilot:
        await new_client_form(pilot, "Ainutlaatuinen Eemeli")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, ContactScreen)


async def open_client_view(pilot, code: str, username: str) -> ClientScreen:
    await sign_in(pilot, username)
    await pilot.press("n")
    await type_text(pilot, code)
    await pilot.pause()
    await pilot.press("f2")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ClientScreen)
    return pilot.app.screen


async def test_a_team_lead_merges_from_the_client_view_after_confirming(app, store):
    real, temporary = add(store, 123), add(store, 956)
    async with app.run_test(size=SIZE) as pilot:
        view = await open_client_view(pilot, temporary.identity_code, "esihenkilo1")
        await pilot.press("m")
        await pilot.pause()
        merge = app.screen
        assert isinstance(merge, MergeScreen)
        assert merge.query_one("#merge-candidates").option_count == 1
        await pilot.press("enter")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert real.identity_code in confirm.question and "cannot be undone" in confirm.question
        await pilot.press("enter")  # Enter does not merge: this cannot be undone
        await pilot.pause()
        assert app.screen is merge and store.merges.merged_into(temporary.id) is None
        await pilot.press("enter", "k")
        await pilot.pause()
        assert app.screen is view and view.client_id == real.id
        assert "Merged" in str(view.query_one("#client-message").render())
    assert store.merges.merged_into(temporary.id) == real.id


async def test_a_merge_by_typed_code_and_a_nurse_may_not_merge(app, store, data_dir):
    real, temporary = add(store, 123, first="Eila"), add(store, 957, first="Aune")  # not a name match
    async with app.run_test(size=SIZE) as pilot:
        view = await open_client_view(pilot, temporary.identity_code, "esihenkilo1")
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MergeScreen) and not app.screen.query("#merge-candidates")
        await type_text(pilot, "010101-0101")
        await pilot.press("enter")
        await pilot.pause()
        assert "No client with the identity code" in str(app.screen.query_one("#merge-error").render())
        app.screen.query_one("#merge-code").value = real.identity_code
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        assert app.screen is view
    assert store.clients.client(temporary.id).id == real.id
    other = add(store, 958, first="Toinen")
    async with build_app(data_dir).run_test(size=SIZE) as pilot:
        view = await open_client_view(pilot, other.identity_code, "hoitaja1")
        await pilot.press("m")
        await pilot.pause()
        assert pilot.app.screen is view
        assert "Only a team lead may merge clients." in str(view.query_one("#client-message").render())
