"""The landmark-placement part of the ±: measured on the four-camera reference, shaped by the
body's turn; and the trunk's unseen depth, which grows with the turn and vanishes square."""

from __future__ import annotations

import math

import pytest

from posture.core.body.landmarks import Landmark as L
from posture.core.body.views import Posture, View, ViewName
from posture.core.measuring.measure_spec import MeasureContext
from posture.core.measuring.measures import MEASURES, compute_measures
from posture.core.measuring.uncertainty import (
    ASSUMED_PLACEMENT,
    FRONTAL_PLACEMENT,
    SetupSpread,
    combine,
    placement_sd,
)

from . import multicam as mc
from .conftest import synthetic_landmarks


def _ctx(view: ViewName, yaw: float | None) -> MeasureContext:
    return MeasureContext(View(view, Posture.STANDING, 1.0, "user", yaw_deg=yaw), focal_px=1500.0,
                          principal_point=(500.0, 500.0), yaw_deg=yaw)


def test_placement_grows_with_the_turn_and_ranks_ears_shoulders_hips() -> None:
    for lm in (L.LEFT_EAR, L.LEFT_SHOULDER, L.LEFT_HIP):
        square, turned = placement_sd(lm, _ctx(ViewName.FRONT, 0.0)), placement_sd(lm, _ctx(ViewName.FRONT, 30.0))
        assert turned > square
        assert placement_sd(lm, _ctx(ViewName.BACK, 180.0)) == pytest.approx(square)
        # Turned either way, front or back: the same.
        assert placement_sd(lm, _ctx(ViewName.BACK, 150.0)) == pytest.approx(turned)
        assert placement_sd(lm, _ctx(ViewName.FRONT, -30.0)) == pytest.approx(turned)
    at = {lm: placement_sd(lm, _ctx(ViewName.FRONT, 20.0)) for lm in (L.LEFT_EAR, L.LEFT_SHOULDER, L.LEFT_HIP)}
    assert at[L.LEFT_EAR] < at[L.LEFT_SHOULDER] < at[L.LEFT_HIP]
    # Exactly the declared law: square + turned * sin^2(off).
    hips = FRONTAL_PLACEMENT[L.LEFT_HIP]
    assert placement_sd(L.RIGHT_HIP, _ctx(ViewName.FRONT, 30.0)) == pytest.approx(hips.square + hips.turned / 4)


def test_side_views_and_unmeasured_landmarks_keep_the_stated_assumption() -> None:
    assert placement_sd(L.LEFT_EAR, _ctx(ViewName.LEFT, 90.0)) == ASSUMED_PLACEMENT.square
    assert placement_sd(L.LEFT_KNEE, _ctx(ViewName.FRONT, 25.0)) == ASSUMED_PLACEMENT.square
    assert placement_sd(L.LEFT_EAR, _ctx(ViewName.FRONT, None)) == FRONTAL_PLACEMENT[L.LEFT_EAR].square


def _leaning_trunk(yaw: float) -> tuple[MeasureContext, object]:
    body = synthetic_landmarks({L.LEFT_HIP: (560.0, 700.0), L.RIGHT_HIP: (440.0, 700.0),
                                L.LEFT_SHOULDER: (600.0, 400.0), L.RIGHT_SHOULDER: (440.0, 400.0)})
    ctx = _ctx(ViewName.FRONT, yaw)
    m = compute_measures(body, [body] * 3, ctx, (1000, 1000), names=("trunk_lean_deg",))["trunk_lean_deg"]
    return ctx, combine(MEASURES["trunk_lean_deg"], m, body.xy, ctx, SetupSpread(0.0, 0.0), 1500.0, (500.0, 500.0))


@pytest.mark.parametrize("yaw", [10.0, 25.0, -25.0, 40.0])  # compute reads at any turn; the photo gate withholds
def test_the_trunks_unseen_depth_enters_its_plus_minus_as_tan_of_the_turn(yaw: float) -> None:
    """A trunk leaning toward or away from the camera shows tan(turn) of that lean as if it were
    sideways; its SD is the declared one."""
    _, widened = _leaning_trunk(yaw)
    depth = dict(widened.parts)["depth toward the camera"]
    assert depth == pytest.approx(math.tan(math.radians(abs(yaw))) * MEASURES["trunk_lean_deg"].hidden_depth_sd_deg)


def test_seen_squarely_the_trunk_has_no_depth_part_and_the_tilts_never_have_one() -> None:
    _, widened = _leaning_trunk(0.0)
    assert "depth toward the camera" not in dict(widened.parts)
    assert all(MEASURES[n].hidden_depth_sd_deg == 0.0 for n in ("shoulder_tilt_deg", "hip_tilt_deg", "head_tilt_deg"))


@pytest.fixture(scope="module")
def residuals() -> list[mc.PlacementResidual]:
    return [r for frame in mc.FRAMES for r in mc.placement_residuals(frame)]


def test_the_declared_placement_covers_every_views_error_with_the_set_up_known(residuals) -> None:
    """With the calibration's roll, pitch and yaw, what is left of each view's error is where the
    model put the points: the declared placement term covers it at 2 SD in every view."""
    assert len(residuals) == 4 * len(mc.FRONTAL_MEASURES) * len(mc.FRAMES)
    for r in residuals:
        assert abs(r.error) <= 2 * r.declared_sd, r


@pytest.mark.parametrize(("measure", "landmark"), [("head_tilt_deg", L.LEFT_EAR), ("shoulder_tilt_deg", L.LEFT_SHOULDER),
                                                   ("hip_tilt_deg", L.LEFT_HIP)])
def test_the_declared_placement_is_the_measured_fit_rounded_up(residuals, measure: str, landmark: L) -> None:
    square, turned = mc.fit_placement(residuals, measure)
    declared = FRONTAL_PLACEMENT[landmark]
    assert declared.square >= square and declared.turned >= turned
    # Rounded up, not inflated: within 0.1 % of the torso square, 1 % turned.
    assert declared.square - square <= 0.001 and declared.turned - turned <= 0.01


def test_the_head_line_is_read_half_way_between_the_body_and_square() -> None:
    """A level ear line seen from below on a head that faces the camera while the body is turned
    25°: read with the body's yaw it looks tilted; the head is taken half-way (12.5°), and its
    ± carries the rest of the doubt (8° and the turn's uniform spread)."""
    from posture.core.measuring import geometry as g
    from posture.core.measuring.measures import value_of

    head = MEASURES["head_tilt_deg"]
    assert head.line_turn is not None
    ears = {L.LEFT_EAR: (560.0, 200.0), L.RIGHT_EAR: (440.0, 200.0)}  # level in the photo, 300 px above the horizon
    body = synthetic_landmarks({**ears, L.LEFT_SHOULDER: (600.0, 320.0), L.RIGHT_SHOULDER: (400.0, 320.0),
                                L.LEFT_HIP: (560.0, 700.0), L.RIGHT_HIP: (440.0, 700.0)})
    ctx = _ctx(ViewName.FRONT, 25.0)
    half_way = g.level_line_tilt_deg(ears[L.LEFT_EAR], ears[L.RIGHT_EAR], 12.5, 1500.0, (500.0, 500.0))
    body_yaw = g.level_line_tilt_deg(ears[L.LEFT_EAR], ears[L.RIGHT_EAR], 25.0, 1500.0, (500.0, 500.0))
    assert value_of(head, body.xy, ctx) == pytest.approx(half_way)
    assert abs(half_way) < abs(body_yaw)
    # The shoulders face where the body does.
    assert MEASURES["shoulder_tilt_deg"].line_turn is None
    m = compute_measures(body, [body] * 3, ctx, (1000, 1000), names=("head_tilt_deg",))["head_tilt_deg"]
    parts = dict(combine(head, m, body.xy, ctx, SetupSpread(0.0, 0.0), 1500.0, (500.0, 500.0)).parts)
    assert parts["head turned on the body"] == pytest.approx(
        parts["body yaw"] / 6.0 * 2 * math.hypot(8.0, 25.0 / math.sqrt(12)), rel=1e-6)
    assert head.line_turn.yaw_sd_deg(0.0) == 8.0
