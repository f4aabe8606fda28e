"""Live posture monitoring: the streaming engine shared by `posture live` and the app.

Frames come from anywhere (a webcam, a video file, frames pushed by the browser). Each
frame goes through BlazePose in tracking (video) mode with its real timestamp, landmarks
are smoothed with a One-Euro filter, the desk measures are computed, and a posture state
is derived with hysteresis; an alert fires only after a sustained period in a poor state,
so a glance down does not nag. No UI code here.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from posture.core.body.augment import align_to
from posture.core.body.estimator import BlazePoseEstimator, PoseEstimator
from posture.core.body.landmarks import MIN_VISIBILITY, Landmark, PoseLandmarks
from posture.core.body.views import Posture, View, ViewName, decide_view, facing_x_2d, name_from_yaw
from posture.core.errors import CalibrationError, ModelError, NoPersonError, PostureError, SourceError, UsageError
from posture.core.image.camera import CameraTilt
from posture.core.image.imaging import BGRImage
from posture.core.measuring.findings import Severity, Threshold, load_thresholds
from posture.core.measuring.gravity import Levelling, camera_from_scene
from posture.core.measuring.measures import FRONTAL, MEASURES, SAGITTAL, compute_measures
from posture.store.paths import data_dir, private_dir, write_private_file

FloatArray = npt.NDArray[np.float64]


# --- One-Euro filter ---------------------------------------------------------------------


@dataclass(frozen=True)
class OneEuroParams:
    """Casiez, Roussel & Vogel (CHI 2012). Cut-offs in Hz; `beta` scales with speed in
    body-sizes per second (landmarks are filtered in units of the person's torso length,
    so the same parameters suit any camera distance).

    Defaults: 1.0 Hz removes the model's frame-to-frame jitter at rest; beta 0.5 opens the
    filter on real movement, keeping lag to about a frame at 30 fps.
    """

    min_cutoff: float = 1.0
    beta: float = 0.5
    d_cutoff: float = 1.0


def _alpha(cutoff: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Vectorised One-Euro filter over an array of any shape."""

    def __init__(self, params: OneEuroParams = OneEuroParams()) -> None:
        self.params = params
        self._x: FloatArray | None = None
        self._dx: FloatArray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        self._x = self._dx = None
        self._t = None

    def __call__(self, x: FloatArray, t: float, speed_unit: float = 1.0) -> FloatArray:
        """Filtered `x` at time `t`; speeds are divided by `speed_unit` before `beta` applies."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or t <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        p = self.params
        assert self._dx is not None  # set together with self._x
        dx = (x - self._x) / dt
        a_d = _alpha(p.d_cutoff, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = p.min_cutoff + p.beta * np.abs(self._dx) / speed_unit
        tau = 1.0 / (2.0 * math.pi * cutoff)
        a = 1.0 / (1.0 + tau / dt)
        self._x = a * x + (1 - a) * self._x
        self._t = t
        return self._x.copy()


# --- states ------------------------------------------------------------------------------


class PostureState(str, Enum):
    GOOD = "good"
    ATTENTION = "needs attention"
    POOR = "poor"
    NO_PERSON = "no person"


#: What the live monitor shows and which findings drive its state, per kind of view, as the
#: measures table declares them (`live`, `advice`). Side: RULA-style neck and trunk flexion
#: (thresholds.toml says how the bands were mapped); front: the frontal tilts.
def live_measures(side: bool) -> tuple[str, ...]:
    return MEASURES.live_measures(SAGITTAL if side else FRONTAL)


def live_keys(side: bool) -> tuple[str, ...]:
    return MEASURES.live_gradings(SAGITTAL if side else FRONTAL)


def advice_for(cause: str, value: float | None) -> str:
    """The advice for a live state's cause ("" for none or an unknown one): the measure's
    declared advice, by the reading's sign (positive: the subject's left is higher, or the
    lean is to the left)."""
    pair = MEASURES.advice(cause)
    if pair is None:
        return ""
    return pair[1] if value is not None and value < 0 else pair[0]


def _state_for(severity: Severity) -> PostureState:
    if severity >= Severity.MODERATE:
        return PostureState.POOR
    if severity is Severity.MILD:
        return PostureState.ATTENTION
    return PostureState.GOOD


@dataclass(frozen=True)
class LiveConfig:
    view: str = "auto"  # "auto", "side" or "front"
    alert_after_s: float = 5.0  # time in POOR before an alert
    state_hold_s: float = 1.0  # a new state must persist this long to be taken (hysteresis)
    filter: OneEuroParams = OneEuroParams()

    def __post_init__(self) -> None:
        if self.view not in ("auto", "side", "front"):
            raise UsageError(f"live view must be auto, side or front, got {self.view!r}")
        if self.alert_after_s < 0 or self.state_hold_s < 0:
            raise UsageError("alert and hold times must not be negative")


@dataclass(frozen=True)
class FrameResult:
    timestamp_s: float
    state: PostureState
    raw_state: PostureState
    view: str  # "side", "front" or "" when nobody is seen
    measures: dict[str, float | None]
    alert: bool  # True on the frame an alert fires
    landmarks: PoseLandmarks | None = None
    latency_ms: float = 0.0
    #: The finding (thresholds.toml key) that set the raw state, and its reading: "" when
    #: none is beyond its cut-off. What the advice is about.
    cause: str = ""
    cause_value: float | None = None

    @property
    def advice(self) -> str:
        """What to change, for the problem at hand (empty when posture is fine)."""
        return advice_for(self.cause, self.cause_value)

    def to_row(self) -> dict[str, object]:
        row: dict[str, object] = {
            "t": round(self.timestamp_s, 3),
            "state": self.state.value,
            "view": self.view,
            "alert": int(self.alert),
        }
        row.update({k: (None if v is None else round(v, 2)) for k, v in self.measures.items()})
        return row


@dataclass
class SessionStats:
    """Running statistics of one live session."""

    seconds_in: dict[str, float] = field(default_factory=lambda: {s.value: 0.0 for s in PostureState})
    alerts: int = 0
    frames: int = 0
    frames_with_person: int = 0
    longest_poor_s: float = 0.0
    _poor_since: float | None = None
    _sums: dict[str, list[float]] = field(default_factory=dict)  # name -> [n, sum, min, max]

    def add(self, r: FrameResult, dt: float) -> None:
        self.frames += 1
        self.seconds_in[r.state.value] += dt
        # A person frame is one the engine shows a person on AND found one on: the shown state
        # lags by the hold time (someone walking in, or a frame where they are hidden), and
        # a half-seen entering body gives wild angles. Measures come from person frames only.
        has_person = r.state is not PostureState.NO_PERSON and r.raw_state is not PostureState.NO_PERSON
        self.frames_with_person += int(has_person)
        self.alerts += int(r.alert)
        if r.state is PostureState.POOR:
            if self._poor_since is None:
                self._poor_since = r.timestamp_s
            self.longest_poor_s = max(self.longest_poor_s, r.timestamp_s - self._poor_since + dt)
        else:
            self._poor_since = None
        if not has_person:
            return
        for name, v in r.measures.items():
            if v is None:
                continue
            acc = self._sums.setdefault(name, [0.0, 0.0, math.inf, -math.inf])
            acc[0] += 1
            acc[1] += v
            acc[2] = min(acc[2], v)
            acc[3] = max(acc[3], v)

    def measures(self) -> dict[str, dict[str, float]]:
        return {
            n: {"mean": round(a[1] / a[0], 2), "min": round(a[2], 2), "max": round(a[3], 2), "frames": int(a[0])}
            for n, a in self._sums.items()
        }

    def to_dict(self) -> dict[str, object]:
        return {
            "frames": self.frames,
            "frames_with_person": self.frames_with_person,
            "seconds_in_state": {k: round(v, 2) for k, v in self.seconds_in.items()},
            "alerts": self.alerts,
            "longest_poor_streak_s": round(self.longest_poor_s, 2),
            "measures": self.measures(),
        }


# --- baseline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """The user's own upright reference: their mean measures while sitting upright."""

    user: str
    view: str
    measures: dict[str, float]

    def save(self, folder: Path) -> Path:
        """Write the baseline owner-only (folder 0700, file 0600) and atomically: never half a baseline."""
        name = _safe_name(self.user)  # refuse a bad name before creating anything
        path = private_dir(folder) / f"{name}.json"
        write_private_file(path, json.dumps(asdict(self), indent=2).encode("utf-8"))
        return path

    @classmethod
    def load(cls, folder: Path, user: str) -> Baseline | None:
        path = folder / f"{_safe_name(user)}.json"
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(data["user"]), str(data["view"]), {k: float(v) for k, v in data["measures"].items()})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PostureError(f"{path}: baseline unreadable ({exc})") from None


def _safe_name(user: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in user.strip())
    if not cleaned:
        raise UsageError("user name for the baseline is empty")
    return cleaned[:64]


def default_data_dir() -> Path:
    """Kept for `posture.cli`; the data folder is decided in one place, `posture.store.paths.data_dir`."""
    return data_dir()


# --- the engine -------------------------------------------------------------------------


#: Seconds between two readings of the camera's roll and pitch from the scene.
CAMERA_REFRESH_S = 5.0


class LiveEngine:
    """Frame in, `FrameResult` out. One engine per stream (it keeps tracking state).

    The engine holds a MediaPipe graph (about 100 MB) that is freed only by `close()` (or
    leaving a `with` block), never by dropping the engine: close it when the stream ends.
    An estimator passed in stays open; it belongs to the caller.
    """

    def __init__(
        self,
        config: LiveConfig = LiveConfig(),
        *,
        estimator: PoseEstimator | None = None,
        thresholds: dict[str, Threshold] | None = None,
        baseline: Baseline | None = None,
    ) -> None:
        self.config = config
        self._owned: BlazePoseEstimator | None = None
        if estimator is None:
            estimator = self._owned = BlazePoseEstimator(static=False)
        self._estimator = estimator
        self._closed = False
        self._thresholds = thresholds or load_thresholds()
        self.baseline = baseline
        self._filter = OneEuroFilter(config.filter)
        self.stats = SessionStats()
        self._state = PostureState.NO_PERSON
        self._candidate: PostureState | None = None
        self._candidate_since = 0.0
        self._poor_since: float | None = None
        self._alerted = False
        self._last_t: float | None = None
        self._previous: PoseLandmarks | None = None
        self._levelling: Levelling | None = None
        self._camera_checked_at: float | None = None

    @property
    def state(self) -> PostureState:
        return self._state

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Free the pose model this engine started. Idempotent; `stats` stay readable."""
        self._closed = True
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> LiveEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def process(self, frame: BGRImage, timestamp_s: float) -> FrameResult:
        """One frame taken at `timestamp_s` (seconds, increasing)."""
        if self._closed:
            raise ModelError("this live engine was closed (its stream ended); start a new one")
        found = self._estimator.detect_frame(frame, int(round(timestamp_s * 1e6)))  # type: ignore[attr-defined]
        model_done = time.perf_counter()
        h, w = frame.shape[:2]
        if found is None or max(found.visibility[Landmark.LEFT_SHOULDER], found.visibility[Landmark.RIGHT_SHOULDER]) < MIN_VISIBILITY:
            self._filter.reset()
            self._previous = None
            values: dict[str, float | None] = {}
            raw, view, smoothed, cause, cause_value = PostureState.NO_PERSON, "", None, "", None
        else:
            smoothed = self._smooth(found, timestamp_s)
            view, values, severity, cause, cause_value = self._evaluate_cause(smoothed, frame, timestamp_s)
            raw = _state_for(severity)
        state, alert = self._update_state(raw, timestamp_s)
        latency = (time.perf_counter() - model_done) * 1000.0
        result = FrameResult(timestamp_s, state, raw, view, values, alert, smoothed, latency, cause, cause_value)
        dt = 0.0 if self._last_t is None else max(0.0, timestamp_s - self._last_t)
        self._last_t = timestamp_s
        self.stats.add(result, dt)
        return result

    def _smooth(self, lms: PoseLandmarks, t: float) -> PoseLandmarks:
        # In tracking mode BlazePose sometimes swaps left and right for a frame (side views
        # especially): keep the labelling closest to the previous frame's.
        if self._previous is not None:
            lms, _ = align_to(lms, self._previous)
        # Speeds in torso lengths per second, so beta means the same at any camera distance.
        sh = (lms.xy[Landmark.LEFT_SHOULDER] + lms.xy[Landmark.RIGHT_SHOULDER]) / 2
        hp = (lms.xy[Landmark.LEFT_HIP] + lms.xy[Landmark.RIGHT_HIP]) / 2
        unit = max(float(np.hypot(*(sh - hp))), 1.0)
        xy = self._filter(lms.xy, t, unit)
        self._previous = PoseLandmarks(xy, lms.visibility, lms.world)
        return self._previous

    def _update_camera(self, frame: BGRImage, lms: PoseLandmarks, t: float) -> None:
        """The camera's roll and pitch from the scene, as for photos; re-read every
        CAMERA_REFRESH_S (a webcam rarely moves; the estimate costs a few milliseconds)."""
        if self._camera_checked_at is not None and t - self._camera_checked_at < CAMERA_REFRESH_S:
            return
        camera: CameraTilt = camera_from_scene(frame, lms)
        self._levelling = Levelling.for_camera(camera)
        self._camera_checked_at = t

    def _view(self, lms: PoseLandmarks) -> View:
        """`views.decide_view`, as for photos; a desk worker sitting obliquely (TURNED) is
        monitored in the nearest view, since their own baseline absorbs the offset."""
        name, confidence, yaw = decide_view(lms)
        kind = self.config.view
        if name is ViewName.TURNED or (kind == "side" and not name.is_sagittal) or (kind == "front" and not name.is_frontal):
            if kind == "side" or (kind == "auto" and yaw is not None and 45.0 < abs(yaw) < 135.0):
                name = ViewName.LEFT if facing_x_2d(lms) < 0 else ViewName.RIGHT
            else:
                name = name_from_yaw(yaw) if yaw is not None and abs(yaw) >= 135.0 else ViewName.FRONT
        return View(name, Posture.SEATED, confidence, "auto" if kind == "auto" else "user", yaw_deg=yaw)

    def _evaluate(self, lms: PoseLandmarks, frame: BGRImage, t: float) -> tuple[str, dict[str, float | None], Severity]:
        view, values, worst, _, _ = self._evaluate_cause(lms, frame, t)
        return view, values, worst

    def _evaluate_cause(self, lms: PoseLandmarks, frame: BGRImage, t: float
                        ) -> tuple[str, dict[str, float | None], Severity, str, float | None]:
        """View, measures, the worst severity, and the finding behind it with its reading."""
        self._update_camera(frame, lms, t)
        assert self._levelling is not None
        levelling = self._levelling
        size = (frame.shape[1], frame.shape[0])
        levelled = levelling.apply(lms)
        view = self._view(levelled)
        side = view.name.is_sagittal
        names = live_measures(side)
        # The same levelled landmarks and context as a photo; the near side from the view.
        measures = compute_measures(levelled, [levelled], levelling.context(view), size, names, photo_landmarks=lms)
        values = {n: m.value for n, m in measures.items()}
        worst = Severity.NONE
        cause, cause_value = "", None
        for key in live_keys(side):
            th = self._thresholds[key]
            for name in th.measures:
                value = values.get(name)
                if value is None:
                    continue
                if self.baseline is not None and name in self.baseline.measures:
                    value -= self.baseline.measures[name]  # deviation from the user's own upright
                if th.direction == "above" and value < 0:
                    continue
                severity = th.severity(value, 0.0)
                if severity > worst:
                    worst, cause, cause_value = severity, key, value
        return ("side" if side else "front"), values, worst, cause, cause_value

    def _update_state(self, raw: PostureState, t: float) -> tuple[PostureState, bool]:
        # Time hysteresis: a new state is taken only after it has held for state_hold_s
        # (the first frame of a stream sets the state at once).
        if self._last_t is None:
            self._state = raw
        if raw is self._state:
            self._candidate = None
        elif raw is not self._candidate:
            self._candidate, self._candidate_since = raw, t
        if self._candidate is not None and t - self._candidate_since >= self.config.state_hold_s:
            self._state, self._candidate = self._candidate, None
        alert = False
        if self._state is PostureState.POOR:
            if self._poor_since is None:
                self._poor_since = t
            if not self._alerted and t - self._poor_since >= self.config.alert_after_s:
                alert, self._alerted = True, True
        else:
            self._poor_since, self._alerted = None, False
        return self._state, alert

    def calibrate(self, frames: list[tuple[BGRImage, float]], user: str) -> Baseline:
        """The user's upright reference from a few seconds of frames (sit upright!).

        Refused (CalibrationError) unless the user was in view for most of the frames, upright
        and still: see `check_calibration`. Every deviation is later measured from this baseline,
        so a slumped or moving one would hide exactly what the monitor is for.
        """
        series: dict[str, list[float]] = {}
        views: set[str] = set()
        seen = 0
        for frame, t in frames:
            found = self._estimator.detect_frame(frame, int(round(t * 1e6)))  # type: ignore[attr-defined]
            if found is None or max(found.visibility[Landmark.LEFT_SHOULDER], found.visibility[Landmark.RIGHT_SHOULDER]) < MIN_VISIBILITY:
                continue
            seen += 1
            lms = self._smooth(found, t)
            view_kind, values, _ = self._evaluate(lms, frame, t)
            views.add(view_kind)
            for n, v in values.items():
                if v is not None:
                    series.setdefault(n, []).append(v)
        if not series:
            raise NoPersonError("calibration failed: no person seen; sit in view of the camera and try again")
        if seen < len(frames) / 2:
            raise CalibrationError(f"calibration refused: you were in view in only {seen} of {len(frames)} frames; "
                                   "stay in view, upright and still, and try again")
        if len(views) > 1:
            raise CalibrationError("calibration refused: you turned during calibration (seen from the side and from the "
                                   "front); face one way, upright and still, and try again")
        (view_kind,) = views
        check_calibration(view_kind, series, self._thresholds)
        return Baseline(user, view_kind, {n: float(np.median(v)) for n, v in series.items()})


#: The trunk finding that says whether a calibration posture is upright, per kind of view.
UPRIGHT_KEYS = {"side": "torso_flexion", "front": "trunk_lean"}


def check_calibration(view_kind: str, series: dict[str, list[float]], thresholds: dict[str, Threshold]) -> None:
    """Refuse a calibration that is not still and upright. Both bounds are the findings' own
    'mild' cut-offs (thresholds.toml), so a baseline never absorbs what would be flagged:

    - still: each measure that drives the live state must vary by no more than its finding's
      mild cut-off over the window (10th to 90th percentile, so one odd frame does not count);
    - upright: the median trunk inclination (side view: torso_inclination_deg; front view:
      trunk_lean_deg) must lie within the mild cut-off (10 deg, 2 deg) either way. Either way,
      because the baseline is subtracted from every later reading: a reclined baseline would
      make sitting straight read as leaning forward.
    """

    def label(name: str) -> str:
        return name.removesuffix("_deg").replace("_", " ")

    for key in live_keys(view_kind == "side"):
        th = thresholds[key]
        for name in th.measures:
            if values := series.get(name):
                p10, p90 = (float(x) for x in np.percentile(values, [10, 90]))
                if p90 - p10 > th.mild:
                    raise CalibrationError(f"calibration refused: not still ({label(name)} varied by {p90 - p10:.1f}°, "
                                           f"more than {th.mild:g}°); sit upright and still, and try again")
    th = thresholds[UPRIGHT_KEYS[view_kind]]
    for name in th.measures:
        if values := series.get(name):
            median = float(np.median(values))
            if abs(median) > th.mild:
                raise CalibrationError(f"calibration refused: not upright ({label(name)} {median:+.1f}°, beyond the "
                                       f"{th.mild:g}° screening cut-off); sit upright and still, and try again")


# --- sources ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    image: BGRImage
    timestamp_s: float
    index: int


def open_video(path: str | Path) -> Iterator[Frame]:
    """Frames of a video file with their timestamps (from the file, not the wall clock)."""
    import cv2

    p = Path(path)
    if not p.exists():
        raise SourceError(f"{p}: no such video file")
    cap = cv2.VideoCapture(str(p))
    if not cap.isOpened():
        raise SourceError(f"{p}: not a readable video")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    ok, first = cap.read()
    if not ok:
        cap.release()
        raise SourceError(f"{p}: no frames could be decoded")

    def frames() -> Iterator[Frame]:
        try:
            index, image = 0, first
            while True:
                yield Frame(np.asarray(image, dtype=np.uint8), index / fps, index)
                ok, image = cap.read()
                if not ok:
                    return  # end of file
                index += 1
        finally:
            cap.release()

    return frames()


def video_frame_count(path: str | Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        return int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        cap.release()


def open_camera(index: int) -> Iterator[Frame]:
    """Frames from webcam `index`, timestamped with a monotonic clock. Stops if unplugged."""
    import cv2

    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        cap.release()
        devices = sorted(str(p) for p in Path("/dev").glob("video*"))
        tried = f"camera index {index} ({'/dev/video' + str(index)})"
        found = ", ".join(devices) if devices else "no /dev/video* devices on this machine"
        raise SourceError(f"no camera could be opened: tried {tried}; found: {found}. Use --source FILE for a recording")
    start = time.monotonic()

    def frames() -> Iterator[Frame]:
        try:
            index_ = 0
            while True:
                ok, image = cap.read()
                if not ok:
                    raise SourceError(f"camera {index} stopped delivering frames (unplugged?)")
                yield Frame(np.asarray(image, dtype=np.uint8), time.monotonic() - start, index_)
                index_ += 1
        finally:
            cap.release()

    return frames()


class FrameLog:
    """Per-frame CSV or JSON Lines log (chosen by the file's extension)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._jsonl = path.suffix.lower() in (".jsonl", ".json", ".ndjson")
        if path.suffix.lower() not in (".csv", ".jsonl", ".json", ".ndjson"):
            raise UsageError(f"--log must end in .csv or .jsonl, got {path}")
        try:
            self._fh: IO[str] = open(path, "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise UsageError(f"{path}: cannot write ({exc.strerror or exc})") from None
        self._writer: csv.DictWriter[str] | None = None

    def write(self, r: FrameResult) -> None:
        row = r.to_row()
        if self._jsonl:
            self._fh.write(json.dumps(row) + "\n")
            return
        if self._writer is None:
            fields = ["t", "state", "view", "alert", *live_measures(True), *live_measures(False)]
            self._writer = csv.DictWriter(self._fh, fieldnames=fields, extrasaction="ignore")
            self._writer.writeheader()
        self._writer.writerow(row)

    def close(self) -> None:
        self._fh.close()
