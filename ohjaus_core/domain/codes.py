"""The code lists of one contact: channels, urgencies, segments, outcomes, follow-ups.

Values are stable identifiers stored in the database and sent between devices: never rename
one (devices in the field still send it); add new ones instead. Labels are translatable.
"""

from __future__ import annotations

from enum import StrEnum

from ..i18n import N_, _


class LabelledEnum(StrEnum):
    """A code whose label a person reads in their language."""

    @property
    def label(self) -> str:
        return _(self._labels()[self.value])

    @classmethod
    def _labels(cls) -> dict[str, str]:
        raise NotImplementedError


class Register(LabelledEnum):
    """Client register (rekisteri): health care and social welfare are kept apart."""

    HEALTH = "health"
    SOCIAL = "social"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"health": N_("Health care"), "social": N_("Social welfare")}


class Role(LabelledEnum):
    NURSE = "nurse"
    COUNSELLOR = "counsellor"
    TEAM_LEAD = "team_lead"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "nurse": N_("Nurse"),
            "counsellor": N_("Social counsellor"),
            "team_lead": N_("Team lead"),
        }


class Language(LabelledEnum):
    """Language of service (asiointikieli): the client has a right to Finnish or Swedish."""

    FI = "fi"
    SV = "sv"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"fi": N_("Finnish"), "sv": N_("Swedish")}


class Channel(LabelledEnum):
    """How the contact came in (yhteydenottokanava)."""

    PHONE = "phone"
    CHAT = "chat"
    E_SERVICE = "e_service"
    WALK_IN = "walk_in"
    MOBILE_POINT = "mobile_point"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "phone": N_("Phone"),
            "chat": N_("Chat"),
            "e_service": N_("E-service"),
            "walk_in": N_("Walk-in"),
            "mobile_point": N_("Mobile service point"),
        }


class ServiceArea(LabelledEnum):
    """The guidance line the need belongs to."""

    HEALTH = "health"
    ORAL_HEALTH = "oral_health"
    MENTAL_SUBSTANCE = "mental_substance"
    FAMILY = "family"
    WORKING_AGE = "working_age"
    OLDER_PEOPLE = "older_people"
    DISABILITY = "disability"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "health": N_("Health care"),
            "oral_health": N_("Oral health"),
            "mental_substance": N_("Mental health and substance use"),
            "family": N_("Families and children"),
            "working_age": N_("Working-age adults (social)"),
            "older_people": N_("Older people"),
            "disability": N_("Disability services"),
        }

    @property
    def register(self) -> Register:
        health = {ServiceArea.HEALTH, ServiceArea.ORAL_HEALTH, ServiceArea.MENTAL_SUBSTANCE}
        return Register.HEALTH if self in health else Register.SOCIAL


class Urgency(LabelledEnum):
    """Urgency (kiireellisyys), most urgent first."""

    EMERGENCY = "emergency"
    SAME_DAY = "same_day"
    THREE_DAYS = "three_days"
    NON_URGENT = "non_urgent"
    SELF_CARE = "self_care"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "emergency": N_("Emergency now (112)"),
            "same_day": N_("Same day"),
            "three_days": N_("Within 3 working days"),
            "non_urgent": N_("Non-urgent, within the care guarantee"),
            "self_care": N_("Self-care and advice"),
        }

    def worded(self, register: "Register | str | None") -> str:
        """The label in the words of the register: social work has no care guarantee but the
        service-need assessment's own limits (Social Welfare Act 36 §)."""
        if register is not None and Register(register) is Register.SOCIAL:
            social = _SOCIAL_URGENCY.get(self.value)
            if social:
                return _(social)
        return self.label

    @property
    def rank(self) -> int:
        """0 is the most urgent."""
        return list(Urgency).index(self)

    @classmethod
    def most_urgent(cls, urgencies: "list[Urgency]", default: "Urgency") -> "Urgency":
        return min(urgencies, key=lambda u: u.rank) if urgencies else default


_SOCIAL_URGENCY = {
    "same_day": N_("Urgent: the need assessed at once"),
    "three_days": N_("Within 3 working days: the service-need assessment"),
    "non_urgent": N_("Non-urgent: the service-need assessment without undue delay"),
    "self_care": N_("Advice and guidance"),
}


class Segment(LabelledEnum):
    """Client segment (asiakassegmentti): the three paths."""

    ADVICE = "advice"
    CLEAR_NEED = "clear_need"
    COMPLEX_NEED = "complex_need"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "advice": N_("Advice and guidance need"),
            "clear_need": N_("Clear need for service or care"),
            "complex_need": N_("Complex or long-term need"),
        }

    def worded(self, register: "Register | str | None") -> str:
        """The label in the words of the register: a social contact speaks of the need for
        services (palvelutarve, Social Welfare Act 36 §), not of care."""
        if register is not None and Register(register) is Register.SOCIAL and self is Segment.CLEAR_NEED:
            return _("Clear need for services")
        return self.label


class Caller(LabelledEnum):
    """Who called or came on a contact (issue 16): the client, or someone about the client - a
    notification is often made about a person who is not the caller."""

    CLIENT = "client"
    RELATIVE = "relative"
    NEIGHBOUR = "neighbour"
    PROFESSIONAL = "professional"
    OTHER = "other"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "client": N_("The client"),
            "relative": N_("A relative or close person"),
            "neighbour": N_("A neighbour"),
            "professional": N_("A professional (school, health, police)"),
            "other": N_("Someone else"),
        }


class HighNeedTrigger(LabelledEnum):
    """Triggers (herätteet) for recognising a high-need client."""

    WORRY = "worry"
    UNCLEAR_CORE = "unclear_core"
    REPEATED_CONTACTS = "repeated_contacts"
    MISSED_APPOINTMENTS = "missed_appointments"
    ADDICTION_SUSPECTED = "addiction_suspected"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "worry": N_("Worry about the client, or help seems not enough"),
            "unclear_core": N_("The problem is not clear-cut; the core cannot be reached"),
            "repeated_contacts": N_("Repeated or unplanned contacts for vague reasons"),
            "missed_appointments": N_("Repeatedly missed appointments without cancelling"),
            "addiction_suspected": N_("Suspicion of addictive behaviour"),
        }


class WorryLevel(LabelledEnum):
    """The worker's level of worry (huolen vyöhykkeet) in a social service-need assessment."""

    NONE = "none"
    SMALL = "small"
    GREY_ZONE = "grey_zone"
    GREAT = "great"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "none": N_("No worry"),
            "small": N_("Small worry"),
            "grey_zone": N_("Grey zone of worry"),
            "great": N_("Great worry"),
        }


class PlanType(LabelledEnum):
    """The plan made for a high-need client (seed 001)."""

    CARE_PLAN = "care_plan"
    CLIENT_PLAN = "client_plan"
    SERVICE_PLAN = "service_plan"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "care_plan": N_("Health and care plan"),
            "client_plan": N_("Client plan (social welfare)"),
            "service_plan": N_("Service plan"),
        }


class OutcomeKind(LabelledEnum):
    ADVICE = "advice"
    BOOKING = "booking"
    REFERRAL = "referral"
    EMERGENCY = "emergency"
    # A statutory notification or a safety response made, and nothing else (issue 16).
    DUTY = "duty"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "duty": N_("Notification or safety response made"),
            "advice": N_("Advice given"),
            "booking": N_("Booking into a slot"),
            "referral": N_("Referral to a service or authority"),
            "emergency": N_("Emergency redirect (112 / emergency department)"),
        }


class Handover(LabelledEnum):
    WARM = "warm"
    COLD = "cold"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "warm": N_("Warm hand-over (worker contacts the service)"),
            "cold": N_("Cold hand-over (client contacts the service)"),
        }


class NotifiedBy(LabelledEnum):
    """How a statutory notification or a safety response was made (issue 16)."""

    PHONE = "phone"
    EFORM = "eform"
    IN_PERSON = "in_person"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"phone": N_("By phone"), "eform": N_("E-form"), "in_person": N_("In person")}


class FollowUpKind(LabelledEnum):
    NONE = "none"
    CALLBACK = "callback"
    CHECK_REFERRAL = "check_referral"
    CHECK_VISIT = "check_visit"
    REBOOK = "rebook"
    # Made at signing for every duty made: the receiving authority got the notification.
    CONFIRM_DUTY = "confirm_duty"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "none": N_("No follow-up"),
            "callback": N_("Call the client back"),
            "check_referral": N_("Check that the referral was taken up"),
            "check_visit": N_("Check how the visit went"),
            "rebook": N_("Booking needs rebooking"),
            "confirm_duty": N_("Confirm the notification was received"),
        }


class FollowUpStatus(LabelledEnum):
    PLANNED = "planned"  # written in a draft; becomes open when the contact is signed
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "planned": N_("Planned"),
            "open": N_("Open"),
            "done": N_("Done"),
            "cancelled": N_("Cancelled"),
        }


class BookingStatus(LabelledEnum):
    """A booked visit's status, after the Finnish scheduling vocabulary (ajanvarauksen tila):
    varattu, peruttu, siirretty, toteutunut, ei saapunut. `moved` is the state of a time the
    visit was moved from; the visit itself is then booked at its new time."""

    BOOKED = "booked"  # varattu
    CANCELLED = "cancelled"  # peruttu: the time is given back
    MOVED = "moved"  # siirretty: an earlier time of a visit moved to another
    DONE = "done"  # toteutunut
    NO_SHOW = "no_show"  # ei saapunut: did not come and did not cancel (a high-need trigger)

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "booked": N_("Visit booked"),
            "cancelled": N_("Visit cancelled"),
            "moved": N_("Visit moved"),
            "done": N_("Visit done"),
            "no_show": N_("Did not come"),
        }


class ContactStatus(LabelledEnum):
    DRAFT = "draft"
    SIGNED = "signed"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"draft": N_("Draft"), "signed": N_("Signed")}
