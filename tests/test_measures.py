"""Every measure against synthetic landmarks with an exact answer."""

import math

import pytest

from posture.core.body.landmarks import Landmark as L
from posture.core.body.views import Posture, View, ViewName
from posture.core.measuring.measures import MEASURES, MeasureContext, aggregate, compute_measures

from .conftest import side_body, standing_side_body, swayed, synthetic_landmarks

FRONT = View(ViewName.FRONT, Posture.STANDING, 1.0, "user")
BACK = View(ViewName.BACK, Posture.STANDING, 1.0, "user")
LEFT_SEATED = View(ViewName.LEFT, Posture.SEATED, 1.0, "user")
LEFT_STANDING = View(ViewName.LEFT, Posture.STANDING, 1.0, "user")


def _run(points, view, near="left", height=None, size=(1000, 1000)):
    lms = synthetic_landmarks(points)
    return compute_measures(lms, [lms] * 4, MeasureContext(view, near, height), size)


def _front_body(shoulder_drop=0.0):
    """A front-view subject: their left is on the image's right."""
    return {
        L.LEFT_EAR: (530, 100), L.RIGHT_EAR: (470, 100),
        L.LEFT_SHOULDER: (600, 200), L.RIGHT_SHOULDER: (400, 200 + shoulder_drop),
        L.LEFT_HIP: (560, 500), L.RIGHT_HIP: (440, 500),
        L.LEFT_KNEE: (560, 700), L.RIGHT_KNEE: (440, 700),
        L.LEFT_ANKLE: (560, 900), L.RIGHT_ANKLE: (440, 900),
    }


def test_every_measure_is_documented():
    for spec in MEASURES:
        assert spec.definition and spec.sign and spec.unit and spec.views
    assert {"head_tilt_deg", "shoulder_tilt_deg", "hip_tilt_deg", "trunk_lean_deg", "craniovertebral_angle_deg",
            "neck_inclination_deg", "torso_inclination_deg"} <= set(MEASURES.names())


def test_front_view_shoulder_tilt_exact():
    drop = 200 * math.tan(math.radians(5))  # right shoulder lower: left higher by 5 deg
    m = _run(_front_body(drop), FRONT)
    assert m["shoulder_tilt_deg"].value == pytest.approx(5.0)
    assert m["shoulder_tilt_deg"].uncertainty == 0.0
    assert m["head_tilt_deg"].value == pytest.approx(0.0)
    assert m["hip_tilt_deg"].value == pytest.approx(0.0)


def test_trunk_lean_sign_front_and_back():
    body = _front_body()
    # Shift the shoulders 30 px to image right over 300 px of trunk.
    for lm in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
        body[lm] = (body[lm][0] + 30, body[lm][1])
    expected = math.degrees(math.atan2(30, 300))
    assert _run(body, FRONT)["trunk_lean_deg"].value == pytest.approx(expected)  # toward subject's left
    assert _run(body, BACK)["trunk_lean_deg"].value == pytest.approx(-expected)  # image right is their right


@pytest.mark.parametrize(("lean", "yaw"), [(30.0, 25.0), (30.0, -25.0), (-20.0, 15.0), (10.0, 0.0)])
def test_trunk_lean_seen_off_square_is_read_at_its_true_size(lean, yaw):
    """A trunk leaning `lean` degrees sideways, the body turned `yaw` from square: the camera sees
    the sideways part shortened by cos(yaw) (it read 2-7° low with a ± of 1.1°). With the yaw
    known the lean is read at its size, and its ± carries the yaw's SD."""
    from posture.core.measuring.uncertainty import SetupSpread, combine

    trunk = 300.0
    hip = (500.0, 700.0)
    sideways = trunk * math.sin(math.radians(lean)) * math.cos(math.radians(yaw))  # what the photo shows
    shoulder = (hip[0] + sideways, hip[1] - trunk * math.cos(math.radians(lean)))
    body = synthetic_landmarks({L.LEFT_HIP: (hip[0] + 60, hip[1]), L.RIGHT_HIP: (hip[0] - 60, hip[1]),
                                L.LEFT_SHOULDER: (shoulder[0] + 80, shoulder[1]),
                                L.RIGHT_SHOULDER: (shoulder[0] - 80, shoulder[1])})
    view = View(ViewName.FRONT, Posture.STANDING, 1.0, "auto", yaw_deg=yaw)
    ctx = MeasureContext(view, focal_px=1500.0, principal_point=(500.0, 500.0), yaw_deg=yaw)
    m = compute_measures(body, [body] * 3, ctx, (1000, 1000), names=("trunk_lean_deg",))["trunk_lean_deg"]
    assert m.value == pytest.approx(lean, abs=1e-6)
    widened = combine(MEASURES["trunk_lean_deg"], m, body.xy, ctx, SetupSpread(0.0, 0.0), 1500.0, (500.0, 500.0))
    yaw_part = dict(widened.parts).get("body yaw", 0.0)
    if lean and yaw:
        assert yaw_part > 0.1  # the yaw's error now reaches the lean's ±
    as_drawn = MeasureContext(view)  # no camera: read as drawn (live, stored records)
    drawn = compute_measures(body, [body] * 3, as_drawn, (1000, 1000), names=("trunk_lean_deg",))["trunk_lean_deg"]
    assert abs(drawn.value) <= abs(lean) + 1e-9


def test_knee_valgus_sign():
    body = _front_body()
    # Left knee (image right in a front view) moves medially = toward image left.
    body[L.LEFT_KNEE] = (560 - 200 * math.tan(math.radians(8)), 700)
    m = _run(body, FRONT)
    assert m["left_knee_valgus_deg"].value == pytest.approx(16.0)
    assert m["right_knee_valgus_deg"].value == pytest.approx(0.0)


def test_knee_bent_far_is_withheld_with_reason():
    body = _front_body()
    body[L.RIGHT_KNEE] = (300, 560)  # leg lifted (tree pose)
    body[L.RIGHT_ANKLE] = (430, 580)
    m = _run(body, FRONT)["right_knee_valgus_deg"]
    assert m.value is None and "knee is bent" in m.reason


def test_side_view_head_and_trunk_angles():
    m = _run(side_body(cva=50.0, torso=10.0), LEFT_SEATED)
    assert m["craniovertebral_angle_deg"].value == pytest.approx(50.0)
    assert m["neck_inclination_deg"].value == pytest.approx(40.0)
    assert m["torso_inclination_deg"].value == pytest.approx(10.0)  # shoulder forward of hip
    assert m["forward_head_offset_pct"].value == pytest.approx(100 * 100 * math.cos(math.radians(50)) / 300)
    assert m["knee_flexion_deg"].value == pytest.approx(90.0)
    # Thigh horizontal and trunk 10 deg forward of vertical: 80 deg between them, 100 from straight.
    assert m["trunk_thigh_angle_deg"].value == pytest.approx(100.0)
    # Neck 40 deg forward of vertical on a trunk 10 deg forward: 30 deg of flexion on the trunk.
    assert m["neck_on_trunk_flexion_deg"].value == pytest.approx(30.0)


def test_frontal_measures_not_applicable_on_side_view():
    m = _run(side_body(), LEFT_SEATED)
    assert m["shoulder_tilt_deg"].value is None
    assert m["shoulder_tilt_deg"].reason.startswith("not applicable: needs a front or back view")
    assert m["ear_plumb_offset_pct"].reason == "not applicable when seated"


def test_plumb_offsets_and_centimetres_standing():
    # Standing left view: ankle at x=500; ear 45 px forward (image-left), 890 px above the ankle.
    pts = {L.LEFT_EAR: (455, 100), L.LEFT_SHOULDER: (480, 250), L.LEFT_HIP: (500, 500),
           L.LEFT_KNEE: (505, 750), L.LEFT_ANKLE: (500, 990)}
    m = _run(pts, LEFT_STANDING, height=100.0)
    assert m["ear_plumb_offset_pct"].value == pytest.approx(100 * 45 / 890)
    # 890 px = 0.89 * 100 cm -> 10 px per cm: 45 px is 4.5 cm.
    assert m["ear_plumb_offset_cm"].value == pytest.approx(4.5)
    assert m["knee_plumb_offset_cm"].value == pytest.approx(-0.5)
    no_height = _run(pts, LEFT_STANDING)
    assert no_height["ear_plumb_offset_cm"].value is None
    assert no_height["ear_plumb_offset_cm"].reason == "client height not given"


def test_invisible_landmark_gives_reason_not_number():
    lms = synthetic_landmarks(_front_body())
    lms.visibility[L.LEFT_EAR] = 0.2
    m = compute_measures(lms, [lms] * 4, MeasureContext(FRONT), (1000, 1000))
    assert m["head_tilt_deg"].value is None
    assert m["head_tilt_deg"].reason == "left_ear not visible enough (visibility 0.20 < 0.50)"


def test_landmark_outside_photo_gives_reason():
    m = _run(_front_body(), FRONT, size=(1000, 880))  # ankles at y=900 fall outside
    assert m["left_knee_valgus_deg"].reason == "left_ankle is outside the photo"


def test_unstable_readings_are_withheld():
    a = synthetic_landmarks(_front_body(0.0))
    b = synthetic_landmarks(_front_body(200 * math.tan(math.radians(8))))
    m = compute_measures(a, [a, b, a, b, a, b], MeasureContext(FRONT), (1000, 1000))["shoulder_tilt_deg"]
    assert m.value is None and m.reason.startswith("unstable: the model's repeated readings of this photo spread 4.4 deg")


def test_aggregate_rejects_outliers():
    value, spread, inliers = aggregate([1.0, 1.1, 0.9, 1.0, 12.0], "deg")
    assert value == pytest.approx(1.0) and 12.0 not in inliers
    assert spread == pytest.approx(0.0816, abs=1e-3)


def test_relevant_hides_only_not_applicable_measures():
    side = _run(side_body(), LEFT_SEATED)
    assert side["craniovertebral_angle_deg"].relevant
    assert not side["shoulder_tilt_deg"].relevant  # wrong view
    assert not side["forward_head_offset_cm"].relevant  # no height given
    lms = synthetic_landmarks(_front_body())
    lms.visibility[L.LEFT_EAR] = 0.2
    hidden = compute_measures(lms, [lms] * 4, MeasureContext(FRONT), (1000, 1000))["head_tilt_deg"]
    assert hidden.relevant  # could not be measured here: the user should see why


def test_neck_on_trunk_is_zero_when_the_neck_continues_a_flexed_trunk():
    # Trunk 25 deg forward and the shoulder->ear line along it: CVA = 90 - 25 = 65.
    m = _run(side_body(cva=65.0, torso=25.0), LEFT_SEATED)
    assert m["neck_inclination_deg"].value == pytest.approx(25.0)  # head forward of vertical ...
    assert m["neck_on_trunk_flexion_deg"].value == pytest.approx(0.0, abs=1e-9)  # ... but not flexed on the trunk


def test_neck_on_trunk_on_an_upright_trunk_equals_the_neck_lean():
    m = _run(side_body(cva=60.0, torso=0.0), LEFT_SEATED)
    assert m["neck_on_trunk_flexion_deg"].value == pytest.approx(30.0)
    # Mirrored into a right view, the same body reads the same.
    mirrored = {L[k.name.replace("LEFT", "RIGHT")]: (1000 - x, y) for k, (x, y) in side_body(cva=60.0, torso=0.0).items()}
    right = _run(mirrored, View(ViewName.RIGHT, Posture.SEATED, 1.0, "user"), near="right")
    assert right["neck_on_trunk_flexion_deg"].value == pytest.approx(30.0)


def test_neck_on_trunk_sign_in_extension_and_on_a_reclined_trunk():
    # Ear behind the trunk line: extension, negative.
    assert _run(side_body(cva=100.0, torso=0.0), LEFT_SEATED)["neck_on_trunk_flexion_deg"].value == pytest.approx(-10.0)
    # Reclined 20 deg with the neck 40 deg forward of vertical: 60 deg of flexion on the trunk.
    m = _run(side_body(cva=50.0, torso=-20.0), LEFT_SEATED)
    assert m["torso_inclination_deg"].value == pytest.approx(-20.0)
    assert m["neck_on_trunk_flexion_deg"].value == pytest.approx(60.0)


def _seated_for_scale(slump_deg):
    """A seated left view, shank 246 px (knee-ankle), ear 45 px ahead of the shoulder. `slump_deg`
    tilts the trunk forward about the hip and shortens the shoulder-hip chord by 20 %, as a slump does."""
    hip = (600.0, 600.0)
    chord = 300.0 * (1.0 - 0.2 * (slump_deg > 0))
    shoulder = (hip[0] - chord * math.sin(math.radians(slump_deg)), hip[1] - chord * math.cos(math.radians(slump_deg)))
    ear = (shoulder[0] - 45.0, shoulder[1] - 80.0)
    knee = (hip[0] - 250.0, hip[1])
    ankle = (knee[0], knee[1] + 246.0)
    return {L.LEFT_EAR: ear, L.LEFT_SHOULDER: shoulder, L.LEFT_HIP: hip, L.LEFT_KNEE: knee, L.LEFT_ANKLE: ankle}


def test_seated_centimetres_come_from_the_shank_and_ignore_a_slump():
    # Shank 246 px = 0.246 x 100 cm -> 10 px per cm: 45 px is 4.5 cm, upright or slumped.
    upright = _run(_seated_for_scale(0.0), LEFT_SEATED, height=100.0)
    slumped = _run(_seated_for_scale(25.0), LEFT_SEATED, height=100.0)
    assert upright["forward_head_offset_cm"].value == pytest.approx(4.5)
    assert slumped["forward_head_offset_cm"].value == pytest.approx(4.5)
    # The old shoulder-hip scale would have read the slump as a 25 % larger offset.
    assert slumped["forward_head_offset_pct"].value == pytest.approx(upright["forward_head_offset_pct"].value / 0.8)


def test_seated_centimetres_withheld_without_the_ankle():
    lms = synthetic_landmarks(_seated_for_scale(0.0))
    lms.visibility[L.LEFT_ANKLE] = 0.1
    m = compute_measures(lms, [lms] * 4, MeasureContext(LEFT_SEATED, "left", 100.0), (1000, 1000))
    assert m["forward_head_offset_cm"].value is None
    assert m["forward_head_offset_cm"].reason.startswith("left_ankle not visible enough")
    assert m["forward_head_offset_pct"].value is not None  # the scale-free reading does not need it


def test_whole_body_sway_moves_plumb_offsets_but_not_the_body_angles():
    base = _run(standing_side_body(), LEFT_STANDING)
    sway = _run(swayed(standing_side_body(), 6.0), LEFT_STANDING)
    assert sway["torso_inclination_deg"].value == pytest.approx(base["torso_inclination_deg"].value + 6.0)
    for name in ("neck_on_trunk_flexion_deg", "trunk_thigh_angle_deg", "knee_flexion_deg"):
        assert sway[name].value == pytest.approx(base[name].value)
    # A point `f` px forward of the ankle and `h` px above it moves to f cos + h sin forward and
    # h cos - f sin up: the shoulder (-5, 740) goes about 8 % of the ear-ankle height forward.
    c, s = math.cos(math.radians(6)), math.sin(math.radians(6))
    assert base["shoulder_plumb_offset_pct"].value == pytest.approx(100 * -5 / 890)
    assert sway["shoulder_plumb_offset_pct"].value == pytest.approx(100 * (-5 * c + 740 * s) / (890 * c - 10 * s))
    assert sway["shoulder_plumb_offset_pct"].value > 8.0  # the old "rounded shoulders" rule's marked cut-off
