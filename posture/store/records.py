"""Storage: clients, assessment sessions and their photos, in SQLite or PostgreSQL.

`Store` is the one door: callers open a Store and call its methods. Behind it, each room
has one job, and imports flow one way (the rooms never import this module):

- transactions.py: the database's transactions, and its errors as StorageError (db.py picks
  the database, connects and migrates it; legacy.py keeps the pre-Alembic schema steps);
- access.py: who may see and do what (every method takes `actor`, actor.py; default SOLO,
  today's behaviour);
- clients.py: clients, their search, sharing and reassigning;
- sessions.py: assessments and self checks with their photos, saved idempotently;
- drafts.py: a client's unsaved intake;
- photo_files.py: content-addressed photo files, the lock that keeps clean-up away from a
  save, and the clean-up;
- validation.py: the checks on typed fields;
- audit.py: the trail, written in the same transaction as each change;
- grants.py (beside the Store, for `posture db upgrade`): the PostgreSQL app role's rights.

The database is the SQLite file `posture.db` in the data folder (`paths.data_dir()`:
`$POSTURE_DATA_DIR`, default `~/.posture`), or PostgreSQL when `POSTURE_DATABASE_URL` says
so (see db.py: connections, locks, migrations at start-up). The folder and the photo folder
are 0700, the SQLite file (and so its `-wal`/`-shm` files, which SQLite creates with the
database's mode) and every photo 0600, whatever the umask. Ids are never reused
(AUTOINCREMENT on SQLite, sequences on PostgreSQL).
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from posture.core.errors import StorageError
from posture.core.intake import Intake

from . import audit, db
from .access import SELF_CHECK_ONLY, AccessControl
from .actor import SOLO, Actor
from .clients import Client, ClientRecords, search_key
from .drafts import Drafts
from .legacy import LEGACY_MIGRATIONS, MIGRATIONS, SCHEMA_VERSION
from .paths import PRIVATE_FILE_MODE, data_dir, photo_dir, private_dir
from .photo_files import ABANDONED_AFTER_S, PhotoFiles, make_folder_private
from .sessions import NewPhoto, PhotoRecord, SessionCounts, SessionRecord, SessionRecords
from .transactions import Database
from .validation import SESSION_KINDS, SessionKind

# The names callers have always imported from here; each is defined in its room.
__all__ = [
    "ABANDONED_AFTER_S", "LEGACY_MIGRATIONS", "MIGRATIONS", "SCHEMA_VERSION", "SELF_CHECK_ONLY", "SESSION_KINDS",
    "Client", "NewPhoto", "PhotoRecord", "SessionCounts", "SessionKind", "SessionRecord", "Store", "search_key",
]


class Store:
    """The database and the photo folder. Safe to use from several threads and processes.

    `Store(folder)` uses `folder` (default: the data folder) for photos and, unless `url`
    or `$POSTURE_DATABASE_URL` names another database, for the SQLite file. Opening a
    Store runs the migrations the database needs.
    """

    def __init__(self, folder: Path | str | None = None, *, url: str | None = None, refuse_solo: bool = False) -> None:
        self.folder = Path(folder) if folder is not None else data_dir()
        self.photos_dir = photo_dir(self.folder)
        self.url = url or db.database_url(self.folder)
        self.is_sqlite = db.is_sqlite(self.url)
        sqlite_file = make_url(self.url).database if self.is_sqlite else None
        # The SQLite file (unused, but still named, with PostgreSQL).
        self.db_path = Path(sqlite_file) if sqlite_file else self.folder / "posture.db"
        self.where = str(self.db_path) if self.is_sqlite else db.safe_url(self.url)
        self._make_private()
        self.database = Database(self.url, self.where)
        self.engine = self.database.engine
        # Clinic mode opens the store with refuse_solo: a call that forgot `actor=` (SOLO by
        # default) is refused instead of silently seeing every client.
        self.access = AccessControl(self.database, refuse_solo=refuse_solo)
        self.photo_files = PhotoFiles(self.database, self.photos_dir)
        self.client_records = ClientRecords(self.database, self.access, self.photo_files)
        self.session_records = SessionRecords(self.database, self.access, self.photo_files)
        self.drafts = Drafts(self.database, self.access)
        self.migrate()

    def _make_private(self) -> None:
        """Health data: the folders owner-only, and the SQLite file created owner-only before SQLite opens it."""
        private_dir(self.folder)
        try:
            make_folder_private(self.photos_dir)
            if self.is_sqlite:
                # SQLite gives its -wal and -shm files the database's mode, whatever the umask.
                private_dir(self.db_path.parent)
                os.close(os.open(self.db_path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE_MODE))
                for path in (self.db_path, Path(f"{self.db_path}-wal"), Path(f"{self.db_path}-shm")):
                    if path.exists():
                        os.chmod(path, PRIVATE_FILE_MODE)
        except OSError as exc:
            raise StorageError(f"{self.folder}: data files cannot be made private ({exc.strerror or exc})") from None

    @property
    def refuse_solo(self) -> bool:
        return self.access.refuse_solo

    # --- transactions -------------------------------------------------------------------

    def write(self) -> AbstractContextManager[Connection]:
        """One write transaction, committed when the block ends (BEGIN IMMEDIATE on SQLite)."""
        return self.database.write()

    def read(self) -> AbstractContextManager[Connection]:
        """One read-only transaction (a consistent snapshot on SQLite; statement-level on PostgreSQL)."""
        return self.database.read()

    def schema_version(self) -> int:
        """The pre-Alembic schema number (SQLite's user_version; 3 once migrated). See `revision` for Alembic's."""
        return self.database.schema_version()

    def revision(self) -> str | None:
        """The Alembic revision the database is at."""
        return self.database.revision()

    def migrate(self) -> None:
        """Bring the database to the newest schema (see db.upgrade); runs when the Store opens."""
        self.database.migrate()

    # --- clients --------------------------------------------------------------------

    def create_client(self, name: str, birth_date: str | None = None, height_cm: float | None = None, *,
                      actor: Actor = SOLO, owner_user_id: int | None = None) -> Client:
        """Add a client. Raises UsageError, with a message for the therapist, on a bad field.

        A therapist's new client is theirs; an admin may name the owner (`owner_user_id`).
        """
        return self.client_records.create(name, birth_date, height_cm, actor, owner_user_id)

    def update_client(self, client_id: int, name: str, birth_date: str | None, height_cm: float | None, *,
                      actor: Actor = SOLO) -> Client:
        """Change a client's fields (validated as in `create_client`)."""
        return self.client_records.edit(client_id, name, birth_date, height_cm, actor)

    def get_client(self, client_id: int, *, actor: Actor = SOLO) -> Client:
        """One client (or self-check owner). ClientNotFoundError if it is gone; AccessDeniedError if not the actor's."""
        return self.client_records.get(client_id, actor)

    def list_clients(self, search: str = "", *, actor: Actor = SOLO) -> list[Client]:
        """The actor's clients (never self-check owners) whose name contains `search`, ignoring case and accents (`search_key`)."""
        return self.client_records.search(search, actor)

    def delete_client(self, client_id: int, *, actor: Actor = SOLO, action: str = audit.CLIENT_DELETE) -> int:
        """Delete a client with all their sessions, photos, draft and shares; returns how many photo files went.

        Photo files that no other record uses are removed.

        Only the client's own therapist, an admin or solo mode may. The audit trail keeps its
        events about the client (ids only, no name).
        """
        return self.client_records.delete(client_id, actor, action)

    def share_client(self, client_id: int, user_id: int, *, actor: Actor) -> None:
        """Let another clinic user see and edit a client (admins only). Sharing twice is harmless."""
        self.client_records.share(client_id, user_id, actor)

    def unshare_client(self, client_id: int, user_id: int, *, actor: Actor) -> None:
        """Stop sharing a client with a user (admins only)."""
        self.client_records.unshare(client_id, user_id, actor)

    def shared_with(self, client_id: int, *, actor: Actor = SOLO) -> list[int]:
        """The user ids a client is shared with."""
        return self.client_records.shared_with(client_id, actor)

    def reassign_client(self, client_id: int, user_id: int | None, *, actor: Actor) -> Client:
        """Give a client to another therapist (None: to no one). Admins only."""
        return self.client_records.reassign(client_id, user_id, actor)

    # --- sessions -------------------------------------------------------------------

    def save_session(self, client_id: int, intake: Intake, photos: list[NewPhoto], kind: SessionKind = "assessment", *,
                     actor: Actor = SOLO, idempotency_key: str | None = None) -> int:
        """Store one session atomically; returns its id (never reused).

        Saving an assessment also deletes the client's draft, in the same transaction.
        `idempotency_key` (one per submitted form, e.g. a random token made when the form is
        shown): a second save with the same key stores nothing and returns the first id.
        """
        return self.session_records.save(client_id, intake, photos, kind, actor, idempotency_key)

    def save_self_check(self, label: str, intake: Intake, photos: list[NewPhoto], *, actor: Actor = SOLO,
                        idempotency_key: str | None = None, for_code: str | None = None) -> int:
        """Store a self check made by a client without an account; returns the session id.

        Any actor may, SELF_CHECK included (and only this). It is never attached to a
        therapist's client, whatever name is typed: it goes to a self-check owner named
        `label` (created on first use, reused for the same label so repeated checks form a
        series), which `list_clients` never returns: with `for_code` (a therapist's self-check
        link, `/Self_check?for=CODE`), among that therapist's unfiled checks; without, in the
        clinic's inbox (admins only). An unknown or disabled user's code is a UsageError. The session's kind is "self_check", so
        `sessions(id)` (assessments only, by default) never shows it. A therapist can attach
        one to a client deliberately with `link_self_check`. Raises UsageError for an empty
        label or no photo.
        """
        return self.session_records.save_self_check(label, intake, photos, actor, idempotency_key, for_code)

    def self_checks(self, *, actor: Actor = SOLO) -> list[SessionRecord]:
        """Self checks not linked to a client, oldest first (`client_id` is the self-check owner; `get_client` gives its label).

        A therapist sees those that came through their own link; the clinic's inbox (checks
        saved without a link) is seen by admins (and solo mode) only.
        """
        return self.session_records.self_checks(actor)

    def link_self_check(self, session_id: int, client_id: int, *, actor: Actor = SOLO) -> None:
        """File a self check under a client (it stays marked as a self check); audited.

        The actor must see both where the check is now (the inbox: admins only; or a client's
        file) and the target client. Moving it from one client to another records an unlink
        on the first and a link on the second.
        """
        self.session_records.link_self_check(session_id, client_id, actor)

    def unlink_self_check(self, session_id: int, *, actor: Actor = SOLO) -> None:
        """Take a self check out of a client's file, back among the unfiled checks of the client's
        therapist (the clinic's inbox if the client has none), under the client's name; audited."""
        self.session_records.unlink_self_check(session_id, actor)

    def sessions(self, client_id: int, kind: SessionKind | None = "assessment", *, actor: Actor = SOLO) -> list[SessionRecord]:
        """A client's sessions of `kind` (assessments by default; None: every kind), oldest first.

        A client that no longer exists has no sessions (an empty list).
        """
        return self.session_records.of_client(client_id, kind, actor)

    def session_counts(self, *, actor: Actor = SOLO) -> dict[int, SessionCounts]:
        """Sessions of each kind per client the actor may see (a client with none is absent).

        Counted in the database: nothing is read or parsed, and no view is recorded, so a list
        of clients does not look in the audit trail as if each had been opened.
        """
        return self.session_records.counts(actor)

    def delete_session(self, session_id: int, *, actor: Actor = SOLO) -> None:
        """Delete one session and its photo records (nothing happens if it is already gone)."""
        self.session_records.delete(session_id, actor)

    def photo_bytes(self, sha256: str, *, actor: Actor = SOLO) -> bytes:
        """A stored photo's bytes, checked against its hash (PhotoCorruptError if the file changed)."""
        return self.session_records.photo_bytes(sha256, actor)

    # --- drafts ---------------------------------------------------------------------

    def save_draft(self, client_id: int, payload: bytes, *, actor: Actor = SOLO) -> None:
        """Keep the unsaved intake of a client (opaque bytes), replacing the previous draft atomically."""
        self.drafts.save(client_id, payload, actor)

    def load_draft(self, client_id: int, *, actor: Actor = SOLO) -> bytes | None:
        """The client's draft as saved, or None (also when the client is gone)."""
        return self.drafts.load(client_id, actor)

    def delete_draft(self, client_id: int, *, actor: Actor = SOLO) -> None:
        """Forget the client's draft (nothing happens if there is none, or no client)."""
        self.drafts.delete(client_id, actor)

    # --- photo files ----------------------------------------------------------------

    def collect_garbage(self, abandoned_after: float = ABANDONED_AFTER_S) -> int:
        """Remove photo files no record refers to (left by a crash or a deletion); returns how many.

        Files of saves in progress and their temporary files are kept; a registration older
        than `abandoned_after` seconds is a crashed save's and is dropped (photo_files.py).
        """
        return self.photo_files.collect_garbage(abandoned_after)
