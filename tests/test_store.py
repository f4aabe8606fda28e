"""Storage against a real SQLite file: persistence, cascades, concurrency, crashes, migrations,
ids, photo clean-up while saving, search, validation, self checks and drafts."""

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading

import pytest

from posture.core.errors import StorageError, UsageError
from posture.core.intake import Intake
from posture.store.photo_files import PhotoFiles
from posture.store.records import SCHEMA_VERSION, NewPhoto, Store, search_key

from .conftest import use_database

# Today's schema before ids became AUTOINCREMENT (version 2), copied so the migration test
# does not depend on MIGRATIONS staying as written.
SCHEMA_V2 = """
CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT NOT NULL, birth_date TEXT, created TEXT NOT NULL, height_cm REAL);
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
CREATE INDEX sessions_by_client ON sessions(client_id, created);
CREATE INDEX photos_by_session ON photos(session_id);
PRAGMA user_version = 2;
"""

SPAWN = multiprocessing.get_context("spawn")

# Every test runs against SQLite and against PostgreSQL (a server the suite starts, tests/pg.py),
# except those about the SQLite file itself.
SQLITE_ONLY = {
    "test_migration_from_schema_2_keeps_every_row_and_id",
    "test_migrating_twice_from_two_processes_is_harmless",
    "test_opening_a_file_another_connection_is_writing_waits_for_it",
    "test_newer_schema_is_refused",
}


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"] if metafunc.function.__name__ in SQLITE_ONLY else ["sqlite", "postgresql"]
        metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture(autouse=True)
def backend(request, monkeypatch):
    return use_database(request, monkeypatch)


def _count(store, table):
    from sqlalchemy import func, select

    from posture.store import schema

    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(schema.metadata.tables[table])).scalar_one()


@pytest.fixture
def photo(assessed, data_dir):
    return NewPhoto((data_dir / "seated_side_hunched_01.jpg").read_bytes(), "side.jpg",
                    assessed("seated_side_hunched_01.jpg"))


def _other(photo, tag: bytes) -> NewPhoto:
    """A different photo file (other bytes) with the same assessment."""
    return NewPhoto(photo.data + tag, photo.filename, photo.assessment)


def test_clients_crud_and_search(tmp_path):
    s = Store(tmp_path)
    a = s.create_client("Ann <b>Lee</b>", "1980-02-01", 165)
    s.create_client("a_b")
    s.create_client("axb")
    assert [c.name for c in s.list_clients("a_b")] == ["a_b"]  # no wildcards
    assert s.list_clients("lee")[0].id == a.id  # case-insensitive
    s.update_client(a.id, "Ann Lee", None, 170)
    assert s.get_client(a.id).height_cm == 170 and s.get_client(a.id).birth_date is None
    with pytest.raises(StorageError, match="no client with id 999"):
        s.get_client(999)


# --- item 8: search ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "key"), [
    ("Zofia Łukasiewicz", "zofia lukasiewicz"),
    ("MÜLLER", "muller"),
    ("Straße", "strasse"),
    ("STRASSE", "strasse"),
    ("Søren Kierkegaard", "soren kierkegaard"),
    ("Đorđe", "dorde"),
    ("Ægir Œdipe", "aegir oedipe"),
    ("İSTANBUL ılık", "istanbul ilik"),
    ("  José   María ", "jose maria"),
    ("ｆｕｌｌ ｗｉｄｔｈ", "full width"),  # NFKD compatibility forms
])
def test_search_key_folds_case_and_accents(text, key):
    assert search_key(text) == key


def test_search_is_unicode_case_and_accent_insensitive(tmp_path):
    s = Store(tmp_path)
    zofia = s.create_client("Zofia Łukasiewicz")
    muller = s.create_client("Müller")
    strasse = s.create_client("Anna Straße")
    s.create_client("Lena Luk")  # accent-insensitive both ways: "łuk" finds "Luk" too
    luk = s.list_clients("Lena")[0]

    def found(search):
        return {c.id for c in s.list_clients(search)}

    assert found("łuk") == {zofia.id, luk.id}
    assert found("lukasiewicz") == found("ŁUKASIEWICZ") == {zofia.id}
    assert found("MÜLLER") == found("muller") == {muller.id}
    assert found("strasse") == found("STRASSE") == found("straße") == {strasse.id}
    assert found("") == {c.id for c in s.list_clients()} and len(found("")) == 4


# --- item 6: validation -----------------------------------------------------------------


@pytest.mark.parametrize(("fields", "message"), [
    ({"birth_date": "12/03/1985"}, "Date of birth must be YYYY-MM-DD, e.g. 1985-03-12; got '12/03/1985'"),
    ({"birth_date": "not a date"}, "Date of birth must be YYYY-MM-DD, e.g. 1985-03-12; got 'not a date'"),
    ({"birth_date": "19850312"}, "Date of birth must be YYYY-MM-DD, e.g. 1985-03-12; got '19850312'"),
    ({"birth_date": "1985-02-30"}, "Date of birth 1985-02-30 does not exist (check the month and day); use YYYY-MM-DD, e.g. 1985-03-12"),
    ({"birth_date": "1899-12-31"}, "Date of birth 1899-12-31 is before 1900; check the year"),
    ({"birth_date": (dt.date.today() + dt.timedelta(days=1)).isoformat()}, "is in the future"),
    ({"height_cm": 30}, "Height must be between 50 and 250 cm; got 30 cm"),
    ({"height_cm": 251}, "Height must be between 50 and 250 cm; got 251 cm"),
    ({"height_cm": float("nan")}, "Height must be between 50 and 250 cm; got nan cm"),
    ({"name": "   "}, "Client name (or pseudonym) must not be empty"),
    ({"name": "x" * 201}, "Client name (or pseudonym) must be at most 200 characters; it has 201"),
    ({"name": "Ann\nLee"}, "Client name (or pseudonym) must be on one line, without tabs or control characters"),
])
def test_client_fields_are_validated_with_clear_messages(tmp_path, fields, message):
    s = Store(tmp_path)
    kept = s.create_client("Kept", "1985-03-12", 170)
    args = {"name": "Ana", "birth_date": None, "height_cm": None, **fields}
    with pytest.raises(UsageError) as create_error:
        s.create_client(args["name"], args["birth_date"], args["height_cm"])
    with pytest.raises(UsageError) as update_error:
        s.update_client(kept.id, args["name"], args["birth_date"], args["height_cm"])
    assert message in str(create_error.value) and str(create_error.value) == str(update_error.value)
    assert [c.name for c in s.list_clients()] == ["Kept"] and s.get_client(kept.id) == kept  # nothing written


def test_valid_fields_are_kept_as_given(tmp_path):
    s = Store(tmp_path)
    c = s.create_client("  Zofia Łukasiewicz ", " 1900-01-01 ", 50)
    assert (c.name, c.birth_date, c.height_cm) == ("Zofia Łukasiewicz", "1900-01-01", 50)
    today = dt.date.today().isoformat()
    c = s.update_client(c.id, "Zofia", today, 250.0)
    assert (c.birth_date, c.height_cm) == (today, 250)
    assert s.update_client(c.id, "Zofia", "", None).birth_date is None  # empty means not given


# --- item 5: ids ------------------------------------------------------------------------


def test_ids_are_never_reused_after_a_deletion(tmp_path, photo):
    s = Store(tmp_path)
    first = s.create_client("First")
    last = s.create_client("Last")
    sid = s.save_session(first.id, Intake(), [photo])
    s.delete_session(sid)
    assert s.save_session(first.id, Intake(), [photo]) > sid
    newest = s.save_session(last.id, Intake(), [photo])
    s.delete_client(last.id)  # the newest client and the newest session go
    assert s.create_client("Next").id > last.id
    assert s.save_session(first.id, Intake(), [photo]) > newest
    assert Store(tmp_path).create_client("After restart").id > last.id + 1


# --- migrations -------------------------------------------------------------------------


def _dump(db, table):
    with sqlite3.connect(db) as conn:
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        return cols, conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def test_migration_from_schema_2_keeps_every_row_and_id(tmp_path, photo):
    db = tmp_path / "posture.db"
    assessment = json.dumps(photo.assessment.to_dict())
    digest = hashlib.sha256(photo.data).hexdigest()
    with sqlite3.connect(db) as conn:
        conn.executescript(SCHEMA_V2)
        conn.executemany("INSERT INTO clients VALUES (?, ?, ?, ?, ?)", [
            (1, "Old", "1970-01-01", "2026-01-01T00:00:00", None),
            (4, "Zofia Łukasiewicz", None, "2026-01-02T00:00:00", 168.5),
        ])
        conn.executemany("INSERT INTO sessions VALUES (?, ?, ?, ?)", [
            (2, 1, "2026-01-03T00:00:00", json.dumps({"notes": "first"})),
            (7, 4, "2026-01-04T00:00:00", json.dumps({"pain": {"neck": 6}})),
        ])
        conn.executemany("INSERT INTO photos VALUES (?, ?, ?, ?, ?)", [
            (3, 2, digest, "a.jpg", assessment), (9, 7, digest, "b.jpg", assessment),
        ])
    before = {t: _dump(db, t) for t in ("clients", "sessions", "photos")}
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / f"{digest}.jpg").write_bytes(photo.data)

    s = Store(tmp_path)
    assert s.schema_version() == SCHEMA_VERSION == 3
    for table, (cols, rows) in before.items():
        new_cols, new_rows = _dump(db, table)
        assert [r[: len(cols)] for r in new_rows] == rows and new_cols[: len(cols)] == cols
    (old, zofia) = sorted(s.list_clients(), key=lambda c: c.id)
    assert (old.id, zofia.id, zofia.height_cm, zofia.is_self_check) == (1, 4, 168.5, False)
    (session,) = s.sessions(4)
    assert (session.id, session.kind, session.intake.pain, [p.id for p in session.photos]) == (7, "assessment", {"neck": 6}, [9])
    # New rows continue after the highest id, the cascades still hold, and a deleted id stays used.
    assert s.create_client("New").id == 5
    s.delete_client(4)
    assert s.sessions(4) == [] and _dump(db, "photos")[1][0][0] == 3
    assert s.create_client("Newer").id == 6
    assert s.save_session(1, Intake(), [photo]) == 8


def test_migrating_twice_from_two_processes_is_harmless(tmp_path):
    with sqlite3.connect(tmp_path / "posture.db") as conn:
        conn.executescript(SCHEMA_V2)
        conn.execute("INSERT INTO clients VALUES (1, 'Old', NULL, '2026-01-01T00:00:00', NULL)")
    procs = [SPAWN.Process(target=Store, args=(tmp_path,)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    s = Store(tmp_path)
    assert s.schema_version() == SCHEMA_VERSION and [c.name for c in s.list_clients()] == ["Old"]


def test_opening_a_file_another_connection_is_writing_waits_for_it(tmp_path):
    """Switching a pre-WAL file to WAL needs SQLite's lock and does not wait for it by itself:
    a store opening while another connection writes failed at once with "database is locked"
    (two app processes starting together hit it now and then). It now waits, as for any lock."""
    with sqlite3.connect(tmp_path / "posture.db") as conn:
        conn.executescript(SCHEMA_V2)
    holder = sqlite3.connect(tmp_path / "posture.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO clients VALUES (1, 'Old', NULL, '2026-01-01T00:00:00', NULL)")
    release = threading.Timer(0.5, holder.execute, args=("COMMIT",))  # the writer finishes while the store waits
    release.start()
    try:
        s = Store(tmp_path)
    finally:
        release.join()
        holder.close()
    assert s.schema_version() == SCHEMA_VERSION and [c.name for c in s.list_clients()] == ["Old"]


def test_newer_schema_is_refused(tmp_path):
    Store(tmp_path)
    with sqlite3.connect(tmp_path / "posture.db") as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StorageError, match="newer version"):
        Store(tmp_path)


# --- sessions, persistence, concurrency -------------------------------------------------


def test_sessions_survive_restart(tmp_path, photo):
    s = Store(tmp_path)
    c = s.create_client("Ben")
    sid = s.save_session(c.id, Intake(pain={"neck": 6}, notes="desk 9h"), [photo])
    again = Store(tmp_path)  # a new process would do the same
    (session,) = again.sessions(c.id)
    assert session.id == sid and session.intake.pain == {"neck": 6} and session.kind == "assessment"
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
    assert _count(s, "photos") == 0 and _count(s, "pending_photos") == 0


def _save_many(folder, client_id, n, payload):
    from posture import Assessment
    from posture.store.records import NewPhoto as NP
    from posture.store.records import Store as S

    store = S(folder)
    data, name, d = payload
    for i in range(n):
        store.save_session(client_id, Intake(notes=f"{os.getpid()}-{i}"), [NP(data + bytes([i]), name, Assessment.from_dict(d))])


def test_concurrent_saves_from_two_processes(tmp_path, photo):
    s = Store(tmp_path)
    c = s.create_client("Concurrent")
    payload = (photo.data, photo.filename, photo.assessment.to_dict())
    procs = [SPAWN.Process(target=_save_many, args=(tmp_path, c.id, 15, payload)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    sessions = s.sessions(c.id)
    assert len(sessions) == 30 and len({x.intake.notes for x in sessions}) == 30
    assert len({x.id for x in sessions}) == 30 and all(len(x.photos) == 1 for x in sessions)


def test_crash_between_photo_write_and_commit_leaves_no_half_record(tmp_path, photo):
    s = Store(tmp_path)
    c = s.create_client("Crash")
    script = textwrap.dedent(f"""
        import os, json, sys
        sys.path.insert(0, {str(os.getcwd())!r})
        from posture import Assessment
        from posture.core.intake import Intake
        from posture.store import records as st
        from posture.store.sessions import SessionRecords
        data = open({str(tmp_path / 'payload.json')!r}).read()
        photo = st.NewPhoto(open({str(tmp_path / 'photo.jpg')!r}, 'rb').read(), 'p.jpg', Assessment.from_dict(json.loads(data)))
        real = SessionRecords._insert_session
        def dying(self, *args):
            real(self, *args)
            os._exit(3)  # the process dies after the inserts, before COMMIT
        SessionRecords._insert_session = dying
        st.Store({str(tmp_path)!r}).save_session({c.id}, Intake(), [photo])
    """)
    (tmp_path / "payload.json").write_text(json.dumps(photo.assessment.to_dict()))
    (tmp_path / "photo.jpg").write_bytes(photo.data)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    assert len(list(s.photos_dir.glob("*.jpg"))) == 1  # the photo was written first...
    assert s.sessions(c.id) == []  # ...but no session or photo record exists
    # The dead save's registration protects its file until it is old enough to be abandoned.
    assert s.collect_garbage() == 0 and len(list(s.photos_dir.glob("*.jpg"))) == 1
    assert s.collect_garbage(abandoned_after=0) == 1 and list(s.photos_dir.iterdir()) == []


def test_save_needs_client_and_photos(tmp_path, photo):
    s = Store(tmp_path)
    with pytest.raises(UsageError, match="at least one"):
        s.save_session(1, Intake(), [])
    with pytest.raises(StorageError, match="no client with id 42"):
        s.save_session(42, Intake(), [photo])
    assert s.collect_garbage() == 1  # the failed save no longer protects its photo


# --- item 7: clean-up never removes a photo being saved --------------------------------


def _save_paused(folder, client_id, payload, pause_at, written, go, results):
    """Save one session, pausing (until `go`) right after the photo file is written
    ("photo") or right before its temporary file is renamed into place ("rename")."""
    from posture import Assessment
    from posture.store.photo_files import PhotoFiles
    from posture.store.records import NewPhoto as NP
    from posture.store.records import Store as S

    def pause():
        if not written.is_set():
            written.set()
            go.wait(120)

    if pause_at == "photo":
        real_write = PhotoFiles.write

        def write_then_pause(self, data):
            digest = real_write(self, data)
            pause()
            return digest

        PhotoFiles.write = write_then_pause
    else:
        real_replace = os.replace

        def pause_then_replace(src, dst, *args, **kwargs):
            if str(dst).endswith(".jpg"):
                pause()
            return real_replace(src, dst, *args, **kwargs)

        os.replace = pause_then_replace
    data, name, d = payload
    try:
        results.put(("saved", S(folder).save_session(client_id, Intake(notes="paused"), [NP(data, name, Assessment.from_dict(d))])))
    except Exception as exc:  # reported to the test, which shows it
        results.put(("failed", f"{type(exc).__name__}: {exc}"))


@pytest.mark.parametrize("pause_at", ["photo", "rename"])
def test_deleting_a_client_while_another_save_is_in_flight_keeps_its_photo(tmp_path, photo, pause_at):
    s = Store(tmp_path)
    keep, drop = s.create_client("Saving"), s.create_client("Deleted meanwhile")
    written, go, results = SPAWN.Event(), SPAWN.Event(), SPAWN.Queue()
    payload = (photo.data, photo.filename, photo.assessment.to_dict())
    saver = SPAWN.Process(target=_save_paused, args=(tmp_path, keep.id, payload, pause_at, written, go, results))
    saver.start()
    try:
        assert written.wait(120), "the save never reached its pause point"
        if pause_at == "rename":
            assert [p.suffix for p in s.photos_dir.iterdir()] == [".tmp"]  # only the temporary file exists
        s.delete_client(drop.id)  # another tab: runs the photo clean-up, in this process
    finally:
        go.set()
    outcome, detail = results.get(timeout=120)
    saver.join(120)
    assert outcome == "saved", detail
    (session,) = s.sessions(keep.id)
    assert session.id == detail
    (p,) = session.photos
    assert hashlib.sha256(s.photo_bytes(p.sha256)).hexdigest() == p.sha256 == hashlib.sha256(photo.data).hexdigest()
    assert [x.name for x in s.photos_dir.iterdir()] == [f"{p.sha256}.jpg"]  # no temporary file left


def test_a_killed_writes_temporary_file_goes_even_when_its_photo_was_saved_again(tmp_path, photo):
    # Found by the load benchmark's --kill run: the process died while writing a photo; its redo
    # saved the same photo. The temporary file was kept for ever because the hash was in use.
    s = Store(tmp_path)
    c = s.create_client("Redone")
    s.save_session(c.id, Intake(), [photo])
    digest = hashlib.sha256(photo.data).hexdigest()
    left = s.photos_dir / f".{digest}.jpg.k1ll3d.tmp"
    left.write_bytes(photo.data[:1000])
    assert s.collect_garbage() == 1
    assert [p.name for p in s.photos_dir.iterdir()] == [f"{digest}.jpg"]


def test_a_save_that_outlived_its_registration_rewrites_its_photo(tmp_path, photo, monkeypatch):
    s = Store(tmp_path)
    c = s.create_client("Slow")
    real_write = PhotoFiles.write
    calls = []

    def write_then_stall(self, data):
        digest = real_write(self, data)
        calls.append(digest)
        if len(calls) == 1:  # the save stalls past the expiry; clean-up collects its photo
            assert s.collect_garbage(abandoned_after=-1) == 1
        return digest

    monkeypatch.setattr(PhotoFiles, "write", write_then_stall)
    s.save_session(c.id, Intake(), [photo])
    assert len(calls) == 2  # written again, under the lock, before the commit
    (p,) = s.sessions(c.id)[0].photos
    assert s.photo_bytes(p.sha256) == photo.data


def test_photo_file_and_its_folder_are_fsynced(tmp_path, photo, fsync_log):
    s = Store(tmp_path)
    c = s.create_client("Durable")
    synced = fsync_log
    s.save_session(c.id, Intake(), [photo])
    photo_file = next(s.photos_dir.glob("*.jpg"))
    # The file's bytes were synced (as a temporary file, same inode) and then the folder after the rename.
    assert (False, photo_file.stat().st_ino) in synced
    assert (True, s.photos_dir.stat().st_ino) in synced
    assert synced.index((True, s.photos_dir.stat().st_ino)) > synced.index((False, photo_file.stat().st_ino))


# --- item 2: self checks ----------------------------------------------------------------


def test_self_checks_are_not_assessments(tmp_path, photo):
    s = Store(tmp_path)
    ana = s.create_client("Ana")
    first = s.save_session(ana.id, Intake(notes="before"), [photo])
    check = s.save_session(ana.id, Intake(notes="self"), [_other(photo, b"1")], kind="self_check")
    after = s.save_session(ana.id, Intake(notes="after"), [photo])
    assert [x.id for x in s.sessions(ana.id)] == [first, after]  # History's default never picks a self check
    assert [(x.id, x.kind) for x in s.sessions(ana.id, kind=None)] == [(first, "assessment"), (check, "self_check"), (after, "assessment")]
    assert [x.id for x in s.sessions(ana.id, kind="self_check")] == [check]
    with pytest.raises(UsageError, match="session kind must be one of assessment, self_check"):
        s.save_session(ana.id, Intake(), [photo], kind="selfie")  # type: ignore[arg-type]


def test_a_saved_self_check_never_attaches_to_a_therapists_client(tmp_path, photo):
    s = Store(tmp_path)
    ana = s.create_client("Ana")
    s.save_session(ana.id, Intake(), [photo])
    one = s.save_self_check("Ana", Intake(notes="self check"), [photo])
    two = s.save_self_check(" Ana ", Intake(), [_other(photo, b"2")])
    assert [c.id for c in s.list_clients()] == [ana.id] and s.list_clients("ana") == [ana]  # owners are not clients
    assert len(s.sessions(ana.id, kind=None)) == 1  # nothing reached Ana's record
    checks = s.self_checks()
    assert [x.id for x in checks] == [one, two] and {x.kind for x in checks} == {"self_check"}
    owner = s.get_client(checks[0].client_id)
    assert owner.is_self_check and owner.name == "Ana" and checks[1].client_id == owner.id  # same label, one series
    with pytest.raises(UsageError, match="Name or pseudonym must not be empty"):
        s.save_self_check("  ", Intake(), [photo])
    # Only a deliberate link moves it, and it stays marked as a self check.
    s.link_self_check(one, ana.id)
    assert [(x.id, x.kind) for x in s.sessions(ana.id, kind="self_check")] == [(one, "self_check")]
    assert [x.id for x in s.self_checks()] == [two]
    with pytest.raises(StorageError, match=f"no client with id {owner.id}"):
        s.link_self_check(two, owner.id)  # an owner is not a client
    with pytest.raises(StorageError, match="no self check with id"):
        s.link_self_check(s.sessions(ana.id)[0].id, ana.id)
    s.link_self_check(two, ana.id)
    with pytest.raises(StorageError, match="no client with id"):
        s.get_client(owner.id)  # an owner left empty is dropped


# --- item 4: drafts ---------------------------------------------------------------------


def test_drafts_round_trip_replace_and_go_with_a_save_or_the_client(tmp_path, photo):
    s = Store(tmp_path)
    ana, ben = s.create_client("Ana"), s.create_client("Ben")
    assert s.load_draft(ana.id) is None
    s.save_draft(ana.id, b"first\x00" + photo.data)
    s.save_draft(ana.id, b"second\x00\xff")
    s.save_draft(ben.id, b"ben")
    assert Store(tmp_path).load_draft(ana.id) == b"second\x00\xff"  # replaced, survives a restart
    s.save_session(ana.id, Intake(), [_other(photo, b"s")], kind="self_check")
    assert s.load_draft(ana.id) == b"second\x00\xff"  # a self check is not the intake in progress
    s.save_session(ana.id, Intake(), [photo])
    assert s.load_draft(ana.id) is None and s.load_draft(ben.id) == b"ben"
    s.save_draft(ana.id, b"again")
    s.delete_draft(ana.id)
    s.delete_draft(ana.id)  # nothing to delete is fine
    assert s.load_draft(ana.id) is None
    s.delete_client(ben.id)
    assert _count(s, "drafts") == 0
    with pytest.raises(StorageError, match=f"no client with id {ben.id}"):
        s.save_draft(ben.id, b"late")


def test_draft_is_kept_when_the_save_fails(tmp_path, photo):
    s = Store(tmp_path)
    ana = s.create_client("Ana")
    s.save_draft(ana.id, b"typed")
    with pytest.raises(UsageError):
        s.save_session(ana.id, Intake(), [])
    assert s.load_draft(ana.id) == b"typed"


# --- clinic mode: who sees what, the audit trail, one client's data ----------------------


def _user(store, name, role="therapist", disabled=False):
    """An account row, as the accounts code (10B) makes them; returns the Actor that logs in with it."""
    from sqlalchemy import insert

    from posture.store import schema
    from posture.store.actor import Actor

    with store.write() as conn:
        uid = conn.execute(insert(schema.users).values(
            name=name, role=role, password_hash="x", disabled=disabled, created_at=dt.datetime.now(dt.UTC),
        )).inserted_primary_key[0]
    return Actor(name=name, role=role, user_id=int(uid))


def test_therapists_see_their_own_and_shared_clients_admins_see_all(tmp_path, photo):
    from posture.core.errors import AccessDeniedError
    from posture.store.actor import SELF_CHECK

    s = Store(tmp_path)
    anna, ben, boss = _user(s, "anna"), _user(s, "ben"), _user(s, "boss", "admin")
    mine = s.create_client("Anna's client", actor=anna)
    theirs = s.create_client("Ben's client", actor=ben)
    assert mine.owner_user_id == anna.user_id and theirs.owner_user_id == ben.user_id
    assert [c.id for c in s.list_clients(actor=anna)] == [mine.id]
    assert [c.id for c in s.list_clients(actor=ben)] == [theirs.id]
    assert {c.id for c in s.list_clients(actor=boss)} == {mine.id, theirs.id}
    for denied in (lambda: s.get_client(theirs.id, actor=anna), lambda: s.sessions(theirs.id, actor=anna),
                   lambda: s.save_session(theirs.id, Intake(), [photo], actor=anna),
                   lambda: s.update_client(theirs.id, "x", None, None, actor=anna), lambda: s.delete_client(theirs.id, actor=anna),
                   lambda: s.load_draft(theirs.id, actor=anna)):
        with pytest.raises(AccessDeniedError, match="not one of anna's clients|own therapist"):
            denied()
    sid = s.save_session(theirs.id, Intake(notes="by ben"), [photo], actor=ben)
    digest = hashlib.sha256(photo.data).hexdigest()
    with pytest.raises(AccessDeniedError, match="belongs to no client of anna"):
        s.photo_bytes(digest, actor=anna)
    # Sharing is the admin's; once shared, anna sees and edits, but only the owner or an admin deletes.
    with pytest.raises(AccessDeniedError, match="only an admin can share"):
        s.share_client(theirs.id, anna.user_id, actor=ben)
    s.share_client(theirs.id, anna.user_id, actor=boss)
    s.share_client(theirs.id, anna.user_id, actor=boss)  # twice is harmless
    assert s.shared_with(theirs.id, actor=boss) == [anna.user_id]
    assert {c.id for c in s.list_clients(actor=anna)} == {mine.id, theirs.id}
    assert [x.id for x in s.sessions(theirs.id, actor=anna)] == [sid] and s.photo_bytes(digest, actor=anna) == photo.data
    s.update_client(theirs.id, "Renamed", None, None, actor=anna)
    with pytest.raises(AccessDeniedError, match="own therapist or an admin"):
        s.delete_client(theirs.id, actor=anna)
    # Reassigning moves the client; unsharing takes it away again.
    moved = s.reassign_client(mine.id, ben.user_id, actor=boss)
    assert moved.owner_user_id == ben.user_id and mine.id in {c.id for c in s.list_clients(actor=ben)}
    s.unshare_client(theirs.id, anna.user_id, actor=boss)
    assert s.list_clients(actor=anna) == []
    # The self check saves a self check, and nothing else.
    s.save_self_check("anon", Intake(), [photo], actor=SELF_CHECK)
    for denied in (lambda: s.list_clients(actor=SELF_CHECK), lambda: s.get_client(theirs.id, actor=SELF_CHECK),
                   lambda: s.self_checks(actor=SELF_CHECK), lambda: s.photo_bytes(digest, actor=SELF_CHECK),
                   lambda: s.save_session(theirs.id, Intake(), [photo], actor=SELF_CHECK),
                   lambda: s.create_client("x", actor=SELF_CHECK)):
        with pytest.raises(AccessDeniedError, match="self check can save a self check and nothing else"):
            denied()
    # A disabled account is refused on its next call, whatever it still holds.
    from sqlalchemy import update

    from posture.store import schema

    with s.write() as conn:
        conn.execute(update(schema.users).where(schema.users.c.id == ben.user_id).values(disabled=True))
    with pytest.raises(AccessDeniedError, match="'ben' is disabled"):
        s.list_clients(actor=ben)


def test_changes_and_views_are_audited_in_the_trail(tmp_path, photo):
    from posture.core.errors import AccessDeniedError
    from posture.store import audit

    s = Store(tmp_path)
    anna, boss = _user(s, "anna"), _user(s, "boss", "admin")
    c = s.create_client("Audited", actor=anna)
    s.update_client(c.id, "Audited", "1980-01-01", None, actor=anna)
    s.get_client(c.id, actor=anna)
    s.get_client(c.id, actor=anna)  # a redraw: one view within VIEW_COALESCE_S
    sid = s.save_session(c.id, Intake(), [photo], actor=anna)
    s.delete_session(sid, actor=anna)
    s.share_client(c.id, boss.user_id, actor=boss)
    audit.record_event(s, audit.LOGIN_FAILED, actor_name="mallory", actor_role="unknown", detail="bad password")
    s.delete_client(c.id, actor=boss)
    events = list(reversed(audit.list_events(s, actor=boss)))
    assert [(e.actor_name, e.action, e.client_id) for e in events] == [
        ("anna", "client.create", c.id), ("anna", "client.edit", c.id), ("anna", "client.view", c.id),
        ("anna", "session.create", c.id), ("anna", "session.delete", c.id), ("boss", "client.share", c.id),
        ("mallory", "login_failed", None), ("boss", "client.delete", c.id),
    ]
    assert events[1].detail == "changed: birth_date" and all(e.at.tzinfo is not None for e in events)
    assert all("Audited" not in e.detail for e in events)  # ids, never the client's name
    assert [e.action for e in audit.list_events(s, audit.EventFilter(actor_name="anna", action="session.create"), actor=boss)] == [
        "session.create"]
    with pytest.raises(AccessDeniedError, match="only an admin can read the audit trail"):
        audit.list_events(s, actor=anna)
    out = tmp_path / "audit.csv"
    text = audit.export_csv(s, actor=boss, path=out)
    assert text.splitlines()[0] == ",".join(audit.CSV_COLUMNS) and len(text.splitlines()) == 9
    assert out.read_text() == text and (out.stat().st_mode & 0o777) == 0o600
    assert audit.list_events(s, actor=boss)[0].action == "audit.export"  # the export is recorded too


def test_audit_trail_cannot_be_changed_or_deleted(tmp_path):
    from sqlalchemy import delete, update

    from posture.store import audit, schema

    s = Store(tmp_path)
    s.create_client("Kept")
    before = audit.list_events(s, actor=audit.Actor("solo", "solo"))
    for statement in (update(schema.audit_events).values(detail="forged"), delete(schema.audit_events)):
        with pytest.raises(StorageError, match="audit_events is append-only"):
            with s.write() as conn:
                conn.execute(statement)
    assert audit.list_events(s, actor=audit.Actor("solo", "solo")) == before and len(before) == 1


def test_formula_cells_are_defused_in_the_csv(tmp_path):
    from posture.store import audit
    from posture.store.actor import SOLO

    s = Store(tmp_path)
    audit.record_event(s, audit.LOGIN_FAILED, actor_name="=HYPERLINK(\"x\")", actor_role="unknown")
    row = audit.export_csv(s, actor=SOLO).splitlines()[1]
    assert "'=HYPERLINK" in row


def test_a_damaged_photo_is_an_error_not_a_wrong_photo(tmp_path, photo):
    from posture.core.errors import PhotoCorruptError

    s = Store(tmp_path)
    c = s.create_client("Damaged")
    s.save_session(c.id, Intake(), [photo])
    (p,) = s.sessions(c.id)[0].photos
    path = s.photos_dir / f"{p.sha256}.jpg"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    path.write_bytes(bytes(data))
    with pytest.raises(PhotoCorruptError, match=f"photo {p.sha256[:12]} .* no longer matches its hash"):
        s.photo_bytes(p.sha256)
    with pytest.raises(StorageError, match="not a photo hash"):
        s.photo_bytes("../../etc/passwd")


def test_photo_folder_can_live_elsewhere(tmp_path, photo, monkeypatch):
    monkeypatch.setenv("POSTURE_PHOTO_DIR", str(tmp_path / "volume" / "photos"))
    s = Store(tmp_path / "data")
    c = s.create_client("Elsewhere")
    s.save_session(c.id, Intake(), [photo])
    assert [p.name for p in (tmp_path / "volume" / "photos").iterdir()] == [f"{hashlib.sha256(photo.data).hexdigest()}.jpg"]
    assert (tmp_path / "volume" / "photos").stat().st_mode & 0o777 == 0o700


def test_double_submit_with_one_key_saves_once(tmp_path, photo):
    s = Store(tmp_path)
    c = s.create_client("Twice")
    first = s.save_session(c.id, Intake(notes="one"), [photo], idempotency_key="form-1")
    assert s.save_session(c.id, Intake(notes="one"), [photo], idempotency_key="form-1") == first
    other = s.save_session(c.id, Intake(notes="two"), [photo], idempotency_key="form-2")
    assert [x.id for x in s.sessions(c.id)] == [first, other] and _count(s, "pending_photos") == 0
    with pytest.raises(UsageError, match="idempotency key"):
        s.save_session(c.id, Intake(), [photo], idempotency_key="x" * 65)


def test_a_client_deleted_while_open_gives_a_clear_error(tmp_path, photo):
    from posture.core.errors import ClientNotFoundError

    s = Store(tmp_path)
    other_tab = Store(tmp_path)
    c = s.create_client("Open elsewhere")
    other_tab.delete_client(c.id)
    message = f"no client with id {c.id}: the client was deleted \\(perhaps by someone else just now\\); reload the client list"
    for late in (lambda: s.get_client(c.id), lambda: s.update_client(c.id, "x", None, None),
                 lambda: s.save_session(c.id, Intake(), [photo]), lambda: s.save_draft(c.id, b"d"), lambda: s.delete_client(c.id)):
        with pytest.raises(ClientNotFoundError, match=message):
            late()
    assert _count(s, "sessions") == 0 and _count(s, "pending_photos") == 0
    assert s.collect_garbage() == 1 and list(s.photos_dir.iterdir()) == []  # the refused save's photo, now unprotected


def test_one_clients_data_exports_to_a_zip_and_erases(tmp_path, photo):
    import zipfile

    from posture.store import audit
    from posture.store.actor import SOLO
    from posture.store.export import erase_client, export_client

    s = Store(tmp_path)
    anna, boss = _user(s, "anna"), _user(s, "boss", "admin")
    c = s.create_client("Zofia Łukasiewicz", "1980-02-01", 168, actor=anna)
    keep = s.create_client("Someone else", actor=anna)
    sid = s.save_session(c.id, Intake(pain={"neck": 6}, notes="desk"), [photo, _other(photo, b"2")], actor=anna)
    s.save_session(keep.id, Intake(), [photo], actor=anna)  # shares the first photo file
    s.save_draft(c.id, b"draft\x00", actor=anna)
    path = export_client(s, c.id, tmp_path / "out.zip", actor=anna)
    assert path.stat().st_mode & 0o777 == 0o600
    with zipfile.ZipFile(path) as zf:
        doc = json.loads(zf.read("client.json"))
        assert doc["client"]["name"] == "Zofia Łukasiewicz" and doc["client"]["owner_user_id"] == anna.user_id
        (session,) = doc["sessions"]
        assert session["id"] == sid and session["intake"]["pain"] == {"neck": 6} and len(session["photos"]) == 2
        for p in session["photos"]:
            assert hashlib.sha256(zf.read(p["file"])).hexdigest() == p["sha256"]
        assert "Zofia" in zf.read(f"summaries/session-{sid}.md").decode()
        assert doc["draft"]["payload_base64"] == "ZHJhZnQA"
        assert [e["action"] for e in doc["audit_events"]] == ["client.create", "session.create"]
    with pytest.raises(StorageError):
        export_client(s, keep.id, tmp_path / "denied.zip", actor=_user(s, "ben"))
    assert not (tmp_path / "denied.zip").exists()
    assert erase_client(s, c.id, actor=boss) == 1  # the second photo; the first is still used by the other client
    assert [x.id for x in s.list_clients(actor=boss)] == [keep.id] and _count(s, "drafts") == 0
    actions = [(e.action, e.actor_name) for e in audit.list_events(s, audit.EventFilter(client_id=c.id), actor=SOLO)]
    assert actions[:2] == [("client.erase", "boss"), ("client.export", "anna")]


def test_clinic_store_refuses_a_call_that_names_no_user(tmp_path):
    """Clinic mode opens the store with refuse_solo: a page that forgot `actor=` sees nothing."""
    from posture.core.errors import AccessDeniedError

    Store(tmp_path).create_client("Solo-era client")
    clinic = Store(tmp_path, refuse_solo=True)
    boss = _user(clinic, "boss", "admin")
    with pytest.raises(AccessDeniedError, match="needs a logged-in user"):
        clinic.list_clients()
    with pytest.raises(AccessDeniedError, match="needs a logged-in user"):
        clinic.create_client("x")
    assert [c.name for c in clinic.list_clients(actor=boss)] == ["Solo-era client"]
