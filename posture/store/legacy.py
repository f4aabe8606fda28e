"""The schema before Alembic: the SQLite statements older versions ran, kept to bring their files up.

Nothing but db.py's start-up migration runs them.
"""

from __future__ import annotations

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
