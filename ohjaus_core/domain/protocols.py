"""Initial-assessment protocols (ensiarvio): yes/no questions, red flags and urgency.

A protocol is a data file under `data/protocols/`, one file a protocol, read strictly: a region
may edit them, and a broken file must name itself and its line instead of silently changing
what a nurse is asked. The shared life-threat questions (`_life_threats.toml`) come first in
every health protocol, as in the national call-handling practice, unless a protocol sets
`life_threats = false`; the nurse's own concern (`_nurse_concern.toml`) comes after the
protocol's own questions wherever the life threats are asked. Files whose name starts with `_`
are shared, never protocols.

Format 2 (docs/triage-format.md) makes triage safe by construction: a health protocol never
suggests self-care by default, only through affirmed `self_care_if` criteria; a follow-up
question (`show_if`) is asked only when an earlier answer makes it matter; a question id is a
global finding with the same text in every protocol.

The strict reader (`Source`, `Fields`) lives in `datafile.py`, shared with the catalogue and
the demo region.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..i18n import _, localized
from .codes import Register, ServiceArea, Urgency, WorryLevel
from .datafile import Fields, Source, load_toml
from .errors import DataFileError

LIFE_THREATS_FILE = "_life_threats.toml"
NURSE_CONCERN_FILE = "_nurse_concern.toml"
NURSE_CONCERN = "nurse_concern"  # the id of the nurse's own concern, stored as an answer
DRAFT, APPROVED = "draft", "approved"
SHARED = "*"  # in `findings`: a shared question, asked in every protocol with the life threats
WORRY = "worry"  # in `unanswered`: the worker's level of worry is not chosen yet


# --- protocols --------------------------------------------------------------------------------


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


def _read_question(
    fields: Fields,
    default_urgency: Urgency | None,
    life_threat: bool,
    nurse_concern: bool = False,
    has_self_care: bool = False,
) -> Question:
    """One `[[questions]]` table. `has_self_care`: the protocol lists `self_care_if`, so an
    `if_yes` equal to its default is allowed: that yes only prevents self-care."""
    fields.only(
        "id", "text", "red_flag", "if_yes", "domain", "duties", "statutory_group", "show_if",
        "information_only", "ages",
    )
    question_id = fields.identifier("id")
    show_if = fields.identifier("show_if") if fields.has("show_if") else None
    if show_if is not None and (life_threat or nurse_concern):
        raise fields.error(
            _("question '{id}': a shared question cannot have show_if").format(id=question_id),
            "show_if",
        )
    texts = fields.texts("text")
    red_flag = fields.boolean("red_flag", False)
    if_yes = fields.choice("if_yes", Urgency, None)
    domain = fields.identifier("domain") if fields.has("domain") else None
    duties = tuple(fields.strings("duties", ())) if fields.has("duties") else ()
    statutory_group = fields.boolean("statutory_group", False)
    information_only = fields.boolean("information_only", False)
    if information_only and (red_flag or if_yes is not None):
        raise fields.error(
            _("question '{id}': an information-only question raises no urgency").format(id=question_id),
            "information_only",
        )
    if red_flag and if_yes is not None:
        raise fields.error(
            _("question '{id}' is contradictory: red_flag and if_yes together").format(
                id=question_id
            ),
            "if_yes",
        )
    if if_yes is Urgency.EMERGENCY:
        raise fields.error(
            _("question '{id}': use red_flag = true for an emergency").format(id=question_id),
            "if_yes",
        )
    if (
        if_yes is not None
        and default_urgency is not None
        and (
            if_yes.rank > default_urgency.rank
            or (if_yes is default_urgency and not has_self_care)
        )
    ):
        raise fields.error(
            _("question '{id}': if_yes '{urgency}' does not raise the default urgency '{default}'")
            .format(id=question_id, urgency=if_yes.value, default=default_urgency.value),
            "if_yes",
        )
    if life_threat and not red_flag:
        raise fields.error(
            _("life-threat question '{id}' must be a red flag").format(id=question_id), "red_flag"
        )
    if nurse_concern and (question_id != NURSE_CONCERN or (not red_flag and if_yes is None)):
        raise fields.error(
            _("{file} holds one question, '{id}', with red_flag or if_yes").format(
                file=NURSE_CONCERN_FILE, id=NURSE_CONCERN
            ),
            "id",
        )
    if show_if == question_id:
        raise fields.error(
            _("question '{id}': show_if names the question itself").format(id=question_id),
            "show_if",
        )
    ages = _read_ages(fields)
    if ages is not None and (life_threat or nurse_concern):
        raise fields.error(
            _("question '{id}': a shared question is asked at every age").format(id=question_id),
            "ages",
        )
    return Question(
        question_id, texts, red_flag, if_yes, life_threat, domain, duties, statutory_group,
        show_if, nurse_concern, information_only, ages,
    )


def _read_questions(
    top: Fields,
    default_urgency: Urgency | None,
    life_threat: bool,
    preamble: tuple[Question, ...],
    shared: tuple[Question, ...] = (),
    nurse_concern: bool = False,
    has_self_care: bool = False,
) -> list[Question]:
    """The `[[questions]]` of a file. `preamble` is asked before them (show_if may name it);
    `shared` are other shared questions whose ids the file may not reuse; `has_self_care` as in
    `_read_question`."""
    questions: list[Question] = []
    taken = {question.id for question in preamble + shared}
    for fields in top.tables("questions"):
        question = _read_question(
            fields, default_urgency, life_threat, nurse_concern, has_self_care
        )
        if question.id in taken:
            raise fields.error(
                _("duplicate question id '{id}': a shared question has it").format(
                    id=question.id
                ),
                "id",
            )
        if any(question.id == earlier.id for earlier in questions):
            raise fields.error(_("duplicate question id '{id}'").format(id=question.id), "id")
        if question.show_if is not None and not any(
            question.show_if == earlier.id for earlier in (*preamble, *questions)
        ):
            raise fields.error(
                _("question '{id}': show_if '{other}' must name an earlier question").format(
                    id=question.id, other=question.show_if
                ),
                "show_if",
            )
        questions.append(question)
    return questions


def load_life_threats(path: Path) -> tuple[Question, ...]:
    """The shared life-threat questions, all red flags."""
    top = Fields(Source(path), load_toml(path))
    top.only("questions")
    return tuple(_read_questions(top, None, True, ()))


def load_nurse_concern(path: Path) -> Question:
    """The shared question of the nurse's own concern: one question, `nurse_concern`, with
    red_flag (the shipped choice: a worried nurse sends to emergency care) or if_yes."""
    top = Fields(Source(path), load_toml(path))
    top.only("questions")
    questions = _read_questions(top, None, False, (), nurse_concern=True)
    if len(questions) != 1:
        raise top.error(
            _("{file} holds exactly one question").format(file=NURSE_CONCERN_FILE), "questions"
        )
    return questions[0]


def load_protocol(
    path: Path,
    life_threats: tuple[Question, ...] | None,
    nurse_concern: Question | None = None,
) -> Protocol:
    """Read one protocol file; any problem names this file and its line.

    `life_threats` are the shared questions put first; None when the shared file is missing,
    which is an error for a protocol that wants them. `nurse_concern` is asked after the
    protocol's own questions wherever the life threats are (a health protocol must have it).
    """
    top = Fields(Source(path), load_toml(path))
    top.only(
        "id", "version", "register", "service_areas", "order", "title",
        "default_urgency", "life_threats", "questions", "domains", "duties", "worry_urgency",
        "keywords", "choose_when", "self_care_if", "self_care_if_any", "safety_net",
        "governance", "ages", "professions",
    )
    protocol_id = top.identifier("id")
    if protocol_id != path.stem:
        raise top.error(
            _("id '{id}' must equal the file name '{stem}'").format(id=protocol_id, stem=path.stem),
            "id",
        )
    version = top.integer("version", minimum=1)
    register = top.choice("register", Register)
    service_areas = top.choices("service_areas", ServiceArea)
    for area in service_areas:
        if area.register is not register:
            raise top.error(
                _("service area '{area}' belongs to the {other} register, not {register}").format(
                    area=area.value, other=area.register.value, register=register.value
                ),
                "service_areas",
            )
    order = top.integer("order")
    titles = top.texts("title")
    default_urgency = top.choice("default_urgency", Urgency)
    if default_urgency is Urgency.EMERGENCY:
        raise top.error(_("default_urgency cannot be emergency"), "default_urgency")
    health = register is Register.HEALTH
    if health and default_urgency is Urgency.SELF_CARE:
        raise top.error(
            _("a health protocol's default_urgency cannot be self_care: self-care is reached "
              "only through self_care_if criteria"),
            "default_urgency",
        )
    wants_life_threats = top.boolean("life_threats", health)
    if wants_life_threats and life_threats is None:
        raise top.error(
            _("needs the shared life-threat questions, but {file} is missing").format(
                file=LIFE_THREATS_FILE
            ),
            "life_threats" if top.has("life_threats") else "register",
        )
    if wants_life_threats and health and nurse_concern is None:
        raise top.error(
            _("needs the shared question of the nurse's concern, but {file} is missing").format(
                file=NURSE_CONCERN_FILE
            ),
            "register",
        )
    preamble = life_threats if wants_life_threats and life_threats else ()
    after = (nurse_concern,) if wants_life_threats and nurse_concern is not None else ()
    has_self_care = top.has("self_care_if") or top.has("self_care_if_any")
    own = _read_questions(top, default_urgency, False, preamble, after, has_self_care=has_self_care)
    domains = _read_domains(top)
    duties = _read_duties(top)
    worry_urgency = _read_worry(top, default_urgency)
    _check_references(top, own, domains, duties)
    keywords = _read_keywords(top)
    choose_when = top.texts("choose_when") if top.has("choose_when") else {}
    if health or top.has("safety_net"):
        safety_net = top.texts("safety_net")
    else:
        safety_net = {}
    self_care_if = _read_self_care(top, own, "self_care_if")
    self_care_if_any = _read_self_care(top, own, "self_care_if_any")
    governance = _read_governance(top.subtable("governance"))
    ages = _read_ages(top)
    return Protocol(
        id=protocol_id,
        version=version,
        register=register,
        service_areas=service_areas,
        order=order,
        titles=titles,
        default_urgency=default_urgency,
        questions=tuple(preamble) + tuple(own) + after,
        domains=domains,
        duties=duties,
        worry_urgency=worry_urgency,
        keywords=keywords,
        choose_when=choose_when,
        safety_net=safety_net,
        self_care_if=self_care_if,
        self_care_if_any=self_care_if_any,
        governance=governance,
        ages=ages,
        professions=tuple(top.strings("professions")) if top.has("professions") else (),
    )


MAX_AGE = 120


def _read_ages(top: Fields) -> tuple[int, int] | None:
    """`ages = [youngest, oldest]`: whole years, both included, 0 <= youngest <= oldest <= 120."""
    if not top.has("ages"):
        return None
    value = top.value("ages", list)
    if (
        len(value) != 2
        or not all(isinstance(year, int) and not isinstance(year, bool) for year in value)
        or not 0 <= value[0] <= value[1] <= MAX_AGE
    ):
        raise top.error(
            _("'ages' must be two whole years [youngest, oldest], from 0 to {most}").format(
                most=MAX_AGE
            ),
            "ages",
        )
    return (value[0], value[1])


def _read_keywords(top: Fields) -> dict[str, tuple[str, ...]]:
    """`keywords = { fi = [...], sv = [...], en = [...] }`: the words a nurse types to find it."""
    value = top.value("keywords", dict)
    keywords: dict[str, tuple[str, ...]] = {}
    for language, words in value.items():
        if language not in ("fi", "sv", "en"):
            raise top.error(
                _("'keywords' has an unknown language '{language}'").format(language=language),
                "keywords",
            )
        if not isinstance(words, list) or not all(
            isinstance(word, str) and len(word.strip()) >= 3 for word in words
        ):
            raise top.error(
                _("'keywords.{language}' must be a list of words of three letters or more").format(
                    language=language
                ),
                "keywords",
            )
        keywords[language] = tuple(word.strip().casefold() for word in words)
    if not keywords.get("fi"):
        raise top.error(_("'keywords' is missing the Finnish words (fi)"), "keywords")
    return keywords


def _read_self_care(top: Fields, own: list[Question], key: str) -> tuple[str, ...]:
    """`self_care_if` (all must be yes) or `self_care_if_any` (one must be yes): the protocol's
    own questions that support self-care; none may raise."""
    if not top.has(key):
        return ()
    criteria = top.strings(key)
    for criterion in criteria:
        position = next((i for i, q in enumerate(own) if q.id == criterion), None)
        if position is None:
            raise top.error(
                _("{key} names '{id}', which is not a question of this protocol").format(
                    key=key, id=criterion
                ),
                key,
            )
        question = own[position]
        if question.red_flag or question.if_yes is not None:
            key = "red_flag" if question.red_flag else "if_yes"
            raise DataFileError(
                top.path,
                top.source.line("questions", position, key),
                _("self-care criterion '{id}' cannot have red_flag or if_yes").format(
                    id=criterion
                ),
            )
    return criteria


def _date(fields: Fields, key: str, required: bool = False) -> dt.date | None:
    """A `YYYY-MM-DD` date (quoted or a TOML date); "" when not yet set, unless required."""
    if required:
        value: Any = fields.value(key, (str, dt.date))
    else:
        value = fields.value(key, (str, dt.date), "")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not value.strip():
        if required:
            raise fields.error(_("'{key}' is required").format(key=key), key)
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise fields.error(
            _("'{key}' must be a date YYYY-MM-DD").format(key=key), key
        ) from None


def _optional_text(fields: Fields, key: str) -> str:
    """A name that may still be empty ("" until someone reviews or approves)."""
    return str(fields.value(key, str, "")).strip()


def _read_governance(fields: Fields) -> Governance:
    """`[governance]`: sources, author, review and approval; approved needs both approval keys."""
    fields.only(
        "status", "sources", "author", "reviewed_by", "reviewed_on", "review_due",
        "approved_by", "approved_on",
    )
    status = fields.string("status")
    if status not in (DRAFT, APPROVED):
        raise fields.error(
            _("status '{status}' must be '{draft}' or '{approved}'").format(
                status=status, draft=DRAFT, approved=APPROVED
            ),
            "status",
        )
    governance = Governance(
        status=status,
        sources=fields.strings("sources"),
        author=fields.string("author"),
        reviewed_by=_optional_text(fields, "reviewed_by"),
        reviewed_on=_date(fields, "reviewed_on"),
        review_due=_date(fields, "review_due", required=True),
        approved_by=_optional_text(fields, "approved_by"),
        approved_on=_date(fields, "approved_on"),
    )
    if status == APPROVED and not (governance.approved_by.strip() and governance.approved_on):
        raise fields.error(
            _("an approved protocol needs approved_by and approved_on"), "status"
        )
    return governance


def _read_domains(top: Fields) -> tuple[Domain, ...]:
    domains: list[Domain] = []
    for fields in top.tables("domains", required=False):
        fields.only("id", "title")
        domain = Domain(fields.identifier("id"), fields.texts("title"))
        if any(domain.id == earlier.id for earlier in domains):
            raise fields.error(_("duplicate domain id '{id}'").format(id=domain.id), "id")
        domains.append(domain)
    return tuple(domains)


def _read_duties(top: Fields) -> tuple[Duty, ...]:
    duties: list[Duty] = []
    for fields in top.tables("duties", required=False):
        fields.only("id", "title", "basis", "receivers", "also_when", "min_age")
        receivers = tuple(fields.strings("receivers")) if fields.has("receivers") else ()
        also_when = fields.value("also_when", list) if fields.has("also_when") else []
        if not isinstance(also_when, list) or not all(
            isinstance(c, list) and c and all(isinstance(i, str) for i in c) for c in also_when
        ):
            raise fields.error(_("also_when is a list of lists of question ids"), "also_when")
        min_age = fields.integer("min_age", minimum=0) if fields.has("min_age") else None
        duty = Duty(
            fields.identifier("id"), fields.texts("title"), fields.texts("basis"), receivers,
            tuple(tuple(c) for c in also_when), min_age,
        )
        if any(duty.id == earlier.id for earlier in duties):
            raise fields.error(_("duplicate duty id '{id}'").format(id=duty.id), "id")
        duties.append(duty)
    return tuple(duties)


def _read_worry(top: Fields, default_urgency: Urgency) -> dict[WorryLevel, Urgency] | None:
    """`[worry_urgency]`: level = urgency; the table being there means the worry is asked."""
    if not top.has("worry_urgency"):
        return None
    fields = top.subtable("worry_urgency")
    fields.only(*(level.value for level in WorryLevel))
    mapping: dict[WorryLevel, Urgency] = {}
    for level in WorryLevel:
        if not fields.has(level.value):
            continue
        urgency = fields.choice(level.value, Urgency)
        if urgency is Urgency.EMERGENCY:
            raise fields.error(
                _("worry level '{level}': use a red-flag question for an emergency").format(
                    level=level.value
                ),
                level.value,
            )
        if urgency.rank >= default_urgency.rank:
            raise fields.error(
                _("worry level '{level}': '{urgency}' does not raise the default urgency "
                  "'{default}'").format(
                    level=level.value, urgency=urgency.value, default=default_urgency.value
                ),
                level.value,
            )
        mapping[level] = urgency
    # A level without a line suggests the default: it too may not fall below a smaller worry.
    ranks = [mapping.get(level, default_urgency).rank for level in WorryLevel]
    if ranks != sorted(ranks, reverse=True):
        raise fields.error(_("a greater worry must never suggest a less urgent answer"))
    return mapping


def _check_references(
    top: Fields, questions: list[Question], domains: tuple[Domain, ...], duties: tuple[Duty, ...]
) -> None:
    """Every domain and duty a question names exists; every duty can be triggered."""
    known_domains = {domain.id for domain in domains}
    known_duties = {duty.id for duty in duties}
    triggered: set[str] = set()
    for position, (question, fields) in enumerate(zip(questions, top.tables("questions"))):
        if question.domain is not None and question.domain not in known_domains:
            raise fields.error(
                _("question '{id}': unknown domain '{domain}'").format(
                    id=question.id, domain=question.domain
                ),
                "domain",
            )
        for duty in question.duties:
            if duty not in known_duties:
                raise fields.error(
                    _("question '{id}': unknown duty '{duty}'").format(id=question.id, duty=duty),
                    "duties",
                )
        triggered.update(question.duties)
    if sum(question.statutory_group for question in questions) > 1:
        raise top.error(_("only one question may set statutory_group"), "questions")
    known_questions = {question.id for question in questions}
    for fields, duty in zip(top.tables("duties", required=False), duties):
        for combination in duty.also_when:
            unknown = [q for q in combination if q not in known_questions]
            if unknown:
                raise fields.error(
                    _("duty '{id}': unknown question '{question}' in also_when").format(id=duty.id, question=unknown[0]),
                    "also_when",
                )
        if duty.id not in triggered:
            raise fields.error(
                _("duty '{id}' is never triggered: no question lists it").format(id=duty.id), "id"
            )


def load_protocols(directory: Path) -> list[Protocol]:
    """Every protocol in `directory`, sorted by `order` (then id); life threats put first.

    Files starting with `_` are shared questions, not protocols. A question id is a global
    finding: the same id in two protocols must have the same texts, else the later file is
    refused at that question's line, naming the other file.
    """
    shared = directory / LIFE_THREATS_FILE
    life_threats = load_life_threats(shared) if shared.exists() else None
    concern_path = directory / NURSE_CONCERN_FILE
    nurse_concern = load_nurse_concern(concern_path) if concern_path.exists() else None
    protocols: list[Protocol] = []
    seen: dict[str, Path] = {}
    findings: dict[str, tuple[dict[str, str], Path, tuple[int, int] | None]] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        protocol = load_protocol(path, life_threats, nurse_concern)
        _check_global_ids(protocol, path, findings)
        if protocol.id in seen:  # unreachable while ids equal file stems; kept as a guard
            raise DataFileError(
                path,
                Source(path).line(key="id"),
                _("duplicate protocol id '{id}' (also in {other})").format(
                    id=protocol.id, other=seen[protocol.id].name
                ),
            )
        seen[protocol.id] = path
        protocols.append(protocol)
    protocols.sort(key=lambda protocol: (protocol.order, protocol.id))
    return protocols


def _check_global_ids(
    protocol: Protocol, path: Path, findings: dict[str, tuple[dict[str, str], Path, tuple[int, int] | None]]
) -> None:
    """The same question id in two protocols is one finding: its texts must be the same."""
    own = [q for q in protocol.questions if not q.life_threat and not q.nurse_concern]
    for position, question in enumerate(own):
        earlier = findings.get(question.id)
        if earlier is None:
            findings[question.id] = (question.texts, path, question.ages)
        elif earlier[0] != question.texts or earlier[2] != question.ages:
            raise DataFileError(
                path,
                Source(path).line("questions", position, "text"),
                _("question '{id}' has other texts or ages in {other}: one id is one finding, "
                  "with the same text and ages everywhere").format(id=question.id, other=earlier[1].name),
            )


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


def evaluate(
    protocol: Protocol, answers: Mapping[str, bool | None], worry: WorryLevel | None = None,
    age: int | None = None,
) -> ProtocolResult:
    """Suggest an urgency from yes/no answers.

    Only the visible questions count (`visible_questions`): a hidden follow-up is neither asked
    nor unanswered, and a yes left on it is ignored. Any red flag answered yes -> EMERGENCY,
    with those questions as reasons. Otherwise the most urgent `if_yes` among the yes answers
    (the nurse's concern included), with every yes question giving that urgency as reasons.
    Otherwise, when every visible question is answered, every `self_care_if` criterion is
    yes and (when listed) at least one `self_care_if_any` criterion, SELF_CARE with the criteria as reasons. Otherwise the protocol's default, with no
    reasons and `by_default`. Answers to ids the protocol does not hold are ignored (an old
    record re-read against a newer version); a missing or None answer is unanswered.
    """
    visible = visible_questions(protocol, answers, age)
    yes = [q for q in visible if answers.get(q.id) is True]
    unanswered = tuple(q.id for q in visible if answers.get(q.id) is None)
    if protocol.asks_worry and worry is None:
        unanswered += (WORRY,)
    red_flags = tuple(q.id for q in yes if q.red_flag)
    by_worry = (protocol.worry_urgency or {}).get(worry) if worry is not None else None
    worry_reason = None
    self_care = False
    if red_flags:
        suggested, reasons = Urgency.EMERGENCY, red_flags
    else:
        # A client who wants information only (and nothing else the worker is worried about):
        # the answers' if_yes do not raise the urgency; danger now and the worry still do, and
        # the duties stay (issue 16: an information-only client gets advice, not an assessment).
        information_only = any(q.information_only for q in yes)
        raised = [q.if_yes for q in yes if q.if_yes is not None and not information_only]
        if by_worry is not None:
            raised.append(by_worry)
        suggested = Urgency.most_urgent(raised + [protocol.default_urgency], protocol.default_urgency)
        reasons = tuple(q.id for q in yes if q.if_yes is suggested)
        worry_reason = worry if by_worry is not None and by_worry is suggested else None
        affirmed = {q.id for q in visible if answers.get(q.id) is True}
        any_of = tuple(c for c in protocol.self_care_if_any if c in affirmed)
        if (
            not raised
            and not unanswered
            and (protocol.self_care_if or protocol.self_care_if_any)
            and all(criterion in affirmed for criterion in protocol.self_care_if)
            and (any_of or not protocol.self_care_if_any)
        ):
            suggested, reasons, self_care = (
                Urgency.SELF_CARE, protocol.self_care_if + any_of, True
            )
    duties = tuple(dict.fromkeys(duty for q in yes for duty in q.duties))  # visible yes only
    said = {q.id for q in yes}
    duties += tuple(
        duty.id for duty in protocol.duties
        if duty.id not in duties and (duty.min_age is None or age is None or age >= duty.min_age)
        and any(set(combination) <= said for combination in duty.also_when)
    )
    domains = tuple(d.id for d in protocol.domains if any(q.domain == d.id for q in yes))
    return ProtocolResult(
        suggested=suggested,
        reasons=reasons,
        red_flags=red_flags,
        complete=not unanswered,
        unanswered=unanswered,
        duties=duties,
        worry=worry_reason,
        domains=domains,
        statutory_group=any(q.statutory_group for q in yes),
        by_default=not red_flags and not reasons and worry_reason is None,
        self_care=self_care,
    )


# Words that join two facts in one question, for a reviewer to look at (one fact a question).
_JOINS = {
    "fi": re.compile(r"\b(ja|tai|sekä)\b", re.IGNORECASE),
    "sv": re.compile(r"\b(och|eller|med)\b", re.IGNORECASE),
    "en": re.compile(r"\b(and|or|with)\b", re.IGNORECASE),
}


def compound_questions(protocols: list[Protocol]) -> list[tuple[str, Question, str]]:
    """Questions whose text joins facts with and/or/with (ja/tai/sekä, och/eller/med):
    (first protocol asking it, question, language), each question once, in protocol order.
    A warning for a reviewer, not an error: "or" often lists the signs of one fact."""
    found: list[tuple[str, Question, str]] = []
    seen: set[str] = set()
    for protocol in protocols:
        for question in protocol.questions:
            if question.id in seen:
                continue
            seen.add(question.id)
            for language, pattern in _JOINS.items():
                text = question.texts.get(language)
                if text and pattern.search(text):
                    found.append((protocol.id, question, language))
                    break
    return found


def findings(protocols: list[Protocol]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every finding (question id), sorted: its English text and the protocols that ask it.
    Vignette writers tag a story's facts with these ids; no urgencies are shown. A shared
    question (life threat, nurse's concern) is asked by SHARED instead of a list."""
    texts: dict[str, str] = {}
    asked: dict[str, list[str]] = {}
    for protocol in protocols:
        for question in protocol.questions:
            texts.setdefault(question.id, question.texts.get("en") or question.texts["fi"])
            if question.life_threat or question.nurse_concern:
                asked[question.id] = [SHARED]
            else:
                asked.setdefault(question.id, []).append(protocol.id)
    return [(finding, texts[finding], tuple(asked[finding])) for finding in sorted(texts)]


def protocols_for(protocols: list[Protocol], service_area: ServiceArea) -> list[Protocol]:
    """The protocols offered for a service area, in picker order."""
    return [protocol for protocol in protocols if service_area in protocol.service_areas]
