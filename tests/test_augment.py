"""Augmented copies map back to the photo exactly, world landmarks included."""

import math

import numpy as np
import pytest

from posture.core.augment import Augmentation, apply_augmentation, augmentation_matrix, copy_roi, map_back
from posture.core.estimator import Roi
from posture.core.landmarks import NUM_LANDMARKS, PoseLandmarks


@pytest.mark.parametrize("mirror", [False, True])
@pytest.mark.parametrize("angle", [-6.0, 0.0, 4.0])
def test_world_landmarks_of_a_rotated_copy_are_turned_back(angle: float, mirror: bool) -> None:
    # A body seen in the photo with world points W; the copy shows it rotated by `angle` (and
    # mirrored): what the model would report there is W turned the same way. Mapping back
    # must give W again, so copies in different rotations agree before they are combined.
    rng = np.random.default_rng(1)
    world = rng.normal(size=(NUM_LANDMARKS, 3))
    matrix, _ = augmentation_matrix(Augmentation(angle, 1.1, mirror), 400, 600)
    t = math.radians(angle)
    rot = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])  # CCW as displayed, y down
    seen = world.copy()
    if mirror:
        seen[:, 0] *= -1
    seen[:, :2] = seen[:, :2] @ rot.T
    lms = PoseLandmarks(rng.uniform(0, 400, size=(NUM_LANDMARKS, 2)), np.ones(NUM_LANDMARKS), seen)
    back = map_back(lms, matrix, mirror)
    expected = PoseLandmarks(lms.xy, lms.visibility, world)
    if mirror:  # the labels are swapped back too
        expected = expected.swapped_left_right()
    assert back.world is not None and expected.world is not None
    np.testing.assert_allclose(back.world, expected.world, atol=1e-12)


def _rotation(angle_deg: float) -> np.ndarray:
    """2x3 matrix turning the plane `angle_deg` CCW as displayed (y down) about the origin."""
    t = math.radians(angle_deg)
    return np.array([[math.cos(t), math.sin(t), 0.0], [-math.sin(t), math.cos(t), 0.0]])


@pytest.mark.parametrize("angle", [-30.0, -6.0, 0.0, 4.0, 90.0])
def test_a_region_turns_with_the_image(angle: float) -> None:
    # MediaPipe's rotation is clockwise as displayed: turning the image CCW by `angle` turns
    # an upright person's region by -angle; its centre moves with the image, its side stays.
    roi = Roi(100.0, 50.0, 80.0, 0.0)
    out = roi.mapped(_rotation(angle))
    t = math.radians(angle)
    assert out.cx == pytest.approx(100 * math.cos(t) + 50 * math.sin(t))
    assert out.cy == pytest.approx(-100 * math.sin(t) + 50 * math.cos(t))
    assert out.size == pytest.approx(80.0)
    assert out.rotation == pytest.approx(-t)


def test_a_mirror_reverses_the_region_s_rotation_and_a_scale_its_size() -> None:
    roi = Roi(10.0, 20.0, 40.0, 0.2)
    mirror = np.array([[-1.0, 0.0, 99.0], [0.0, 1.0, 0.0]])  # x -> 99 - x
    out = roi.mapped(mirror)
    assert (out.cx, out.cy, out.size) == pytest.approx((89.0, 20.0, 40.0))
    assert out.rotation == pytest.approx(-0.2)
    scaled = roi.mapped(np.array([[1.5, 0.0, 0.0], [0.0, 1.5, 0.0]]))
    assert (scaled.cx, scaled.cy, scaled.size, scaled.rotation) == pytest.approx((15.0, 30.0, 60.0, 0.2))


@pytest.mark.parametrize("aug", [Augmentation(6.0, 0.9, True), Augmentation(-4.0, 1.2, False)])
def test_a_copy_s_region_maps_back_to_the_canonical_one(aug: Augmentation) -> None:
    roi = Roi(250.0, 270.0, 300.0, 0.05)
    there = copy_roi(roi, aug, 512)
    matrix, _ = augmentation_matrix(aug, 512, 512)
    back = there.mapped(np.linalg.inv(np.vstack([matrix, [0, 0, 1]]))[:2])
    assert (back.cx, back.cy, back.size, back.rotation) == pytest.approx((roi.cx, roi.cy, roi.size, roi.rotation))


def test_mean_region_averages_centres_sides_and_directions() -> None:
    m = Roi.mean([Roi(0.0, 0.0, 10.0, 0.1), Roi(2.0, 4.0, 20.0, -0.1)])
    assert (m.cx, m.cy, m.size, m.rotation) == pytest.approx((1.0, 2.0, 15.0, 0.0), abs=1e-12)
    # Directions average as vectors: +179 deg and -179 deg are 2 deg apart, not 358.
    wrap = Roi.mean([Roi(0.0, 0.0, 1.0, math.radians(179)), Roi(0.0, 0.0, 1.0, math.radians(-179))])
    assert abs(wrap.rotation) == pytest.approx(math.pi)


def test_the_landmark_model_in_a_carried_region_reads_the_same_body(data_dir) -> None:
    # The region found on the photo, carried into a rotated, scaled and mirrored copy, lets
    # the landmark model alone (no detector) find the body's points where the photo has
    # them: within 1.5 % of the body's height, the landmark placement error we allow for.
    from posture.core.estimator import BlazePoseEstimator
    from posture.core.imaging import load_image

    image = load_image(data_dir / "mediapipe_pose_test.jpg").bgr
    with BlazePoseEstimator() as est:
        found, roi = est.detect_with_roi(image)
        assert found is not None and roi is not None
        same, _ = est.detect_in(image, roi)
        aug = Augmentation(-6.0, 0.85, True)
        copy, matrix = apply_augmentation(image, aug)
        carried, _ = est.detect_in(copy, roi.mapped(matrix))
    assert same is not None and carried is not None
    body = slice(11, 33)
    height = found.xy[body, 1].max() - found.xy[body, 1].min()
    back = map_back(carried, matrix, aug.mirror)
    assert np.median(np.linalg.norm(back.xy[body] - found.xy[body], axis=1)) < 0.015 * height
    assert np.median(np.linalg.norm(same.xy[body] - found.xy[body], axis=1)) < 0.015 * height
