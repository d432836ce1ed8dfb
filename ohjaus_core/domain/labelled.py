"""The labelled code type and the codes of a worker (register, role): all that the sign-in
screen needs of the code lists, so that it does not import them all (start-up, issue 18).
`codes` gives the same classes; import them from there elsewhere.

Values are stable identifiers stored in the database and sent between devices: never rename
one; add new ones instead. Labels are translatable.
"""

from __future__ import annotations

from enum import StrEnum

from ..i18n import N_, _


class LabelledEnum(StrEnum):
    """A code whose label a person reads in their language: each member is written as its
    stored value and its label's English message id (`HEALTH = "health", N_("Health care")`);
    the member's value is the stored value alone."""

    _msgid: str

    def __new__(cls, value: str, msgid: str) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member._msgid = msgid
        return member

    @property
    def label(self) -> str:
        return _(self._msgid)


class Register(LabelledEnum):
    """Client register (rekisteri): health care and social welfare are kept apart."""

    HEALTH = "health", N_("Health care")
    SOCIAL = "social", N_("Social welfare")


class Role(LabelledEnum):
    NURSE = "nurse", N_("Nurse")
    COUNSELLOR = "counsellor", N_("Social counsellor")
    TEAM_LEAD = "team_lead", N_("Team lead")
