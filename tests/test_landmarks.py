import numpy as np
import pytest

from posture.core.body.landmarks import LEFT_RIGHT_SWAP, NUM_LANDMARKS, Landmark, PoseLandmarks


def test_blazepose_order_and_names():
    assert NUM_LANDMARKS == 33
    assert Landmark(11) is Landmark.LEFT_SHOULDER and Landmark(32) is Landmark.RIGHT_FOOT_INDEX
    assert Landmark.LEFT_SHOULDER.key == "left_shoulder"


def test_swap_is_an_involution_pairing_left_with_right():
    swap = np.array(LEFT_RIGHT_SWAP)
    assert (swap[swap] == np.arange(NUM_LANDMARKS)).all()
    assert LEFT_RIGHT_SWAP[Landmark.LEFT_HIP] == Landmark.RIGHT_HIP
    assert LEFT_RIGHT_SWAP[Landmark.NOSE] == Landmark.NOSE
    assert LEFT_RIGHT_SWAP[Landmark.MOUTH_LEFT] == Landmark.MOUTH_RIGHT


def test_swapped_left_right_moves_points_and_world():
    xy = np.arange(66, dtype=float).reshape(33, 2)
    world = np.arange(99, dtype=float).reshape(33, 3)
    lms = PoseLandmarks(xy, np.linspace(0, 1, 33), world)
    s = lms.swapped_left_right()
    assert (s.xy[Landmark.LEFT_SHOULDER] == xy[Landmark.RIGHT_SHOULDER]).all()
    assert (s.world[Landmark.RIGHT_ANKLE] == world[Landmark.LEFT_ANKLE]).all()
    assert (s.swapped_left_right().xy == xy).all()


@pytest.mark.parametrize(
    ("xy", "vis", "message"),
    [(np.zeros((32, 2)), np.zeros(33), r"xy must have shape \(33, 2\), got \(32, 2\)"),
     (np.zeros((33, 2)), np.zeros(30), r"visibility must have shape")],
)
def test_shapes_are_checked(xy, vis, message):
    with pytest.raises(ValueError, match=message):
        PoseLandmarks(xy, vis)
