import dataclasses

import pytest

from posture.core.body.views import Posture
from posture.core.compare import ChangeStatus, compare, setup_difference

from .conftest import with_measures


def test_change_is_real_only_beyond_two_combined_uncertainties(assessed):
    base = assessed("standing_back_02.jpg")
    before = with_measures(base, shoulder_tilt_deg=(6.0, 0.5), hip_tilt_deg=(1.0, 0.5), head_tilt_deg=(2.0, 0.5),
                           trunk_lean_deg=(0.0, 0.6))
    after = with_measures(base, shoulder_tilt_deg=(1.0, 0.5), hip_tilt_deg=(2.4, 0.5), head_tilt_deg=(-3.0, 0.5),
                          trunk_lean_deg=(1.0, 0.8))
    by = {c.name: c for c in compare(before, after)}
    # +-0.5 each: combined 0.707, so a change is real beyond 1.414.
    assert by["shoulder_tilt_deg"].combined_uncertainty == pytest.approx(0.5 * 2**0.5)
    assert by["shoulder_tilt_deg"].status is ChangeStatus.IMPROVED  # -5, toward level
    assert by["head_tilt_deg"].status is ChangeStatus.WORSE  # -5, past level to 3 deg the other way
    assert by["hip_tilt_deg"].status is ChangeStatus.WITHIN_NOISE  # 1.4 < 1.414
    # 1.0 against a combined 1.0: real under a 1-sigma rule, noise under the 2-sigma one.
    assert by["trunk_lean_deg"].combined_uncertainty == pytest.approx(1.0)
    assert by["trunk_lean_deg"].status is ChangeStatus.WITHIN_NOISE


def test_just_past_the_margin_is_real(assessed):
    base = assessed("standing_back_02.jpg")
    before = with_measures(base, hip_tilt_deg=(1.0, 0.5))
    after = with_measures(base, hip_tilt_deg=(2.42, 0.5))
    assert {c.name: c for c in compare(before, after)}["hip_tilt_deg"].status is ChangeStatus.WORSE


def test_a_value_without_uncertainty_is_not_compared(assessed):
    base = assessed("standing_back_02.jpg")
    before = with_measures(base, shoulder_tilt_deg=(6.0, 0.0))
    after = with_measures(base, shoulder_tilt_deg=(1.0, 0.5))
    c = {c.name: c for c in compare(before, after)}["shoulder_tilt_deg"]
    assert c.status is ChangeStatus.NOT_COMPARABLE and c.reason == "before: no uncertainty stated"


def test_two_photos_of_the_same_still_pose_are_within_noise(assessed):
    # Frames 0 and 10 (1/6 s apart) of one camera while the person stands still: two real photos, one pose.
    a = assessed("multicam/static_cam02_f00.jpg")
    b = assessed("multicam/static_cam02_f10.jpg")
    measured = [c for c in compare(a, b) if c.change is not None]
    assert len(measured) >= 4  # the frontal tilts of a back view
    assert all(c.status is ChangeStatus.WITHIN_NOISE for c in measured), [(c.name, c.change) for c in measured]


def test_different_views_not_comparable(assessed):
    changes = compare(assessed("standing_back_02.jpg"), assessed("seated_side_upright_01.jpg"))
    assert changes and all(c.status is ChangeStatus.NOT_COMPARABLE for c in changes)
    assert changes[0].reason.startswith("different views (back vs left)")


def test_standing_vs_seated_not_comparable(assessed):
    side = assessed("seated_side_upright_01.jpg")
    standing = dataclasses.replace(side, view=dataclasses.replace(side.view, posture=Posture.STANDING))
    assert setup_difference(side, side) is None
    changes = compare(standing, side)
    assert changes and all(c.status is ChangeStatus.NOT_COMPARABLE for c in changes)
    assert all(c.reason.startswith("different set-ups (standing vs seated)") for c in changes)


def test_a_body_turned_differently_is_not_compared(assessed):
    a = assessed("multicam/static_cam02_f05.jpg")
    turned = dataclasses.replace(a, view=dataclasses.replace(a.view, yaw_deg=(a.view.yaw_deg or 0.0) + 20.0))
    reason = setup_difference(a, turned)
    assert reason is not None and "turned 20° differently" in reason
    slightly = dataclasses.replace(a, view=dataclasses.replace(a.view, yaw_deg=(a.view.yaw_deg or 0.0) + 10.0))
    assert setup_difference(a, slightly) is None


def test_a_different_camera_distance_is_not_compared(assessed):
    a = assessed("multicam/static_cam02_f05.jpg")
    # the same body at half the size in a photo of the same height: the camera stepped back
    centre = a.landmarks.xy.mean(axis=0)
    smaller = dataclasses.replace(a, landmarks=dataclasses.replace(a.landmarks, xy=centre + (a.landmarks.xy - centre) * 0.5))
    reason = setup_difference(a, smaller)
    assert reason is not None and "same distance" in reason
    # resolution alone does not matter: the same photo at half the pixels compares
    half = dataclasses.replace(a, landmarks=dataclasses.replace(a.landmarks, xy=a.landmarks.xy * 0.5),
                               image=dataclasses.replace(a.image, width=a.image.width // 2, height=a.image.height // 2))
    assert setup_difference(a, half) is None
