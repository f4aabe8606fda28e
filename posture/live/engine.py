"""The live engine, shared by `posture live` and the app: frame in, posture state out.

Frames come from anywhere (a webcam, a video file, frames pushed by the browser). Each
frame goes through BlazePose in tracking (video) mode with its real timestamp, landmarks
are smoothed with a One-Euro filter (`one_euro`), the desk measures are computed as for a
photo, and the readings are graded into a posture state with hysteresis and alerts
(`state`), counted into the session's statistics (`session`). No UI code, no files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from posture.core.body.augment import align_to
from posture.core.body.estimator import BlazePoseEstimator, PoseEstimator
from posture.core.body.landmarks import MIN_VISIBILITY, Landmark, PoseLandmarks
from posture.core.body.views import Posture, View, ViewName, decide_view, facing_x_2d, name_from_yaw
from posture.core.errors import ModelError, UsageError
from posture.core.image.camera import CameraTilt
from posture.core.image.imaging import BGRImage
from posture.core.measuring.findings import Severity, Threshold, load_thresholds
from posture.core.measuring.gates import withhold_failed_checks
from posture.core.measuring.gravity import Levelling, camera_from_scene
from posture.core.measuring.measures import MEASURES, FloatArray, Measure, MeasureContext, compute_measures
from posture.core.measuring.setup import Setup, live_checks
from posture.core.measuring.uncertainty import SetupSpread, combine

from .calibration import Baseline, CalibrationWindow
from .one_euro import OneEuroFilter, OneEuroParams
from .session import SessionStats
from .state import (
    FrameResult,
    Grade,
    PostureState,
    Reading,
    ReadingWindow,
    StateTracker,
    grade,
    live_measures,
    state_for,
)


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
        self._states = StateTracker()
        self._last_t: float | None = None
        self._previous: PoseLandmarks | None = None
        self._levelling: Levelling | None = None
        self._camera_checked_at: float | None = None
        self._window = ReadingWindow()
        self._window_view = ""
        #: The latest frame's levelled landmarks and measure context (for the set-up terms of the ±).
        self._frame: tuple[FloatArray, MeasureContext] | None = None

    @property
    def state(self) -> PostureState:
        return self._states.state

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
        found = self._detect(frame, timestamp_s)
        model_done = time.perf_counter()
        readings: dict[str, Reading] = {}
        withheld: dict[str, str] = {}
        if found is None:
            self._filter.reset()
            self._previous = None
            self._window.clear()
            values: dict[str, float | None] = {}
            raw, view, smoothed, graded = PostureState.NO_PERSON, "", None, Grade(Severity.NONE)
        else:
            smoothed = self._smooth(found, timestamp_s)
            view, values, withheld = self._evaluate(smoothed, frame, timestamp_s)
            if view != self._window_view:  # another kind of view: its readings start afresh
                self._window.clear()
                self._window_view = view
            self._window.drop(withheld)
            self._window.add(timestamp_s, values)
            readings = self._readings()
            graded = grade(readings, view == "side", self._thresholds,
                           None if self.baseline is None else self.baseline.measures)
            raw = state_for(graded.severity)
        state, alert = self._update_state(raw, timestamp_s)
        latency = (time.perf_counter() - model_done) * 1000.0
        result = FrameResult(timestamp_s, state, raw, view, values, alert, smoothed, latency,
                             graded.cause, graded.cause_value, readings, withheld)
        dt = 0.0 if self._last_t is None else max(0.0, timestamp_s - self._last_t)
        self._last_t = timestamp_s
        self.stats.add(result, dt)
        return result

    def _detect(self, frame: BGRImage, t: float) -> PoseLandmarks | None:
        """The person's landmarks on a frame taken at `t`, or None when nobody is seen
        (neither shoulder visible enough to measure from)."""
        found = self._estimator.detect_frame(frame, int(round(t * 1e6)))  # type: ignore[attr-defined]
        if found is None or max(found.visibility[Landmark.LEFT_SHOULDER], found.visibility[Landmark.RIGHT_SHOULDER]) < MIN_VISIBILITY:
            return None
        return found

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

    def _evaluate(self, lms: PoseLandmarks, frame: BGRImage, t: float) -> tuple[str, dict[str, float | None], dict[str, str]]:
        """The kind of view ("side" or "front"), the live measures of its smoothed landmarks,
        and those a set-up check withholds on this frame, with its words (as for a photo:
        a steep or high camera, arms overhead; `setup.live_checks`)."""
        self._update_camera(frame, lms, t)
        assert self._levelling is not None
        levelling = self._levelling
        size = (frame.shape[1], frame.shape[0])
        levelled = levelling.apply(lms)
        view = self._view(levelled)
        side = view.name.is_sagittal
        names = live_measures(side)
        # The same levelled landmarks and context as a photo; the near side from the view.
        ctx = levelling.context(view)
        self._frame = (levelled.xy, ctx)
        measures = compute_measures(levelled, [levelled], ctx, size, names, photo_landmarks=lms)
        gated = withhold_failed_checks(measures, Setup(live_checks(levelled, view, levelling.camera), levelling.camera))
        withheld = {n: m.reason or "" for n, m in gated.items() if m.value is None and measures[n].value is not None}
        return ("side" if side else "front"), {n: m.value for n, m in gated.items()}, withheld

    def _readings(self) -> dict[str, Reading]:
        """The window's readings with a photo's ±: the frames' spread as the repeatability,
        widened by the set-up terms of the latest frame (camera roll and pitch, body yaw,
        landmark placement; `uncertainty.combine`)."""
        assert self._levelling is not None and self._frame is not None
        xy, ctx = self._frame
        camera = self._levelling.camera
        spread = SetupSpread.for_camera(camera, self._levelling.active)
        out = {}
        for name, (mean, sd) in self._window.spreads().items():
            spec = MEASURES[name]
            m = combine(spec, Measure(name, spec.unit, mean, sd, 1.0), xy, ctx, spread, camera.focal_px,
                        camera.principal_point)
            out[name] = Reading(mean, m.uncertainty or 0.0, sd)
        return out

    def _update_state(self, raw: PostureState, t: float) -> tuple[PostureState, bool]:
        # The settings are read on every frame: a changed config applies from the next one.
        return self._states.update(raw, t, hold_s=self.config.state_hold_s, alert_after_s=self.config.alert_after_s)

    def calibrate(self, frames: list[tuple[BGRImage, float]], user: str) -> Baseline:
        """The user's upright reference from a few seconds of frames (sit upright!).

        Refused (CalibrationError) unless the user was in view for most of the frames, upright
        and still: see `check_calibration`. Every deviation is later measured from this baseline,
        so a slumped or moving one would hide exactly what the monitor is for.
        """
        window = CalibrationWindow()
        for frame, t in frames:
            found = self._detect(frame, t)
            if found is not None:
                window.add(*self._evaluate(self._smooth(found, t), frame, t)[:2])
        return window.baseline(user, len(frames), self._thresholds)
