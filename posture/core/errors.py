"""One exception hierarchy for everything a user can get wrong.

Each class carries the process exit code the CLI uses, so the mapping lives in one
place and is documented in the README.
"""

from __future__ import annotations


class PostureError(Exception):
    """Base class: a problem we can explain to the user in one line."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(PostureError):
    """Arguments that do not make sense together (bad view name, bad height...)."""

    exit_code = 2


class ImageReadError(PostureError):
    """Missing path, directory, empty, truncated or non-image file."""

    exit_code = 3


class ImageTooLargeError(ImageReadError):
    """Image whose declared size is beyond what we decode (decompression-bomb guard)."""

    exit_code = 4


class NoPersonError(PostureError):
    """The pose model found nobody in the photo."""

    exit_code = 5


class ModelError(PostureError):
    """The pose model could not be loaded or run."""

    exit_code = 6


class ConfigError(PostureError):
    """A thresholds file or other configuration is invalid."""

    exit_code = 7


class StorageError(PostureError):
    """The local database could not be read or written."""

    exit_code = 8



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


class CalibrationError(UsageError):
    """A live-monitoring baseline recorded from a posture that is not upright and still."""


class SourceError(PostureError):
    """A camera or video that cannot be opened or read."""

    exit_code = 9
