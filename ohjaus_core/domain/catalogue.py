"""The referral catalogue (palveluvalikoima): services and partner authorities to refer to.

Shipped as `data/services.toml`, editable by a region, read strictly like the protocols.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import N_, _, localized
from .codes import CHILD_UNTIL, LabelledEnum, Register, ServiceArea
from .datafile import Fields, Source, load_toml
from .errors import DataFileError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .protocols.model import Protocol

ANY_REGISTER = "any"


class ServiceKind(LabelledEnum):
    SERVICE = "service", N_("Service of the sote-centre")
    AUTHORITY = "authority", N_("Authority")
    PARTNER = "partner", N_("Partner (NGO, parish, other)")


@dataclass(frozen=True)
class Service:
    """A service, authority or partner that a client can be referred to (ohjaus eteenpäin).

    `register` is None for a service of both registers ("any" in the file).
    `warm_handover`: the worker can hand the client over in person (lämmin saattaen siirto).
    `duty`: the statutory notification this service receives (a child-welfare notification,
    Lastensuojelulaki 25 §; an older person's, Vanhuspalvelulaki 25 §). A notification is a
    duty, made without the client's consent and also about someone who is not the caller;
    `legal_basis` is the law recorded with it.
    """

    code: str
    kind: ServiceKind
    register: Register | None
    service_areas: tuple[ServiceArea, ...]
    names: dict[str, str]
    descriptions: dict[str, str]
    contact: str
    warm_handover: bool
    duty: str | None = None
    legal_bases: dict[str, str] | None = None
    # The need domains it serves (the social protocol's domain ids) and the ages it is for
    # (inclusive; None: no bound): the referral step lists the fitting services first.
    domains: tuple[str, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    # The social protocol's questions whose yes makes this service the first answer (no money
    # for food: Kela's basic social assistance, decided by the next working day in an urgent
    # case, ToimTukiL 14 §), ahead of the services that fit only the domain; such a service fits
    # even where no domain was found (the statutory group: older people's guidance).
    first_for: tuple[str, ...] = ()
    # Combinations of the social protocol's questions (each a tuple, every one yes; an item
    # "!id" one that is not) that name it first as one `first_for` question does: a client whose disability limits daily life and
    # who is being exploited is disability services' first (not Kela's for the money taken).
    first_when: tuple[tuple[str, ...], ...] = ()
    # Takes a contact without the person's name (a helpline, an NGO): first for an unidentified
    # client, to whom a referral can only be a place they contact themselves.
    anonymous: bool = False
    # The social protocol's questions whose yes names it first where the answers find no need
    # domain (instead of the file's order): a long-lasting difficulty with nothing else found
    # (long-term unemployment) is adult social work's, not Kela's by the order of the file.
    fallback_for: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return localized(self.names)

    @property
    def description(self) -> str:
        return localized(self.descriptions)

    @property
    def legal_basis(self) -> str:
        """The law that makes a hand-over to this service a duty, in the language shown."""
        return localized(self.legal_bases) if self.legal_bases else ""

    def fits_age(self, age: int | None) -> bool:
        if age is None:
            return True
        return (self.min_age is None or age >= self.min_age) and (self.max_age is None or age <= self.max_age)

    @property
    def ages(self) -> str:
        """"18+", "13-29", "" (for all ages)."""
        if self.min_age is None and self.max_age is None:
            return ""
        if self.max_age is None:
            return f"{self.min_age}+"
        return f"{self.min_age or 0}\u2013{self.max_age}"

    def serves(self, register: Register) -> bool:
        return self.register is None or self.register is register


SERVICE_FIELDS = (
    "code", "kind", "register", "service_areas", "name", "description", "contact",
    "warm_handover", "duty", "legal_basis", "domains", "min_age", "max_age", "first_for",
    "anonymous", "first_when", "fallback_for",
)
# The fields that only order the referral step's list (which services come first): a reader of
# an earlier version that does not know one may leave it out and still list every service,
# in the file's order. The central API sends this list with the region's catalogue, so a
# device of an earlier version keeps reading the catalogue a region extends with such a field
# (docs/sync.md, "A catalogue newer than the device"); any other field it does not know (a
# duty, a register: what a referral must get right) still refuses the whole catalogue.
# A field added here later is added to this list when it, too, only orders the list.
OPTIONAL_FIELDS = ("domains", "min_age", "max_age", "first_for", "first_when", "anonymous", "fallback_for")


def _read_service(fields: Fields, may_ignore: "Iterable[str]" = ()) -> Service:
    fields.only(*SERVICE_FIELDS, *may_ignore)
    code = fields.identifier("code")
    kind = fields.choice("kind", ServiceKind)
    register_value = fields.string("register")
    register: Register | None = None
    if register_value != ANY_REGISTER:
        register = fields.parse("register", Register, register_value)
    service_areas = fields.choices("service_areas", ServiceArea)
    if register is not None:
        for area in service_areas:
            if area.register is not register:
                raise fields.error(
                    lambda: _(
                        "service area '{area}' belongs to the {other} register, not {register}"
                        " (use register = \"any\")"
                    ).format(area=area.value, other=area.register.value, register=register.value),
                    "service_areas",
                )
    names = fields.texts("name")
    descriptions = fields.texts("description")
    contact = fields.string("contact")
    warm_handover = fields.boolean("warm_handover")
    duty = fields.identifier("duty") if fields.has("duty") else None
    legal_bases = fields.texts("legal_basis") if fields.has("legal_basis") else None
    if (duty is None) != (legal_bases is None):
        raise fields.error(lambda: _("a statutory notification needs both `duty` and `legal_basis`"), "duty")
    domains = fields.strings("domains") if fields.has("domains") else ()
    min_age = fields.integer("min_age", minimum=0) if fields.has("min_age") else None
    max_age = fields.integer("max_age", minimum=0) if fields.has("max_age") else None
    if min_age is not None and max_age is not None and min_age > max_age:
        raise fields.error(lambda: _("'min_age' is above 'max_age'"), "min_age")
    first_for = fields.strings("first_for") if fields.has("first_for") else ()
    anonymous = fields.boolean("anonymous") if fields.has("anonymous") else False
    first_when = fields.value("first_when", list) if fields.has("first_when") else []
    if not all(isinstance(c, list) and c and all(isinstance(i, str) for i in c) for c in first_when):
        raise fields.error(lambda: _("first_when is a list of lists of question ids"), "first_when")
    fallback_for = fields.strings("fallback_for") if fields.has("fallback_for") else ()
    return Service(
        code, kind, register, service_areas, names, descriptions, contact, warm_handover,
        duty, legal_bases, tuple(domains), min_age, max_age, tuple(first_for),
        tuple(tuple(c) for c in first_when), anonymous, tuple(fallback_for),
    )


def social_of(protocols: "Iterable[Protocol]") -> "Protocol | None":
    """The protocol whose need domains, questions and duties a catalogue names: the one with
    need domains (the social service-need assessment)."""
    return next((p for p in protocols if p.domains), None)


def _check_social_names(fields: Fields, service: Service, social: "Protocol") -> None:
    """A region's typo in a domain or question id would leave the service silently out of the
    place the id gives it (never first for the need): refused, naming the line and the ids the
    protocol has."""
    questions = sorted(q.id for q in social.questions)
    named = [
        ("domains", service.domains, sorted(d.id for d in social.domains)),
        ("first_for", service.first_for, questions),
        ("fallback_for", service.fallback_for, questions),
        ("first_when", tuple(i.removeprefix("!") for c in service.first_when for i in c), questions),
        ("duty", (service.duty,) if service.duty else (), sorted(d.id for d in social.duties)),
    ]
    for key, ids, known in named:
        for unknown in (i for i in ids if i not in known):
            raise fields.error(
                lambda: _("'{id}' in {key} is not the social protocol's (it has: {known})").format(
                    id=unknown, key=key, known=", ".join(known)
                ),
                key,
            )
    # The reverse of _check_receivers: a service marked as a duty's receiver that the duty is
    # not made to is never offered on the duty screen, and its legal basis never recorded,
    # while the referral list still ranks it as the notification's receiver.
    duty = next((d for d in social.duties if d.id == service.duty), None)
    if duty is not None and service.code not in duty.receivers:
        raise fields.error(
            lambda: _("the service '{code}' is marked to receive the duty '{duty}', which the social protocol "
              "makes only to {receivers}: remove `duty` here or name '{code}' in the duty's receivers "
              "(the duty screen would not offer it)").format(
                code=service.code, duty=duty.id, receivers=", ".join(duty.receivers) or "-"
            ),
            "duty",
        )


def catalogue_from_text(
    text: str, name: str = "services.toml", social: "Protocol | None" = None, may_ignore: "Iterable[str]" = (),
) -> list[Service]:
    """A catalogue that came as text (by sync from the region's import), read as strictly as
    the file - with `social`, checked against it as load_catalogue checks - but for the fields
    named in `may_ignore` (the central API's OPTIONAL_FIELDS) that this version does not know:
    left out (`ignored_fields` names them). A broken one raises DataFileError naming `name`
    and the line."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, "utf-8")
        try:
            return load_catalogue(path, social, may_ignore=may_ignore)
        except DataFileError as error:
            raise DataFileError(name, error.line, error.say) from None


def kept_aside_text(record: str, social: "Protocol | None", detail: str = "") -> str:
    """What a worker or an administrator is told of a region's catalogue that came by sync and
    was kept aside (`record`: the catalogue record as pulled, JSON with its "toml"): why it
    cannot be used with `social` (file, line and reason - the duty and the service, say - in
    the language now shown; `detail`, as recorded then, when it cannot be read again), and
    that the catalogue in use stays. The record is read once (F6 draws this at every refresh);
    its reason is said again in whatever language is shown."""
    problem = _kept_problem(record, social)
    return _("The region's referral catalogue came by sync but cannot be used on this device: {problem}. "
             "The catalogue in use stays; tried again at every sync, reported to the central API.").format(
        problem=(problem.said_again() if problem is not None else detail).rstrip(".")
    )


# The kept-aside catalogues read (record text, id of the social protocol) -> (that protocol,
# why the record does not read, or None): a handful at the most, each read once.
_KEPT_READ: dict[tuple[str, int], tuple["Protocol | None", DataFileError | None]] = {}


def _kept_problem(record: str, social: "Protocol | None") -> DataFileError | None:
    """Why `record` (a pulled catalogue record) cannot be used with `social`; None when it reads
    (or is no catalogue record at all: the detail recorded says why)."""
    import json

    key = (record, id(social))
    held = _KEPT_READ.get(key)
    if held is not None and held[0] is social:
        return held[1]
    problem = None
    try:
        data = json.loads(record)
        text, optional = data.get("toml"), data.get("optional") or []
        if isinstance(text, str):
            may_ignore = [name for name in optional if isinstance(name, str)] if isinstance(optional, list) else []
            catalogue_from_text(text, social=social, may_ignore=may_ignore)
    except DataFileError as error:
        problem = error
    except (ValueError, AttributeError):
        pass
    if len(_KEPT_READ) >= 8:
        _KEPT_READ.clear()
    _KEPT_READ[key] = (social, problem)
    return problem


def shipped_social() -> "Protocol | None":
    """The social protocol of this program's own data (the shipped data folder): the one a
    region's catalogue is checked against wherever it comes from - `region import` on the
    central API, a device's sync - since it is the devices' duty screen and referral list that
    read the catalogue with it. Read once for a folder."""
    from ..data_dir import shipped_data_dir

    return _social_in(shipped_data_dir())


@cache
def _social_in(root: Path) -> "Protocol | None":
    from .protocols.loading import load_protocols

    return social_of(load_protocols(root / "protocols"))


def ignored_fields(text: str) -> list[str]:
    """The fields of a catalogue's services this version does not read, sorted ([] for a
    catalogue that does not read as TOML: its reading says why)."""
    import tomllib

    try:
        services = tomllib.loads(text).get("service", [])
    except tomllib.TOMLDecodeError:
        return []
    keys = {key for service in services if isinstance(service, dict) for key in service}
    return sorted(keys - set(SERVICE_FIELDS))


def load_catalogue(path: Path, social: "Protocol | None" = None, may_ignore: "Iterable[str]" = ()) -> list[Service]:
    """Every `[[service]]` of the catalogue file, in file order. With the social protocol, every
    need domain, question and duty a service names must be one of the protocol's."""
    top = Fields(Source(path), load_toml(path))
    top.only("service")
    services: list[Service] = []
    may_ignore = tuple(may_ignore)
    for fields in top.tables("service"):
        service = _read_service(fields, may_ignore)
        if social is not None:
            _check_social_names(fields, service, social)
        if any(service.code == earlier.code for earlier in services):
            raise fields.error(
                lambda: _("duplicate service code '{code}'").format(code=service.code), "code"
            )
        services.append(service)
    if social is not None:
        _check_receivers(path, services, social)
    return services


def _check_receivers(path: Path, services: list[Service], social: "Protocol") -> None:
    """Every receiver a duty of the social protocol is made to (its `receivers`) must be a
    service of the catalogue: the duty screen lists a duty's receivers from it and left one
    it lacked silently out (a region's catalogue without the shelter offered the safety
    response only to the social emergency services and the police). Refused, naming the file,
    the duty and the service code missing."""
    codes = {service.code for service in services}
    for duty in social.duties:
        for code in (c for c in duty.receivers if c not in codes):
            raise DataFileError(
                path, None,
                lambda: _("the social protocol's duty '{duty}' is made to the service '{code}', which this "
                  "catalogue lacks: add a [[service]] with code = \"{code}\" (the duty screen "
                  "would not offer it)").format(duty=duty.id, code=code),
            )


# Under 25 a service for the young comes first among those fitting as well: child welfare's
# aftercare and the youth guarantee's services (Ohjaamo) serve young adults to 25.
YOUNG_UNTIL = 25
YOUNG_NEED_DOMAIN = "work_study"  # for an adult under YOUNG_UNTIL the youth services first only with it


def by_need(
    services: list[Service], domains: list[str] | tuple[str, ...], age: int | None,
    answered: list[str] | tuple[str, ...] | set[str] = (), urgent: bool = False, anonymous: bool = False,
) -> list[Service]:
    """The services that fit the need domains found and the client's age first, then the rest
    for the client's age, then those for other ages.

    A service named first for a question answered yes (`first_for`: Kela for no money for
    food, child welfare intake for a child at risk, older people's guidance for the statutory
    group at 65 or over, mental health services for thoughts of death) or for a combination
    (`first_when`: disability services for a disabled client who is exploited) fits even where
    no domain was found, and comes first; for a client under 18 or of unknown age, a named
    receiver of a statutory notification (child welfare intake) before every other; of two
    named, the one named by more answers (a combination counts each of its answers), the
    receiver, then the one for the client's narrower age group (older people's guidance, 65+,
    before adult social work, 18+, before a service for every age; of unknown age the other
    way round, a service for every age first). Then, among the fitting ones:
    for an unidentified client whose need is not urgent, a service
    taking anonymous contacts first (a referral can only be a place they contact themselves; an
    urgent danger is the authorities' whoever calls); under YOUNG_UNTIL and not urgent, a service
    for the young (with an upper age) first (the youth guarantee's one door, Ohjaamo; child
    welfare's aftercare to 25; a young person in danger now is the crisis and emergency
    services' like anyone); then most domains found; then the more specific service (fewer domains:
    debt counselling before social guidance for debts); then one for the client's age group (an
    age bound that fits: older people's guidance at 80) before one for everyone; file order
    within, and where nothing fits. `urgent`: the urgency is the same day or sooner."""
    found, yes = set(domains), set(answered)
    minor = age is not None and age < YOUNG_UNTIL

    def key(indexed: tuple[int, Service]) -> tuple:
        index, service = indexed
        matches = len(found & set(service.domains))
        # A combination names a service by each of its answers: it says more than one answer
        # (violence at home and no safe bed tonight: the shelter, before the services that
        # find a bed for anyone).
        named = len(yes & set(service.first_for)) + sum(
            len(combination_yes(c)) for c in service.first_when if combination_met(c, yes)
        )
        if not found:
            # No need domain found: a service named for this (`fallback_for`) before the file's
            # order (a long-lasting difficulty alone: adult social work, not Kela).
            named += len(yes & set(service.fallback_for))
        if not matches and not named:
            return (not service.fits_age(age), 1, False, 0, False, 0, False, False, 0, 0, False, index)
        # For an adult under 25 the youth services come first where work or study is part of
        # the need (the youth guarantee's one door, Ohjaamo); an adult's mental wellbeing alone
        # is the mental health services' (Terveydenhuoltolaki 1326/2010 27 §, student health
        # care 17 §), not first the youth services' (round of 6.12.2026; four parts).
        young = (
            minor and service.max_age is not None and not urgent
            and (age is not None and age < CHILD_UNTIL or YOUNG_NEED_DOMAIN in found)
        )
        unnamed = anonymous and not urgent and not service.anonymous
        bounded = service.min_age is not None or service.max_age is not None
        # Named, the receiver of a statutory notification comes before a group's service: a
        # child at risk is child welfare's to assess (LsL 26 §) whatever group the child is of.
        # For a client under 18, or of unknown age, it comes before any combination too (a
        # minor with no safe bed is child welfare's emergency placement, not a shelter's).
        receiver = named > 0 and service.duty is not None
        child_first = receiver and (age is None or age < CHILD_UNTIL)
        # Named, the one for the narrower age group first: older people's guidance (65+) before
        # adult social work (18+) for an 80-year-old, either before a service for every age. Of
        # unknown age (an anonymous caller may be a minor, and it may be night) the other way:
        # a service for every age first (the social emergency services before adult social work).
        band = (service.max_age if service.max_age is not None else 120) - (service.min_age or 0)
        if age is None:
            band = -band
        return (
            not service.fits_age(age), 0, not child_first, -named, not receiver, band if named else 0,
            unnamed, not young, -matches, len(service.domains), not bounded, index,
        )

    return [service for _index, service in sorted(enumerate(services), key=key)]


def combination_yes(combination: tuple[str, ...]) -> set[str]:
    """A `first_when` combination's questions that must be answered yes (an item "!id" is one
    that must not be: the neuvola for an exhausted parent, not where a child is at risk)."""
    return {item for item in combination if not item.startswith("!")}


def combination_met(combination: tuple[str, ...], yes: set[str]) -> bool:
    unless = {item[1:] for item in combination if item.startswith("!")}
    return combination_yes(combination) <= yes and not unless & yes


def services_for(
    catalogue: list[Service], register: Register, service_area: ServiceArea | None = None
) -> list[Service]:
    """The services a worker of `register` can refer to, optionally for one service area."""
    return [
        service
        for service in catalogue
        if service.serves(register)
        and (service_area is None or service_area in service.service_areas)
    ]

