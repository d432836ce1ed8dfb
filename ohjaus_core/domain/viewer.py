"""Who is looking: the signed-in worker's register and role decide what they may see and do.

Social welfare and health care are separate registers (Client Data Act 703/2023): a worker
sees the other register's records of a client only with the client's consent in force or
a legal basis the worker states, and every such use is written to the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..i18n import _
from .codes import Register, Role
from .errors import DomainError


class Permission(StrEnum):
    CONTACTS = "contacts"  # make and sign contacts, record consents
    ACCESS_LOG = "access_log"  # show a client's access log (the right to know)
    EXPORT = "export"  # write records out of the system
    REPORTS = "reports"  # read the management figures (aggregates, no client data)
    MERGE = "merge"  # merge a client with a temporary identity code into the real one (issue 20)


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.NURSE: frozenset({Permission.CONTACTS}),
    Role.COUNSELLOR: frozenset({Permission.CONTACTS}),
    Role.TEAM_LEAD: frozenset(
        {Permission.CONTACTS, Permission.ACCESS_LOG, Permission.EXPORT, Permission.REPORTS, Permission.MERGE}
    ),
}


class NotPermitted(DomainError):
    """The worker's role may not do this."""


class NotVisible(DomainError):
    """The record is in a register the worker may not see now."""


@dataclass(frozen=True)
class Viewer:
    worker_id: str
    unit_id: str
    register: Register
    role: Role

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())

    def require(self, permission: Permission) -> None:
        if not self.may(permission):
            raise NotPermitted(
                _("Your role ({role}) may not do this.").format(role=self.role.label)
            )

    @property
    def other_register(self) -> Register:
        return Register.SOCIAL if self.register == Register.HEALTH else Register.HEALTH
