"""BlazePose behind a small typed interface. The only module that imports MediaPipe.

We use MediaPipe's legacy ``solutions.pose`` API with ``model_complexity=1`` because the
mediapipe 0.10.21 wheel ships that model (``pose_landmark_full.tflite``) and the pose
detector, so it runs offline. Complexity 0 and 2 would download weights at run time,
which fails on clinic machines without internet.

MediaPipe pitfalls hidden here: it wants RGB (it silently accepts BGR and gets worse),
returns protobufs with coordinates normalised by width and height *separately*, returns
None when nobody is found, and in video mode invents 30 fps timestamps.

A call is two models: the person detector, which finds the region of interest (ROI), and
the landmark model, which reads the body inside it (the detector is about 45 % of a call).
`detect_with_roi` also returns the ROI the next frame would use, and `detect_in` runs the
landmark model alone inside a given ROI: an assessment's augmented copies are all the same
canonical crop, so their ROI is known and the detector need not run again (`augment.py`).
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np
import numpy.typing as npt

from .errors import ModelError
from .imaging import BGRImage
from .landmarks import NUM_LANDMARKS, PoseLandmarks


class PoseEstimator(Protocol):
    """Anything that turns one BGR image into one person's landmarks (or None)."""

    def detect(self, bgr: BGRImage) -> PoseLandmarks | None: ...


@dataclass(frozen=True)
class Roi:
    """The landmark model's region of interest, in pixels: a square of side `size` centred on
    (`cx`, `cy`) whose "up" is turned `rotation` radians clockwise as displayed (y down), as
    MediaPipe crops it (upright person: rotation 0; centred on the hips, about 2.5x the
    hips-to-crown distance)."""

    cx: float
    cy: float
    size: float
    rotation: float

    def mapped(self, matrix: npt.NDArray[np.float64]) -> Roi:
        """The same region after the 2x3 similarity `matrix` (rotation, scale, mirror) moved
        the image: its centre moves, its side scales, its "up" turns with the image. A
        mirror keeps "up" (it flips left and right), so only the up vector is mapped."""
        a = matrix[:, :2]
        cx, cy = a @ np.array([self.cx, self.cy]) + matrix[:, 2]
        up = a @ np.array([math.sin(self.rotation), -math.cos(self.rotation)])
        scale = math.sqrt(abs(float(np.linalg.det(a))))
        return Roi(float(cx), float(cy), self.size * scale, math.atan2(float(up[0]), float(-up[1])))

    @staticmethod
    def mean(rois: list[Roi]) -> Roi:
        """The average region (centres, sides and up vectors averaged)."""
        ups = np.array([(math.sin(r.rotation), -math.cos(r.rotation)) for r in rois]).mean(axis=0)
        return Roi(float(np.mean([r.cx for r in rois])), float(np.mean([r.cy for r in rois])),
                   float(np.mean([r.size for r in rois])), math.atan2(float(ups[0]), float(-ups[1])))


@runtime_checkable
class RoiEstimator(Protocol):
    """An estimator that can skip its person detector when the region is known."""

    def detect_with_roi(self, bgr: BGRImage) -> tuple[PoseLandmarks | None, Roi | None]: ...

    def detect_in(self, bgr: BGRImage, roi: Roi) -> tuple[PoseLandmarks | None, Roi | None]: ...


#: Parameters shared by both graphs; the names are MediaPipe's (see mediapipe/python/solutions/pose.py).
_THRESHOLD = "poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__ThresholdingCalculator.threshold"
_DETECTION_THRESHOLD = "posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh"
_POSE_GRAPH = "mediapipe/modules/pose_landmark/pose_landmark_cpu.binarypb"
#: The landmark half of MediaPipe's pose graph, fed a ROI instead of the detector's output.
_ROI_GRAPH = """
input_stream: "IMAGE:image"
input_stream: "ROI:roi"
input_side_packet: "MODEL_COMPLEXITY:model_complexity"
input_side_packet: "ENABLE_SEGMENTATION:enable_segmentation"
output_stream: "LANDMARKS:pose_landmarks"
output_stream: "WORLD_LANDMARKS:pose_world_landmarks"
output_stream: "ROI_FROM_LANDMARKS:pose_rect_from_landmarks"
node {
  calculator: "ImagePropertiesCalculator"
  input_stream: "IMAGE_CPU:image"
  output_stream: "SIZE:image_size"
}
node {
  calculator: "PoseLandmarkByRoiCpu"
  input_side_packet: "MODEL_COMPLEXITY:model_complexity"
  input_side_packet: "ENABLE_SEGMENTATION:enable_segmentation"
  input_stream: "IMAGE:image"
  input_stream: "ROI:roi"
  output_stream: "LANDMARKS:pose_landmarks"
  output_stream: "AUXILIARY_LANDMARKS:auxiliary_landmarks"
  output_stream: "WORLD_LANDMARKS:pose_world_landmarks"
}
node {
  calculator: "PoseLandmarksToRoi"
  input_stream: "LANDMARKS:auxiliary_landmarks"
  input_stream: "IMAGE_SIZE:image_size"
  output_stream: "ROI:pose_rect_from_landmarks"
}
"""


class BlazePoseEstimator:
    """MediaPipe BlazePose (full model). Thread-safe; one graph per instance.

    static=True runs person detection on every image (photos, test-time augmentation).
    static=False tracks from frame to frame (live video); pass monotonically increasing
    timestamps in microseconds to `detect_frame`.
    """

    def __init__(self, *, static: bool = True, min_detection_confidence: float = 0.5) -> None:
        try:
            from mediapipe.python.solution_base import SolutionBase
        except Exception as exc:  # ImportError, or a protobuf / numpy mismatch at import
            raise ModelError(f"MediaPipe could not be loaded: {exc}") from None
        try:
            # What mediapipe's `solutions.pose.Pose` builds, plus the ROI outputs it hides.
            self._pose = SolutionBase(
                binary_graph_path=_POSE_GRAPH,
                side_inputs={
                    "model_complexity": 1,
                    # Our own temporal filter (live) and aggregation (photos) replace MediaPipe's.
                    "smooth_landmarks": False,
                    "enable_segmentation": False,
                    "smooth_segmentation": False,
                    "use_prev_landmarks": not static,
                },
                calculator_params={_DETECTION_THRESHOLD: min_detection_confidence, _THRESHOLD: 0.5},
                outputs=["pose_landmarks", "pose_world_landmarks", "pose_rect_from_landmarks", "pose_rect_from_detection"],
            )
        except Exception as exc:
            raise ModelError(f"the BlazePose model could not be started: {exc}") from None
        self._roi_graph: Any = None  # the landmark model alone, started on first use
        self._static = static
        self._lock = threading.Lock()
        self._last_timestamp_us: int | None = None
        self._closed = False

    def detect(self, bgr: BGRImage) -> PoseLandmarks | None:
        return self._run(bgr, None)[0]

    def detect_with_roi(self, bgr: BGRImage) -> tuple[PoseLandmarks | None, Roi | None]:
        """Landmarks and the ROI derived from them (where the model would look next)."""
        return self._run(bgr, None)

    def detect_in(self, bgr: BGRImage, roi: Roi) -> tuple[PoseLandmarks | None, Roi | None]:
        """The landmark model alone, inside `roi` (no person detector): about 55 % of a call.
        Given the ROI that the detector found, it returns the same landmarks; and, like
        `detect_with_roi`, the ROI derived from them."""
        height, width = bgr.shape[:2]
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        rect = _normalized_rect(roi, width, height)
        with self._lock:
            if self._closed:
                raise ModelError("the pose model was closed; start a new one")
            try:
                if self._roi_graph is None:
                    self._roi_graph = _start_roi_graph()
                result = self._roi_graph.process({"image": rgb, "roi": rect})
            except ModelError:
                raise
            except Exception as exc:
                raise ModelError(f"BlazePose failed on this image: {exc}") from None
        return self._unpack(result, width, height)

    def detect_frame(self, bgr: BGRImage, timestamp_us: int) -> PoseLandmarks | None:
        """Video mode: landmarks for one frame taken at `timestamp_us`."""
        return self._run(bgr, timestamp_us)[0]

    def close(self) -> None:
        """Stop the graph and free its memory (about 100 MB). Idempotent. A graph that is
        only dropped is never freed: MediaPipe's output callbacks keep it alive."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._pose.close()
            if self._roi_graph is not None:
                self._roi_graph.close()
        return_freed_memory()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> BlazePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, bgr: BGRImage, timestamp_us: int | None) -> tuple[PoseLandmarks | None, Roi | None]:
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
        return self._unpack(result, width, height)

    @staticmethod
    def _unpack(result: object, width: int, height: int) -> tuple[PoseLandmarks | None, Roi | None]:
        lms = _to_landmarks(result, width, height)
        import os
        key = "pose_rect_from_detection" if os.environ.get("ROI_SRC", "det") == "det" and getattr(result, "pose_rect_from_detection", None) is not None else "pose_rect_from_landmarks"
        return lms, None if lms is None else _to_roi(getattr(result, key, None), width, height)


def _start_roi_graph() -> Any:
    from google.protobuf import text_format  # type: ignore[import-untyped]
    from mediapipe.framework import calculator_pb2
    from mediapipe.python.solution_base import SolutionBase

    try:
        config = text_format.Parse(_ROI_GRAPH, calculator_pb2.CalculatorGraphConfig())
        return SolutionBase(graph_config=config, side_inputs={"model_complexity": 1, "enable_segmentation": False},
                            calculator_params={_THRESHOLD: 0.5},
                            outputs=["pose_landmarks", "pose_world_landmarks", "pose_rect_from_landmarks"])
    except Exception as exc:
        raise ModelError(f"the BlazePose landmark model could not be started: {exc}") from None


def _normalized_rect(roi: Roi, width: int, height: int) -> Any:
    from mediapipe.framework.formats import rect_pb2

    # MediaPipe normalises x by the width and y by the height, each on its own.
    return rect_pb2.NormalizedRect(x_center=roi.cx / width, y_center=roi.cy / height, width=roi.size / width,
                                   height=roi.size / height, rotation=roi.rotation)


def _to_roi(rect: Any, width: int, height: int) -> Roi | None:
    if rect is None:
        return None
    # The rect is a square in pixels; take its side from the larger of the two normalised sides.
    size = max(float(rect.width) * width, float(rect.height) * height)
    return Roi(float(rect.x_center) * width, float(rect.y_center) * height, size, float(rect.rotation))


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
