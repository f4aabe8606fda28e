"""Local storage: clients, assessment sessions and their photos, in SQLite on this machine.

- One SQLite file (`posture.db`) in the data folder: `$POSTURE_DATA_DIR`, default
  `~/.posture`. WAL journal, so readers never block a writer and a crash cannot corrupt it.
- Photos as files named by their SHA-256 (`photos/<hash>.jpg`), written atomically
  *before* the record that names them is committed. A crash or a closed tab between the
  two leaves at most an unreferenced photo (swept by `collect_garbage`), never a record
  without its photo or half a session.
- Schema versioned with `PRAGMA user_version`; `MIGRATIONS[i]` takes version i to i+1,
  each in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .assessment import Assessment
from .errors import StorageError, UsageError
from .report import Intake

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
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    birth_date: str | None
    height_cm: float | None
    created: str


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


@dataclass(frozen=True)
class NewPhoto:
    """A photo to save: its encoded bytes (as shown, upright) and its assessment."""

    data: bytes
    filename: str
    assessment: Assessment


def default_data_dir() -> Path:
    return Path(os.environ.get("POSTURE_DATA_DIR") or Path.home() / ".posture").expanduser()


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


class Store:
    """The local database. Safe to use from several threads/processes (one connection each call)."""

    def __init__(self, folder: Path | str | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_data_dir()
        self.photos_dir = self.folder / "photos"
        try:
            self.photos_dir.mkdir(parents=True, exist_ok=True)
            os.chmod(self.folder, 0o700)  # health data: owner only
        except OSError as exc:
            raise StorageError(f"{self.folder}: data folder cannot be created ({exc.strerror or exc})") from None
        self.db_path = self.folder / "posture.db"
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
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"{self.db_path} was written by a newer version (schema {version} > {SCHEMA_VERSION}); update posture"
                )
            while version < target:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # executescript would commit on its own; run statement by statement instead.
                    for statement in filter(str.strip, MIGRATIONS[version].split(";")):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {version + 1}")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                version += 1

    # --- clients --------------------------------------------------------------------

    def create_client(self, name: str, birth_date: str | None = None, height_cm: float | None = None) -> Client:
        name = _valid_name(name)
        _valid_height(height_cm)
        created = _now()
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO clients (name, birth_date, height_cm, created) VALUES (?, ?, ?, ?)",
                (name, birth_date or None, height_cm, created),
            )
            return Client(int(cur.lastrowid or 0), name, birth_date or None, height_cm, created)

    def update_client(self, client_id: int, name: str, birth_date: str | None, height_cm: float | None) -> Client:
        name = _valid_name(name)
        _valid_height(height_cm)
        with self._transaction() as conn:
            cur = conn.execute(
                "UPDATE clients SET name = ?, birth_date = ?, height_cm = ? WHERE id = ?",
                (name, birth_date or None, height_cm, client_id),
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
        # Escape LIKE's wildcards so a search for "a_b" finds just that.
        escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM clients WHERE name LIKE ? ESCAPE '\\' ORDER BY name COLLATE NOCASE, id",
                (f"%{escaped}%",),
            ).fetchall()
        return [_client(r) for r in rows]

    def delete_client(self, client_id: int) -> None:
        """Delete a client with all their sessions and photos (files no longer used are removed)."""
        with self._transaction() as conn:
            cur = conn.execute("DELETE FROM clients WHERE id = ?", (client_id,))
            if cur.rowcount == 0:
                raise StorageError(f"no client with id {client_id}")
        self.collect_garbage()

    # --- sessions -------------------------------------------------------------------

    def save_session(self, client_id: int, intake: Intake, photos: list[NewPhoto]) -> int:
        """Store one assessment session atomically; returns its id."""
        if not photos:
            raise UsageError("a session needs at least one assessed photo")
        hashes = [self._write_photo(p.data) for p in photos]  # files first, then the record
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM clients WHERE id = ?", (client_id,)).fetchone() is None:
                raise StorageError(f"no client with id {client_id}")
            cur = conn.execute(
                "INSERT INTO sessions (client_id, created, intake_json) VALUES (?, ?, ?)",
                (client_id, _now(), json.dumps(intake.to_dict())),
            )
            session_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO photos (session_id, sha256, filename, assessment_json) VALUES (?, ?, ?, ?)",
                [(session_id, h, p.filename, json.dumps(p.assessment.to_dict())) for h, p in zip(hashes, photos, strict=True)],
            )
        return session_id

    def sessions(self, client_id: int) -> list[SessionRecord]:
        """A client's sessions, oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM sessions WHERE client_id = ? ORDER BY created, id", (client_id,)
            ).fetchall()
            photos = conn.execute(
                "SELECT p.* FROM photos p JOIN sessions s ON p.session_id = s.id WHERE s.client_id = ? ORDER BY p.id",
                (client_id,),
            ).fetchall()
        by_session: dict[int, list[PhotoRecord]] = {}
        for p in photos:
            by_session.setdefault(int(p["session_id"]), []).append(
                PhotoRecord(int(p["id"]), p["sha256"], p["filename"], Assessment.from_dict(json.loads(p["assessment_json"])))
            )
        return [
            SessionRecord(int(r["id"]), int(r["client_id"]), r["created"], Intake.from_dict(json.loads(r["intake_json"])),
                          by_session.get(int(r["id"]), []))
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

    # --- files ----------------------------------------------------------------------

    def _write_photo(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.photos_dir / f"{digest}.jpg"
        if path.exists():
            return digest
        try:
            fd, tmp = tempfile.mkstemp(dir=self.photos_dir, prefix=".incoming-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise StorageError(f"photo could not be saved in {self.photos_dir} ({exc.strerror or exc})") from None
        return digest

    def collect_garbage(self) -> int:
        """Remove photo files no record refers to (left by a crash or a deletion)."""
        with self._connect() as conn:
            used = {r[0] for r in conn.execute("SELECT sha256 FROM photos")}
        removed = 0
        for path in self.photos_dir.iterdir():
            stem = path.name.split(".")[0]
            if path.name.startswith(".incoming-") or (path.suffix == ".jpg" and stem not in used):
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _client(row: sqlite3.Row) -> Client:
    return Client(int(row["id"]), row["name"], row["birth_date"], row["height_cm"], row["created"])


def _valid_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise UsageError("client name (or pseudonym) must not be empty")
    if len(name) > 200:
        raise UsageError("client name is longer than 200 characters")
    return name


def _valid_height(height_cm: float | None) -> None:
    if height_cm is not None and not 50 <= height_cm <= 250:
        raise UsageError(f"height must be between 50 and 250 cm, got {height_cm:g}")
