"""Which database the store uses, how it connects, and the migrations run at start-up.

- `POSTURE_DATABASE_URL` selects the database (`postgresql+psycopg://user:pass@host/db`);
  unset or blank means the SQLite file `posture.db` in the data folder, as before.
- SQLite: one connection per use (NullPool, as the store always did), foreign keys on,
  WAL journal, `synchronous=FULL`, a 30 s busy timeout. A write transaction starts with
  `BEGIN IMMEDIATE`, so it holds SQLite's write lock from its first statement (the photo
  clean-up relies on that, see photo_files.py); a read starts with a plain `BEGIN`.
- PostgreSQL: one pooled engine per URL and process; the same guarantees come from row
  locks, foreign keys and an advisory lock (clean-up against saves, see photo_files.py).
- Migrations (Alembic, `posture/store/migrations/`) run when a Store opens, under a lock
  (SQLite's write lock, a PostgreSQL advisory lock), all in one transaction: two servers
  starting at once migrate once, and a failed migration leaves the database as it was.
  A SQLite file written before Alembic (schema 1-3, `PRAGMA user_version`) is first brought
  to schema 3 by its own legacy steps, then adopted at the first revision and upgraded.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from posture.core.errors import StorageError

from .legacy import LEGACY_MIGRATIONS

DATABASE_URL_ENV = "POSTURE_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BASE_REVISION = "0001_schema3"  # what the pre-Alembic schema 3 is adopted as
LEGACY_SCHEMA_VERSION = 3  # PRAGMA user_version of the last pre-Alembic schema (SQLite only)
WRITE = "posture_write"  # execution option: this connection's transaction writes
# Any fixed 64-bit number, the same in every process: the key of the advisory locks.
MIGRATION_LOCK_KEY = 0x706F7374_75726501
PHOTO_LOCK_KEY = 0x706F7374_75726502

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def database_url(folder: Path) -> str:
    """`$POSTURE_DATABASE_URL`, or the SQLite file in `folder` when it is unset or blank."""
    raw = os.environ.get(DATABASE_URL_ENV, "").strip()
    return raw or sqlite_url(folder / "posture.db")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable database URL>"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def engine_for(url: str) -> Engine:
    """The engine for `url`: a fresh NullPool engine for SQLite, one shared pooled engine per PostgreSQL URL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"{DATABASE_URL_ENV} is not a database URL (expected postgresql+psycopg://user:password@host/db)") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url)
    if backend != "postgresql":
        raise StorageError(f"{safe_url(url)}: unsupported database {backend!r}; use PostgreSQL (postgresql+psycopg://...) or leave "
                           f"{DATABASE_URL_ENV} unset for SQLite")
    if parsed.drivername == "postgresql":  # plain postgresql:// would pick psycopg2, which is not installed
        parsed = parsed.set(drivername="postgresql+psycopg")
    key = parsed.render_as_string(hide_password=False)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            try:
                engine = create_engine(parsed, pool_size=5, max_overflow=20, pool_pre_ping=True, pool_timeout=30)
            except NoSuchModuleError as exc:
                raise StorageError(f"{safe_url(url)}: no driver for this database ({exc})") from None
            _engines[key] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests stopping their server; a forked child)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


#: How long a SQLite connection waits for another's lock before giving up, seconds.
SQLITE_BUSY_S = 30.0
#: Between tries to switch a new file's journal to WAL (see `_journal_to_wal`).
_WAL_RETRY_S = 0.05


def _journal_to_wal(cur: Any) -> None:
    """`PRAGMA journal_mode = WAL`, waiting up to SQLITE_BUSY_S for another connection's lock:
    switching the journal does not go through SQLite's busy handler, so two processes opening a
    new (or pre-WAL) file at once could fail with "database is locked" at once. Once a file is
    in WAL it stays so, and the statement no longer needs the lock."""
    deadline = time.monotonic() + SQLITE_BUSY_S
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(_WAL_RETRY_S)


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own transaction handling is off: the "begin" hook below decides.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        _journal_to_wal(cur)
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

    return engine


# --- migrations -------------------------------------------------------------------------


def alembic_config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def legacy_version(conn: Connection) -> int:
    """SQLite's `PRAGMA user_version` (the pre-Alembic schema number); 0 elsewhere."""
    if conn.dialect.name != "sqlite":
        return 0
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def _refuse_newer(where: str, legacy: int, revision: str | None) -> None:
    if legacy > LEGACY_SCHEMA_VERSION:
        raise StorageError(f"{where} was written by a newer version (schema {legacy} > {LEGACY_SCHEMA_VERSION}); update posture")
    if revision is not None and revision not in known_revisions():
        raise StorageError(f"{where} was written by a newer version (migration {revision!r} is unknown here); update posture")


def upgrade(engine: Engine, where: str) -> None:
    """Bring the database to the newest revision (see the module notes). Cheap when it is already there."""
    with engine.connect() as conn:
        with conn.begin():
            legacy, revision = legacy_version(conn), current_revision(conn)
        _refuse_newer(where, legacy, revision)
        if revision == head_revision():
            return  # the usual case: no lock needed just to open the store
    if engine.dialect.name == "sqlite":
        _upgrade_sqlite(engine, where)
    else:
        with engine.connect() as conn:
            with conn.begin():
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
                _refuse_newer(where, 0, current_revision(conn))  # read under the lock: another server may have migrated
                command.upgrade(alembic_config(conn), "head")


def _upgrade_sqlite(engine: Engine, where: str) -> None:
    with engine.connect() as conn:
        # Rebuilding a table drops the old one; with foreign keys on that would delete every
        # row referring to it. The pragma only takes effect outside a transaction. NullPool:
        # this connection is closed afterwards, never reused with the pragma off.
        _foreign_keys_off(conn)
        conn.execution_options(**{WRITE: True})
        with conn.begin():  # BEGIN IMMEDIATE: the write lock, held to the end
            legacy, revision = legacy_version(conn), current_revision(conn)  # again, under the lock
            _refuse_newer(where, legacy, revision)
            if revision is None and inspect(conn).has_table("clients"):
                # Written before Alembic: finish its own chain to schema 3, then adopt it.
                for version in range(legacy, LEGACY_SCHEMA_VERSION):
                    for statement in filter(str.strip, LEGACY_MIGRATIONS[version].split(";")):
                        conn.exec_driver_sql(statement)
                command.stamp(alembic_config(conn), BASE_REVISION)
            command.upgrade(alembic_config(conn), "head")
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StorageError(f"{where}: migration found {len(broken)} broken references; nothing was changed")
            # Older versions of posture read user_version only: 3 lets them see the
            # solo-mode tables they know, as before.
            conn.exec_driver_sql(f"PRAGMA user_version = {LEGACY_SCHEMA_VERSION}")


def _foreign_keys_off(conn: Connection) -> None:
    """Foreign keys off on this SQLite connection: on the driver's connection, outside any transaction
    (through SQLAlchemy the statement would open one, in which SQLite ignores the pragma)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys = OFF")


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to `revision` (an administrator's tool; upgrades happen on their own)."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            _foreign_keys_off(conn)
            conn.execution_options(**{WRITE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            command.downgrade(alembic_config(conn), revision)
