"""What a protocol's answers suggest: the urgency, its reasons, duties and need domains."""

from __future__ import annotations

from typing import Mapping

from ..codes import CHILD_UNTIL, STATUTORY_AGE, Register, Urgency, WorryLevel
from .model import Protocol, ProtocolResult, visible_questions

WORRY = "worry"  # in `unanswered`: the worker's level of worry is not chosen yet


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
    statutory_group = any(q.statutory_group for q in yes)
    said = {q.id for q in yes}
    met = [when for when in protocol.urgency_when if when.applies(said, age, worry)]
    by_worry = (protocol.worry_urgency or {}).get(worry) if worry is not None else None
    worry_reason = None
    worry_held: str | None = None
    self_care = False
    raised: list[Urgency] = []
    if red_flags:
        suggested, reasons = Urgency.EMERGENCY, red_flags
    else:
        # A client who wants information only (and nothing else the worker is worried about):
        # the answers' if_yes do not raise the urgency; danger now and the worry still do, and
        # the duties stay (issue 16: an information-only client gets advice, not an assessment).
        # A need the client states that cannot wait a day - no safe bed tonight, thoughts of
        # death, something to arrange by tomorrow - is assessed at once whatever the client
        # asks for (SHL 12 §, 36 §: urgent help is assessed immediately): information only
        # holds back only answers that could wait, and the combinations, which infer a need
        # the client has not stated (review of 5.12.2026).
        information_only = any(q.information_only for q in yes)
        raised = [
            q.if_yes for q in yes
            if q.if_yes is not None and not (information_only and q.if_yes.rank > Urgency.SAME_DAY.rank)
        ]
        combined = [] if information_only else met
        raised += [when.urgency for when in combined]
        # An adult outside the statutory groups who wants information only, with no danger
        # now: the grey zone of worry does not start an assessment they have not asked for (SHL
        # 36 §: not made where it is plainly unnecessary; the client's self-determination,
        # Act 812/2000 8 §); the worker gives the advice and can still mark a greater worry,
        # and a need that cannot wait a day still counts (round of 5.12.2026 night).
        if (
            information_only and worry is WorryLevel.GREY_ZONE and age is not None and age >= CHILD_UNTIL
            and not statutory_group
        ):
            by_worry, worry_held = None, "information_only"
        # A difficulty that has gone on long with nothing in it that cannot wait
        # (`[[steady_when]]`): the worker's worry about the whole brings others in (a complex
        # need), not a shorter deadline - the assessment is made without undue delay (SHL 36 §).
        # In the grey zone and for an adult under the statutory age only: a great worry still
        # raises it, a child's assessment keeps the child's own promptness (LsL 26 §), and a
        # client of 75 or over is of the statutory group by age as by the question.
        if (
            by_worry is not None and worry is WorryLevel.GREY_ZONE
            and (age is None or CHILD_UNTIL <= age < STATUTORY_AGE)
            and any(when.applies(said, age, worry) for when in protocol.steady_when)
        ):
            by_worry, worry_held = None, "steady"
        if by_worry is not None:
            raised.append(by_worry)
        suggested = Urgency.most_urgent(raised + [protocol.default_urgency], protocol.default_urgency)
        by_combination = {q for when in combined if when.urgency is suggested for q in when.all}
        reasons = tuple(q.id for q in yes if q.if_yes is suggested or q.id in by_combination)
        worry_reason = worry if by_worry is not None and by_worry is suggested else None
    duties = tuple(dict.fromkeys(
        [duty for q in yes for duty in q.duties] + [duty for when in met for duty in when.duties]
    ))  # visible yes only, and the combinations they meet
    duties += tuple(
        duty.id for duty in protocol.duties
        if duty.id not in duties and (duty.min_age is None or age is None or age >= duty.min_age)
        and any(set(combination) <= said for combination in duty.also_when)
    )
    domains = tuple(d.id for d in protocol.domains if any(q.domain == d.id for q in yes))
    if not red_flags:
        any_of = tuple(c for c in protocol.self_care_if_any if c in said)
        if (
            not raised
            and not unanswered
            and (protocol.self_care_if or protocol.self_care_if_any)
            and all(criterion in said for criterion in protocol.self_care_if)
            and (any_of or not protocol.self_care_if_any)
            and not _more_owed(protocol, answers, worry, age, duties, domains, met, statutory_group)
        ):
            suggested, reasons, self_care = (
                Urgency.SELF_CARE, protocol.self_care_if + any_of, True
            )
    return ProtocolResult(
        suggested=suggested,
        reasons=reasons,
        red_flags=red_flags,
        complete=not unanswered,
        unanswered=unanswered,
        duties=duties,
        worry=worry_reason,
        domains=domains,
        statutory_group=statutory_group,
        by_default=not red_flags and not reasons and worry_reason is None,
        self_care=self_care,
        # Said only where the held-back worry would have changed the suggestion.
        worry_held=worry_held if worry_held and not red_flags and not self_care and _worry_would_raise(
            protocol, worry, suggested) else None,
    )


def _worry_would_raise(protocol: Protocol, worry: WorryLevel | None, suggested: Urgency) -> bool:
    level = (protocol.worry_urgency or {}).get(worry) if worry is not None else None
    return level is not None and level.rank < suggested.rank


def _more_owed(
    protocol: Protocol, answers: Mapping[str, bool | None], worry: WorryLevel | None,
    age: int | None, duties: tuple[str, ...], domains: tuple[str, ...], met: list,
    statutory_group: bool,
) -> bool:
    """Do the answers say more is owed than the advice the self-care criteria describe?

    A social contact's `self_care_if` (a client who wants information only and manages once
    informed: advice and guidance, the information given recorded, no service-need assessment
    where it is plainly unnecessary, SHL 1301/2014 36 §) does not hold where the answers show
    a need the law has assessed all the same: a duty (a notification, a safety response), the
    worker's worry in the grey zone or great, a combination of `[[urgency_when]]` met (even
    where information only held its urgency back), the statutory group with a need found (SHL
    36 §: 75 or over - by the age too, as the deadlines count it -, the highest care
    allowance, a child needing special support), or `[[assessed_when]]` (a disabled client who
    cannot take the application forward alone, no money for food, a home being lost, an
    exhausted parent of a family needing support). A child's age alone is not (version 14, the
    review of 6.12.2026: it held the advice path's child at the assessment's limits; a child at
    risk, or whose wellbeing is clearly worse, is held by the duty or `[[urgency_when]]`, and the
    child-welfare consideration is asked all the same). A health protocol asks none of these:
    it has no duties, worry, combinations or statutory group, and its children's self-care stays."""
    if duties or met or worry in (WorryLevel.GREY_ZONE, WorryLevel.GREAT):
        return True
    # The group by the answer, or by the age alone on a social contact (the deadlines count a
    # client of 75 or over as the group even where the question was answered no).
    social = protocol.register is Register.SOCIAL
    if domains and (statutory_group or (social and age is not None and age >= STATUTORY_AGE)):
        return True
    return bool(protocol.assessed_need(answers, worry, age))
