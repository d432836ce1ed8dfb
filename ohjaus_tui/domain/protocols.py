"""Initial-assessment protocols (ensiarvio): yes/no questions, red flags and urgency.

A protocol is a data file under `data/protocols/`, one file a protocol, read strictly: a region
may edit them, and a broken file must name itself and its line instead of silently changing
what a nurse is asked. The shared life-threat questions (`_life_threats.toml`: consciousness,
breathing, choking, seizure) come first in every health protocol, as in the national
call-handling practice, unless a protocol sets `life_threats = false`.

The strict reader (`Source`, `Fields`) lives in `datafile.py`, shared with the catalogue and
the demo region.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..i18n import _, localized
from .codes import Register, ServiceArea, Urgency, WorryLevel
from .datafile import Fields, Source, load_toml
from .errors import DataFileError

LIFE_THREATS_FILE = "_life_threats.toml"
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

    @property
    def text(self) -> str:
        return localized(self.texts)


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
    # The professions whose slots fit the protocol's need (slot picker); () for any.
    professions: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return localized(self.titles)

    @property
    def asks_worry(self) -> bool:
        return self.worry_urgency is not None

    def in_statutory_group(self, answers: Mapping[str, bool | None]) -> bool:
        """A yes to the statutory-group question (Social Welfare Act 36 § deadlines)."""
        return any(q.statutory_group and answers.get(q.id) is True for q in self.questions)

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


def _read_question(fields: Fields, default_urgency: Urgency | None, life_threat: bool) -> Question:
    fields.only("id", "text", "red_flag", "if_yes", "domain", "duties", "statutory_group")
    question_id = fields.identifier("id")
    texts = fields.texts("text")
    red_flag = fields.boolean("red_flag", False)
    if_yes = fields.choice("if_yes", Urgency, None)
    domain = fields.identifier("domain") if fields.has("domain") else None
    duties = tuple(fields.strings("duties", ())) if fields.has("duties") else ()
    statutory_group = fields.boolean("statutory_group", False)
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
    if if_yes is not None and default_urgency is not None and if_yes.rank >= default_urgency.rank:
        raise fields.error(
            _("question '{id}': if_yes '{urgency}' does not raise the default urgency '{default}'")
            .format(id=question_id, urgency=if_yes.value, default=default_urgency.value),
            "if_yes",
        )
    if life_threat and not red_flag:
        raise fields.error(
            _("life-threat question '{id}' must be a red flag").format(id=question_id), "red_flag"
        )
    return Question(
        question_id, texts, red_flag, if_yes, life_threat, domain, duties, statutory_group
    )


def _read_questions(
    top: Fields, default_urgency: Urgency | None, life_threat: bool, preamble: tuple[Question, ...]
) -> list[Question]:
    questions: list[Question] = []
    shared = {question.id for question in preamble}
    for fields in top.tables("questions"):
        question = _read_question(fields, default_urgency, life_threat)
        if question.id in shared:
            raise fields.error(
                _("duplicate question id '{id}': a life-threat question has it").format(
                    id=question.id
                ),
                "id",
            )
        if any(question.id == earlier.id for earlier in questions):
            raise fields.error(_("duplicate question id '{id}'").format(id=question.id), "id")
        questions.append(question)
    return questions


def load_life_threats(path: Path) -> tuple[Question, ...]:
    """The shared life-threat questions, all red flags."""
    top = Fields(Source(path), load_toml(path))
    top.only("questions")
    return tuple(_read_questions(top, None, True, ()))


def load_protocol(path: Path, life_threats: tuple[Question, ...] | None) -> Protocol:
    """Read one protocol file; any problem names this file and its line.

    `life_threats` are the shared questions put first; None when the shared file is missing,
    which is an error for a protocol that wants them.
    """
    top = Fields(Source(path), load_toml(path))
    top.only(
        "id", "version", "register", "service_areas", "order", "title",
        "default_urgency", "life_threats", "questions", "domains", "duties", "worry_urgency",
        "professions",
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
    wants_life_threats = top.boolean("life_threats", register is Register.HEALTH)
    if wants_life_threats and life_threats is None:
        raise top.error(
            _("needs the shared life-threat questions, but {file} is missing").format(
                file=LIFE_THREATS_FILE
            ),
            "life_threats" if top.has("life_threats") else "register",
        )
    preamble = life_threats if wants_life_threats and life_threats else ()
    own = _read_questions(top, default_urgency, False, preamble)
    domains = _read_domains(top)
    duties = _read_duties(top)
    worry_urgency = _read_worry(top, default_urgency)
    _check_references(top, own, domains, duties)
    return Protocol(
        id=protocol_id,
        version=version,
        register=register,
        service_areas=service_areas,
        order=order,
        titles=titles,
        default_urgency=default_urgency,
        questions=tuple(preamble) + tuple(own),
        domains=domains,
        duties=duties,
        worry_urgency=worry_urgency,
        professions=tuple(top.strings("professions")) if top.has("professions") else (),
    )


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
        fields.only("id", "title", "basis")
        duty = Duty(fields.identifier("id"), fields.texts("title"), fields.texts("basis"))
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
    for fields, duty in zip(top.tables("duties", required=False), duties):
        if duty.id not in triggered:
            raise fields.error(
                _("duty '{id}' is never triggered: no question lists it").format(id=duty.id), "id"
            )


def load_protocols(directory: Path) -> list[Protocol]:
    """Every protocol in `directory`, sorted by `order` (then id); life threats put first."""
    shared = directory / LIFE_THREATS_FILE
    life_threats = load_life_threats(shared) if shared.exists() else None
    protocols: list[Protocol] = []
    seen: dict[str, Path] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name == LIFE_THREATS_FILE:
            continue
        protocol = load_protocol(path, life_threats)
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


def evaluate(
    protocol: Protocol, answers: Mapping[str, bool | None], worry: WorryLevel | None = None
) -> ProtocolResult:
    """Suggest an urgency from yes/no answers.

    Any red flag answered yes -> EMERGENCY, with those questions as reasons. Otherwise the most
    urgent `if_yes` among the yes answers, with every yes question giving that urgency as
    reasons. Otherwise the protocol's default, with no reasons. Answers to ids the protocol
    does not hold are ignored (an old record re-read against a newer version); a missing or
    None answer is unanswered.
    """
    yes = [q for q in protocol.questions if answers.get(q.id) is True]
    unanswered = tuple(q.id for q in protocol.questions if answers.get(q.id) is None)
    if protocol.asks_worry and worry is None:
        unanswered += (WORRY,)
    red_flags = tuple(q.id for q in yes if q.red_flag)
    by_worry = (protocol.worry_urgency or {}).get(worry) if worry is not None else None
    worry_reason = None
    if red_flags:
        suggested, reasons = Urgency.EMERGENCY, red_flags
    else:
        raised = [q.if_yes for q in yes if q.if_yes is not None]
        if by_worry is not None:
            raised.append(by_worry)
        suggested = Urgency.most_urgent(raised, protocol.default_urgency)
        if suggested.rank >= protocol.default_urgency.rank:
            suggested, reasons = protocol.default_urgency, ()
        else:
            reasons = tuple(q.id for q in yes if q.if_yes is suggested)
            worry_reason = worry if by_worry is suggested else None
    duties = tuple(dict.fromkeys(duty for q in yes for duty in q.duties))
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
        statutory_group=protocol.in_statutory_group(answers),
    )


def protocols_for(protocols: list[Protocol], service_area: ServiceArea) -> list[Protocol]:
    """The protocols offered for a service area, in picker order."""
    return [protocol for protocol in protocols if service_area in protocol.service_areas]
