"""Who may see and do what: the checks every store call makes before it reads or changes a record.

A therapist sees and edits the clients they own or that are shared with them, an admin (and
solo mode) every client; self checks not yet filed under a client belong to no therapist, so
only admins (and solo mode) see them, and only someone who may see a client files one there; only the client's own therapist or an admin may delete it; only an
admin shares and reassigns. The client self check (SELF_CHECK) may save a self check and
nothing else. A disabled account, or one whose role changed, is refused on its next call, so
every check reads the users table inside the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, exists, or_, select

from posture.core.errors import AccessDeniedError, ClientNotFoundError, UsageError

from . import audit
from .actor import SELF_CHECK_ONLY, Actor
from .schema import client_shares, clients, photos, sessions, users
from .transactions import Transactions
from .verify import verify_actor

__all__ = ["SELF_CHECK_ONLY", "AccessControl", "require_reader", "require_user", "visible_clients"]  # SELF_CHECK_ONLY: actor.py's



class AccessControl:
    """The actor checks, run on the caller's connection so the check and the work share one transaction."""

    def __init__(self, database: Transactions, *, refuse_solo: bool = False) -> None:
        self.database = database
        # Clinic mode refuses SOLO: a call that forgot `actor=` must not silently see every client.
        self.refuse_solo = refuse_solo

    def check_actor(self, conn: Connection, actor: Actor) -> None:
        """Clinic users must still have an enabled account with that role; the self check reads nothing."""
        verify_actor(conn, actor, refuse_solo=self.refuse_solo)

    def client_row(self, conn: Connection, client_id: int, actor: Actor, *, owner_only: bool = False) -> Row[Any]:
        """The client's row if `actor` may see it (owner_only: may delete it); clear errors otherwise."""
        self.check_actor(conn, actor)
        row = conn.execute(select(clients).where(clients.c.id == client_id)).first()
        if row is None:
            raise ClientNotFoundError(client_id)
        if actor.sees_every_client:
            return row
        if owner_only:
            if row.owner_user_id != actor.user_id:
                raise AccessDeniedError(f"only the client's own therapist or an admin can do this ({actor.name} cannot)")
            return row
        # A self-check owner has no therapist (owner_user_id NULL): the clinic's inbox, admins only.
        if row.owner_user_id == actor.user_id or conn.execute(
            select(client_shares.c.client_id).where(client_shares.c.client_id == client_id, client_shares.c.user_id == actor.user_id)
        ).first() is not None:
            return row
        raise AccessDeniedError(f"client {client_id} is not one of {actor.name}'s clients (neither theirs nor shared with them)")

    def require_admin(self, conn: Connection, actor: Actor, what: str) -> None:
        self.check_actor(conn, actor)
        if not actor.sees_every_client:
            raise AccessDeniedError(f"only an admin can {what} ({actor.name} is a {actor.role})")

    def require_photo_visible(self, sha256: str, actor: Actor) -> None:
        """The photo belongs to a session of a client `actor` may see (solo mode sees every photo,
        and is refused like every other call when the store is opened for clinic mode)."""
        with self.database.read() as conn:
            self.check_actor(conn, actor)
            if actor.role == "solo":
                return
            owner = conn.execute(
                select(clients.c.id).join(sessions, sessions.c.client_id == clients.c.id)
                .join(photos, photos.c.session_id == sessions.c.id).where(photos.c.sha256 == sha256, visible_clients(actor)).limit(1)
            ).first()
        if owner is None:
            raise AccessDeniedError(f"photo {sha256[:12]} belongs to no client of {actor.name}")

    def note_view(self, actor: Actor, client_id: int) -> None:
        """Record that a clinic user looked at a client (coalesced: see audit.VIEW_COALESCE_S)."""
        if actor.role not in ("therapist", "admin"):
            return  # solo mode: one person, their own records
        with self.database.write() as conn:
            if not audit.recent_view(conn, actor, client_id):
                audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_VIEW, client_id)


def require_reader(actor: Actor) -> None:
    """The self check saves self checks only: it may not read or change records."""
    if not actor.reads_records:
        raise AccessDeniedError(SELF_CHECK_ONLY)


def visible_clients(actor: Actor) -> ColumnElement[bool]:
    """The WHERE clause of the clients `actor` may see (check the actor first)."""
    if actor.sees_every_client:
        return clients.c.id.is_not(None)
    shared = exists().where(client_shares.c.client_id == clients.c.id, client_shares.c.user_id == actor.user_id)
    return or_(clients.c.owner_user_id == actor.user_id, shared)


def require_user(conn: Connection, user_id: int) -> None:
    """A user a client can be given to or shared with: one that exists and is enabled."""
    row = conn.execute(select(users.c.disabled).where(users.c.id == user_id)).first()
    if row is None:
        raise UsageError(f"no user with id {user_id}")
    if row.disabled:
        raise UsageError(f"user {user_id} is disabled")
