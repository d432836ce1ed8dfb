"""Initial-assessment protocols (ensiarvio): yes/no questions, red flags and urgency.

A protocol is a data file under `data/protocols/`, one file a protocol, read strictly: a region
may edit them, and a broken file must name itself and its line instead of silently changing
what a nurse is asked. The shared life-threat questions (`_life_threats.toml`: consciousness,
breathing, choking, seizure) come first in every health protocol, as in the national
call-handling practice, unless a protocol sets `life_threats = false`.

The strict reader (`Source`, `Fields`) is shared with the catalogue and the demo region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Iterator, Mapping, TypeVar

from ..i18n import LANGUAGES, _, localized
from .codes import Register, ServiceArea, Urgency
from .datafile import load_toml
from .errors import DataFileError

LIFE_THREATS_FILE = "_life_threats.toml"
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")

E = TypeVar("E", bound=Enum)


# --- strict reading of data files ------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$")
_REQUIRED: Any = object()


class Source:
    """The lines of a data file, to point an error at the table or key it is about."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.lines = path.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            self.lines = []
        # (line number, table name, is an array-of-tables element)
        self.headers: list[tuple[int, str, bool]] = []
        for number, line in enumerate(self.lines, start=1):
            match = _HEADER.match(line)
            if match:
                name = re.sub(r"\s*\.\s*", ".", match.group(2))
                self.headers.append((number, name, match.group(1) == "[["))

    def block(self, table: str | None, index: int | None) -> tuple[int, int] | None:
        """First and last line of the top level (None), of `[table]` or the index-th `[[table]]`."""
        if table is None:
            start = 1
            end = self.headers[0][0] - 1 if self.headers else len(self.lines)
            return start, end
        seen = -1
        for position, (number, name, is_array) in enumerate(self.headers):
            if name != table or is_array != (index is not None):
                continue
            seen += 1
            if index is not None and seen != index:
                continue
            end = len(self.lines)
            for later_number, later_name, later_array in self.headers[position + 1 :]:
                if not later_name.startswith(table + ".") or (later_array and later_name == table):
                    end = later_number - 1
                    break
            return number, end
        return None

    def line(
        self, table: str | None = None, index: int | None = None, key: str | None = None
    ) -> int | None:
        """The line of `key` in a table, else the table's header line (None for the top level)."""
        found = self.block(table, index)
        if found is None:
            return None
        start, end = found
        header = start if table is not None else None
        if key is None:
            return header
        quoted = re.escape(key)
        assignment = re.compile(rf"^\s*(?:{quoted}|\"{quoted}\"|'{quoted}')\s*[.=]")
        subtable = f"{table}.{key}" if table else key
        for number in range(start, end + 1):
            if assignment.match(self.lines[number - 1]):
                return number
        for number, name, _array in self.headers:
            if start <= number <= end + 1 and name == subtable:
                return number
        return header


def _type_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return _(" or ").join(_type_name(each) for each in kind)
    return {
        str: _("a string"),
        int: _("an integer"),
        bool: _("true or false"),
        float: _("a number"),
        list: _("a list"),
        dict: _("a table"),
    }.get(kind, kind.__name__)


class Fields:
    """One table of a data file, read strictly: only known keys, each of the right type.

    Every problem is raised as a DataFileError naming the file and the line of the key (or of
    the table's header when the key is missing).
    """

    def __init__(
        self,
        source: Source,
        data: Mapping[str, Any],
        table: str | None = None,
        index: int | None = None,
    ) -> None:
        self.source = source
        self.data = data
        self.table = table
        self.index = index

    @property
    def path(self) -> Path:
        return self.source.path

    def line(self, key: str | None = None) -> int | None:
        return self.source.line(self.table, self.index, key)

    def error(self, reason: str, key: str | None = None) -> DataFileError:
        return DataFileError(self.path, self.line(key), reason)

    def only(self, *keys: str) -> None:
        for key in self.data:
            if key not in keys:
                raise self.error(_("unknown key '{key}'").format(key=key), key)

    def has(self, key: str) -> bool:
        return key in self.data

    def value(self, key: str, kind: type | tuple[type, ...], default: Any = _REQUIRED) -> Any:
        if key not in self.data:
            if default is _REQUIRED:
                if self.table is None:
                    raise self.error(_("missing key '{key}'").format(key=key))
                raise self.error(
                    _("missing key '{key}' in [{table}]").format(key=key, table=self.table)
                )
            return default
        value = self.data[key]
        # bool is an int in Python, but a TOML `true` is never a number here
        if kind is float:
            wrong = not isinstance(value, (int, float)) or isinstance(value, bool)
        elif kind is int:
            wrong = not isinstance(value, int) or isinstance(value, bool)
        else:
            wrong = not isinstance(value, kind)
        if wrong:
            raise self.error(
                _("'{key}' must be {kind}").format(key=key, kind=_type_name(kind)), key
            )
        return value

    def string(self, key: str, default: Any = _REQUIRED) -> str:
        value = self.value(key, str, default)
        if isinstance(value, str) and not value.strip():
            raise self.error(_("'{key}' must not be empty").format(key=key), key)
        return value

    def identifier(self, key: str, pattern: re.Pattern[str] = IDENTIFIER) -> str:
        value = self.string(key)
        if not pattern.match(value):
            raise self.error(
                _("'{key}' = '{value}' is not a valid identifier").format(key=key, value=value),
                key,
            )
        return value

    def integer(self, key: str, default: Any = _REQUIRED, minimum: int | None = None) -> int:
        value = self.value(key, int, default)
        if minimum is not None and value < minimum:
            raise self.error(
                _("'{key}' must be at least {minimum}").format(key=key, minimum=minimum), key
            )
        return value

    def number(self, key: str, default: Any = _REQUIRED) -> float:
        return float(self.value(key, float, default))

    def boolean(self, key: str, default: Any = _REQUIRED) -> bool:
        return self.value(key, bool, default)

    def strings(
        self, key: str, default: Any = _REQUIRED, *, non_empty: bool = True
    ) -> tuple[str, ...]:
        values = self.value(key, list, default)
        for value in values:
            if not isinstance(value, str) or not value.strip():
                raise self.error(
                    _("'{key}' must be a list of non-empty strings").format(key=key), key
                )
        if non_empty and not values:
            raise self.error(_("'{key}' must not be empty").format(key=key), key)
        for position, value in enumerate(values):
            if value in values[:position]:
                raise self.error(
                    _("'{value}' is listed twice in '{key}'").format(value=value, key=key), key
                )
        return tuple(values)

    def texts(self, key: str) -> dict[str, str]:
        """A person-facing text `{ fi = "...", sv = "...", en = "..." }`; Finnish is required."""
        value = self.value(key, dict)
        for language, text in value.items():
            if language not in LANGUAGES:
                raise self.error(
                    _("'{key}' has an unknown language '{language}'").format(
                        key=key, language=language
                    ),
                    key,
                )
            if not isinstance(text, str) or not text.strip():
                raise self.error(
                    _("'{key}.{language}' must be a non-empty string").format(
                        key=key, language=language
                    ),
                    key,
                )
        if "fi" not in value:
            raise self.error(_("'{key}' is missing the Finnish text (fi)").format(key=key), key)
        return dict(value)

    def choice(self, key: str, enum: type[E], default: Any = _REQUIRED) -> E:
        value = self.value(key, str, default)
        if not isinstance(value, str):
            return value
        return self.parse(key, enum, value)

    def choices(self, key: str, enum: type[E]) -> tuple[E, ...]:
        return tuple(self.parse(key, enum, value) for value in self.strings(key))

    def parse(self, key: str, enum: type[E], value: str) -> E:
        try:
            return enum(value)
        except ValueError:
            known = ", ".join(member.value for member in enum)
            raise self.error(
                _("unknown {key} '{value}' (known: {known})").format(
                    key=key, value=value, known=known
                ),
                key,
            ) from None

    def tables(self, key: str, *, required: bool = True) -> Iterator[Fields]:
        """The elements of an array of tables `[[key]]`, each as Fields pointing at its block."""
        values = self.value(key, list, _REQUIRED if required else [])
        if any(not isinstance(value, dict) for value in values):
            raise self.error(_("'{key}' must be a list of tables").format(key=key), key)
        if required and not values:
            raise self.error(_("'{key}' must not be empty").format(key=key), key)
        table = f"{self.table}.{key}" if self.table else key
        for position, value in enumerate(values):
            yield Fields(self.source, value, table, position)

    def subtable(self, key: str) -> Fields:
        value = self.value(key, dict)
        table = f"{self.table}.{key}" if self.table else key
        return Fields(self.source, value, table, None)


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
