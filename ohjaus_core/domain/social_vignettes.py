"""Blind social vignettes (tests/social_vignettes, issue 16) run through the social protocol.

Each vignette names the client's age, the caller, the need domains, the counsellor's worry,
and the expected urgency, segment, duties and referrals. The social protocol is answered from
the story: `findings` lists the questions a blind tagger, who saw only the story and the
question list (`ohjaus check data --questions`), marked as answered yes; every other question
is no. A vignette without findings is answered from its structured fields by a fixed rule
(never from the expected results):

- each need domain answers yes to its protocol question (DOMAIN_ANSWERS);
- aged 75 or over: the statutory-group question yes; worry "none": information only.

The worry is always the vignette's worry.

It scores urgency and segment (exact), duties (every expected duty found; a missed duty
fails the run) and the referral step's first choice (the first service the catalogue lists
for the domains found and the age, counted right when it is one of the expected
destinations, REFERRAL_CODES). The answers rule is coarse: the figures measure the protocol
and the catalogue together with this rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..i18n import _
from .catalogue import Service, by_need, services_for
from .codes import STATUTORY_AGE, Register, Urgency, WorryLevel
from .datafile import Fields, Source, load_toml
from .errors import DomainError
from .protocols.evaluation import evaluate
from .protocols.model import Protocol
from .segmentation import segment_by_answers, triggers_from_domains

SOCIAL_PROTOCOL = "social_service_need"
DOMAIN_ANSWERS = {
    "housing": ("housing_lost",),
    "livelihood": ("debts_or_benefit_problems",),
    "substance_use": ("substance_use_harms",),
    "older_coping": ("older_person_not_coping",),
    "mental_wellbeing": ("mental_wellbeing_strained",),
    "family_children": ("family_needs_support",),
    "violence_safety": ("violence_or_threat_at_home",),
    "work_education": ("work_or_study_lost",),
    "disability": ("needs_help_daily_living",),
}
DUTIES = {
    "child_welfare_notification": "child_welfare_notification",
    "older_person_notification": "older_person_notification",
    "safety_response": "immediate_safety_response",
}
SEGMENTS = {"advice": "advice", "clear": "clear_need", "complex": "complex_need"}
# The vignettes' destination words and the catalogue codes that are that destination.
REFERRAL_CODES = {
    "housing_counselling": {"housing_counselling"},
    "kela": {"kela"},
    "debt_counselling": {"debt_counselling"},
    "adult_social_work": {"adult_social_work", "social_guidance"},
    "substance_services": {"mental_substance_services", "substance_ngo", "peluuri"},
    "older_people_services": {"older_people_guidance", "older_person_notification", "home_care"},
    "health_care": {"doctor_appointment", "nurse_appointment", "urgent_care", "child_health_clinic"},
    "child_welfare": {"child_welfare_intake", "family_social_work", "family_services"},
    "youth_services": {"youth_services"},
    "mental_health_services": {"mental_substance_services", "crisis_centre"},
    "ngo_support": {"parish_diaconia", "substance_ngo", "crisis_centre", "peluuri"},
    "employment_services": {"employment_services"},
    "police": {"police"},
    "shelter": {"shelter"},
    "emergency_social_services": {"social_emergency"},
    "disability_services": {"disability_services"},
    "carer_support": {"carer_support"},
}


@dataclass(frozen=True)
class SocialVignette:
    id: str
    age: int
    caller: str
    domains: tuple[str, ...]
    worry: WorryLevel
    urgency: Urgency
    segment: str
    duties: tuple[str, ...]
    referrals: tuple[str, ...]
    findings: tuple[str, ...] | None = None  # the questions the story answers yes (tagged blind)


@dataclass(frozen=True)
class SocialOutcome:
    vignette: SocialVignette
    urgency: Urgency
    segment: str
    duties: tuple[str, ...]
    first_service: str | None

    @property
    def urgency_right(self) -> bool:
        """The urgency suggested is the one expected. The vignettes' `non_urgent` is "the
        ordinary assessment ... or just advice" (the writers' field list): advice and guidance
        (self_care, a client who wants information only and manages once informed) is right
        there, and only there."""
        return self.urgency is self.vignette.urgency or self.urgency_word == self.vignette.urgency.value

    @property
    def urgency_word(self) -> str:
        """The suggestion in the writers' words: advice and guidance (self_care) is their
        `non_urgent` where they expected the advice path ("... or just advice"); where they
        expected a clear or complex need, their `non_urgent` is the assessment, which advice
        alone is not (scripts/reader_agreement.py compares the readers' words with it)."""
        return in_writers_words(self.urgency, self.vignette.segment)

    @property
    def segment_right(self) -> bool:
        return self.segment == SEGMENTS[self.vignette.segment]

    @property
    def missed_duties(self) -> tuple[str, ...]:
        return tuple(d for d in self.vignette.duties if DUTIES[d] not in self.duties)

    @property
    def referral_right(self) -> bool:
        wanted = set().union(*(REFERRAL_CODES.get(r, {r}) for r in self.vignette.referrals)) if self.vignette.referrals else set()
        return self.first_service in wanted


def in_writers_words(urgency: Urgency, segment: str) -> str:
    """A suggested urgency in the words of one who expected `segment` (advice / clear /
    complex): advice and guidance (self_care) is `non_urgent` on the advice path only."""
    if urgency is Urgency.SELF_CARE and segment == "advice":
        return Urgency.NON_URGENT.value
    return urgency.value


def is_social_file(path: Path) -> bool:
    data = load_toml(path)
    return any("expected_segment" in v for v in data.get("vignette", []))


def load_social_vignettes(path: Path) -> list[SocialVignette]:
    top = Fields(Source(path), load_toml(path))
    top.only("vignette")
    found = []
    for fields in top.tables("vignette"):
        fields.only("id", "story", "age", "caller", "domains", "worry", "expected_urgency",
                    "expected_segment", "duties", "referrals", "source", "findings")
        findings = tuple(fields.strings("findings", (), non_empty=False)) if fields.has("findings") else None
        found.append(SocialVignette(
            fields.identifier("id"), fields.integer("age", minimum=0), fields.string("caller"),
            fields.strings("domains"), fields.choice("worry", WorryLevel),
            fields.choice("expected_urgency", Urgency), fields.string("expected_segment"),
            fields.strings("duties", (), non_empty=False), fields.strings("referrals", (), non_empty=False),
            findings,
        ))
    return found


def with_reference(vignettes: list[SocialVignette], paths: list[Path]) -> tuple[list[SocialVignette], int]:
    """The vignettes measured against reference labels instead of their writers' (issue 16):
    label files (tests/social_readers/*_consensus.toml: the writer's and the blind readers'
    answer where they agree, a blind adjudicator's where they differ) give a case's expected
    urgency and segment; duties and referrals stay the writer's. Returns the vignettes and how
    many of them a label covered; a label naming no vignette of the set is left out."""
    labels: dict[str, tuple[Urgency, str]] = {}
    for path in paths:
        top = Fields(Source(path), load_toml(path))
        top.only("label")
        for fields in top.tables("label"):
            fields.only("id", "expected_urgency", "expected_segment", "duties", "referrals", "note")
            case, segment = fields.identifier("id"), fields.string("expected_segment")
            if segment not in SEGMENTS:
                raise DomainError(_("{path}: {case}: expected_segment {word} is none of {words}").format(
                    path=path, case=case, word=repr(segment), words=", ".join(SEGMENTS)))
            if case in labels:
                raise DomainError(_("{path}: {case} is labelled twice in the reference labels").format(path=path, case=case))
            labels[case] = (fields.choice("expected_urgency", Urgency), segment)
    covered = sum(v.id in labels for v in vignettes)
    if not covered:
        raise DomainError(_("The reference labels name none of the vignettes' cases."))
    measured = [
        replace(v, urgency=labels[v.id][0], segment=labels[v.id][1]) if v.id in labels else v for v in vignettes
    ]
    return measured, covered


def run_social(vignettes: list[SocialVignette], protocol: Protocol, catalogue: list[Service]) -> list[SocialOutcome]:
    outcomes = []
    social = services_for(catalogue, Register.SOCIAL)
    known = {q.id for q in protocol.questions}
    for vignette in vignettes:
        if vignette.findings is not None:
            unknown = set(vignette.findings) - known
            if unknown:
                raise DomainError(f"{vignette.id}: findings not in {protocol.id}: {', '.join(sorted(unknown))}")
            yes = set(vignette.findings)
        else:
            yes = {q for d in vignette.domains for q in DOMAIN_ANSWERS.get(d, ())}
            if vignette.age >= STATUTORY_AGE:
                yes.add("statutory_group")
            if vignette.worry is WorryLevel.NONE:
                yes.add("information_only")
        answers = {q.id: q.id in yes for q in protocol.questions}
        result = evaluate(protocol, answers, vignette.worry, vignette.age)
        urgency = result.suggested
        suspected = triggers_from_domains(result.domains, vignette.age)
        segment, _reasons = segment_by_answers(
            protocol, answers, urgency, suspected, vignette.worry, result.domains, vignette.age,
            from_answers=frozenset(suspected),
        )
        ranked = by_need(
            social, result.domains, vignette.age, yes, urgent=urgency.rank <= Urgency.SAME_DAY.rank,
            anonymous=vignette.caller == "anonymous",
        )
        outcomes.append(SocialOutcome(
            vignette, urgency, segment.value, tuple(result.duties), ranked[0].code if ranked else None,
        ))
    return outcomes


def social_report(outcomes: list[SocialOutcome], list_misses: bool = True) -> str:
    n = len(outcomes)

    def share(count: int) -> str:
        return f"{count}/{n} ({100 * count / n:.0f}%)" if n else "0/0"

    duties_expected = sum(len(o.vignette.duties) for o in outcomes)
    duties_missed = sum(len(o.missed_duties) for o in outcomes)
    with_referrals = [o for o in outcomes if o.vignette.referrals]
    lines = [
        f"social vignettes: {n}",
        f"urgency right: {share(sum(o.urgency_right for o in outcomes))}",
        f"segment right: {share(sum(o.segment_right for o in outcomes))}",
        f"duties found: {duties_expected - duties_missed}/{duties_expected}",
        f"referral first choice fitting: {sum(o.referral_right for o in with_referrals)}/{len(with_referrals)}",
    ]
    if list_misses:
        for o in outcomes:
            wrong = []
            if not o.urgency_right:
                wrong.append(f"urgency {o.urgency.value} (expected {o.vignette.urgency.value})")
            if not o.segment_right:
                wrong.append(f"segment {o.segment} (expected {SEGMENTS[o.vignette.segment]})")
            if o.missed_duties:
                wrong.append(f"missed duty {', '.join(o.missed_duties)}")
            if o.vignette.referrals and not o.referral_right:
                wrong.append(f"first referral {o.first_service}")
            if wrong:
                lines.append(f"  {o.vignette.id}: {'; '.join(wrong)}")
    return "\n".join(lines)
