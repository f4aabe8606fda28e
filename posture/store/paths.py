"""Where the tool keeps client data, and how it writes it: owner-only, whatever the umask.

Client data is health data. Every folder that holds it is 0700 and every file 0600; the
modes are set explicitly after creation (`chmod`), so a permissive umask (022, or 000 in
some containers) never widens them. `data_dir()` is the one place that decides where the
data folder is; the store and the live baselines both use it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO

from posture.core.errors import StorageError

DATA_DIR_ENV = "POSTURE_DATA_DIR"
PHOTO_DIR_ENV = "POSTURE_PHOTO_DIR"  # photos elsewhere than <data folder>/photos (a clinic's data volume)
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def data_dir() -> Path:
    """The data folder: `$POSTURE_DATA_DIR`, or `~/.posture` when it is unset, empty or blank.

    `~` is expanded and a relative path is made absolute (against the current folder at
    the time of the call), so the folder does not move if the process changes directory.
    """
    raw = os.environ.get(DATA_DIR_ENV, "")
    if not raw.strip():
        try:
            return Path.home() / ".posture"
        except RuntimeError:
            raise StorageError(f"cannot find your home folder; set {DATA_DIR_ENV} to the folder for posture's data") from None
    return Path(os.path.abspath(Path(raw).expanduser()))


def photo_dir(folder: Path) -> Path:
    """Where photos are kept: `$POSTURE_PHOTO_DIR` if set (not blank), else `folder/photos`."""
    raw = os.environ.get(PHOTO_DIR_ENV, "")
    return Path(os.path.abspath(Path(raw).expanduser())) if raw.strip() else folder / "photos"


def private_dir(path: Path | str) -> Path:
    """Create `path` (and any missing parents) owner-only (0700); an existing folder is set to 0700 too."""
    path = Path(path)
    # Parents created here hold nothing but our data, so they are made private as well;
    # parents that already exist are not ours to change.
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        for folder in (path, *missing):
            os.chmod(folder, PRIVATE_DIR_MODE)  # after mkdir: the umask cannot widen it
    except OSError as exc:
        raise StorageError(f"{path}: folder cannot be created ({exc.strerror or exc})") from None
    return path


def open_private_text(path: Path | str) -> IO[str]:
    """Open `path` to write text, created or truncated owner-only (0600), whatever the umask or
    the mode an older file had. For files written as they grow (a log); the rest use write_private_file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        return os.fdopen(fd, "w", encoding="utf-8", newline="")
    except BaseException:
        os.close(fd)
        raise


def write_private_file(path: Path | str, data: bytes) -> None:
    """Write `data` to `path` atomically, owner-only (0600), durable once this returns.

    The bytes go to a temporary file in the same folder (named `.<name>.<random>.tmp`, so
    it can be traced to its destination), which is fsynced and renamed over `path`; the
    folder is then fsynced so the rename itself survives a power loss. A reader sees the
    old file or the new one, never half of one.
    """
    path = Path(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            os.chmod(tmp, PRIVATE_FILE_MODE)  # mkstemp uses 0600 already; explicit, whatever the umask
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
        fsync_dir(path.parent)
    except OSError as exc:
        raise StorageError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def fsync_dir(folder: Path | str) -> None:
    """Flush a folder's entries (a rename or a new file) to disk. A no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        if os.name == "nt":
            return
        raise
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
