"""Single-photo frontal tilts against the four-camera reference (tests/data/multicam).

    python benchmarks/reference.py [--frames 0 5 10] [--no-standing]

One person stands still in a T-pose; four calibrated cameras see the same instants. The
reference (tests/multicam.py) triangulates the pipeline's landmarks from all four cameras
and measures head, shoulder and hip tilt and trunk lean against true gravity. Here every
photo is assessed alone and compared with it:

- per photo and measure: value +- uncertainty (or why it was withheld), truth, error, and
  whether |error| <= 2 x uncertainty (does the stated uncertainty cover the error?);
- per measure and overall: share given, share covered, median and max |error|;
- findings raised although the truth is below the mild cut-off (false alarms), by severity;
- BlazePose's body yaw against the true yaw per camera (for a perspective correction);
- if `posture.assess` takes `level`, all of the above before (False) and after (True);
- the standing photos of tests/data (no truth there): view, tilts, findings;
- cost: median assessment time against one raw BlazePose call, same run.

"truth +- s": s is the reference's own spread, the largest change of the value when any
one camera is left out of the triangulation. An error smaller than s is not resolved.
"""

from __future__ import annotations

import argparse
import inspect
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posture import Assessment, PostureError, assess, load_thresholds  # noqa: E402
from posture.core.body.estimator import default_estimator  # noqa: E402
from posture.core.body.views import yaw_deg  # noqa: E402
from posture.core.image.imaging import load_image  # noqa: E402
from tests import multicam as mc  # noqa: E402

DATA = ROOT / "tests" / "data"
STANDING_PHOTOS = [
    *sorted(p.name for p in DATA.glob("standing_*")),
    "squat_front_05_video.jpg",
    "mediapipe_pose_test.jpg",
]
SHORT = {"head_tilt_deg": "head", "shoulder_tilt_deg": "shoulder", "hip_tilt_deg": "hip", "trunk_lean_deg": "trunk"}
RAW_REPEATS = 3


@dataclass
class Row:
    camera: str
    frame: int
    measure: str
    value: float | None
    uncertainty: float | None
    reason: str | None
    truth: float
    spread: float

    @property
    def error(self) -> float | None:
        return None if self.value is None else self.value - self.truth

    @property
    def covered(self) -> bool | None:
        if self.value is None or self.uncertainty is None or self.error is None:
            return None
        return abs(self.error) <= 2 * self.uncertainty


@dataclass
class Run:
    label: str
    rows: list[Row] = field(default_factory=list)
    false_alarms: Counter[str] = field(default_factory=Counter)
    findings_frontal: Counter[str] = field(default_factory=Counter)
    yaws: list[tuple[str, int, str, float | None, float | None, float, float]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def _accepts_level() -> bool:
    return "level" in inspect.signature(assess).parameters


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _timed_assess(path: Path, kwargs: dict[str, Any]) -> tuple[Assessment | str, float]:
    """The assessment, or the one-line error that stopped it, and the wall time."""
    start = time.perf_counter()
    try:
        a: Assessment | str = assess(path, **kwargs)
    except PostureError as exc:
        a = f"{type(exc).__name__}: {exc}"
    return a, time.perf_counter() - start


def _fmt_measure(a: Assessment, name: str) -> str:
    m = a.measures.get(name)
    if m is None:
        return "withheld: not computed"
    if m.value is None:
        return f"withheld: {m.reason}"
    return f"{m.value:+6.1f} ± {m.uncertainty or 0.0:.1f}"


def _raw_yaw(path: Path) -> tuple[float | None, float]:
    """Yaw from one raw BlazePose call and the median time of such a call."""
    bgr = load_image(path).bgr
    est = default_estimator()
    times, found = [], None
    for _ in range(RAW_REPEATS):
        found, seconds = _timed(lambda: est.detect(bgr))
        times.append(seconds)
    return (None if found is None else yaw_deg(found)), statistics.median(times)


def run_multicam(label: str, frames: list[int], kwargs: dict[str, Any], raw_times: list[float]) -> Run:
    thresholds = load_thresholds()
    run = Run(label)
    print(f"\n## {label}: each photo alone against the reference\n")
    print(f"{'photo':12s} {'view':14s} {'measure':8s} {'value ± u':>16s}  {'truth ± s':>12s} {'error':>7s}  |err|<=2u")
    for frame in frames:
        ref = mc.reference(frame)
        for number, truth in zip(mc.CAMERA_NUMBERS, ref.camera_truths, strict=True):
            path = mc.image_path(number, frame)
            a, seconds = _timed_assess(path, kwargs)
            if isinstance(a, str):
                print(f"{truth.name} f{frame:02d} failed: {a}")
                run.rows += [Row(truth.name, frame, n, None, None, a, ref.truth(n), ref.spread(n))
                             for n in mc.FRONTAL_MEASURES]
                continue
            run.seconds.append(seconds)
            view = f"{a.view.name.value}({a.view.confidence:.2f})"
            for name in mc.FRONTAL_MEASURES:
                m = a.measures.get(name)
                row = Row(truth.name, frame, name, None if m is None else m.value,
                          None if m is None else m.uncertainty, "not computed" if m is None else m.reason,
                          ref.truth(name), ref.spread(name))
                run.rows.append(row)
                err = "" if row.error is None else f"{row.error:+7.1f}"
                cov = "" if row.covered is None else ("yes" if row.covered else "NO")
                print(f"{truth.name} f{frame:02d} {view:14s} {SHORT[name]:8s} {_fmt_measure(a, name):>16s}  "
                      f"{row.truth:+5.1f} ± {row.spread:3.1f} {err:>7s}  {cov}")
            for f in a.findings:
                measures = [n for n in f.measures if n in mc.FRONTAL_MEASURES]
                if not measures:
                    continue
                run.findings_frontal[f.severity.label] += 1
                mild = thresholds[f.id].mild if f.id in thresholds else None
                if mild is not None and all(abs(ref.truth(n)) < mild for n in measures):
                    run.false_alarms[f.severity.label] += 1
            run.yaws.append((truth.name, frame, a.view.name.value, yaw_deg(a.landmarks), _raw_yaw_cached(path, raw_times),
                             truth.yaw_deg, truth.yaw_camera_axes_deg))
            setup = getattr(a, "setup", None)
            if setup is not None:
                print(f"    setup: {setup.to_dict() if hasattr(setup, 'to_dict') else setup}")
            if a.warnings:
                print(f"    warnings: {'; '.join(a.warnings)}")
    _summary(run)
    return run


_RAW: dict[Path, float | None] = {}


def _raw_yaw_cached(path: Path, raw_times: list[float]) -> float | None:
    if path not in _RAW:
        yaw, seconds = _raw_yaw(path)
        _RAW[path] = yaw
        raw_times.append(seconds)
    return _RAW[path]


def _summary(run: Run) -> None:
    print(f"\n{run.label}: summary (covered = truth inside value ± 2u)\n")
    print(f"{'measure':10s} {'given':>9s} {'covered':>9s} {'median|err|':>12s} {'p90|err|':>9s} {'max|err|':>9s} "
          f"{'median u':>9s}")
    groups = [(SHORT[m], [r for r in run.rows if r.measure == m]) for m in mc.FRONTAL_MEASURES]
    for label, rows in [*groups, ("overall", run.rows)]:
        given = [r for r in rows if r.error is not None]
        covered = [r for r in given if r.covered]
        errors = [abs(r.error) for r in given if r.error is not None]
        med = f"{statistics.median(errors):.1f}" if errors else "-"
        mx = f"{max(errors):.1f}" if errors else "-"
        p90 = f"{float(np.percentile(errors, 90)):.1f}" if errors else "-"
        u = f"{statistics.median(r.uncertainty for r in given if r.uncertainty is not None):.1f}" if given else "-"
        cov = f"{len(covered)}/{len(given)}" if given else "-"
        print(f"{label:10s} {len(given):>3d}/{len(rows):<3d}   {cov:>9s} {med:>12s} {p90:>9s} {mx:>9s} {u:>9s}")
    sev = ", ".join(f"{k} {run.false_alarms.get(k, 0)}" for k in ("mild", "moderate", "marked"))
    total = sum(run.findings_frontal.values())
    print(f"\nfrontal findings raised although the truth is below the mild cut-off: {sev} "
          f"(of {total} frontal findings raised on {len(run.seconds)} photos)")


def print_yaw(run: Run) -> None:
    print(f"\n## Body yaw: BlazePose vs truth ({run.label})\n")
    print("true yaw: body relative to the horizontal line to the camera; camera-axes: the same body in the")
    print("camera's own axes, exactly what `posture.core.body.views.yaw_deg` computes on world landmarks.\n")
    print(f"{'photo':10s} {'view':6s} {'consensus':>9s} {'raw call':>9s} {'true':>7s} {'cam-axes':>9s} "
          f"{'err(cons)':>10s} {'err(raw)':>9s}")
    cons_err, raw_err = [], []
    for name, frame, view, cons, raw, true, axes in run.yaws:
        ec = None if cons is None else _wrap(cons - axes)
        er = None if raw is None else _wrap(raw - axes)
        if ec is not None:
            cons_err.append(abs(ec))
        if er is not None:
            raw_err.append(abs(er))
        print(f"{name} f{frame:02d} {view:6s} {_f(cons):>9s} {_f(raw):>9s} {true:+7.1f} {axes:+9.1f} "
              f"{_f(ec):>10s} {_f(er):>9s}")
    for label, errs in (("consensus", cons_err), ("raw call", raw_err)):
        if errs:
            print(f"{label}: |yaw error| vs camera-axes truth: median {statistics.median(errs):.1f}, "
                  f"max {max(errs):.1f} deg over {len(errs)} photos")


def _wrap(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:+.1f}"


def print_reference(frames: list[int]) -> None:
    print("## The reference (four cameras, triangulated)\n")
    print(f"{'frame':6s} " + " ".join(f"{SHORT[m]:>14s}" for m in mc.FRONTAL_MEASURES) + "   median reproj px (per camera)")
    for frame in frames:
        ref = mc.reference(frame)
        per_cam = np.nanmedian(ref.reprojection_px, axis=0)
        cells = " ".join(f"{ref.truth(m):+7.2f} ± {ref.spread(m):4.2f}" for m in mc.FRONTAL_MEASURES)
        print(f"f{frame:02d}    {cells}   {' '.join(f'{e:4.1f}' for e in per_cam)}")
    ref = mc.reference(frames[len(frames) // 2])
    print(f"\ncameras (frame {ref.frame}): true roll, pitch, height above shoulders/hips, horizontal distance")
    for t in ref.camera_truths:
        print(f"  {t.name}: roll {t.roll_deg:+6.1f}  pitch {t.pitch_deg:+5.1f}  h_sh {t.height_above_shoulders_m:+.2f} m"
              f"  h_hip {t.height_above_hips_m:+.2f} m  D {t.distance_m:.2f} m  h/D sh {t.h_over_d_shoulders:.2f}"
              f"  hip {t.h_over_d_hips:.2f}  yaw {t.yaw_deg:+6.1f}")


def run_standing(kwargs: dict[str, Any], raw_times: list[float], seconds: list[float]) -> None:
    print("\n## Standing photos of tests/data (no truth): view, frontal tilts, findings\n")
    for name in STANDING_PHOTOS:
        path = DATA / name
        a, t = _timed_assess(path, kwargs)
        if isinstance(a, str):
            print(f"{name:30s} failed: {a}")
            continue
        seconds.append(t)
        _raw_yaw_cached(path, raw_times)
        sev = Counter(f.severity.label for f in a.findings)
        tilts = "  ".join(f"{SHORT[m]} {_fmt_measure(a, m).strip()}" for m in mc.FRONTAL_MEASURES)
        counts = ", ".join(f"{k} {sev.get(k, 0)}" for k in ("mild", "moderate", "marked"))
        print(f"{name:30s} {a.view.name.value:6s} {tilts}")
        print(f"{'':30s} findings: {counts}")
        setup = getattr(a, "setup", None)
        if setup is not None:
            print(f"{'':30s} setup: {setup.to_dict() if hasattr(setup, 'to_dict') else setup}")


def print_pairs(frames: list[int]) -> None:
    """A perfect detector's front and back photos from each camera (the body turned round in
    place, projected through the calibration): single photo as drawn vs the pair fused."""
    from posture.core.pair import fuse

    print("\n## Front and back from one camera (perfect detector, simulated through each calibrated camera)\n")
    print(f"{'camera':8s} {'frame':>5s} {'off square':>10s}  " + "  ".join(
        f"{SHORT[m]:>8s} single→fused" for m in ("head_tilt_deg", "shoulder_tilt_deg", "hip_tilt_deg")))
    errors: dict[str, list[tuple[float, float]]] = {}
    for frame in frames:
        ref = mc.reference(frame)
        for camera in mc.cameras():
            front, back, off = mc.simulated_front_back(camera, ref)
            pair = fuse(front, back)
            cells = []
            for name, v in pair.values.items():
                if v.value is None or v.front is None:
                    cells.append(f"{'—':>21s}")
                    continue
                single, fused = abs(v.front - ref.truth(name)), abs(v.value - ref.truth(name))
                errors.setdefault(name, []).append((single, fused))
                cells.append(f"{single:8.1f}° → {fused:4.1f}°   ")
            print(f"{camera.name:8s} {frame:5d} {off:9.0f}°  " + "  ".join(cells))
    for name, pairs in errors.items():
        print(f"{SHORT[name]:9s} median |error| single {statistics.median(p[0] for p in pairs):.1f}° → fused "
              f"{statistics.median(p[1] for p in pairs):.1f}°, max fused {max(p[1] for p in pairs):.1f}°")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, nargs="+", default=list(mc.FRAMES), choices=mc.FRAMES)
    parser.add_argument("--no-standing", action="store_true", help="skip the standing photos of tests/data")
    args = parser.parse_args()
    started = time.perf_counter()
    print_reference(args.frames)
    modes: list[tuple[str, dict[str, Any]]] = (
        [("before (level=False)", {"level": False}), ("after (level=True)", {"level": True})]
        if _accepts_level()
        else [("as is (assess takes no `level`)", {})]
    )
    raw_times: list[float] = []
    assess_times: list[float] = []
    runs = []
    for label, kwargs in modes:
        run = run_multicam(label, args.frames, kwargs, raw_times)
        runs.append(run)
        assess_times += run.seconds
    for run in runs:
        print_yaw(run)
    print_pairs(args.frames)
    if not args.no_standing:
        for label, kwargs in modes:
            print(f"\n[{label}]")
            run_standing(kwargs, raw_times, assess_times)
    a, r = statistics.median(assess_times), statistics.median(raw_times)
    print(f"\n## Cost\n\nmedian assessment {1000 * a:.0f} ms ({len(assess_times)} runs), median raw BlazePose call "
          f"{1000 * r:.0f} ms ({len(raw_times)} photos, median of {RAW_REPEATS} each): ratio {a / r:.1f}x")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0 if math.isfinite(a) else 1


if __name__ == "__main__":
    raise SystemExit(main())
