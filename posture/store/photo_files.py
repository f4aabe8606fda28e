"""Photo files: content-addressed, written before their record, locked against clean-up, collected when unused.

- Photos are files named by their SHA-256 (`<photo folder>/<hash>.jpg`; the folder is
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
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, delete, insert, select

from posture.core.errors import PhotoCorruptError, StorageError

from . import db
from .paths import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, private_dir, write_private_file
from .schema import pending_photos, photos
from .transactions import Database

# A save registers its photos, writes them and commits within seconds (the commit waits
# at most 30 s for the lock). A registration this old was left by a save that crashed.
ABANDONED_AFTER_S = 3600.0

_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_hash(sha256: str) -> str:
    """`sha256` if it names a photo (64 lowercase hexadecimal digits), else StorageError."""
    if not _SHA256.fullmatch(sha256 or ""):
        raise StorageError(f"{sha256!r} is not a photo hash (64 hexadecimal digits)")
    return sha256


def make_folder_private(folder: Path) -> None:
    """Make the photo folder owner-only (0700), and its files (0600) if an older version made it readable.

    Raises OSError if a file's mode cannot be changed (the store names its data folder then).
    """
    were_private = _mode(folder) == PRIVATE_DIR_MODE
    private_dir(folder)
    if not were_private:  # made by an older version (0755 folder, 0644 files)
        for path in folder.iterdir():
            os.chmod(path, PRIVATE_FILE_MODE)


class PhotoFiles:
    """The photo folder, with the database whose locks and records say which files are in use."""

    def __init__(self, database: Database, folder: Path) -> None:
        self.database = database
        self.folder = folder

    def path(self, sha256: str) -> Path:
        return self.folder / f"{sha256}.jpg"

    def write(self, data: bytes) -> str:
        """Store `data` under its hash (once: an existing file is that content already); returns the hash."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        if not path.exists():
            write_private_file(path, data)  # temp file, fsync, rename, fsync the folder
        return digest

    def read(self, sha256: str) -> bytes:
        """A photo's bytes, checked against its hash (PhotoCorruptError if the file changed)."""
        try:
            data = self.path(check_hash(sha256)).read_bytes()
        except OSError as exc:
            raise StorageError(f"photo {sha256[:12]} is missing from {self.folder} ({exc.strerror})") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise PhotoCorruptError(f"photo {sha256[:12]} in {self.folder} is damaged: its content no longer matches its hash; "
                                    "restore the photo folder from a backup")
        return data

    @contextmanager
    def lock(self, exclusive: bool) -> Iterator[Connection]:
        """A write transaction holding the photo lock (see the module notes)."""
        with self.database.write() as conn:  # on SQLite, BEGIN IMMEDIATE is the lock
            if not self.database.is_sqlite:
                how = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
                conn.exec_driver_sql(f"SELECT {how}({db.PHOTO_LOCK_KEY})")
            yield conn

    def save_with(self, contents: list[bytes], commit: Callable[[Connection, list[str]], int]) -> int:
        """Register the files as being saved, write them, then run `commit` with their hashes and commit (see the module notes)."""
        hashes = [hashlib.sha256(data).hexdigest() for data in contents]
        token = secrets.token_hex(16)
        with self.database.write() as conn:
            conn.execute(insert(pending_photos), [{"token": token, "sha256": h, "started": time.time()} for h in dict.fromkeys(hashes)])
        try:
            for data in contents:  # files first, then the record
                self.write(data)
            with self.lock(exclusive=False) as conn:
                # Under the lock clean-up cannot run; if this save outlived its
                # registration and a photo was collected, write it again before committing.
                for h, data in zip(hashes, contents, strict=True):
                    if not self.path(h).exists():
                        self.write(data)
                result = commit(conn, hashes)
                conn.execute(delete(pending_photos).where(pending_photos.c.token == token))
            return result
        except BaseException:
            try:
                with self.database.write() as conn:
                    conn.execute(delete(pending_photos).where(pending_photos.c.token == token))
            except StorageError:
                pass  # the registration expires on its own; the original error matters more
            raise

    def collect_garbage(self, abandoned_after: float = ABANDONED_AFTER_S) -> int:
        """Remove photo files no record refers to (left by a crash or a deletion); returns how many.

        Files of saves in progress (registered in `pending_photos`) and their temporary
        files are kept; a registration older than `abandoned_after` seconds is a crashed
        save's and is dropped. Runs under the photo lock (see the module notes).
        """
        removed = 0
        with self.lock(exclusive=True) as conn:
            conn.execute(delete(pending_photos).where(pending_photos.c.started < time.time() - abandoned_after))
            in_progress = {r[0] for r in conn.execute(select(pending_photos.c.sha256))}
            keep = in_progress | {r[0] for r in conn.execute(select(photos.c.sha256))}
            try:
                for path in self.folder.iterdir():
                    if _collectable(path.name, keep, in_progress):
                        path.unlink(missing_ok=True)
                        removed += 1
            except OSError as exc:
                raise StorageError(f"{self.folder}: clean-up failed ({exc.strerror or exc})") from None
        return removed


def _collectable(name: str, keep: set[str], in_progress: set[str]) -> bool:
    """Whether a file in photos/ may go: an unused photo, or a temporary file of no save in progress
    (a killed write's, even when the same photo was saved again since and is in use)."""
    if name.endswith(".tmp"):
        # `.<hash>.jpg.<random>.tmp` (write_private_file); older versions' `.incoming-*.tmp` have no hash.
        match = re.fullmatch(r"\.([0-9a-f]{64})\.jpg\..*\.tmp", name)
        return match is None or match.group(1) not in in_progress
    return name.endswith(".jpg") and name.removesuffix(".jpg") not in keep


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return None
