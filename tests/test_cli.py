"""The command line, in-process: exit codes, one-line messages, JSON output."""

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from posture.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_assess_json_stdout(capsys, data_dir):
    code, out, err = run(capsys, "assess", str(data_dir / "standing_back_02.jpg"), "--json", "-")
    assert code == 0
    d = json.loads(out)
    assert d["view"]["name"] == "back" and len(d["landmarks"]) == 33


def test_several_images_print_json_lines_and_keep_going(capsys, data_dir, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    code, out, err = run(capsys, "assess", str(data_dir / "standing_back_02.jpg"), str(bad),
                         str(data_dir / "seated_side_upright_01.jpg"), "--json", "-")
    lines = out.strip().splitlines()
    assert len(lines) == 2 and [json.loads(x)["view"]["name"] for x in lines] == ["back", "left"]
    assert code == 3 and err.count("\n") == 1 and "not an image" in err and "Traceback" not in err


def test_outputs_written(capsys, data_dir, tmp_path):
    report, ann, js = tmp_path / "r.html", tmp_path / "a.png", tmp_path / "o.json"
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps({"pain": {"neck": 6}, "notes": "<b>desk job</b>"}))
    code, out, err = run(capsys, "assess", str(data_dir / "seated_side_hunched_01.jpg"), "--height-cm", "175",
                         "--report", str(report), "--annotate", str(ann), "--json", str(js),
                         "--client", "Client <A>", "--intake", str(intake))
    assert code == 0, err
    html = report.read_text()
    assert "Client &lt;A&gt;" in html and "&lt;b&gt;desk job&lt;/b&gt;" in html
    assert ann.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(js.read_text())["measures"]["forward_head_offset_cm"]["value"] is not None
    assert "findings" in out or "no finding" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["assess", "/nonexistent/photo.jpg"], 3, "no such file"),
        (["assess", "{data}/no_person_01.jpg"], 5, "no person found"),
        (["assess", "{data}/standing_back_02.jpg", "--height-cm", "900"], 2, "height must be between"),
        (["assess", "{data}/standing_back_02.jpg", "--view", "top"], 2, "invalid choice"),
        (["assess", "{data}/standing_back_02.jpg", "--report", "{tmp}/r.txt"], 2, "must end in .md, .html or .pdf"),
        (["assess", "{data}/standing_back_02.jpg", "--thresholds", "{tmp}/none.toml"], 7, "no such thresholds file"),
        (["assess", "{tmp}"], 3, "is a directory"),
    ],
)
def test_errors_exit_codes_and_one_line(capsys, data_dir, tmp_path, args, code, message):
    args = [a.format(data=data_dir, tmp=tmp_path) for a in args]
    with_exit = None
    try:
        got, out, err = run(capsys, *args)
    except SystemExit as exc:  # argparse usage errors
        with_exit = exc.code
        got, err = with_exit, capsys.readouterr().err
    assert got == code
    assert message in err and "Traceback" not in err


def test_compare_reports_noise(capsys, data_dir):
    # Two frames of one camera while the person stands still: a real pair with no real change.
    first, second = (str(data_dir / "multicam" / f"static_cam02_f{k}.jpg") for k in ("00", "10"))
    code, out, err = run(capsys, "compare", first, second, "--json", "-")
    assert code == 0
    measured = [c for c in json.loads(out)["changes"] if c["change"] is not None]
    assert measured and all(c["status"] == "within noise" for c in measured)


def test_module_entry_point(data_dir):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "posture", "assess", "/nonexistent.jpg"], capture_output=True, text=True)
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines()[-1] == "posture: error: /nonexistent.jpg: no such file"


def test_report_pdf_written_with_the_client_name_exactly(capsys, data_dir, tmp_path):
    import io

    from pypdf import PdfReader

    report = tmp_path / "summary.pdf"
    code, out, err = run(capsys, "assess", str(data_dir / "seated_side_hunched_01.jpg"), "--report", str(report),
                         "--client", "Zofia Łukasiewicz")
    assert code == 0, err
    pdf = report.read_bytes()
    assert pdf[:5] == b"%PDF-" and b"/Subtype /Image" in pdf  # the annotated photo is embedded
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Client\nZofia Łukasiewicz" in text and "Craniovertebral angle (ear–shoulder proxy)" in text
    assert report.stat().st_mode & 0o077 == 0  # health data: owner-only, like every file the CLI writes


def test_error_names_the_file_once(capsys, tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    code, out, err = run(capsys, "assess", str(empty))
    assert code == 3
    assert err == f"posture: error: {empty}: file is empty\n"


def test_unexpected_error_is_one_line_and_debug_shows_it(capsys, data_dir, monkeypatch):
    import posture.core.assessment

    def broken(*args, **kwargs):
        raise RuntimeError("injected failure\nwith a second line")

    monkeypatch.setattr(posture.core.assessment, "assess", broken)
    photo = str(data_dir / "standing_back_02.jpg")
    code, out, err = run(capsys, "assess", photo)
    assert code == 1
    assert err == "posture: unexpected error: RuntimeError: injected failure with a second line\n"
    with pytest.raises(RuntimeError, match="injected failure"):
        main(["--debug", "assess", photo])
    monkeypatch.setenv("POSTURE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="injected failure"):
        main(["assess", photo])


def _with_corrupt_exif(jpeg: bytes) -> bytes:
    """The JPEG with an APP1 Exif segment whose first IFD entry is cut short (PIL: "Corrupt EXIF data")."""
    exif = b"Exif\x00\x00" + b"II*\x00\x08\x00\x00\x00" + b"\x01\x00" + b"\x00" * 6
    return jpeg[:2] + b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif + jpeg[2:]


def test_corrupt_exif_and_library_logs_never_reach_stderr(data_dir, tmp_path):
    """Run as a user would (a real process, real file descriptor 2): a truncated JPEG with corrupt
    EXIF gives exactly our one line; a whole one is assessed with nothing at all on stderr (no PIL
    warning, no MediaPipe/TFLite log)."""
    import subprocess
    import sys

    from PIL import Image

    whole = tmp_path / "whole.jpg"
    Image.open(data_dir / "standing_back_02.jpg").save(whole, quality=90)
    damaged = _with_corrupt_exif(whole.read_bytes())
    whole.write_bytes(damaged)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(damaged[: len(damaged) * 2 // 3])
    env = {k: v for k, v in os.environ.items() if k != "POSTURE_DEBUG"}

    proc = subprocess.run([sys.executable, "-m", "posture", "assess", str(truncated)], capture_output=True, text=True, env=env)
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(f"posture: error: {truncated}: image data is corrupt or truncated")

    proc = subprocess.run([sys.executable, "-m", "posture", "assess", str(whole), "--json", "-"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and json.loads(proc.stdout)["view"]["name"] == "back"
    assert proc.stderr == ""


def test_large_photo_json_gives_the_decoded_frame_and_the_original_size(capsys, data_dir, tmp_path):
    """A photo over DECODE_MAX_SIDE is assessed on a smaller decoded copy: the JSON's width and
    height are that copy's (the landmarks' frame) and original_width/height the photo's, so
    landmark * original_width / width is a pixel of the photo."""
    from PIL import Image

    from posture.core.image.imaging import DECODE_MAX_SIDE

    small = data_dir / "standing_back_02.jpg"  # 768x432
    big = tmp_path / "big.jpg"
    Image.open(small).resize((768 * 4, 432 * 4), Image.Resampling.BICUBIC).save(big, quality=92)
    _, out_small, _ = run(capsys, "assess", str(small), "--json", "-")
    code, out_big, err = run(capsys, "assess", str(big), "--json", "-")
    assert code == 0, err
    a, b = json.loads(out_small), json.loads(out_big)
    assert (b["image"]["width"], b["image"]["height"]) == (DECODE_MAX_SIDE, 1440)
    assert (b["image"]["original_width"], b["image"]["original_height"]) == (3072, 1728)
    assert (a["image"]["original_width"], a["image"]["original_height"]) == (768, 432)
    to_photo = b["image"]["original_width"] / b["image"]["width"]
    errors = [math.hypot(lb["x"] * to_photo / 4 - la["x"], lb["y"] * to_photo / 4 - la["y"])
              for la, lb in zip(a["landmarks"], b["landmarks"], strict=True) if la["visibility"] > 0.9 and lb["visibility"] > 0.9]
    # In the 768 px photo: within 5 px. Read in the wrong frame (decoded copy taken for the photo)
    # points would be off by a sixth of their distance from the corner, tens of pixels here.
    assert len(errors) >= 10 and float(np.median(errors)) < 5.0


def test_heic_photo_is_assessed(capsys, data_dir, tmp_path):
    from PIL import Image

    heic = tmp_path / "IMG_0001.HEIC"
    Image.open(data_dir / "standing_back_02.jpg").save(heic, format="HEIF", quality=90)
    code, out, err = run(capsys, "assess", str(heic), "--json", "-")
    assert code == 0, err
    assert json.loads(out)["view"]["name"] == "back"


def test_camera_set_up_can_be_stated(capsys, data_dir):
    photo = str(data_dir / "standing_back_02.jpg")
    code, out, _ = run(capsys, "assess", photo, "--camera-level", "--json", "-")
    camera = json.loads(out)["setup"]["camera"]
    assert code == 0 and camera["status"] == "stated" and camera["roll_deg"] == 0.0 and camera["roll_sd_deg"] == 0.5
    code, out, _ = run(capsys, "assess", photo, "--camera-roll", "-3.5", "--json", "-")
    assert json.loads(out)["setup"]["camera"]["roll_deg"] == -3.5
    code, out, err = run(capsys, "assess", photo, "--camera-roll", "60")
    assert code == 2 and err.count("\n") == 1 and "camera roll must be between -45 and 45" in err
    with pytest.raises(SystemExit) as exited:
        main(["assess", photo, "--camera-level", "--camera-roll", "2"])
    assert exited.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_a_selfie_is_flipped_back_and_the_set_up_is_printed(capsys, data_dir):
    code, out, _ = run(capsys, "assess", str(data_dir / "standing_back_02.jpg"), "--selfie", "--json", "-")
    d = json.loads(out)
    assert code == 0 and d["image"]["mirrored"] is True and d["setup"]["mirrored"] is True
    code, out, _ = run(capsys, "assess", str(data_dir / "standing_back_02.jpg"))  # a camera about 2 m up
    assert "set-up: retake" in out and "[retake] Camera tilt up/down (pitch): camera points 31° down" in out
    # every measure withheld: that is no sign of balance, and the text does not say it is
    assert "no measure was taken from this photo: see its set-up\n" in out and "no imbalance" not in out


# --- quiet by default, --verbose brings the libraries' logs back; bad inputs in one clean line ----------

LIBRARY_LOG_MARKS = ("INFO:", "W0000", "absl")


def _posture(*args, cwd=None):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "POSTURE_DEBUG"}
    return subprocess.run([sys.executable, "-m", "posture", *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_library_logs_are_silenced_and_verbose_shows_them(data_dir):
    """A real process on a real photo: by default stderr is free of TensorFlow Lite / absl lines
    (they are written by C++ straight to descriptor 2); --verbose shows them; our own error
    line still reaches stderr while they are silenced."""
    photo = str(data_dir / "standing_side_01.jpg")
    quiet = _posture("assess", photo)
    assert quiet.returncode == 0 and "view" in quiet.stdout
    assert not [line for line in quiet.stderr.splitlines() if any(m in line for m in LIBRARY_LOG_MARKS)], quiet.stderr

    verbose = _posture("--verbose", "assess", photo)
    assert verbose.returncode == 0 and verbose.stdout == quiet.stdout
    assert any("INFO:" in line or "W0000" in line for line in verbose.stderr.splitlines()), verbose.stderr

    # Silenced, a later failure is still told: the no-person photo runs the model, then our line.
    failed = _posture("assess", photo, str(data_dir / "no_person_01.jpg"))
    assert failed.returncode == 5
    assert failed.stderr == f"posture: error: {data_dir / 'no_person_01.jpg'}: no person found in the photo\n"


def _bad_inputs(tmp_path, data_dir):
    from PIL import Image

    jpeg = (data_dir / "standing_back_02.jpg").read_bytes()
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "notes.jpg").write_text("my notes, renamed to look like a photo\n")
    (tmp_path / "truncated.jpg").write_bytes(jpeg[: len(jpeg) * 2 // 3])
    (tmp_path / "header-only.jpg").write_bytes(jpeg[:300])
    (tmp_path / "folder.jpg").mkdir()
    Image.open(data_dir / "standing_back_02.jpg").save(tmp_path / "animation.gif")
    return {
        "empty.jpg": "file is empty",
        "notes.jpg": "not an image (JPEG, PNG, WebP, BMP, TIFF or HEIC/HEIF expected)",
        "truncated.jpg": "image data is corrupt or truncated (the file may not have been copied whole; "
                         "try exporting the photo again)",
        "header-only.jpg": "not a readable image (the file is damaged or incomplete)",
        "folder.jpg": "is a directory, not an image file",
        "missing.jpg": "no such file",
        "animation.gif": "GIF images are not accepted (JPEG, PNG, WebP, BMP, TIFF or HEIC/HEIF expected)",
    }


def test_bad_inputs_name_the_file_once_in_plain_words(capsys, data_dir, tmp_path):
    """Each bad input: exit 3 and exactly one line, the file named once, our words only (no
    PIL internals such as "Truncated File Read" or "37 bytes not processed")."""
    for name, message in _bad_inputs(tmp_path, data_dir).items():
        path = tmp_path / name
        code, out, err = run(capsys, "assess", str(path))
        assert (code, out) == (3, ""), name
        assert err == f"posture: error: {path}: {message}\n"
        assert err.count(name) == 1


def test_accepted_formats_text_matches_what_is_decoded(data_dir, tmp_path):
    """Every format the text names opens; formats PIL could open but the text does not name are refused."""
    from PIL import Image

    from posture.core.errors import ImageReadError
    from posture.core.image.imaging import ACCEPTED_TEXT, load_image

    photo = Image.open(data_dir / "standing_back_02.jpg")
    named = {"JPEG": "JPEG", "PNG": "PNG", "WebP": "WEBP", "BMP": "BMP", "TIFF": "TIFF", "HEIC/HEIF": "HEIF"}
    assert ACCEPTED_TEXT == ", ".join(list(named)[:-1]) + " or " + list(named)[-1]
    for label, fmt in named.items():
        path = tmp_path / f"photo.{fmt.lower()}"
        photo.save(path, format=fmt)
        assert load_image(path).width == photo.width, label
    for fmt in ("GIF", "PPM", "TGA", "JPEG2000"):
        path = tmp_path / f"photo.{fmt.lower()}"
        photo.save(path, format=fmt)
        with pytest.raises(ImageReadError, match=f"{fmt} images are not accepted"):
            load_image(path)


def _as_terminal_shows(stream: str) -> list[str]:
    """The lines a terminal ends up showing: a carriage return goes back to the line's start
    and later characters overwrite earlier ones."""
    shown = []
    for raw in stream.replace("\a", "").split("\n"):
        line: list[str] = []
        col = 0
        for ch in raw:
            if ch == "\r":
                col = 0
                continue
            if col < len(line):
                line[col] = ch
            else:
                line.append(ch)
            col += 1
        shown.append("".join(line).rstrip())
    return shown


def test_live_alert_gets_its_own_line_not_the_end_of_the_progress_bar(data_dir, tmp_path):
    """`posture live` on a real recording, an alert after 1 s: every alert line on screen is the
    alert alone (the progress bar is cleared first and redrawn after), and the bar still finishes."""
    proc = _posture("live", "--source", str(data_dir / "video_squat_front_01.mp4"), "--no-window", "--alert-after", "1")
    assert proc.returncode == 0, proc.stderr
    shown = _as_terminal_shows(proc.stderr)
    alerts = [line for line in shown if "alert:" in line]
    assert alerts, proc.stderr  # this recording is poor (squats) from the start
    assert all(line.startswith("[") and line.endswith("alert: posture has been poor for 1 s") for line in alerts), shown
    assert not any("frames" in line for line in alerts)
    assert shown[-2].startswith("[" + "#" * 30 + "] done"), shown


def test_camera_warnings_are_silenced_and_verbose_shows_them(tmp_path):
    """OpenCV's camera back-ends print "[ WARN:0@…] global cap_v4l.cpp …" from C++ when a camera
    cannot be opened: by default only our one line is shown (exit 9); --verbose lets theirs through."""
    if any(Path("/dev").glob("video*")):
        pytest.skip("this machine has cameras: index 63 might open")
    quiet = _posture("live", "--camera", "63", "--no-window", cwd=tmp_path)
    assert quiet.returncode == 9
    assert quiet.stderr.count("\n") == 1 and quiet.stderr.startswith("posture: error: no camera could be opened")
    verbose = _posture("--verbose", "live", "--camera", "63", "--no-window", cwd=tmp_path)
    assert verbose.returncode == 9 and "posture: error: no camera could be opened" in verbose.stderr
    assert verbose.stderr.count("\n") > 1 and ("WARN" in verbose.stderr or "ERROR" in verbose.stderr), verbose.stderr


@pytest.mark.parametrize("option", ["--json", "--annotate"])
def test_an_output_that_is_the_input_photo_is_refused_and_the_photo_kept(capsys, data_dir, tmp_path, option):
    # `posture assess copy.jpg --json copy.jpg` used to replace the photo with JSON.
    photo = tmp_path / "copy.jpg"
    original = (data_dir / "seated_side_upright_01.jpg").read_bytes()
    photo.write_bytes(original)
    (tmp_path / "link.jpg").symlink_to(photo)  # the same file by another name is the same file
    for target in (str(photo), f"{tmp_path}/./copy.jpg", str(tmp_path / "link.jpg")):
        code, _, err = run(capsys, "assess", str(photo), option, target)
        assert code == 2 and "is the input photo" in err and "would destroy the photo" in err, err
        assert err.count("\n") == 1  # one line, no traceback
        assert photo.read_bytes() == original


def test_json_named_like_a_photo_is_refused(capsys, data_dir, tmp_path):
    # `--json a.jpg b.jpg` takes a.jpg as the JSON file: refused, whatever a.jpg is.
    code, _, err = run(capsys, "assess", str(data_dir / "seated_side_upright_01.jpg"), "--json", str(tmp_path / "out.jpg"))
    assert code == 2 and "named like a photo" in err and "out.json" in err
    assert not (tmp_path / "out.jpg").exists()


def test_several_photos_annotated_names_checked_each(capsys, data_dir, tmp_path):
    # With several photos --annotate A.png writes A-<photo>.png: one of those may be an input too.
    first = tmp_path / "a.jpg"
    first.write_bytes((data_dir / "seated_side_upright_01.jpg").read_bytes())
    victim = tmp_path / "out-b.png"
    victim.write_bytes((data_dir / "seated_side_upright_01.jpg").read_bytes())
    b = tmp_path / "b.jpg"
    b.write_bytes(first.read_bytes())
    before = victim.read_bytes()
    code, _, err = run(capsys, "assess", str(first), str(b), str(victim), "--annotate", str(tmp_path / "out.png"))
    assert code == 2 and "--annotate" in err and "out-b.png is the input photo" in err, err
    assert victim.read_bytes() == before


def test_batch_out_that_is_an_input_photo_is_refused(capsys, data_dir, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = folder / "one.jpg"
    original = (data_dir / "seated_side_upright_01.jpg").read_bytes()
    photo.write_bytes(original)
    code, _, err = run(capsys, "batch", str(folder), "--out", str(photo))
    assert code == 2 and "is the input photo" in err
    assert photo.read_bytes() == original


def test_check_outputs_rules():
    from posture.core.errors import UsageError
    from posture.core.outputs import check_outputs

    check_outputs(["a.jpg"], [("--json", "-"), ("--report", "a.pdf"), ("--annotate", "b.jpg")], data=("--json",))
    with pytest.raises(UsageError, match="--report a.jpg is the input photo a.jpg"):
        check_outputs(["a.jpg"], [("--report", "a.jpg")])
    with pytest.raises(UsageError, match="--log run.png: a data file named like a photo"):
        check_outputs([], [("--log", "run.png")], data=("--log",))
    check_outputs([], [("--annotate", "run.png")], data=("--log",))  # a drawing is an image: fine


# --- the words people read: plain names, units, where files went (issue 18) ---------------------

IDENTIFIER = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # craniovertebral_angle_deg, neck_on_trunk_flexion_deg
DEG = r"\d+\.\d°"  # a printed angle: one decimal and the degree sign


def test_assess_text_uses_the_apps_names_and_words(capsys, data_dir):
    code, out, err = run(capsys, "assess", str(data_dir / "seated_side_upright_01.jpg"))
    assert code == 0, err
    assert re.search(rf"\n  Neck flexion on the trunk: flexed by {DEG} ± {DEG}\n", out), out
    assert re.search(rf"\n  Trunk inclination: reclined by {DEG} ± {DEG}\n", out), out
    assert not IDENTIFIER.findall(out) and " deg" not in out, out


def test_compare_text_prints_the_margin_the_verdict_uses(capsys, data_dir):
    code, out, err = run(capsys, "compare", str(data_dir / "seated_side_upright_01.jpg"),
                         str(data_dir / "seated_side_hunched_01.jpg"))
    assert code == 0, err
    # the numbers move with the scene's level; the words, signs and verdicts are the point here
    assert re.search(rf"\n  Neck flexion on the trunk: \+{DEG} → −{DEG}, change −{DEG} \(needs more than ±{DEG} to count\): "
                     r"worse\n", out), out
    assert re.search(rf"\n  Trunk inclination: −{DEG} → \+{DEG}, change \+{DEG} \(needs more than ±{DEG} to count\): worse\n",
                     out), out
    assert re.search(rf"Neck inclination \(ear–shoulder line from vertical\): \+{DEG} → \+{DEG}, change \+{DEG} "
                     rf"\(needs more than ±{DEG} to count\): not graded: raises no finding", out), out
    assert "A change counts only when it is larger than the amount shown: 2 × the two readings' combined uncertainty" in out
    assert not IDENTIFIER.findall(out.replace("seated_side_upright_01", "").replace("seated_side_hunched_01", "")), out
    assert " deg" not in out and "noise ±" not in out


def test_compare_of_two_turned_photos_says_why_nothing_was_compared(capsys, data_dir):
    a = b = str(data_dir / "standing_front_03_skier.jpg")  # 52° from facing the camera, 38° from a side
    code, out, err = run(capsys, "compare", a, b)
    # A valid answer, not an error (documented in `posture compare --help`): exit 0, and why.
    assert code == 0 and err == ""
    assert out.splitlines()[-1].startswith("nothing compared: no measure was taken from before (a turned view")
    code, out, _ = run(capsys, "compare", a, b, "--json", "-")
    assert code == 0 and json.loads(out)["nothing_compared"].startswith("no measure was taken from before")


def test_files_written_are_named(capsys, data_dir, tmp_path):
    report, ann = tmp_path / "summary.md", tmp_path / "a.png"
    code, out, err = run(capsys, "assess", str(data_dir / "standing_back_02.jpg"), "--report", str(report),
                         "--annotate", str(ann))
    assert code == 0
    assert f"summary written to {report}\n" in err and f"annotated photo written to {ann}\n" in err


def test_help_texts(capsys):
    for argv, wanted in ((["compare", "--help"], ("the earlier photo", "nothing to compare", "combined uncertainty")),
                         (["live", "--help"], ("the camera's place",))):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        out = capsys.readouterr().out
        assert exc.value.code == 0 and all(w in out for w in wanted), out


def test_help_loads_no_heavy_library():
    """`posture --help` must not wait for the pose model, OpenCV or the database libraries."""
    import subprocess
    import sys

    probe = ("import sys; from posture.cli import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "heavy = ['cv2', 'mediapipe', 'sqlalchemy', 'alembic', 'argon2', 'pandas', 'posture.core.assessment']\n"
             "print(sorted(m for m in heavy if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout[-500:]
