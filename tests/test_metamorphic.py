"""Metamorphic checks on real photos: rotate, mirror, rescale and recompress a photo, and
compare each frontal tilt with what geometry predicts from the original reading."""

import pytest

from posture import metamorphic as mm
from posture.imaging import load_image

PHOTOS = ["standing_back_02.jpg", "standing_back_04_tpose.jpg", "mediapipe_pose_test.jpg"]


@pytest.fixture(scope="module")
def readings(data_dir):
    out = []
    for name in PHOTOS:
        out += mm.check_image(load_image(data_dir / name).bgr, name)
    return out


def test_rotation_mirror_scale_jpeg_agree_with_geometry(readings):
    s = mm.summarise(readings)
    assert s.readings >= 100
    assert s.given_fraction >= 0.95
    assert s.max_error <= 1.5, [r for r in readings if (r.error or 0) > 1.5]
    assert s.within_fraction >= 0.85


def test_signs_follow_the_transform(readings):
    # A mirrored front/back photo negates every tilt; a rotation moves it the predicted way.
    for r in readings:
        if r.measured is None or r.predicted is None or abs(r.predicted) < 2.0:
            continue
        assert (r.measured > 0) == (r.predicted > 0), r
