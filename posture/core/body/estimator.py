"""BlazePose behind a small typed interface. The only module that imports MediaPipe.

We use MediaPipe's legacy ``solutions.pose`` API with ``model_complexity=1`` because the
mediapipe 0.10.21 wheel ships that model (``pose_landmark_full.tflite``) and the pose
detector, so it runs offline. Complexity 0 and 2 would download weights at run time,
which fails on clinic machines without internet.

MediaPipe pitfalls hidden here: it wants RGB (it silently accepts BGR and gets worse),
returns protobufs with coordinates normalised by width and height *separately*, returns
None when nobody is found, and in video mode invents 30 fps timestamps.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Protocol

import cv2
import numpy as np

from posture.core.errors import ModelError
from posture.core.image.imaging import BGRImage

from .landmarks import NUM_LANDMARKS, PoseLandmarks


class PoseEstimator(Protocol):
    """Anything that turns one BGR image into one person's landmarks (or None)."""

    def detect(self, bgr: BGRImage) -> PoseLandmarks | None: ...


class BlazePoseEstimator:
    """MediaPipe BlazePose (full model). Thread-safe; one graph per instance.

    static=True runs person detection on every image (photos, test-time augmentation).
    static=False tracks from frame to frame (live video); pass monotonically increasing
    timestamps in microseconds to `detect_frame`.
    """

    def __init__(self, *, static: bool = True, min_detection_confidence: float = 0.5) -> None:
        try:
            from mediapipe.python.solutions import pose as mp_pose
        except Exception as exc:  # ImportError, or a protobuf / numpy mismatch at import
            raise ModelError(f"MediaPipe could not be loaded: {exc}") from None
        try:
            self._pose = mp_pose.Pose(
                static_image_mode=static,
                model_complexity=1,
                # Our own temporal filter (live) and aggregation (photos) replace MediaPipe's.
                smooth_landmarks=False,
                enable_segmentation=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=0.5,
            )
        except Exception as exc:
            raise ModelError(f"the BlazePose model could not be started: {exc}") from None
        self._static = static
        self._lock = threading.Lock()
        self._last_timestamp_us: int | None = None
        self._closed = False

    def detect(self, bgr: BGRImage) -> PoseLandmarks | None:
        return self._run(bgr, None)

    def detect_frame(self, bgr: BGRImage, timestamp_us: int) -> PoseLandmarks | None:
        """Video mode: landmarks for one frame taken at `timestamp_us`."""
        return self._run(bgr, timestamp_us)

    def close(self) -> None:
        """Stop the graph and free its memory (about 100 MB). Idempotent. A graph that is
        only dropped is never freed: MediaPipe's output callbacks keep it alive."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._pose.close()
        return_freed_memory()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> BlazePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, bgr: BGRImage, timestamp_us: int | None) -> PoseLandmarks | None:
        height, width = bgr.shape[:2]
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        with self._lock:
            if self._closed:
                raise ModelError("the pose model was closed; start a new one")
            if timestamp_us is not None and not self._static:
                if self._last_timestamp_us is not None and timestamp_us <= self._last_timestamp_us:
                    timestamp_us = self._last_timestamp_us + 1
                self._last_timestamp_us = timestamp_us
                # The legacy API adds 33333 us before each frame; set it so the graph sees
                # the real capture time (its filters and tracking are time-aware).
                self._pose._simulated_timestamp = timestamp_us - 33333  # noqa: SLF001
            try:
                result = self._pose.process(rgb)
            except Exception as exc:
                raise ModelError(f"BlazePose failed on this image: {exc}") from None
        return _to_landmarks(result, width, height)


def return_freed_memory() -> None:
    """Hand freed heap back to the system (glibc only; elsewhere a no-op).

    A graph's memory is freed on the threads that ran it, into glibc's per-thread arenas,
    which keep it: a server that starts and closes graphs for one stream after another
    would see its resident size creep up although nothing is held."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] | None = getattr(ctypes.CDLL(name), "malloc_trim", None)
    except OSError:
        return None
    return trim


def _to_landmarks(result: object, width: int, height: int) -> PoseLandmarks | None:
    image_lms = getattr(result, "pose_landmarks", None)
    if image_lms is None:
        return None
    raw = np.array([(p.x, p.y, p.visibility) for p in image_lms.landmark], dtype=np.float64)
    if raw.shape != (NUM_LANDMARKS, 3):
        return None
    # Normalised x is a fraction of the width and y of the height: scale each by its own.
    xy = raw[:, :2] * np.array([width, height], dtype=np.float64)
    world_lms = getattr(result, "pose_world_landmarks", None)
    world = None
    if world_lms is not None:
        world = np.array([(p.x, p.y, p.z) for p in world_lms.landmark], dtype=np.float64)
    return PoseLandmarks(xy, raw[:, 2], world)


_default: BlazePoseEstimator | None = None
_default_lock = threading.Lock()


def default_estimator() -> BlazePoseEstimator:
    """A process-wide static-image estimator, created on first use (model load ~0.1 s)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = BlazePoseEstimator(static=True)
        return _default
