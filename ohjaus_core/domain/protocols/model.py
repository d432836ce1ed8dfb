"""The protocol model: questions, need domains, duties, governance and the result of an
assessment; which questions are asked now, and which protocols a service area offers.

The package docstring (`protocols/__init__.py`) describes the format.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

from ...i18n import localized
from ..codes import CHILD_UNTIL, Register, ServiceArea, Urgency, WorryLevel

LIFE_THREATS_FILE = "_life_threats.toml"
NURSE_CONCERN_FILE = "_nurse_concern.toml"
NURSE_CONCERN = "nurse_concern"  # the id of the nurse's own concern, stored as an answer
DRAFT, APPROVED = "draft", "approved"


@dataclass(frozen=True)
class Question:
    """A yes/no question of a protocol.

    `red_flag`: a yes ends the assessment in an emergency redirect (112 / emergency department).
    `if_yes`: the urgency a yes raises the suggestion to. Never both.
    `life_threat`: one of the shared life-threat questions asked first.
    `domain`: the need domain a yes points to (social service-need assessment).
    `duties`: duties a yes triggers (e.g. a child-welfare notification).
    `statutory_group`: a yes puts the client in a group for which the law sets a deadline
    (Social Welfare Act 36 §: 75 or over, highest care allowance, child needing special support).
    """

    id: str
    texts: dict[str, str]
    red_flag: bool
    if_yes: Urgency | None
    life_threat: bool = False
    domain: str | None = None
    duties: tuple[str, ...] = ()
    statutory_group: bool = False
    # Asked only when this earlier question (of the protocol, or a life threat) is answered yes.
    show_if: str | None = None
    nurse_concern: bool = False  # the shared question of the nurse's own concern
    # A yes: the client wants information or advice only (issue 16): advice and guidance
    # (segment A) is suggested, not a booking.
    information_only: bool = False
    # The ages in whole years the question is for, both ends included ("does the baby have
    # pauses in breathing?": 0..1); None when it is for every age. A client of another age is
    # not asked it; with the age unknown it is asked.
    ages: tuple[int, int] | None = None

    @property
    def text(self) -> str:
        return localized(self.texts)

    def asked_at(self, age: int | None) -> bool:
        """True when the question is for a client of this age (or the age is not known)."""
        return age is None or self.ages is None or self.ages[0] <= age <= self.ages[1]


@dataclass(frozen=True)
class Governance:
    """Who wrote a protocol, from which sources, who reviewed and approved it, when it is due."""

    status: str = DRAFT
    sources: tuple[str, ...] = ()
    author: str = ""
    reviewed_by: str = ""
    reviewed_on: dt.date | None = None
    review_due: dt.date | None = None
    approved_by: str = ""
    approved_on: dt.date | None = None

    @property
    def approved(self) -> bool:
        return self.status == APPROVED

    def past_review(self, today: dt.date) -> bool:
        return self.review_due is not None and self.review_due < today


@dataclass(frozen=True)
class Domain:
    """A need domain of the social service-need assessment (housing, livelihood, ...)."""

    id: str
    titles: dict[str, str]

    @property
    def title(self) -> str:
        return localized(self.titles)


@dataclass(frozen=True)
class Duty:
    """A duty that follows from an answer: a notification or an immediate safety response."""

    id: str
    titles: dict[str, str]
    bases: dict[str, str]
    # The catalogue's services that receive it (the receiving authority offered first).
    receivers: tuple[str, ...] = ()
    # Combinations of answers that raise it too, each all yes (an older person of the
    # statutory group facing violence: VPL 25 §), for clients of `min_age` or over (or of an
    # unknown age: a neighbour calling about someone).
    also_when: tuple[tuple[str, ...], ...] = ()
    min_age: int | None = None

    @property
    def title(self) -> str:
        return localized(self.titles)

    @property
    def basis(self) -> str:
        return localized(self.bases)


@dataclass(frozen=True)
class UrgencyWhen:
    """A combination of answers that raises the urgency the way one question's `if_yes` does:
    every question of `all` answered yes, none of `none`, a client of `max_age` or younger
    (when set; an unknown age does not count) and the worker's worry at least `min_worry` (when
    set). For what no single question tells: a home lost with no debts behind it is a home lost
    today (thrown out, a break-up), not an eviction with a date. `duties` are brought by the
    combination as by a question answered yes (a disabled client left without the help they
    depend on today, with a great worry: SHL 12 § urgent help), for an information-only client
    too."""

    all: tuple[str, ...]
    urgency: Urgency
    none: tuple[str, ...] = ()
    max_age: int | None = None
    min_worry: WorryLevel | None = None
    duties: tuple[str, ...] = ()

    def applies(self, said: set[str], age: int | None, worry: WorryLevel | None) -> bool:
        return _combination_applies(self, said, age, worry)


def _combination_applies(
    when: UrgencyWhen | ComplexWhen, said: set[str], age: int | None, worry: WorryLevel | None,
) -> bool:
    levels = list(WorryLevel)
    return (
        set(when.all) <= said and not said & set(when.none)
        and (when.max_age is None or (age is not None and age <= when.max_age))
        and (when.min_worry is None or (worry is not None and levels.index(worry) >= levels.index(when.min_worry)))
    )


@dataclass(frozen=True)
class ComplexWhen:
    """A combination of answers that suggests a complex need (segment C: a named worker and a
    plan), with the same conditions as `UrgencyWhen`: a difficulty that has gone on long, or
    that earlier services have not met, with the worker's worry in the grey zone (SHL 3 § 3,
    42 §: a client needing special support; THL's zones of worry).

    `unless_only_domains`: the combination does not apply where the need domains the answers
    found are these alone (a long-lasting unemployment with nothing else found is the
    employment and youth services' own path, not a complex need)."""

    all: tuple[str, ...]
    none: tuple[str, ...] = ()
    max_age: int | None = None
    min_worry: WorryLevel | None = None
    unless_only_domains: tuple[str, ...] = ()

    def applies(self, said: set[str], age: int | None, worry: WorryLevel | None, domains: frozenset[str] = frozenset()) -> bool:
        # Not for a child: the employment and youth services' path of an adult (a child long out
        # of school is the child's own assessment, SHL 36 §, LsL 26 §).
        adult = age is None or age >= CHILD_UNTIL
        if adult and self.unless_only_domains and domains and domains <= set(self.unless_only_domains):
            return False
        return _combination_applies(self, said, age, worry)


@dataclass(frozen=True)
class Protocol:
    """An initial-assessment protocol (ensiarvion kysymyssarja)."""

    id: str
    version: int
    register: Register
    service_areas: tuple[ServiceArea, ...]
    order: int
    titles: dict[str, str]
    default_urgency: Urgency
    questions: tuple[Question, ...]
    domains: tuple[Domain, ...] = ()
    duties: tuple[Duty, ...] = ()
    # The worker's level of worry and the urgency each level raises the suggestion to; None
    # when the protocol does not ask it. A level missing from the map raises nothing.
    worry_urgency: Mapping[WorryLevel, Urgency] | None = None
    # Combinations of answers that raise the urgency together (`[[urgency_when]]`).
    urgency_when: tuple[UrgencyWhen, ...] = ()
    # Combinations of answers that suggest a complex need (`[[complex_when]]`).
    complex_when: tuple[ComplexWhen, ...] = ()
    # Combinations of answers whose need is assessed even for a client who asks for information
    # only (`[[assessed_when]]`: a clear need at least, not advice only).
    assessed_when: tuple[ComplexWhen, ...] = ()
    # Combinations of answers for which the statutory group in the grey zone of worry does not
    # by itself make the need complex (`[[statutory_clear_when]]`: an older carer whose own
    # coping is strained is a clear need met by carer's support and the group's assessment).
    statutory_clear_when: tuple[ComplexWhen, ...] = ()
    # Combinations of answers for which the worker's grey-zone worry does not raise the urgency
    # (`[[steady_when]]`: a difficulty that has gone on long with nothing in it that cannot
    # wait is assessed in the ordinary time, however worried the worker is about the whole).
    steady_when: tuple[ComplexWhen, ...] = ()
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    choose_when: Mapping[str, str] = field(default_factory=dict)
    safety_net: Mapping[str, str] = field(default_factory=dict)
    self_care_if: tuple[str, ...] = ()
    # At least one of these must be yes too (when any are listed): alternative facts that each
    # support self-care ("so mild that the usual day goes on", "recovered fully", ...).
    self_care_if_any: tuple[str, ...] = ()
    governance: Governance = field(default_factory=Governance)
    # The ages in whole years the protocol is for, both ends included (fever_child: 0..15);
    # None when it is for every age.
    ages: tuple[int, int] | None = None
    # The professions whose slots fit the protocol's need (slot picker); () for any.
    professions: tuple[str, ...] = ()
    # The shared life threats the complaint itself is about (chest pain: the pressing chest
    # pain): `0` ("none of these") does not answer them; the worker asks each one by one.
    asked_alone: tuple[str, ...] = ()

    def fits_age(self, age: int | None) -> bool:
        """True when the protocol is for a client of this age (or the age is not known)."""
        if age is None or self.ages is None:
            return True
        return self.ages[0] <= age <= self.ages[1]

    @property
    def title(self) -> str:
        return localized(self.titles)

    @property
    def choose_hint(self) -> str:
        """When two protocols fit one word: the line that helps choose this one ("" if none)."""
        return localized(dict(self.choose_when)) if self.choose_when else ""

    @property
    def safety_net_text(self) -> str:
        """The "call back, or 112 if ..." advice to read out ("" when the protocol has none)."""
        return localized(dict(self.safety_net)) if self.safety_net else ""

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    @property
    def asks_worry(self) -> bool:
        return self.worry_urgency is not None

    def wants_information_only(self, answers: Mapping[str, bool | None]) -> bool:
        """A yes to the question "does the client want information or advice only?"."""
        return any(
            q.information_only and answers.get(q.id) is True
            for q in visible_questions(self, answers)
        )

    def in_statutory_group(self, answers: Mapping[str, bool | None]) -> bool:
        """A yes to the statutory-group question (Social Welfare Act 36 § deadlines)."""
        return any(
            q.statutory_group and answers.get(q.id) is True
            for q in visible_questions(self, answers)
        )

    def complex_need(
        self, answers: Mapping[str, bool | None], worry: WorryLevel | None, age: int | None = None,
    ) -> tuple[str, ...]:
        """The questions of the `[[complex_when]]` combinations the answers meet (the reasons
        for suggesting a complex need); () when none does."""
        said = {q.id for q in visible_questions(self, answers, age) if answers.get(q.id) is True}
        found = frozenset(q.domain for q in self.questions if q.id in said and q.domain)
        met = [when for when in self.complex_when if when.applies(said, age, worry, found)]
        return tuple(dict.fromkeys(q for when in met for q in when.all))

    def assessed_need(
        self, answers: Mapping[str, bool | None], worry: WorryLevel | None, age: int | None = None,
    ) -> tuple[str, ...]:
        """The questions of the `[[assessed_when]]` combinations the answers meet: a need that
        is assessed whatever the client asks (a disabled client who needs help with daily tasks
        and asks how to apply for disability services); () when none does."""
        said = {q.id for q in visible_questions(self, answers, age) if answers.get(q.id) is True}
        met = [when for when in self.assessed_when if when.applies(said, age, worry)]
        return tuple(dict.fromkeys(q for when in met for q in when.all))

    def statutory_clear(
        self, answers: Mapping[str, bool | None], worry: WorryLevel | None, age: int | None = None,
    ) -> tuple[str, ...]:
        """The questions of the `[[statutory_clear_when]]` combinations the answers meet: the
        statutory group in the grey zone is not by that alone a complex need; () when none does."""
        if age is not None and age < CHILD_UNTIL:
            # A child of the group (one needing special support) who cares for a close person
            # is a young carer, not the older carer these combinations are for: the group's
            # grey zone stays complex (review of 6.12.2026).
            return ()
        said = {q.id for q in visible_questions(self, answers, age) if answers.get(q.id) is True}
        met = [when for when in self.statutory_clear_when if when.applies(said, age, worry)]
        return tuple(dict.fromkeys(q for when in met for q in when.all))

    def duty(self, duty_id: str) -> Duty | None:
        return next((duty for duty in self.duties if duty.id == duty_id), None)

    def domain(self, domain_id: str) -> Domain | None:
        return next((domain for domain in self.domains if domain.id == domain_id), None)


@dataclass(frozen=True)
class ProtocolResult:
    """What the answers suggest; the worker decides, and may override with a reason."""

    suggested: Urgency
    reasons: tuple[str, ...]
    red_flags: tuple[str, ...]
    complete: bool
    unanswered: tuple[str, ...]
    duties: tuple[str, ...] = ()
    # The level of worry when it set the suggestion (alone or with answers).
    worry: WorryLevel | None = None
    domains: tuple[str, ...] = ()  # need domains with a yes, in the protocol's order
    statutory_group: bool = False
    # No answer raised (or, through the self-care criteria, lowered) the suggestion: it is the
    # protocol's default, a professional's assessment within the care guarantee.
    by_default: bool = False
    self_care: bool = False  # the affirmed self-care criteria set the suggestion
    # Why the worker's worry did not raise the suggestion though its level would have:
    # "information_only" (an adult who asks for information only, SHL 36 §) or "steady" (a
    # `[[steady_when]]` combination: a long difficulty with nothing that cannot wait); None
    # when the worry raised it or its level raises nothing.
    worry_held: str | None = None


def visible_questions(
    protocol: Protocol, answers: Mapping[str, bool | None], age: int | None = None
) -> list[Question]:
    """The questions to ask now, in order: a question for other ages than the client's is not
    asked (`Question.ages`; every question when the age is not known), and a `show_if` question
    only when the question it names is itself asked and answered yes."""
    visible: list[Question] = []
    shown: set[str] = set()
    for question in protocol.questions:
        if not question.asked_at(age):
            continue
        if question.show_if is None or (
            question.show_if in shown and answers.get(question.show_if) is True
        ):
            visible.append(question)
            shown.add(question.id)
    return visible


def protocols_for(protocols: list[Protocol], service_area: ServiceArea) -> list[Protocol]:
    """The protocols offered for a service area, in picker order."""
    return [protocol for protocol in protocols if service_area in protocol.service_areas]
