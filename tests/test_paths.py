"""The data folder (one function, used everywhere) and owner-only files whatever the umask."""

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from posture.core.intake import Intake
from posture.live import calibration as live
from posture.live.calibration import Baseline
from posture.store.paths import data_dir, private_dir, write_private_file
from posture.store.records import NewPhoto, Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


@pytest.mark.parametrize("value", [None, "", "   ", "\t\n"])
def test_unset_or_blank_data_dir_is_dot_posture_in_home(home, monkeypatch, value):
    if value is None:
        monkeypatch.delenv("POSTURE_DATA_DIR", raising=False)
    else:
        monkeypatch.setenv("POSTURE_DATA_DIR", value)
    assert data_dir() == home / ".posture"
    assert live.default_data_dir() == data_dir() == Store().folder  # the store and live agree
    assert mode(home / ".posture") == 0o700


def test_tilde_is_expanded_and_relative_paths_made_absolute(home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POSTURE_DATA_DIR", "~/x")
    assert data_dir() == home / "x"
    Baseline("Ana", "side", {"neck_inclination_deg": 20.0}).save(live.default_data_dir() / "baselines")
    assert (home / "x" / "baselines" / "Ana.json").exists() and not (tmp_path / "~").exists()
    monkeypatch.setenv("POSTURE_DATA_DIR", "rel/data")
    assert data_dir() == tmp_path / "rel" / "data" and data_dir().is_absolute()


def test_everything_the_store_writes_is_owner_only(tmp_path, monkeypatch, umask, assessed, data_dir):
    folder = tmp_path / "new" / "data"  # parents that do not exist yet are ours too
    monkeypatch.setenv("POSTURE_DATA_DIR", str(folder))
    s = Store()
    reader = sqlite3.connect(s.db_path)  # keeps -wal and -shm on disk while we look at them
    try:
        reader.execute("SELECT COUNT(*) FROM clients").fetchone()
        c = s.create_client("Ana")
        photo = NewPhoto((data_dir / "seated_side_hunched_01.jpg").read_bytes(), "side.jpg", assessed("seated_side_hunched_01.jpg"))
        s.save_session(c.id, Intake(notes="private"), [photo])
        s.save_draft(c.id, b"draft")
        files = sorted(folder.rglob("*"))
        assert {p.name for p in files} >= {"photos", "posture.db", "posture.db-wal", "posture.db-shm"}
        assert len(list(s.photos_dir.glob("*.jpg"))) == 1
        for p in [tmp_path / "new", *files]:
            assert mode(p) == (0o700 if p.is_dir() else 0o600), f"{p}: {oct(mode(p))}"
    finally:
        reader.close()


def test_an_older_store_is_made_private(tmp_path, umask):
    (tmp_path / "photos").mkdir(mode=0o755)
    old_photo = tmp_path / "photos" / ("0" * 64 + ".jpg")
    old_photo.write_bytes(b"jpeg")
    os.chmod(tmp_path / "photos", 0o755)
    os.chmod(old_photo, 0o644)
    sqlite3.connect(tmp_path / "posture.db").close()
    os.chmod(tmp_path / "posture.db", 0o644)
    Store(tmp_path)
    assert (mode(tmp_path / "photos"), mode(old_photo), mode(tmp_path / "posture.db")) == (0o700, 0o600, 0o600)


def test_baselines_are_owner_only(tmp_path, monkeypatch, umask):
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "posture-data"))
    path = Baseline("Jane", "side", {"neck_inclination_deg": 20.0}).save(live.default_data_dir() / "baselines")
    assert mode(tmp_path / "posture-data") == mode(path.parent) == 0o700 and mode(path) == 0o600
    assert Baseline.load(path.parent, "Jane") == Baseline("Jane", "side", {"neck_inclination_deg": 20.0})


def test_private_dir_fixes_an_existing_folder(tmp_path, umask):
    parent = tmp_path / "projects"
    folder = parent / "shared"
    folder.mkdir(parents=True)
    os.chmod(parent, 0o755)
    os.chmod(folder, 0o755)
    assert private_dir(folder) == folder and mode(folder) == 0o700
    assert mode(parent) == 0o755  # a parent that already existed is not ours to change


def test_write_private_file_is_atomic_owner_only_and_synced(tmp_path, umask, fsync_log):
    target = tmp_path / "note.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    synced = fsync_log
    write_private_file(target, b"new \x00 bytes")
    assert target.read_bytes() == b"new \x00 bytes" and mode(target) == 0o600
    assert synced == [(False, target.stat().st_ino), (True, tmp_path.stat().st_ino)]  # the file, then its folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.bin"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    from posture.core.errors import StorageError

    target = tmp_path / "keep.bin"
    target.write_bytes(b"old")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(StorageError, match="keep.bin: cannot be written"):
        write_private_file(target, b"new")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["keep.bin"]
