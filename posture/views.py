"""Which way the subject faces (front / back / left / right) and whether they sit.

Conventions (as in clinical posture photos):
- front: the subject faces the camera; their left is on the image's right.
- back: the subject's back is to the camera; their left is on the image's left.
- left: the subject's LEFT side faces the camera, so they face the image's left.
- right: the subject's RIGHT side faces the camera, so they face the image's right.

The decision uses BlazePose's 3-D world landmarks: the yaw of the shoulder and hip lines
(left minus right) in the horizontal plane. For side views the facing direction in the
image is then taken from where the nose points relative to the ears, which the model gets
right far more often than which side is near.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from .errors import UsageError
from .landmarks import Landmark, PoseLandmarks


class ViewName(str, Enum):
    FRONT = "front"
    BACK = "back"
    LEFT = "left"
    RIGHT = "right"

    @property
    def is_frontal(self) -> bool:
        return self in (ViewName.FRONT, ViewName.BACK)

    @property
    def is_sagittal(self) -> bool:
        return self in (ViewName.LEFT, ViewName.RIGHT)


class Posture(str, Enum):
    STANDING = "standing"
    SEATED = "seated"


@dataclass(frozen=True)
class View:
    name: ViewName
    posture: Posture
    confidence: float
    source: str  # "auto" or "user"
    posture_known: bool = True

    @property
    def forward_x(self) -> float:
        """Image x direction the subject faces in a side view: -1 left, +1 right."""
        if self.name is ViewName.LEFT:
            return -1.0
        if self.name is ViewName.RIGHT:
            return 1.0
        raise ValueError("forward_x is defined for side views only")

    @property
    def subject_left_x(self) -> float:
        """Image x direction of the subject's left in a frontal view: +1 front, -1 back."""
        if self.name is ViewName.FRONT:
            return 1.0
        if self.name is ViewName.BACK:
            return -1.0
        raise ValueError("subject_left_x is defined for front and back views only")

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name.value,
            "posture": self.posture.value,
            "confidence": round(self.confidence, 3),
            "source": self.source,
        }


VIEW_CHOICES = ("auto", "front", "back", "left", "right")

#: Thigh angle from vertical (world landmarks) above which we call the posture seated.
SEATED_THIGH_DEG = 50.0


def yaw_deg(lms: PoseLandmarks) -> float | None:
    """Facing yaw from world landmarks: 0 front, +-180 back, +90 left side, -90 right side."""
    if lms.world is None:
        return None
    w = lms.world
    vec = (w[Landmark.LEFT_SHOULDER] - w[Landmark.RIGHT_SHOULDER]) + (w[Landmark.LEFT_HIP] - w[Landmark.RIGHT_HIP])
    # World x is right and z is away from the camera: left side nearer -> z negative -> +90.
    return math.degrees(math.atan2(-vec[2], vec[0]))


def name_from_yaw(yaw: float) -> ViewName:
    a = abs(yaw)
    if a <= 45.0:
        return ViewName.FRONT
    if a >= 135.0:
        return ViewName.BACK
    return ViewName.LEFT if yaw > 0 else ViewName.RIGHT


def _yaw_margin(yaw: float) -> float:
    """Degrees from `yaw` to the nearest class boundary (45 or 135)."""
    a = abs(yaw)
    return min(abs(a - 45.0), abs(a - 135.0))


def facing_x_2d(lms: PoseLandmarks) -> float:
    """+1 if the nose points to image right of the ears, -1 if left."""
    ears_x = (lms.xy[Landmark.LEFT_EAR, 0] + lms.xy[Landmark.RIGHT_EAR, 0]) / 2
    return 1.0 if lms.xy[Landmark.NOSE, 0] >= ears_x else -1.0


def thigh_angle_deg(lms: PoseLandmarks) -> float | None:
    """Smaller of the two hip->knee angles from the vertical, in 3-D world space.

    0 standing, about 90 seated. The smaller one, so that a lunge or a raised leg (one
    thigh horizontal, the other not) does not read as sitting."""
    if lms.world is None:
        return None
    angles = []
    for hip, knee in ((Landmark.LEFT_HIP, Landmark.LEFT_KNEE), (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE)):
        v = lms.world[knee] - lms.world[hip]
        norm = float(np.linalg.norm(v))
        if norm > 0:
            angles.append(math.degrees(math.acos(max(-1.0, min(1.0, v[1] / norm)))))
    return float(min(angles)) if angles else None


def classify_view(
    consensus: PoseLandmarks,
    views: list[PoseLandmarks],
    override: str = "auto",
    image_size: tuple[int, int] | None = None,
) -> View:
    """Decide the view from the consensus landmarks; `override` (a view name) wins."""
    if override not in VIEW_CHOICES:
        raise UsageError(f"view must be one of {', '.join(VIEW_CHOICES)}, got {override!r}")
    posture, posture_known = _classify_posture(consensus, image_size)
    if override != "auto":
        return View(ViewName(override), posture, 1.0, "user", posture_known)
    yaw = yaw_deg(consensus)
    if yaw is None:
        return View(ViewName.FRONT, posture, 0.0, "auto", posture_known)
    name = name_from_yaw(yaw)
    if name.is_sagittal:
        name = ViewName.LEFT if facing_x_2d(consensus) < 0 else ViewName.RIGHT
    # Confidence: how many augmented copies agree, damped near a class boundary.
    per_view = [yaw_deg(v) for v in views]
    votes = [name_from_yaw(y).is_frontal == name.is_frontal and (not name.is_frontal or name_from_yaw(y) is name) for y in per_view if y is not None]
    agreement = sum(votes) / len(votes) if votes else 0.5
    confidence = agreement * min(1.0, 0.5 + _yaw_margin(yaw) / 40.0)
    return View(name, posture, confidence, "auto", posture_known)


def _classify_posture(lms: PoseLandmarks, image_size: tuple[int, int] | None) -> tuple[Posture, bool]:
    knees = (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE)
    knees_visible = max(lms.visibility[k] for k in knees) >= 0.6
    if image_size is not None:
        w, h = image_size
        knees_visible = knees_visible and any(0 <= lms.xy[k, 0] <= w and 0 <= lms.xy[k, 1] <= h for k in knees)
    thigh = thigh_angle_deg(lms)
    if thigh is None or not knees_visible:
        return Posture.STANDING, False
    return (Posture.SEATED if thigh >= SEATED_THIGH_DEG else Posture.STANDING), True
