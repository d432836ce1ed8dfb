"""Written case vignettes run through the protocols: does triage land where a clinician would?

A vignette is a short synthetic case with the urgency an experienced triage nurse or social
counsellor would expect, written from the story and not from the rules; `yes` lists the
questions the story answers yes (every other question is answered no). Running them after a
region edits its protocols shows the share triaged as expected and, above all, any emergency
that the protocols would under-triage.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..i18n import _
from .codes import Urgency, WorryLevel
from .datafile import Fields, Source, load_toml
from .protocols import Protocol, evaluate


@dataclass(frozen=True)
class Vignette:
    id: str
    story: str
    protocol: str
    yes: tuple[str, ...]
    expected: Urgency
    worry: WorryLevel | None
    path: Path
    line: int | None


@dataclass(frozen=True)
class Outcome:
    vignette: Vignette
    suggested: Urgency

    @property
    def correct(self) -> bool:
        return self.suggested is self.vignette.expected

    @property
    def under_triaged(self) -> bool:
        """Less urgent than expected (rank 0 is the most urgent)."""
        return self.suggested.rank > self.vignette.expected.rank


def load_vignettes(path: Path, protocols: list[Protocol]) -> list[Vignette]:
    """Read a vignette file strictly; a vignette naming an unknown protocol or question is an
    error with its line, so that a renamed question cannot silently turn a yes into a no."""
    source = Source(path)
    top = Fields(source, load_toml(path))
    top.only("vignette")
    by_id = {protocol.id: protocol for protocol in protocols}
    vignettes: list[Vignette] = []
    for fields in top.tables("vignette"):
        fields.only("id", "story", "protocol", "yes", "expected", "worry")
        vignette_id = fields.identifier("id")
        if any(v.id == vignette_id for v in vignettes):
            raise fields.error(_("duplicate vignette id '{id}'").format(id=vignette_id), "id")
        protocol_id = fields.string("protocol")
        protocol = by_id.get(protocol_id)
        if protocol is None:
            raise fields.error(_("unknown protocol '{id}'").format(id=protocol_id), "protocol")
        yes = fields.strings("yes", (), non_empty=False)
        known = {q.id for q in protocol.questions}
        for question in yes:
            if question not in known:
                raise fields.error(
                    _("'{question}' is not a question of {protocol}").format(
                        question=question, protocol=protocol_id
                    ),
                    "yes",
                )
        worry = fields.choice("worry", WorryLevel, None)
        if protocol.asks_worry and worry is None:
            raise fields.error(
                _("{protocol} asks the level of worry: give worry").format(protocol=protocol_id),
                "protocol",
            )
        vignettes.append(Vignette(
            id=vignette_id,
            story=fields.string("story"),
            protocol=protocol_id,
            yes=yes,
            expected=fields.choice("expected", Urgency),
            worry=worry,
            path=path,
            line=fields.line("id"),
        ))
    return vignettes


def run_vignettes(vignettes: list[Vignette], protocols: list[Protocol]) -> list[Outcome]:
    by_id = {protocol.id: protocol for protocol in protocols}
    outcomes = []
    for vignette in vignettes:
        protocol = by_id[vignette.protocol]
        answers = {q.id: q.id in vignette.yes for q in protocol.questions}
        result = evaluate(protocol, answers, vignette.worry)
        outcomes.append(Outcome(vignette, result.suggested))
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    """A plain-text report: share correct, by expected urgency, and every miss."""
    total = len(outcomes)
    correct = sum(o.correct for o in outcomes)
    lines = [_("{correct}/{total} vignettes triaged as expected ({share} %)").format(
        correct=correct, total=total, share=round(100 * correct / total)
    )]
    expected = Counter(o.vignette.expected for o in outcomes)
    right = Counter(o.vignette.expected for o in outcomes if o.correct)
    for urgency in Urgency:
        if expected[urgency]:
            lines.append(f"  {urgency.value:<11} {right[urgency]:>3}/{expected[urgency]}")
    emergencies = [o for o in outcomes if o.vignette.expected is Urgency.EMERGENCY]
    missed = [o for o in emergencies if o.under_triaged]
    lines.append(_("emergencies under-triaged: {n} of {total}").format(
        n=len(missed), total=len(emergencies)
    ))
    over = sum(o.suggested.rank < o.vignette.expected.rank for o in outcomes)
    under = sum(o.under_triaged for o in outcomes)
    lines.append(_("over-triaged: {over}, under-triaged: {under}").format(over=over, under=under))
    for outcome in outcomes:
        if not outcome.correct:
            v = outcome.vignette
            direction = _("UNDER") if outcome.under_triaged else _("over")
            lines.append(
                f"  {direction:<5} {v.path.name}:{v.line} {v.id}: "
                + _("expected {expected}, suggested {suggested}").format(
                    expected=v.expected.value, suggested=outcome.suggested.value
                )
            )
    return "\n".join(lines)
