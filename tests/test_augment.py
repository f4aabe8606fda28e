"""Augmented copies map back to the photo exactly, world landmarks included."""

import math

import numpy as np
import pytest

from posture.core.body.augment import Augmentation, augmentation_matrix, map_back
from posture.core.body.landmarks import NUM_LANDMARKS, PoseLandmarks


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
