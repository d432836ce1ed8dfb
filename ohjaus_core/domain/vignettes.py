"""Written case vignettes run through the protocols: does triage land where a clinician would?

A vignette is a short synthetic case with the urgency an experienced triage nurse or social
counsellor would expect, written from the story and not from the rules. Two forms
(docs/triage-format.md):

- old form (the project's own set, a training set): `protocol` names the protocol and `yes`
  lists the questions the story answers yes; every other question is answered no.
- new form (written blind from public guidance): `complaint` is the word a nurse types; the
  protocol is the finder's first hit for it, `findings` are the facts the story shows (global
  question ids) and every question whose id is not among them is answered no.

The report compares classes: emergency, care (same_day, three_days, non_urgent) and self-care,
for the whole set and for each part (each file and each folder), and lists every miss. Above
all it shows any emergency that would be under-triaged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..i18n import _
from .codes import Register, Urgency, WorryLevel
from .datafile import Fields, Source, load_toml
from .protocol_finder import find_protocols
from .protocols.evaluation import evaluate
from .protocols.model import Protocol

EMERGENCY, CARE, SELF_CARE = "emergency", "care", "self_care"
CLASSES = (EMERGENCY, CARE, SELF_CARE)


def urgency_class(urgency: Urgency) -> str:
    """emergency, care (a professional's assessment at some urgency) or self_care."""
    if urgency is Urgency.EMERGENCY:
        return EMERGENCY
    if urgency is Urgency.SELF_CARE:
        return SELF_CARE
    return CARE


def class_label(name: str) -> str:
    return {EMERGENCY: _("emergency"), CARE: _("care"), SELF_CARE: _("self-care")}[name]


@dataclass(frozen=True)
class Vignette:
    id: str
    story: str
    expected: Urgency
    path: Path
    line: int | None
    # old form
    protocol: str | None = None
    yes: tuple[str, ...] = ()
    worry: WorryLevel | None = None
    # new form
    complaint: str | None = None
    findings: tuple[str, ...] = ()
    age: int | None = None
    age_months: int | None = None
    source: str = ""

    @property
    def new_form(self) -> bool:
        return self.complaint is not None

    @property
    def age_years(self) -> int | None:
        """The age in whole years the finder is given (age_months // 12 when given)."""
        if self.age_months is not None:
            return self.age_months // 12
        return self.age

    @property
    def expected_class(self) -> str:
        return urgency_class(self.expected)

    def answers(self, protocol: Protocol, drop: frozenset[str] = frozenset()) -> dict[str, bool]:
        """Yes to the findings (old form: `yes`), no to the rest; `drop`: findings taken out
        (e.g. the nurse's concern, to see what the protocol questions alone do)."""
        said = set(self.findings if self.new_form else self.yes) - drop
        return {q.id: q.id in said for q in protocol.questions}


@dataclass(frozen=True)
class Outcome:
    vignette: Vignette
    suggested: Urgency | None  # None: the finder found no protocol for the complaint
    protocol: str | None = None
    # new form: what the other protocols the finder lists for the same word would suggest
    alternatives: tuple[tuple[str, Urgency], ...] = ()

    @property
    def missed(self) -> bool:
        return self.suggested is None

    @property
    def suggested_class(self) -> str | None:
        return None if self.suggested is None else urgency_class(self.suggested)

    @property
    def correct(self) -> bool:
        """Right by class (emergency / care / self-care)."""
        return self.suggested_class == self.vignette.expected_class

    @property
    def exact(self) -> bool:
        return self.suggested is self.vignette.expected

    @property
    def under_triaged(self) -> bool:
        """A less urgent class than expected; a missed emergency counts as under-triaged."""
        expected = CLASSES.index(self.vignette.expected_class)
        if self.suggested_class is None:
            return expected == 0
        return CLASSES.index(self.suggested_class) > expected

    @property
    def over_triaged(self) -> bool:
        if self.suggested_class is None:
            return False
        return CLASSES.index(self.suggested_class) < CLASSES.index(self.vignette.expected_class)

    @property
    def choice_sensitive(self) -> bool:
        """Another protocol listed for the same word would give another class."""
        return any(
            urgency_class(urgency) != self.suggested_class for _id, urgency in self.alternatives
        )


def load_vignettes(path: Path, protocols: list[Protocol]) -> list[Vignette]:
    """Read a vignette file strictly; a vignette naming an unknown protocol, question or finding
    is an error with its line, so that a renamed question cannot silently turn a yes into a no."""
    source = Source(path)
    top = Fields(source, load_toml(path))
    top.only("vignette")
    by_id = {protocol.id: protocol for protocol in protocols}
    findings = {q.id for protocol in protocols for q in protocol.questions}
    vignettes: list[Vignette] = []
    for fields in top.tables("vignette"):
        fields.only(
            "id", "story", "protocol", "yes", "expected", "worry",
            "complaint", "findings", "age", "age_months", "source",
        )
        vignette_id = fields.identifier("id")
        if any(v.id == vignette_id for v in vignettes):
            raise fields.error(_("duplicate vignette id '{id}'").format(id=vignette_id), "id")
        if fields.has("complaint"):
            vignettes.append(_new_form(fields, vignette_id, findings, path))
        else:
            vignettes.append(_old_form(fields, vignette_id, by_id, path))
    return vignettes


def _refuse(fields: Fields, keys: tuple[str, ...], reason: str) -> None:
    """The two forms do not mix: a key of the other form is an error at its line."""
    for key in keys:
        if fields.has(key):
            raise fields.error(reason.format(key=key), key)


def _old_form(
    fields: Fields, vignette_id: str, by_id: dict[str, Protocol], path: Path
) -> Vignette:
    _refuse(fields, ("findings", "age", "age_months", "source"),
            _("'{key}' belongs to the new form (with complaint)"))
    protocol_id = fields.string("protocol")
    protocol = by_id.get(protocol_id)
    if protocol is None:
        raise fields.error(_("unknown protocol '{id}'").format(id=protocol_id), "protocol")
    yes = fields.strings("yes", (), non_empty=False)
    questions = {q.id: q for q in protocol.questions}
    for question_id in yes:
        question = questions.get(question_id)
        if question is None:
            raise fields.error(
                _("'{question}' is not a question of {protocol}").format(
                    question=question_id, protocol=protocol_id
                ),
                "yes",
            )
        if question.show_if is not None and question.show_if not in yes:
            raise fields.error(
                _("'{question}' is asked only after a yes to '{earlier}': list that too").format(
                    question=question_id, earlier=question.show_if
                ),
                "yes",
            )
    worry = fields.choice("worry", WorryLevel, None)
    if protocol.asks_worry and worry is None:
        raise fields.error(
            _("{protocol} asks the level of worry: give worry").format(protocol=protocol_id),
            "protocol",
        )
    return Vignette(
        **_told(fields, vignette_id, path),
        protocol=protocol_id,
        yes=yes,
        worry=worry,
    )


def _told(fields: Fields, vignette_id: str, path: Path) -> dict[str, Any]:
    """What both forms tell: the story, the urgency a clinician expects, and where it stands."""
    return {
        "id": vignette_id,
        "story": fields.string("story"),
        "expected": fields.choice("expected", Urgency),
        "path": path,
        "line": fields.line("id"),
    }


def _new_form(fields: Fields, vignette_id: str, known: set[str], path: Path) -> Vignette:
    _refuse(fields, ("protocol", "yes", "worry"), _("'{key}' belongs to the old form (with protocol)"))
    findings = fields.strings("findings", (), non_empty=False)
    for finding in findings:
        if finding not in known:
            raise fields.error(
                _("unknown finding '{finding}': not a question of any protocol").format(
                    finding=finding
                ),
                "findings",
            )
    age_months = fields.integer("age_months", None, minimum=0) if fields.has("age_months") else None
    return Vignette(
        **_told(fields, vignette_id, path),
        complaint=fields.string("complaint"),
        findings=findings,
        age=fields.integer("age", minimum=0),
        age_months=age_months,
        source=fields.string("source"),
    )


def run_vignettes(
    vignettes: list[Vignette], protocols: list[Protocol], drop: frozenset[str] = frozenset()
) -> list[Outcome]:
    """Each vignette through its protocol; `drop`: findings answered no although marked (the
    report's "without the nurse's concern" runs with drop={NURSE_CONCERN})."""
    by_id = {protocol.id: protocol for protocol in protocols}
    health = [protocol for protocol in protocols if protocol.register is Register.HEALTH]
    outcomes = []
    for vignette in vignettes:
        if not vignette.new_form:
            protocol = by_id[vignette.protocol or ""]
            result = evaluate(
                protocol, vignette.answers(protocol, drop), vignette.worry, vignette.age_years
            )
            outcomes.append(Outcome(vignette, result.suggested, protocol.id))
            continue
        hits = find_protocols(health, vignette.complaint or "", vignette.age_years)
        if not hits:
            outcomes.append(Outcome(vignette, None))
            continue
        first, *others = hits
        suggested = evaluate(first, vignette.answers(first, drop), age=vignette.age_years).suggested
        alternatives = tuple(
            (other.id, evaluate(other, vignette.answers(other, drop), age=vignette.age_years).suggested)
            for other in others
        )
        outcomes.append(Outcome(vignette, suggested, first.id, alternatives))
    return outcomes


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "-"


def _figures(outcomes: list[Outcome]) -> tuple[str, str]:
    """'right/total (share); emergency r/n, care r/n, self-care r/n' and 'caught/total (share)'."""
    total = len(outcomes)
    right = sum(o.correct for o in outcomes)
    by_class = []
    for name in CLASSES:
        row = [o for o in outcomes if o.vignette.expected_class == name]
        if row:
            by_class.append(f"{class_label(name)} {sum(o.correct for o in row)}/{len(row)}")
    emergencies = [o for o in outcomes if o.vignette.expected_class == EMERGENCY]
    caught = sum(o.suggested is Urgency.EMERGENCY for o in emergencies)
    return (
        f"{right}/{total} ({_percent(right, total)})" + ("; " + ", ".join(by_class) if by_class else ""),
        f"{caught}/{len(emergencies)} ({_percent(caught, len(emergencies))})",
    )


def summary(
    outcomes: list[Outcome], title: str, without: list[Outcome] | None = None
) -> list[str]:
    """One part's figures: the confusion matrix, sensitivity, under/over-triage, share right;
    `without`: the same vignettes run without the nurse's concern, whose figures follow."""
    total = len(outcomes)
    lines = [f"== {title}: " + _("{n} vignettes").format(n=total)]
    levels = [u.value for u in Urgency] + [_("none")]
    width = max(len(level) for level in levels) + 1
    label_width = max(len(class_label(name)) for name in CLASSES) + 2
    lines.append(" " * label_width + "".join(f"{level:>{width}}" for level in levels))
    for name in CLASSES:
        row = [o for o in outcomes if o.vignette.expected_class == name]
        counts = Counter(o.suggested.value if o.suggested else _("none") for o in row)
        lines.append(
            f"{class_label(name):<{label_width}}"
            + "".join(f"{counts[level]:>{width}}" for level in levels)
        )
    right, caught = _figures(outcomes)
    lines.append(_("right by class: {figures}").format(figures=right))
    lines.append(_("emergency sensitivity: {figures}").format(figures=caught))
    under = [o for o in outcomes if o.under_triaged]
    lines.append(_("under-triaged: {under} (emergencies: {emergencies}), over-triaged: {over}, "
                   "no protocol found: {missed}").format(
        under=len(under),
        emergencies=sum(o.vignette.expected_class == EMERGENCY for o in under),
        over=sum(o.over_triaged for o in outcomes),
        missed=sum(o.missed for o in outcomes),
    ))
    if without is not None:
        right, caught = _figures(without)
        lines.append(_("without the nurse's concern: right by class {right}; emergency sensitivity "
                       "{caught}").format(right=right, caught=caught))
    return lines


def _parts(outcomes: list[Outcome], root: Path | None) -> list[tuple[str, list[Outcome]]]:
    """Each folder below the root (blind/, heldout/, ...) and each file, in path order."""
    def relative(path: Path) -> Path:
        if root is not None:
            try:
                return path.relative_to(root)
            except ValueError:
                pass
        return Path(path.name)

    folders: dict[str, list[Outcome]] = {}
    files: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        rel = relative(outcome.vignette.path)
        files.setdefault(rel.as_posix(), []).append(outcome)
        for parent in list(rel.parents)[:-1]:
            folders.setdefault(parent.as_posix() + "/", []).append(outcome)
    return sorted(folders.items()) + sorted(files.items())


# The folder of the vignettes kept aside from whoever edits protocols (issue 13): the report
# gives its figures but never its misses, so that reading them cannot turn it into a training set.
KEPT_ASIDE = "heldout"


def report(
    outcomes: list[Outcome], root: Path | None = None, without: list[Outcome] | None = None
) -> str:
    """A plain-text report: the whole set, each part, every miss and protocol-choice cases.
    `without`: the same vignettes run without the nurse's concern (`run_vignettes(...,
    drop={NURSE_CONCERN})`); each part's figures are then followed by theirs."""
    if not outcomes:
        return _("no vignettes")
    paired: dict[tuple[Path, str], Outcome] = (
        {(o.vignette.path, o.vignette.id): o for o in without} if without is not None else {}
    )

    def alone(part: list[Outcome]) -> list[Outcome] | None:
        if without is None:
            return None
        return [paired[(o.vignette.path, o.vignette.id)] for o in part]

    lines = summary(outcomes, _("whole set"), alone(outcomes))
    parts = _parts(outcomes, root)
    if len(parts) > 1:
        for name, part in parts:
            lines.append("")
            lines.extend(summary(part, name, alone(part)))
    aside = [o for o in outcomes if KEPT_ASIDE in o.vignette.path.parts]
    misses = [o for o in outcomes if not o.correct and KEPT_ASIDE not in o.vignette.path.parts]
    if misses:
        lines.append("")
        lines.append(_("misses ({n}):").format(n=len(misses)))
    for outcome in misses:
        v = outcome.vignette
        direction = _("UNDER") if outcome.under_triaged else _("over") if outcome.over_triaged else "-"
        suggested = outcome.suggested.value if outcome.suggested else _("no protocol found")
        lines.append(
            f"  {direction:<5} {v.path.name}:{v.line} {v.id} [{outcome.protocol or '-'}]: "
            + _("expected {expected}, suggested {suggested}").format(
                expected=v.expected.value, suggested=suggested
            )
        )
    if aside:
        lines.append("")
        lines.append(_("the misses of the part kept aside ({folder}/) are not listed: it measures, "
                       "it does not teach").format(folder=KEPT_ASIDE))
    new = [o for o in outcomes if o.vignette.new_form and not o.missed and KEPT_ASIDE not in o.vignette.path.parts]
    if new:
        sensitive = [o for o in new if o.choice_sensitive]
        lines.append("")
        lines.append(_("protocol-choice sensitivity: {n} of {total} new-form vignettes would get "
                       "another class through another protocol listed for the same word").format(
            n=len(sensitive), total=len(new)
        ))
        for outcome in sensitive:
            others = ", ".join(f"{pid} {urgency.value}" for pid, urgency in outcome.alternatives)
            lines.append(
                f"  {outcome.vignette.id} '{outcome.vignette.complaint}': "
                f"{outcome.protocol} {outcome.suggested.value if outcome.suggested else '-'}; {others}"
            )
    return "\n".join(lines)
