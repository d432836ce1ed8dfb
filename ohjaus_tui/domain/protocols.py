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
from .codes import Register, ServiceArea, Urgency
from .datafile import Fields, Source, load_toml
from .errors import DataFileError

LIFE_THREATS_FILE = "_life_threats.toml"


# --- protocols --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A yes/no question of a protocol.

    `red_flag`: a yes ends the assessment in an emergency redirect (112 / emergency department).
    `if_yes`: the urgency a yes raises the suggestion to. Never both.
    `life_threat`: one of the shared life-threat questions asked first.
    """

    id: str
    texts: dict[str, str]
    red_flag: bool
    if_yes: Urgency | None
    life_threat: bool = False

    @property
    def text(self) -> str:
        return localized(self.texts)


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

    @property
    def title(self) -> str:
        return localized(self.titles)


@dataclass(frozen=True)
class ProtocolResult:
    """What the answers suggest; the worker decides, and may override with a reason."""

    suggested: Urgency
    reasons: tuple[str, ...]
    red_flags: tuple[str, ...]
    complete: bool
    unanswered: tuple[str, ...]


def _read_question(fields: Fields, default_urgency: Urgency | None, life_threat: bool) -> Question:
    fields.only("id", "text", "red_flag", "if_yes")
    question_id = fields.identifier("id")
    texts = fields.texts("text")
    red_flag = fields.boolean("red_flag", False)
    if_yes = fields.choice("if_yes", Urgency, None)
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
    return Question(question_id, texts, red_flag, if_yes, life_threat)


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
        "default_urgency", "life_threats", "questions",
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
    return Protocol(
        id=protocol_id,
        version=version,
        register=register,
        service_areas=service_areas,
        order=order,
        titles=titles,
        default_urgency=default_urgency,
        questions=tuple(preamble) + tuple(own),
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


def evaluate(protocol: Protocol, answers: Mapping[str, bool | None]) -> ProtocolResult:
    """Suggest an urgency from yes/no answers.

    Any red flag answered yes -> EMERGENCY, with those questions as reasons. Otherwise the most
    urgent `if_yes` among the yes answers, with every yes question giving that urgency as
    reasons. Otherwise the protocol's default, with no reasons. Answers to ids the protocol
    does not hold are ignored (an old record re-read against a newer version); a missing or
    None answer is unanswered.
    """
    yes = [q for q in protocol.questions if answers.get(q.id) is True]
    unanswered = tuple(q.id for q in protocol.questions if answers.get(q.id) is None)
    red_flags = tuple(q.id for q in yes if q.red_flag)
    if red_flags:
        suggested, reasons = Urgency.EMERGENCY, red_flags
    else:
        raised = [q.if_yes for q in yes if q.if_yes is not None]
        suggested = Urgency.most_urgent(raised, protocol.default_urgency)
        if suggested.rank >= protocol.default_urgency.rank:
            suggested, reasons = protocol.default_urgency, ()
        else:
            reasons = tuple(q.id for q in yes if q.if_yes is suggested)
    return ProtocolResult(
        suggested=suggested,
        reasons=reasons,
        red_flags=red_flags,
        complete=not unanswered,
        unanswered=unanswered,
    )


def protocols_for(protocols: list[Protocol], service_area: ServiceArea) -> list[Protocol]:
    """The protocols offered for a service area, in picker order."""
    return [protocol for protocol in protocols if service_area in protocol.service_areas]
