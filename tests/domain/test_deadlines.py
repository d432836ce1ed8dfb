"""Region-configurable time limits (DOMAIN.md, "Time limits") and data/region.toml."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from ohjaus_core.domain.codes import Urgency
from ohjaus_core.domain.deadlines.health import (
    care_guarantee_deadline,
    health_assessment_deadline,
    promise_deadline,
    urgency_deadline,
)
from ohjaus_core.domain.deadlines.loading import load_region_rules
from ohjaus_core.domain.deadlines.rules import NoCareGuaranteeRule, RegionRules
from ohjaus_core.domain.deadlines.social import social_assessment_start_deadline
from ohjaus_core.domain.errors import DataFileError, DomainError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "region.toml"

HEAD = """\
[region]
name = { fi = "Testialue", sv = "Testområde", en = "Test region" }
promise_days = 7

[assessment]
health_same_day = true
social_start_working_days = 7
"""

# Dates and ages as the law went and as HE 134/2024 proposed, to exercise selection.
HISTORY = HEAD + """
[[care_guarantee]]
service = "primary_care"
valid_from = 2011-05-01
valid_until = 2023-08-31
days = 90
source = "3 months"

[[care_guarantee]]
service = "primary_care"
valid_from = 2023-09-01
valid_until = 2024-12-31
days = 14
source = "14 days"

[[care_guarantee]]
service = "primary_care"
valid_from = 2025-01-01
max_age = 22
days = 14
source = "under 23"

[[care_guarantee]]
service = "primary_care"
valid_from = 2025-01-01
min_age = 23
days = 90
source = "23 or over"

[[care_guarantee]]
service = "oral_health"
valid_from = 2023-09-01
valid_until = 2024-10-31
days = 120
source = "4 months"

[[care_guarantee]]
service = "oral_health"
valid_from = 2024-11-01
days = 90
source = "3 months"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "region.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture()
def history(tmp_path: Path) -> RegionRules:
    return load_region_rules(_write(tmp_path, HISTORY))


@pytest.fixture()
def shipped() -> RegionRules:
    return load_region_rules(SHIPPED)


@pytest.mark.parametrize(
    ("contact", "service", "age", "expected"),
    [
        ("2023-08-31", "primary_care", 40, "2023-11-29"),  # last day of the 3-month rule
        ("2023-09-01", "primary_care", 40, "2023-09-15"),  # first day of 14 days
        ("2023-09-01", "primary_care", None, "2023-09-15"),
        ("2024-12-31", "primary_care", 40, "2025-01-14"),
        ("2025-01-01", "primary_care", 22, "2025-01-15"),
        ("2025-01-01", "primary_care", 23, "2025-04-01"),
        ("2025-01-01", "primary_care", 0, "2025-01-15"),
        ("2025-01-01", "primary_care", 90, "2025-04-01"),
        # age unknown: the shortest limit in force, never a later deadline than the law's
        ("2025-01-01", "primary_care", None, "2025-01-15"),
        ("2024-10-31", "oral_health", 40, "2025-02-28"),
        ("2024-11-01", "oral_health", 40, "2025-01-30"),
    ],
)
def test_rule_selection_by_date_and_age(
    history: RegionRules, contact: str, service: str, age: int | None, expected: str
) -> None:
    day = date.fromisoformat(contact)
    assert care_guarantee_deadline(history, day, service, age) == date.fromisoformat(expected)


@pytest.mark.parametrize(
    ("contact", "service"),
    [("2011-04-30", "primary_care"), ("2023-08-31", "oral_health"), ("2025-01-01", "physio")],
)
def test_no_rule_in_force(history: RegionRules, contact: str, service: str) -> None:
    with pytest.raises(NoCareGuaranteeRule) as caught:
        care_guarantee_deadline(history, date.fromisoformat(contact), service)
    assert isinstance(caught.value, DomainError)
    assert service in str(caught.value)


def test_shipped_region_file_loads(shipped: RegionRules) -> None:
    assert shipped.name["fi"] == "Järvilaakson hyvinvointialue"
    assert set(shipped.name) == {"fi", "sv", "en"}
    assert shipped.display_name in shipped.name.values()
    assert shipped.promise_days == 7
    assert shipped.health_same_day is True
    assert shipped.social_start_working_days == 7
    services = {rule.service for rule in shipped.rules}
    assert services == {"primary_care", "oral_health"}
    assert all(rule.source for rule in shipped.rules)


@pytest.mark.parametrize(
    ("contact", "service", "age", "expected"),
    [
        # Issue 17's case: a 40-year-old, a year apart, each under the law of its day.
        ("2024-12-15", "primary_care", 40, "2024-12-29"),  # 14 days (1.9.2023-31.12.2024)
        ("2025-12-15", "primary_care", 40, "2026-03-15"),  # 3 months for 23+ (HE 134/2024)
        ("2025-12-15", "primary_care", 22, "2025-12-29"),  # under 23 keeps 14 days
        # Each change date, the day before and the day itself.
        ("2023-08-31", "primary_care", 40, "2023-11-29"),  # 3 months before 1.9.2023
        ("2023-09-01", "primary_care", 40, "2023-09-15"),
        ("2024-12-31", "primary_care", 40, "2025-01-14"),
        ("2025-01-01", "primary_care", 40, "2025-04-01"),
        ("2025-01-01", "primary_care", 23, "2025-04-01"),
        ("2025-01-01", "primary_care", 22, "2025-01-15"),
        ("2023-08-31", "oral_health", 40, "2024-02-27"),  # 6 months
        ("2023-09-01", "oral_health", 40, "2023-12-30"),  # 4 months
        ("2024-10-31", "oral_health", 40, "2025-02-28"),
        ("2024-11-01", "oral_health", 40, "2025-01-30"),  # 3 months
        ("2025-01-01", "oral_health", 40, "2025-06-30"),  # 6 months for 23+
        ("2025-01-01", "oral_health", 12, "2025-04-01"),  # 3 months under 23
    ],
)
def test_shipped_rules_as_the_law_stood_on_each_day(
    shipped: RegionRules, contact: str, service: str, age: int, expected: str
) -> None:
    day = date.fromisoformat(contact)
    assert care_guarantee_deadline(shipped, day, service, age) == date.fromisoformat(expected)


def test_shipped_rules_with_the_age_unknown_take_the_shortest_limit_in_force(shipped: RegionRules) -> None:
    assert care_guarantee_deadline(shipped, date(2025, 12, 15)) == date(2025, 12, 29)
    assert care_guarantee_deadline(shipped, date(2025, 12, 15), "oral_health") == date(2026, 3, 15)


def test_shipped_rules_start_when_the_health_care_act_did(shipped: RegionRules) -> None:
    with pytest.raises(NoCareGuaranteeRule):
        care_guarantee_deadline(shipped, date(2011, 4, 30))


@pytest.mark.parametrize(
    ("urgency", "expected"),
    [
        (Urgency.EMERGENCY, "2025-04-17"),
        (Urgency.SAME_DAY, "2025-04-17"),
        (Urgency.THREE_DAYS, "2025-04-24"),  # Good Friday and Easter Monday skipped
        (Urgency.NON_URGENT, "2025-05-01"),
        (Urgency.SELF_CARE, None),
        ("three_days", "2025-04-24"),  # as stored in the database
    ],
)
def test_urgency_deadline(shipped: RegionRules, urgency: Urgency, expected: str | None) -> None:
    result = urgency_deadline(urgency, date(2025, 4, 17), shipped)
    assert result == (date.fromisoformat(expected) if expected else None)


def test_urgency_deadline_uses_age(history: RegionRules) -> None:
    day = date(2025, 1, 1)
    assert urgency_deadline(Urgency.NON_URGENT, day, history, age=30) == date(2025, 4, 1)
    assert urgency_deadline(Urgency.NON_URGENT, day, history, age=10) == date(2025, 1, 15)


@pytest.mark.parametrize(
    ("contact", "expected"),
    [("2025-04-17", "2025-04-24"), ("2025-12-31", "2026-01-07")],
)
def test_promise_deadline_counts_calendar_days(
    shipped: RegionRules, contact: str, expected: str
) -> None:
    assert promise_deadline(shipped, date.fromisoformat(contact)) == date.fromisoformat(expected)


@pytest.mark.parametrize(
    ("contact", "expected"),
    [("2025-04-14", "2025-04-25"), ("2025-12-19", "2026-01-05"), ("2025-03-10", "2025-03-19")],
)
def test_social_assessment_start_counts_working_days(
    shipped: RegionRules, contact: str, expected: str
) -> None:
    day = date.fromisoformat(contact)
    assert social_assessment_start_deadline(shipped, day) == date.fromisoformat(expected)


def test_health_assessment_same_day_or_third_working_day(tmp_path: Path) -> None:
    same_day = load_region_rules(_write(tmp_path, HISTORY))
    assert health_assessment_deadline(same_day, date(2025, 4, 17)) == date(2025, 4, 17)
    older = load_region_rules(
        _write(tmp_path, HISTORY.replace("health_same_day = true", "health_same_day = false"))
    )
    assert health_assessment_deadline(older, date(2025, 4, 17)) == date(2025, 4, 24)


RULE = """
[[care_guarantee]]
service = "primary_care"
valid_from = 2023-09-01
days = 14
source = "x"
"""

# Each broken file marks the line the error must name with "# <-" (None: no line).
BROKEN = {
    "syntax": HEAD + RULE + 'days = = 3  # <-\n',
    "missing promise_days": HEAD.replace(
        "[region]", "[region]  # <-"
    ).replace("promise_days = 7\n", ""),
    "promise_days text": HEAD.replace('promise_days = 7', 'promise_days = "7"  # <-') + RULE,
    "promise_days bool": HEAD.replace('promise_days = 7', 'promise_days = true  # <-') + RULE,
    "promise_days negative": HEAD.replace('promise_days = 7', 'promise_days = -1  # <-') + RULE,
    "comment mentions key": "# promise_days is the region's own promise\n"
    + HEAD.replace('promise_days = 7', 'promise_days = 7.5  # <-') + RULE,
    "health_same_day text": HEAD.replace(
        "health_same_day = true", 'health_same_day = "yes"  # <-'
    ) + RULE,
    "missing social days": HEAD.replace(
        "[assessment]", "[assessment]  # <-"
    ).replace("social_start_working_days = 7\n", "") + RULE,
    "missing assessment": HEAD.split("[assessment]")[0] + RULE,
    "unknown top-level key": HEAD + RULE + "[extra]  # <-\nx = 1\n",
    "high_need zero": HEAD + RULE
    + "[high_need]\nrepeated_contacts = 0  # <-\nmissed_appointments = 2\nwindow_days = 30\n",
    "high_need missing key": HEAD + RULE
    + "[high_need]  # <-\nrepeated_contacts = 3\nmissed_appointments = 2\n",
    "high_need unknown key": HEAD + RULE + "[high_need]\nrepeated_contacts = 3\n"
    "missed_appointments = 2\nwindow_days = 30\nno_shows = 2  # <-\n",
    "office hours not a time": HEAD.replace(
        "health_same_day = true\n",
        'health_same_day = true\noffice_opens = "8"  # <-\noffice_closes = 16:00:00\n',
    ) + RULE,
    "name not a table": HEAD.replace(
        'name = { fi = "Testialue", sv = "Testområde", en = "Test region" }',
        'name = "Testialue"  # <-',
    ) + RULE,
    "name without Finnish": HEAD.replace(
        'name = { fi = "Testialue", sv = "Testområde", en = "Test region" }',
        'name = { sv = "Testområde" }  # <-',
    ) + RULE,
    "name unknown language": HEAD.replace(
        'en = "Test region" }', 'de = "Testgebiet" }  # <-'
    ) + RULE,
    "second rule missing days": HEAD + RULE + """
[[care_guarantee]]  # <-
service = "oral_health"
valid_from = 2023-09-01
source = "x"
""",
    "unknown service": HEAD + RULE.replace('service = "primary_care"', 'service = "dental"  # <-'),
    "date as text": HEAD + RULE.replace(
        "valid_from = 2023-09-01", 'valid_from = "2023-09-01"  # <-'
    ),
    "date with time": HEAD + RULE.replace(
        "valid_from = 2023-09-01", "valid_from = 2023-09-01T08:00:00  # <-"
    ),
    "until before from": HEAD + RULE.replace(
        "days = 14", "valid_until = 2023-08-31  # <-\ndays = 14"
    ),
    "max_age below min_age": HEAD + RULE.replace(
        "days = 14", "min_age = 23\nmax_age = 22  # <-\ndays = 14"
    ),
    "negative days": HEAD + RULE.replace("days = 14", "days = -14  # <-"),
    "misspelt key": HEAD + RULE.replace("days = 14", "days = 14\nvaild_until = 2024-01-01  # <-"),
    "empty source": HEAD + RULE.replace('source = "x"', 'source = "  "  # <-'),
    "overlap, no limits": HEAD + RULE + RULE.replace(
        "[[care_guarantee]]", "[[care_guarantee]]  # <-"
    ),
    "overlap, one age shared": HEAD + RULE.replace("days = 14", "max_age = 23\ndays = 14")
    + RULE.replace("[[care_guarantee]]", "[[care_guarantee]]  # <-").replace(
        "days = 14", "min_age = 23\ndays = 90"
    ),
    "overlap, one day shared": HEAD
    + RULE.replace("days = 14", "valid_until = 2024-12-31\ndays = 14")
    + RULE.replace("[[care_guarantee]]", "[[care_guarantee]]  # <-").replace(
        "valid_from = 2023-09-01", "valid_from = 2024-12-31"
    ),
    "overlap, third rule": HEAD + RULE + RULE.replace("primary_care", "oral_health")
    + RULE.replace("[[care_guarantee]]", "[[care_guarantee]]  # <-").replace(
        "valid_from = 2023-09-01", "valid_from = 2024-01-01"
    ),
}


def _marked_line(text: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if "# <-" in line:
            return number
    return None


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_region_file_names_the_line(tmp_path: Path, case: str) -> None:
    text = BROKEN[case]
    path = _write(tmp_path, text)
    with pytest.raises(DataFileError) as caught:
        load_region_rules(path)
    assert caught.value.path == path
    assert caught.value.line == _marked_line(text), str(caught.value)
    assert caught.value.reason


def test_missing_file_is_a_data_file_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError):
        load_region_rules(tmp_path / "nowhere.toml")


@pytest.mark.parametrize(
    "rules",
    [
        # consecutive dates
        RULE.replace("days = 14", "valid_until = 2024-12-31\ndays = 14")
        + RULE.replace("valid_from = 2023-09-01", "valid_from = 2025-01-01"),
        # adjacent ages
        RULE.replace("days = 14", "max_age = 22\ndays = 14")
        + RULE.replace("days = 14", "min_age = 23\ndays = 90"),
        # different services
        RULE + RULE.replace("primary_care", "oral_health"),
        # no rules at all is a valid (if useless) file
        "",
    ],
)
def test_rules_that_do_not_overlap_load(tmp_path: Path, rules: str) -> None:
    load_region_rules(_write(tmp_path, HEAD + rules))


def test_domain_imports_no_ui_sql_or_network() -> None:
    code = (
        "import sys\n"
        "import ohjaus_core.domain.identity, ohjaus_core.domain.phone\n"
        "import ohjaus_core.domain.calendar, ohjaus_core.domain.deadlines.contact\n"
        "import ohjaus_core.domain.deadlines.loading\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'sqlmodel', 'sqlalchemy', 'sqlite3', 'sqlcipher3', 'httpx', 'rich', 'socket')]\n"
        "print(bad)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- every deadline of one contact (contact_deadlines) ------------------------------------

from datetime import time, timedelta  # noqa: E402

from ohjaus_core.domain.deadlines.contact import (  # noqa: E402
    DeadlineKind,
    booking_deadline,
    contact_deadlines,
)

OFFICE = HEAD.replace(
    "health_same_day = true\n",
    "health_same_day = true\noffice_opens = 08:00:00\noffice_closes = 16:00:00\n",
) + HISTORY[len(HEAD):]


@pytest.fixture
def office(tmp_path: Path) -> RegionRules:
    return load_region_rules(_write(tmp_path, OFFICE))


def by_kind(deadlines) -> dict[DeadlineKind, date | None]:
    return {d.kind: d.day for d in deadlines}


@pytest.mark.parametrize(
    ("contact", "at", "expected"),
    [
        ("2026-11-25", "09:00", "2026-11-25"),  # Wednesday, in office hours: the same day
        ("2026-11-25", "07:30", "2026-11-25"),  # before opening: the same working day
        ("2026-11-27", "16:30", "2026-11-30"),  # Friday evening: Monday
        ("2026-11-28", "10:00", "2026-11-30"),  # Saturday: Monday
        ("2026-04-02", "17:00", "2026-04-07"),  # Thursday before Easter: Tuesday after
        ("2026-12-23", "18:00", "2026-12-28"),  # Christmas Eve to St Stephen's: Monday 28th
        ("2026-06-18", "20:00", "2026-06-22"),  # Thursday before Midsummer Eve: Monday
    ],
)
def test_care_need_assessment_is_the_same_day_in_office_hours_else_the_next_working_day(
    office: RegionRules, contact: str, at: str, expected: str
) -> None:
    deadlines = contact_deadlines(
        office, date.fromisoformat(contact), register="health", contact_time=time.fromisoformat(at)
    )
    assert by_kind(deadlines)[DeadlineKind.HEALTH_ASSESSMENT] == date.fromisoformat(expected)


def test_office_hours_must_come_in_pairs_and_in_order(tmp_path: Path) -> None:
    one = HEAD.replace("health_same_day = true\n", "health_same_day = true\noffice_opens = 08:00:00\n")
    with pytest.raises(DataFileError, match="office_opens and office_closes"):
        load_region_rules(_write(tmp_path, one))
    backwards = HEAD.replace(
        "health_same_day = true\n",
        "health_same_day = true\noffice_opens = 16:00:00\noffice_closes = 08:00:00\n",
    )
    with pytest.raises(DataFileError, match="after office_opens") as caught:
        load_region_rules(_write(tmp_path, backwards))
    assert caught.value.line == 8


@pytest.mark.parametrize(
    ("area", "age", "contact", "care_by"),
    [
        ("health", 30, "2025-03-03", "2025-06-01"),  # 23 or over after 2025: 90 days
        ("health", 19, "2025-03-03", "2025-03-17"),  # under 23: 14 days
        ("health", None, "2025-03-03", "2025-03-17"),  # age unknown: the shorter limit
        ("oral_health", 30, "2024-10-15", "2025-02-12"),  # oral health then: 4 months (120 d)
        ("oral_health", 30, "2024-11-15", "2025-02-13"),  # from 1.11.2024: 3 months (90 d)
    ],
)
def test_non_urgent_care_follows_the_care_guarantee_of_the_service_date_and_age(
    history: RegionRules, area: str, age: int | None, contact: str, care_by: str
) -> None:
    deadlines = contact_deadlines(
        history, date.fromisoformat(contact), register="health", service_area=area,
        urgency=Urgency.NON_URGENT, age=age,
    )
    days = by_kind(deadlines)
    assert days[DeadlineKind.CARE] == date.fromisoformat(care_by)
    assert days[DeadlineKind.PROMISE] == date.fromisoformat(contact) + timedelta(days=7)
    assert booking_deadline(deadlines) == date.fromisoformat(care_by)


def test_three_working_days_skip_the_weekend_and_self_care_has_no_care_deadline(
    shipped: RegionRules,
) -> None:
    friday = date(2026, 11, 27)
    days = by_kind(contact_deadlines(shipped, friday, register="health", urgency=Urgency.THREE_DAYS))
    assert days[DeadlineKind.CARE] == date(2026, 12, 2)  # Mon, Tue, Wed
    days = by_kind(contact_deadlines(shipped, friday, register="health", urgency=Urgency.SELF_CARE))
    assert DeadlineKind.CARE not in days and DeadlineKind.PROMISE not in days


@pytest.mark.parametrize(
    ("age", "statutory_group", "expected"),
    [
        (80, False, "2026-12-31"),  # 75 or over: the 7th working day (not 24-26.12.)
        (75, False, "2026-12-31"),
        (74, False, None),  # otherwise: without delay, no counted day
        (40, True, "2026-12-31"),  # the protocol's group question: highest care allowance...
        (None, False, None),
    ],
)
def test_social_assessment_start_for_the_groups_of_section_36(
    shipped: RegionRules, age: int | None, statutory_group: bool, expected: str | None
) -> None:
    friday = date(2026, 12, 18)
    deadlines = contact_deadlines(
        shipped, friday, register="social", age=age, statutory_group=statutory_group
    )
    day = by_kind(deadlines)[DeadlineKind.SOCIAL_ASSESSMENT]
    assert day == (date.fromisoformat(expected) if expected else None)


def test_a_child_welfare_notification_brings_the_seven_working_day_decision(
    shipped: RegionRules,
) -> None:
    thursday = date(2026, 4, 2)  # Good Friday and Easter Monday fall inside
    deadlines = contact_deadlines(
        shipped, thursday, register="social", urgency=Urgency.SAME_DAY,
        duties=("child_welfare_notification",),
    )
    days = by_kind(deadlines)
    # 7.-10.4. and 13.-15.4.: Good Friday 3.4. and Easter Monday 6.4. are not counted
    assert days[DeadlineKind.CHILD_WELFARE] == date(2026, 4, 15)
    assert days[DeadlineKind.SOCIAL_URGENT] == thursday  # an urgent need at once (SWA 36 §), not "care"
    assert DeadlineKind.CARE not in days  # social work has no care guarantee
    assert booking_deadline(deadlines) == thursday
    assert DeadlineKind.CHILD_WELFARE not in by_kind(
        contact_deadlines(shipped, thursday, register="social")
    )


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ohjaus_core.domain.calendar import is_working_day, working_days_between  # noqa: E402

OFFICE_RULES = load_region_rules(SHIPPED)


@given(
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
    at=st.times(),
)
def test_property_the_care_need_assessment_is_due_on_the_first_working_moment(day: date, at) -> None:
    due = health_assessment_deadline(OFFICE_RULES, day, at)
    in_hours = is_working_day(day) and at < OFFICE_RULES.office_closes
    if in_hours:
        assert due == day
    else:
        # The next working day: a working day, with none between.
        assert due > day and is_working_day(due)
        assert working_days_between(day, due) == 1


@given(
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
    age=st.one_of(st.none(), st.integers(0, 110)),
    urgency=st.sampled_from(list(Urgency)),
    register=st.sampled_from(["health", "social"]),
)
def test_property_no_deadline_is_before_the_contact_day(day, age, urgency, register) -> None:
    for deadline in contact_deadlines(OFFICE_RULES, day, register=register, urgency=urgency, age=age):
        assert deadline.day is None or deadline.day >= day
        if deadline.kind in (DeadlineKind.SOCIAL_ASSESSMENT, DeadlineKind.CHILD_WELFARE) and deadline.day:
            assert working_days_between(day, deadline.day) == 7 and is_working_day(deadline.day)


def test_the_retention_on_devices_has_a_default_and_a_checked_value(tmp_path: Path, shipped: RegionRules) -> None:
    """region.toml [devices] retention_days (issue 20): 365 in the demo region and when not
    given; less than 30 days, or not a whole number, is refused naming the line."""
    assert shipped.devices.retention_days == 365
    assert load_region_rules(_write(tmp_path, HISTORY)).devices.retention_days == 365
    assert load_region_rules(_write(tmp_path, HISTORY + "\n[devices]\nretention_days = 90\n")).devices.retention_days == 90
    for value in ("7", '"a year"', "-1"):
        with pytest.raises(DataFileError) as caught:
            load_region_rules(_write(tmp_path, HISTORY + f"\n[devices]\nretention_days = {value}\n"))
        assert "retention_days" in str(caught.value)
        assert caught.value.line == HISTORY.count("\n") + 3
    with pytest.raises(DataFileError, match="unknown key keep_days"):
        load_region_rules(_write(tmp_path, HISTORY + "\n[devices]\nkeep_days = 90\n"))


@pytest.mark.parametrize(("age", "area"), [(40, "working_age"), (80, "older_people"), (None, "family")])
def test_advice_and_guidance_on_a_social_contact_counts_no_assessment_limit_nor_the_promise(
    shipped: RegionRules, age: int | None, area: str,
) -> None:
    """SWA 36 §: no service-need assessment is made where it is plainly unnecessary - a client
    given advice (self_care, "Neuvonta ja ohjaus") is owed neither its start nor its
    completion, nor the region's promise; a non-urgent assessment still is (a 75-year-old's
    start on the 7th working day). Child welfare's limits after a notification stay."""
    friday = date(2026, 12, 18)
    advice = contact_deadlines(
        shipped, friday, register="social", service_area=area, urgency=Urgency.SELF_CARE, age=age,
    )
    assert advice == []
    assessed = by_kind(contact_deadlines(
        shipped, friday, register="social", service_area=area, urgency=Urgency.NON_URGENT, age=age,
    ))
    assert {DeadlineKind.SOCIAL_ASSESSMENT, DeadlineKind.SOCIAL_DONE, DeadlineKind.PROMISE} <= set(assessed)
    notified = by_kind(contact_deadlines(
        shipped, friday, register="social", urgency=Urgency.SELF_CARE, age=age,
        duties=("child_welfare_notification",),
    ))
    assert set(notified) == {DeadlineKind.CHILD_WELFARE, DeadlineKind.CHILD_WELFARE_DONE}
