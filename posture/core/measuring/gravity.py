"""Measure against gravity: level a body's landmarks with the camera's roll and pitch.

Shared by the photo assessment and the live monitor, so both take every measure from the
same levelled landmarks and the same `MeasureContext`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from posture.core.body.augment import up_angle_deg
from posture.core.body.landmarks import MIN_VISIBILITY, PoseLandmarks
from posture.core.body.landmarks import Landmark as L
from posture.core.body.views import SEATED_THIGH_DEG, View, thigh_angle_deg
from posture.core.image.camera import (
    CameraTilt,
    focal_px_from_exif,
    level_points,
    leveling_homography,
    leveling_rotation,
    stated_camera,
)
from posture.core.image.device import DeviceLevel
from posture.core.image.imaging import BGRImage, CameraExif
from posture.core.image.scene import Box, estimate_camera_tilt, segment_boxes

from .measures import MeasureContext
from .uncertainty import UNKNOWN_PITCH_SD_DEG

FloatArray = npt.NDArray[np.float64]


#: Body segments whose pixels must not be taken for scene lines (limbs are long and straight).
_BONES = (
    (L.LEFT_SHOULDER, L.LEFT_ELBOW), (L.LEFT_ELBOW, L.LEFT_WRIST), (L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    (L.RIGHT_ELBOW, L.RIGHT_WRIST), (L.LEFT_SHOULDER, L.RIGHT_HIP), (L.RIGHT_SHOULDER, L.LEFT_HIP),
    (L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP), (L.LEFT_HIP, L.LEFT_KNEE), (L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.RIGHT_HIP, L.RIGHT_KNEE), (L.RIGHT_KNEE, L.RIGHT_ANKLE), (L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
    (L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
)


def body_boxes(lms: PoseLandmarks) -> tuple[Box, ...]:
    """Boxes hidden from the scene-line search: one per body segment and one for the head
    (one box around a T-pose would hide most of the scene)."""
    xy = lms.xy
    height = float(np.ptp(xy[:, 1]))
    boxes = segment_boxes(np.array([[xy[a], xy[b]] for a, b in _BONES]), margin=0.05 * height)
    head = xy[:11]
    c = head.mean(axis=0)
    r = float(np.abs(head - c).max()) + 0.08 * height
    return (*boxes, (float(c[0] - r), float(c[1] - 1.5 * r), float(c[0] + r), float(c[1] + r)))


def floor_row(lms: PoseLandmarks) -> float:
    """The image row of the floor at the subject: the higher of the two ankles."""
    return float(min(lms.xy[int(L.LEFT_ANKLE), 1], lms.xy[int(L.RIGHT_ANKLE), 1]))


def floor_top_row(lms: PoseLandmarks) -> float:
    """A row the floor behind the subject rarely reaches above: their hips' (see
    `estimate_camera_tilt`)."""
    return float(lms.middle("HIP")[1])


#: A scene estimate looser than this is no better than not knowing (the hand-held prior is
#: 2 deg of roll): the lines do not agree on one vertical.
MAX_CAMERA_ROLL_SD_DEG = 5.0
MAX_CAMERA_PITCH_SD_DEG = 15.0


def camera_from_scene(bgr: np.ndarray, lms: PoseLandmarks, *, focal_px: float | None = None,
                      focal_source: str | None = None) -> CameraTilt:
    """The camera's roll and pitch from the scene's lines, the person hidden.

    The floor in front of and behind the subject is left out first (floorboards and mat edges
    seen from above converge like verticals); if too few lines are left, the whole scene is tried. An
    estimate whose lines disagree (SD beyond the limits above) is reported as unknown."""
    hidden = body_boxes(lms)
    tilt = estimate_camera_tilt(bgr, focal_px=focal_px, focal_source=focal_source, exclude=hidden, floor_y=floor_row(lms),
                                floor_top_y=floor_top_row(lms))
    if not tilt.known:
        tilt = estimate_camera_tilt(bgr, focal_px=focal_px, focal_source=focal_source, exclude=hidden)
    if tilt.known and ((tilt.roll_sd_deg or 0.0) > MAX_CAMERA_ROLL_SD_DEG or (tilt.pitch_sd_deg or 0.0) > MAX_CAMERA_PITCH_SD_DEG):
        return _unknown(tilt, f"the scene's lines disagree about the vertical (roll ±{tilt.roll_sd_deg:.0f}°, "
                              f"pitch ±{tilt.pitch_sd_deg:.0f}°)")
    body = standing_body_off_vertical_deg(lms, tilt) if tilt.known else None
    if body is not None and abs(body) > MAX_BODY_OFF_VERTICAL_DEG:
        return _unknown(tilt, f"the scene's lines would put a standing body {abs(body):.0f}° off vertical (a sloping "
                              "ceiling or a dome has no true verticals)")
    return tilt


#: A standing body, ankles to shoulders, is within a few degrees of vertical (quiet standing
#: sways 1-2°; a whole-body lean seen from the side a few more): on the project's photos the
#: levelled axis lies within 6.3° of vertical. A level that puts it further off is more likely
#: wrong (lines that are not vertical in the world) than the client leaning that far.
MAX_BODY_OFF_VERTICAL_DEG = 12.0


def standing_body_off_vertical_deg(lms: PoseLandmarks, tilt: CameraTilt) -> float | None:
    """Mid-ankle -> mid-shoulder from the vertical once levelled by `tilt`, for a standing body
    whose ankles are seen (None otherwise: a seated trunk may recline, the legs not)."""
    thigh = thigh_angle_deg(lms)
    ankles = (L.LEFT_ANKLE, L.RIGHT_ANKLE)
    if thigh is None or thigh >= SEATED_THIGH_DEG or min(lms.visibility[int(a)] for a in ankles) < MIN_VISIBILITY:
        return None
    levelled = Levelling.for_camera(tilt).apply(lms)
    return up_angle_deg(levelled.middle("ANKLE"), levelled.middle("SHOULDER"))


def _unknown(tilt: CameraTilt, why: str) -> CameraTilt:
    return replace(tilt, status="unknown", roll_deg=None, pitch_deg=None, roll_sd_deg=None, pitch_sd_deg=None,
                   lines=(), vanishing_point=None, reason=f"{why}: camera level unknown")


@dataclass(frozen=True)
class PhotoCamera:
    """The camera a photo is levelled on, and the scene's own estimate beside a level the
    device measured (None otherwise), to cross-check the two."""

    camera: CameraTilt
    scene: CameraTilt | None = None


def camera_for_photo(bgr: BGRImage, lms: PoseLandmarks, exif: CameraExif, *, stated_level: bool = False,
                     stated_roll: float | None = None, device: DeviceLevel | None = None) -> PhotoCamera:
    """The camera's roll and pitch: stated by the user (a tripod's level, or a roll), else
    the device's motion sensor at the shot, else measured from the scene's lines."""
    height, width = bgr.shape[:2]
    focal, source = focal_px_from_exif(exif.focal_35mm, exif.focal_mm, None, width, height)
    measured = camera_from_scene(bgr, lms, focal_px=focal if source == "exif" else None,
                                 focal_source=source if source == "exif" else None)
    if stated_level or stated_roll is not None:
        roll, reason = (0.0, "camera levelled (stated by the user)") if stated_level else (
            float(stated_roll or 0.0), f"camera roll {stated_roll:+.1f} deg (stated by the user)")
        stated = stated_camera(roll, measured.pitch_deg or 0.0, 0.5, width=width, height=height,
                               focal_px=measured.focal_px, reason=reason)
        # A spirit level (or a stated roll) says nothing of the pitch: it still comes from the
        # scene, or is unknown.
        return PhotoCamera(replace(stated, pitch_sd_deg=measured.pitch_sd_deg if measured.known else UNKNOWN_PITCH_SD_DEG))
    if device is not None:
        return PhotoCamera(device.camera(width, height, measured.focal_px), measured)
    return PhotoCamera(measured)


@dataclass(frozen=True)
class Levelling:
    """The correction for one camera: pixels by a homography (a virtual camera turned to zero
    roll and pitch), world landmarks by the same rotation (so yaw is about the true vertical)."""

    camera: CameraTilt
    homography: FloatArray
    rotation: FloatArray
    #: The camera's level is known and applied. Not "the homography moves the points": a
    #: camera stated level (roll 0, pitch 0) levels by the identity and is still levelled.
    active: bool = False

    @classmethod
    def for_camera(cls, camera: CameraTilt, enabled: bool = True) -> Levelling:
        """Identity when the camera's tilt is unknown (or levelling is switched off)."""
        width, height = camera.image_size
        if enabled and camera.known and camera.up_cam is not None:
            return cls(camera, leveling_homography(camera, width, height), leveling_rotation(camera.up_cam), active=True)
        return cls(camera, np.eye(3), np.eye(3))

    def apply(self, lms: PoseLandmarks) -> PoseLandmarks:
        xy = level_points(lms.xy, self.homography)
        world = None if lms.world is None else np.asarray(lms.world @ self.rotation.T, dtype=np.float64)
        return PoseLandmarks(xy, lms.visibility, world)

    def context(self, view: View, height_cm: float | None = None, perspective: bool = True) -> MeasureContext:
        """The measure context of a levelled view: near side from the view, camera for the
        perspective correction of left-right lines, the body's yaw. `perspective=False`
        reads lines as drawn (the photo taken at face value)."""
        near = view.near_side if view.name.is_sagittal else "left"
        if not perspective:
            return MeasureContext(view, near, height_cm)
        return MeasureContext(view, near, height_cm, focal_px=self.camera.focal_px,
                              principal_point=self.camera.principal_point, yaw_deg=view.yaw_deg)
