"""Metamorphic checks on real photos: rotate, mirror, rescale and recompress a photo, and
compare each frontal tilt with what geometry predicts from the original reading.

The precision target of issue 2 is asserted on whole-body photos of one person, the
photos the tool asks for. (On cut-off or crowded photos it is not met: see
benchmarks/stability.py; those photos carry a warning.)"""

import pytest

from posture.core import metamorphic as mm
from posture.core.image.imaging import load_image

# Whole-body photos whose set-up is valid: not the T-pose front frame (body turned 41 deg
# from the camera: a TURNED view) nor the mid-squat frame (not a neutral stance), nor the
# four photos from the room with the floorboards (standing_back_01/02/03/05): their camera
# hangs about 2 m up and points 31 deg down, a retake that withholds every measure.
WHOLE_BODY = [
    "mediapipe_pose_test.jpg",
    "standing_front_05_video.jpg",
    "standing_back_04_tpose.jpg",
    "multicam/static_cam02_f00.jpg",  # the same camera as the T-pose back frame, 5 frames earlier
]


@pytest.fixture(scope="module")
def readings(data_dir):
    out = []
    for name in WHOLE_BODY:
        out += mm.check_image(load_image(data_dir / name).bgr, name)
    return out


def test_precision_target_on_whole_body_photos(readings):
    s = mm.summarise(readings)
    # Every photo is read for the shoulders and the trunk under every transform (a base value
    # withheld by a set-up check, e.g. arms raised or an unstable ear line, yields none).
    for name in WHOLE_BODY:
        for measure in ("shoulder_tilt_deg", "trunk_lean_deg"):
            assert sum(r.image == name and r.measure == measure for r in readings) == len(mm.DEFAULT_TRANSFORMS), (name, measure)
    assert s.given_fraction >= 0.95
    assert s.max_error <= 1.5, [r for r in readings if (r.error or 0) > 1.5]
    assert s.within_fraction >= 0.90


def test_signs_follow_the_transform(readings):
    # A mirrored front/back photo negates every tilt; a rotation moves it the predicted way.
    checked = 0
    for r in readings:
        if r.measured is None or r.predicted is None or abs(r.predicted) < 2.0:
            continue
        assert (r.measured > 0) == (r.predicted > 0), r
        checked += 1
    assert checked >= 100
