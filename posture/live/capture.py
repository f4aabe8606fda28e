"""Capture guidance while the camera is live: where the body should be, whether the camera
is level, and what to tell the client before a photo is taken.

Pure (landmarks, the camera estimate and the frame size in; a `Guidance` out), except
`GuideEngine`, which runs BlazePose on live frames, and `draw_guidance`, which draws the
overlay. No Streamlit here. The limits are the set-up checks' (`setup.py`), so a photo
taken when the guidance says "ready" passes those checks for yaw, framing and pitch.

Directions: "your left/right" is the subject's (as in `setup._turn_words`); moving across
the picture is said "as seen on the screen", since the client may be looking at a
mirrored or unmirrored preview.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Literal

import cv2

from posture.core.body.estimator import PoseEstimator
from posture.core.body.landmarks import Landmark, PoseLandmarks
from posture.core.body.views import ViewName, angle_difference_deg, decide_view
from posture.core.errors import ModelError
from posture.core.image.camera import CameraTilt
from posture.core.image.imaging import BGRImage
from posture.core.measuring.gravity import camera_from_scene
from posture.core.measuring.setup import PITCH_OK_DEG, YAW_OK_DEG, YAW_RETAKE_DEG

Box = tuple[float, float, float, float]
"""(x0, y0, x1, y1) in pixels of the frame."""

#: What must be inside the target frame for a standing posture photo (head to feet) and
#: for a seated desk check (head to hips).
FULL_BODY: tuple[Landmark, ...] = (
    Landmark.NOSE, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP,
    Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE,
)
UPPER_BODY: tuple[Landmark, ...] = (
    Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER,
    Landmark.LEFT_HIP, Landmark.RIGHT_HIP,
)

#: The target frame leaves this share of the frame free on every side: the nose is ~0.1 of
#: stature below the top of the head, and BlazePose loses points at the very edge.
MARGIN = 0.06
#: The required points must span at least this share of the target's height ("come closer"
#: below it: at 640x480 that is about 250 px of body, near the set-up check's caution size).
MIN_FILL = 0.55
#: The same for head to hips (a seated desk check): about half a standing body's span.
UPPER_BODY_MIN_FILL = 0.35
#: The camera counts as level within this roll (degrees): the hand-held prior of the
#: set-up uncertainty. Roll is corrected after the shot, but a rolled camera also rolls
#: the perspective, so the client is asked to hold it level.
ROLL_LEVEL_DEG = 2.0

Intended = Literal["front", "back", "side", "auto"]
_INTENDED_YAW = {"front": 0.0, "back": 180.0}

#: Point groups named in framing prompts, lowest first (the first one out of view is named).
_LOW_GROUPS: tuple[tuple[str, tuple[Landmark, ...]], ...] = (
    ("feet", (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE)),
    ("knees", (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE)),
    ("hips", (Landmark.LEFT_HIP, Landmark.RIGHT_HIP)),
)


@dataclass(frozen=True)
class Prompt:
    key: str  # "person", "framing", "distance", "yaw", "roll", "pitch"
    text: str
    #: A blocking prompt keeps the shot from being taken (unless the user overrides it).
    blocking: bool = True


@dataclass(frozen=True)
class LevelReading:
    """The camera's level as the scene shows it: "level", "tilted" or "unknown"."""

    status: Literal["level", "tilted", "unknown"]
    roll_deg: float | None
    roll_sd_deg: float | None
    pitch_deg: float | None
    pitch_sd_deg: float | None
    text: str


@dataclass(frozen=True)
class Guidance:
    size: tuple[int, int]  # (width, height) of the frame
    target: Box
    body: Box | None  # the required points' box, None when nobody is seen
    level: LevelReading
    prompts: tuple[Prompt, ...]
    yaw_deg: float | None = None

    @property
    def ready(self) -> bool:
        """A person is in view and nothing blocks the shot."""
        return self.body is not None and not self.blocking

    @property
    def blocking(self) -> tuple[Prompt, ...]:
        return tuple(p for p in self.prompts if p.blocking)


def target_box(size: tuple[int, int], margin: float = MARGIN) -> Box:
    """The frame the body should fill: the picture less `margin` of it on every side."""
    w, h = size
    return (margin * w, margin * h, (1 - margin) * w, (1 - margin) * h)


def level_reading(camera: CameraTilt | None) -> LevelReading:
    """The level indicator. The camera counts as tilted only when its roll is past
    ROLL_LEVEL_DEG by more than the estimate's SD: a loose estimate asks nobody to move."""
    if camera is None or not camera.known:
        text = "camera level unknown: no camera estimate yet" if camera is None else camera.unknown_text
        return LevelReading("unknown", None, None, None, None, text)
    assert camera.roll_deg is not None and camera.pitch_deg is not None
    sd = camera.roll_sd_deg or 0.0
    rolled = camera.roll_text()
    if abs(camera.roll_deg) - sd > ROLL_LEVEL_DEG:
        status: Literal["level", "tilted"] = "tilted"
        text = f"camera rolled {rolled}"
    else:
        status = "level"
        text = f"camera level (roll {rolled})" if abs(camera.roll_deg) <= ROLL_LEVEL_DEG else \
            f"camera level within its uncertainty (roll {rolled})"
    return LevelReading(status, camera.roll_deg, sd, camera.pitch_deg, camera.pitch_sd_deg or 0.0, text)


def _turn_prompt(delta: float) -> str:
    # delta = yaw - intended. Positive yaw turns the subject's left side toward the camera,
    # i.e. they have turned to their right: they should turn back to their left.
    way = "left" if delta > 0 else "right"
    if abs(delta) <= YAW_RETAKE_DEG:
        return f"turn a little to your {way}"
    return f"turn about {abs(delta):.0f}° to your {way}"


def yaw_prompt(lms: PoseLandmarks, intended: Intended) -> tuple[Prompt | None, float | None]:
    """The turn prompt for the body's yaw against the intended view (None when squarely on
    it or when the yaw is unknown), and the yaw."""
    name, _, yaw = decide_view(lms)
    if yaw is None:
        return Prompt("yaw", "body rotation unknown: face the camera squarely or stand fully side-on", False), None
    if intended == "side":
        goal = 90.0 if yaw >= 0 else -90.0
    elif intended in _INTENDED_YAW:
        goal = _INTENDED_YAW[intended]
    elif name is ViewName.TURNED:
        return Prompt("yaw", f"you are turned {abs(yaw):.0f}° from the camera: face it squarely, "
                             "or turn fully side-on"), yaw
    else:
        intended_yaw = name.intended_yaw_deg
        assert intended_yaw is not None
        goal = intended_yaw
    delta = angle_difference_deg(yaw, goal)
    if abs(delta) <= YAW_OK_DEG:
        return None, yaw
    return Prompt("yaw", _turn_prompt(delta)), yaw


def framing_prompts(lms: PoseLandmarks, size: tuple[int, int], required: tuple[Landmark, ...] = FULL_BODY) -> list[Prompt]:
    """Prompts from where the required points lie against the target frame."""
    min_fill = MIN_FILL if Landmark.LEFT_ANKLE in required else UPPER_BODY_MIN_FILL
    x0, y0, x1, y1 = target_box(size)
    pts = lms.xy[[int(p) for p in required]]
    low = pts[:, 1] > y1
    high = pts[:, 1] < y0
    prompts: list[Prompt] = []
    if low.any() and high.any():
        prompts.append(Prompt("framing", "step back so you fit in the picture from head to "
                                         + ("feet" if Landmark.LEFT_ANKLE in required else "hips")))
    elif low.any():
        below = {p for p, out in zip(required, low, strict=True) if out}
        part = next((name for name, group in _LOW_GROUPS if below & set(group)), "whole body")
        prompts.append(Prompt("framing", f"step back so your {part} {'is' if part == 'whole body' else 'are'} in view"))
    elif high.any():
        prompts.append(Prompt("framing", "step back (or lower the camera a little) so your head is in view"))
    if (pts[:, 0] < x0).any() and not (pts[:, 0] > x1).any():
        prompts.append(Prompt("framing", "move a step to the right as seen on the screen"))
    elif (pts[:, 0] > x1).any() and not (pts[:, 0] < x0).any():
        prompts.append(Prompt("framing", "move a step to the left as seen on the screen"))
    span = float(pts[:, 1].max() - pts[:, 1].min())
    if not prompts and span < min_fill * (y1 - y0):
        prompts.append(Prompt("distance", f"come closer: you fill {span / (y1 - y0):.0%} of the frame's height "
                                          f"(at least {min_fill:.0%} is needed)"))
    return prompts


def camera_prompts(level: LevelReading) -> list[Prompt]:
    if level.status == "unknown":
        return [Prompt("roll", f"{level.text}; hold the camera level by eye, or put it on a levelled tripod", False)]
    prompts = []
    if level.status == "tilted":
        assert level.roll_deg is not None
        prompts.append(Prompt("roll", f"hold the camera level: it is rolled {abs(level.roll_deg):.1f}° "
                                      "(the yellow line shows true vertical)"))
    if level.pitch_deg is not None and abs(level.pitch_deg) - (level.pitch_sd_deg or 0.0) > PITCH_OK_DEG:
        way = "down" if level.pitch_deg > 0 else "up"
        prompts.append(Prompt("pitch", f"point the camera straight ahead: it points {abs(level.pitch_deg):.0f}° {way} "
                                       "(camera at hip height, about 3 m away)"))
    return prompts


def guide(
    lms: PoseLandmarks | None,
    size: tuple[int, int],
    camera: CameraTilt | None,
    *,
    intended: Intended = "auto",
    required: tuple[Landmark, ...] = FULL_BODY,
) -> Guidance:
    """What the client should do before the shot, for one frame's landmarks (None: nobody
    seen) and the camera estimate (None: not measured yet)."""
    level = level_reading(camera)
    target = target_box(size)
    if lms is None:
        return Guidance(size, target, None, level, (Prompt("person", "step into view: the camera does not see anyone"),))
    pts = lms.xy[[int(p) for p in required]]
    body = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
    prompts = framing_prompts(lms, size, required)
    turn, yaw = yaw_prompt(lms, intended)
    if turn is not None:
        prompts.append(turn)
    prompts += camera_prompts(level)
    return Guidance(size, target, body, level, tuple(prompts), yaw)


def still_guidance(bgr: BGRImage, estimator: PoseEstimator, camera: CameraTilt | None = None, *,
                   intended: Intended = "auto", required: tuple[Landmark, ...] = FULL_BODY) -> Guidance:
    """The guidance for one still shot (a tablet's or a webcam's single photo): the same
    frame, turn and level prompts as the live burst's. `camera`: the level the device
    measured at the shot; without it the level is read from the scene's lines."""
    lms = estimator.detect(bgr)
    if camera is None and lms is not None:
        camera = camera_from_scene(bgr, lms)
    return guide(lms, (bgr.shape[1], bgr.shape[0]), camera, intended=intended, required=required)


def override_note(guidance: Guidance) -> str:
    """What is recorded with a photo taken although the guidance said not ready."""
    failed = "; ".join(p.text for p in guidance.blocking) or "no person in view"
    return f"taken with set-up override: {failed}"


# --- self-timer ---------------------------------------------------------------------------

SELF_TIMER_CHOICES = (3, 5, 10)


@dataclass(frozen=True)
class Countdown:
    """A self-timer started at `started_at` (monotonic seconds) for `seconds`."""

    seconds: float
    started_at: float

    def remaining(self, now: float) -> float:
        return max(0.0, self.started_at + self.seconds - now)

    def due(self, now: float) -> bool:
        return now >= self.started_at + self.seconds


# --- live frames --------------------------------------------------------------------------

#: Seconds between two pose runs for guidance (the overlay reuses the last one meanwhile),
#: and between two readings of the camera's level from the scene (as `live.py` does).
GUIDE_INTERVAL_S = 0.25
CAMERA_REFRESH_S = 5.0


class GuideEngine:
    """Guidance for a stream of frames (thread-safe: called from the video thread and read
    by the page). Keeps the last `keep` raw frames for a burst."""

    def __init__(self, *, intended: Intended = "auto", required: tuple[Landmark, ...] = FULL_BODY, keep: int = 5,
                 estimator: PoseEstimator | None = None) -> None:
        from collections import deque

        self.intended, self.required = intended, required
        self._estimator = estimator
        #: A model this engine starts is its to close; one passed in belongs to the caller.
        self._owns_estimator = estimator is None
        self._lock = threading.Lock()
        self._frames: deque[BGRImage] = deque(maxlen=keep)
        self._guidance: Guidance | None = None
        self._camera: CameraTilt | None = None
        self._camera_at: float | None = None
        self._guided_at: float | None = None
        self.frames_seen = 0

    def _detect(self, bgr: BGRImage, t: float) -> PoseLandmarks | None:
        with self._lock:
            if self._estimator is None:
                from posture.core.body.estimator import BlazePoseEstimator

                self._estimator = BlazePoseEstimator(static=False)  # tracking mode, as `live.py`
            estimator = self._estimator
        detect_frame = getattr(estimator, "detect_frame", None)
        try:
            if detect_frame is not None:
                found: PoseLandmarks | None = detect_frame(bgr, int(t * 1e6))
                return found
            return estimator.detect(bgr)
        except ModelError:
            if getattr(estimator, "closed", False):
                return None  # the stream ended while this frame was on its way (`release`)
            raise

    def release(self) -> None:
        """The stream ended: close the pose graph this engine started (about 100 MB, which a
        dropped graph never frees); the next frame starts a new one. Idempotent."""
        with self._lock:
            estimator = self._estimator if self._owns_estimator else None
            if estimator is not None:
                self._estimator = None
        if estimator is not None:
            close = getattr(estimator, "close", None)
            if close is not None:
                close()

    def process(self, bgr: BGRImage, t: float | None = None) -> Guidance:
        """Keep the frame; re-run the guidance every GUIDE_INTERVAL_S. Returns the latest."""
        t = time.monotonic() if t is None else t
        with self._lock:
            self._frames.append(bgr)
            self.frames_seen += 1
            fresh = self._guidance is None or self._guided_at is None or t - self._guided_at >= GUIDE_INTERVAL_S
        if not fresh:
            assert self._guidance is not None
            return self._guidance
        lms = self._detect(bgr, t)
        camera = self._camera
        if lms is not None and (self._camera_at is None or t - self._camera_at >= CAMERA_REFRESH_S):
            camera = camera_from_scene(bgr, lms)
            self._camera, self._camera_at = camera, t
        g = guide(lms, (bgr.shape[1], bgr.shape[0]), camera, intended=self.intended, required=self.required)
        with self._lock:
            self._guidance, self._guided_at = g, t
        return g

    @property
    def guidance(self) -> Guidance | None:
        with self._lock:
            return self._guidance

    def burst(self) -> list[BGRImage]:
        with self._lock:
            return list(self._frames)


# --- overlay ------------------------------------------------------------------------------

_READY = (80, 200, 80)
_NOT_READY = (0, 190, 255)
_YELLOW = (0, 230, 255)
_WHITE = (255, 255, 255)


def draw_guidance(bgr: BGRImage, g: Guidance, countdown_s: float | None = None) -> BGRImage:
    """A copy of the frame with the target frame (green when ready, amber otherwise), the
    level indicator (a yellow line along true vertical against the frame's own), the first
    prompt, and the self-timer's seconds left."""
    out = bgr.copy()
    h, w = out.shape[:2]
    thick = max(2, round(min(h, w) / 240))
    scale = max(0.45, min(h, w) / 900)
    colour = _READY if g.ready else _NOT_READY
    x0, y0, x1, y1 = (round(v) for v in g.target)
    for (ax, ay), (bx, by) in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
        _dashed(out, (ax, ay), (bx, by), colour, thick)
    # Level indicator, top centre: the frame's vertical in white, true vertical in yellow.
    cx, cy, r = w // 2, y0 + round(0.08 * h), round(0.06 * h)
    cv2.line(out, (cx, cy - r), (cx, cy + r), _WHITE, 1, cv2.LINE_AA)
    if g.level.roll_deg is not None:
        a = math.radians(g.level.roll_deg)  # + : true vertical's top leans to image right
        dx, dy = r * math.sin(a), r * math.cos(a)
        cv2.line(out, (round(cx - dx), round(cy + dy)), (round(cx + dx), round(cy - dy)), _YELLOW, thick, cv2.LINE_AA)
        label = "level" if g.level.status == "level" else f"rolled {abs(g.level.roll_deg):.0f} deg"
    else:
        label = "level ?"
    _text(out, label, (cx + r // 2, cy), scale, _YELLOW)
    first = g.blocking[0].text if g.blocking else "ready: hold still"
    _text(out, _ascii(first), (x0 + 6, y1 - 8), scale, colour)
    if countdown_s is not None:
        _text(out, f"{math.ceil(countdown_s)}", (cx - round(20 * scale), h // 2), scale * 4, _WHITE)
    return out


def _dashed(img: BGRImage, a: tuple[int, int], b: tuple[int, int], colour: tuple[int, int, int], thick: int) -> None:
    n = max(1, int(math.hypot(b[0] - a[0], b[1] - a[1]) // 16))
    for i in range(0, n, 2):
        p = (a[0] + (b[0] - a[0]) * i // n, a[1] + (b[1] - a[1]) * i // n)
        q = (a[0] + (b[0] - a[0]) * (i + 1) // n, a[1] + (b[1] - a[1]) * (i + 1) // n)
        cv2.line(img, p, q, colour, thick, cv2.LINE_AA)


def _ascii(text: str) -> str:
    """OpenCV's fonts draw ASCII only."""
    return text.replace("°", " deg").replace("−", "-").encode("ascii", "replace").decode()


def _text(img: BGRImage, text: str, org: tuple[int, int], scale: float, colour: tuple[int, int, int]) -> None:
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)

