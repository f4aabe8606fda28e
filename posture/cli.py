"""Command line: `posture assess ...` and `posture compare ...`. Thin: all work is in the package."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from posture.core.body.views import VIEW_CHOICES, VIEW_HELP
from posture.core.errors import PostureError, UsageError
from posture.core.image.imaging import ACCEPTED_TEXT
from posture.core.outputs import check_outputs
from posture.core.quiet import library_output_silenced

from . import __version__

EXIT_HELP = """exit codes:
  0  success
  1  unexpected error
  2  usage error (bad option or value)
  3  image unreadable (missing, directory, empty, corrupt, not an image)
  4  image too large (decompression-bomb guard)
  5  no person found
  6  pose model could not be loaded or run
  7  invalid thresholds / configuration file
  8  storage error
  9  camera or video could not be opened (live)
With several images, each is processed; the exit code is that of the first failure.
Every error is one line on stderr; --verbose shows the libraries' logs (TensorFlow Lite, absl,
OpenCV), --debug (or POSTURE_DEBUG=1) also tracebacks."""

COMPARE_EXIT_HELP = EXIT_HELP + """
Two photos with nothing to compare (different views, set-ups or stances, or no measure in
common) are a valid answer, not an error: the reason is printed (and is "nothing_compared"
in the JSON) and the exit code is 0."""

#: Report formats `--report` writes, by file extension.
REPORT_SUFFIXES = (".md", ".html", ".htm", ".pdf")
DEBUG_ENV = "POSTURE_DEBUG"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, like UsageError
        self.print_usage(sys.stderr)
        sys.stderr.write(f"posture: error: {message}\n")
        raise SystemExit(2)


def _camera_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("camera set-up (default: roll and pitch measured from the scene's vertical lines)")
    level = g.add_mutually_exclusive_group()
    level.add_argument("--camera-level", action="store_true",
                       help="the camera was levelled (tripod with a spirit level): roll and pitch 0 +- 0.5 deg")
    level.add_argument("--camera-roll", type=float, metavar="DEG",
                       help="the camera's roll, degrees (+ when a true vertical's top leans to image right)")
    g.add_argument("--selfie", action="store_true",
                   help="the photo is a mirrored selfie (front camera that mirrors): flip it back so left and right "
                        "are the subject's")


def _camera_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"camera_level": args.camera_level, "camera_roll_deg": args.camera_roll, "mirrored": args.selfie}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="posture",
        description="Posture assessment from photos (screening aid, not a diagnosis).",
        epilog=EXIT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"posture {__version__}")
    parser.add_argument("--verbose", action="store_true",
                        help="show the libraries' own logs and warnings (TensorFlow Lite, absl, OpenCV), hidden by default")
    parser.add_argument("--debug", action="store_true",
                        help=f"as --verbose, and show tracebacks (also {DEBUG_ENV}=1)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    a = sub.add_parser("assess", help="assess one or more photos of the same client",
                       epilog=EXIT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("images", nargs="+", metavar="IMAGE", help=f"photo files ({ACCEPTED_TEXT})")
    a.add_argument("--view", choices=VIEW_CHOICES, default="auto",
                   help="override the detected view (default: auto); " + VIEW_HELP)
    _camera_options(a)
    a.add_argument("--height-cm", type=float, default=None, help="client height, for offsets in centimetres")
    a.add_argument("--json", metavar="PATH|-", help="write JSON (one object per image; JSON Lines for several with -)")
    a.add_argument("--annotate", metavar="PATH", type=Path, help="write the annotated image (PNG or JPEG)")
    a.add_argument("--report", metavar="PATH", type=Path, help="write a pre-session summary (.md, .html or .pdf)")
    a.add_argument("--thresholds", metavar="TOML", type=Path, help="override finding thresholds")
    a.add_argument("--client", default="", help="client name or pseudonym for the report")
    a.add_argument("--intake", metavar="JSON", type=Path, help="intake answers (pain, duration, activities, work_setup, notes)")

    c = sub.add_parser("compare", help="before/after change per measure",
                       description="Assess two photos of the same client, taken the same way, and give each "
                                   "measure's change: a change counts only when it is larger than twice the two "
                                   "readings' combined uncertainty (the margin a finding must clear). Photos with "
                                   "different views, set-ups or stances are not compared, and the reason is said.",
                       epilog=COMPARE_EXIT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("before", metavar="BEFORE", help=f"the earlier photo ({ACCEPTED_TEXT})")
    c.add_argument("after", metavar="AFTER", help="the later photo, same view and set-up")
    c.add_argument("--view", choices=VIEW_CHOICES, default="auto",
                   help="override the detected view of both photos (default: auto); " + VIEW_HELP)
    _camera_options(c)
    c.add_argument("--json", metavar="PATH|-", help="write the comparison as JSON")

    lv = sub.add_parser("live", help="live posture monitoring from a webcam or a recorded video",
                        epilog=EXIT_HELP,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    src = lv.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=None, metavar="N", help="webcam index (default 0)")
    src.add_argument("--source", type=Path, metavar="FILE", help="a video file to analyse")
    lv.add_argument("--no-window", action="store_true", help="no OpenCV window (headless)")
    lv.add_argument("--log", type=Path, metavar="PATH", help="per-frame log, .csv or .jsonl")
    lv.add_argument("--alert-after", type=float, default=5.0, metavar="SECONDS",
                    help="time in a poor posture before an alert (default 5)")
    lv.add_argument("--view", choices=("auto", "side", "front"), default="auto",
                    help="the camera's place: side (neck and trunk flexion) or front (head, shoulder tilt and "
                         "side lean); default auto, from the body's turn on each frame")
    lv.add_argument("--user", help="name for the personal baseline (stored under POSTURE_DATA_DIR)")
    lv.add_argument("--calibrate", type=float, default=0.0, metavar="SECONDS",
                    help="first sit upright for this long to set the user's baseline")
    lv.add_argument("--summary", metavar="PATH|-", help="write the session statistics as JSON")

    from posture.batch.command import add_arguments as _batch_arguments

    _batch_arguments(sub.add_parser("batch", help="assess many photos (local workers or Ray) into Parquet rows",
                                    epilog=EXIT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter))
    from posture.cli_accounts import add_arguments as _users_arguments

    _users_arguments(sub.add_parser("users", help="clinic mode: add users, set passwords, disable users"))
    from posture.cli_db import add_arguments as _db_arguments

    _db_arguments(sub.add_parser("db", help="the database: migrations as its owner, the app role's rights (PostgreSQL)"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    with contextlib.ExitStack() as quiet:
        if not (debug or args.verbose):
            quiet.enter_context(library_output_silenced())
        try:
            if args.command == "assess":
                return _assess(args, sys.stdout)
            if args.command == "live":
                return _live(args, sys.stdout)
            if args.command == "batch":
                from posture.batch.command import run as _batch

                return _batch(args)
            if args.command == "users":
                from posture.cli_accounts import run_command as _users

                return _users(args)
            if args.command == "db":
                from posture.cli_db import run_command as _db

                return _db(args)
            return _compare(args, sys.stdout)
        except PostureError as exc:
            print(f"posture: error: {exc}", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt:
            print("posture: interrupted", file=sys.stderr)
            return 130
        except Exception as exc:  # a bug or an unforeseen failure: still one line, unless debugging
            if debug:
                raise
            print(f"posture: unexpected error: {type(exc).__name__}: {_one_line(str(exc))}", file=sys.stderr)
            return 1


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "(no message)"


def _write_json(target: str, payload: object, out: TextIO) -> None:
    text = json.dumps(payload, indent=None if target == "-" else 2, ensure_ascii=False)
    if target == "-":
        out.write(text + "\n")
    else:
        _atomic_write(Path(target), text.encode("utf-8"))


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    import os
    import tempfile

    path = path.expanduser()
    if path.parent and not path.parent.exists():
        raise UsageError(f"{path}: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _given(*options: tuple[str, str | Path | None]) -> list[tuple[str, str | Path]]:
    """The (option, path) pairs that were given."""
    return [(name, value) for name, value in options if value is not None]


def _annotated_path(base: Path, image: str, several: bool) -> Path:
    if not several:
        return base
    return base.with_name(f"{base.stem}-{Path(image).stem}{base.suffix or '.png'}")


def _assess(args: argparse.Namespace, out: TextIO) -> int:
    from posture.core.assessment import Assessment, assess
    from posture.core.image.imaging import BGRImage, encode_jpeg, encode_png, load_image, read_camera_exif
    from posture.core.intake import Intake
    from posture.core.measuring.findings import load_thresholds
    from posture.core.pair import front_back_turn
    from posture.report.draw import annotate
    from posture.report.html import to_html
    from posture.report.markdown import to_markdown
    from posture.report.pdf import to_pdf
    from posture.report.summary import Summary

    if args.report is not None and args.report.suffix.lower() not in REPORT_SUFFIXES:
        raise UsageError(f"--report must end in .md, .html or .pdf, got {args.report}")
    if args.annotate is not None and args.annotate.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise UsageError(f"--annotate must end in .png, .jpg or .jpeg, got {args.annotate}")
    several = len(args.images) > 1
    annotated = [("--annotate", _annotated_path(args.annotate, i, several)) for i in args.images] if args.annotate else []
    check_outputs(args.images, [*annotated, *_given(("--json", args.json), ("--report", args.report))],
                  data=("--json",))
    intake = _read_intake(args.intake) if args.intake else Intake()
    thresholds = load_thresholds(args.thresholds)
    results: list[Assessment] = []
    jpegs: list[bytes | None] = []
    photos: list[BGRImage] = []  # as loaded, for the report's front-and-back background check
    first_error: PostureError | None = None
    for image_path in args.images:
        try:
            loaded = load_image(image_path)
            result = assess(loaded, view=args.view, height_cm=args.height_cm, thresholds=thresholds,
                            camera_exif=read_camera_exif(image_path), **_camera_kwargs(args))
        except UsageError:
            raise
        except PostureError as exc:
            print(f"posture: error: {exc}", file=sys.stderr)
            first_error = first_error or exc
            continue
        results.append(result)
        if args.report is not None:
            photos.append(loaded.bgr)
        drawn = annotate(loaded.bgr, result) if (args.annotate or args.report) else None
        jpegs.append(encode_jpeg(_fit(drawn), 85) if drawn is not None and args.report else None)
        if args.annotate and drawn is not None:
            target = _annotated_path(args.annotate, image_path, several)
            data = encode_png(drawn) if target.suffix.lower() == ".png" else encode_jpeg(drawn, 92)
            _atomic_write(target, data)
            _written("annotated photo", target)
        if args.json == "-":
            _write_json("-", result.to_dict(), out)
        else:
            _print_text(result, out)
    if args.json not in (None, "-") and results:
        payload = results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results]
        _write_json(args.json, payload, out)
        _written("JSON", args.json)
    if args.report is not None and results:
        summary = Summary(results, client=args.client, intake=intake, annotated_jpegs=jpegs, height_cm=args.height_cm,
                          camera_turn_deg=front_back_turn(results, photos))
        suffix = args.report.suffix.lower()
        if suffix == ".pdf":
            report = to_pdf(summary)
        else:
            report = (to_html(summary) if suffix in (".html", ".htm") else to_markdown(summary)).encode("utf-8")
        _atomic_write(args.report, report)
        _written("summary", args.report)
    return first_error.exit_code if first_error else 0


def _written(what: str, path: Path | str) -> None:
    """Say where an output file went (on stderr: stdout may be JSON)."""
    print(f"{what} written to {path}", file=sys.stderr)


def _fit(image, max_side: int = 1400):  # type: ignore[no-untyped-def]
    """Shrink for embedding in a report (keeps HTML files a reasonable size)."""
    import cv2

    h, w = image.shape[:2]
    f = max_side / max(h, w)
    if f >= 1:
        return image
    return cv2.resize(image, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)


def _read_intake(path: Path):  # type: ignore[no-untyped-def]
    from posture.core.intake import Intake

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("must be a JSON object")
        return Intake.from_dict(data)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such intake file") from None
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"{path}: invalid intake ({exc})") from None


def _print_text(result, out: TextIO) -> None:  # type: ignore[no-untyped-def]
    from posture.core.measuring.formatting import label, measure_text
    from posture.report.summary_text import photo_no_findings_text

    v = result.view
    out.write(f"{result.image.path}: {v.name.value} view, {v.posture.value} (confidence {v.confidence:.2f}, {v.source})\n")
    if result.setup is not None:
        out.write(f"  set-up: {result.setup.status.value}\n")
        for c in result.setup.checks:
            if c.status.value != "ok":
                out.write(f"    [{c.status.value}] {c.label}: {c.reading}" + (f" — {c.advice}" if c.advice else "") + "\n")
    # The plain names and words of the app and the summary ("Shoulder tilt: left higher by 2.1° ± 0.8°").
    for name, m in result.measures.items():
        if m.relevant:
            out.write(f"  {label(name)}: {measure_text(m)}\n")
    if result.findings:
        out.write("  findings (screening aid, not a diagnosis):\n")
        for f in result.findings:
            out.write(f"    [{f.severity.label}] {f.title}\n")
    else:
        none = photo_no_findings_text(result)
        out.write(f"  {none[0].lower()}{none[1:].rstrip('.')}\n")
    for f in result.possible_findings:
        out.write(f"  possible, not a finding (past a cut-off, not beyond its ±): [{f.severity.label}] {f.title}\n")
    for w in result.warnings:
        out.write(f"  warning: {w}\n")


def _compare(args: argparse.Namespace, out: TextIO) -> int:
    from posture.core.assessment import assess
    from posture.core.compare import CHANGE_RULE, change_line, compare, nothing_compared

    check_outputs((args.before, args.after), _given(("--json", args.json)), data=("--json",))
    before = assess(args.before, view=args.view, **_camera_kwargs(args))
    after = assess(args.after, view=args.view, **_camera_kwargs(args))
    changes = compare(before, after)
    why_not = nothing_compared(before, after, changes)
    if args.json:
        _write_json(args.json, {"before": args.before, "after": args.after, "nothing_compared": why_not,
                                "changes": [c.to_dict() for c in changes]}, out)
        if args.json == "-":
            return 0
        _written("JSON", args.json)
    for word, path, a in (("before:", args.before, before), ("after: ", args.after, after)):
        out.write(f"{word} {path} ({a.view.name.value} view, {a.view.posture.value})\n")
    if why_not is not None:
        out.write(f"nothing compared: {why_not}\n")
        return 0
    for c in changes:
        out.write(f"  {change_line(c)}\n")
    out.write(f"{CHANGE_RULE}\n")
    return 0


def _live(args: argparse.Namespace, out: TextIO) -> int:
    import os

    from posture.live.calibration import Baseline, default_data_dir
    from posture.live.engine import LiveConfig, LiveEngine
    from posture.live.frame_log import FrameLog
    from posture.live.sources import open_camera, open_video, video_frame_count

    if args.calibrate and not args.user:
        raise UsageError("--calibrate needs --user NAME to store the baseline under")
    check_outputs([args.source] if args.source else [], _given(("--log", args.log), ("--summary", args.summary)),
                  data=("--log", "--summary"))
    config = LiveConfig(view=args.view, alert_after_s=args.alert_after)
    baseline_dir = default_data_dir() / "baselines"
    baseline = Baseline.load(baseline_dir, args.user) if args.user and not args.calibrate else None
    frames = open_video(args.source) if args.source else open_camera(args.camera or 0)
    total = video_frame_count(args.source) if args.source else 0
    show = not args.no_window and bool(os.environ.get("DISPLAY"))
    log = FrameLog(args.log) if args.log else None
    engine = LiveEngine(config, baseline=baseline)
    try:
        if args.calibrate:
            calib = []
            for f in frames:
                calib.append((f.image, f.timestamp_s))
                if f.timestamp_s >= args.calibrate:
                    break
            baseline = engine.calibrate(calib, args.user)
            path = baseline.save(baseline_dir)
            print(f"baseline for {args.user} saved to {path}", file=sys.stderr)
            engine.close()  # the calibration's pose graph; monitoring starts a fresh one
            engine = LiveEngine(config, baseline=baseline)
        _run_live(engine, frames, total, show, log)
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
    finally:
        engine.close()  # statistics stay readable after close
        if log:
            log.close()
    stats = engine.stats.to_dict()
    if args.summary:
        _write_json(args.summary, stats, out)
    if args.summary != "-":
        seconds = cast(dict[str, float], stats["seconds_in_state"])  # to_dict's JSON shape
        measures = cast(dict[str, dict[str, float]], stats["measures"])
        from posture.core.measuring.formatting import label, signed_amount
        from posture.core.measuring.measures import MEASURES

        out.write(f"frames: {stats['frames']} ({stats['frames_with_person']} with a person)\n")
        out.write("time in state: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()) + "\n")
        out.write(f"alerts: {stats['alerts']}; longest poor streak: {stats['longest_poor_streak_s']} s\n")
        for name, m in measures.items():
            unit = MEASURES[name].unit if name in MEASURES else "deg"
            out.write(f"  {label(name)}: mean {signed_amount(m['mean'], unit)}, range {signed_amount(m['min'], unit)} "
                      f"to {signed_amount(m['max'], unit)}\n")
    return 0


def _run_live(engine, frames, total: int, show: bool, log) -> None:  # type: ignore[no-untyped-def]
    import time as _time

    import cv2

    from posture.report.draw import annotate_live

    last_progress = 0.0
    bar = ""  # the progress line on screen, if any: an alert clears it, takes its own line, and redraws it
    for f in frames:
        result = engine.process(f.image, f.timestamp_s)
        if log:
            log.write(result)
        if result.alert:
            clear = f"\r{' ' * len(bar)}\r" if bar else ""
            print(f"{clear}\a[{f.timestamp_s:7.1f} s] alert: posture has been poor for {engine.config.alert_after_s:g} s",
                  file=sys.stderr)
            if bar:
                print(f"\r{bar}", end="", file=sys.stderr, flush=True)
        if show:
            cv2.imshow("posture live (q to quit)", annotate_live(f.image, result))
            if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                break
        elif total and _time.monotonic() - last_progress > 0.5:
            last_progress = _time.monotonic()
            done = f.index + 1
            bar = f"[{'#' * int(30 * done / total):<30s}] {done}/{total} frames"
            print(f"\r{bar}", end="", file=sys.stderr, flush=True)
    if total and not show:
        print(f"\r[{'#' * 30}] done{' ' * 20}", file=sys.stderr)
    if show:
        cv2.destroyAllWindows()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
