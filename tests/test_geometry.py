import math

import numpy as np
import pytest

from posture.core.measuring import geometry as g


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ((100, 50), (0, 50), 0.0),  # level
        ((100, 0), (0, 100), 45.0),  # left higher (smaller y), left on image right
        ((0, 0), (100, 100), 45.0),  # left higher, left on image left (back view): same sign
        ((100, 100), (0, 0), -45.0),  # left lower
        ((173.2050807568877, 0), (0, 100), 30.0),
    ],
)
def test_tilt_sign_speaks_of_subject(left, right, expected):
    assert g.tilt_deg(left, right) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("top", "forward", "expected"),
    [((0, -100), 1, 0.0), ((100, -100), 1, 45.0), ((100, -100), -1, -45.0), ((-100, -100), -1, 45.0), ((100, 0), 1, 90.0)],
)
def test_inclination_from_vertical(top, forward, expected):
    assert g.inclination_deg((0, 0), top, forward) == pytest.approx(expected)


def test_inclination_rejects_bad_direction():
    with pytest.raises(ValueError, match="forward_x"):
        g.inclination_deg((0, 0), (1, 1), 0.5)


def test_elevation_is_complement_of_inclination():
    # Ear 60 px forward and 103.92 px above the shoulder: 60 deg above the horizontal.
    assert g.elevation_deg((0, 0), (60, -103.92304845413264), 1) == pytest.approx(60.0)
    # Ear behind the shoulder: above 90.
    assert g.elevation_deg((0, 0), (-10, -100), 1) > 90


@pytest.mark.parametrize(
    ("a", "v", "c", "expected"),
    [((0, 0), (1, 0), (2, 0), 180.0), ((1, 0), (0, 0), (0, 1), 90.0), ((1, 0), (0, 0), (1, 1), 45.0)],
)
def test_joint_angle(a, v, c, expected):
    assert g.joint_angle_deg(a, v, c) == pytest.approx(expected)


def test_joint_angle_degenerate():
    with pytest.raises(ValueError, match="zero length"):
        g.joint_angle_deg((0, 0), (0, 0), (1, 1))


def test_bend_sign_follows_vertex_side():
    hip, ankle = (0, 0), (0, 200)
    knee_right = (100 * math.tan(math.radians(10)), 100)  # knee displaced to image right
    bend = g.bend_deg(hip, knee_right, ankle, 1)
    assert bend == pytest.approx(20.0, abs=1e-9)  # 10 deg each side of the knee
    assert g.bend_deg(hip, knee_right, ankle, -1) == pytest.approx(-20.0, abs=1e-9)
    assert g.bend_deg(hip, (0, 100), ankle, 1) == pytest.approx(0.0, abs=1e-9)


def test_side_of_line_and_offset():
    assert g.side_of_line((5, 50), (0, 0), (0, 100)) == 5
    assert g.horizontal_offset((30, 0), 10, -1) == -20
    with pytest.raises(ValueError, match="horizontal"):
        g.side_of_line((0, 0), (0, 0), (10, 0))


@pytest.mark.parametrize("angle", [-30.0, -5.0, 0.0, 7.5, 40.0])
def test_rotation_adds_to_tilt(angle):
    # Rotating a front-view shoulder line CCW (as displayed) raises the image-right end,
    # which is the subject's left: the tilt grows by exactly the angle.
    left, right = np.array([200.0, 100.0]), np.array([100.0, 110.0])
    before = g.tilt_deg(left, right)
    rotated = g.rotate_points(np.stack([left, right]), angle, (150, 105))
    assert g.tilt_deg(rotated[0], rotated[1]) == pytest.approx(before + angle, abs=1e-9)


def test_midpoint_and_distance():
    assert g.midpoint((0, 0), (2, 4)) == (1, 2)
    assert g.distance((0, 0), (3, 4)) == 5


def _project(points: list[tuple[float, float, float]], f: float, c: tuple[float, float]) -> list[tuple[float, float]]:
    return [(c[0] + f * x / z, c[1] + f * y / z) for x, y, z in points]


@pytest.mark.parametrize("tilt", [-6.0, 0.0, 2.5, 8.0])
@pytest.mark.parametrize("yaw", [-40.0, -15.0, 0.0, 20.0, 35.0, 160.0, 180.0])
@pytest.mark.parametrize("height_below_camera", [-0.4, 0.0, 0.6, 1.1])
def test_level_line_tilt_recovers_the_3d_tilt_of_a_projected_line(tilt: float, yaw: float, height_below_camera: float) -> None:
    # A 0.4 m shoulder line 3 m in front of a level camera, its centre off-axis, turned by yaw
    # and tilted (left end up by `tilt`): project it exactly and recover the tilt.
    f, c = 1500.0, (540.0, 960.0)
    t, w = math.radians(tilt), math.radians(yaw)
    d = (math.cos(w) * math.cos(t), -math.sin(t), -math.sin(w) * math.cos(t))
    centre = (0.3, height_below_camera, 3.0)
    left = tuple(centre[i] + 0.2 * d[i] for i in range(3))
    right = tuple(centre[i] - 0.2 * d[i] for i in range(3))
    (pl, pr) = _project([left, right], f, c)  # type: ignore[list-item]
    assert g.level_line_tilt_deg(pl, pr, yaw, f, c) == pytest.approx(tilt, abs=1e-9)


def test_level_line_tilt_shows_why_a_turned_body_looks_tilted() -> None:
    # Level line, body turned 40 deg, 1 m below a camera 3 m away: the 2-D tilt is far off,
    # the corrected one is zero.
    f, c = 1500.0, (540.0, 960.0)
    w = math.radians(40.0)
    d = (math.cos(w), 0.0, -math.sin(w))
    centre = (0.0, 1.0, 3.0)
    pl, pr = _project([tuple(centre[i] + 0.2 * d[i] for i in range(3)), tuple(centre[i] - 0.2 * d[i] for i in range(3))], f, c)  # type: ignore[misc]
    assert abs(g.tilt_deg(pl, pr)) > 10.0
    assert g.level_line_tilt_deg(pl, pr, 40.0, f, c) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        g.level_line_tilt_deg((5.0, 1.0), (5.0, 9.0), 0.0, f, c)
