"""A region's catalogue that comes by sync is checked against the device's own social protocol,
as `ohjaus check`, the start and `region import` check it: one without a duty's receiver, or
with a service marked for a duty not made to it (a central API of another version let it in),
is kept aside with the service and the duty named - in F6, in the worker's language, and by
`ohjaus sync` - while the catalogue in use stays and the rest of the pull arrives. A corrected
one is taken at the next sync. Real server on loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from textual.widgets import DataTable

from ohjaus_core.data_dir import shipped_data_dir
from ohjaus_core.domain.identity import make_identity_code
from ohjaus_core.protocol import CATALOGUE_ID, RecordType
from ohjaus_tui.screens.sync_view import SyncViewScreen

from ..conftest import build_app
from ..factories import region_catalogue_in_use
from ..pilot_helpers import sign_in
from tests.domain.test_catalogue import without_service
from tests.sync_helpers import settle
from tests.sync.test_sync_quarantine import _append, _client

OWN = "Kaarnan oma kiirevastaanotto"


def _own_catalogue() -> str:
    shipped = (shipped_data_dir() / "services.toml").read_text("utf-8")
    own = shipped.replace('name = { fi = "Kiirevastaanotto"', f'name = {{ fi = "{OWN}"', 1)
    assert own != shipped
    return own


def _marked(text: str, code: str, duty: str) -> str:
    """`text` with the service `code` marked as a receiver of `duty`."""
    start = text.index(f'code = "{code}"\n')
    end = text.index("[[service]]", start)
    return text[:end] + f'duty = "{duty}"\nlegal_basis = {{ fi = "L", sv = "L", en = "L" }}\n\n' + text[end:]


def _import(server, toml: str) -> None:
    """The catalogue written into the server as its import does, past the import's check."""
    central = server.central()
    try:
        central.load_reference(RecordType.CATALOGUE, [{"id": CATALOGUE_ID, "toml": toml}])
    finally:
        central.close()


def _in_use(device) -> dict[str, str]:
    return {s.code: s.names["fi"] for s in region_catalogue_in_use(device.store)}


def test_a_catalogue_that_does_not_fit_the_social_protocol_is_kept_aside_the_one_in_use_stays(server, devices):
    a = devices("a")
    own = _own_catalogue()
    _import(server, own)
    a.sync()
    assert _in_use(a)["urgent_care"] == OWN

    broken_ones = (without_service(own, "shelter"), _marked(own, "social_guidance", "older_person_notification"))
    for number, broken in enumerate(broken_ones, 964):
        _import(server, broken.replace(OWN, "Rikki"))
        good = _client(a, make_identity_code(date(1984, 4, 4), number), "Hyvä", None)
        _append(server, "client", good["id"], good, None, None)

        a.sync()  # no exception: the round finishes

        assert a.store.clients.client(good["id"]) is not None  # the rest of the pull arrived
        kept = a.store.pull.quarantined()
        assert [(k.record_type, k.record_id, k.reason) for k in kept] == [("catalogue", CATALOGUE_ID, "invalid")]
        assert _in_use(a)["urgent_care"] == OWN and "shelter" in _in_use(a)  # the working one stays
        a.sync()  # tried again: still kept aside, still the one in use
        assert len(a.store.pull.quarantined()) == 1 and _in_use(a)["urgent_care"] == OWN

    _import(server, own.replace(OWN, "Korjattu"))  # corrected: taken, nothing kept aside
    a.sync()
    assert a.store.pull.quarantined() == [] and _in_use(a)["urgent_care"] == "Korjattu"


async def test_f6_and_ohjaus_sync_name_the_duty_and_the_service(server, devices, capsys):
    from ohjaus.cli import main

    a = devices("a")
    own = _own_catalogue()
    _import(server, own)
    a.sync()
    _import(server, without_service(own, "shelter"))
    username = a.worker().username
    a.close()

    assert main(["sync", "--data-dir", str(a.path)]) == 0
    err = capsys.readouterr().err
    assert "duty 'immediate_safety_response' is made to the service 'shelter'" in err
    assert "The catalogue in use stays" in err

    app = build_app(a.path)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(0.5)
        await sign_in(pilot, username)
        await settle(pilot, app)
        assert app.ctx.shipped.service("urgent_care").names["fi"] == OWN  # the screens' catalogue
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, SyncViewScreen)
        row = " ".join(str(cell) for cell in app.screen.query_one(DataTable).get_row_at(0))
        assert "Kept aside" in row and "Referral catalogue" in row
        detail = str(app.screen.query_one("#sync-detail").render())
        assert "services.toml: the social protocol's duty 'immediate_safety_response' is made to the service 'shelter'" in detail
        assert "The catalogue in use stays" in detail
        # F9: the reason too (the duty and the service), not only the sentence around it, is
        # said in the language shown - the record is not read again for it (test_catalogue.py).
        for language, words, reason in (
            ("fi", "Käytössä oleva palveluluettelo säilyy",
             "velvoite 'immediate_safety_response' tehdään palveluun 'shelter', joka puuttuu"),
            ("sv", "Katalogen som används",
             "skyldighet 'immediate_safety_response' görs till tjänsten 'shelter', som saknas"),
        ):
            await pilot.press("f9")
            await pilot.pause()
            detail = " ".join(str(app.screen.query_one("#sync-detail").render()).split())
            assert words in detail and reason in detail and "is made to" not in detail, language


def test_a_catalogue_kept_aside_at_the_start_is_reported_and_tried_again_at_the_next_sync(server, devices):
    # A program update makes the catalogue the device holds unfit (here: the held text
    # changed on the device, its version the one pulled): at the start it is kept aside,
    # the central API lists the device as refusing the region's current catalogue, and
    # every sync tries it again and goes on.
    from ohjaus_tui.context import Context, load_shipped
    from ohjaus_tui.store.models import Setting
    from ohjaus_tui.store.sync_apply import REGION_CATALOGUE

    a = devices("a")
    own = _own_catalogue()
    _import(server, own)
    a.sync()
    with a.store.session() as session:
        session.merge(Setting(key=REGION_CATALOGUE, value=without_service(own, "shelter")))
        session.commit()
    context = Context(store=a.store, shipped=load_shipped())
    assert "'shelter'" in context.catalogue_notice
    assert context.shipped.service("urgent_care").names["fi"] != OWN  # the data folder's

    a.sync()
    a.sync()
    assert [(k.record_type, k.reason) for k in a.store.pull.quarantined()] == [("catalogue", "invalid")]
    assert region_catalogue_in_use(a.store) is None and a.store.outbox.sync_status().last_error in (None, "")
    central = server.central()
    try:
        assert central.catalogue_refused() == {a.store.outbox.sync_config()[1].split(".")[1]}
    finally:
        central.close()

    _import(server, own.replace(OWN, "Korjattu"))  # a new version from the region: taken
    a.sync()
    assert a.store.pull.quarantined() == [] and _in_use(a)["urgent_care"] == "Korjattu"
