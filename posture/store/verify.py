"""Whether a caller's account still stands: read in the transaction that does the work, so
the check and the work cannot be told apart by a disable in between. Apart from `actor.py`
so that naming a role (the command line's help) does not load the database libraries.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from posture.core.errors import AccessDeniedError

from .actor import SELF_CHECK_ONLY, Actor
from .schema import users


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
