"""Issue 16 item 7: `ohjaus check --vignettes` reads the blind social vignettes' form and
scores urgency, segment, duties and referrals; a missed duty fails the run. dev/ holds the
parts released for development (social_dev.toml, 48; social_dev2-20, written blind and kept
aside before release; tests/social_vignettes/README.md tells each part's story), heldout/ the
parts kept aside, measured, never read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ohjaus_core.domain.codes import Urgency
from ohjaus_core.domain.social_vignettes import (
    is_social_file, load_social_vignettes, run_social, social_report, with_reference,
)

DEV = Path(__file__).parent.parent / "social_vignettes" / "dev"
HELDOUT = Path(__file__).parent.parent / "social_vignettes" / "heldout"


def test_the_dev_set_is_read_and_scored_on_all_four(shipped):
    path = DEV / "social_dev.toml"
    assert is_social_file(path) and is_social_file(DEV / "social_dev2.toml")
    vignettes = load_social_vignettes(path)
    assert len(vignettes) == 48
    outcomes = run_social(vignettes, shipped.protocol("social_service_need"), shipped.catalogue)
    text = social_report(outcomes)
    for figure in ("urgency right:", "segment right:", "duties found:", "referral first choice fitting:"):
        assert figure in text
    # The neighbour's call about an older man who cannot cope finds the older person's notification.
    hoarding = next(o for o in outcomes if o.vignette.id == "s_housing_neighbour_hoarding_older_man")
    assert hoarding.missed_duties == () and "older_person_notification" in hoarding.duties
    assert "s_housing_neighbour_hoarding_older_man" not in social_report(outcomes, list_misses=False)


@pytest.mark.parametrize(("name", "n", "urgency", "segment", "referral"), [
    ("social_dev.toml", 48, 45, 44, 46),
    ("social_dev2.toml", 24, 23, 21, 19),
    ("social_dev3.toml", 36, 31, 34, 35),
    ("social_dev4.toml", 36, 33, 31, 33),
    ("social_dev5.toml", 36, 30, 30, 35),
    ("social_dev6.toml", 36, 26, 29, 30),
    ("social_dev7.toml", 36, 30, 33, 34),
    ("social_dev8.toml", 36, 30, 32, 33),
    ("social_dev9.toml", 36, 30, 30, 32),
    ("social_dev10.toml", 36, 30, 31, 31),
    ("social_dev11.toml", 36, 28, 31, 28),
    ("social_dev12.toml", 36, 30, 32, 32),
    ("social_dev13.toml", 36, 30, 33, 36),
    ("social_dev14.toml", 36, 30, 34, 35),
    ("social_dev15.toml", 36, 31, 30, 32),
    ("social_dev16.toml", 36, 29, 34, 29),
    ("social_dev17.toml", 36, 30, 32, 28),
    ("social_dev18.toml", 36, 32, 33, 32),
    ("social_dev19.toml", 36, 30, 33, 31),
    ("social_dev20.toml", 36, 32, 33, 32),
])
def test_the_dev_sets_answered_from_the_story_keep_their_figures(shipped, name, n, urgency, segment, referral):
    """Answered from the blind tagger's findings (the story), not the structured fields: every
    duty found, and floors at each part's figures now, so a rule change that loses a case on
    any part shows here and is decided on purpose. Each round's figures per part, and why a
    floor went down (a writer's label of a class the consensus contradicts), are in
    tests/social_vignettes/README.md; version 18 (a long unemployment with nothing that cannot
    wait is not three working days by the grey zone) lowered social_dev 46 -> 45 and
    social_dev5 31 -> 30 (two writers' three days, no panel) and raised social_dev18 and
    social_dev19 by one."""
    vignettes = load_social_vignettes(DEV / name)
    assert len(vignettes) == n and all(v.findings is not None for v in vignettes)
    outcomes = run_social(vignettes, shipped.protocol("social_service_need"), shipped.catalogue)
    assert not [o.vignette.id for o in outcomes if o.missed_duties]
    assert sum(o.urgency_right for o in outcomes) >= urgency
    assert sum(o.segment_right for o in outcomes) >= segment
    assert sum(o.referral_right for o in outcomes if o.vignette.referrals) >= referral


@pytest.mark.parametrize(("part", "urgency", "segment"), [
    (6, 32, 32), (7, 31, 28), (8, 27, 36), (9, 34, 33), (10, 32, 33), (11, 30, 34), (12, 33, 31), (13, 29, 34),
    (14, 30, 30), (15, 33, 30), (16, 27, 33), (17, 30, 30), (18, 34, 30), (19, 31, 32), (20, 30, 32),
])
def test_the_released_parts_with_readers_keep_their_figures_against_the_consensus(shipped, part, urgency, segment):
    """The released parts with blind readers (social_dev6-20) against their consensus labels
    (the writer, a blind second reader and a blind adjudicator where they differ;
    tests/social_readers/dev*_consensus.toml): floors at each part's figures now, and every
    duty the consensus names is found. Each round's figures: tests/social_vignettes/README.md."""
    import tomllib

    from ohjaus_core.domain.social_vignettes import DUTIES

    consensus = DEV.parent.parent / "social_readers" / f"dev{part}_consensus.toml"
    labels = {label["id"]: label for label in tomllib.loads(consensus.read_text("utf-8"))["label"]}
    vignettes, covered = with_reference(load_social_vignettes(DEV / f"social_dev{part}.toml"), [consensus])
    outcomes = run_social(vignettes, shipped.protocol("social_service_need"), shipped.catalogue)
    assert len(outcomes) == len(labels) == covered == 36
    assert sum(o.urgency_right for o in outcomes) >= urgency
    assert sum(o.segment_right for o in outcomes) >= segment
    assert not [(o.vignette.id, d) for o in outcomes for d in labels[o.vignette.id]["duties"] if DUTIES[d] not in o.duties]


def kept_aside():
    return sorted(HELDOUT.glob("*.toml"))


@pytest.mark.skipif(not kept_aside(), reason="no social part kept aside yet (tests/social_vignettes/heldout/ is empty)")
def test_the_part_kept_aside_is_read_and_counted_only(shipped):
    """The social parts kept aside (heldout/, written and marked blind, never read by anyone
    who edits the rules) are read from their findings and scored; `--aggregate` lists none of
    their cases, only the totals (heldout/README.md has every measurement)."""
    from tests.command.test_cli import ohjaus

    for path in kept_aside():
        vignettes = load_social_vignettes(path)
        assert vignettes and all(v.findings is not None for v in vignettes)
        run_social(vignettes, shipped.protocol("social_service_need"), shipped.catalogue)
    result = ohjaus("check", "--vignettes", str(HELDOUT), "--aggregate")
    assert "social vignettes:" in result.stdout
    ids = [v.id for path in kept_aside() for v in load_social_vignettes(path)]
    assert not [i for i in ids if i in result.stdout]


def test_the_findings_rule_and_the_field_rule(shipped, tmp_path):
    """A vignette with findings is answered from them only; one without falls back to the
    field rule; a finding the protocol does not ask is refused with the vignette's id."""

    from ohjaus_core.domain.errors import DomainError

    text = VIGNETTE.format(extra='findings = ["older_person_not_coping"]')
    path = tmp_path / "one.toml"
    path.write_text(text + VIGNETTE.format(extra="").replace('"one"', '"two"'), encoding="utf-8")
    protocol = shipped.protocol("social_service_need")
    one, two = run_social(load_social_vignettes(path), protocol, shipped.catalogue)
    assert one.duties == ("older_person_notification",) and one.vignette.findings == ("older_person_not_coping",)
    # The field rule: livelihood answers the debts question, 84 the statutory group: for an
    # older person of the group with money problems the older person's notification too.
    assert two.vignette.findings is None and two.duties == ("older_person_notification",)
    path.write_text(VIGNETTE.format(extra='findings = ["chest_pain_now"]'), encoding="utf-8")
    with pytest.raises(DomainError, match="one: findings not in social_service_need: chest_pain_now"):
        run_social(load_social_vignettes(path), protocol, shipped.catalogue)


VIGNETTE = """
[[vignette]]
id = "one"
story = "A neighbour calls: the 84-year-old man next door cannot cope at home."
age = 84
caller = "neighbour"
domains = ["livelihood"]
worry = "grey_zone"
expected_urgency = "three_days"
expected_segment = "clear"
duties = ["older_person_notification"]
referrals = ["older_people_services"]
source = "test"
{extra}
"""


def test_a_missed_duty_fails_the_check_and_aggregate_lists_no_case(tmp_path):
    from tests.command.test_cli import ohjaus

    result = ohjaus("check", "--vignettes", str(DEV), "--aggregate")
    assert result.returncode == 0, result.stdout  # every duty of the dev set is found
    expected = sum(len(v.duties) for f in sorted(DEV.glob("*.toml")) for v in load_social_vignettes(f))
    assert expected > 150  # the released parts' duties are in the dev set too
    assert f"duties found: {expected}/{expected}" in result.stdout and "  s_" not in result.stdout.split("social vignettes:")[1]
    # The story answers no question that raises the older person's notification: missed, exit 1.
    (tmp_path / "missed.toml").write_text(VIGNETTE.format(extra='findings = ["debts_or_benefit_problems"]'), encoding="utf-8")
    result = ohjaus("check", "--vignettes", str(tmp_path))
    assert result.returncode == 1
    assert "duties found: 0/1" in result.stdout and "one: " in result.stdout and "missed duty older_person_notification" in result.stdout


@pytest.mark.parametrize(("expected", "segment", "right"), [
    ("non_urgent", "advice", True), ("non_urgent", "clear", False), ("three_days", "advice", False),
    ("same_day", "advice", False),
])
def test_advice_and_guidance_counts_right_only_where_non_urgent_is_expected(shipped, tmp_path, expected, segment, right):
    """The writers' `non_urgent` is "the ordinary assessment ... or just advice": a client who
    wants information only and manages once informed, suggested advice and guidance (version
    12), is right where the writer expected just advice (non_urgent on the advice path), not
    where they expected the assessment (non_urgent with a clear or complex need; the review of
    6.12.2026: counted right there too, the figures could not see the change)."""
    text = VIGNETTE.format(extra='findings = ["information_only", "manages_once_informed"]')
    text = text.replace('expected_segment = "clear"', f'expected_segment = "{segment}"')
    text = text.replace('worry = "grey_zone"', 'worry = "small"').replace('age = 84', 'age = 44')
    text = text.replace('expected_urgency = "three_days"', f'expected_urgency = "{expected}"')
    path = tmp_path / "advice.toml"
    path.write_text(text.replace('duties = ["older_person_notification"]', "duties = []"), encoding="utf-8")
    (outcome,) = run_social(load_social_vignettes(path), shipped.protocol("social_service_need"), shipped.catalogue)
    assert outcome.urgency is Urgency.SELF_CARE and outcome.segment == "advice"
    assert outcome.urgency_right is right


def test_the_check_measures_against_reference_labels_where_given(shipped, tmp_path):
    """`ohjaus check --vignettes ... --reference LABELS`: a case a label file covers is scored
    on the label's urgency and segment (a panel's consensus), the rest on the writer's; duties
    stay the writer's. A label with a segment word the vignettes do not use is refused by name."""
    from tests.command.test_cli import ohjaus

    part = tmp_path / "part.toml"
    part.write_text(VIGNETTE.format(extra='findings = ["older_person_not_coping", "statutory_group"]'), encoding="utf-8")
    [outcome] = run_social(load_social_vignettes(part), shipped.protocol("social_service_need"), shipped.catalogue)
    writer = ohjaus("check", "--vignettes", str(part), "--aggregate")
    assert "social vignettes: 1" in writer.stdout and "reference" not in writer.stdout
    # A reference that says what the protocol suggests, and one that says otherwise.
    for urgency, segment, right in ((outcome.urgency_word, {"clear_need": "clear", "complex_need": "complex", "advice": "advice"}[outcome.segment], "1/1"),
                                    ("emergency", "advice" if outcome.segment != "advice" else "clear", "0/1")):
        labels = tmp_path / "labels.toml"
        labels.write_text(f'[[label]]\nid = "one"\nexpected_urgency = "{urgency}"\nexpected_segment = "{segment}"\n', encoding="utf-8")
        result = ohjaus("check", "--vignettes", str(part), "--aggregate", "--reference", str(labels))
        assert "Against the reference labels: 1 of 1 cases" in result.stdout, result.stdout + result.stderr
        assert f"urgency right: {right}" in result.stdout and f"segment right: {right}" in result.stdout
        assert "duties found: 1/1" in result.stdout
    labels.write_text('[[label]]\nid = "one"\nexpected_urgency = "same_day"\nexpected_segment = "simple"\n', encoding="utf-8")
    refused = ohjaus("check", "--vignettes", str(part), "--reference", str(labels))
    assert refused.returncode != 0 and "one: expected_segment 'simple'" in refused.stdout + refused.stderr
    # The same case labelled in two files, labels of no case of the set, a health set: refused.
    labels.write_text('[[label]]\nid = "one"\nexpected_urgency = "same_day"\nexpected_segment = "clear"\n', encoding="utf-8")
    twice = ohjaus("check", "--vignettes", str(part), "--reference", str(labels), str(labels))
    assert twice.returncode != 0 and "one is labelled twice" in twice.stdout + twice.stderr
    labels.write_text('[[label]]\nid = "other"\nexpected_urgency = "same_day"\nexpected_segment = "clear"\n', encoding="utf-8")
    none = ohjaus("check", "--vignettes", str(part), "--reference", str(labels))
    assert none.returncode != 0 and "name none of the vignettes" in none.stdout + none.stderr
    health = ohjaus("check", "--vignettes", str(DEV.parent.parent / "vignettes" / "health.toml"), "--reference", str(labels))
    assert health.returncode != 0 and "social vignettes only" in health.stdout + health.stderr
