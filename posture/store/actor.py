"""Who is acting on the records: the one place roles are named.

Solo mode (the default, one person on one machine) acts as `SOLO` and sees everything, as
before clinic mode existed. In clinic mode every store call names the logged-in user; the
client self check acts as `SELF_CHECK`, which can save a self check but never read records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["solo", "therapist", "admin", "self_check"]
ROLES: tuple[Role, ...] = ("solo", "therapist", "admin", "self_check")
#: The roles a clinic user account can have (here, not in `accounts`, so the command line's
#: help names them without loading the database libraries).
UserRole = Literal["therapist", "admin"]
USER_ROLES: tuple[UserRole, ...] = ("therapist", "admin")


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role
    user_id: int | None = None  # the users table's id; None for solo and self check

    @property
    def sees_every_client(self) -> bool:
        """Solo mode and clinic admins see every client; therapists see their own and shared ones."""
        return self.role in ("solo", "admin")

    @property
    def reads_records(self) -> bool:
        return self.role != "self_check"


SOLO = Actor(name="solo", role="solo")
SELF_CHECK = Actor(name="self-check", role="self_check")


SELF_CHECK_ONLY = "the self check can save a self check and nothing else; it cannot read or change records"
