"""Sessions: assessments and self checks, each saved with its photos in one go, read back, linked and deleted.

A session is saved atomically with its photo files (photo_files.py: files first, then the
record). A submitted form may carry an idempotency key; a second save with the same key (a
double click, a retried request) returns the first session instead of storing a copy. A
client deleted while someone else has them open raises ClientNotFoundError with a message to
show, never a crash or a record without its client.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from posture.core.assessment import Assessment
from posture.core.errors import AccessDeniedError, ClientNotFoundError, ConflictError, StorageError, UsageError
from posture.core.intake import Intake

from . import audit
from .access import AccessControl, require_reader, visible_clients
from .actor import Actor
from .photo_files import PhotoFiles, check_hash
from .schema import clients, drafts, photos, sessions, users
from .transactions import Database, new_id, now
from .validation import SESSION_KINDS, SessionKind, valid_key, valid_kind, valid_name


@dataclass(frozen=True)
class PhotoRecord:
    id: int
    sha256: str
    filename: str
    assessment: Assessment


@dataclass(frozen=True)
class SessionRecord:
    id: int
    client_id: int
    created: str
    intake: Intake
    photos: list[PhotoRecord]
    kind: SessionKind = "assessment"


@dataclass(frozen=True)
class SessionCounts:
    """How many sessions of each kind a client has (counted, not read: no view is recorded)."""

    assessments: int = 0
    self_checks: int = 0


@dataclass(frozen=True)
class NewPhoto:
    """A photo to save: its encoded bytes (as shown, upright) and its assessment."""

    data: bytes
    filename: str
    assessment: Assessment


class SessionRecords:
    """The sessions and photos tables (the Store's session methods; see there for what each promises)."""

    def __init__(self, database: Database, access: AccessControl, files: PhotoFiles) -> None:
        self.database = database
        self.access = access
        self.files = files

    def save(self, client_id: int, intake: Intake, photos_: list[NewPhoto], kind: str, actor: Actor,
             idempotency_key: str | None) -> int:
        kind = valid_kind(kind)
        key = valid_key(idempotency_key)
        require_reader(actor)

        def insert_(conn: Connection, hashes: list[str]) -> int:
            if key is not None:
                found = _session_with_key(conn, key)
                if found is not None:
                    return found  # already saved by an earlier submit of the same form
            self.access.client_row(conn, client_id, actor)
            session_id = self._insert_session(conn, client_id, intake, photos_, hashes, kind, key)
            if kind == "assessment":
                conn.execute(delete(drafts).where(drafts.c.client_id == client_id))
            audit.insert_event(conn, actor.name, actor.role, audit.SESSION_CREATE, client_id,
                               f"session {session_id} ({kind}, {len(photos_)} photos)")
            return session_id

        try:
            return self._save_with_photos(photos_, insert_)
        except ConflictError:
            found = self._saved_meanwhile(key, client_id)
            if found is None:
                raise
            return found

    def save_self_check(self, label: str, intake: Intake, photos_: list[NewPhoto], actor: Actor, idempotency_key: str | None,
                        for_code: str | None) -> int:
        label = valid_name(label, what="Name or pseudonym")
        key = valid_key(idempotency_key)
        code = (for_code or "").strip() or None

        def insert_(conn: Connection, hashes: list[str]) -> int:
            if actor.role != "self_check":  # anyone may save one, but a clinic user with an account that still holds
                self.access.check_actor(conn, actor)
            if key is not None:
                found = _session_with_key(conn, key)
                if found is not None:
                    return found
            owner_id = _inbox_owner(conn, label, None if code is None else _therapist_of_code(conn, code))
            session_id = self._insert_session(conn, owner_id, intake, photos_, hashes, "self_check", key)
            audit.insert_event(conn, actor.name, actor.role, audit.SELF_CHECK_CREATE, owner_id, f"session {session_id}")
            return session_id

        try:
            return self._save_with_photos(photos_, insert_)
        except ConflictError:
            found = self._saved_meanwhile(key)
            if found is None:
                raise
            return found

    def _saved_meanwhile(self, key: str | None, client_id: int | None = None) -> int | None:
        """After a save's conflict: the session another save with the same key committed
        between our check and our insert (PostgreSQL runs them side by side), or None.
        ClientNotFoundError when `client_id` is given and that client went meanwhile."""
        with self.database.read() as conn:
            found = _session_with_key(conn, key) if key is not None else None
            if found is None and client_id is not None and \
                    conn.execute(select(clients.c.id).where(clients.c.id == client_id)).first() is None:
                raise ClientNotFoundError(client_id) from None
        return found

    def self_checks(self, actor: Actor) -> list[SessionRecord]:
        with self.database.read() as conn:
            self.access.check_actor(conn, actor)
            # The inbox's owners have no therapist, so only admins (and solo mode) see any.
            owners = [int(r[0]) for r in conn.execute(
                select(clients.c.id).where(clients.c.is_self_check == 1, visible_clients(actor)))]
        found = [s for owner in owners for s in self.of_client(owner, "self_check", actor)]
        return sorted(found, key=lambda s: (s.created, s.id))

    def link_self_check(self, session_id: int, client_id: int, actor: Actor) -> None:
        with self.database.write() as conn:
            source = self._self_check_source(conn, session_id, actor)
            target = self.access.client_row(conn, client_id, actor)
            if target.is_self_check:
                raise ClientNotFoundError(client_id)
            if int(source.id) == client_id:
                return  # already in that file
            conn.execute(update(sessions).where(sessions.c.id == session_id).values(client_id=client_id))
            _drop_empty_inbox_owners(conn)
            if source.is_self_check:
                audit.insert_event(conn, actor.name, actor.role, audit.SELF_CHECK_LINK, client_id, f"session {session_id}")
            else:  # moved from one client's file to another's: both files record it
                audit.insert_event(conn, actor.name, actor.role, audit.SELF_CHECK_UNLINK, int(source.id),
                                   f"session {session_id} moved to client {client_id}")
                audit.insert_event(conn, actor.name, actor.role, audit.SELF_CHECK_LINK, client_id,
                                   f"session {session_id} from client {int(source.id)}")

    def unlink_self_check(self, session_id: int, actor: Actor) -> None:
        with self.database.write() as conn:
            source = self._self_check_source(conn, session_id, actor)
            if source.is_self_check:
                raise UsageError(f"self check {session_id} is in no client's file")
            # Back to the self checks of the client's therapist (the clinic's inbox if it has none), under the client's name.
            owner_id = _inbox_owner(conn, source.name, source.owner_user_id)
            conn.execute(update(sessions).where(sessions.c.id == session_id).values(client_id=owner_id))
            audit.insert_event(conn, actor.name, actor.role, audit.SELF_CHECK_UNLINK, int(source.id),
                               f"session {session_id} back to the unfiled self checks")

    def _self_check_source(self, conn: Connection, session_id: int, actor: Actor) -> Row[Any]:
        """The client (or inbox owner) a self check is filed under, if `actor` may see it there."""
        self.access.check_actor(conn, actor)
        row = conn.execute(select(sessions.c.kind, sessions.c.client_id).where(sessions.c.id == session_id)).first()
        if row is None or row.kind != "self_check":
            raise StorageError(f"no self check with id {session_id}")
        try:
            return self.access.client_row(conn, int(row.client_id), actor)
        except AccessDeniedError:
            raise AccessDeniedError(
                f"self check {session_id} is not {actor.name}'s to move: it is in the clinic's self-check inbox "
                "(an admin files it), among another therapist's unfiled checks, or in the file of a client not shared with them"
            ) from None

    def of_client(self, client_id: int, kind: SessionKind | None, actor: Actor) -> list[SessionRecord]:
        kinds = SESSION_KINDS if kind is None else (valid_kind(kind),)
        with self.database.read() as conn:
            try:
                self.access.client_row(conn, client_id, actor)
            except ClientNotFoundError:
                return []
            rows = conn.execute(select(sessions).where(sessions.c.client_id == client_id, sessions.c.kind.in_(kinds))
                                .order_by(sessions.c.created, sessions.c.id)).fetchall()
            photo_rows = conn.execute(
                select(photos).join(sessions, photos.c.session_id == sessions.c.id)
                .where(sessions.c.client_id == client_id, sessions.c.kind.in_(kinds)).order_by(photos.c.id)
            ).fetchall()
        by_session: dict[int, list[PhotoRecord]] = {}
        for p in photo_rows:
            by_session.setdefault(int(p.session_id), []).append(
                PhotoRecord(int(p.id), p.sha256, p.filename, Assessment.from_dict(json.loads(p.assessment_json)))
            )
        self.access.note_view(actor, client_id)
        return [
            SessionRecord(int(r.id), int(r.client_id), r.created, Intake.from_dict(json.loads(r.intake_json)),
                          by_session.get(int(r.id), []), cast(SessionKind, r.kind))
            for r in rows
        ]

    def counts(self, actor: Actor) -> dict[int, SessionCounts]:
        # One grouped query over the clients `actor` may see: no row read, no assessment parsed, no view noted.
        with self.database.read() as conn:
            self.access.check_actor(conn, actor)
            rows = conn.execute(
                select(sessions.c.client_id, sessions.c.kind, func.count()).join(clients, clients.c.id == sessions.c.client_id)
                .where(clients.c.is_self_check == 0, visible_clients(actor)).group_by(sessions.c.client_id, sessions.c.kind)
            ).fetchall()
        tally: dict[int, dict[str, int]] = {}
        for client_id, kind, n in rows:
            tally.setdefault(int(client_id), {})[str(kind)] = int(n)
        return {c: SessionCounts(k.get("assessment", 0), k.get("self_check", 0)) for c, k in tally.items()}

    def delete(self, session_id: int, actor: Actor) -> None:
        with self.database.write() as conn:
            self.access.check_actor(conn, actor)
            row = conn.execute(select(sessions.c.client_id).where(sessions.c.id == session_id)).first()
            if row is None:
                return
            self.access.client_row(conn, int(row.client_id), actor)
            conn.execute(delete(sessions).where(sessions.c.id == session_id))
            audit.insert_event(conn, actor.name, actor.role, audit.SESSION_DELETE, int(row.client_id), f"session {session_id}")
        self.files.collect_garbage()

    def photo_bytes(self, sha256: str, actor: Actor) -> bytes:
        check_hash(sha256)  # before the access check, which would read a malformed hash as someone else's photo
        self.access.require_photo_visible(sha256, actor)
        return self.files.read(sha256)

    def _save_with_photos(self, photos_: list[NewPhoto], insert_: Callable[[Connection, list[str]], int]) -> int:
        if not photos_:
            raise UsageError("a session needs at least one assessed photo")
        return self.files.save_with([p.data for p in photos_], insert_)

    def _insert_session(self, conn: Connection, client_id: int, intake: Intake, photos_: list[NewPhoto],
                        hashes: list[str], kind: SessionKind, idempotency_key: str | None = None) -> int:
        session_id = new_id(conn.execute(insert(sessions).values(
            client_id=client_id, created=now(), intake_json=json.dumps(intake.to_dict()), kind=kind, idempotency_key=idempotency_key,
        )))
        conn.execute(insert(photos), [
            {"session_id": session_id, "sha256": h, "filename": p.filename, "assessment_json": json.dumps(p.assessment.to_dict())}
            for h, p in zip(hashes, photos_, strict=True)
        ])
        return session_id


def _inbox_owner(conn: Connection, label: str, user_id: int | None) -> int:
    """The self-check owner named `label` among `user_id`'s unfiled checks (None: the clinic's inbox),
    created on first use, so one label's checks form a series."""
    mine = clients.c.owner_user_id.is_(None) if user_id is None else clients.c.owner_user_id == user_id
    row = conn.execute(select(clients.c.id).where(clients.c.is_self_check == 1, clients.c.name == label, mine)
                       .order_by(clients.c.id).limit(1)).first()
    if row is not None:
        return int(row.id)
    return new_id(conn.execute(insert(clients).values(name=label, created=now(), is_self_check=1, owner_user_id=user_id)))


def _therapist_of_code(conn: Connection, code: str) -> int:
    """The enabled user whose self-check link carries `code`; a one-line UsageError otherwise (it names no one)."""
    row = conn.execute(select(users.c.id).where(users.c.self_check_code == code, users.c.disabled == False)).first()  # noqa: E712
    if row is None:
        raise UsageError("This self-check link is not (or no longer) valid: ask your therapist for a new one. "
                         "The check was not saved.")
    return int(row.id)


def _drop_empty_inbox_owners(conn: Connection) -> None:
    """An owner left without checks is dropped, so it does not linger as an empty label."""
    conn.execute(delete(clients).where(clients.c.is_self_check == 1, clients.c.id.not_in(select(sessions.c.client_id))))


def _session_with_key(conn: Connection, key: str) -> int | None:
    row = conn.execute(select(sessions.c.id).where(sessions.c.idempotency_key == key)).first()
    return None if row is None else int(row.id)
