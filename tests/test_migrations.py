"""Migrations: a SQLite database written by the pre-SQLAlchemy code (schema 3, a frozen copy of
that code in tests/legacy_records_v3.py) upgrades without loss; a migrated database matches
schema.py exactly on both backends; Alembic upgrade and downgrade on PostgreSQL."""

import hashlib
import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from posture.core.intake import Intake
from posture.store import db, schema
from posture.store.records import NewPhoto, Store
from tests import legacy_records_v3 as legacy


@pytest.fixture
def photo(assessed, data_dir):
    return NewPhoto((data_dir / "seated_side_hunched_01.jpg").read_bytes(), "side.jpg", assessed("seated_side_hunched_01.jpg"))


def _schema_diff(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(ctx, schema.metadata)


def _affinity(declared):
    """SQLite's type affinity of a declared column type (its rules, section 3.1 of the datatype docs)."""
    t = declared.upper()
    if "INT" in t:
        return "INTEGER"
    if any(x in t for x in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in t or not t:
        return "BLOB"
    if any(x in t for x in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _sqlite_shape(db_path):
    """What the database does, not how its DDL is spelt: columns (affinity, NOT NULL, default, key),
    AUTOINCREMENT, foreign keys with their ON DELETE, indexes, triggers."""
    with sqlite3.connect(db_path) as conn:
        tables = sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        shape = {}
        for t in tables:
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (t,)).fetchone()[0]
            cols = sorted((c[1], _affinity(c[2]), bool(c[3]) or bool(c[5]), c[4], c[5]) for c in conn.execute(f"PRAGMA table_info({t})"))
            fks = sorted((f[2], f[3], f[4], f[6]) for f in conn.execute(f"PRAGMA foreign_key_list({t})"))
            indexes = sorted(
                (i[1], bool(i[2]), tuple(c[2] for c in conn.execute(f"PRAGMA index_info('{i[1]}')")))
                for i in conn.execute(f"PRAGMA index_list({t})") if not i[1].startswith("sqlite_autoindex")
            )
            shape[t] = (cols, "AUTOINCREMENT" in sql.upper(), fks, indexes)
        triggers = sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        return shape, triggers


def _rows(db_path, table):
    with sqlite3.connect(db_path) as conn:
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        order = "token" if table == "pending_photos" else ("client_id" if table == "drafts" else "id")
        return cols, conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def test_a_database_written_by_the_old_code_upgrades_without_loss(tmp_path, photo, monkeypatch):
    monkeypatch.delenv("POSTURE_DATABASE_URL", raising=False)
    old = legacy.Store(tmp_path)  # today's code writes the database and the photos
    ann = old.create_client("Ann Lee", "1980-02-01", 165)
    zofia = old.create_client("Zofia Łukasiewicz", None, 168.5)
    gone = old.create_client("Deleted before the upgrade")
    old.save_session(ann.id, Intake(pain={"neck": 6}, notes="desk 9h"), [legacy.NewPhoto(photo.data, "a.jpg", photo.assessment)])
    old.save_session(zofia.id, Intake(), [legacy.NewPhoto(photo.data + b"z", "b.jpg", photo.assessment)])
    old.save_self_check("anon", Intake(), [legacy.NewPhoto(photo.data + b"s", "c.jpg", photo.assessment)])
    old.save_draft(zofia.id, b"draft\x00\xff")
    old.delete_client(gone.id)
    assert old.schema_version() == 3
    tables = ("clients", "sessions", "photos", "drafts")
    before = {t: _rows(old.db_path, t) for t in tables}
    files = sorted(p.name for p in old.photos_dir.iterdir())

    s = Store(tmp_path)
    assert s.revision() == db.head_revision() and s.schema_version() == 3
    for table, (cols, rows) in before.items():
        new_cols, new_rows = _rows(s.db_path, table)
        assert new_cols[: len(cols)] == cols and [r[: len(cols)] for r in new_rows] == rows  # columns only added, at the end
    assert sorted(p.name for p in s.photos_dir.iterdir()) == files
    assert [c.name for c in s.list_clients()] == ["Ann Lee", "Zofia Łukasiewicz"]
    assert all(c.owner_user_id is None for c in s.list_clients())  # solo mode: owned by no one
    (session,) = s.sessions(ann.id)
    assert session.intake.pain == {"neck": 6} and s.photo_bytes(session.photos[0].sha256) == photo.data
    assert s.load_draft(zofia.id) == b"draft\x00\xff" and [x.kind for x in s.self_checks()] == ["self_check"]
    # AUTOINCREMENT survived: ids 1-3 were clients (3 deleted), 4 the self-check owner; none is reused.
    assert s.create_client("After").id == 5
    # The upgraded file behaves as a new one (built by the migrations alone, and matching schema.py).
    fresh = Store(tmp_path / "fresh", url=db.sqlite_url(tmp_path / "fresh.db"))
    assert _schema_diff(fresh.engine) == []
    assert _sqlite_shape(s.db_path) == _sqlite_shape(fresh.db_path)
    assert _sqlite_shape(s.db_path)[1] == ["audit_events_no_delete", "audit_events_no_update"]
    # The old code can still open it (it reads user_version only) and sees the same clients.
    assert [c.name for c in legacy.Store(tmp_path).list_clients()] == ["After", "Ann Lee", "Zofia Łukasiewicz"]
    Store(tmp_path)  # opening again migrates nothing


def test_a_new_database_matches_the_schema_on_both_backends(tmp_path, pg_url):
    assert _schema_diff(Store(tmp_path / "a", url=db.sqlite_url(tmp_path / "a.db")).engine) == []
    assert _schema_diff(Store(tmp_path / "b", url=pg_url).engine) == []


def test_postgresql_upgrade_and_downgrade_keep_the_solo_data(tmp_path, pg_url, photo):
    from sqlalchemy import inspect

    s = Store(tmp_path, url=pg_url)
    c = s.create_client("Kept")
    sid = s.save_session(c.id, Intake(notes="kept"), [photo], idempotency_key="k1")
    db.downgrade(s.engine, "0001_schema3")
    with s.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        assert db.current_revision(conn) == "0001_schema3"
        assert {"users", "audit_events", "client_shares"}.isdisjoint(names) and "clients" in names
        assert "owner_user_id" not in {col["name"] for col in inspect(conn).get_columns("clients")}
    db.upgrade(s.engine, "test")
    again = Store(tmp_path, url=pg_url)
    assert again.revision() == db.head_revision() and _schema_diff(again.engine) == []
    (session,) = again.sessions(c.id)
    assert session.id == sid and session.intake.notes == "kept"
    assert hashlib.sha256(again.photo_bytes(session.photos[0].sha256)).hexdigest() == session.photos[0].sha256
    db.downgrade(again.engine, "base")
    with again.engine.connect() as conn:
        assert inspect(conn).get_table_names() == ["alembic_version"]


def test_a_database_from_a_newer_version_is_refused(tmp_path, pg_url):
    from sqlalchemy import text

    from posture.core.errors import StorageError

    s = Store(tmp_path, url=pg_url)
    with s.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(StorageError, match="newer version .*9999_future"):
        Store(tmp_path, url=pg_url)
