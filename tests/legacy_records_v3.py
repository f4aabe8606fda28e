"""FROZEN COPY of posture/store/records.py as of commit 2e97ba8 (schema 3, before SQLAlchemy), kept so
the migration tests open a database written by that code itself. Do not edit.

Local storage: clients, assessment sessions and their photos, in SQLite on this machine.

- One SQLite file (`posture.db`) in the data folder (`posture.store.paths.data_dir()`:
  `$POSTURE_DATA_DIR`, default `~/.posture`). WAL journal, so readers never block a writer
  and a crash cannot corrupt it. The folder and `photos/` are 0700, the database (and so
  its `-wal`/`-shm` files, which SQLite creates with the database's mode) and every photo
  0600, whatever the umask.
- Photos as files named by their SHA-256 (`photos/<hash>.jpg`), written atomically and
  fsynced (file and folder) *before* the record that names them is committed. A crash or
  a closed tab between the two leaves at most an unreferenced photo, never a record
  without its photo or half a session.
- Clean-up never removes a photo that is being saved. A save first registers the hashes
  it is about to write in `pending_photos` (committed), then writes the files, then
  commits the session and drops its registration in one transaction. `collect_garbage`
  lists and removes files while holding SQLite's write lock, so it either sees a save's
  registration (and spares its files and temporary files) or finishes before the save
  registers, in which case the save writes its files after the removal. This holds across
  processes because SQLite's lock is. A registration left by a save that crashed expires
  after `ABANDONED_AFTER_S`; a save that outlived its registration still cannot commit a
  record without its photo, because it checks (and rewrites) its files under the lock
  just before committing.
- Ids are never reused (AUTOINCREMENT): "session 3" always means one session.
- Schema versioned with `PRAGMA user_version`; `MIGRATIONS[i]` takes version i to i+1,
  each in one transaction. Migrations are history: never edit one, add the next.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, get_args

from posture.core.assessment import Assessment
from posture.core.errors import StorageError, UsageError
from posture.core.intake import Intake
from posture.store.paths import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, data_dir, private_dir, write_private_file

MIGRATIONS: tuple[str, ...] = (
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
SCHEMA_VERSION = len(MIGRATIONS)

# A save registers its photos, writes them and commits within seconds (the commit waits
# at most 30 s for the lock). A registration this old was left by a save that crashed.
ABANDONED_AFTER_S = 3600.0

NAME_MAX_CHARS = 200
HEIGHT_RANGE_CM = (50.0, 250.0)
EARLIEST_BIRTH_YEAR = 1900

SessionKind = Literal["assessment", "self_check"]
SESSION_KINDS: tuple[str, ...] = get_args(SessionKind)


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    birth_date: str | None
    height_cm: float | None
    created: str
    is_self_check: bool = False  # an owner of self checks (never listed as a client)


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


class Store:
    """The local database. Safe to use from several threads/processes (one connection each call)."""

    def __init__(self, folder: Path | str | None = None) -> None:
        self.folder = Path(folder) if folder is not None else data_dir()
        self.photos_dir = self.folder / "photos"
        self.db_path = self.folder / "posture.db"
        photos_were_private = _mode(self.photos_dir) == PRIVATE_DIR_MODE
        private_dir(self.folder)  # health data: owner only
        private_dir(self.photos_dir)
        try:
            if not photos_were_private:  # made by an older version (0755 folder, 0644 files)
                for path in self.photos_dir.iterdir():
                    os.chmod(path, PRIVATE_FILE_MODE)
            # Create the database file owner-only before SQLite opens it: SQLite gives its
            # -wal and -shm files the database's mode, whatever the umask.
            os.close(os.open(self.db_path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE_MODE))
            for path in (self.db_path, self.folder / "posture.db-wal", self.folder / "posture.db-shm"):
                if path.exists():
                    os.chmod(path, PRIVATE_FILE_MODE)
        except OSError as exc:
            raise StorageError(f"{self.folder}: data files cannot be made private ({exc.strerror or exc})") from None
        self.migrate()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"{self.db_path}: cannot open the database ({exc})") from None
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            yield conn
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.db_path}: database error ({exc})") from None
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def schema_version(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Bring the database to `target`, one version per transaction."""
        with self._connect() as conn:
            # Rebuilding a table drops the old one; with foreign keys on that would delete
            # every row referring to it. The pragma only takes effect outside a transaction.
            conn.execute("PRAGMA foreign_keys = OFF")
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) == target:
                return  # the usual case: no write lock needed just to open the store
            while True:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # Read under the lock: another process may have migrated meanwhile.
                    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                    if version > SCHEMA_VERSION:
                        raise StorageError(
                            f"{self.db_path} was written by a newer version (schema {version} > {SCHEMA_VERSION}); update posture"
                        )
                    if version >= target:
                        conn.execute("COMMIT")
                        return
                    # executescript would commit on its own; run statement by statement instead.
                    for statement in filter(str.strip, MIGRATIONS[version].split(";")):
                        conn.execute(statement)
                    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StorageError(f"{self.db_path}: migration to schema {version + 1} found {len(broken)} broken references")
                    conn.execute(f"PRAGMA user_version = {version + 1}")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise

    # --- clients --------------------------------------------------------------------

    def create_client(self, name: str, birth_date: str | None = None, height_cm: float | None = None) -> Client:
        """Add a client. Raises UsageError, with a message for the therapist, on a bad field."""
        name = _valid_name(name)
        birth_date = _valid_birth_date(birth_date)
        height_cm = _valid_height(height_cm)
        created = _now()
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO clients (name, birth_date, height_cm, created) VALUES (?, ?, ?, ?)",
                (name, birth_date, height_cm, created),
            )
            return Client(int(cur.lastrowid or 0), name, birth_date, height_cm, created)

    def update_client(self, client_id: int, name: str, birth_date: str | None, height_cm: float | None) -> Client:
        """Change a client's fields (validated as in `create_client`)."""
        name = _valid_name(name)
        birth_date = _valid_birth_date(birth_date)
        height_cm = _valid_height(height_cm)
        with self._transaction() as conn:
            cur = conn.execute(
                "UPDATE clients SET name = ?, birth_date = ?, height_cm = ? WHERE id = ?",
                (name, birth_date, height_cm, client_id),
            )
            if cur.rowcount == 0:
                raise StorageError(f"no client with id {client_id}")
        return self.get_client(client_id)

    def get_client(self, client_id: int) -> Client:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM clients WHERE id = ?", (client_id,)).fetchone()
        if row is None:
            raise StorageError(f"no client with id {client_id}")
        return _client(row)

    def list_clients(self, search: str = "") -> list[Client]:
        """Clients (never self-check owners) whose name contains `search`, ignoring case and accents.

        Matching uses `search_key` on both sides, in Python: SQLite's LIKE folds ASCII only.
        """
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM clients WHERE is_self_check = 0").fetchall()
        wanted = search_key(search)
        found = [(search_key(r["name"]), _client(r)) for r in rows]
        found = [(key, c) for key, c in found if wanted in key]
        found.sort(key=lambda kc: (kc[0], kc[1].name, kc[1].id))
        return [c for _, c in found]

    def delete_client(self, client_id: int) -> None:
        """Delete a client with all their sessions, photos and draft (files no longer used are removed)."""
        with self._transaction() as conn:
            cur = conn.execute("DELETE FROM clients WHERE id = ?", (client_id,))
            if cur.rowcount == 0:
                raise StorageError(f"no client with id {client_id}")
        self.collect_garbage()

    # --- sessions -------------------------------------------------------------------

    def save_session(self, client_id: int, intake: Intake, photos: list[NewPhoto], kind: SessionKind = "assessment") -> int:
        """Store one session atomically; returns its id (never reused).

        Saving an assessment also deletes the client's draft, in the same transaction.
        """
        kind = _valid_kind(kind)

        def insert(conn: sqlite3.Connection, hashes: list[str]) -> int:
            if conn.execute("SELECT 1 FROM clients WHERE id = ?", (client_id,)).fetchone() is None:
                raise StorageError(f"no client with id {client_id}")
            session_id = self._insert_session(conn, client_id, intake, photos, hashes, kind)
            if kind == "assessment":
                conn.execute("DELETE FROM drafts WHERE client_id = ?", (client_id,))
            return session_id

        return self._save_with_photos(photos, insert)

    def save_self_check(self, label: str, intake: Intake, photos: list[NewPhoto]) -> int:
        """Store a self check made by a client without an account; returns the session id.

        It is never attached to a therapist's client, whatever name is typed: it goes to a
        self-check owner named `label` (created on first use, reused for the same label so
        repeated checks form a series), which `list_clients` never returns. The session's
        kind is "self_check", so `sessions(id)` (assessments only, by default) never shows
        it. A therapist can attach one to a client deliberately with `link_self_check`.
        Raises UsageError for an empty label or no photo.
        """
        label = _valid_name(label, what="Name or pseudonym")

        def insert(conn: sqlite3.Connection, hashes: list[str]) -> int:
            row = conn.execute(
                "SELECT id FROM clients WHERE is_self_check = 1 AND name = ? ORDER BY id LIMIT 1", (label,)
            ).fetchone()
            if row is not None:
                owner_id = int(row["id"])
            else:
                cur = conn.execute(
                    "INSERT INTO clients (name, created, is_self_check) VALUES (?, ?, 1)", (label, _now())
                )
                owner_id = int(cur.lastrowid or 0)
            return self._insert_session(conn, owner_id, intake, photos, hashes, "self_check")

        return self._save_with_photos(photos, insert)

    def self_checks(self) -> list[SessionRecord]:
        """Self checks not linked to a client, oldest first (`client_id` is the self-check owner; `get_client` gives its label)."""
        with self._connect() as conn:
            owners = [int(r[0]) for r in conn.execute("SELECT id FROM clients WHERE is_self_check = 1")]
        found = [s for owner in owners for s in self.sessions(owner, kind="self_check")]
        return sorted(found, key=lambda s: (s.created, s.id))

    def link_self_check(self, session_id: int, client_id: int) -> None:
        """Attach a self check to a therapist's client (it stays marked as a self check)."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT s.kind, c.is_self_check FROM sessions s JOIN clients c ON c.id = s.client_id WHERE s.id = ?",
                (session_id,),
            ).fetchone()
            if row is None or row["kind"] != "self_check":
                raise StorageError(f"no self check with id {session_id}")
            target = conn.execute("SELECT is_self_check FROM clients WHERE id = ?", (client_id,)).fetchone()
            if target is None or target["is_self_check"]:
                raise StorageError(f"no client with id {client_id}")
            conn.execute("UPDATE sessions SET client_id = ? WHERE id = ?", (client_id, session_id))
            # An owner left without checks is dropped, so it does not linger as an empty label.
            conn.execute(
                "DELETE FROM clients WHERE is_self_check = 1 AND id NOT IN (SELECT client_id FROM sessions)"
            )

    def sessions(self, client_id: int, kind: SessionKind | None = "assessment") -> list[SessionRecord]:
        """A client's sessions of `kind` (assessments by default; None: every kind), oldest first."""
        kinds = SESSION_KINDS if kind is None else (_valid_kind(kind),)
        marks = ", ".join("?" * len(kinds))
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT * FROM sessions WHERE client_id = ? AND kind IN ({marks}) ORDER BY created, id", (client_id, *kinds)
            ).fetchall()
            photos = conn.execute(
                f"SELECT p.* FROM photos p JOIN sessions s ON p.session_id = s.id WHERE s.client_id = ? AND s.kind IN ({marks}) "
                "ORDER BY p.id",
                (client_id, *kinds),
            ).fetchall()
        by_session: dict[int, list[PhotoRecord]] = {}
        for p in photos:
            by_session.setdefault(int(p["session_id"]), []).append(
                PhotoRecord(int(p["id"]), p["sha256"], p["filename"], Assessment.from_dict(json.loads(p["assessment_json"])))
            )
        return [
            SessionRecord(int(r["id"]), int(r["client_id"]), r["created"], Intake.from_dict(json.loads(r["intake_json"])),
                          by_session.get(int(r["id"]), []), r["kind"])
            for r in rows
        ]

    def delete_session(self, session_id: int) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        self.collect_garbage()

    def photo_bytes(self, sha256: str) -> bytes:
        path = self.photos_dir / f"{sha256}.jpg"
        try:
            return path.read_bytes()
        except OSError as exc:
            raise StorageError(f"photo {sha256[:12]} is missing from {self.photos_dir} ({exc.strerror})") from None

    # --- drafts ---------------------------------------------------------------------

    def save_draft(self, client_id: int, payload: bytes) -> None:
        """Keep the unsaved intake of a client (opaque bytes), replacing the previous draft atomically."""
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM clients WHERE id = ?", (client_id,)).fetchone() is None:
                raise StorageError(f"no client with id {client_id}")
            conn.execute(
                "INSERT INTO drafts (client_id, payload, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (client_id) DO UPDATE SET payload = excluded.payload, updated = excluded.updated",
                (client_id, sqlite3.Binary(payload), _now()),
            )

    def load_draft(self, client_id: int) -> bytes | None:
        """The client's draft as saved, or None."""
        with self._connect() as conn:
            row = conn.execute("SELECT payload FROM drafts WHERE client_id = ?", (client_id,)).fetchone()
        return None if row is None else bytes(row["payload"])

    def delete_draft(self, client_id: int) -> None:
        """Forget the client's draft (nothing happens if there is none)."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM drafts WHERE client_id = ?", (client_id,))

    # --- files ----------------------------------------------------------------------

    def _insert_session(self, conn: sqlite3.Connection, client_id: int, intake: Intake, photos: list[NewPhoto],
                        hashes: list[str], kind: SessionKind) -> int:
        cur = conn.execute(
            "INSERT INTO sessions (client_id, created, intake_json, kind) VALUES (?, ?, ?, ?)",
            (client_id, _now(), json.dumps(intake.to_dict()), kind),
        )
        session_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO photos (session_id, sha256, filename, assessment_json) VALUES (?, ?, ?, ?)",
            [(session_id, h, p.filename, json.dumps(p.assessment.to_dict())) for h, p in zip(hashes, photos, strict=True)],
        )
        return session_id

    def _save_with_photos(self, photos: list[NewPhoto], insert: Callable[[sqlite3.Connection, list[str]], int]) -> int:
        """Register the photos as being saved, write them, then run `insert` and commit (see the module notes)."""
        if not photos:
            raise UsageError("a session needs at least one assessed photo")
        hashes = [hashlib.sha256(p.data).hexdigest() for p in photos]
        token = secrets.token_hex(16)
        with self._transaction() as conn:
            conn.executemany(
                "INSERT INTO pending_photos (token, sha256, started) VALUES (?, ?, ?)",
                [(token, h, time.time()) for h in dict.fromkeys(hashes)],
            )
        try:
            for p in photos:  # files first, then the record
                self._write_photo(p.data)
            with self._transaction() as conn:
                # Under the write lock clean-up cannot run; if this save outlived its
                # registration and a photo was collected, write it again before committing.
                for h, p in zip(hashes, photos, strict=True):
                    if not (self.photos_dir / f"{h}.jpg").exists():
                        self._write_photo(p.data)
                result = insert(conn, hashes)
                conn.execute("DELETE FROM pending_photos WHERE token = ?", (token,))
            return result
        except BaseException:
            try:
                with self._transaction() as conn:
                    conn.execute("DELETE FROM pending_photos WHERE token = ?", (token,))
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
        save's and is dropped. Runs under the database's write lock (see the module notes).
        """
        removed = 0
        with self._transaction() as conn:
            conn.execute("DELETE FROM pending_photos WHERE started < ?", (time.time() - abandoned_after,))
            keep = {r[0] for r in conn.execute("SELECT sha256 FROM photos UNION SELECT sha256 FROM pending_photos")}
            try:
                for path in self.photos_dir.iterdir():
                    if _collectable(path.name, keep):
                        path.unlink(missing_ok=True)
                        removed += 1
            except OSError as exc:
                raise StorageError(f"{self.photos_dir}: clean-up failed ({exc.strerror or exc})") from None
        return removed


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


def _client(row: sqlite3.Row) -> Client:
    return Client(int(row["id"]), row["name"], row["birth_date"], row["height_cm"], row["created"], bool(row["is_self_check"]))


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


def _valid_kind(kind: str) -> SessionKind:
    if kind not in SESSION_KINDS:
        raise UsageError(f"session kind must be one of {', '.join(SESSION_KINDS)}; got {kind!r}")
    return cast(SessionKind, kind)  # checked against SESSION_KINDS just above
