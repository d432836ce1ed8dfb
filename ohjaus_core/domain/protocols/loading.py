"""Loading protocol files: the shared questions, one protocol, and a folder of them, with
the checks that look across a file (references) or across files (one id, one finding).
"""

from __future__ import annotations

from pathlib import Path

from ...i18n import _
from ..codes import Register, ServiceArea, Urgency
from ..datafile import Fields, Source, load_toml
from ..errors import DataFileError
from .model import LIFE_THREATS_FILE, NURSE_CONCERN_FILE, Domain, Duty, Protocol, Question
from .reading import (
    read_ages, read_domains, read_duties, read_governance, read_keywords, read_questions,
    read_complex_when, read_self_care, read_urgency_when, read_worry,
)


def load_life_threats(path: Path) -> tuple[Question, ...]:
    """The shared life-threat questions, all red flags."""
    top = Fields(Source(path), load_toml(path))
    top.only("questions")
    return tuple(read_questions(top, None, True, ()))


def load_nurse_concern(path: Path) -> Question:
    """The shared question of the nurse's own concern: one question, `nurse_concern`, with
    red_flag (the shipped choice: a worried nurse sends to emergency care) or if_yes."""
    top = Fields(Source(path), load_toml(path))
    top.only("questions")
    questions = read_questions(top, None, False, (), nurse_concern=True)
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
        "default_urgency", "life_threats", "questions", "domains", "duties", "worry_urgency", "urgency_when", "complex_when", "assessed_when",
        "statutory_clear_when", "steady_when",
        "keywords", "choose_when", "self_care_if", "self_care_if_any", "safety_net",
        "governance", "ages", "professions", "asked_alone",
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
    own = read_questions(top, default_urgency, False, preamble, after, has_self_care=has_self_care)
    domains = read_domains(top)
    duties = read_duties(top)
    worry_urgency = read_worry(top, default_urgency)
    urgency_when = read_urgency_when(top, list(preamble) + own, duties)
    complex_when = read_complex_when(top, list(preamble) + own, domains=domains)
    assessed_when = read_complex_when(top, list(preamble) + own, "assessed_when")
    statutory_clear_when = read_complex_when(top, list(preamble) + own, "statutory_clear_when")
    steady_when = read_complex_when(top, list(preamble) + own, "steady_when")
    _check_references(top, own, domains, duties)
    keywords = read_keywords(top)
    choose_when = top.texts("choose_when") if top.has("choose_when") else {}
    if health or top.has("safety_net"):
        safety_net = top.texts("safety_net")
    else:
        safety_net = {}
    self_care_if = read_self_care(top, own, "self_care_if")
    self_care_if_any = read_self_care(top, own, "self_care_if_any")
    governance = read_governance(top.subtable("governance"))
    ages = read_ages(top)
    asked_alone = read_asked_alone(top, preamble)
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
        urgency_when=urgency_when,
        complex_when=complex_when,
        assessed_when=assessed_when,
        statutory_clear_when=statutory_clear_when,
        steady_when=steady_when,
        keywords=keywords,
        choose_when=choose_when,
        safety_net=safety_net,
        self_care_if=self_care_if,
        self_care_if_any=self_care_if_any,
        governance=governance,
        ages=ages,
        professions=tuple(top.strings("professions")) if top.has("professions") else (),
        asked_alone=asked_alone,
    )


def read_asked_alone(top: Fields, life_threats: tuple[Question, ...] | tuple[()]) -> tuple[str, ...]:
    """`asked_alone`: the shared life threats the complaint itself is about (chest pain: the
    pressing chest pain over 15 minutes), which `0` ("none of these") leaves for the worker to
    ask one by one. Each must be one of the life threats the protocol asks."""
    if not top.has("asked_alone"):
        return ()
    asked = tuple(top.strings("asked_alone"))
    known = {question.id for question in life_threats}
    for question_id in asked:
        if question_id not in known:
            raise top.error(
                _("asked_alone: '{id}' is not one of the shared life threats this protocol asks").format(id=question_id),
                "asked_alone",
            )
    return asked


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
    if not protocols:  # a region's folder whose protocols were lost: nothing to assess with
        raise DataFileError(
            directory, None,
            _("no protocol files (*.toml) here: a data folder needs its protocols (copy them from the "
              "folder `ohjaus check` names)") if directory.is_dir() else _("no such folder: a data folder "
              "needs its protocols (copy them from the folder `ohjaus check` names)"),
        )
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
