"""Every measure against synthetic landmarks with an exact answer."""

import math

import pytest

from posture.landmarks import Landmark as L
from posture.measures import MEASURES, MEASURES_BY_NAME, MeasureContext, aggregate, compute_measures
from posture.views import Posture, View, ViewName

from .conftest import synthetic_landmarks

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
            "neck_inclination_deg", "torso_inclination_deg"} <= set(MEASURES_BY_NAME)


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


def _side_body(cva=50.0, torso=10.0):
    """A left view: the subject faces image-left (forward is -x)."""
    shoulder = (500.0, 300.0)
    ear = (500 - 100 * math.cos(math.radians(cva)), 300 - 100 * math.sin(math.radians(cva)))
    hip = (500 + 300 * math.sin(math.radians(torso)), 300 + 300 * math.cos(math.radians(torso)))
    knee = (hip[0] - 250, hip[1])  # seated: thigh horizontal, forward
    ankle = (knee[0], knee[1] + 250)
    return {L.LEFT_EAR: ear, L.LEFT_SHOULDER: shoulder, L.LEFT_HIP: hip, L.LEFT_KNEE: knee, L.LEFT_ANKLE: ankle}


def test_side_view_head_and_trunk_angles():
    m = _run(_side_body(cva=50.0, torso=10.0), LEFT_SEATED)
    assert m["craniovertebral_angle_deg"].value == pytest.approx(50.0)
    assert m["neck_inclination_deg"].value == pytest.approx(40.0)
    assert m["torso_inclination_deg"].value == pytest.approx(10.0)  # shoulder forward of hip
    assert m["forward_head_offset_pct"].value == pytest.approx(100 * 100 * math.cos(math.radians(50)) / 300)
    assert m["knee_flexion_deg"].value == pytest.approx(90.0)
    # Thigh horizontal and trunk 10 deg forward of vertical: 80 deg between them, 100 of flexion.
    assert m["hip_flexion_deg"].value == pytest.approx(100.0)


def test_frontal_measures_not_applicable_on_side_view():
    m = _run(_side_body(), LEFT_SEATED)
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
    assert m.value is None and m.reason.startswith("unstable: readings spread 4.4 deg")


def test_aggregate_rejects_outliers():
    value, spread, inliers = aggregate([1.0, 1.1, 0.9, 1.0, 12.0], "deg")
    assert value == pytest.approx(1.0) and 12.0 not in inliers
    assert spread == pytest.approx(0.0816, abs=1e-3)


def test_relevant_hides_only_not_applicable_measures():
    side = _run(_side_body(), LEFT_SEATED)
    assert side["craniovertebral_angle_deg"].relevant
    assert not side["shoulder_tilt_deg"].relevant  # wrong view
    assert not side["forward_head_offset_cm"].relevant  # no height given
    lms = synthetic_landmarks(_front_body())
    lms.visibility[L.LEFT_EAR] = 0.2
    hidden = compute_measures(lms, [lms] * 4, MeasureContext(FRONT), (1000, 1000))["head_tilt_deg"]
    assert hidden.relevant  # could not be measured here: the user should see why
