"""The audit trail: who did what to which client, and when. Append-only.

Every change the store makes to a client or a session (create, edit, delete, share,
reassign, export) writes its event in the same transaction as the change, so there is
never a change without its event or an event without its change. Views by clinic users
are recorded too (at most one per user and client every `VIEW_COALESCE_S`, so a page that
redraws does not flood the trail); solo mode, one person on their own machine, records
changes but not views. Logins, failed logins and logouts come from the login code through
`record_event`.

The database refuses UPDATE and DELETE on `audit_events` (triggers, see migration
0002_clinic), so nothing in the app can edit or delete the trail; deleting a client keeps
its events (`client_id` has no foreign key). Details hold ids and counts, never a client's
name, so a client erased on request leaves no name behind in the trail.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, insert, select

from posture.core.errors import AccessDeniedError

from .actor import Actor
from .paths import write_private_file
from .schema import audit_events
from .transactions import Transactions
from .verify import verify_actor

# Actions (free text up to 40 characters; these are the ones the store and the login use).
CLIENT_CREATE = "client.create"
CLIENT_EDIT = "client.edit"
CLIENT_DELETE = "client.delete"
CLIENT_VIEW = "client.view"
CLIENT_EXPORT = "client.export"
CLIENT_ERASE = "client.erase"  # everything about a client deleted on request
CLIENT_SHARE = "client.share"
CLIENT_UNSHARE = "client.unshare"
CLIENT_REASSIGN = "client.reassign"
SESSION_CREATE = "session.create"
SESSION_DELETE = "session.delete"
SELF_CHECK_CREATE = "self_check.create"
SELF_CHECK_LINK = "self_check.link"
SELF_CHECK_UNLINK = "self_check.unlink"  # taken out of a client's file (back to the inbox, or moved to another client)
AUDIT_EXPORT = "audit.export"
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"

VIEW_COALESCE_S = 300.0
ACTION_MAX_CHARS = 40
NAME_MAX_CHARS = 200
CSV_COLUMNS = ("id", "at_utc", "actor_name", "actor_role", "action", "client_id", "detail")


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: dt.datetime  # aware, UTC
    actor_name: str
    actor_role: str
    action: str
    client_id: int | None
    detail: str


@dataclass(frozen=True)
class EventFilter:
    """Which events to list; every field left as None matches everything."""

    actor_name: str | None = None
    action: str | None = None
    client_id: int | None = None
    since: dt.datetime | None = None  # aware; inclusive
    until: dt.datetime | None = None  # aware; exclusive
    limit: int | None = 10_000  # newest first, at most this many


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def insert_event(conn: Connection, actor_name: str, actor_role: str, action: str,
                 client_id: int | None = None, detail: str = "", at: dt.datetime | None = None) -> None:
    """Append one event on `conn`, inside the caller's transaction (the store's changes use this)."""
    if not action or len(action) > ACTION_MAX_CHARS:
        raise ValueError(f"audit action must be 1-{ACTION_MAX_CHARS} characters, got {action!r}")
    conn.execute(insert(audit_events).values(
        at=at or now_utc(), actor_name=(actor_name or "?")[:NAME_MAX_CHARS], actor_role=actor_role[:20],
        action=action, client_id=client_id, detail=detail,
    ))


def record_event(store: Transactions, action: str, *, actor: Actor | None = None, actor_name: str | None = None,
                 actor_role: str | None = None, client_id: int | None = None, detail: str = "") -> None:
    """Append one event in its own transaction: logins, failed logins, logouts, account changes.

    Name the actor with `actor`, or with `actor_name`/`actor_role` when there is no Actor
    yet (a failed login: the name typed, role "unknown").
    """
    name = actor.name if actor is not None else actor_name
    role = actor.role if actor is not None else actor_role
    if name is None or role is None:
        raise ValueError("record_event needs an actor, or both actor_name and actor_role")
    with store.write() as conn:
        insert_event(conn, name, role, action, client_id, detail)


def list_events(store: Transactions, filters: EventFilter = EventFilter(), *, actor: Actor) -> list[AuditEvent]:
    """Events matching `filters`, newest first. Admins (and solo mode) only."""
    with store.read() as conn:
        _require_auditor(store, conn, actor)
        return _select(conn, filters)


def export_csv(store: Transactions, filters: EventFilter = EventFilter(), *, actor: Actor, path: Path | str | None = None) -> str:
    """The matching events as CSV text (UTC times, oldest first); also written owner-only to `path` if given.

    The export is itself recorded, in the same transaction that reads the events. Cells
    that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with an
    apostrophe: names and details are typed by people.
    """
    with store.write() as conn:
        _require_auditor(store, conn, actor)
        events = _select(conn, filters)
        insert_event(conn, actor.name, actor.role, AUDIT_EXPORT, None, f"{len(events)} events")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in reversed(events):
        writer.writerow([e.id, e.at.isoformat(timespec="seconds"), _cell(e.actor_name), e.actor_role, e.action,
                         "" if e.client_id is None else e.client_id, _cell(e.detail)])
    text = out.getvalue()
    if path is not None:
        write_private_file(Path(path), text.encode("utf-8"))
    return text


def recent_view(conn: Connection, actor: Actor, client_id: int, within_s: float = VIEW_COALESCE_S) -> bool:
    """Whether `actor` already has a view of `client_id` recorded in the last `within_s` seconds."""
    since = now_utc() - dt.timedelta(seconds=within_s)
    row = conn.execute(
        select(audit_events.c.id).where(
            audit_events.c.actor_name == actor.name, audit_events.c.client_id == client_id,
            audit_events.c.action == CLIENT_VIEW, audit_events.c.at >= since,
        ).limit(1)
    ).first()
    return row is not None


def events_for_client(conn: Connection, client_id: int) -> list[AuditEvent]:
    """Every event about one client, oldest first (the client's export includes them)."""
    return list(reversed(_select(conn, EventFilter(client_id=client_id, limit=None))))


def _select(conn: Connection, f: EventFilter) -> list[AuditEvent]:
    q = select(audit_events)
    if f.actor_name is not None:
        q = q.where(audit_events.c.actor_name == f.actor_name)
    if f.action is not None:
        q = q.where(audit_events.c.action == f.action)
    if f.client_id is not None:
        q = q.where(audit_events.c.client_id == f.client_id)
    if f.since is not None:
        q = q.where(audit_events.c.at >= f.since)
    if f.until is not None:
        q = q.where(audit_events.c.at < f.until)
    q = q.order_by(audit_events.c.at.desc(), audit_events.c.id.desc())
    if f.limit is not None:
        q = q.limit(f.limit)
    return [AuditEvent(r.id, r.at, r.actor_name, r.actor_role, r.action, r.client_id, r.detail) for r in conn.execute(q)]


def _require_auditor(store: Transactions, conn: Connection, actor: Actor) -> None:
    """An admin whose account is still enabled and an admin (or solo mode, unless the store is clinic mode's)."""
    if actor.reads_records and not actor.sees_every_client:
        raise AccessDeniedError(f"only an admin can read the audit trail ({actor.name} is {actor.role})")
    verify_actor(conn, actor, refuse_solo=bool(getattr(store, "refuse_solo", False)))


_FORMULA_START: Sequence[str] = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(tuple(_FORMULA_START)) else value
