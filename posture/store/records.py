"""Storage: clients, assessment sessions and their photos, in SQLite or PostgreSQL.

- The database: the SQLite file `posture.db` in the data folder (`paths.data_dir()`:
  `$POSTURE_DATA_DIR`, default `~/.posture`), or PostgreSQL when `POSTURE_DATABASE_URL`
  says so (see db.py: connections, locks, migrations at start-up). The folder and the
  photo folder are 0700, the SQLite file (and so its `-wal`/`-shm` files, which SQLite
  creates with the database's mode) and every photo 0600, whatever the umask.
- Photos as files named by their SHA-256 (`<photo folder>/<hash>.jpg`; the folder is
  `photos/` in the data folder or `$POSTURE_PHOTO_DIR`), written atomically and fsynced
  (file and folder) *before* the record that names them is committed. A crash or a closed
  tab between the two leaves at most an unreferenced photo, never a record without its
  photo or half a session. Reading a photo checks its hash: a changed file is an error,
  never a silent wrong photo.
- Clean-up never removes a photo that is being saved. A save first registers the hashes
  it is about to write in `pending_photos` (committed), then writes the files, then
  commits the session and drops its registration in one transaction. `collect_garbage`
  lists and removes files while holding the photo lock (SQLite's write lock; on PostgreSQL
  an exclusive advisory lock, which a save's final transaction takes shared), so it
  either sees a save's registration (and spares its files and temporary files) or
  finishes before the save registers, in which case the save writes its files after the
  removal. This holds across processes and servers because the locks are the database's.
  A registration left by a save that crashed expires after `ABANDONED_AFTER_S`; a save
  that outlived its registration still cannot commit a record without its photo, because
  it checks (and rewrites) its files under the lock just before committing.
- Who acts: every method takes `actor` (actor.py; default SOLO, today's behaviour). A
  therapist sees and edits the clients they own or that are shared with them, an admin
  (and solo mode) every client; the client self check (SELF_CHECK) may save a self check
  and nothing else. Disabled accounts are refused on their next call. Changes are
  recorded in the audit trail in the same transaction (audit.py).
- Concurrency: a submitted form may carry an idempotency key; a second save with the same
  key (a double click, a retried request) returns the first session instead of storing a
  copy. A client deleted while someone else has them open raises ClientNotFoundError
  with a message to show, never a crash or a record without its client.
- Ids are never reused (AUTOINCREMENT on SQLite, sequences on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from sqlalchemy import Connection, CursorResult, Row, delete, exists, insert, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from posture.core.assessment import Assessment
from posture.core.errors import StorageError, UsageError
from posture.core.intake import Intake

from . import audit, db
from .actor import SOLO, Actor
from .paths import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, data_dir, photo_dir, private_dir, write_private_file
from .schema import client_shares, clients, drafts, pending_photos, photos, sessions, users

# The schema before Alembic, as SQLite statements: LEGACY_MIGRATIONS[i] takes PRAGMA
# user_version i to i+1. A file written by those versions is brought to 3 with these and
# then adopted by Alembic (db.py). History: never edit.
LEGACY_MIGRATIONS: tuple[str, ...] = (
    # v0 -> v1: the first schema.
    """
    CREATE TABLE clients (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        birth_date TEXT,
        created TEXT NOT NULL
    );
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        created TEXT NOT NULL,
        intake_json TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE photos (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        filename TEXT NOT NULL,
        assessment_json TEXT NOT NULL
    );
    """,
    # v1 -> v2: client height (for centimetre offsets) and faster history look-ups.
    """
    ALTER TABLE clients ADD COLUMN height_cm REAL;
    CREATE INDEX sessions_by_client ON sessions(client_id, created);
    CREATE INDEX photos_by_session ON photos(session_id);
    """,
    # v2 -> v3: ids never reused (AUTOINCREMENT needs the tables rebuilt; rows keep their
    # ids), self checks kept apart from assessments (session kind, self-check owners that
    # are not clients), drafts, and photos being saved (spared by clean-up).
    # Runs with foreign keys off (see migrate), so dropping the old tables cascades nothing.
    """
    CREATE TABLE clients_v3 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        birth_date TEXT,
        created TEXT NOT NULL,
        height_cm REAL,
        is_self_check INTEGER NOT NULL DEFAULT 0 CHECK (is_self_check IN (0, 1))
    );
    INSERT INTO clients_v3 (id, name, birth_date, created, height_cm)
        SELECT id, name, birth_date, created, height_cm FROM clients;
    CREATE TABLE sessions_v3 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        created TEXT NOT NULL,
        intake_json TEXT NOT NULL DEFAULT '{}',
        kind TEXT NOT NULL DEFAULT 'assessment' CHECK (kind IN ('assessment', 'self_check'))
    );
    INSERT INTO sessions_v3 (id, client_id, created, intake_json)
        SELECT id, client_id, created, intake_json FROM sessions;
    CREATE TABLE photos_v3 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        sha256 TEXT NOT NULL,
        filename TEXT NOT NULL,
        assessment_json TEXT NOT NULL
    );
    INSERT INTO photos_v3 (id, session_id, sha256, filename, assessment_json)
        SELECT id, session_id, sha256, filename, assessment_json FROM photos;
    DROP TABLE photos;
    DROP TABLE sessions;
    DROP TABLE clients;
    ALTER TABLE clients_v3 RENAME TO clients;
    ALTER TABLE sessions_v3 RENAME TO sessions;
    ALTER TABLE photos_v3 RENAME TO photos;
    CREATE INDEX sessions_by_client ON sessions(client_id, kind, created);
    CREATE INDEX photos_by_session ON photos(session_id);
    CREATE INDEX photos_by_hash ON photos(sha256);
    CREATE INDEX clients_self_check ON clients(is_self_check, name);
    CREATE TABLE drafts (
        client_id INTEGER PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
        payload BLOB NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE pending_photos (
        token TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        started REAL NOT NULL
    );
    CREATE INDEX pending_by_token ON pending_photos(token);
    """,
)

MIGRATIONS = LEGACY_MIGRATIONS  # the name older code and tests use
SCHEMA_VERSION = len(LEGACY_MIGRATIONS)  # 3: what PRAGMA user_version says once migrated

# A save registers its photos, writes them and commits within seconds (the commit waits
# at most 30 s for the lock). A registration this old was left by a save that crashed.
ABANDONED_AFTER_S = 3600.0

NAME_MAX_CHARS = 200
HEIGHT_RANGE_CM = (50.0, 250.0)
EARLIEST_BIRTH_YEAR = 1900
IDEMPOTENCY_KEY_MAX_CHARS = 64

SessionKind = Literal["assessment", "self_check"]
SESSION_KINDS: tuple[str, ...] = get_args(SessionKind)
_SHA256 = re.compile(r"[0-9a-f]{64}")


class ClientNotFoundError(StorageError):
    """The client does not exist (any more): deleted, perhaps by someone else while it was open."""

    def __init__(self, client_id: int) -> None:
        self.client_id = client_id
        super().__init__(f"no client with id {client_id}: the client was deleted (perhaps by someone else just now); "
                         "reload the client list")


class AccessDeniedError(StorageError):
    """The actor may not do this (not their client, not an admin, the self check, a disabled account)."""


class ConflictError(StorageError):
    """The database refused a change that clashes with what is stored (a unique key, a vanished row)."""


class PhotoCorruptError(StorageError):
    """A photo file whose content no longer matches its hash."""


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    birth_date: str | None
    height_cm: float | None
    created: str
    is_self_check: bool = False  # an owner of self checks (never listed as a client)
    owner_user_id: int | None = None  # clinic mode: the therapist who owns the client


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
class NewPhoto:
    """A photo to save: its encoded bytes (as shown, upright) and its assessment."""

    data: bytes
    filename: str
    assessment: Assessment


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


SELF_CHECK_ONLY = "the self check can save a self check and nothing else; it cannot read or change records"


class Store:
    """The database and the photo folder. Safe to use from several threads and processes.

    `Store(folder)` uses `folder` (default: the data folder) for photos and, unless `url`
    or `$POSTURE_DATABASE_URL` names another database, for the SQLite file. Opening a
    Store runs the migrations the database needs.
    """

    def __init__(self, folder: Path | str | None = None, *, url: str | None = None, refuse_solo: bool = False) -> None:
        # Clinic mode opens the store with refuse_solo: a call that forgot `actor=` (SOLO by
        # default) is refused instead of silently seeing every client.
        self.refuse_solo = refuse_solo
        self.folder = Path(folder) if folder is not None else data_dir()
        self.photos_dir = photo_dir(self.folder)
        self.url = url or db.database_url(self.folder)
        self.is_sqlite = db.is_sqlite(self.url)
        sqlite_file = make_url(self.url).database if self.is_sqlite else None
        # The SQLite file (unused, but still named, with PostgreSQL).
        self.db_path = Path(sqlite_file) if sqlite_file else self.folder / "posture.db"
        self.where = str(self.db_path) if self.is_sqlite else db.safe_url(self.url)
        photos_were_private = _mode(self.photos_dir) == PRIVATE_DIR_MODE
        private_dir(self.folder)  # health data: owner only
        private_dir(self.photos_dir)
        try:
            if not photos_were_private:  # made by an older version (0755 folder, 0644 files)
                for path in self.photos_dir.iterdir():
                    os.chmod(path, PRIVATE_FILE_MODE)
            if self.is_sqlite:
                # Create the database file owner-only before SQLite opens it: SQLite gives
                # its -wal and -shm files the database's mode, whatever the umask.
                private_dir(self.db_path.parent)
                os.close(os.open(self.db_path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE_MODE))
                for path in (self.db_path, Path(f"{self.db_path}-wal"), Path(f"{self.db_path}-shm")):
                    if path.exists():
                        os.chmod(path, PRIVATE_FILE_MODE)
        except OSError as exc:
            raise StorageError(f"{self.folder}: data files cannot be made private ({exc.strerror or exc})") from None
        self.engine = db.engine_for(self.url)
        self.migrate()

    # --- transactions -------------------------------------------------------------------

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Database errors as StorageError, with the database named and no password shown."""
        try:
            yield
        except IntegrityError as exc:
            raise ConflictError(f"{self.where}: the change conflicts with the stored data ({_reason(exc)})") from None
        except DBAPIError as exc:
            raise StorageError(f"{self.where}: database error ({_reason(exc)})") from None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction, committed when the block ends (BEGIN IMMEDIATE on SQLite)."""
        with self._guard(), self.engine.connect() as conn:
            conn.execution_options(**{db.WRITE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read-only transaction (a consistent snapshot on SQLite; statement-level on PostgreSQL)."""
        with self._guard(), self.engine.connect() as conn, conn.begin():
            yield conn

    def schema_version(self) -> int:
        """The pre-Alembic schema number (SQLite's user_version; 3 once migrated). See `revision` for Alembic's."""
        if not self.is_sqlite:
            return SCHEMA_VERSION
        with self.read() as conn:
            return db.legacy_version(conn)

    def revision(self) -> str | None:
        """The Alembic revision the database is at."""
        with self.read() as conn:
            return db.current_revision(conn)

    def migrate(self) -> None:
        """Bring the database to the newest schema (see db.upgrade); runs when the Store opens."""
        with self._guard():
            db.upgrade(self.engine, self.where)

    # --- who may do what ------------------------------------------------------------

    def _check_actor(self, conn: Connection, actor: Actor) -> None:
        """Clinic users must still have an enabled account with that role; the self check reads nothing."""
        if not actor.reads_records:
            raise AccessDeniedError(SELF_CHECK_ONLY)
        if actor.role == "solo":
            if self.refuse_solo:
                raise AccessDeniedError("clinic mode: this needs a logged-in user (the call named no user)")
            return
        if actor.user_id is None:
            raise AccessDeniedError(f"{actor.name}: a clinic user needs an account (no user id given)")
        row = conn.execute(select(users.c.role, users.c.disabled).where(users.c.id == actor.user_id)).first()
        if row is None or row.disabled:
            raise AccessDeniedError(f"the account {actor.name!r} is disabled or no longer exists")
        if row.role != actor.role:
            raise AccessDeniedError(f"the account {actor.name!r} is no longer {actor.role}; log in again")

    def _client_row(self, conn: Connection, client_id: int, actor: Actor, *, owner_only: bool = False) -> Row[Any]:
        """The client's row if `actor` may see it (owner_only: may delete it); clear errors otherwise."""
        self._check_actor(conn, actor)
        row = conn.execute(select(clients).where(clients.c.id == client_id)).first()
        if row is None:
            raise ClientNotFoundError(client_id)
        if actor.sees_every_client:
            return row
        if owner_only:
            if row.owner_user_id != actor.user_id:
                raise AccessDeniedError(f"only the client's own therapist or an admin can do this ({actor.name} cannot)")
            return row
        if row.is_self_check or row.owner_user_id == actor.user_id or conn.execute(
            select(client_shares.c.client_id).where(client_shares.c.client_id == client_id, client_shares.c.user_id == actor.user_id)
        ).first() is not None:
            return row
        raise AccessDeniedError(f"client {client_id} is not one of {actor.name}'s clients (neither theirs nor shared with them)")

    def _visible(self, actor: Actor) -> Any:
        """The WHERE clause of the clients `actor` may see (call _check_actor first)."""
        if actor.sees_every_client:
            return clients.c.id.is_not(None)
        shared = exists().where(client_shares.c.client_id == clients.c.id, client_shares.c.user_id == actor.user_id)
        return or_(clients.c.owner_user_id == actor.user_id, clients.c.is_self_check == 1, shared)

    def _require_admin(self, conn: Connection, actor: Actor, what: str) -> None:
        self._check_actor(conn, actor)
        if not actor.sees_every_client:
            raise AccessDeniedError(f"only an admin can {what} ({actor.name} is a {actor.role})")

    def _note_view(self, actor: Actor, client_id: int) -> None:
        """Record that a clinic user looked at a client (coalesced: see audit.VIEW_COALESCE_S)."""
        if actor.role not in ("therapist", "admin"):
            return  # solo mode: one person, their own records
        with self.write() as conn:
            if not audit.recent_view(conn, actor, client_id):
                audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_VIEW, client_id)

    # --- clients --------------------------------------------------------------------

    def create_client(self, name: str, birth_date: str | None = None, height_cm: float | None = None, *,
                      actor: Actor = SOLO, owner_user_id: int | None = None) -> Client:
        """Add a client. Raises UsageError, with a message for the therapist, on a bad field.

        A therapist's new client is theirs; an admin may name the owner (`owner_user_id`).
        """
        name = _valid_name(name)
        birth_date = _valid_birth_date(birth_date)
        height_cm = _valid_height(height_cm)
        created = _now()
        with self.write() as conn:
            self._check_actor(conn, actor)
            owner = actor.user_id if actor.role == "therapist" else owner_user_id
            if owner is not None:
                self._require_user(conn, owner)
            client_id = _new_id(conn.execute(insert(clients).values(
                name=name, birth_date=birth_date, height_cm=height_cm, created=created, is_self_check=0, owner_user_id=owner,
            )))
            audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_CREATE, client_id, "" if owner is None else f"owner user {owner}")
        return Client(client_id, name, birth_date, height_cm, created, False, owner)

    def update_client(self, client_id: int, name: str, birth_date: str | None, height_cm: float | None, *,
                      actor: Actor = SOLO) -> Client:
        """Change a client's fields (validated as in `create_client`)."""
        name = _valid_name(name)
        birth_date = _valid_birth_date(birth_date)
        height_cm = _valid_height(height_cm)
        with self.write() as conn:
            old = self._client_row(conn, client_id, actor)
            if old.is_self_check:
                raise ClientNotFoundError(client_id)
            changed = [f for f, v in (("name", name), ("birth_date", birth_date), ("height_cm", height_cm)) if getattr(old, f) != v]
            conn.execute(update(clients).where(clients.c.id == client_id).values(name=name, birth_date=birth_date, height_cm=height_cm))
            audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_EDIT, client_id, "changed: " + (", ".join(changed) or "nothing"))
            row = conn.execute(select(clients).where(clients.c.id == client_id)).one()
        return _client(row)

    def get_client(self, client_id: int, *, actor: Actor = SOLO) -> Client:
        """One client (or self-check owner). ClientNotFoundError if it is gone; AccessDeniedError if not the actor's."""
        with self.read() as conn:
            client = _client(self._client_row(conn, client_id, actor))
        self._note_view(actor, client_id)
        return client

    def list_clients(self, search: str = "", *, actor: Actor = SOLO) -> list[Client]:
        """The actor's clients (never self-check owners) whose name contains `search`, ignoring case and accents.

        Matching uses `search_key` on both sides, in Python: SQLite's LIKE folds ASCII only.
        """
        with self.read() as conn:
            self._check_actor(conn, actor)
            rows = conn.execute(select(clients).where(clients.c.is_self_check == 0, self._visible(actor))).fetchall()
        wanted = search_key(search)
        found = [(search_key(r.name), _client(r)) for r in rows]
        found = [(key, c) for key, c in found if wanted in key]
        found.sort(key=lambda kc: (kc[0], kc[1].name, kc[1].id))
        return [c for _, c in found]

    def delete_client(self, client_id: int, *, actor: Actor = SOLO, action: str = audit.CLIENT_DELETE) -> int:
        """Delete a client with all their sessions, photos, draft and shares; returns how many photo files went.

        Photo files that no other record uses are removed.

        Only the client's own therapist, an admin or solo mode may. The audit trail keeps its
        events about the client (ids only, no name).
        """
        with self.write() as conn:
            self._client_row(conn, client_id, actor, owner_only=True)
            n_sessions = len(conn.execute(select(sessions.c.id).where(sessions.c.client_id == client_id)).fetchall())
            if conn.execute(delete(clients).where(clients.c.id == client_id)).rowcount == 0:
                raise ClientNotFoundError(client_id)
            audit.insert_event(conn, actor.name, actor.role, action, client_id, f"{n_sessions} sessions deleted")
        return self.collect_garbage()

    def share_client(self, client_id: int, user_id: int, *, actor: Actor) -> None:
        """Let another clinic user see and edit a client (admins only). Sharing twice is harmless."""
        with self.write() as conn:
            self._require_admin(conn, actor, "share clients")
            self._client_row(conn, client_id, actor)
            self._require_user(conn, user_id)
            already = conn.execute(select(client_shares.c.user_id).where(
                client_shares.c.client_id == client_id, client_shares.c.user_id == user_id)).first()
            if already is None:
                conn.execute(insert(client_shares).values(client_id=client_id, user_id=user_id))
                audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_SHARE, client_id, f"shared with user {user_id}")

    def unshare_client(self, client_id: int, user_id: int, *, actor: Actor) -> None:
        """Stop sharing a client with a user (admins only)."""
        with self.write() as conn:
            self._require_admin(conn, actor, "change who a client is shared with")
            self._client_row(conn, client_id, actor)
            gone = conn.execute(delete(client_shares).where(
                client_shares.c.client_id == client_id, client_shares.c.user_id == user_id)).rowcount
            if gone:
                audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_UNSHARE, client_id, f"no longer shared with user {user_id}")

    def shared_with(self, client_id: int, *, actor: Actor = SOLO) -> list[int]:
        """The user ids a client is shared with."""
        with self.read() as conn:
            self._client_row(conn, client_id, actor)
            return [int(r[0]) for r in conn.execute(
                select(client_shares.c.user_id).where(client_shares.c.client_id == client_id).order_by(client_shares.c.user_id))]

    def reassign_client(self, client_id: int, user_id: int | None, *, actor: Actor) -> Client:
        """Give a client to another therapist (None: to no one). Admins only."""
        with self.write() as conn:
            self._require_admin(conn, actor, "reassign clients")
            old = self._client_row(conn, client_id, actor)
            if old.is_self_check:
                raise ClientNotFoundError(client_id)
            if user_id is not None:
                self._require_user(conn, user_id)
            conn.execute(update(clients).where(clients.c.id == client_id).values(owner_user_id=user_id))
            audit.insert_event(conn, actor.name, actor.role, audit.CLIENT_REASSIGN, client_id,
                               f"owner user {old.owner_user_id} -> {user_id}")
            return _client(conn.execute(select(clients).where(clients.c.id == client_id)).one())

    def _require_user(self, conn: Connection, user_id: int) -> None:
        row = conn.execute(select(users.c.disabled).where(users.c.id == user_id)).first()
        if row is None:
            raise UsageError(f"no user with id {user_id}")
        if row.disabled:
            raise UsageError(f"user {user_id} is disabled")

    # --- sessions -------------------------------------------------------------------

    def save_session(self, client_id: int, intake: Intake, photos: list[NewPhoto], kind: SessionKind = "assessment", *,
                     actor: Actor = SOLO, idempotency_key: str | None = None) -> int:
        """Store one session atomically; returns its id (never reused).

        Saving an assessment also deletes the client's draft, in the same transaction.
        `idempotency_key` (one per submitted form, e.g. a random token made when the form is
        shown): a second save with the same key stores nothing and returns the first id.
        """
        kind = _valid_kind(kind)
        key = _valid_key(idempotency_key)
        if not actor.reads_records:
            raise AccessDeniedError(SELF_CHECK_ONLY)

        def insert_(conn: Connection, hashes: list[str]) -> int:
            if key is not None:
                found = _session_with_key(conn, key)
                if found is not None:
                    return found  # already saved by an earlier submit of the same form
            self._client_row(conn, client_id, actor)
            session_id = self._insert_session(conn, client_id, intake, photos, hashes, kind, key)
            if kind == "assessment":
                conn.execute(delete(drafts).where(drafts.c.client_id == client_id))
            audit.insert_event(conn, actor.name, actor.role, audit.SESSION_CREATE, client_id,
                               f"session {session_id} ({kind}, {len(photos)} photos)")
            return session_id

        try:
            return self._save_with_photos(photos, insert_)
        except ConflictError:
            # Another save with the same key committed between our check and our insert
            # (PostgreSQL runs them side by side), or the client went meanwhile.
            with self.read() as conn:
                found = _session_with_key(conn, key) if key is not None else None
                if found is not None:
                    return found
                if conn.execute(select(clients.c.id).where(clients.c.id == client_id)).first() is None:
                    raise ClientNotFoundError(client_id) from None
            raise

    def save_self_check(self, label: str, intake: Intake, photos: list[NewPhoto], *, actor: Actor = SOLO,
                        idempotency_key: str | None = None) -> int:
        """Store a self check made by a client without an account; returns the session id.

        Any actor may, SELF_CHECK included (and only this). It is never attached to a
        therapist's client, whatever name is typed: it goes to a self-check owner named
        `label` (created on first use, reused for the same label so repeated checks form a
        series), which `list_clients` never returns. The session's kind is "self_check", so
        `sessions(id)` (assessments only, by default) never shows it. A therapist can attach
        one to a client deliberately with `link_self_check`. Raises UsageError for an empty
        label or no photo.
        """
        label = _valid_name(label, what="Name or pseudonym")
        key = _valid_key(idempotency_key)

        def insert_(conn: Connection, hashes: list[str]) -> int:
            if key is not None:
                found = _session_with_key(conn, key)
                if found is not None:
                    return found
            row = conn.execute(select(clients.c.id).where(clients.c.is_self_check == 1, clients.c.name == label)
                               .order_by(clients.c.id).limit(1)).first()
            if row is not None:
                owner_id = int(row.id)
            else:
                owner_id = _new_id(conn.execute(insert(clients).values(name=label, created=_now(), is_self_check=1)))
            session_id = self._insert_session(conn, owner_id, intake, photos, hashes, "self_check", key)
            audit.insert_event(conn, actor.name, actor.role, audit.SELF_CHECK_CREATE, owner_id, f"session {session_id}")
            return session_id

        try:
            return self._save_with_photos(photos, insert_)
        except ConflictError:
            with self.read() as conn:
                found = _session_with_key(conn, key) if key is not None else None
            if found is None:
                raise
            return found

    def self_checks(self, *, actor: Actor = SOLO) -> list[SessionRecord]:
        """Self checks not linked to a client, oldest first (`client_id` is the self-check owner; `get_client` gives its label).

        Every clinic user sees them: they belong to no therapist until one links them.
        """
        with self.read() as conn:
            self._check_actor(conn, actor)
            owners = [int(r[0]) for r in conn.execute(select(clients.c.id).where(clients.c.is_self_check == 1))]
        found = [s for owner in owners for s in self.sessions(owner, kind="self_check", actor=actor)]
        return sorted(found, key=lambda s: (s.created, s.id))

    def link_self_check(self, session_id: int, client_id: int, *, actor: Actor = SOLO) -> None:
        """Attach a self check to a therapist's client (it stays marked as a self check)."""
        with self.write() as conn:
            self._check_actor(conn, actor)
            row = conn.execute(
                select(sessions.c.kind, clients.c.is_self_check).join(clients, clients.c.id == sessions.c.client_id)
                .where(sessions.c.id == session_id)
            ).first()
            if row is None or row.kind != "self_check":
                raise StorageError(f"no self check with id {session_id}")
            target = self._client_row(conn, client_id, actor)
            if target.is_self_check:
                raise ClientNotFoundError(client_id)
            conn.execute(update(sessions).where(sessions.c.id == session_id).values(client_id=client_id))
            # An owner left without checks is dropped, so it does not linger as an empty label.
            conn.execute(delete(clients).where(clients.c.is_self_check == 1, clients.c.id.not_in(select(sessions.c.client_id))))
            audit.insert_event(conn, actor.name, actor.role, audit.SELF_CHECK_LINK, client_id, f"session {session_id}")

    def sessions(self, client_id: int, kind: SessionKind | None = "assessment", *, actor: Actor = SOLO) -> list[SessionRecord]:
        """A client's sessions of `kind` (assessments by default; None: every kind), oldest first.

        A client that no longer exists has no sessions (an empty list).
        """
        kinds = SESSION_KINDS if kind is None else (_valid_kind(kind),)
        with self.read() as conn:
            try:
                self._client_row(conn, client_id, actor)
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
        self._note_view(actor, client_id)
        return [
            SessionRecord(int(r.id), int(r.client_id), r.created, Intake.from_dict(json.loads(r.intake_json)),
                          by_session.get(int(r.id), []), cast(SessionKind, r.kind))
            for r in rows
        ]

    def delete_session(self, session_id: int, *, actor: Actor = SOLO) -> None:
        """Delete one session and its photo records (nothing happens if it is already gone)."""
        with self.write() as conn:
            self._check_actor(conn, actor)
            row = conn.execute(select(sessions.c.client_id).where(sessions.c.id == session_id)).first()
            if row is None:
                return
            self._client_row(conn, int(row.client_id), actor)
            conn.execute(delete(sessions).where(sessions.c.id == session_id))
            audit.insert_event(conn, actor.name, actor.role, audit.SESSION_DELETE, int(row.client_id), f"session {session_id}")
        self.collect_garbage()

    def photo_bytes(self, sha256: str, *, actor: Actor = SOLO) -> bytes:
        """A stored photo's bytes, checked against its hash (PhotoCorruptError if the file changed)."""
        if not _SHA256.fullmatch(sha256 or ""):
            raise StorageError(f"{sha256!r} is not a photo hash (64 hexadecimal digits)")
        if actor.role != "solo":
            with self.read() as conn:
                self._check_actor(conn, actor)
                owners = conn.execute(
                    select(clients.c.id).join(sessions, sessions.c.client_id == clients.c.id)
                    .join(photos, photos.c.session_id == sessions.c.id).where(photos.c.sha256 == sha256, self._visible(actor)).limit(1)
                ).first()
            if owners is None:
                raise AccessDeniedError(f"photo {sha256[:12]} belongs to no client of {actor.name}")
        path = self.photos_dir / f"{sha256}.jpg"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StorageError(f"photo {sha256[:12]} is missing from {self.photos_dir} ({exc.strerror})") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise PhotoCorruptError(f"photo {sha256[:12]} in {self.photos_dir} is damaged: its content no longer matches its hash; "
                                    "restore the photo folder from a backup")
        return data

    # --- drafts ---------------------------------------------------------------------

    def save_draft(self, client_id: int, payload: bytes, *, actor: Actor = SOLO) -> None:
        """Keep the unsaved intake of a client (opaque bytes), replacing the previous draft atomically."""
        with self.write() as conn:
            self._client_row(conn, client_id, actor)
            if conn.execute(update(drafts).where(drafts.c.client_id == client_id).values(payload=payload, updated=_now())).rowcount == 0:
                conn.execute(insert(drafts).values(client_id=client_id, payload=payload, updated=_now()))

    def load_draft(self, client_id: int, *, actor: Actor = SOLO) -> bytes | None:
        """The client's draft as saved, or None (also when the client is gone)."""
        with self.read() as conn:
            try:
                self._client_row(conn, client_id, actor)
            except ClientNotFoundError:
                return None
            row = conn.execute(select(drafts.c.payload).where(drafts.c.client_id == client_id)).first()
        return None if row is None else bytes(row.payload)

    def delete_draft(self, client_id: int, *, actor: Actor = SOLO) -> None:
        """Forget the client's draft (nothing happens if there is none, or no client)."""
        with self.write() as conn:
            try:
                self._client_row(conn, client_id, actor)
            except ClientNotFoundError:
                return
            conn.execute(delete(drafts).where(drafts.c.client_id == client_id))

    # --- files ----------------------------------------------------------------------

    def _insert_session(self, conn: Connection, client_id: int, intake: Intake, photos_: list[NewPhoto],
                        hashes: list[str], kind: SessionKind, idempotency_key: str | None = None) -> int:
        session_id = _new_id(conn.execute(insert(sessions).values(
            client_id=client_id, created=_now(), intake_json=json.dumps(intake.to_dict()), kind=kind, idempotency_key=idempotency_key,
        )))
        conn.execute(insert(photos), [
            {"session_id": session_id, "sha256": h, "filename": p.filename, "assessment_json": json.dumps(p.assessment.to_dict())}
            for h, p in zip(hashes, photos_, strict=True)
        ])
        return session_id

    @contextmanager
    def _photo_lock(self, exclusive: bool) -> Iterator[Connection]:
        """A write transaction holding the photo lock (see the module notes)."""
        with self.write() as conn:  # on SQLite, BEGIN IMMEDIATE is the lock
            if not self.is_sqlite:
                how = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
                conn.exec_driver_sql(f"SELECT {how}({db.PHOTO_LOCK_KEY})")
            yield conn

    def _save_with_photos(self, photos_: list[NewPhoto], insert_: Callable[[Connection, list[str]], int]) -> int:
        """Register the photos as being saved, write them, then run `insert_` and commit (see the module notes)."""
        if not photos_:
            raise UsageError("a session needs at least one assessed photo")
        hashes = [hashlib.sha256(p.data).hexdigest() for p in photos_]
        token = secrets.token_hex(16)
        with self.write() as conn:
            conn.execute(insert(pending_photos), [{"token": token, "sha256": h, "started": time.time()} for h in dict.fromkeys(hashes)])
        try:
            for p in photos_:  # files first, then the record
                self._write_photo(p.data)
            with self._photo_lock(exclusive=False) as conn:
                # Under the lock clean-up cannot run; if this save outlived its
                # registration and a photo was collected, write it again before committing.
                for h, p in zip(hashes, photos_, strict=True):
                    if not (self.photos_dir / f"{h}.jpg").exists():
                        self._write_photo(p.data)
                result = insert_(conn, hashes)
                conn.execute(delete(pending_photos).where(pending_photos.c.token == token))
            return result
        except BaseException:
            try:
                with self.write() as conn:
                    conn.execute(delete(pending_photos).where(pending_photos.c.token == token))
            except StorageError:
                pass  # the registration expires on its own; the original error matters more
            raise

    def _write_photo(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.photos_dir / f"{digest}.jpg"
        if not path.exists():
            write_private_file(path, data)  # temp file, fsync, rename, fsync the folder
        return digest

    def collect_garbage(self, abandoned_after: float = ABANDONED_AFTER_S) -> int:
        """Remove photo files no record refers to (left by a crash or a deletion); returns how many.

        Files of saves in progress (registered in `pending_photos`) and their temporary
        files are kept; a registration older than `abandoned_after` seconds is a crashed
        save's and is dropped. Runs under the photo lock (see the module notes).
        """
        removed = 0
        with self._photo_lock(exclusive=True) as conn:
            conn.execute(delete(pending_photos).where(pending_photos.c.started < time.time() - abandoned_after))
            keep = {r[0] for r in conn.execute(select(photos.c.sha256).union(select(pending_photos.c.sha256)))}
            try:
                for path in self.photos_dir.iterdir():
                    if _collectable(path.name, keep):
                        path.unlink(missing_ok=True)
                        removed += 1
            except OSError as exc:
                raise StorageError(f"{self.photos_dir}: clean-up failed ({exc.strerror or exc})") from None
        return removed


def _new_id(result: CursorResult[Any]) -> int:
    """The id an INSERT gave its row."""
    key = result.inserted_primary_key
    assert key is not None, "INSERT without a primary key"
    return int(key[0])


def _session_with_key(conn: Connection, key: str) -> int | None:
    row = conn.execute(select(sessions.c.id).where(sessions.c.idempotency_key == key)).first()
    return None if row is None else int(row.id)


def _reason(exc: DBAPIError) -> str:
    """The driver's first line, without SQLAlchemy's statement dump (which may hold client data)."""
    return (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]


def _collectable(name: str, keep: set[str]) -> bool:
    """Whether a file in photos/ may go: an unused photo, or a temporary file of no save in progress."""
    if name.endswith(".tmp"):
        # `.<hash>.jpg.<random>.tmp` (write_private_file); older versions' `.incoming-*.tmp` have no hash.
        match = re.fullmatch(r"\.([0-9a-f]{64})\.jpg\..*\.tmp", name)
        return match is None or match.group(1) not in keep
    return name.endswith(".jpg") and name.removesuffix(".jpg") not in keep


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return None


def _client(row: Row[Any]) -> Client:
    owner = row.owner_user_id
    return Client(int(row.id), row.name, row.birth_date, row.height_cm, row.created, bool(row.is_self_check),
                  None if owner is None else int(owner))


# --- search ---------------------------------------------------------------------------

# Letters that Unicode does not decompose into a base letter and a mark (NFKD leaves them
# whole), spelled the way a keyboard without them would.
_UNDECOMPOSED = str.maketrans({
    "ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "ı": "i",
    "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th",
})


def search_key(text: str) -> str:
    """`text` folded for matching: case-folded, accents dropped, spaces collapsed.

    "Zofia Łukasiewicz" -> "zofia lukasiewicz", "MÜLLER" -> "muller", "Straße" -> "strasse".
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(bare.translate(_UNDECOMPOSED).split())


# --- validation (messages are shown to the therapist as they are) ------------------------


def _valid_name(name: str, what: str = "Client name (or pseudonym)") -> str:
    name = (name or "").strip()
    if not name:
        raise UsageError(f"{what} must not be empty")
    if len(name) > NAME_MAX_CHARS:
        raise UsageError(f"{what} must be at most {NAME_MAX_CHARS} characters; it has {len(name)}")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise UsageError(f"{what} must be on one line, without tabs or control characters")
    return name


def _valid_birth_date(birth_date: str | None, today: dt.date | None = None) -> str | None:
    text = (birth_date or "").strip()
    if not text:
        return None
    example = "e.g. 1985-03-12"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, flags=re.ASCII):
        raise UsageError(f"Date of birth must be YYYY-MM-DD, {example}; got {text!r}")
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"Date of birth {text} does not exist (check the month and day); use YYYY-MM-DD, {example}") from None
    if date > (today or dt.date.today()):
        raise UsageError(f"Date of birth {text} is in the future")
    if date.year < EARLIEST_BIRTH_YEAR:
        raise UsageError(f"Date of birth {text} is before {EARLIEST_BIRTH_YEAR}; check the year")
    return text


def _valid_height(height_cm: float | None) -> float | None:
    if height_cm is None:
        return None
    low, high = HEIGHT_RANGE_CM
    try:
        value = float(height_cm)
    except (TypeError, ValueError):
        raise UsageError(f"Height must be a number of centimetres between {low:g} and {high:g}; got {height_cm!r}") from None
    if not low <= value <= high:  # also refuses NaN
        raise UsageError(f"Height must be between {low:g} and {high:g} cm; got {value:g} cm")
    return value


def _valid_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_CHARS or not key.isascii() or not key.isprintable():
        raise UsageError(f"an idempotency key must be 1-{IDEMPOTENCY_KEY_MAX_CHARS} printable ASCII characters")
    return key


def _valid_kind(kind: str) -> SessionKind:
    if kind not in SESSION_KINDS:
        raise UsageError(f"session kind must be one of {', '.join(SESSION_KINDS)}; got {kind!r}")
    return cast(SessionKind, kind)  # checked against SESSION_KINDS just above
