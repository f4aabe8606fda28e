"""Storage against a real SQLite file: persistence, cascades, concurrency, crashes, migrations."""

import multiprocessing
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from posture.errors import StorageError, UsageError
from posture.report import Intake
from posture.store import MIGRATIONS, SCHEMA_VERSION, NewPhoto, Store


@pytest.fixture
def photo(assessed, data_dir):
    return NewPhoto((data_dir / "seated_side_hunched_01.jpg").read_bytes(), "side.jpg",
                    assessed("seated_side_hunched_01.jpg"))


def test_clients_crud_and_search(tmp_path):
    s = Store(tmp_path)
    a = s.create_client("Ann <b>Lee</b>", "1980-02-01", 165)
    s.create_client("a_b")
    s.create_client("axb")
    assert [c.name for c in s.list_clients("a_b")] == ["a_b"]  # LIKE wildcards escaped
    assert s.list_clients("lee")[0].id == a.id  # case-insensitive
    s.update_client(a.id, "Ann Lee", None, 170)
    assert s.get_client(a.id).height_cm == 170 and s.get_client(a.id).birth_date is None
    with pytest.raises(UsageError, match="must not be empty"):
        s.create_client("   ")
    with pytest.raises(UsageError, match="between 50 and 250"):
        s.create_client("x", height_cm=20)
    with pytest.raises(StorageError, match="no client with id 999"):
        s.get_client(999)


def test_sessions_survive_restart(tmp_path, photo):
    s = Store(tmp_path)
    c = s.create_client("Ben")
    sid = s.save_session(c.id, Intake(pain={"neck": 6}, notes="desk 9h"), [photo])
    again = Store(tmp_path)  # a new process would do the same
    (session,) = again.sessions(c.id)
    assert session.id == sid and session.intake.pain == {"neck": 6}
    (p,) = session.photos
    assert p.assessment.to_dict() == photo.assessment.to_dict()
    assert again.photo_bytes(p.sha256) == photo.data


def test_delete_client_removes_everything(tmp_path, photo):
    s = Store(tmp_path)
    keep, drop = s.create_client("Keep"), s.create_client("Drop")
    s.save_session(drop.id, Intake(), [photo])
    s.save_session(keep.id, Intake(), [photo])  # same photo, shared file
    s.delete_client(drop.id)
    assert s.sessions(drop.id) == [] and len(list(s.photos_dir.glob("*.jpg"))) == 1
    s.delete_client(keep.id)
    assert list(s.photos_dir.glob("*.jpg")) == []
    with sqlite3.connect(s.db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 0


def _save_many(folder, client_id, n, payload):
    from posture import Assessment
    from posture.store import NewPhoto as NP
    from posture.store import Store as S

    store = S(folder)
    data, name, d = payload
    for i in range(n):
        store.save_session(client_id, Intake(notes=f"{os.getpid()}-{i}"), [NP(data + bytes([i]), name, Assessment.from_dict(d))])


def test_concurrent_saves_from_two_processes(tmp_path, photo):
    s = Store(tmp_path)
    c = s.create_client("Concurrent")
    payload = (photo.data, photo.filename, photo.assessment.to_dict())
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_save_many, args=(tmp_path, c.id, 15, payload)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    sessions = s.sessions(c.id)
    assert len(sessions) == 30 and len({x.intake.notes for x in sessions}) == 30
    assert all(len(x.photos) == 1 for x in sessions)


def test_crash_between_photo_write_and_commit_leaves_no_half_record(tmp_path, photo):
    s = Store(tmp_path)
    c = s.create_client("Crash")
    script = textwrap.dedent(f"""
        import os, json, sys
        sys.path.insert(0, {str(os.getcwd())!r})
        from posture import Assessment
        from posture.report import Intake
        from posture import store as st
        data = open({str(tmp_path / 'payload.json')!r}).read()
        photo = st.NewPhoto(open({str(tmp_path / 'photo.jpg')!r}, 'rb').read(), 'p.jpg', Assessment.from_dict(json.loads(data)))
        real = st.Store._transaction
        from contextlib import contextmanager
        @contextmanager
        def dying(self):
            with real(self) as conn:
                yield conn
                os._exit(3)  # the process dies after the inserts, before COMMIT
        st.Store._transaction = dying
        st.Store({str(tmp_path)!r}).save_session({c.id}, Intake(), [photo])
    """)
    import json

    (tmp_path / "payload.json").write_text(json.dumps(photo.assessment.to_dict()))
    (tmp_path / "photo.jpg").write_bytes(photo.data)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    assert len(list(s.photos_dir.glob("*.jpg"))) == 1  # the photo was written first...
    assert s.sessions(c.id) == []  # ...but no session or photo record exists
    assert s.collect_garbage() == 1 and list(s.photos_dir.glob("*.jpg")) == []


def test_migration_from_previous_schema_keeps_data(tmp_path):
    db = tmp_path / "posture.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO clients (name, birth_date, created) VALUES ('Old', '1970-01-01', '2026-01-01T00:00:00')")
    s = Store(tmp_path)
    assert s.schema_version() == SCHEMA_VERSION == 2
    (old,) = s.list_clients()
    assert old.name == "Old" and old.birth_date == "1970-01-01" and old.height_cm is None
    s.update_client(old.id, "Old", "1970-01-01", 180)  # the new column works
    assert s.get_client(old.id).height_cm == 180


def test_newer_schema_is_refused(tmp_path):
    Store(tmp_path)
    with sqlite3.connect(tmp_path / "posture.db") as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StorageError, match="newer version"):
        Store(tmp_path)


def test_save_needs_client_and_photos(tmp_path, photo):
    s = Store(tmp_path)
    with pytest.raises(UsageError, match="at least one"):
        s.save_session(1, Intake(), [])
    with pytest.raises(StorageError, match="no client with id 42"):
        s.save_session(42, Intake(), [photo])
