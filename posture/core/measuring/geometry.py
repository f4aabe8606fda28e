"""Pure 2-D geometry on pixel coordinates (x right, y down). Angles in degrees.

Every function takes points as length-2 sequences or arrays and returns a float.
"Up" in a photo is -y, so formulas flip the sign of dy where they speak of height.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Point = Sequence[float] | npt.NDArray[np.float64]


def _xy(p: Point) -> tuple[float, float]:
    return float(p[0]), float(p[1])


def midpoint(a: Point, b: Point) -> tuple[float, float]:
    ax, ay = _xy(a)
    bx, by = _xy(b)
    return (ax + bx) / 2.0, (ay + by) / 2.0


def distance(a: Point, b: Point) -> float:
    ax, ay = _xy(a)
    bx, by = _xy(b)
    return math.hypot(bx - ax, by - ay)


def tilt_deg(left: Point, right: Point) -> float:
    """Angle of the left-right line against the horizontal, in (-90, 90].

    Positive when `left` is higher in the image than `right`, whichever side of the
    image it is on (so the sign speaks of the subject, not of the camera).
    """
    lx, ly = _xy(left)
    rx, ry = _xy(right)
    return math.degrees(math.atan2(ry - ly, abs(lx - rx)))


def inclination_deg(base: Point, top: Point, forward_x: float) -> float:
    """Angle of the base->top segment against the vertical, in (-180, 180].

    0 when `top` is straight above `base`; positive when it leans toward `forward_x`
    (+1: toward image right, -1: toward image left).
    """
    if forward_x not in (1.0, -1.0, 1, -1):
        raise ValueError("forward_x must be +1 or -1")
    bx, by = _xy(base)
    tx, ty = _xy(top)
    return math.degrees(math.atan2(forward_x * (tx - bx), by - ty))


def elevation_deg(base: Point, top: Point, forward_x: float) -> float:
    """Angle of the base->top segment above the horizontal that points `forward_x`.

    90 when `top` is straight above `base`; smaller as `top` moves forward; above 90
    when it is behind. (The craniovertebral angle is of this kind.)
    """
    return 90.0 - inclination_deg(base, top, forward_x)


def joint_angle_deg(a: Point, vertex: Point, c: Point) -> float:
    """Unsigned angle at `vertex` between vertex->a and vertex->c, in [0, 180]."""
    ax, ay = _xy(a)
    vx, vy = _xy(vertex)
    cx, cy = _xy(c)
    u = (ax - vx, ay - vy)
    w = (cx - vx, cy - vy)
    nu = math.hypot(*u)
    nw = math.hypot(*w)
    if nu == 0.0 or nw == 0.0:
        raise ValueError("joint angle undefined: a segment has zero length")
    cross = u[0] * w[1] - u[1] * w[0]
    dot = u[0] * w[0] + u[1] * w[1]
    return math.degrees(math.atan2(abs(cross), dot))


def side_of_line(p: Point, a: Point, b: Point) -> float:
    """Signed horizontal position of `p` against the line a->b, in pixels.

    Positive when p lies to image-right of the line at p's height. Undefined for a
    horizontal line.
    """
    px, py = _xy(p)
    ax, ay = _xy(a)
    bx, by = _xy(b)
    if by == ay:
        raise ValueError("line is horizontal")
    t = (py - ay) / (by - ay)
    return px - (ax + t * (bx - ax))


def bend_deg(a: Point, vertex: Point, c: Point, positive_x: float) -> float:
    """How far a->vertex->c departs from a straight line, signed, in degrees.

    0 when straight. Positive when `vertex` lies toward `positive_x` (+1 image right,
    -1 image left) of the a->c line: e.g. knee flexion (knee ahead of the hip-ankle line)
    or knee valgus (knee medial to it).
    """
    magnitude = 180.0 - joint_angle_deg(a, vertex, c)
    ax, ay = _xy(a)
    cx, cy = _xy(c)
    if ay == cy:  # a->c horizontal: compare heights instead
        vx, vy = _xy(vertex)
        side = -(vy - ay) * (1.0 if cx > ax else -1.0)
    else:
        side = side_of_line(vertex, a, c)
    return magnitude if side * positive_x >= 0 else -magnitude


def horizontal_offset(p: Point, reference_x: float, forward_x: float) -> float:
    """Horizontal distance of p from the vertical x = reference_x, positive toward forward_x."""
    return (float(p[0]) - reference_x) * forward_x


def rotate_points(
    points: npt.NDArray[np.float64], angle_deg: float, center: Point
) -> npt.NDArray[np.float64]:
    """Rotate (N, 2) pixel points by `angle_deg` counter-clockwise *as displayed*."""
    theta = math.radians(angle_deg)
    cx, cy = _xy(center)
    c, s = math.cos(theta), math.sin(theta)
    rel = np.asarray(points, dtype=np.float64) - (cx, cy)
    # y points down, so a displayed counter-clockwise turn is (x, y) -> (x c + y s, -x s + y c)
    out = np.empty_like(rel)
    out[:, 0] = rel[:, 0] * c + rel[:, 1] * s
    out[:, 1] = -rel[:, 0] * s + rel[:, 1] * c
    return out + (cx, cy)


def level_line_tilt_deg(
    left: Point, right: Point, yaw_deg: float, focal_px: float, principal_point: Point
) -> float:
    """3-D tilt of a body's left-right line (shoulders, hips, ears) from a *levelled* photo.

    In a levelled view (camera roll and pitch removed, horizon at the principal point's row)
    a truly horizontal line that is not parallel to the image plane still slopes toward its
    vanishing point on the horizon: with the body turned by `yaw_deg` (0 facing the camera,
    +90 left side toward it, as `views.yaw_deg`) and the line below the camera, the nearer
    end looks lower. This undoes that: with d = (cos yaw cos t, -sin t, -sin yaw cos t) the
    line's direction in camera axes (x right, y down, z forward), its vanishing point lies
    on the image line through `left` and `right`, which gives

        tan t = sin(yaw) * [(y_R - c_y) + (c_x - x_R) * s] / f - cos(yaw) * s,   s = dy/dx.

    Positive when the subject's left end is higher. At yaw 0 it is `tilt_deg` for a front
    view (and at 180 for a back view). Undefined when the line is seen end-on (dx = 0).
    """
    lx, ly = _xy(left)
    rx, ry = _xy(right)
    cx, cy = _xy(principal_point)
    dx, dy = lx - rx, ly - ry
    if dx == 0.0:
        raise ValueError("line seen end-on: tilt undefined")
    s = dy / dx
    yaw = math.radians(yaw_deg)
    tan_t = math.sin(yaw) * ((ry - cy) + (cx - rx) * s) / focal_px - math.cos(yaw) * s
    return math.degrees(math.atan(tan_t))
