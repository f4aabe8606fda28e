"""PostgreSQL with two roles (docs/clinic.md, "Deploying for a clinic"): the owner runs
`posture db upgrade --app-role ROLE`, the app connects as ROLE and works, and ROLE cannot
drop or disable the audit trail's triggers, nor change, delete or truncate its rows, nor run
any DDL. A real server (tests/pg.py)."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from posture import cli
from posture.core.errors import StorageError, UsageError
from posture.core.intake import Intake
from posture.store import audit, schema
from posture.store.actor import Actor
from posture.store.records import NewPhoto, Store

ATTACKS = [
    "DROP TRIGGER audit_events_no_change ON audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "DROP FUNCTION audit_events_append_only() CASCADE",
    "DELETE FROM audit_events",
    "UPDATE audit_events SET detail = 'forged'",
    "TRUNCATE audit_events",
    "DROP TABLE audit_events",
    "ALTER TABLE audit_events ADD COLUMN note text",
    "CREATE TABLE shadow (id int)",
    "ALTER TABLE audit_events RENAME TO audit_events_old",
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE sql AS 'SELECT NULL'",
]


def _connect(url: str) -> psycopg.Connection:
    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True)


def _upgrade_as_owner(owner_url: str, app_role: str, tmp_path, monkeypatch, capsys) -> str:
    monkeypatch.setenv("POSTURE_DATABASE_URL", owner_url)
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "owner"))
    assert cli.main(["db", "upgrade", "--app-role", app_role]) == 0
    return capsys.readouterr().out


def test_app_role_works_but_cannot_touch_the_audit_trail(pg_two_roles, tmp_path, monkeypatch, capsys, assessed, data_dir):
    owner_url, app_url = pg_two_roles
    app_role = make_url(app_url).username
    assert app_role is not None
    out = _upgrade_as_owner(owner_url, app_role, tmp_path, monkeypatch, capsys)
    assert f"{app_role}: SELECT, INSERT on audit_events" in out and f"{app_role}: SELECT on alembic_version" in out
    # The app, as its own role: a clinic's day (accounts, a client, a session, views, the trail read).
    s = Store(tmp_path / "app", url=app_url, refuse_solo=True)
    with s.write() as conn:
        uid = conn.execute(insert(schema.users).values(name="anna", role="therapist", password_hash="x",
                                                       created_at=dt.datetime.now(dt.UTC))).inserted_primary_key[0]
        boss_id = conn.execute(insert(schema.users).values(name="boss", role="admin", password_hash="x",
                                                           created_at=dt.datetime.now(dt.UTC))).inserted_primary_key[0]
    anna = Actor("anna", "therapist", int(uid))
    c = s.create_client("Two roles", actor=anna)
    photo = NewPhoto((data_dir / "seated_side_hunched_01.jpg").read_bytes(), "side.jpg", assessed("seated_side_hunched_01.jpg"))
    sid = s.save_session(c.id, Intake(), [photo], actor=anna)
    assert [x.id for x in s.sessions(c.id, actor=anna)] == [sid]
    s.delete_session(sid, actor=anna)
    trail = audit.list_events(s, actor=Actor("boss", "admin", int(boss_id)))
    assert [e.action for e in reversed(trail)] == ["client.create", "session.create", "client.view", "session.delete"]
    # Every attack on the trail, as the app's role: refused for lack of rights (SQLSTATE 42501).
    with _connect(app_url) as conn:
        for statement in ATTACKS:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=".") as refused:
                conn.execute(statement)
            assert refused.value.sqlstate == "42501", statement
    with s.read() as conn:
        assert conn.execute(select(func.count()).select_from(schema.audit_events)).scalar_one() == len(trail)
    # The control: the owner (the old guide's single role) can drop the trigger; rolled back here.
    with _connect(owner_url) as conn, conn.transaction():
        conn.execute(ATTACKS[0])
        assert conn.execute("DELETE FROM audit_events").rowcount == len(trail)
        raise psycopg.Rollback()
    # Running it again is harmless (the rights are reset, then granted), and a later schema is covered.
    assert _upgrade_as_owner(owner_url, app_role, tmp_path, monkeypatch, capsys) == out


def test_the_app_role_must_not_be_the_owner_nor_missing(pg_two_roles, tmp_path, monkeypatch, capsys):
    owner_url, app_url = pg_two_roles
    # The app started before the owner migrated: one clear message, nothing half-made.
    with pytest.raises(StorageError, match=r"this role may not run them: run `posture db upgrade --app-role ROLE` as the database's owner"):
        Store(tmp_path / "app", url=app_url)
    owner_role = make_url(owner_url).username
    monkeypatch.setenv("POSTURE_DATABASE_URL", owner_url)
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path))
    assert cli.main(["db", "upgrade", "--app-role", owner_role or ""]) == UsageError.exit_code
    assert "is (or holds) the owner role: the app needs a role of its own" in capsys.readouterr().err
    assert cli.main(["db", "upgrade", "--app-role", "nobody_here"]) == UsageError.exit_code
    assert "no database role 'nobody_here': create it first" in capsys.readouterr().err
