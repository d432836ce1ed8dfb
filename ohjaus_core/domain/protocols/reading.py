"""Reading the parts of a protocol file, each checked where it stands: a question table,
the ages, the keywords, the self-care criteria, the governance, the domains, duties and worry.

Each reader raises a DataFileError naming the file and the line of the part it reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ...i18n import _
from ..codes import Urgency, WorryLevel
from ..datafile import Fields
from ..errors import DataFileError
from .model import (
    APPROVED, DRAFT, NURSE_CONCERN, NURSE_CONCERN_FILE, ComplexWhen, Domain, Duty, Governance,
    Question, UrgencyWhen,
)


def read_question(
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
    ages = read_ages(fields)
    if ages is not None and (life_threat or nurse_concern):
        raise fields.error(
            _("question '{id}': a shared question is asked at every age").format(id=question_id),
            "ages",
        )
    return Question(
        question_id, texts, red_flag, if_yes, life_threat, domain, duties, statutory_group,
        show_if, nurse_concern, information_only, ages,
    )


def read_questions(
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
    `read_question`."""
    questions: list[Question] = []
    taken = {question.id for question in preamble + shared}
    for fields in top.tables("questions"):
        question = read_question(
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


MAX_AGE = 120


def read_ages(top: Fields) -> tuple[int, int] | None:
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


def read_keywords(top: Fields) -> dict[str, tuple[str, ...]]:
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


def read_self_care(top: Fields, own: list[Question], key: str) -> tuple[str, ...]:
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


def read_governance(fields: Fields) -> Governance:
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


def read_domains(top: Fields) -> tuple[Domain, ...]:
    domains: list[Domain] = []
    for fields in top.tables("domains", required=False):
        fields.only("id", "title")
        domain = Domain(fields.identifier("id"), fields.texts("title"))
        if any(domain.id == earlier.id for earlier in domains):
            raise fields.error(_("duplicate domain id '{id}'").format(id=domain.id), "id")
        domains.append(domain)
    return tuple(domains)


def read_duties(top: Fields) -> tuple[Duty, ...]:
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


def read_urgency_when(
    top: Fields, questions: list[Question], duties: tuple[Duty, ...] = (),
) -> tuple[UrgencyWhen, ...]:
    """`[[urgency_when]]`: `all` (question ids, every one yes), `urgency`, and optionally
    `none` (ids none of which is yes), `max_age`, `min_worry` and `duties` (the protocol's duty
    ids the combination brings); an unknown question or duty is refused at its line, and an
    emergency is a red flag's."""
    found: list[UrgencyWhen] = []
    known = {duty.id for duty in duties}
    for fields in top.tables("urgency_when", required=False):
        fields.only("all", "none", "urgency", "max_age", "min_worry", "duties")
        every, none, max_age, min_worry = _combination(fields, questions, "urgency_when")
        urgency = fields.choice("urgency", Urgency)
        if urgency is Urgency.EMERGENCY:
            raise fields.error(_("urgency_when: use a red-flag question for an emergency"), "urgency")
        brings = tuple(fields.strings("duties")) if fields.has("duties") else ()
        unknown = [d for d in brings if d not in known]
        if unknown:
            raise fields.error(_("urgency_when: unknown duty '{duty}'").format(duty=unknown[0]), "duties")
        found.append(UrgencyWhen(every, urgency, none, max_age, min_worry, brings))
    return tuple(found)


def read_complex_when(
    top: Fields, questions: list[Question], table: str = "complex_when", domains: tuple[Domain, ...] | list[Domain] = (),
) -> tuple[ComplexWhen, ...]:
    """`[[complex_when]]`: `all`, and optionally `none`, `max_age` and `min_worry`, as in
    `[[urgency_when]]`; a combination that suggests a complex need; and `unless_only_domains`,
    need domains of the protocol: not where the domains found are these alone.
    `[[assessed_when]]` (the `table`) has the same form: a combination whose need is assessed
    (not advice only); so has `[[statutory_clear_when]]`: one for which the statutory group's
    grey zone is not complex (`unless_only_domains` is `[[complex_when]]`'s only)."""
    found: list[ComplexWhen] = []
    known_domains = {domain.id for domain in domains}
    for fields in top.tables(table, required=False):
        fields.only("all", "none", "max_age", "min_worry", *(("unless_only_domains",) if table == "complex_when" else ()))
        only = tuple(fields.strings("unless_only_domains")) if fields.has("unless_only_domains") else ()
        unknown = [d for d in only if d not in known_domains]
        if unknown:
            raise fields.error(_("{table}: unknown need domain '{domain}'").format(table=table, domain=unknown[0]), "unless_only_domains")
        found.append(ComplexWhen(*_combination(fields, questions, table), unless_only_domains=only))
    return tuple(found)


def _combination(
    fields: Fields, questions: list[Question], table: str,
) -> tuple[tuple[str, ...], tuple[str, ...], int | None, WorryLevel | None]:
    known = {question.id for question in questions}
    every = tuple(fields.strings("all"))
    none = tuple(fields.strings("none")) if fields.has("none") else ()
    for key, ids in (("all", every), ("none", none)):
        unknown = [q for q in ids if q not in known]
        if unknown:
            raise fields.error(_("{table}: unknown question '{question}'").format(table=table, question=unknown[0]), key)
    return (
        every, none,
        fields.integer("max_age", minimum=0) if fields.has("max_age") else None,
        fields.choice("min_worry", WorryLevel) if fields.has("min_worry") else None,
    )


def read_worry(top: Fields, default_urgency: Urgency) -> dict[WorryLevel, Urgency] | None:
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
