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

A body turned far from every intended view (more than 45 deg from front and back and 30 from
either side: `turn_limit_deg`) is neither a front nor a side photo: it is classed TURNED, no
measure applies to it, and the set-up check says how to fix it. One function, `decide_view`,
serves photos and the live monitor alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from posture.core.errors import UsageError

from .landmarks import MIN_VISIBILITY, Landmark, PoseLandmarks


class ViewName(str, Enum):
    FRONT = "front"
    BACK = "back"
    LEFT = "left"
    RIGHT = "right"
    #: Between a front and a side view: no measure is taken from it.
    TURNED = "turned"

    @property
    def intended_yaw_deg(self) -> float | None:
        """The body yaw this view asks for (see `yaw_deg`); None for TURNED."""
        return _INTENDED_YAW.get(self.value)

    def off_square_deg(self, yaw_deg: float | None) -> float | None:
        """How far a body at `yaw_deg` is turned from this view's intended yaw (0 = squarely),
        degrees; None when either is unknown (TURNED has none)."""
        intended = self.intended_yaw_deg
        if yaw_deg is None or intended is None:
            return None
        return abs(angle_difference_deg(yaw_deg, intended))

    @property
    def is_frontal(self) -> bool:
        return self in (ViewName.FRONT, ViewName.BACK)

    @property
    def is_sagittal(self) -> bool:
        return self in (ViewName.LEFT, ViewName.RIGHT)


_INTENDED_YAW = {"front": 0.0, "left": 90.0, "back": 180.0, "right": -90.0}


class Posture(str, Enum):
    STANDING = "standing"
    SEATED = "seated"


@dataclass(frozen=True)
class View:
    name: ViewName
    posture: Posture
    confidence: float
    source: str  # "auto" or "user"
    #: Body yaw from the landmarks (see `yaw_deg`), None when unknown (e.g. a stored record).
    yaw_deg: float | None = None
    #: What the landmarks say when the user's choice contradicts a confident detection.
    contradiction: str | None = None
    #: Why sitting could not be told from standing, in plain words (None: it could).
    posture_doubt: str | None = None

    @property
    def how_text(self) -> str:
        """How the view was decided, in words: "set by hand", or "detected automatically,
        confidence 0.43" (a view set by hand has no confidence worth printing)."""
        if self.source == "user":
            return "set by hand"
        return f"detected automatically, confidence {self.confidence:.2f}"

    @property
    def posture_known(self) -> bool:
        return self.posture_doubt is None

    @property
    def near_side(self) -> str:
        """The subject's side toward the camera in a side view ("left" for LEFT)."""
        if self.name is ViewName.LEFT:
            return "left"
        if self.name is ViewName.RIGHT:
            return "right"
        raise ValueError("near_side is defined for side views only")

    @property
    def yaw_off_deg(self) -> float | None:
        """How far the body is turned from this view's intended yaw (0 = squarely), degrees."""
        return self.name.off_square_deg(self.yaw_deg)

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
        out: dict[str, object] = {
            "name": self.name.value,
            "posture": self.posture.value,
            "confidence": round(self.confidence, 3),
            "source": self.source,
        }
        if self.yaw_deg is not None:
            out["yaw_deg"] = round(self.yaw_deg, 1)
        if self.contradiction:
            out["contradiction"] = self.contradiction
        return out


#: What a user may choose. "left"/"right" name the subject's side toward the camera.
VIEW_CHOICES = ("auto", "front", "back", "left", "right")
VIEW_HELP = (
    "front: the subject faces the camera; back: their back is to it; left: the subject's LEFT side is toward "
    "the camera (they face image-left); right: their RIGHT side is toward the camera (they face image-right)"
)

#: How far the body may be turned from a view's square yaw before the view no longer holds
#: (then it is TURNED, and no measure applies). A side view's sagittal lines need it within
#: 30 deg. A front or back view holds to 45 deg, the half-way point to a side view: its
#: shoulder line is still read there, with the ± its turn earns (measured on the four-camera
#: reference: `uncertainty.PlacementSD`); each measure declares its own limit
#: (`MeasureSpec.max_turn_deg`, 30 deg unless it says more).
SIDE_TURN_LIMIT_DEG = 30.0
FRONTAL_TURN_LIMIT_DEG = 45.0


def turn_limit_deg(name: ViewName) -> float:
    """How far from square `name` still holds (see above)."""
    return FRONTAL_TURN_LIMIT_DEG if name.is_frontal else SIDE_TURN_LIMIT_DEG


#: A user's choice is contradicted only by a detection at least this confident.
CONTRADICTION_MIN_CONFIDENCE = 0.6

#: Thigh angle from vertical (world landmarks) above which we call the posture seated.
SEATED_THIGH_DEG = 50.0
#: Share of the augmented copies that must put the thighs on the consensus's side of
#: SEATED_THIGH_DEG for the posture to be called: thighs half-way (a squat, a perching stool)
#: flip between seated and standing with the model's noise, and the posture decides which
#: set-up checks apply (a seated body is not checked for bent knees).
POSTURE_MIN_AGREEMENT = 0.75


def yaw_deg(lms: PoseLandmarks) -> float | None:
    """Facing yaw from world landmarks: 0 front, +-180 back, +90 left side, -90 right side."""
    if lms.world is None:
        return None
    w = lms.world
    vec = (w[Landmark.LEFT_SHOULDER] - w[Landmark.RIGHT_SHOULDER]) + (w[Landmark.LEFT_HIP] - w[Landmark.RIGHT_HIP])
    # World x is right and z is away from the camera: left side nearer -> z negative -> +90.
    return math.degrees(math.atan2(-vec[2], vec[0]))


def angle_difference_deg(a: float, b: float) -> float:
    """a - b wrapped into (-180, 180]."""
    d = (a - b + 180.0) % 360.0 - 180.0
    return 180.0 if d == -180.0 else d


def name_from_yaw(yaw: float) -> ViewName:
    """The nearest intended view (front, left, back, right), ignoring how far off it is."""
    a = abs(yaw)
    if a <= 45.0:
        return ViewName.FRONT
    if a >= 135.0:
        return ViewName.BACK
    return ViewName.LEFT if yaw > 0 else ViewName.RIGHT


def facing_x_2d(lms: PoseLandmarks) -> float:
    """+1 if the nose points to image right of the ears, -1 if left."""
    ears_x = (lms.xy[Landmark.LEFT_EAR, 0] + lms.xy[Landmark.RIGHT_EAR, 0]) / 2
    return 1.0 if lms.xy[Landmark.NOSE, 0] >= ears_x else -1.0


#: Toes against heels, as a share of the shank, beyond which the feet clearly point toward
#: the camera (toes lower in the photo: nearer a camera above the floor) or away from it.
#: On the project's real photos every front reads +0.13 to +0.32 and nine of ten backs
#: -0.12 to -0.35 (one back video frame reads +0.28: the model put its toes forward).
FEET_POINT_SHANK = 0.2


def feet_toward_camera(lms: PoseLandmarks) -> float | None:
    """How far the toes sit below the heels in the (levelled) photo, in shanks: positive when
    the feet point toward a camera above the floor. None when the feet are not seen."""
    gaps, shanks = [], []
    for side in ("LEFT", "RIGHT"):
        heel, toe, knee, ankle = (int(Landmark[f"{side}_{p}"]) for p in ("HEEL", "FOOT_INDEX", "KNEE", "ANKLE"))
        if min(lms.visibility[heel], lms.visibility[toe]) < MIN_VISIBILITY:
            continue
        gaps.append(float(lms.xy[toe, 1] - lms.xy[heel, 1]))
        shanks.append(float(np.linalg.norm(lms.xy[knee] - lms.xy[ankle])))
    if not gaps or max(shanks) <= 0:
        return None
    return float(np.mean(gaps)) / max(shanks)


def front_back_doubt(view: View, lms: PoseLandmarks) -> str | None:
    """Why a detected front or back view may be the other one (None: no doubt).

    BlazePose sometimes takes a back for a front, and then its labels, its 3-D facing and
    everything derived from them are wrong together (a left tilt read as a right one). The
    feet are a cue it does not share: they point toward the camera in a front view. A user's
    own choice of view is trusted (the labels are then made to match it)."""
    if view.source != "auto" or not view.name.is_frontal:
        return None
    feet = feet_toward_camera(lms)
    if feet is None:
        return None
    if view.name is ViewName.FRONT and feet < -FEET_POINT_SHANK:
        seen = "the feet point away from the camera, as in a back view"
    elif view.name is ViewName.BACK and feet > FEET_POINT_SHANK:
        seen = "the feet point toward the camera, as in a front view"
    else:
        return None
    return (f"front or back uncertain: the model reads a {view.name.value} view, but {seen}; "
            "set the view (front or back) to measure")


def side_choice_conflict(view: View, lms: PoseLandmarks) -> str | None:
    """Why a side view chosen by hand cannot be read as chosen (None: it can): the client
    faces the other way, so the near side and "forward" would both be wrong."""
    if view.source != "user" or not view.name.is_sagittal or facing_x_2d(lms) == view.forward_x:
        return None
    other = ViewName.RIGHT if view.name is ViewName.LEFT else ViewName.LEFT
    faces = "right" if view.forward_x < 0 else "left"
    return (f"you chose a {view.name.value} side view, but the client faces image-{faces}, as in a {other.value} "
            f"side view: choose {other.value}, or mark the photo as a mirrored selfie")


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


def decide_view(lms: PoseLandmarks, copies: list[PoseLandmarks] | None = None) -> tuple[ViewName, float, float | None]:
    """The view (TURNED when far from every intended view), its confidence and the yaw.

    The side of a side view comes from where the nose points (the model gets that right far
    more often than the sign of its depth), so the near side is the side the subject faces
    away from: facing image-left means the LEFT side is toward the camera. Confidence is
    measured from the intended view: 1 when squarely on it, falling to 0 at its
    `turn_limit_deg` (for TURNED: rising from 0 there to 1 at 45 deg off), times the share of
    augmented copies that agree.
    """
    yaw = yaw_deg(lms)
    if yaw is None:
        return ViewName.FRONT, 0.0, None
    nearest = name_from_yaw(yaw)
    if nearest.is_sagittal:
        nearest = ViewName.LEFT if facing_x_2d(lms) < 0 else ViewName.RIGHT
        # the facing direction fixes the sign: a left view is yaw +90
        yaw = abs(yaw) if nearest is ViewName.LEFT else -abs(yaw)
    intended = nearest.intended_yaw_deg
    assert intended is not None
    off = abs(angle_difference_deg(yaw, intended))
    limit = turn_limit_deg(nearest)
    name = ViewName.TURNED if off > limit else nearest
    if name is ViewName.TURNED:
        closeness = min(1.0, (off - limit) / (FRONTAL_TURN_LIMIT_DEG - limit))
    else:
        closeness = 1.0 - off / limit
    yaws = [y for y in (yaw_deg(c) for c in copies or []) if y is not None]
    if yaws:
        # |yaw| against |intended| works for every view: front 0, sides 90, back 180.
        turned = [abs(abs(y) - abs(intended)) > limit for y in yaws]
        agreement = sum(t == (name is ViewName.TURNED) for t in turned) / len(yaws)
    else:
        agreement = 1.0
    return name, max(0.0, min(1.0, closeness)) * agreement, yaw


def classify_view(
    consensus: PoseLandmarks,
    views: list[PoseLandmarks],
    override: str = "auto",
    image_size: tuple[int, int] | None = None,
) -> View:
    """Decide the view from the consensus landmarks; `override` (a view name) wins, but a
    choice that contradicts a confident detection is recorded in `View.contradiction`."""
    if override not in VIEW_CHOICES:
        raise UsageError(f"view must be one of {', '.join(VIEW_CHOICES)}, got {override!r}")
    posture, doubt = _classify_posture(consensus, views, image_size)
    detected, confidence, yaw = decide_view(consensus, views)
    if override == "auto":
        return View(detected, posture, confidence, "auto", yaw, posture_doubt=doubt)
    chosen = ViewName(override)
    contradiction = None
    if chosen is not detected and confidence >= CONTRADICTION_MIN_CONFIDENCE:
        what = f"turned {abs(yaw or 0.0):.0f} deg from the camera" if detected is ViewName.TURNED else f"a {detected.value} view"
        contradiction = f"you chose {chosen.value}, but the landmarks show {what} (confidence {confidence:.2f})"
    return View(chosen, posture, 1.0, "user", yaw, contradiction, doubt)


def _classify_posture(
    lms: PoseLandmarks, copies: list[PoseLandmarks], image_size: tuple[int, int] | None
) -> tuple[Posture, str | None]:
    """Seated or standing, and why it could not be told (None when it could). Unknown is
    read as standing, so the stance check still looks at the knees."""
    knees = (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE)
    knees_visible = max(lms.visibility[k] for k in knees) >= 0.6
    if image_size is not None:
        w, h = image_size
        knees_visible = knees_visible and any(0 <= lms.xy[k, 0] <= w and 0 <= lms.xy[k, 1] <= h for k in knees)
    thigh = thigh_angle_deg(lms)
    if thigh is None or not knees_visible:
        return Posture.STANDING, "legs not visible enough to tell sitting from standing: assumed standing"
    seated = thigh >= SEATED_THIGH_DEG
    sides = [a >= SEATED_THIGH_DEG for a in map(thigh_angle_deg, copies) if a is not None]
    if sides and sum(s == seated for s in sides) < POSTURE_MIN_AGREEMENT * len(sides):
        return Posture.STANDING, (
            f"sitting could not be told from standing (thighs read {thigh:.0f}° from vertical, near the "
            f"{SEATED_THIGH_DEG:.0f}° line between them; a squat, a perch or a high camera does this): "
            "assumed standing, so bent knees are checked"
        )
    return (Posture.SEATED if seated else Posture.STANDING), None
