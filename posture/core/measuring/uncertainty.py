"""What a measure's uncertainty covers, and how the set-up adds to it.

A photo's reading is uncertain for reasons the augmented copies cannot see: copies share
the camera's roll and pitch, the body's yaw and the body-proportion scale, so their spread
(repeatability) says nothing about those. Each is added here as its own term,

    u = sqrt(repeatability^2 + sum_i (d value / d setup_i * sd_i)^2 + (scale_error * value)^2),

with the sensitivities found by moving the landmarks exactly as that set-up error would
(rotating them about the principal point for roll, a pitch homography for pitch, the yaw
fed to the perspective correction for yaw, each landmark moved by BlazePose's placement
error), so each measure's dependence comes from its own definition: a joint angle does
not move with roll, a tilt moves degree for degree.
A floor per unit keeps any value from claiming +-0.

Not covered: the offset between BlazePose's points and anatomical landmarks (its shoulder
is the joint centre, not the acromion; see docs/measures.md), clothing, and the client's sway
between photos.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from posture.core.body.landmarks import Landmark
from posture.core.image.camera import CameraTilt

from . import geometry as g
from .measures import SCALE_REL_ERROR, Measure, MeasureContext, MeasureSpec, value_of

FloatArray = npt.NDArray[np.float64]

#: Step for the numerical derivatives, degrees (small against every limit, large against
#: floating-point noise).
STEP_DEG = 0.5
#: Hand-held camera, level unknown: SD of its roll. Phone photos taken "level" by eye are
#: typically within a few degrees; 2 deg is our stated assumption, not a measurement.
UNKNOWN_ROLL_SD_DEG = 2.0
#: Pitch unknown: a camera held anywhere from hip to eye height 2-4 m away points within
#: about +-10 deg of level (SD).
UNKNOWN_PITCH_SD_DEG = 10.0


def pitch_unknown(camera: CameraTilt) -> bool:
    """A stated level (or roll) whose pitch the scene did not give either: `gravity` gives it
    the unknown pitch's SD."""
    return (camera.pitch_sd_deg or 0.0) >= UNKNOWN_PITCH_SD_DEG
#: BlazePose's body yaw (from its 3-D world landmarks): SD of its error. Against the
#: four-camera reference (frame 5) it was off by 5.0, 1.6, 2.7 and 7.1 deg (RMS 4.6); 6 deg.
YAW_SD_DEG = 6.0
#: Where BlazePose places a landmark against where it is on the body, beyond what varies
#: between augmented copies: SD per coordinate, in torso lengths (mid-hip to mid-shoulder),
#: growing with the body's turn from the view's square yaw as `square + turned * sin^2(off)`.
#: Measured for the frontal views' ears, shoulders and hips on the four-camera reference with
#: the set-up known exactly (the calibration's roll, pitch and yaw): each view's remaining
#: tilt error against the triangulated truth, as the per-point SD that explains it, fitted and
#: rounded up (`benchmarks/placement.py` prints the data and the fit; views 12-45 deg off
#: square, cameras 18-25 deg above: conservative for a hip-height camera, which it did not
#: see). Ears are placed far more consistently than the torso's joints (0.15-0.5 %), hips
#: worst and worse the more the body is turned (1.7 % at 12 deg, 7 % at 45 deg).
@dataclass(frozen=True)
class PlacementSD:
    """A landmark's placement SD (torso lengths per coordinate) as the body turns from square."""

    square: float
    turned: float

    def at(self, off_square_deg: float) -> float:
        return self.square + self.turned * math.sin(math.radians(off_square_deg)) ** 2


_EARS = PlacementSD(0.002, 0.006)
_SHOULDERS = PlacementSD(0.016, 0.015)
_HIPS = PlacementSD(0.016, 0.10)
FRONTAL_PLACEMENT: dict[Landmark, PlacementSD] = {
    Landmark.LEFT_EAR: _EARS, Landmark.RIGHT_EAR: _EARS,
    Landmark.LEFT_SHOULDER: _SHOULDERS, Landmark.RIGHT_SHOULDER: _SHOULDERS,
    Landmark.LEFT_HIP: _HIPS, Landmark.RIGHT_HIP: _HIPS,
}
#: Every other landmark, and every landmark in a side view: not measured (no reference sees
#: them), the assumption of 1.5 % of the torso, the shoulders' value seen square.
ASSUMED_PLACEMENT = PlacementSD(0.015, 0.0)


def placement_sd(lm: Landmark, ctx: MeasureContext) -> float:
    """The placement SD of `lm` (torso lengths per coordinate) in this view at this yaw."""
    if not ctx.view.name.is_frontal:
        return ASSUMED_PLACEMENT.at(0.0)
    return FRONTAL_PLACEMENT.get(lm, ASSUMED_PLACEMENT).at(off_square_deg(ctx))


def off_square_deg(ctx: MeasureContext) -> float:
    """How far the body (at the context's yaw) is turned from its view's square yaw; 0 unknown."""
    return ctx.view.name.off_square_deg(ctx.yaw_deg) or 0.0


#: No reading is known better than this (per unit).
FLOOR = {"deg": 0.5, "cm": 0.5, "% torso": 0.5, "% height": 0.3}


@dataclass(frozen=True)
class SetupSpread:
    """The SDs of the set-up quantities a photo's measures depend on."""

    roll_sd_deg: float
    pitch_sd_deg: float
    yaw_sd_deg: float = YAW_SD_DEG

    @classmethod
    def for_camera(cls, camera: CameraTilt, levelled: bool) -> SetupSpread:
        """The camera's own SDs when the landmarks were levelled by it; else the hand-held
        assumptions (its level unknown)."""
        if levelled:
            return cls(camera.roll_sd_deg or 0.0, camera.pitch_sd_deg or 0.0)
        return cls(UNKNOWN_ROLL_SD_DEG, UNKNOWN_PITCH_SD_DEG)


def rotate_about(xy: FloatArray, angle_deg: float, centre: tuple[float, float]) -> FloatArray:
    return g.rotate_points(xy, angle_deg, centre)


def pitch_points(xy: FloatArray, angle_deg: float, focal_px: float, centre: tuple[float, float]) -> FloatArray:
    """Where the points would be had the camera pitched by `angle_deg` more (homography K R K^-1)."""
    t = math.radians(angle_deg)
    c, s = math.cos(t), math.sin(t)
    k = np.array([[focal_px, 0.0, centre[0]], [0.0, focal_px, centre[1]], [0.0, 0.0, 1.0]])
    r = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    h = k @ r @ np.linalg.inv(k)
    pts = np.hstack([xy, np.ones((len(xy), 1))]) @ h.T
    return np.asarray(pts[:, :2] / pts[:, 2:3], dtype=np.float64)


def _slope(spec: MeasureSpec, plus: FloatArray | None, minus: FloatArray | None,
           ctx_plus: MeasureContext, ctx_minus: MeasureContext, xy: FloatArray) -> float:
    a = value_of(spec, xy if plus is None else plus, ctx_plus)
    b = value_of(spec, xy if minus is None else minus, ctx_minus)
    if a is None or b is None:
        return 0.0
    return (a - b) / (2 * STEP_DEG)


def landmark_term(spec: MeasureSpec, xy: FloatArray, ctx: MeasureContext,
                  sd: Callable[[Landmark, MeasureContext], float] | None = None) -> float:
    """SD of the value from where BlazePose puts each landmark it uses (error shared by all
    copies of a photo, so their spread cannot show it): each used point moved by its
    placement SD (`sd`, torso lengths; default `placement_sd`) along x and along y, the
    effects added in quadrature."""
    sd = placement_sd if sd is None else sd
    torso = float(np.hypot(*((xy[11] + xy[12]) / 2 - (xy[23] + xy[24]) / 2)))
    if not torso > 0:
        return 0.0
    total = 0.0
    for lm in set(spec.landmarks(ctx)):
        step = sd(lm, ctx) * torso
        for axis in (0, 1):
            plus, minus = xy.copy(), xy.copy()
            plus[int(lm), axis] += step
            minus[int(lm), axis] -= step
            a, b = value_of(spec, plus, ctx), value_of(spec, minus, ctx)
            if a is not None and b is not None:
                total += ((a - b) / 2) ** 2
    return math.sqrt(total)


def _hidden_depth_term(spec: MeasureSpec, ctx: MeasureContext) -> float:
    """SD of the value from the part of the measured line that runs toward the camera, which
    the photo cannot see: a body turned by `off` from square shows `tan(off)` of it as if it
    were side to side (a trunk leaning 5 deg forward, seen 30 deg off square, reads about
    2.9 deg of lateral lean). Zero seen squarely."""
    return math.tan(math.radians(min(off_square_deg(ctx), 60.0))) * spec.hidden_depth_sd_deg


def combine(spec: MeasureSpec, measure: Measure, xy: FloatArray, ctx: MeasureContext, spread: SetupSpread,
            focal_px: float, principal_point: tuple[float, float]) -> Measure:
    """`measure` with its uncertainty widened by the set-up terms (and `parts` saying which).

    `xy`: the consensus landmarks the value was read from (levelled when the camera is known).
    """
    if measure.value is None or measure.uncertainty is None:
        return measure
    parts: list[tuple[str, float]] = [("repeatability", measure.uncertainty)]
    roll = _slope(spec, rotate_about(xy, STEP_DEG, principal_point), rotate_about(xy, -STEP_DEG, principal_point), ctx, ctx, xy)
    pitch = _slope(spec, pitch_points(xy, STEP_DEG, focal_px, principal_point),
                   pitch_points(xy, -STEP_DEG, focal_px, principal_point), ctx, ctx, xy)
    parts += [("camera roll", abs(roll) * spread.roll_sd_deg), ("camera pitch", abs(pitch) * spread.pitch_sd_deg)]
    if ctx.yaw_deg is not None:
        yaw = _slope(spec, None, None, replace(ctx, yaw_deg=ctx.yaw_deg + STEP_DEG), replace(ctx, yaw_deg=ctx.yaw_deg - STEP_DEG), xy)
        parts.append(("body yaw", abs(yaw) * spread.yaw_sd_deg))
        if spec.line_turn is not None:
            # `yaw` is the line's slope against the body's yaw, of which the line takes half.
            parts.append(("head turned on the body", abs(yaw) * 2 * spec.line_turn.yaw_sd_deg(off_square_deg(ctx))))
    parts.append(("landmark placement", landmark_term(spec, xy, ctx)))
    parts.append(("depth toward the camera", _hidden_depth_term(spec, ctx)))
    if spec.unit == "cm":
        parts.append(("body scale", abs(measure.value) * SCALE_REL_ERROR))
    total = math.sqrt(sum(sd * sd for _, sd in parts))
    floor = FLOOR.get(spec.unit, 0.5)
    if total < floor:
        parts.append(("floor", floor))
        total = floor
    kept = tuple((name, sd) for name, sd in parts if sd >= 0.05 or name == "repeatability")
    return replace(measure, uncertainty=total, parts=kept)
