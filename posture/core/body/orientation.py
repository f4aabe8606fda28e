"""Which way up the body is in the photo: a photo lying on its side or upside down (messengers
strip EXIF), a mirrored selfie, and the quarter turns that stand the person upright.

Only a whole body lying sideways turns the photo: a trunk that leans over upright legs is a
person leaning, not a photo on its side.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from posture.core.image.imaging import LoadedImage

from .augment import trunk_angle_deg, up_angle_deg
from .landmarks import MIN_VISIBILITY, Landmark, PoseLandmarks
from .views import angle_difference_deg

TURN_WORDS = {1: "lying on its side (turned a quarter to the left)", 2: "upside down",
               3: "lying on its side (turned a quarter to the right)"}


def flipped(image: LoadedImage) -> LoadedImage:
    return replace(image, bgr=np.ascontiguousarray(image.bgr[:, ::-1]))


ROTATE_CODES = {1: cv2.ROTATE_90_CLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_COUNTERCLOCKWISE}


def turned(image: LoadedImage, quarter_turns_clockwise: int) -> LoadedImage:
    return replace(image, bgr=np.ascontiguousarray(cv2.rotate(image.bgr, ROTATE_CODES[quarter_turns_clockwise])))


def quarter_turns(subject: PoseLandmarks) -> int:
    """Quarter turns clockwise that stand the person upright (0 when they already are).

    A standing or sitting client's trunk is within ~45 deg of vertical in any posture photo;
    a trunk along the image's x axis (or upside down) means the photo itself is turned, but
    only if the shanks lie that way too: a trunk leaning 35 deg, seen by a camera rolled 25 deg,
    is a person leaning over upright legs, and turning the photo read it with 90 deg errors."""
    angle = trunk_angle_deg(subject)  # CCW as displayed; +90: the head points image-left
    if abs(angle) <= 45.0:
        return 0
    turns = round(angle / 90.0) % 4
    legs = legs_angle_deg(subject)
    if legs is not None and abs(angle_difference_deg(legs, 90.0 * turns)) > 45.0:
        return 0
    return turns


def legs_angle_deg(lms: PoseLandmarks) -> float | None:
    """Angle of the shanks (mid-ankle -> mid-knee) from 'straight up', as `trunk_angle_deg`
    measures the trunk: near vertical standing and seated (feet on the floor) alike, where the
    thighs of a seated client are not; None when the knees and ankles are not seen."""
    parts = (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE, Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE)
    if min(lms.visibility[int(lm)] for lm in parts) < MIN_VISIBILITY:
        return None
    return up_angle_deg(lms.middle("ANKLE"), lms.middle("KNEE"))
