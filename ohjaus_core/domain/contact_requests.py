"""Digital contact requests (sähköinen yhteydenottopyyntö) from an e-service form.

An Omaolo- or Klinik-style symptom form arrives at the central API (`POST /v1/contact-requests`)
either as a plain object or as a FHIR R4 QuestionnaireResponse. Both become one
`CallbackRequest` with origin "e_service": the reason in the citizen's words, their yes/no
answers keyed by protocol question id where the id is a protocol's, every other answer kept
as text (never lost), their own urgency estimate, the reply they want (a call back or a
message), who they are (identity code, name, phone: each may be missing), when they sent it,
and the e-service's own id (the idempotency key).

Plain form: {"id", "submitted_at", "reason", "answers": {question id: true/false/"yes"/"no"},
"own_urgency", "contact_preference", "identity_code", "name", "phone", "unit", "register",
"language", "protocol"}.

FHIR: resourceType "QuestionnaireResponse"; the id is `identifier.value`, else `id`; the time
`authored`; the client `subject.identifier` with the Finnish identity code's system
urn:oid:1.2.246.21 and `subject.display`; `item[].linkId` with `answer[].valueBoolean`,
`valueString` or `valueCoding.code` (nested items are read too). The linkIds `reason`,
`own_urgency`, `contact_preference`, `phone` and `name` carry those fields; `questionnaire`
may end in a protocol id.

Problems are (field, what is wrong), every one of them; an answer to an unknown question is
not a problem but a note (the caller is told it was kept as text).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..i18n import N_, _
from .callbacks import MAX_REASON, CallbackRequest, check_row
from .codes import Urgency
from .protocol_finder import find_protocols
from .protocols.model import Protocol, visible_questions

HETU_SYSTEM = "urn:oid:1.2.246.21"
REPLY_LABELS = {"call_back": N_("Call back"), "message": N_("Message")}  # how the client wants the reply
SOURCE_PREFIX = "e-service:"  # a request's source: apart from the phone system's ids
MAX_ANSWERS = 200
FIELDS = (
    "id", "submitted_at", "reason", "answers", "own_urgency", "contact_preference", "identity_code", "name",
    "phone", "unit", "register", "language", "protocol",
)
_SPECIAL = ("reason", "own_urgency", "contact_preference", "phone", "name")
_YES = {"true", "yes", "y", "kyllä", "k", "ja", "1"}
_NO = {"false", "no", "n", "ei", "e", "nej", "0"}
# Words an e-service uses for its own urgency scale, as the levels of ohjaus.
_URGENCY_WORDS = {
    "emergency": Urgency.EMERGENCY, "urgent": Urgency.SAME_DAY, "same_day": Urgency.SAME_DAY,
    "three_days": Urgency.THREE_DAYS, "non_urgent": Urgency.NON_URGENT, "self_care": Urgency.SELF_CARE,
}
_PREFERENCE_WORDS = {"call_back": "call_back", "call": "call_back", "phone": "call_back", "message": "message"}


@dataclass
class Parsed:
    request: CallbackRequest | None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, what is wrong)
    notes: list[str] = field(default_factory=list)  # answers kept as text, and why


def _yes_no(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in _YES:
        return True
    if isinstance(value, str) and value.strip().casefold() in _NO:
        return False
    return None


def _fhir_value(answer) -> object:
    """The value of one FHIR answer: valueBoolean, valueString or valueCoding's code (then its
    display), else the first value[x] as it is."""
    if not isinstance(answer, dict):
        return None
    if "valueBoolean" in answer:
        return answer["valueBoolean"]
    if "valueString" in answer:
        return answer["valueString"]
    coding = answer.get("valueCoding")
    if isinstance(coding, dict):
        return coding.get("code") or coding.get("display")
    for key, value in answer.items():
        if key.startswith("value"):
            return value
    return None


def _flatten(items, path: str, out: list, problems: list, depth: int = 0) -> None:
    if not isinstance(items, list):
        problems.append((path, _("{field} must be a list").format(field=path)))
        return
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("linkId"), str) or not item["linkId"].strip():
            problems.append((where, _("an item needs its linkId")))
            continue
        answers = item.get("answer") or []
        if not isinstance(answers, list):
            problems.append((where + ".answer", _("{field} must be a list").format(field="answer")))
            continue
        values = [_fhir_value(a) for a in answers]
        if values:
            out.append((item["linkId"].strip(), values[0] if len(values) == 1 else values, item.get("text") or ""))
        if depth < 5:
            if item.get("item"):
                _flatten(item["item"], where + ".item", out, problems, depth + 1)
            for a_index, answer in enumerate(answers):
                if isinstance(answer, dict) and answer.get("item"):
                    _flatten(answer["item"], f"{where}.answer[{a_index}].item", out, problems, depth + 1)


def from_fhir(body: Mapping) -> tuple[dict, list[tuple[str, str]]]:
    """A QuestionnaireResponse as the plain form, with any problem of its shape."""
    problems: list[tuple[str, str]] = []
    identifier = body.get("identifier")
    source = identifier.get("value") if isinstance(identifier, dict) else None
    form: dict = {"id": source or body.get("id"), "submitted_at": body.get("authored")}
    subject = body.get("subject")
    if subject is not None:
        if not isinstance(subject, dict):
            problems.append(("subject", _("subject must be an object")))
        else:
            ident = subject.get("identifier")
            if isinstance(ident, dict) and ident.get("value"):
                if ident.get("system") not in (None, HETU_SYSTEM):
                    problems.append(("subject.identifier.system", _(
                        "only the Finnish identity code ({system}) identifies the client").format(system=HETU_SYSTEM)))
                else:
                    form["identity_code"] = ident["value"]
            if subject.get("display"):
                form["name"] = subject["display"]
    questionnaire = body.get("questionnaire")
    if isinstance(questionnaire, str) and questionnaire.strip():
        form["protocol"] = questionnaire.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].split("|")[0]
    flat: list = []
    _flatten(body.get("item") or [], "item", flat, problems)
    answers: dict = {}
    for link_id, value, text in flat:
        if link_id in _SPECIAL:
            form[link_id] = value
        else:
            answers[link_id] = (value, text)
    form["answers"] = answers
    return form, problems


def parse_contact_request(body, questions: Collection[str], protocols: Collection[str] = ()) -> Parsed:
    """One request from a form (plain or FHIR). `questions`: the protocol question ids an
    answer may be keyed by; `protocols`: the protocol ids a form may name."""
    if not isinstance(body, dict):
        return Parsed(None, [("", _("a contact request is a JSON object"))])
    notes: list[str] = []
    if body.get("resourceType") == "QuestionnaireResponse":
        form, problems = from_fhir(body)
        raw_answers = form.get("answers", {})
    else:
        problems = []
        unknown = sorted(str(k) for k in body if k not in FIELDS and k != "resourceType")
        if "resourceType" in body:
            problems.append(("resourceType", _("only a QuestionnaireResponse is read")))
        if unknown:
            problems.append(("", _("unknown fields: {names}").format(names=", ".join(unknown[:10]))))
        form = dict(body)
        raw = body.get("answers") or {}
        if not isinstance(raw, dict):
            problems.append(("answers", _("answers is an object: question id to yes or no")))
            raw = {}
        raw_answers = {str(k): (v, "") for k, v in raw.items()}
    answers: dict[str, bool] = {}
    other: list[str] = []
    if len(raw_answers) > MAX_ANSWERS:
        problems.append(("answers", _("at most {n} answers").format(n=MAX_ANSWERS)))
        raw_answers = {}
    for question, (value, text) in raw_answers.items():
        yes = _yes_no(value)
        if question in questions and yes is not None:
            answers[question] = yes
            continue
        shown = value if isinstance(value, str) else ("yes" if value is True else "no" if value is False else str(value))
        other.append(f"{text or question}: {shown}"[:500])
        if question in questions:
            notes.append(_("answer to {id} is not yes or no: kept as text").format(id=question[:60]))
        else:
            notes.append(_("{id} is not a question of the protocols: the answer is kept as text").format(id=question[:60]))

    for key in ("id", "submitted_at", "reason"):
        if not str(form.get(key) or "").strip():
            where = {"submitted_at": "authored", "id": "identifier.value"}.get(key, key) if "resourceType" in body else key
            problems.append((where, _("{column} is missing").format(column=where)))
    own = str(form.get("own_urgency") or "").strip().casefold()
    if own and own not in _URGENCY_WORDS:
        problems.append(("own_urgency", _("own_urgency must be one of {values}").format(values=", ".join(_URGENCY_WORDS))))
    preference_given = str(form.get("contact_preference") or "call_back").strip().casefold()
    preference = _PREFERENCE_WORDS.get(preference_given)
    if preference is None:
        problems.append(("contact_preference", _("contact_preference must be call_back or message")))
    phone = str(form.get("phone") or "").strip()
    if preference == "call_back" and not phone:
        problems.append(("phone", _("a call back needs the phone number")))
    protocol = str(form.get("protocol") or "").strip()
    if protocol and protocol not in protocols:
        notes.append(_("{id} is not a protocol: the protocol is chosen from the answers").format(id=protocol[:60]))
        protocol = ""
    row = {
        "requested_at": form.get("submitted_at"), "phone": phone or "+358401234567", "name": form.get("name"),
        "reason": form.get("reason"), "identity_code": form.get("identity_code"), "id": form.get("id"),
        "unit": form.get("unit"), "register": form.get("register"), "language": form.get("language"),
    }
    request, row_problems = check_row(1, row)
    renamed = {"requested_at": "submitted_at"}
    if "resourceType" in body:
        renamed = {"requested_at": "authored", "identity_code": "subject.identifier.value", "name": "subject.display"}
    for where, what in row_problems:
        if not phone and where == "phone":
            continue  # (no number given: the placeholder's)
        if where in ("requested_at", "id", "reason") and any(w == renamed.get(where, where) for w, _p in problems):
            continue  # already said: missing
        problems.append((renamed.get(where, where), what))
    other_text = "\n".join(other)
    if request is not None and len(request.reason) + len(other_text) > MAX_REASON * 2:
        problems.append(("answers", _("the answers kept as text are too long")))
    if problems or request is None:
        return Parsed(None, problems, notes)
    return Parsed(replace(
        request, phone=request.phone if phone else "", source=SOURCE_PREFIX + request.source, origin="e_service",
        answers=answers, other_answers=other_text, own_urgency=_URGENCY_WORDS[own].value if own else "",
        preference=preference, protocol_id=protocol,
    ), [], notes)



# -- on the device: the contact a request opens -------------------------------------------


def choose_protocol(
    protocols: Sequence[Protocol], answers: Mapping[str, bool], reason: str, named: str = "", age: int | None = None,
) -> Protocol | None:
    """The protocol a request is assessed with: the one the form named, else the one whose own
    questions (not the shared life threats) the client answered most (the reason's words
    decide between equals), else the best for the reason's words; None when nothing fits
    (the worker chooses)."""
    by_id = {p.id: p for p in protocols}
    if named in by_id:
        return by_id[named]
    counts = {p.id: sum(1 for q in p.questions if not q.life_threat and q.id in answers) for p in protocols}
    most = max(counts.values(), default=0)
    # Several with as many answers (a question several protocols share): the reason decides.
    candidates = [p for p in protocols if counts[p.id] == most] if most else list(protocols)
    found = find_protocols(candidates, reason, age)
    if found:
        return found[0]
    if most < 2:  # one answer (a shared question) says less than the reason's words
        found = find_protocols(list(protocols), reason, age)
        if found:
            return found[0]
    return candidates[0] if most else None


def prefill(protocol: Protocol, answers: Mapping[str, bool]) -> dict[str, bool]:
    """The client's answers to the questions this protocol asks (a follow-up question only
    when the answer it depends on is there and yes, as the question list shows them)."""
    own = {q.id: answers[q.id] for q in protocol.questions if q.id in answers and not q.nurse_concern}
    shown = {q.id for q in visible_questions(protocol, own)}
    return {qid: yes for qid, yes in own.items() if qid in shown}


def unasked(protocols: Sequence[Protocol], asked: Mapping[str, bool], answers: Mapping[str, bool]) -> str:
    """The client's answers to questions the chosen protocol does not ask, as text lines
    ("question: yes"), so that none is lost from sight."""
    texts = {q.id: q.text for p in protocols for q in p.questions}
    return "\n".join(
        f"{texts.get(qid, qid)}: {_('Yes') if yes else _('No')}" for qid, yes in answers.items() if qid not in asked
    )


def reason_with_answers(reason: str, other_answers: str) -> str:
    """The reason as the client wrote it, and what they answered that no question asks."""
    if not other_answers.strip():
        return reason
    return f"{reason}\n{_('Other answers in the form:')}\n{other_answers}"
