"""Set-up checks for one photo: is this photo fit to measure posture from?

Each check says ok / caution / retake, what was seen in plain words, and the fix. The
checks look at the set-up, not at the client's posture: how the body is turned to the
camera (yaw), how the camera is held (roll, pitch, height), framing, stance, sharpness and
exposure. Each measure declares which checks' "retake" withholds it (`MeasureSpec.withheld_by`); the rest of the set-up's
effect (roll, pitch and yaw uncertainty) is added to each measure's uncertainty instead
(see `assessment.py`), so that no finding can come from set-up error alone.

Pure: landmarks, the view, the camera estimate and image statistics in; no model, no UI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from posture.core.body.landmarks import MIN_VISIBILITY, Landmark, PoseLandmarks
from posture.core.body.views import Posture, View, ViewName, angle_difference_deg, turn_limit_deg
from posture.core.image.camera import CameraTilt, LineSegment
from posture.core.image.imaging import BGRImage

from .measure_spec import ARMS_CHECK, STANCE_CHECK, MeasureContext, MeasureSpec
from .measures import MEASURES
from .uncertainty import pitch_unknown

FloatArray = npt.NDArray[np.float64]


class Status(str, Enum):
    OK = "ok"
    CAUTION = "caution"
    RETAKE = "retake"

    @property
    def rank(self) -> int:
        return {"ok": 0, "caution": 1, "retake": 2}[self.value]


@dataclass(frozen=True)
class SetupCheck:
    key: str
    label: str
    status: Status
    reading: str  # what was seen, in words
    fix: str = ""  # what to do about it ("" when ok)
    #: A "retake" that makes the whole photo unfit to measure (a body turned off the view, a
    #: steep camera, a body too small): every measure is withheld, not only those that
    #: declare this check in `MeasureSpec.withheld_by`.
    withholds_all: bool = False
    #: The measures a "retake" withholds by what the check saw (camera height: those whose
    #: parts lie too far from the horizon), besides those that declare it in `withheld_by`.
    withholds: tuple[str, ...] = ()

    @property
    def advice(self) -> str:
        """The fix, said as what it is: a retake's "fix: …" (the photo is unfit for what it
        withholds), a caution's "next time: …" (the photo was measured, its set-up corrected
        for); "" without a fix."""
        if not self.fix:
            return ""
        return f"{'fix' if self.status is Status.RETAKE else 'next time'}: {self.fix}"

    def withheld(self) -> tuple[str, ...]:
        """The measures this check withholds: none unless it says "retake"."""
        if self.status is not Status.RETAKE:
            return ()
        if self.withholds_all:
            return MEASURES.names()
        return tuple(dict.fromkeys(MEASURES.withheld_by(self.key) + self.withholds))

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "label": self.label, "status": self.status.value, "reading": self.reading, "fix": self.fix,
                "withholds_all": self.withholds_all, "withholds": list(self.withholds)}


@dataclass(frozen=True)
class Setup:
    checks: tuple[SetupCheck, ...]
    camera: CameraTilt
    #: True when the photo was marked as a mirrored selfie and flipped back.
    mirrored: bool = False

    @property
    def status(self) -> Status:
        return max((c.status for c in self.checks), key=lambda s: s.rank, default=Status.OK)

    def check(self, key: str) -> SetupCheck | None:
        return next((c for c in self.checks if c.key == key), None)

    def failed(self, key: str) -> bool:
        c = self.check(key)
        return c is not None and c.status is Status.RETAKE

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Setup:
        """A stored set-up (what `to_dict` wrote); the camera keeps its numbers, not its lines."""
        checks = tuple(
            SetupCheck(c["key"], c["label"], Status(c["status"]), c["reading"], c.get("fix", ""),
                       bool(c.get("withholds_all", False)), tuple(c.get("withholds", ())))
            for c in data.get("checks", [])
        )
        cam = data.get("camera") or {}
        size = tuple(cam.get("image_size") or (0, 0))
        pp = tuple(cam.get("principal_point") or (0.0, 0.0))
        lines = tuple(LineSegment(*map(float, seg)) for seg in data.get("camera_lines", []))
        vp = cam.get("vanishing_point")
        camera = CameraTilt(
            cam.get("status", "unknown"), cam.get("roll_deg"), cam.get("pitch_deg"), cam.get("roll_sd_deg"),
            cam.get("pitch_sd_deg"), float(cam.get("focal_px", 0.0)), str(cam.get("focal_source", "")),
            (float(pp[0]), float(pp[1])), lines, None if vp is None else (float(vp[0]), float(vp[1]), float(vp[2])),
            str(cam.get("reason", "")), (int(size[0]), int(size[1])),
        )
        return cls(checks, camera, bool(data.get("mirrored", False)))

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status.value,
            "checks": [c.to_dict() for c in self.checks],
            "camera": self.camera.to_dict(),
            # the lines taken as vertical, so a stored record can still show them
            "camera_lines": [[round(v, 1) for v in (g.x0, g.y0, g.x1, g.y1)] for g in self.camera.lines],
            "mirrored": self.mirrored,
        }


# --- limits (docs/measures.md "Set-up limits" derives them)------------------------------------------

#: Body yaw off the intended view: up to 15 deg a frontal tilt moves by under ~1 deg for a
#: camera within 15 deg of the shoulders' height; beyond 30 deg a retake (a side view becomes
#: TURNED; a front or back view keeps only the measures that hold to 45 deg).
YAW_OK_DEG = 15.0
YAW_RETAKE_DEG = 30.0
#: Camera pitch: levelled out, but a steep camera foreshortens the body and magnifies yaw
#: errors (the perspective term grows with the angle below the horizon).
PITCH_OK_DEG = 10.0
PITCH_RETAKE_DEG = 30.0
#: Angle below/above the horizon of the shoulders and hips (levelled view): the frontal
#: tilt error from a yaw error dpsi is about tan(angle) * dpsi.
DEPRESSION_OK_DEG = 10.0
DEPRESSION_CAUTION_DEG = 20.0
#: Body height in pixels: BlazePose looks at a 256-px crop; below ~300 px of body a landmark
#: pixel is a large fraction of a degree over a shoulder width.
BODY_PX_OK = 400
BODY_PX_RETAKE = 200
#: A body at least this share of the photo's height fills the frame (head to feet with a margin).
FILLS_FRAME = 0.6
#: Landmarks closer than this share of the photo to its edge are "at the edge".
EDGE_MARGIN = 0.02
#: Stance: a knee is bent when hip-to-ankle is under this share of thigh + shank in the photo
#: AND BlazePose's 3-D knee flexion exceeds KNEE_BENT_DEG (quiet standing is 0-10 deg). On
#: the real photos the squat frame reads 0.88 / 0.94 (3-D 68 / 63 deg) and every standing
#: photo 0.995 or more; the thigh's length against the shank does not separate them (0.53-0.97
#: standing from a high camera, 0.72 squatting), nor does 3-D depth alone (94 deg on a
#: standing woman seen from above), so both signs must agree.
KNEE_STRAIGHT_RATIO = 0.97
KNEE_BENT_DEG = 25.0
#: One foot raised: the two soles' heights (a sole is the lowest of the foot's ankle, heel and
#: toe: where it would touch the floor, whichever way the foot points) differ by more than this
#: share of the shank (a tree pose puts a foot at knee height: about 1 shank).
#: In 3-D (world landmarks, turned in the photo's plane to the levelled photo's vertical, see
#: `_world_upright`) 0.4; in the photo, where no world landmarks exist, 0.6: a body turned 45°
#: under a camera 20° above it puts the nearer foot lower by depth alone.
#: 3-D sole gaps on the standing photos of tests/data: standing_back_01..05 0.01 0.03 0.04 0.08
#: 0.02, standing_front_03_skier 0.04, _04_tpose 0.14, _05_video 0.02, standing_side_01/02 0.18
#: 0.22, mediapipe_pose_test 0.15, multicam static cam01 0.08-0.09, cam02 0.04, cam03 0.15-0.17,
#: cam04 0.10-0.13 (frames 0, 5, 10), stepping_back_01 (a wide step, both feet down) 0.14: at
#: most 0.22. One foot raised: standing_front_02_tree_pose (shared data, not in the repo) 1.23,
#: running_side_01 1.37. The frame matters: stepping_back_01 read in the camera's frame, its
#: camera's 30° pitch unknown, gave 0.47 (depth seen from above). In the photo the soles of the
#: same standing photos differ by up to 0.58 (static cam03, turned 45° under a high camera).
ONE_FOOT_RAISED_SHANK_3D = 0.4
ONE_FOOT_RAISED_SHANK = 0.6
#: Sharpness (variance of the Laplacian with the body scaled to 500 px tall) and exposure.
SHARPNESS_CAUTION = 15.0
DARK_MEAN = 45.0
BRIGHT_MEAN = 215.0
CLIPPED_SHARE = 0.25

#: The landmarks a whole-body photo must show (framing; the "cut off" warning).
BODY_POINTS = (
    Landmark.NOSE, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP,
    Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE,
)

def _p(lms: PoseLandmarks, lm: Landmark) -> FloatArray:
    return lms.xy[int(lm)]


def _dist(a: FloatArray, b: FloatArray) -> float:
    return float(np.hypot(*(a - b)))


def _turn_words(delta: float) -> str:
    # delta = yaw - intended; positive yaw turns the subject's left side toward the camera,
    # i.e. they have turned to their right, so they should turn back to their left.
    return f"ask the client to turn about {abs(delta):.0f}° to their {'left' if delta > 0 else 'right'}"


def check_yaw(view: View) -> SetupCheck:
    label = "Body turned to the camera"
    if view.yaw_deg is None:
        return SetupCheck("yaw", label, Status.CAUTION, "body rotation unknown (no 3-D landmarks)", "")
    if view.name is ViewName.TURNED:
        return SetupCheck(
            "yaw", label, Status.RETAKE,
            f"body turned {abs(view.yaw_deg):.0f}° from facing the camera: neither a front nor a side view",
            "turn to face the camera squarely (front/back) or turn fully sideways (side view)",
        )
    intended = view.name.intended_yaw_deg
    assert intended is not None
    delta = angle_difference_deg(view.yaw_deg, intended)
    off = abs(delta)
    reading = f"body turned {off:.0f}° from a squarely {view.name.value} view"
    if off <= YAW_OK_DEG:
        return SetupCheck("yaw", label, Status.OK, reading)
    if off <= YAW_RETAKE_DEG:
        return SetupCheck("yaw", label, Status.CAUTION, reading, _turn_words(delta))
    if off <= turn_limit_deg(view.name):
        # A front or back view turned 30-45 deg: the measures that declare they hold there are
        # read (their ± grows with the turn); the others are withheld with this reading.
        read = [spec.label.lower() for spec in _measured_in(view) if spec.max_turn_deg >= off]
        beyond = [spec for spec in _measured_in(view) if spec.max_turn_deg < off]
        return SetupCheck("yaw", label, Status.RETAKE,
                          f"{reading}: only {' and '.join(read)} {'is' if len(read) == 1 else 'are'} read (with the "
                          "wider ± the turn brings); "
                          f"the others need the body within {max(spec.max_turn_deg for spec in beyond):.0f}° and are "
                          "withheld", _turn_words(delta),
                          withholds=tuple(spec.name for spec in beyond))
    return SetupCheck("yaw", label, Status.RETAKE, reading, _turn_words(delta), withholds_all=True)


def check_camera(camera: CameraTilt) -> tuple[SetupCheck, SetupCheck]:
    if camera.status == "stated":
        roll = SetupCheck("roll", "Camera level (roll)", Status.OK, f"stated by the user: roll {camera.roll_text(with_sd=False)}")
        if pitch_unknown(camera):
            # a spirit level (or a stated roll) says nothing of the pitch, and the scene did not either
            return roll, SetupCheck("pitch", "Camera tilt up/down (pitch)", Status.CAUTION,
                                    "camera pitch unknown (a stated level does not give it, and the scene has no "
                                    "vertical lines)", "keep the camera at hip height, pointing straight ahead")
        return roll, _check_pitch(camera, "from the scene")
    if not camera.known:
        fix = "hold the camera level, or put it on a tripod with a spirit level and say so (camera levelled)"
        return (
            SetupCheck("roll", "Camera level (roll)", Status.CAUTION, camera.unknown_text, fix),
            SetupCheck("pitch", "Camera tilt up/down (pitch)", Status.CAUTION, "camera pitch unknown", fix),
        )
    source = "the device's motion sensor" if camera.status == "device" else f"{len(camera.lines)} vertical lines in the scene"
    roll = SetupCheck("roll", "Camera level (roll)", Status.OK, f"camera rolled {camera.roll_text()} (from {source}); corrected")
    return roll, _check_pitch(camera, "from the device's motion sensor" if camera.status == "device" else "")


def _check_pitch(camera: CameraTilt, source: str) -> SetupCheck:
    pitch_deg = camera.pitch_deg or 0.0
    p, way = abs(pitch_deg), "down" if pitch_deg > 0 else "up"
    reading = f"camera points {p:.0f}° {way} ± {camera.pitch_sd_deg or 0:.1f}°{f' ({source})' if source else ''}"
    if p <= PITCH_OK_DEG:
        return SetupCheck("pitch", "Camera tilt up/down (pitch)", Status.OK, f"{reading}; corrected")
    status = Status.CAUTION if p <= PITCH_RETAKE_DEG else Status.RETAKE
    # a retake's reading is also the reason of every withheld measure: "corrected" would contradict it
    reading += "; corrected" if status is Status.CAUTION else f", more than {PITCH_RETAKE_DEG:.0f}°"
    return SetupCheck("pitch", "Camera tilt up/down (pitch)", status, reading,
                      "hold the camera level at the client's hip height, about 3 m away",
                      withholds_all=status is Status.RETAKE)


#: The device's level and the scene's disagree past this (either angle): one of them is off
#: (a moving device, a leaning door frame, the floor's lines taken for verticals).
LEVEL_AGREEMENT_DEG = 2.0


def check_level_agreement(device: CameraTilt, scene: CameraTilt | None) -> SetupCheck | None:
    """The device's level against the scene's lines, when both are known (None otherwise)."""
    if device.status != "device" or scene is None or not scene.known or not device.known:
        return None
    assert device.roll_deg is not None and device.pitch_deg is not None
    assert scene.roll_deg is not None and scene.pitch_deg is not None
    d_roll, d_pitch = device.roll_deg - scene.roll_deg, device.pitch_deg - scene.pitch_deg
    reading = (f"the scene's lines give roll {scene.roll_text()}, pitch {scene.pitch_deg:+.1f}°: "
               f"{abs(d_roll):.1f}° and {abs(d_pitch):.1f}° from the device's sensor").replace("-", "−")
    label = "Device level against the scene"
    if max(abs(d_roll), abs(d_pitch)) <= LEVEL_AGREEMENT_DEG:
        return SetupCheck("level_agreement", label, Status.OK, reading)
    return SetupCheck("level_agreement", label, Status.CAUTION, reading + " (they disagree; the sensor's level is used)",
                      "hold the device still for the shot; check that the lines behind the client are truly vertical")


def check_camera_height(levelled: PoseLandmarks, camera: CameraTilt, view: View) -> SetupCheck:
    """Where the camera is relative to the body: in a levelled view the horizon is the row cy.
    Past DEPRESSION_CAUTION_DEG from the shoulders or the hips it says "retake" and withholds
    the measures of this view whose own parts (the middle of the landmarks each declares) lie
    that far from the horizon, and only those: a camera level with the shoulders but far above
    the hips spoils the hips' readings, not the head's."""
    label = "Camera height"
    if not camera.known:
        return SetupCheck("camera_height", label, Status.CAUTION, "camera height unknown (camera level unknown)", "")
    cy, f = camera.principal_point[1], camera.focal_px

    def below_horizon(points: tuple[Landmark, ...]) -> float:  # + below the horizon: camera above
        y = float(np.mean([_p(levelled, lm)[1] for lm in points]))
        return math.degrees(math.atan2(y - cy, f))

    angles = {"shoulders": below_horizon((Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)),
              "hips": below_horizon((Landmark.LEFT_HIP, Landmark.RIGHT_HIP))}
    ctx = _context(view)
    too_far = tuple(spec.name for spec in _measured_in(view) if abs(below_horizon(spec.landmarks(ctx))) > DEPRESSION_CAUTION_DEG)
    worst_part = max(angles, key=lambda k: abs(angles[k]))
    worst = angles[worst_part]
    where = "above" if worst > 0 else "below"
    reading = f"camera {abs(worst):.0f}° {where} the {worst_part} (shoulders {angles['shoulders']:+.0f}°, hips {angles['hips']:+.0f}°)"
    if too_far and abs(worst) > DEPRESSION_CAUTION_DEG:
        withheld = ", ".join(MEASURES[n].label.lower() for n in too_far)
        return SetupCheck("camera_height", label, Status.RETAKE,
                          f"{reading}: more than {DEPRESSION_CAUTION_DEG:.0f}° from the horizon for {withheld}, withheld",
                          "camera at hip height, about 3 m away", withholds=too_far)
    if abs(worst) <= DEPRESSION_OK_DEG:
        return SetupCheck("camera_height", label, Status.OK, reading)
    if abs(worst) > DEPRESSION_CAUTION_DEG:  # none of this view's measures reads that part
        reading += f": none of this view's measures reads a part more than {DEPRESSION_CAUTION_DEG:.0f}° from the horizon"
    return SetupCheck("camera_height", label, Status.CAUTION, reading, "camera at hip height, about 3 m away")


def _context(view: View) -> MeasureContext:
    """The measure context whose declared landmarks the checks look at (near side of a side view)."""
    return MeasureContext(view, view.near_side if view.name.is_sagittal else "left")


def _measured_in(view: View) -> list[MeasureSpec]:
    return [spec for spec in MEASURES if view.name in spec.views and view.posture in spec.postures]


def check_framing(lms: PoseLandmarks, size: tuple[int, int], view: View | None = None) -> SetupCheck:
    """Whole body in view and big enough. A body cut off withholds the measures of `view`
    that read a landmark outside the photo (and says which)."""
    w, h = size
    label = "Framing"
    outside = [lm for lm in BODY_POINTS if not (0 <= _p(lms, lm)[0] <= w and 0 <= _p(lms, lm)[1] <= h)]
    if outside:
        cut = () if view is None else tuple(
            spec.name for spec in _measured_in(view) if set(spec.landmarks(_context(view))) & set(outside))
        withheld = f"; {', '.join(MEASURES[n].label.lower() for n in cut)} withheld" if cut else ""
        return SetupCheck("framing", label, Status.RETAKE,
                          "body cut off: " + ", ".join(lm.key for lm in outside) + " outside the photo" + withheld,
                          "step back so the whole body, head to feet, is in view", withholds=cut)
    mx, my = EDGE_MARGIN * w, EDGE_MARGIN * h
    edge = [lm.key for lm in BODY_POINTS if not (mx <= _p(lms, lm)[0] <= w - mx and my <= _p(lms, lm)[1] <= h - my)]
    ys = [float(_p(lms, lm)[1]) for lm in BODY_POINTS]
    body_px = max(ys) - min(ys)
    # A body that already fills the frame is small because the photo is: coming closer would cut it off.
    fix = (f"use the camera's full resolution (this photo is {h} px tall: a video frame or a messenger copy?)"
           if body_px >= FILLS_FRAME * h else "come closer to the camera: the body should fill most of the frame")
    if body_px < BODY_PX_RETAKE:
        return SetupCheck("framing", label, Status.RETAKE, f"body only {body_px:.0f} px tall", fix, withholds_all=True)
    if edge:
        return SetupCheck("framing", label, Status.CAUTION, "at the edge of the photo: " + ", ".join(edge),
                          "leave a little space around the body")
    if body_px < BODY_PX_OK:
        return SetupCheck("framing", label, Status.CAUTION, f"body {body_px:.0f} px tall (small)", fix)
    return SetupCheck("framing", label, Status.OK, f"whole body in view, {body_px:.0f} px tall")


def check_stance(lms: PoseLandmarks, view: View) -> tuple[SetupCheck, SetupCheck]:
    """Standing on both feet with knees straight (or seated), and where the arms are."""
    label = "Stance"
    if view.posture is Posture.SEATED:
        stance = SetupCheck(STANCE_CHECK, label, Status.OK, "seated")
    else:
        legs = []
        for side in ("LEFT", "RIGHT"):
            hip, knee, ankle = (_p(lms, Landmark[f"{side}_{p}"]) for p in ("HIP", "KNEE", "ANKLE"))
            thigh, shank = _dist(hip, knee), _dist(knee, ankle)
            straight = _dist(hip, ankle) / (thigh + shank) if thigh + shank > 0 else 1.0
            # Seen from the front a bent knee shows as a short thigh (it points at the camera)
            # more than as a kink; the 3-D knee angle, where known, says it directly.
            bent_3d = _knee_flexion_3d(lms, side)
            is_bent = straight < KNEE_STRAIGHT_RATIO and (bent_3d is None or bent_3d > KNEE_BENT_DEG)
            legs.append((side.lower(), is_bent, float(ankle[1])))
        bent = [s for s, is_bent, _ in legs if is_bent]
        if _foot_raised(lms):
            stance = SetupCheck(STANCE_CHECK, label, Status.RETAKE,
                                "standing on one leg (one foot raised): not a neutral stance" + _withheld_words(STANCE_CHECK, view),
                                "stand on both feet, hip-width apart, weight even")
        elif len(bent) == 2:
            stance = SetupCheck(STANCE_CHECK, label, Status.RETAKE,
                                "both knees bent (squat or crouch): not a neutral stance" + _withheld_words(STANCE_CHECK, view),
                                "stand tall with knees straight")
        elif bent:
            stance = SetupCheck(STANCE_CHECK, label, Status.CAUTION, f"{bent[0]} knee bent", "stand with both knees straight")
        else:
            stance = SetupCheck(STANCE_CHECK, label, Status.OK, "standing on both feet, knees straight")
    arms = _check_arms(lms, view)
    return stance, arms


#: Each foot's points: the lowest of them is its sole (image and world y point down).
FOOT_POINTS = {side: tuple(int(Landmark[f"{side}_{p}"]) for p in ("ANKLE", "HEEL", "FOOT_INDEX"))
               for side in ("LEFT", "RIGHT")}
#: The body's frame, by which the world landmarks are turned to the photo's vertical.
_FRAME_POINTS = tuple(int(Landmark[f"{side}_{p}"]) for side in ("LEFT", "RIGHT")
                      for p in ("SHOULDER", "HIP", "KNEE", "ANKLE"))


def sole_gap_shanks(lms: PoseLandmarks) -> tuple[float, float] | None:
    """How far one sole is above the other, in shanks, and the limit past which a foot is
    raised: by the world landmarks where known, else in the photo; None without a shank."""
    points, limit = (_world_upright(lms), ONE_FOOT_RAISED_SHANK_3D) if lms.world is not None \
        else (lms.xy, ONE_FOOT_RAISED_SHANK)
    shank = min(float(np.linalg.norm(points[int(Landmark[f"{s}_KNEE"])] - points[int(Landmark[f"{s}_ANKLE"])]))
                for s in ("LEFT", "RIGHT"))
    if not shank > 0:
        return None
    left, right = (max(float(points[i][1]) for i in FOOT_POINTS[side]) for side in ("LEFT", "RIGHT"))
    return abs(left - right) / shank, limit


def _foot_raised(lms: PoseLandmarks) -> bool:
    gap = sole_gap_shanks(lms)
    return gap is not None and gap[0] > gap[1]


def _world_upright(lms: PoseLandmarks) -> FloatArray:
    """The world landmarks turned about the camera's axis so that their layout in the photo's
    plane matches the (levelled) photo's: BlazePose's world "down" follows the body, so a
    trunk tilted sideways tilts it too and a foot raised out to the side reads level."""
    assert lms.world is not None
    a = lms.world[list(_FRAME_POINTS), :2]
    b = lms.xy[list(_FRAME_POINTS)]
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    angle = math.atan2(float(np.sum(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])), float(np.sum(a * b)))
    c, s = math.cos(angle), math.sin(angle)
    out = np.array(lms.world, dtype=np.float64)
    out[:, :2] = lms.world[:, :2] @ np.array([[c, s], [-s, c]])
    return out


def _knee_flexion_3d(lms: PoseLandmarks, side: str) -> float | None:
    """Knee flexion (0 straight) from BlazePose's 3-D world landmarks, degrees."""
    if lms.world is None:
        return None
    hip, knee, ankle = (lms.world[int(Landmark[f"{side}_{p}"])] for p in ("HIP", "KNEE", "ANKLE"))
    u, v = hip - knee, ankle - knee
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu == 0 or nv == 0:
        return None
    return 180.0 - math.degrees(math.acos(max(-1.0, min(1.0, float(u @ v) / (nu * nv)))))


def _withheld_words(check: str, view: View) -> str:
    """"; shoulder tilt, head tilt withheld": the measures of `view` that declare `check`."""
    names = [spec.label.lower() for spec in _measured_in(view) if check in spec.withheld_by]
    if not names:
        return f"; no {view.name.value} view measure depends on it"
    return f"; {', '.join(names)} withheld" if len(names) < len(_measured_in(view)) else "; every measure withheld"


def _check_arms(lms: PoseLandmarks, view: View) -> SetupCheck:
    label = "Arms"
    nose_y = float(_p(lms, Landmark.NOSE)[1])
    shoulder_y = float((_p(lms, Landmark.LEFT_SHOULDER)[1] + _p(lms, Landmark.RIGHT_SHOULDER)[1]) / 2)
    wrists = [float(_p(lms, lm)[1]) for lm in (Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST)]
    if min(wrists) < nose_y:
        return SetupCheck(ARMS_CHECK, label, Status.RETAKE,
                          "an arm is raised above the head: this lifts the shoulder" + _withheld_words(ARMS_CHECK, view),
                          "let the arms hang relaxed at the sides")
    torso = abs(float((_p(lms, Landmark.LEFT_HIP)[1] + _p(lms, Landmark.RIGHT_HIP)[1]) / 2) - shoulder_y)
    if min(wrists) < shoulder_y + 0.25 * torso:
        # in the photo alone a hand held up in front (papers, a phone) looks like an arm raised out
        # to the side: the words cover both
        return SetupCheck(ARMS_CHECK, label, Status.CAUTION, "a hand at chest height or above (arms held up in front "
                          "or out to the side, e.g. a T-pose)",
                          "let the arms hang relaxed at the sides")
    return SetupCheck(ARMS_CHECK, label, Status.OK, "arms down")


def check_image(bgr: BGRImage, lms: PoseLandmarks) -> tuple[SetupCheck, SetupCheck]:
    """Sharpness and exposure of the body region."""
    h, w = bgr.shape[:2]
    x0, y0, x1, y1 = lms.bbox(min_visibility=MIN_VISIBILITY)
    xa, ya = max(0, int(x0)), max(0, int(y0))
    xb, yb = min(w, int(math.ceil(x1))), min(h, int(math.ceil(y1)))
    if xb - xa < 8 or yb - ya < 8:
        xa, ya, xb, yb = 0, 0, w, h
    crop = cv2.cvtColor(bgr[ya:yb, xa:xb], cv2.COLOR_BGR2GRAY)
    scale = 500.0 / crop.shape[0]
    crop = cv2.resize(crop, (max(8, round(crop.shape[1] * scale)), 500), interpolation=cv2.INTER_AREA)
    sharp = float(cv2.Laplacian(crop, cv2.CV_64F).var())
    sharpness = (
        SetupCheck("sharpness", "Sharpness", Status.OK, f"sharp enough (detail {sharp:.0f})")
        if sharp >= SHARPNESS_CAUTION
        else SetupCheck("sharpness", "Sharpness", Status.CAUTION, f"the body looks blurred (detail {sharp:.0f})",
                        "hold still, use more light, or tap to focus on the client")
    )
    mean = float(crop.mean())
    clipped = float(np.mean((crop <= 5) | (crop >= 250)))
    if mean < DARK_MEAN:
        exposure = SetupCheck("exposure", "Exposure", Status.CAUTION, f"dark (mean brightness {mean:.0f}/255)", "add light in front of the client")
    elif mean > BRIGHT_MEAN or clipped > CLIPPED_SHARE:
        exposure = SetupCheck("exposure", "Exposure", Status.CAUTION, f"over-exposed or backlit ({clipped:.0%} of the body clipped)",
                              "avoid a bright window behind the client")
    else:
        exposure = SetupCheck("exposure", "Exposure", Status.OK, f"well exposed (mean brightness {mean:.0f}/255)")
    return sharpness, exposure


def live_checks(levelled: PoseLandmarks, view: View, camera: CameraTilt) -> tuple[SetupCheck, ...]:
    """The checks that withhold on a live frame as on a photo: the camera's pitch and height
    (from the scene, re-read every few seconds) and the arms. Not the body's turn: a desk
    worker sitting obliquely is monitored in the nearest view, their own baseline absorbing
    the offset; nor framing and stance, made for a standing whole body."""
    _, pitch = check_camera(camera)
    return pitch, check_camera_height(levelled, camera, view), _check_arms(levelled, view)


def assess_setup(
    bgr: BGRImage,
    lms: PoseLandmarks,
    levelled: PoseLandmarks,
    view: View,
    camera: CameraTilt,
    *,
    mirrored: bool = False,
    scene: CameraTilt | None = None,
) -> Setup:
    """All checks for one photo. `lms` in photo pixels, `levelled` after levelling (the
    same landmarks when the camera is unknown); `scene`: the scene's own estimate when the
    camera's level came from the device (cross-checked)."""
    size = (bgr.shape[1], bgr.shape[0])
    roll, pitch = check_camera(camera)
    agreement = check_level_agreement(camera, scene)
    stance, arms = check_stance(levelled, view)
    sharpness, exposure = check_image(bgr, lms)
    checks = (
        check_yaw(view), roll, pitch, check_camera_height(levelled, camera, view), check_framing(lms, size, view),
        stance, arms, sharpness, exposure, *((agreement,) if agreement else ()),
    )
    return Setup(checks, camera, mirrored)
