"""Never confidently wrong about the view: relabelled photos keep their yaw with their labels,
a side view chosen against the photo is withheld, front/back doubt is said, and a "retake"
withholds what it says it does. Real photos throughout."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from posture.core.body.views import angle_difference_deg, feet_toward_camera, front_back_doubt, side_choice_conflict
from posture.core.measuring.setup import Setup, SetupCheck, Status

FRONT = "multicam/static_cam04_f05.jpg"  # a front view, body turned ~20° (perspective matters)


def test_choosing_back_for_a_front_photo_relabels_with_the_yaw(assessed):
    """The labels are swapped to match the chosen view; the yaw must follow them. It used to stay
    with the old labels: the set-up said "turn about 180°" and the perspective correction
    inverted the tilts a second time."""
    front, back = assessed(FRONT, "front"), assessed(FRONT, "back")
    assert any("labels were swapped to match the back view" in w for w in back.warnings)
    assert front.view.yaw_deg is not None and back.view.yaw_deg is not None
    assert abs(angle_difference_deg(back.view.yaw_deg, front.view.yaw_deg + 180.0)) < 1.0
    yaw_check = back.setup.check("yaw")
    assert "about 1" not in yaw_check.fix and back.view.yaw_off_deg == pytest.approx(front.view.yaw_off_deg, abs=1.0)
    # the same geometry read with the labels swapped: each tilt changes sign, size kept
    compared = 0
    for name in ("shoulder_tilt_deg", "hip_tilt_deg", "head_tilt_deg", "trunk_lean_deg"):
        f, b = front.measures[name], back.measures[name]
        if f.value is None or b.value is None:
            continue  # withheld in one reading (e.g. unstable): nothing to compare
        compared += 1
        assert abs(f.value + b.value) <= 2 * max(f.uncertainty, b.uncertainty), (name, f.value, b.value)
    assert compared >= 2


def test_a_side_view_chosen_against_the_photo_is_withheld(assessed):
    auto = assessed("seated_side_upright_01.jpg")
    assert auto.view.name.value == "left" and auto.measures["craniovertebral_angle_deg"].value is not None
    wrong = assessed("seated_side_upright_01.jpg", "right")
    cva = wrong.measures["craniovertebral_angle_deg"]
    assert cva.value is None and "you chose a right side view, but the client faces image-left" in cva.reason
    assert all(m.value is None for m in wrong.measures.values()) and wrong.findings == []
    assert side_choice_conflict(auto.view, auto.landmarks) is None  # detected, not chosen: no conflict


def test_feet_tell_front_from_back_on_real_photos(assessed):
    fronts = ["standing_front_05_video.jpg", "multicam/static_cam04_f05.jpg", "multicam/static_cam03_f05.jpg"]
    backs = ["standing_back_01.jpg", "standing_back_02.jpg", "multicam/static_cam02_f05.jpg"]
    for name in fronts:
        assert feet_toward_camera(assessed(name).landmarks) > 0.1, name
    for name in backs:
        assert feet_toward_camera(assessed(name).landmarks) < -0.1, name


def test_front_back_doubt_withholds_with_the_reason(assessed):
    """A back read by the model whose feet point toward the camera: the two cues disagree, so
    the view is not guessed. (This frame is a true back: a false alarm costs a retake, a wrong
    guess a left-right inversion.)"""
    a = assessed("standing_back_05_video.jpg")
    assert a.view.name.value == "back"
    assert any(w.startswith("front or back uncertain") for w in a.warnings)
    tilt = a.measures["shoulder_tilt_deg"]
    assert tilt.value is None and "feet point toward the camera" in tilt.reason
    chosen = assessed("standing_back_05_video.jpg", "back")  # the user says back: trusted
    assert front_back_doubt(chosen.view, chosen.landmarks) is None
    assert not any("uncertain" in w for w in chosen.warnings)
    # what is still withheld is for the camera (about 2 m up, 31° down), not for the doubt
    reasons = {m.reason for m in chosen.measures.values() if m.relevant and m.value is None}
    assert reasons and not any("feet point toward" in (r or "") for r in reasons), reasons


def test_no_doubt_where_the_cues_agree(assessed):
    for name in ("standing_back_01.jpg", "standing_back_02.jpg", "standing_front_05_video.jpg",
                 "multicam/static_cam02_f05.jpg", "multicam/static_cam04_f05.jpg"):
        a = assessed(name)
        assert not any("uncertain" in w for w in a.warnings), name


def test_a_whole_photo_retake_withholds_every_measure(assessed):
    from posture.core.measuring.gates import withhold_failed_checks

    a = assessed("standing_front_05_video.jpg")
    assert any(m.value is not None for m in a.measures.values())
    steep = SetupCheck("pitch", "Camera tilt up/down (pitch)", Status.RETAKE, "camera points 35° down", "",
                       withholds_all=True)
    setup = dataclasses.replace(a.setup, checks=(*a.setup.checks, steep))
    out = withhold_failed_checks(a.measures, setup)
    assert all(m.value is None for m in out.values())
    assert out["shoulder_tilt_deg"].reason == "not measured: camera points 35° down"
    # a retake of the arms withholds only what the measures declare
    arms = SetupCheck("arms", "Arms", Status.RETAKE, "an arm is raised", "")
    out = withhold_failed_checks(a.measures, Setup((arms,), a.setup.camera))
    assert {n for n, m in out.items() if m.value is None and m.reason == "not measured: an arm is raised"} == {
        n for n in ("shoulder_tilt_deg", "head_tilt_deg") if a.measures[n].value is not None}


def test_yaw_pitch_height_and_size_retakes_say_they_withhold_everything():
    from posture.core.body.views import Posture, View, ViewName
    from posture.core.image.camera import stated_camera
    from posture.core.measuring.setup import check_camera, check_yaw

    chosen = View(ViewName.FRONT, Posture.STANDING, 1.0, "user", yaw_deg=50.0)
    assert check_yaw(chosen).status is Status.RETAKE and check_yaw(chosen).withholds_all
    assert not check_yaw(dataclasses.replace(chosen, yaw_deg=20.0)).withholds_all
    side = View(ViewName.LEFT, Posture.STANDING, 1.0, "user", yaw_deg=90.0 + 35.0)
    assert check_yaw(side).status is Status.RETAKE and check_yaw(side).withholds_all
    measured = dataclasses.replace(stated_camera(0.0, 35.0, width=1000, height=1500), status="measured")
    _, pitch = check_camera(measured)
    assert pitch.status is Status.RETAKE and pitch.withholds_all


def test_a_spirit_level_gives_the_roll_not_the_pitch(data_dir):
    """"Levelled on a tripod" used to claim pitch 0 ± 0.5° whatever the scene showed."""
    from posture import assess
    from posture.core.measuring.uncertainty import UNKNOWN_PITCH_SD_DEG

    plain = assess(data_dir / "mediapipe_pose_test.jpg", camera_level=True)  # sky and sea: no scene lines
    cam = plain.setup.camera
    assert (cam.roll_deg, cam.roll_sd_deg) == (0.0, 0.5) and cam.pitch_sd_deg == UNKNOWN_PITCH_SD_DEG
    assert plain.setup.check("pitch").reading.startswith("camera pitch unknown")
    scene = assess(data_dir / "seated_side_upright_01.jpg", camera_level=True)  # the scene shows the pitch
    measured = assess(data_dir / "seated_side_upright_01.jpg").setup.camera
    assert scene.setup.camera.roll_deg == 0.0
    assert (scene.setup.camera.pitch_deg, scene.setup.camera.pitch_sd_deg) == (measured.pitch_deg, measured.pitch_sd_deg)
    assert "(from the scene)" in scene.setup.check("pitch").reading


def test_a_camera_stated_level_narrows_the_roll_part_of_the_plus_minus(data_dir):
    """A camera stated level (roll 0, pitch 0) levels by the identity: the ± used to carry the
    hand-held camera's 2° roll all the same, as if nothing had been said."""
    from posture import assess

    hand_held = assess(data_dir / "mediapipe_pose_test.jpg")  # sky and sea: the level is unknown
    assert not hand_held.setup.camera.known
    levelled = assess(data_dir / "mediapipe_pose_test.jpg", camera_level=True)
    for name in ("shoulder_tilt_deg", "head_tilt_deg", "trunk_lean_deg"):
        held, level = dict(hand_held.measures[name].parts), dict(levelled.measures[name].parts)
        # A tilt moves degree for degree with the roll: its part is the roll's SD.
        assert held["camera roll"] == pytest.approx(2.0, abs=0.1)
        assert level["camera roll"] == pytest.approx(0.5, abs=0.05)
        assert levelled.measures[name].uncertainty < hand_held.measures[name].uncertainty


def test_the_image_scale_is_never_negative():
    from posture.core.body.landmarks import Landmark as L
    from posture.core.body.views import Posture, View, ViewName
    from posture.core.measuring.measures import MeasureContext, px_per_cm

    from .conftest import synthetic_landmarks

    ctx = MeasureContext(View(ViewName.LEFT, Posture.STANDING, 1.0, "user"), "left", 170.0)
    upright = synthetic_landmarks({L.LEFT_EAR: (500, 100), L.LEFT_ANKLE: (500, 1613)})
    assert px_per_cm(upright.xy, ctx) == pytest.approx(1513 / (0.89 * 170))
    upside_down = synthetic_landmarks({L.LEFT_EAR: (500, 1613), L.LEFT_ANKLE: (500, 100)})
    with pytest.raises(ValueError, match="no image scale"):
        px_per_cm(upside_down.xy, ctx)


def test_a_leaning_trunk_over_upright_legs_is_not_turned_upright():
    """Only a whole body lying sideways means a sideways photo: a trunk leaning 60° in the
    photo (35° of lean seen by a camera rolled 25°) over shanks 25° off vertical is a person.
    (Seated photos turned sideways are tested on real photos in test_levelling.)"""
    import math

    from posture.core.body.landmarks import Landmark as L
    from posture.core.body.orientation import quarter_turns

    from .conftest import synthetic_landmarks

    def body(trunk_deg: float, legs_deg: float):
        """Hips at (500, 500); the trunk and the legs at these angles from straight up, CCW."""
        def towards(deg: float, length: float) -> tuple[float, float]:
            return 500 - length * math.sin(math.radians(deg)), 500 - length * math.cos(math.radians(deg))

        sx, sy = towards(trunk_deg, 300)
        kx, ky = towards(legs_deg + 180.0, 220)  # knees, then ankles further along the same line
        ax, ay = towards(legs_deg + 180.0, 450)
        return synthetic_landmarks({L.LEFT_HIP: (490, 500), L.RIGHT_HIP: (510, 500), L.LEFT_SHOULDER: (sx - 10, sy),
                                    L.RIGHT_SHOULDER: (sx + 10, sy), L.LEFT_KNEE: (kx - 10, ky),
                                    L.RIGHT_KNEE: (kx + 10, ky), L.LEFT_ANKLE: (ax - 10, ay),
                                    L.RIGHT_ANKLE: (ax + 10, ay)})

    assert quarter_turns(body(60.0, 25.0)) == 0  # leaning over upright legs: left as it is
    assert quarter_turns(body(90.0, 90.0)) == 1  # the whole body lies sideways, head to image-left
    assert quarter_turns(body(-88.0, -95.0)) == 3
    assert quarter_turns(body(180.0, 175.0)) == 2
    assert quarter_turns(body(10.0, 0.0)) == 0


def test_a_level_that_would_tip_a_standing_body_over_is_not_believed(assessed):
    """A 'measured' level must agree with the standing body's own vertical: lines that are not
    vertical in the world (a dome, a sloping ceiling) read as a camera roll would tip the body."""
    from posture.core.image.camera import stated_camera
    from posture.core.measuring.gravity import MAX_BODY_OFF_VERTICAL_DEG, standing_body_off_vertical_deg

    a = assessed("standing_front_05_video.jpg")
    measured = a.setup.camera
    assert measured.known and abs(standing_body_off_vertical_deg(a.landmarks, measured)) < 5.0
    w, h = a.image.width, a.image.height
    for roll in (18.0, -20.0):
        wrong = dataclasses.replace(stated_camera(roll, 0.0, width=w, height=h), status="measured")
        off = standing_body_off_vertical_deg(a.landmarks, wrong)
        assert abs(off) > MAX_BODY_OFF_VERTICAL_DEG and np.sign(off) == np.sign(roll)
    seated = assessed("seated_side_upright_01.jpg")  # a seated trunk may recline: not judged
    assert standing_body_off_vertical_deg(seated.landmarks, seated.setup.camera) is None


@pytest.mark.parametrize("name", ["standing_front_05_video.jpg", "standing_back_04_tpose.jpg", "standing_side_01.jpg",
                                  "standing_side_02.jpg", "multicam/static_cam01_f05.jpg",
                                  "multicam/static_cam04_f05.jpg"])
def test_real_levels_stay_believed(assessed, name):
    """Every real standing photo whose scene gives a level keeps it (cam04 is rolled 27°)."""
    assert assessed(name).setup.camera.known
