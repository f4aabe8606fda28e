"""Who is acting on the records: the one place roles are named.

Solo mode (the default, one person on one machine) acts as `SOLO` and sees everything, as
before clinic mode existed. In clinic mode every store call names the logged-in user; the
client self check acts as `SELF_CHECK`, which can save a self check but never read records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, select

from posture.core.errors import AccessDeniedError

from .schema import users

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


def verify_actor(conn: Connection, actor: Actor, *, refuse_solo: bool) -> None:
    """A clinic user must still have an enabled account with that role (read on `conn`, so the check
    and the work share one transaction); the self check reads nothing; SOLO is refused in clinic mode."""
    if not actor.reads_records:
        raise AccessDeniedError(SELF_CHECK_ONLY)
    if actor.role == "solo":
        if refuse_solo:
            raise AccessDeniedError("clinic mode: this needs a logged-in user (the call named no user)")
        return
    if actor.user_id is None:
        raise AccessDeniedError(f"{actor.name}: a clinic user needs an account (no user id given)")
    row = conn.execute(select(users.c.role, users.c.disabled).where(users.c.id == actor.user_id)).first()
    if row is None or row.disabled:
        raise AccessDeniedError(f"the account {actor.name!r} is disabled or no longer exists")
    if row.role != actor.role:
        raise AccessDeniedError(f"the account {actor.name!r} is no longer {actor.role}; log in again")
