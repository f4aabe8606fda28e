import dataclasses

import pytest

from posture.core.body.views import Posture
from posture.core.compare import ChangeStatus, change_line, change_text, compare, nothing_compared, setup_difference
from posture.core.measuring.measures import FRONTAL, MEASURES

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


# --- "better" per measure: toward its declared neutral band ---------------------------------

SLUMP = ("craniovertebral_angle_deg", "torso_inclination_deg", "neck_on_trunk_flexion_deg")


def test_the_same_man_upright_then_hunched_is_worse_and_the_reverse_improved(assessed):
    upright, hunched = assessed("seated_side_upright_01.jpg"), assessed("seated_side_hunched_01.jpg")
    worse = {c.name: c for c in compare(upright, hunched)}
    better = {c.name: c for c in compare(hunched, upright)}
    for name in SLUMP:
        assert abs(worse[name].change) > worse[name].margin  # each change is real ...
        assert worse[name].status is ChangeStatus.WORSE, (name, worse[name])  # ... and slumping is worse
        assert better[name].status is ChangeStatus.IMPROVED, (name, better[name])
    # The neck on the trunk reads about +18° upright (neutral with BlazePose's shoulder) and about
    # -8° hunched: further from its neutral band, though nearer zero.
    assert worse["neck_on_trunk_flexion_deg"].before > 15 > 0 > worse["neck_on_trunk_flexion_deg"].after


def _band_cases(name):
    """(before, after, expected) for a graded measure: out of its band into it, back out,
    inside it both ways (where it has room), and the same distance on either side."""
    band = MEASURES[name].better
    low = band.low if band.low > -1e9 else band.high - 40.0
    inside = (low + band.high) / 2
    cases = [(band.high + 20.0, inside, ChangeStatus.IMPROVED), (inside, band.high + 20.0, ChangeStatus.WORSE),
             (band.high + 20.0, band.high + 10.0, ChangeStatus.IMPROVED), (band.high + 10.0, band.high + 20.0, ChangeStatus.WORSE)]
    if band.low > -1e9:
        cases += [(band.low - 20.0, inside, ChangeStatus.IMPROVED), (band.low - 10.0, band.low - 20.0, ChangeStatus.WORSE),
                  (band.low - 10.0, band.high + 10.0, ChangeStatus.CHANGED)]  # as far out the other way
    if band.high - low >= 10.0:
        cases.append((low + 1.0, band.high - 1.0, ChangeStatus.CHANGED))  # both within the band
    return cases


GRADED = [s.name for s in MEASURES if s.grading is not None]


@pytest.mark.parametrize("name", GRADED)
def test_every_graded_measure_is_better_toward_its_neutral_band(assessed, name):
    base = assessed("standing_back_02.jpg" if MEASURES[name].views == FRONTAL else "seated_side_upright_01.jpg")
    assert MEASURES[name].better is not None, f"{name} raises a finding but declares no 'better'"
    for before, after, expected in _band_cases(name):
        (c,) = [c for c in compare(with_measures(base, **{name: (before, 0.5)}), with_measures(base, **{name: (after, 0.5)}))
                if c.name == name]
        assert c.status is expected, (name, before, after, c.status)


def test_neck_and_trunk_bands_follow_their_cut_offs(assessed):
    base = assessed("seated_side_upright_01.jpg")

    def status(name, before, after):
        changes = compare(with_measures(base, **{name: (before, 0.5)}), with_measures(base, **{name: (after, 0.5)}))
        return next(c.status for c in changes if c.name == name)

    # neck on trunk: about +15° is neutral here, so +18 -> +5 goes out of the band, not "toward zero"
    assert status("neck_on_trunk_flexion_deg", 18.0, 5.0) is ChangeStatus.WORSE
    assert status("neck_on_trunk_flexion_deg", 16.0, 24.0) is ChangeStatus.CHANGED
    # trunk: upright to reclined is not worse; forward flexion back to upright is better
    assert status("torso_inclination_deg", 0.0, -15.0) is ChangeStatus.CHANGED
    assert status("torso_inclination_deg", 25.0, -5.0) is ChangeStatus.IMPROVED
    # craniovertebral angle: toward 90
    assert status("craniovertebral_angle_deg", 60.0, 75.0) is ChangeStatus.IMPROVED


def test_measures_that_raise_no_finding_get_no_verdict(assessed):
    base = assessed("seated_side_upright_01.jpg")
    ungraded = [s.name for s in MEASURES if s.grading is None and s.name in base.measures
                and base.measures[s.name].value is not None]
    assert "neck_inclination_deg" in ungraded and "forward_head_offset_pct" in ungraded
    after = with_measures(base, **{n: (base.measures[n].value + 30.0, 0.5) for n in ungraded})
    before = with_measures(base, **{n: (base.measures[n].value, 0.5) for n in ungraded})
    for c in compare(before, after):
        if c.name in ungraded:
            assert c.status is ChangeStatus.NOT_GRADED and c.reason == "raises no finding", c
    with pytest.raises(ValueError, match="needs a grading"):
        dataclasses.replace(MEASURES["neck_inclination_deg"], better=MEASURES["craniovertebral_angle_deg"].better)


def test_plumb_lines_of_two_stances_are_refused_with_the_reason(assessed):
    # Two standing side photos, one with the left knee bent, the other the right: the set-up
    # said "caution"; their plumb-line offsets moved with the knees, not with posture.
    a, b = assessed("standing_side_01.jpg"), assessed("standing_side_02.jpg")
    reason = setup_difference(a, b)
    assert reason == "different stances (left knee bent vs right knee bent): retake in the same stance"
    changes = compare(a, b)
    assert changes and all(c.status is ChangeStatus.NOT_COMPARABLE and c.reason == reason for c in changes)
    assert nothing_compared(a, b, changes) == reason


# --- what is printed: the margin the verdict uses ---------------------------------------------


def test_the_change_is_printed_with_the_margin_the_verdict_uses(assessed):
    base = assessed("standing_back_02.jpg")
    before = with_measures(base, shoulder_tilt_deg=(4.0, 3.0))
    after = with_measures(base, shoulder_tilt_deg=(12.4, 3.0))  # +8.4 against 2 x 4.24 = 8.49: noise
    (c,) = [c for c in compare(before, after) if c.name == "shoulder_tilt_deg"]
    assert c.status is ChangeStatus.WITHIN_NOISE
    assert c.margin == pytest.approx(2 * 3.0 * 2**0.5)
    assert change_text(c) == "+8.4° (needs more than ±8.5° to count)"
    assert change_line(c) == "Shoulder tilt: +4.0° → +12.4°, change +8.4° (needs more than ±8.5° to count): within noise"
    assert c.to_dict()["margin"] == 8.49 and c.to_dict()["combined_uncertainty"] == 4.24


def test_two_turned_photos_say_why_nothing_was_compared(assessed):
    a = b = assessed("standing_front_03_skier.jpg")  # 52° from facing the camera, 38° from a side
    assert a.view.name.value == b.view.name.value == "turned"
    changes = compare(a, b)
    assert not [c for c in changes if c.change is not None]
    why = nothing_compared(a, b, changes)
    assert why is not None and why.startswith("no measure was taken from before (a turned view")
    assert nothing_compared(assessed("multicam/static_cam02_f00.jpg"), assessed("multicam/static_cam02_f10.jpg"),
                            compare(assessed("multicam/static_cam02_f00.jpg"), assessed("multicam/static_cam02_f10.jpg"))) is None
