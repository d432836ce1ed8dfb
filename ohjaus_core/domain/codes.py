"""The code lists of one contact: channels, urgencies, segments, outcomes, follow-ups.

Values are stable identifiers stored in the database and sent between devices: never rename
one (devices in the field still send it); add new ones instead. Labels are translatable.
"""

from __future__ import annotations

from ..i18n import N_, _
# The labelled enum and the two codes the sign-in screen shows, in a module of their own so that
# the first screen does not wait for every code list (start-up, issue 18); the same classes.
from .labelled import LabelledEnum, Register, Role  # noqa: F401

# Under 18 a child: the child-welfare consideration (Lastensuojelulaki 25 §), the child-health
# professions first; one line for every rule that asks.
CHILD_UNTIL = 18
# The statutory group's age (SHL 1301/2014 36 §: a client of 75 or over has the service-need
# assessment started by the 7th working day; a region's region.toml may set the deadline's own).
STATUTORY_AGE = 75
# From this age a social contact is about older people's services by default (Vanhuspalvelulaki
# 980/2012 3 §: the older population is that of the age entitling to the old-age pension); the
# worker can choose another service area.
OLDER_PEOPLE_FROM = 65


class Language(LabelledEnum):
    """Language of service (asiointikieli): the client has a right to Finnish or Swedish."""

    FI = "fi", N_("Finnish")
    SV = "sv", N_("Swedish")


class Channel(LabelledEnum):
    """How the contact came in (yhteydenottokanava)."""

    PHONE = "phone", N_("Phone")
    CHAT = "chat", N_("Chat")
    E_SERVICE = "e_service", N_("E-service")
    WALK_IN = "walk_in", N_("Walk-in")
    MOBILE_POINT = "mobile_point", N_("Mobile service point")


class ServiceArea(LabelledEnum):
    """The guidance line the need belongs to."""

    HEALTH = "health", N_("Health care")
    ORAL_HEALTH = "oral_health", N_("Oral health")
    MENTAL_SUBSTANCE = "mental_substance", N_("Mental health and substance use")
    FAMILY = "family", N_("Families and children")
    WORKING_AGE = "working_age", N_("Working-age adults (social)")
    OLDER_PEOPLE = "older_people", N_("Older people")
    DISABILITY = "disability", N_("Disability services")

    @property
    def register(self) -> Register:
        health = {ServiceArea.HEALTH, ServiceArea.ORAL_HEALTH, ServiceArea.MENTAL_SUBSTANCE}
        return Register.HEALTH if self in health else Register.SOCIAL


class Urgency(LabelledEnum):
    """Urgency (kiireellisyys), most urgent first."""

    EMERGENCY = "emergency", N_("Emergency now (112)")
    SAME_DAY = "same_day", N_("Same day")
    THREE_DAYS = "three_days", N_("Within 3 working days")
    NON_URGENT = "non_urgent", N_("Non-urgent, within the care guarantee")
    SELF_CARE = "self_care", N_("Self-care and advice")

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

    ADVICE = "advice", N_("Advice and guidance need")
    CLEAR_NEED = "clear_need", N_("Clear need for service or care")
    COMPLEX_NEED = "complex_need", N_("Complex or long-term need")

    def worded(self, register: "Register | str | None") -> str:
        """The label in the words of the register: a social contact speaks of the need for
        services (palvelutarve, Social Welfare Act 36 §), not of care."""
        if register is not None and Register(register) is Register.SOCIAL and self is Segment.CLEAR_NEED:
            return _("Clear need for services")
        return self.label


class Caller(LabelledEnum):
    """Who called or came on a contact (issue 16): the client, or someone about the client - a
    notification is often made about a person who is not the caller."""

    CLIENT = "client", N_("The client")
    RELATIVE = "relative", N_("A relative or close person")
    NEIGHBOUR = "neighbour", N_("A neighbour")
    PROFESSIONAL = "professional", N_("A professional (school, health, police)")
    OTHER = "other", N_("Someone else")


class HighNeedTrigger(LabelledEnum):
    """Triggers (herätteet) for recognising a high-need client."""

    WORRY = "worry", N_("Worry about the client, or help seems not enough")
    UNCLEAR_CORE = "unclear_core", N_("The problem is not clear-cut; the core cannot be reached")
    REPEATED_CONTACTS = "repeated_contacts", N_("Repeated or unplanned contacts for vague reasons")
    MISSED_APPOINTMENTS = (
        "missed_appointments", N_("Repeatedly missed appointments without cancelling")
    )
    ADDICTION_SUSPECTED = "addiction_suspected", N_("Suspicion of addictive behaviour")


class WorryLevel(LabelledEnum):
    """The worker's level of worry (huolen vyöhykkeet) in a social service-need assessment."""

    NONE = "none", N_("No worry")
    SMALL = "small", N_("Small worry")
    GREY_ZONE = "grey_zone", N_("Grey zone of worry")
    GREAT = "great", N_("Great worry")


class PlanType(LabelledEnum):
    """The plan made for a high-need client (seed 001)."""

    CARE_PLAN = "care_plan", N_("Health and care plan")
    CLIENT_PLAN = "client_plan", N_("Client plan (social welfare)")
    SERVICE_PLAN = "service_plan", N_("Service plan")


class OutcomeKind(LabelledEnum):
    ADVICE = "advice", N_("Advice given")
    BOOKING = "booking", N_("Booking into a slot")
    REFERRAL = "referral", N_("Referral to a service or authority")
    EMERGENCY = "emergency", N_("Emergency redirect (112 / emergency department)")
    # A statutory notification or a safety response made, and nothing else (issue 16).
    DUTY = "duty", N_("Notification or safety response made")

    def worded(self, register: "Register | str | None", assessment_owed: bool = False) -> str:
        """The label in the words of the register: a social contact's emergency is 112 or the
        social emergency services (sosiaalipäivystys, Social Welfare Act 29 §), not care.
        `assessment_owed`: the service-need assessment's limit stands (SHL 36 §): advice given
        is not all that is owed (the walk of 6.12.2026), and the label says so."""
        if register is not None and Register(register) is Register.SOCIAL and self is OutcomeKind.EMERGENCY:
            return _("Emergency redirect (112 / social emergency services)")
        if assessment_owed and self is OutcomeKind.ADVICE:
            return _("Advice given; the service-need assessment still to start")
        return self.label

    @property
    def short(self) -> str:
        """A word or two for a column (the client's history at 80 columns)."""
        return _(_SHORT_OUTCOME[self.value])


_SHORT_OUTCOME = {
    "advice": N_("Advice given"),
    "booking": N_("Slot booked"),
    "referral": N_("Referred onward"),
    "emergency": N_("Redirected"),
    "duty": N_("Duty made"),
}


class Handover(LabelledEnum):
    WARM = "warm", N_("Warm hand-over (worker contacts the service)")
    COLD = "cold", N_("Cold hand-over (client contacts the service)")


class NotifiedBy(LabelledEnum):
    """How a statutory notification or a safety response was made (issue 16)."""

    PHONE = "phone", N_("By phone")
    EFORM = "eform", N_("E-form")
    IN_PERSON = "in_person", N_("In person")


class FollowUpKind(LabelledEnum):
    NONE = "none", N_("No follow-up")
    CALLBACK = "callback", N_("Call the client back")
    CHECK_REFERRAL = "check_referral", N_("Check that the referral was taken up")
    CHECK_VISIT = "check_visit", N_("Check how the visit went")
    REBOOK = "rebook", N_("Booking needs rebooking")
    # Made at signing for every duty made: the receiving authority got the notification.
    CONFIRM_DUTY = "confirm_duty", N_("Confirm the notification was received")


class FollowUpStatus(LabelledEnum):
    PLANNED = "planned", N_("Planned")  # written in a draft; open when the contact is signed
    OPEN = "open", N_("Open")
    DONE = "done", N_("Done")
    CANCELLED = "cancelled", N_("Cancelled")


class BookingStatus(LabelledEnum):
    """A booked visit's status, after the Finnish scheduling vocabulary (ajanvarauksen tila):
    varattu, peruttu, siirretty, toteutunut, ei saapunut. `moved` is the state of a time the
    visit was moved from; the visit itself is then booked at its new time."""

    BOOKED = "booked", N_("Visit booked")  # varattu
    CANCELLED = "cancelled", N_("Visit cancelled")  # peruttu: the time is given back
    MOVED = "moved", N_("Visit moved")  # siirretty: an earlier time of a visit moved to another
    DONE = "done", N_("Visit done")  # toteutunut
    # ei saapunut: did not come and did not cancel (a high-need trigger)
    NO_SHOW = "no_show", N_("Did not come")


class ContactStatus(LabelledEnum):
    DRAFT = "draft", N_("Draft")
    SIGNED = "signed", N_("Signed")

