"""Issue 16: several referrals per contact in the central API's validation and the reports."""

from __future__ import annotations

import json

import pytest

from ohjaus_central.batch import Rejected, validated
from ohjaus_core.domain.codes import Handover, OutcomeKind
from ohjaus_core.domain.contact import Referral
from ohjaus_core.domain.reports import REFERRAL, ContactFact, contact_tallies
from ohjaus_core.records import Outcome

OUTCOME_ID = "0b6a3c1e-2a51-4f7e-9a2e-111111111111"
CONTACT_ID = "0b6a3c1e-2a51-4f7e-9a2e-222222222222"


def outcome(referrals) -> dict:
    return {"id": OUTCOME_ID, "contact_id": CONTACT_ID, "kind": "referral", "referrals": json.dumps(referrals)}


def test_the_central_api_takes_several_referrals_and_refuses_a_malformed_one():
    three = [Referral(code, Handover.WARM, True).as_json() for code in ("a", "b", "c")]
    assert len(json.loads(validated(Outcome, outcome(three), OUTCOME_ID)["referrals"])) == 3
    assert validated(Outcome, {k: v for k, v in outcome([]).items() if k != "referrals"}, OUTCOME_ID)["referrals"] == "[]"
    for bad in (
        [{"service_code": "a", "handover": "lukewarm", "consent": True, "legal_basis": ""}],
        [{"service_code": "a", "handover": "warm", "consent": "yes", "legal_basis": ""}],
        [{"service_code": "a", "handover": "warm"}],
        [{"service_code": "a\u202e", "handover": "warm", "consent": True, "legal_basis": ""}],
        [three[0]] * 21,
    ):
        with pytest.raises(Rejected, match="referrals"):
            validated(Outcome, outcome(bad), OUTCOME_ID)


def test_a_report_counts_every_destination_of_a_contact_once():
    from datetime import datetime, timezone

    moment = datetime(2026, 11, 25, 8, tzinfo=timezone.utc)
    fact = ContactFact(
        started_at=moment, signed_at=moment, unit_id="u", channel="walk_in", sector="social", client_id="c",
        outcome=OutcomeKind.REFERRAL.value, service_code="adult_social_work",
        referral_codes=("adult_social_work", "debt_counselling", "substance_ngo"),
    )
    tally = contact_tallies(fact, rules=None)
    assert {key for (figure, key) in tally if figure == REFERRAL} == {"adult_social_work", "debt_counselling", "substance_ngo"}
    old = ContactFact(
        started_at=moment, signed_at=moment, unit_id="u", channel="walk_in", sector="social", client_id="c",
        outcome=OutcomeKind.REFERRAL.value, service_code="kela",
    )
    assert tally_referrals(old) == {"kela": 1}


def tally_referrals(fact) -> dict:
    return {key: n for (figure, key), n in contact_tallies(fact, rules=None).items() if figure == REFERRAL}


def test_the_report_of_a_store_counts_the_three_referrals_of_one_contact(tmp_path, shipped):
    from ohjaus_core.domain.codes import Channel, Segment, ServiceArea, Urgency
    from ohjaus_tui.store.reports import make_report
    from ohjaus_tui.store.store import Store

    from tests.store.test_reports import END, NOW, START, at, draft, reference

    store = Store(tmp_path / "s")
    reference(store)
    d = draft("C9", at(10, 12), "couns-a", "unit-a", "Y", Channel.WALK_IN, ServiceArea.WORKING_AGE,
              Urgency.THREE_DAYS, Segment.CLEAR_NEED, OutcomeKind.REFERRAL)
    d.set_referrals([
        Referral("adult_social_work", Handover.WARM, True),
        Referral("social_guidance", Handover.WARM, True),
        Referral("substance_ngo", Handover.COLD),
    ])
    store.contacts.sign(d, at(10, 12, 30))
    report = make_report(store, shipped.region, START, END, NOW)
    store.close()
    assert report.referrals == {"adult_social_work": 1, "social_guidance": 1, "substance_ngo": 1}


def test_a_report_counts_duties_made_and_referrals_by_destination_and_status(tmp_path, shipped):
    """Three social contacts counted by hand: (1) debts, housing, substance use - two warm
    referrals with consent and one cold; (2) an older person's notification made as a duty and
    a statutory hand-over to child welfare; (3) a child-welfare notification and a safety
    response, nothing referred."""
    from ohjaus_core.domain.codes import Channel, NotifiedBy, Segment, ServiceArea, Urgency
    from ohjaus_core.domain.contact import DutyMade
    from ohjaus_tui.report_text import render_csv, render_text
    from ohjaus_tui.store.reports import make_report
    from ohjaus_tui.store.store import Store

    from tests.store.test_reports import END, NOW, START, at, draft, reference

    store = Store(tmp_path / "s")
    reference(store)

    def duty(kind: str, hour: int) -> DutyMade:
        return DutyMade(kind, "Vastaanottaja", at(11, hour), NotifiedBy.PHONE, "laki 25 §", "naapuri")

    one = draft("D1", at(10, 9), "couns-a", "unit-a", "Y", Channel.WALK_IN, ServiceArea.WORKING_AGE,
                Urgency.THREE_DAYS, Segment.CLEAR_NEED, OutcomeKind.REFERRAL)
    one.set_referrals([
        Referral("adult_social_work", Handover.WARM, True),
        Referral("social_guidance", Handover.WARM, True),
        Referral("substance_ngo", Handover.COLD),
    ])
    store.contacts.sign(one, at(10, 9, 30))
    two = draft("D2", at(11, 9), "couns-a", "unit-a", None, Channel.PHONE, ServiceArea.OLDER_PEOPLE,
                Urgency.THREE_DAYS, Segment.CLEAR_NEED, OutcomeKind.REFERRAL)
    two.set_referrals([Referral("child_welfare_intake", Handover.WARM, legal_basis="Lastensuojelulaki 25 §")])
    two.duties_made = [duty("older_person_notification", 9)]
    store.contacts.sign(two, at(11, 9, 30))
    three = draft("D3", at(11, 10), "couns-a", "unit-a", None, Channel.PHONE, ServiceArea.FAMILY,
                  Urgency.SAME_DAY, Segment.CLEAR_NEED, OutcomeKind.DUTY)
    three.duties_made = [duty("child_welfare_notification", 10), duty("immediate_safety_response", 10)]
    store.contacts.sign(three, at(11, 10, 30))
    report = make_report(store, shipped.region, START, END, NOW)
    store.close()
    assert report.referrals == {"adult_social_work": 1, "child_welfare_intake": 1, "social_guidance": 1, "substance_ngo": 1}
    assert report.referral_status == {
        "adult_social_work": {"warm": 1}, "child_welfare_intake": {"statutory": 1},
        "social_guidance": {"warm": 1}, "substance_ngo": {"cold": 1},
    }
    assert report.duties == {"child_welfare_notification": 1, "immediate_safety_response": 1, "older_person_notification": 1}
    text = render_text(report)
    assert "Duties made" in text and "Older person's notification" in text and "1 without consent (duty)" in text
    assert "duty,immediate_safety_response,1" in render_csv(report)
    assert "referral_status,substance_ngo:cold,1" in render_csv(report)
