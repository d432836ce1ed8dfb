"""One contact (yhteydenotto) from first word to signature, as plain data.

The contact flow screen edits a `ContactDraft`; the store saves it after every step and
signs it at the end. What each step needs before the worker may go on is decided here, so
the screens, the headless demo generator and the tests share one rule.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import IntEnum

from ..i18n import N_, _
from .text import free_text
from .codes import (
    Caller,
    Channel,
    FollowUpKind,
    Handover,
    HighNeedTrigger,
    Language,
    NotifiedBy,
    OutcomeKind,
    PlanType,
    Segment,
    ServiceArea,
    Urgency,
    WorryLevel,
)


_seeded: ContextVar[random.Random | None] = ContextVar("seeded_ids", default=None)


def new_id() -> str:
    """Record ids are UUIDs made on the device, so records can be created offline."""
    rng = _seeded.get()
    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@contextmanager
def seeded_ids(seed: str) -> Iterator[None]:
    """Repeatable ids (demo data): two demo devices made with one seed hold the same
    records under the same ids, so syncing both sends the central API nothing twice."""
    token = _seeded.set(random.Random(seed))
    try:
        yield
    finally:
        _seeded.reset(token)


MAX_REFERRALS = 10


@dataclass(frozen=True)
class Referral:
    """One referral of a contact (ohjaus eteenpäin): its destination, a warm or cold
    hand-over, the client's consent for this destination, or the law that makes it a duty."""

    service_code: str
    handover: Handover
    consent: bool = False
    legal_basis: str = ""

    def as_json(self) -> dict:
        return {
            "service_code": self.service_code, "handover": self.handover.value,
            "consent": self.consent, "legal_basis": self.legal_basis,
        }

    @classmethod
    def from_json(cls, item: dict) -> "Referral":
        return cls(
            item["service_code"], Handover(item["handover"]), bool(item.get("consent", False)),
            item.get("legal_basis", ""),
        )


MAX_DUTIES = 10
MAX_DUTY_TEXT = 500


@dataclass(frozen=True)
class DutyMade:
    """A duty the worker carried out (issue 16): a child-welfare notification (Lastensuojelulaki
    25 §), an older person's notification (Vanhuspalvelulaki 25 §) or an immediate safety
    response. Its own outcome, not a referral: made without anyone's consent, also about a person
    who is not the caller (`about`: a name or a description; "" when it is the client).

    `receiver`: the receiving authority as named (the catalogue's name, or typed);
    `receiver_code`: its catalogue code, or "" when typed; `legal_basis` in the words shown."""

    duty: str
    receiver: str
    made_at: datetime
    method: NotifiedBy
    legal_basis: str
    about: str = ""
    receiver_code: str = ""

    def as_json(self) -> dict:
        return {
            "duty": self.duty, "receiver": self.receiver, "receiver_code": self.receiver_code,
            "made_at": self.made_at.isoformat(), "method": self.method.value,
            "legal_basis": self.legal_basis, "about": self.about,
        }

    @classmethod
    def from_json(cls, item: dict) -> "DutyMade":
        return cls(
            item["duty"], item["receiver"], datetime.fromisoformat(item["made_at"]),
            NotifiedBy(item["method"]), item.get("legal_basis", ""), item.get("about", ""),
            item.get("receiver_code", ""),
        )

    @property
    def key(self) -> str:
        """What one duty made is known by across the versions of a contact."""
        return f"{self.duty}@{self.made_at.isoformat()}"


def duty_problems(duty: DutyMade) -> list[str]:
    """What a duty made must say before it is recorded."""
    problems = []
    if not duty.receiver.strip():
        problems.append(_("Name the authority that received it."))
    if not duty.legal_basis.strip():
        problems.append(_("A duty is recorded with its legal basis."))
    if any(len(t) > MAX_DUTY_TEXT for t in (duty.receiver, duty.about, duty.legal_basis)):
        problems.append(_("A text is longer than {n} characters; shorten it.").format(n=MAX_DUTY_TEXT))
    return problems


class Step(IntEnum):
    """The visible steps of the contact flow, in order."""

    CLIENT = 0
    NEED = 1
    ASSESSMENT = 2
    SEGMENT = 3
    OUTCOME = 4
    FOLLOW_UP = 5
    SUMMARY = 6

    @property
    def label(self) -> str:
        return _(_STEP_LABELS[self])


_STEP_LABELS = {
    Step.CLIENT: N_("Client"),
    Step.NEED: N_("Need"),
    Step.ASSESSMENT: N_("Assessment"),
    Step.SEGMENT: N_("Segment"),
    Step.OUTCOME: N_("Outcome"),
    Step.FOLLOW_UP: N_("Follow-up"),
    Step.SUMMARY: N_("Signature"),
}


@dataclass
class ContactDraft:
    """Everything typed or chosen so far in one contact; saved after every step."""

    worker_id: str
    unit_id: str
    started_at: datetime
    id: str = field(default_factory=new_id)
    version: int = 1
    supersedes_id: str | None = None
    step: Step = Step.CLIENT
    # client
    client_id: str | None = None
    anonymous: bool = False
    language: Language = Language.FI
    # The follow-up this contact was taken for: signing closes it (issue 20).
    for_follow_up_id: str | None = None
    # need
    channel: Channel = Channel.PHONE
    # Who called (issue 16): the client, or a relative, a neighbour, a professional about them;
    # `caller_anonymous`: the caller did not give their name (a notification is still made).
    caller: Caller = Caller.CLIENT
    caller_anonymous: bool = False
    reason: str = ""
    service_area: ServiceArea | None = None
    # assessment (ensiarvio)
    protocol_id: str | None = None
    protocol_version: int | None = None
    answers: dict[str, bool] = field(default_factory=dict)
    red_flags: list[str] = field(default_factory=list)
    suggested_urgency: Urgency | None = None
    urgency: Urgency | None = None
    override_reason: str = ""
    worry_level: WorryLevel | None = None
    # The client's own answers from an e-service form not yet confirmed or changed by the
    # worker (issue 20): shown marked as the client's; signing needs every one confirmed.
    citizen_answers: dict[str, bool] = field(default_factory=dict)
    # How the reply goes to a digital contact request's client: call_back or message.
    reply_channel: str | None = None
    duties: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    # The protocol's safety-netting advice as shown with a non-emergency suggestion, in the
    # language shown: what the caller was told to do if things change. "" when none.
    safety_net: str = ""
    # Set by the assessment step from the protocol (not saved): the protocol asks the worry.
    worry_required: bool = False
    # segment
    suggested_segment: Segment | None = None
    segment: Segment | None = None
    high_need: bool = False
    triggers: list[HighNeedTrigger] = field(default_factory=list)
    plan_type: PlanType | None = None
    named_contact: str | None = None  # "worker:<id>" or "team:<unit id>"
    # outcome
    outcome_kind: OutcomeKind | None = None
    advice_text: str = ""
    slot_id: str | None = None
    service_code: str | None = None
    handover: Handover | None = None
    consent: bool = False
    # Several referrals per contact (substance use, debts and housing: three): the ones made
    # before the one being chosen now (service_code, handover, consent, legal_basis).
    referrals: list[Referral] = field(default_factory=list)
    # The law that makes the hand-over a duty (a statutory notification, e.g. Lastensuojelulaki
    # 25 §), in the language shown: no consent is asked. "" for an ordinary referral.
    legal_basis: str = ""
    # Duties made in this contact (notifications, a safety response): never gated by consent.
    duties_made: list[DutyMade] = field(default_factory=list)
    outcome_note: str = ""
    care_deadline: date | None = None  # the day the booking was measured against
    past_deadline: bool = False
    deadline_reason: str = ""
    # follow-up
    follow_up_kind: FollowUpKind = FollowUpKind.NONE
    follow_up_due: date | None = None
    follow_up_assignee_id: str | None = None
    follow_up_note: str = ""

    FREE_TEXT = ("reason", "override_reason", "advice_text", "outcome_note", "deadline_reason", "follow_up_note")

    def clean_text(self) -> None:
        """The free text as it is stored: hidden characters dropped, lines kept (domain/text.py)."""
        for name in self.FREE_TEXT:
            # Leading and trailing blanks (a pasted tab, a new line) carry nothing: dropped.
            setattr(self, name, free_text(getattr(self, name)).strip())

    @property
    def register(self) -> str | None:
        """The register the contact belongs to, once the service area is chosen."""
        return self.service_area.register.value if self.service_area else None

    @property
    def current_referral(self) -> Referral | None:
        """The referral being chosen, once its destination and hand-over are chosen."""
        if self.service_code is None or self.handover is None:
            return None
        return Referral(self.service_code, self.handover, self.consent, self.legal_basis)

    @property
    def all_referrals(self) -> list[Referral]:
        """Every referral of the contact, in the order made (none unless the outcome is one)."""
        if self.outcome_kind != OutcomeKind.REFERRAL:
            return []
        current = self.current_referral
        return [*self.referrals, *([current] if current else [])]

    def set_referrals(self, referrals: list[Referral]) -> None:
        """As loaded: the last one is the one being chosen, the others made before it."""
        self.referrals = list(referrals[:-1])
        last = referrals[-1] if referrals else None
        self.service_code = last.service_code if last else None
        self.handover = last.handover if last else None
        self.consent = last.consent if last else False
        self.legal_basis = last.legal_basis if last else ""

    @property
    def overridden(self) -> bool:
        return (
            self.urgency is not None
            and self.suggested_urgency is not None
            and self.urgency != self.suggested_urgency
        )

    def as_correction(self) -> "ContactDraft":
        """A new version of a signed contact: same content, new id, back at the client step.

        The contact happened when it happened: `started_at` stays; the version's own time is
        its `updated_at` and `signed_at` in the store."""
        return replace(
            self,
            id=new_id(),
            version=self.version + 1,
            supersedes_id=self.id,
            step=Step.CLIENT,
            answers=dict(self.answers),
            citizen_answers=dict(self.citizen_answers),
            red_flags=list(self.red_flags),
            triggers=list(self.triggers),
            duties=list(self.duties),
            domains=list(self.domains),
            referrals=list(self.referrals),
            duties_made=list(self.duties_made),
        )

    @property
    def high_need_plan(self) -> bool:
        """The complex path with the high-need flag: a plan, a named contact and a follow-up."""
        return self.segment == Segment.COMPLEX_NEED and self.high_need


def device_channel(setting: str | None) -> Channel:
    """The channel a new contact starts with: the device's setting `channel` (a phone line
    `phone`, a walk-in desk `walk_in`, a mobile point `mobile_point`, ...), else the phone."""
    try:
        return Channel(setting) if setting else Channel.PHONE
    except ValueError:
        return Channel.PHONE


MAX_FREE_TEXT = 20_000  # sync/protocol.py MAX_TEXT: the central API's limit for one text


def follow_up_allowed(draft: ContactDraft, kind: FollowUpKind) -> bool:
    """Can the contact be saved with this follow-up? The follow-up step offers only these
    (the walk of 5.12.2026: "No follow-up" suggested, then refused, for a high-need
    unidentified client). A high-need client's situation is followed up; an unidentified
    client cannot be called back, of a health contact as of a social one: no phone number is
    recorded for them, and the callback's line in the worklist would have none to call."""
    if kind == FollowUpKind.NONE:
        return not draft.high_need_plan
    if kind == FollowUpKind.CALLBACK:
        return not draft.anonymous
    return True


def no_callback_reason(draft: ContactDraft) -> str:
    """Why the follow-up step offers no callback (its line under the list), or ""."""
    if follow_up_allowed(draft, FollowUpKind.CALLBACK):
        return ""
    return _("An unidentified client cannot be called back: no phone number is recorded for them. To plan a "
             "callback, choose the client at the client step or add them there as a new client with the "
             "number (Ctrl+T saves without the identity code).")


def step_problems(draft: ContactDraft, step: Step) -> list[str]:
    """What still blocks `step`; an empty list means the worker may go on."""
    problems: list[str] = []
    for name in ContactDraft.FREE_TEXT:
        # The central API refuses a record with a longer text for good: say so now.
        if len(getattr(draft, name)) > MAX_FREE_TEXT:
            problems.append(_("A text is longer than {n} characters; shorten it.").format(n=MAX_FREE_TEXT))
            break
    if step == Step.CLIENT:
        if draft.client_id is None and not draft.anonymous:
            problems.append(_("Choose a client, add a new one, or continue unidentified."))
    elif step == Step.NEED:
        if not draft.reason.strip():
            problems.append(_("Write the reason for contact in the client's words."))
        if draft.service_area is None:
            problems.append(_("Choose the service area."))
    elif step == Step.ASSESSMENT:
        if draft.protocol_id is None:
            problems.append(_("Choose an assessment protocol."))
        elif draft.worry_required and draft.worry_level is None and not draft.red_flags:
            problems.append(_("Choose your level of worry."))
        elif draft.suggested_urgency is None:
            problems.append(_("Answer every question of the protocol."))
        if draft.citizen_answers:
            problems.append(_("Confirm or change the client's own answers (marked): K/Y yes, E/N no."))
        if draft.urgency is None:
            problems.append(_("Choose the urgency."))
        elif draft.overridden and not draft.override_reason.strip():
            problems.append(_("A different urgency than suggested needs a reason."))
    elif step == Step.SEGMENT:
        if draft.segment is None:
            problems.append(_("Choose the segment."))
        elif draft.high_need_plan:
            if draft.plan_type is None:
                problems.append(_("Choose the plan to make for a high-need client."))
            if draft.named_contact is None:
                problems.append(_("Name the worker or team responsible for the client."))
    elif step == Step.OUTCOME:
        problems.extend(_outcome_problems(draft))
    elif step == Step.FOLLOW_UP:
        if draft.follow_up_kind == FollowUpKind.NONE and not follow_up_allowed(draft, FollowUpKind.NONE):
            problems.append(_("A high-need client's situation is followed up: plan a follow-up."))
        if draft.follow_up_kind == FollowUpKind.CALLBACK and not follow_up_allowed(draft, FollowUpKind.CALLBACK):
            # Found in the walk of 5.12.2026: an unidentified client (a neighbour's anonymous
            # call) was suggested a callback; a duty made leaves its own follow-up instead.
            problems.append(no_callback_reason(draft))
        if draft.follow_up_kind != FollowUpKind.NONE:
            if draft.follow_up_due is None:
                problems.append(_("Give the follow-up a due date."))
            if draft.follow_up_assignee_id is None:
                problems.append(_("Choose who does the follow-up."))
    return problems


def _outcome_problems(draft: ContactDraft) -> list[str]:
    kind = draft.outcome_kind
    if kind is None:
        return [_("Choose the outcome.")]
    if draft.red_flags and kind != OutcomeKind.EMERGENCY:
        return [_("A red flag was found: the outcome must be an emergency redirect.")]
    if len(draft.duties_made) > MAX_DUTIES:
        return [_("At most {n} duties in one contact.").format(n=MAX_DUTIES)]
    if kind == OutcomeKind.DUTY and not draft.duties_made:
        return [_("Record the notification or safety response made (F2).")]
    if kind == OutcomeKind.ADVICE and not draft.advice_text.strip():
        return [_("Write the advice given.")]
    if kind == OutcomeKind.BOOKING and draft.anonymous:
        return [_("A booking needs an identified client.")]
    if kind == OutcomeKind.BOOKING and draft.slot_id is None:
        return [_("Choose a slot.")]
    if kind == OutcomeKind.BOOKING and draft.past_deadline and not draft.deadline_reason.strip():
        return [_("The slot is past the deadline: write why.")]
    if kind == OutcomeKind.REFERRAL:
        problems = []
        codes = [r.service_code for r in draft.referrals]
        if draft.service_code is not None and draft.service_code in codes or len(set(codes)) < len(codes):
            problems.append(_("The same service is referred to twice."))
        if len(codes) >= MAX_REFERRALS:
            problems.append(_("At most {n} referrals in one contact.").format(n=MAX_REFERRALS))
        if draft.service_code is None:
            problems.append(_("Choose the service or authority to refer to."))
        if draft.handover is None:
            problems.append(_("Choose a warm or a cold hand-over."))
        elif draft.handover == Handover.WARM and not draft.consent and not draft.legal_basis:
            # A statutory notification is a duty: made without the client's consent, and also
            # about a person who is not the caller (legal_basis is set for it).
            problems.append(_("A warm hand-over needs the client's consent."))
        return problems
    return []


def first_incomplete_step(draft: ContactDraft) -> Step | None:
    """The first step that still has problems, or None when the contact can be signed."""
    for step in Step:
        if step != Step.SUMMARY and step_problems(draft, step):
            return step
    return None
