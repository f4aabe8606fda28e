"""The store's transactions: one database, its errors as StorageError, and the helpers every room's SQL uses.

`Database` opens the write and read transactions the rooms of the store run their SQL in
(access.py, clients.py, sessions.py, drafts.py, photo_files.py, and audit.py and
accounts.py beside them). A database error leaves as StorageError naming the database,
never its password nor the statement (which may hold client data); a change that clashes
with what is stored leaves as ConflictError.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from sqlalchemy import Connection, CursorResult
from sqlalchemy.exc import DBAPIError, IntegrityError

from posture.core.errors import ConflictError, StorageError

from . import db
from .legacy import SCHEMA_VERSION


class Transactions(Protocol):
    """Anything that opens the store's transactions: a `Database`, or the `Store` around one."""

    def write(self) -> AbstractContextManager[Connection]: ...

    def read(self) -> AbstractContextManager[Connection]: ...


class Database:
    """One database (SQLite or PostgreSQL) by URL; `where` names it in messages."""

    def __init__(self, url: str, where: str) -> None:
        self.url = url
        self.where = where
        self.is_sqlite = db.is_sqlite(url)
        self.engine = db.engine_for(url)

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
        """Bring the database to the newest schema (see db.upgrade)."""
        try:
            with self._guard():
                db.upgrade(self.engine, self.where)
        except StorageError as exc:
            if "permission denied" not in str(exc):
                raise
            # The app's own PostgreSQL role has no DDL rights (grants.py): the owner migrates.
            raise StorageError(f"{self.where}: the database needs its migrations and this role may not run them: "
                               "run `posture db upgrade --app-role ROLE` as the database's owner, then start the app") from None


def now() -> str:
    """The local time, to the second, as rows record when they were created."""
    return dt.datetime.now().isoformat(timespec="seconds")


def new_id(result: CursorResult[Any]) -> int:
    """The id an INSERT gave its row."""
    key = result.inserted_primary_key
    assert key is not None, "INSERT without a primary key"
    return int(key[0])


def _reason(exc: DBAPIError) -> str:
    """The driver's first line, without SQLAlchemy's statement dump (which may hold client data)."""
    return (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
