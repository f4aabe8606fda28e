"""posture batch: inputs, the Parquet rows, resume after a real kill, the local pool against Ray.

Photos are real (tests/data); the folders are kept to a handful so the suite stays light on
a shared machine. Speed is measured in benchmarks/batch.py, not here."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from posture.batch.inputs import BatchItem, collect, read_manifest
from posture.batch.progress import Tally, format_duration, progress_line
from posture.batch.rows import COLUMNS, RUN_DEPENDENT_COLUMNS, SCHEMA, SETUP_CHECKS, WORKER_CRASHED, measure_columns, row_from_error
from posture.batch.runner import LocalPool
from posture.batch.writer import PartWriter, part_files, prepare_output, read_done
from posture.cli import main
from posture.core.errors import ImageReadError, NoPersonError, StorageError, UsageError
from posture.core.measuring.measures import MEASURES

DATA = Path(__file__).parent / "data"
GOOD = "standing_side_01.jpg"


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- inputs ----------------------------------------------------------------------------------


def test_folder_is_searched_recursively_for_accepted_photo_types_only(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for name in ("a/b/x.JPG", "a/y.heic", "z.png", "notes.txt", "a/.DS_Store", ".hidden/w.jpg", "a/b/noext"):
        (tmp_path / name).write_bytes(b"x")
    items = collect([tmp_path])
    assert [Path(i.path).relative_to(tmp_path).as_posix() for i in items] == ["a/b/x.JPG", "a/y.heic", "z.png"]


def test_batch_defaults_apply_where_the_manifest_is_silent_and_each_path_once(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "one.jpg").write_bytes(b"x")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,client_id,height_cm,view\np/one.jpg,c7,181.5,left\np/two.jpg,,,\n\n", encoding="utf-8")
    items = collect([manifest, tmp_path / "p"], view="front", height_cm=170)
    assert items == [BatchItem(str(tmp_path / "p" / "one.jpg"), "c7", 181.5, "left"),
                     BatchItem(str(tmp_path / "p" / "two.jpg"), None, 170.0, "front")]  # one.jpg not twice


def test_manifest_with_excel_bom_and_header_aliases(tmp_path):
    m = tmp_path / "m.csv"
    m.write_bytes("\ufeffPhoto,Client,Height\n/abs/x.jpg,Ana Łukasiewicz,\"165,5\"\n".encode())
    assert read_manifest(m) == [BatchItem("/abs/x.jpg", "Ana Łukasiewicz", 165.5, None)]


@pytest.mark.parametrize("text, message", [
    ("", "manifest is empty"),
    ("client_id,view\nc1,front\n", "line 1: no 'path' column"),
    ("path,heigth\nx.jpg,170\n", "line 1: unknown column 'heigth'"),
    ("path,client,client_id\nx.jpg,a,b\n", "column 'client_id' appears twice"),
    ("path\n", "has a header but no photos"),
    ("path,height_cm\nx.jpg,tall\n", "line 2: height 'tall' is not a number"),
    ("path,height_cm\nx.jpg,170\ny.jpg,17\n", "line 3: height must be between 50 and 250 cm, got 17"),
    ("path,view\nx.jpg,sideways\n", "line 2: view must be one of auto, front, back, left, right; got 'sideways'"),
    ("path,view\n,front\n", "line 2: empty path"),
    ("path\nx.jpg,extra\n", "line 2: 2 fields, the header has 1"),
])
def test_bad_manifest_is_one_clear_usage_error(tmp_path, text, message):
    m = tmp_path / "study.csv"
    m.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as err:
        read_manifest(m)
    assert str(err.value).startswith(f"{m}: ") and message in str(err.value)


def test_manifest_not_utf8_or_missing(tmp_path):
    m = tmp_path / "latin1.csv"
    m.write_bytes("path,client_id\nx.jpg,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(UsageError, match="not UTF-8"):
        read_manifest(m)
    with pytest.raises(UsageError, match="no such manifest"):
        read_manifest(tmp_path / "nope.csv")


# --- rows, progress, writer --------------------------------------------------------------------


def test_schema_has_value_uncertainty_and_reason_for_every_measure_and_every_setup_check():
    for spec in MEASURES:
        value, unc, reason = measure_columns(spec.name)
        assert SCHEMA.field(value).type == pa.float64() and SCHEMA.field(unc).type == pa.float64()
        assert SCHEMA.field(reason).type == pa.string()
    for key in SETUP_CHECKS:
        assert SCHEMA.field(f"setup_{key}").type == pa.string()
    assert pa.types.is_list(SCHEMA.field("findings").type) and pa.types.is_list(SCHEMA.field("warnings").type)
    assert len(set(COLUMNS)) == len(COLUMNS)


def test_durations_rate_eta_and_first_failure_in_input_order():
    assert (format_duration(0), format_duration(59.6), format_duration(185), format_duration(7620)) == ("0s", "1m00s", "3m05s", "2h07m")
    assert progress_line(0, 200, 0, 5.0, width=10) == "[..........] 0/200"
    # 50 done in 100 s: 0.5 photos/s, 150 left -> 300 s
    assert progress_line(50, 200, 3, 100.0, width=10) == "[##........] 50/200  0.50 photos/s  ETA 5m00s  (3 failed)"
    t = Tally(total=5)
    t.record(4, "no_person", 5)
    t.record(0, None, None)
    t.record(2, "image_unreadable", 3)  # finished later but earlier in the input: its code wins
    assert (t.assessed, t.failed, t.exit_code) == (1, 2, 3)
    assert "1 assessed, 2 failed (1 no_person, 1 image_unreadable)" in t.summary("r.parquet", "2 local workers")
    assert t.summary("r.parquet", "2 local workers").endswith("; rows written to r.parquet")  # where to look
    assert Tally(total=1).exit_code == 0


def test_failure_rows_have_the_full_schema_and_the_cli_exit_code(tmp_path):
    out = tmp_path / "r.parquet"
    prepare_output(out, resume=False)
    w = PartWriter(out, chunk_rows=2)
    w.add(row_from_error(BatchItem("a.jpg"), None, ImageReadError("a.jpg: file not found"), 0.0))
    assert part_files(out) == []  # one row is not a chunk yet
    w.add(row_from_error(BatchItem("b.jpg"), "ab" * 32, NoPersonError("b.jpg: no person found in the photo"), 1.0))
    w.flush()
    (part,) = part_files(out)
    table = pq.read_table(part)
    assert table.schema.equals(SCHEMA) and table.num_rows == 2
    assert table.column("error").to_pylist() == ["image_unreadable", "no_person"]
    assert table.column("exit_code").to_pylist() == [3, 5]
    assert oct(os.stat(part).st_mode & 0o777) == "0o600" and oct(os.stat(out).st_mode & 0o777) == "0o700"
    done = read_done(out)
    assert done.has("b.jpg", "ab" * 32) and done.has("a.jpg", None) and not done.has("c.jpg", None)


def test_output_folder_rules_and_a_killed_chunk_left_behind(tmp_path):
    f = tmp_path / "file.parquet"
    f.write_bytes(b"PAR1")
    with pytest.raises(UsageError, match="exists and is not a batch output folder"):
        prepare_output(f, resume=False)
    other = tmp_path / "photos"
    other.mkdir()
    (other / "x.jpg").write_bytes(b"x")
    with pytest.raises(UsageError, match="not a batch output folder"):
        prepare_output(other, resume=True)
    out = tmp_path / "r.parquet"
    prepare_output(out, resume=False)
    w = PartWriter(out, chunk_rows=1)
    w.add(row_from_error(BatchItem("a.jpg"), "cd" * 32, NoPersonError("no person"), 0.0))
    with pytest.raises(UsageError, match="add --resume"):
        prepare_output(out, resume=False)
    # What a writer killed mid-chunk leaves: a temporary file with half a Parquet file in it.
    half = out / ".part-20260101T000000-1-00001.parquet.k3j2.tmp"
    whole = part_files(out)[0].read_bytes()
    half.write_bytes(whole[: len(whole) // 2])
    import pandas as pd

    assert len(pd.read_parquet(out)) == 1  # readers skip it
    assert prepare_output(out, resume=True).rows == 1
    assert not half.exists()  # resume removes it
    bad = out / "part-20260101T000000-1-00009.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(StorageError, match="cannot be read"):
        prepare_output(out, resume=True)


# --- on real photos ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory) -> tuple[Path, Path]:
    """Two good photos (one named in a manifest with a client id and height), a photo of no one,
    an empty file and a file that is not an image, plus a text file that is not an input."""
    root = tmp_path_factory.mktemp("batch_in")
    shutil.copy(DATA / GOOD, root / GOOD)
    (root / "sub").mkdir()
    shutil.copy(DATA / "seated_side_upright_01.jpg", root / "sub" / "seated.jpg")
    shutil.copy(DATA / "no_person_01.jpg", root / "sub" / "nobody.jpg")
    (root / "empty.png").write_bytes(b"")
    (root / "broken.jpg").write_bytes(b"this is not a JPEG")
    (root / "readme.txt").write_text("not a photo")
    manifest = root / "manifest.csv"
    manifest.write_text(f"path,client_id,height_cm\n{GOOD},client-17,172\n", encoding="utf-8")
    return root, manifest


@pytest.fixture(scope="module")
def pool_rows(small_folder, tmp_path_factory):
    root, manifest = small_folder
    out = tmp_path_factory.mktemp("batch_out") / "results.parquet"
    code = main(["batch", str(manifest), str(root), "--out", str(out), "--workers", "2", "--chunk-rows", "2"])
    return code, out


def _rows_by_name(out: Path) -> dict[str, dict]:
    table = pq.read_table(out)  # the folder, as one table
    return {Path(r["path"]).name: r for r in table.to_pylist()}


def test_folder_with_good_and_bad_files_gives_one_row_each_with_its_error(pool_rows, small_folder):
    code, out = pool_rows
    rows = _rows_by_name(out)
    assert sorted(rows) == sorted([GOOD, "seated.jpg", "nobody.jpg", "empty.png", "broken.jpg"])
    for part in part_files(out):
        assert pq.read_schema(part).equals(SCHEMA)  # every part file the same columns, whatever its rows
    assert (rows["broken.jpg"]["error"], rows["broken.jpg"]["exit_code"]) == ("image_unreadable", 3)
    assert (rows["empty.png"]["error"], rows["empty.png"]["exit_code"]) == ("image_unreadable", 3)
    assert (rows["nobody.jpg"]["error"], rows["nobody.jpg"]["exit_code"]) == ("no_person", 5)
    assert "no person" in rows["nobody.jpg"]["error_message"]
    assert code == 3  # the first failure in input order (broken.jpg sorts before sub/nobody.jpg)
    good = rows[GOOD]
    assert good["ok"] and good["error"] is None and good["client_id"] == "client-17" and good["height_cm"] == 172.0
    import hashlib

    assert good["sha256"] == hashlib.sha256((DATA / GOOD).read_bytes()).hexdigest()
    assert {c["key"] for c in good["setup_checks"]} == set(SETUP_CHECKS)  # the schema's list is the pipeline's
    seated = rows["seated.jpg"]
    assert seated["posture"] == "seated" and seated["view"] in ("left", "right")
    assert seated["forward_head_offset_cm"] is None and seated["forward_head_offset_cm_reason"] == "client height not given"


def test_row_has_the_same_numbers_as_assess_json(pool_rows, small_folder, capsys):
    _, out = pool_rows
    root, _ = small_folder
    row = _rows_by_name(out)[GOOD]
    code, stdout, _ = run_cli(capsys, "assess", str(root / GOOD), "--height-cm", "172", "--json", "-")
    assert code == 0
    record = json.loads(stdout)
    assert record["measures"]["forward_head_offset_cm"]["value"] is not None  # the manifest's height was used
    for name, m in record["measures"].items():
        value, unc, reason = measure_columns(name)
        assert (row[value], row[unc], row[reason]) == (m["value"], m["uncertainty"], m["reason"]), name
    assert (row["view"], row["posture"], row["view_confidence"]) == (record["view"]["name"], record["view"]["posture"],
                                                                     record["view"]["confidence"])
    assert row["setup_status"] == record["setup"]["status"]
    assert {k: row[f"setup_{k}"] for k in SETUP_CHECKS} == {c["key"]: c["status"] for c in record["setup"]["checks"]}
    assert row["camera_roll_deg"] == record["setup"]["camera"]["roll_deg"]
    assert [f["id"] for f in row["findings"]] == [f["id"] for f in record["findings"]]
    assert row["warnings"] == record["warnings"]


@contextlib.contextmanager
def _batch_past_its_first_chunk(cmd: list[str], out: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`cmd` (a batch writing `out`) running in a process group of its own, handed over once
    its first chunk is on disk; on the way out it is killed if it still runs, and reaped."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    assert proc.stderr is not None
    try:
        deadline = time.monotonic() + 300
        while not (out.is_dir() and part_files(out)):  # wait on the first chunk reaching the disk
            assert proc.poll() is None, f"batch ended before its first chunk: {proc.stderr.read().decode()}"
            assert time.monotonic() < deadline, "no part file within 300 s"
            time.sleep(0.05)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()


def test_resume_after_a_real_kill_gives_every_photo_exactly_once(tmp_path):
    photos = tmp_path / "in"
    photos.mkdir()
    names = ["a_standing_back_02.jpg", "b_seated_side_reclined_01.jpg", "c_seated_side_hunched_01.jpg"]
    for n in names:
        shutil.copy(DATA / n.split("_", 1)[1], photos / n)
    (photos / "d_broken.jpg").write_bytes(b"\xff\xd8\xff truncated")
    out = tmp_path / "results.parquet"
    cmd = [sys.executable, "-m", "posture", "batch", str(photos), "--out", str(out), "--workers", "1", "--chunk-rows", "1"]
    with _batch_past_its_first_chunk(cmd, out) as proc:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its worker: a crash, no clean-up
    assert proc.returncode == -signal.SIGKILL
    first = pq.read_table(out).to_pylist()
    assert 1 <= len(first) < 4  # killed mid-run, and what was written is readable
    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 3, resumed.stderr  # d_broken.jpg: image unreadable
    assert f"{len(first)} skipped (already in" in resumed.stderr
    rows = pq.read_table(out).to_pylist()
    assert sorted(Path(r["path"]).name for r in rows) == sorted([*names, "d_broken.jpg"])  # each exactly once
    kept = {r["path"]: r for r in rows}
    for r in first:
        assert kept[r["path"]]["sha256"] == r["sha256"]


def _comparable(out: Path) -> list[dict]:
    rows = pq.read_table(out).drop_columns(list(RUN_DEPENDENT_COLUMNS)).to_pylist()
    return sorted(rows, key=lambda r: r["path"])


def test_ray_local_instance_gives_the_same_rows_as_the_local_pool(pool_rows, small_folder, tmp_path, monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.delenv("RAY_USAGE_STATS_ENABLED", raising=False)
    _, pool_out = pool_rows
    root, manifest = small_folder
    out = tmp_path / "ray.parquet"
    code = main(["batch", str(manifest), str(root), "--out", str(out), "--ray", "--workers", "2", "--chunk-rows", "2"])
    assert code == 3
    assert _comparable(out) == _comparable(pool_out)
    # Nothing is sent anywhere: the instance started here had Ray's usage reporting off.
    from ray._common.usage import usage_lib

    assert not usage_lib.usage_stats_enabled()


def _crash_on_marked_photos(item: BatchItem) -> dict:
    """Worker stand-in (no model): dies like a native crash on a photo named crash*, else a failure row."""
    if Path(item.path).name.startswith("crash"):
        os._exit(134)
    return row_from_error(item, None, NoPersonError(f"{item.path}: no person found in the photo"), 0.0)


def test_a_worker_that_dies_costs_only_its_photo():
    names = ["a.jpg", "b.jpg", "crash.jpg", "c.jpg", "d.jpg", "e.jpg"]
    pool = LocalPool(2, work=_crash_on_marked_photos)
    got = list(pool.run([(i, BatchItem(f"/nowhere/{n}")) for i, n in enumerate(names)]))
    assert sorted(i for i, _ in got) == list(range(len(names)))  # every photo once, the batch went on
    by_name = {Path(r["path"]).name: r for _, r in got}
    assert by_name["crash.jpg"]["error"] == WORKER_CRASHED and "died again when retried alone" in by_name["crash.jpg"]["error_message"]
    assert all(by_name[n]["error"] == "no_person" for n in names if n != "crash.jpg")


def test_workers_do_not_run_the_parents_main_script(tmp_path, monkeypatch):
    """Under Streamlit `__main__` is the page script; a spawned worker must not import it
    (it would run the page and die): every photo still gets its own row, none a crash."""
    import types

    script = tmp_path / "page.py"
    script.write_text("raise SystemExit('a worker ran the parent page script')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    pool = LocalPool(1, work=_crash_on_marked_photos)
    got = [row for _, row in pool.run([(i, BatchItem(f"/nowhere/{n}")) for i, n in enumerate(["a.jpg", "b.jpg"])])]
    assert [r["error"] for r in got] == ["no_person", "no_person"]
    assert sys.modules["__main__"] is page  # put back after the workers started


class _ActorDyingOnMarkedPhotos:
    """Ray actor stand-in (no model): dies like a native crash on a photo named crash*, and on
    one named flaky* the first time only (a marker file beside it remembers); else a failure row."""

    def __init__(self, thresholds_path: str | None) -> None:
        pass

    def ready(self) -> bool:
        return True

    def __call__(self, item: BatchItem) -> dict:
        photo = Path(item.path)
        if photo.name.startswith("crash"):
            os._exit(134)
        marker = photo.with_suffix(".died-once")
        if photo.name.startswith("flaky") and not marker.exists():
            marker.touch()
            os._exit(134)
        return row_from_error(item, None, NoPersonError(f"{item.path}: no person found in the photo"), 0.0)


def test_a_ray_actor_that_dies_is_replaced_and_its_photo_retried_once(tmp_path, monkeypatch):
    pytest.importorskip("ray")
    from ray import cloudpickle

    from posture.batch.ray_backend import RayPool

    monkeypatch.delenv("RAY_USAGE_STATS_ENABLED", raising=False)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import the tests
    names = ["a.jpg", "crash.jpg", "b.jpg", "flaky.jpg", "c.jpg"]
    pool = RayPool(None, 2, actor=_ActorDyingOnMarkedPhotos)
    got = list(pool.run([(i, BatchItem(str(tmp_path / n))) for i, n in enumerate(names)]))
    assert sorted(i for i, _ in got) == list(range(len(names)))  # every photo once, the batch went on
    by_name = {Path(r["path"]).name: r for _, r in got}
    assert by_name["crash.jpg"]["error"] == WORKER_CRASHED
    assert "died again when the photo was retried" in by_name["crash.jpg"]["error_message"]
    assert (tmp_path / "flaky.died-once").exists()  # it died once, and its retry on a fresh actor worked
    assert all(by_name[n]["error"] == "no_person" for n in names if n != "crash.jpg")


def test_ray_address_that_is_an_input_is_refused(tmp_path, capsys):
    code, _, err = run_cli(capsys, "batch", str(DATA / GOOD), "--ray", str(tmp_path), "--out", str(tmp_path / "r.parquet"))
    assert code == 2 and "put the inputs before --ray" in err


def test_ctrl_c_says_how_many_photos_were_written(tmp_path):
    # SIGINT (Ctrl-C) mid-run: exit 130, the rows done so far kept, and the message counts
    # them (it used to say only "interrupted; the rows written so far are in ...").
    photos = tmp_path / "in"
    photos.mkdir()
    for i, n in enumerate(["standing_back_02.jpg", "seated_side_reclined_01.jpg", "seated_side_hunched_01.jpg"] * 2):
        shutil.copy(DATA / n, photos / f"{i}_{n}")
    out = tmp_path / "results.parquet"
    cmd = [sys.executable, "-m", "posture", "batch", str(photos), "--out", str(out), "--workers", "1", "--chunk-rows", "1"]
    with _batch_past_its_first_chunk(cmd, out) as proc:
        os.killpg(proc.pid, signal.SIGINT)  # the terminal's Ctrl-C goes to the whole group
        _, err = proc.communicate(timeout=120)
    message = err.decode()
    assert proc.returncode == 130, message
    written = len(pq.read_table(out).to_pylist())
    assert 1 <= written < 6
    assert f"interrupted; {written} photo(s) written to {out} in this run, {6 - written} left: add --resume" in message
    assert "Traceback" not in message
