"""Front and back from one camera: the frontal tilts of the two photos fused.

The intake asks for a front and a back photo. Taken with the camera untouched while the
client turns round in place (feet as before), the camera's roll and the first-order
perspective error enter the two readings with opposite signs: in the front photo the
subject's left is on the image's right, in the back photo on its left, while the camera's
error stays with the image. So the mean of the two readings (each in the subject's own
terms: positive = the subject's left higher) cancels that error and needs no level and no
scene lines, and half their difference measures it.

Both photos are read as drawn (no levelling): the levelling would correct each photo with its
own estimate, and the two corrections need not match. `pair_problem` says why two photos
cannot be fused (not a front and a back, not the same camera set-up, not the same stance).
Pure: assessments (and an optional measured rotation between the shots) in, values out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from posture.core.assessment import Assessment
from posture.core.body.landmarks import MIN_VISIBILITY
from posture.core.body.views import ViewName
from posture.core.image.background import background_shift
from posture.core.image.imaging import BGRImage
from posture.core.measuring import geometry as g
from posture.core.measuring.gates import withheld_for_the_camera_only
from posture.core.measuring.measures import MEASURES, MeasureContext, value_of
from posture.core.measuring.setup import Status

#: The two photos' body heights (nose to ankles) may differ by this share: the client turned
#: round in place, so the camera's distance to the body is the same.
MAX_HEIGHT_CHANGE = 0.08
#: The feet may move by this share of the body's height between the shots ("feet as before").
MAX_FEET_SHIFT = 0.10
#: Rotation between the two shots (a camera nudged), degrees: beyond it the pair is refused;
#: within it, a rotation measured from the background is taken out.
MAX_CAMERA_ROTATION_DEG = 5.0
#: What the pair leaves (SD, degrees): second-order perspective from the body's own depth
#: (ears and shoulders are not on the axis it turns about). A perfect detector's front and back
#: photos through the four calibrated cameras (12 to 36° off square, pitch 17 to 21° down;
#: benchmarks/reference.py) left at most 1.3° (head), 0.2° (shoulders), 0.1° (hips): each SD
#: is half of that, rounded up, so that ± 2 SD covers it.
PAIR_RESIDUAL_SD = {"head_tilt_deg": 0.7, "shoulder_tilt_deg": 0.2, "hip_tilt_deg": 0.1}


@dataclass(frozen=True)
class FusedValue:
    """A frontal measure from a front and a back photo together."""

    name: str
    unit: str
    value: float | None
    uncertainty: float | None
    #: Half the difference of the two readings: what the camera and perspective put into each.
    setup_error: float | None
    front: float | None
    back: float | None
    reason: str | None = None


@dataclass(frozen=True)
class FrontBackPair:
    values: dict[str, FusedValue]
    #: Why the two photos were not fused (None: they were).
    problem: str | None = None
    #: The camera's rotation between the shots, measured from the background and taken out
    #: (None: not measured; the camera is then assumed untouched).
    rotation_deg: float | None = None


def pair_problem(front: Assessment, back: Assessment, rotation_deg: float | None = None) -> str | None:
    """Why `front` and `back` cannot be fused, in words, or None."""
    if front.view.name is not ViewName.FRONT or back.view.name is not ViewName.BACK:
        return f"needs a front and a back photo (these are {front.view.name.value} and {back.view.name.value})"
    if (front.image.width, front.image.height) != (back.image.width, back.image.height):
        return "the two photos differ in size: not the same camera set-up"
    if front.view.posture is not back.view.posture:
        return f"standing in one photo and seated in the other ({front.view.posture.value} vs {back.view.posture.value})"
    for a, which in ((front, "front"), (back, "back")):
        stance = a.setup.check("stance") if a.setup is not None else None
        if stance is not None and stance.status is Status.RETAKE:
            return f"the {which} photo's stance is not neutral ({stance.reading})"
        yaw = a.setup.check("yaw") if a.setup is not None else None
        if yaw is not None and yaw.status is Status.RETAKE and yaw.withholds_all:
            return f"the {which} photo is turned too far from square ({yaw.reading})"
    hf, hb = front.landmarks.head_to_feet_px(), back.landmarks.head_to_feet_px()
    if min(hf, hb) <= 0 or abs(hf - hb) / max(hf, hb) > MAX_HEIGHT_CHANGE:
        return (f"the body fills the two photos differently ({hf:.0f} vs {hb:.0f} px tall): "
                "the camera moved, or the client stepped toward it")
    shift = float(np.hypot(*(front.landmarks.middle("ANKLE") - back.landmarks.middle("ANKLE")))) / max(hf, hb)
    if shift > MAX_FEET_SHIFT:
        return (f"the feet moved by {shift:.0%} of the body's height between the photos: "
                "turn round in place, feet as before")
    if rotation_deg is not None and abs(rotation_deg) > MAX_CAMERA_ROTATION_DEG:
        return f"the camera turned {abs(rotation_deg):.1f}° between the photos (measured from the background)"
    return None


def camera_turn(front: Assessment, front_bgr: BGRImage, back: Assessment, back_bgr: BGRImage) -> float | None:
    """How far the back photo's background is turned from the front photo's (counter-clockwise
    as displayed positive), the two people left out; None when it cannot be told. The images
    are the photos as loaded: each is oriented as its assessment read it first."""
    f, b = front.image.orient(front_bgr), back.image.orient(back_bgr)
    if f.shape != b.shape:
        return None
    shift = background_shift(f, b, [front.landmarks.bbox(MIN_VISIBILITY), back.landmarks.bbox(MIN_VISIBILITY)])
    return None if shift is None else shift.rotation_deg


def first_front_and_back(assessments: Sequence[Assessment]) -> tuple[int, int] | None:
    """The indices of a session's first front and first back photo: the pair it fuses."""
    front = next((i for i, a in enumerate(assessments) if a.view.name is ViewName.FRONT), None)
    back = next((i for i, a in enumerate(assessments) if a.view.name is ViewName.BACK), None)
    return None if front is None or back is None else (front, back)


def front_back_turn(assessments: list[Assessment], photos: list[BGRImage]) -> float | None:
    """`camera_turn` between the first front and the first back photo of a session (photos as
    loaded, in the order of `assessments`); None without both, or when it cannot be told."""
    pair = first_front_and_back(assessments)
    if pair is None:
        return None
    front, back = pair
    return camera_turn(assessments[front], photos[front], assessments[back], photos[back])


def _as_drawn(a: Assessment, name: str, unrotate_deg: float = 0.0) -> float | None:
    """The reading on the photo as drawn; `unrotate_deg`: the photo's content turned back by
    this much first (counter-clockwise as displayed is positive)."""
    xy = a.landmarks.xy
    if unrotate_deg:
        xy = g.rotate_points(xy, -unrotate_deg, ((a.image.width - 1) / 2, (a.image.height - 1) / 2))
    return value_of(MEASURES[name], xy, MeasureContext(a.view))  # no camera in the context: as drawn


def _noise(a: Assessment, name: str) -> float | None:
    """The part of a reading's ± that the pair does not cancel: the model's repeatability and
    where it places the landmarks (camera and perspective terms cancel)."""
    m = a.measures.get(name)
    if m is None or m.uncertainty is None:
        return None
    parts = dict(m.parts)
    if not parts:  # a record without its parts: all of its ± counts
        return m.uncertainty
    return math.hypot(parts.get("repeatability", 0.0), parts.get("landmark placement", 0.0), parts.get("floor", 0.0))


def fuse(front: Assessment, back: Assessment, rotation_deg: float | None = None) -> FrontBackPair:
    """The frontal tilts of a front and a back photo of one stance from one camera, fused.

    `rotation_deg`: how far the back photo's content is turned from the front photo's
    (counter-clockwise as displayed positive: a camera nudged between the shots), taken out of
    the back photo before it is read."""
    names = MEASURES.fusing_front_back()
    problem = pair_problem(front, back, rotation_deg)
    if problem is not None:
        return FrontBackPair({n: FusedValue(n, MEASURES[n].unit, None, None, None, None, None, problem) for n in names},
                             problem, rotation_deg)
    values: dict[str, FusedValue] = {}
    for name in names:
        # A measure withheld for what the pair cannot cancel (raised arms, an unstable reading,
        # a doubted view...) is not fused either; one withheld for the camera alone is.
        kept = [(which, m) for which, m in (("front", front.measures.get(name)), ("back", back.measures.get(name)))
                if m is not None and m.value is None and not withheld_for_the_camera_only(m.reason)]
        if kept:
            which, m = kept[0]
            values[name] = FusedValue(name, MEASURES[name].unit, None, None, None, None, None,
                                      f"withheld in the {which} photo: {m.reason}")
            continue
        f, b = _as_drawn(front, name), _as_drawn(back, name, rotation_deg or 0.0)
        nf, nb = _noise(front, name), _noise(back, name)
        unit = MEASURES[name].unit
        if f is None or b is None or nf is None or nb is None:
            why = "not read in both photos" if f is None or b is None else "no uncertainty in both photos"
            values[name] = FusedValue(name, unit, None, None, None, f, b, why)
            continue
        u = math.hypot(math.hypot(nf, nb) / 2, PAIR_RESIDUAL_SD.get(name, 0.0))
        values[name] = FusedValue(name, unit, (f + b) / 2, u, (f - b) / 2, f, b)
    return FrontBackPair(values, None, rotation_deg)
