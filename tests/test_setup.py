"""Views, set-up checks and the uncertainty model on synthetic landmarks with exact answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posture.core.body.landmarks import NUM_LANDMARKS, PoseLandmarks
from posture.core.body.landmarks import Landmark as L
from posture.core.body.views import Posture, View, ViewName, angle_difference_deg, classify_view, decide_view, turn_limit_deg
from posture.core.image.camera import stated_camera
from posture.core.measuring.measures import MEASURES, Measure, MeasureContext, compute_measures
from posture.core.measuring.setup import Status, check_camera, check_framing, check_stance, check_yaw
from posture.core.measuring.uncertainty import FLOOR, SetupSpread, combine, pitch_points, rotate_about

from .conftest import synthetic_landmarks


def _body_with_yaw(yaw_deg: float, facing_left_in_image: bool | None = None) -> PoseLandmarks:
    """A standing body whose world landmarks are turned by `yaw_deg` (views.yaw_deg convention)."""
    pts = {
        L.NOSE: (500, 80), L.LEFT_EAR: (530, 100), L.RIGHT_EAR: (470, 100),
        L.LEFT_SHOULDER: (600, 200), L.RIGHT_SHOULDER: (400, 200), L.LEFT_WRIST: (620, 480), L.RIGHT_WRIST: (380, 480),
        L.LEFT_HIP: (560, 500), L.RIGHT_HIP: (440, 500), L.LEFT_KNEE: (560, 700), L.RIGHT_KNEE: (440, 700),
        L.LEFT_ANKLE: (560, 900), L.RIGHT_ANKLE: (440, 900),
    }
    if facing_left_in_image is not None:  # nose ahead of the ears
        pts[L.NOSE] = (450, 90) if facing_left_in_image else (550, 90)
    lms = synthetic_landmarks(pts)
    world = np.zeros((NUM_LANDMARKS, 3))
    w = math.radians(yaw_deg)
    # subject's left in world axes (x right, y down, z away): (cos w, 0, -sin w)
    left = np.array([math.cos(w), 0.0, -math.sin(w)])
    for lm_l, lm_r, half, y in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER, 0.2, -0.5), (L.LEFT_HIP, L.RIGHT_HIP, 0.12, 0.0)):
        world[int(lm_l)] = half * left + [0, y, 0]
        world[int(lm_r)] = -half * left + [0, y, 0]
    world[int(L.LEFT_KNEE)] = 0.12 * left + [0, 0.45, 0]
    world[int(L.RIGHT_KNEE)] = -0.12 * left + [0, 0.45, 0]
    return PoseLandmarks(lms.xy, lms.visibility, world)


@pytest.mark.parametrize(
    ("yaw", "facing_left", "expected"),
    [
        (0.0, None, ViewName.FRONT), (14.0, None, ViewName.FRONT), (-29.0, None, ViewName.FRONT),
        # A front or back view holds to 45 deg; a side view to 30 (from the side: 60 from the front).
        (34.0, None, ViewName.FRONT), (-41.0, None, ViewName.FRONT), (140.0, None, ViewName.BACK),
        (53.0, True, ViewName.TURNED), (-57.0, False, ViewName.TURNED), (124.0, True, ViewName.TURNED),
        (90.0, True, ViewName.LEFT), (62.0, True, ViewName.LEFT), (-85.0, False, ViewName.RIGHT),
        (180.0, None, ViewName.BACK), (-160.0, None, ViewName.BACK),
    ],
)
def test_decide_view_names_turned_bodies_as_turned(yaw: float, facing_left: bool | None, expected: ViewName) -> None:
    name, confidence, measured_yaw = decide_view(_body_with_yaw(yaw, facing_left))
    assert name is expected
    assert measured_yaw is not None and abs(abs(measured_yaw) - abs(yaw)) < 1e-6
    if expected is not ViewName.TURNED:
        # confidence is measured from the intended view, not from a class boundary
        off = abs(angle_difference_deg(abs(yaw), abs(expected.intended_yaw_deg or 0.0)))
        assert confidence == pytest.approx(1.0 - off / turn_limit_deg(expected))


def test_side_view_near_side_follows_the_facing_direction() -> None:
    # Facing image-left means the subject's left side is toward the camera, whatever the ears' visibility.
    name, _, yaw = decide_view(_body_with_yaw(90.0, facing_left_in_image=True))
    view = View(name, Posture.STANDING, 1.0, "auto", yaw_deg=yaw)
    assert view.name is ViewName.LEFT and view.near_side == "left" and yaw is not None and yaw > 0
    name, _, yaw = decide_view(_body_with_yaw(-90.0, facing_left_in_image=False))
    assert name is ViewName.RIGHT and View(name, Posture.STANDING, 1.0, "auto", yaw_deg=yaw).near_side == "right"


def test_a_user_view_that_contradicts_a_confident_detection_is_recorded() -> None:
    body = _body_with_yaw(90.0, facing_left_in_image=True)
    chosen = classify_view(body, [body], "right")
    assert chosen.name is ViewName.RIGHT and chosen.source == "user"
    assert chosen.contradiction is not None and "left view" in chosen.contradiction
    assert classify_view(body, [body], "left").contradiction is None
    front = _body_with_yaw(3.0)
    assert "left view" not in (classify_view(front, [front], "front").contradiction or "")
    assert classify_view(front, [front], "front").contradiction is None


@pytest.mark.parametrize(("yaw", "status"), [(5.0, Status.OK), (20.0, Status.CAUTION), (-25.0, Status.CAUTION), (40.0, Status.RETAKE)])
def test_yaw_check(yaw: float, status: Status) -> None:
    name, conf, measured = decide_view(_body_with_yaw(yaw))
    check = check_yaw(View(name, Posture.STANDING, conf, "auto", yaw_deg=measured))
    assert check.status is status
    if status is Status.CAUTION:
        # turned to their right (left side toward the camera) -> turn back to their left
        assert ("to their left" in check.fix) == (yaw > 0)


def _standing(**moves: tuple[float, float]) -> PoseLandmarks:
    pts = {
        L.NOSE: (500, 80), L.LEFT_SHOULDER: (600, 200), L.RIGHT_SHOULDER: (400, 200),
        L.LEFT_WRIST: (620, 480), L.RIGHT_WRIST: (380, 480), L.LEFT_HIP: (560, 500), L.RIGHT_HIP: (440, 500),
        L.LEFT_KNEE: (560, 700), L.RIGHT_KNEE: (440, 700), L.LEFT_ANKLE: (560, 900), L.RIGHT_ANKLE: (440, 900),
    }
    pts.update({L[k.upper()]: v for k, v in moves.items()})
    return synthetic_landmarks(pts)


FRONT = View(ViewName.FRONT, Posture.STANDING, 1.0, "auto", yaw_deg=0.0)


def test_stance_checks() -> None:
    stance, arms = check_stance(_standing(), FRONT)
    assert stance.status is Status.OK and arms.status is Status.OK
    # tree pose: the right foot against the left knee
    stance, _ = check_stance(_standing(right_ankle=(520, 690), right_knee=(330, 620)), FRONT)
    assert stance.status is Status.RETAKE and "one leg" in stance.reading
    # squat: both knees forward and the hips low
    squat = _standing(left_hip=(560, 640), right_hip=(440, 640), left_knee=(640, 760), right_knee=(360, 760))
    assert check_stance(squat, FRONT)[0].status is Status.RETAKE
    _, arms = check_stance(_standing(left_wrist=(640, 20)), FRONT)
    assert arms.status is Status.RETAKE and "above the head" in arms.reading
    _, arms = check_stance(_standing(left_wrist=(800, 210), right_wrist=(200, 210)), FRONT)
    assert arms.status is Status.CAUTION
    seated = View(ViewName.LEFT, Posture.SEATED, 1.0, "auto")
    assert check_stance(_standing(), seated)[0].status is Status.OK


def test_framing_checks() -> None:
    assert check_framing(_standing(), (1000, 1000)).status is Status.OK
    cut = check_framing(_standing(), (1000, 880))
    assert cut.status is Status.RETAKE and "ankle" in cut.reading
    assert check_framing(_standing(left_shoulder=(995, 200)), (1000, 1000)).status is Status.CAUTION
    # the ankles cut off: the measures of the view that read them are named and withheld, no others
    cut = check_framing(_standing(), (1000, 880), FRONT)
    assert set(cut.withheld()) == {"left_knee_valgus_deg", "right_knee_valgus_deg"} and not cut.withholds_all
    assert "left knee alignment, right knee alignment withheld" in cut.reading


def test_camera_checks_say_when_the_level_is_unknown() -> None:
    from posture.core.image.scene import estimate_camera_tilt

    plain = np.full((600, 400, 3), 128, np.uint8)
    roll, pitch = check_camera(estimate_camera_tilt(plain))
    assert roll.status is Status.CAUTION and "unknown" in roll.reading
    roll, pitch = check_camera(stated_camera(0.0, 0.0, 0.5, width=400, height=600))
    assert roll.status is Status.OK and pitch.status is Status.OK and "stated" in roll.reading


# --- uncertainty --------------------------------------------------------------------------


def _measure(name: str, lms: PoseLandmarks, ctx: MeasureContext) -> Measure:
    return compute_measures(lms, [lms] * 4, ctx, (1000, 1000), (name,))[name]


def test_roll_adds_to_tilts_degree_for_degree_and_not_to_joint_angles() -> None:
    lms = _standing()
    ctx = MeasureContext(FRONT)
    spread = SetupSpread(roll_sd_deg=2.0, pitch_sd_deg=0.0, yaw_sd_deg=0.0)
    tilt = combine(MEASURES["shoulder_tilt_deg"], _measure("shoulder_tilt_deg", lms, ctx), lms.xy, ctx, spread, 1000.0, (500, 500))
    parts = dict(tilt.parts)
    assert parts["camera roll"] == pytest.approx(2.0, abs=1e-3)
    knee = combine(MEASURES["left_knee_valgus_deg"], _measure("left_knee_valgus_deg", lms, ctx), lms.xy, ctx, spread,
                   1000.0, (500, 500))
    assert dict(knee.parts).get("camera roll", 0.0) < 1e-6
    # never +-0: identical copies still carry the floor (and landmark placement)
    assert tilt.uncertainty is not None and tilt.uncertainty >= FLOOR["deg"]


def test_perturbations_are_exact_rigid_motions() -> None:
    xy = np.array([[100.0, 200.0], [300.0, 250.0]])
    turned = rotate_about(xy, 90.0, (0.0, 0.0))
    assert turned[0] == pytest.approx([200.0, -100.0])  # y down: CCW as displayed
    assert pitch_points(xy, 0.0, 800.0, (320.0, 240.0)) == pytest.approx(xy)
    # pitching the camera down moves the image of a point at the centre up by f tan(angle)
    assert pitch_points(np.array([[320.0, 240.0]]), 5.0, 800.0, (320.0, 240.0))[0, 1] == pytest.approx(240.0 - 800 * math.tan(math.radians(5.0)))


def test_centimetres_carry_the_body_proportion_error() -> None:
    from posture.core.measuring.measures import SCALE_REL_ERROR

    pts = {
        L.LEFT_EAR: (480, 100), L.LEFT_SHOULDER: (500, 200), L.LEFT_HIP: (500, 500),
        L.LEFT_KNEE: (500, 700), L.LEFT_ANKLE: (500, 900),
    }
    lms = synthetic_landmarks(pts)
    ctx = MeasureContext(View(ViewName.LEFT, Posture.STANDING, 1.0, "user"), "left", 170.0)
    m = compute_measures(lms, [lms] * 4, ctx, (1000, 1000), ("forward_head_offset_cm",))["forward_head_offset_cm"]
    assert m.value is not None
    widened = combine(MEASURES["forward_head_offset_cm"], m, lms.xy, ctx, SetupSpread(0.0, 0.0), 1000.0, (500, 500))
    assert dict(widened.parts)["body scale"] == pytest.approx(SCALE_REL_ERROR * abs(m.value))


def _body_with_thighs(deg: float) -> PoseLandmarks:
    """A front-facing body whose thighs point `deg` from straight down, toward the camera."""
    body = _body_with_yaw(0.0)
    assert body.world is not None
    world = body.world.copy()
    t = math.radians(deg)
    for hip, knee in ((L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE)):
        world[int(knee)] = world[int(hip)] + 0.45 * np.array([0.0, math.cos(t), -math.sin(t)])
    return PoseLandmarks(body.xy, body.visibility, world)


@pytest.mark.parametrize(("deg", "posture"), [(5.0, Posture.STANDING), (49.0, Posture.STANDING), (51.0, Posture.SEATED), (88.0, Posture.SEATED)])
def test_posture_is_called_when_the_copies_agree(deg: float, posture: Posture) -> None:
    body = _body_with_thighs(deg)
    view = classify_view(body, [_body_with_thighs(deg + d) for d in (-0.5, 0.0, 0.5)])
    assert (view.posture, view.posture_known, view.posture_doubt) == (posture, True, None)


def test_thighs_half_way_are_neither_seated_nor_standing_and_read_as_standing() -> None:
    # A squat's thighs at 50 deg: the copies fall on both sides of the seated threshold, so
    # the posture is not called (it would decide whether bent knees are checked).
    body = _body_with_thighs(50.5)
    copies = [_body_with_thighs(a) for a in (47.0, 48.5, 51.0, 52.5, 53.0, 49.0)]
    view = classify_view(body, copies)
    assert view.posture is Posture.STANDING and not view.posture_known
    assert view.posture_doubt is not None and "thighs read 50° from vertical, near the 50° line" in view.posture_doubt
    # Three in four copies on the consensus's side are enough to call it.
    assert classify_view(body, [_body_with_thighs(a) for a in (49.0, 51.0, 52.0, 53.0)]).posture is Posture.SEATED


def _one_leg_leaning(world_roll_deg: float) -> PoseLandmarks:
    """Standing on the left leg, the right leg out to the side 50° (its sole 0.7 shank up), the
    trunk leaning 30° over the left leg; a levelled photo at 400 px/m. BlazePose's world frame
    is rolled by `world_roll_deg` against the true vertical (it follows the body)."""
    sin, cos = math.sin(math.radians(50)), math.cos(math.radians(50))
    lean = math.radians(30)
    neck = np.array([0.6 * math.sin(lean), -0.6 * math.cos(lean)])
    across = 0.18 * np.array([math.cos(lean), math.sin(lean)])
    truth = {
        L.LEFT_HIP: (0.1, 0.0), L.RIGHT_HIP: (-0.1, 0.0), L.LEFT_KNEE: (0.1, 0.45), L.LEFT_ANKLE: (0.1, 0.9),
        L.RIGHT_KNEE: (-0.1 - 0.45 * sin, 0.45 * cos), L.RIGHT_ANKLE: (-0.1 - 0.9 * sin, 0.9 * cos),
        L.LEFT_SHOULDER: tuple(neck + across), L.RIGHT_SHOULDER: tuple(neck - across),
        L.NOSE: tuple(neck * 1.4), L.LEFT_WRIST: (0.35, 0.1), L.RIGHT_WRIST: (-0.1, 0.2),
    }
    for side in ("LEFT", "RIGHT"):
        ax, ay = truth[L[f"{side}_ANKLE"]]
        truth[L[f"{side}_HEEL"]] = (ax, ay + 0.05)
        truth[L[f"{side}_FOOT_INDEX"]] = (ax, ay + 0.05)
    lms = synthetic_landmarks({lm: (500 + 400 * x, 500 + 400 * y) for lm, (x, y) in truth.items()})
    r = math.radians(world_roll_deg)
    turn = np.array([[math.cos(r), math.sin(r)], [-math.sin(r), math.cos(r)]])
    world = np.zeros((NUM_LANDMARKS, 3))
    for lm, p in truth.items():
        world[int(lm), :2] = np.array(p) @ turn
    return PoseLandmarks(lms.xy, lms.visibility, world)


def test_a_raised_foot_is_caught_whatever_way_the_world_landmarks_lean() -> None:
    """Standing on one leg with the trunk tilted used to pass: BlazePose's world "down" follows
    the body, and rolled to put the two ankles level it hid the raised foot."""
    ankles = (int(L.LEFT_ANKLE), int(L.RIGHT_ANKLE))
    for roll in (0.0, -19.9, 25.0):
        body = _one_leg_leaning(roll)
        assert body.world is not None
        if roll == -19.9:  # the world frame has put the two ankles level
            assert abs(body.world[ankles[0], 1] - body.world[ankles[1], 1]) < 0.01
        stance, _ = check_stance(body, FRONT)
        assert stance.status is Status.RETAKE and "one leg" in stance.reading, roll
    # the same body on both feet (the right leg straight down): no retake, however the world leans
    for roll in (0.0, -19.9, 25.0):
        body = _one_leg_leaning(roll)
        xy, world = body.xy.copy(), body.world.copy() if body.world is not None else None
        assert world is not None
        for lm, (x, y) in {L.RIGHT_KNEE: (-0.1, 0.45), L.RIGHT_ANKLE: (-0.1, 0.9), L.RIGHT_HEEL: (-0.1, 0.95),
                           L.RIGHT_FOOT_INDEX: (-0.1, 0.95)}.items():
            r = math.radians(roll)
            xy[int(lm)] = (500 + 400 * x, 500 + 400 * y)
            world[int(lm), :2] = np.array([x, y]) @ np.array([[math.cos(r), math.sin(r)], [-math.sin(r), math.cos(r)]])
        on_floor = PoseLandmarks(xy, body.visibility, world)
        assert check_stance(on_floor, FRONT)[0].status is Status.OK, roll



def _seen_from(shoulders_deg: float, hips_deg: float) -> tuple[PoseLandmarks, object]:
    """A front view standing body whose shoulders and hips lie `shoulders_deg` and `hips_deg`
    below a level camera's horizon (f = 1000 px, horizon at row 750); head 120 px above the
    shoulders, knees and ankles below the hips in proportion."""
    import dataclasses

    camera = dataclasses.replace(stated_camera(0.0, 0.0, width=1000, height=1500, focal_px=1000.0,
                                               principal_point=(500.0, 750.0)), status="measured")
    sy = 750 + 1000 * math.tan(math.radians(shoulders_deg))
    hy = 750 + 1000 * math.tan(math.radians(hips_deg))
    leg = hy - sy
    body = _standing(nose=(500, sy - 120), left_ear=(530, sy - 100), right_ear=(470, sy - 100),
                     left_shoulder=(600, sy), right_shoulder=(400, sy), left_hip=(560, hy), right_hip=(440, hy),
                     left_knee=(560, hy + leg * 0.7), right_knee=(440, hy + leg * 0.7),
                     left_ankle=(560, hy + leg * 1.4), right_ankle=(440, hy + leg * 1.4),
                     left_wrist=(620, hy), right_wrist=(380, hy))
    return body, camera


def test_camera_height_withholds_only_the_measures_whose_parts_are_far_from_the_horizon() -> None:
    """A camera level with the shoulders but 30° above the hips: head and shoulder tilt keep
    their values (their parts are at the horizon); the hips and the knees are withheld, and the
    check says which. The trunk's lean is read at its middle (16° below): kept."""
    from posture.core.measuring.gates import withhold_failed_checks
    from posture.core.measuring.setup import Setup, check_camera_height

    body, camera = _seen_from(0.0, 30.0)
    check = check_camera_height(body, camera, FRONT)
    assert check.status is Status.RETAKE and not check.withholds_all
    assert set(check.withheld()) == {"hip_tilt_deg", "left_knee_valgus_deg", "right_knee_valgus_deg"}
    for name in check.withheld():
        assert MEASURES[name].label.lower() in check.reading
    assert "head tilt" not in check.reading and "shoulder tilt" not in check.reading and "trunk" not in check.reading
    measures = {n: Measure(n, "deg", 1.0, 0.5, 1.0) for n in MEASURES.names()}
    out = withhold_failed_checks(measures, Setup((check,), camera))  # type: ignore[arg-type]
    assert {n for n, m in out.items() if m.value is None} == set(check.withheld())
    assert out["hip_tilt_deg"].reason == f"not measured: {check.reading}"
    # a side view reads the ear, shoulder, hip, knee and ankle: those far from the horizon go
    side = View(ViewName.LEFT, Posture.STANDING, 1.0, "auto", yaw_deg=90.0)
    withheld_side = set(check_camera_height(body, camera, side).withheld())
    assert "neck_inclination_deg" not in withheld_side and "knee_flexion_deg" in withheld_side
    # near the horizon everywhere: ok; the shoulders 14° above it (a camera at hip height, close): caution,
    # nothing withheld
    assert check_camera_height(*_seen_from(0.0, 8.0), FRONT).status is Status.OK
    caution = check_camera_height(*_seen_from(-14.0, 0.0), FRONT)
    assert caution.status is Status.CAUTION and caution.withheld() == ()
    # far from everything (a camera 35° above the shoulders): every frontal measure of the view goes
    high = check_camera_height(*_seen_from(35.0, 50.0), FRONT)
    assert set(high.withheld()) == {s.name for s in MEASURES if s.frontal}


def test_a_small_body_is_told_to_come_closer_unless_it_already_fills_the_photo() -> None:
    """A body few pixels tall: in a big photo the client should come closer; filling a small
    photo (a video frame, a messenger copy), coming closer would cut it off: the fix is the
    photo's resolution."""
    import dataclasses

    body = _standing()
    ys = [float(body.xy[int(lm)][1]) for lm in (L.NOSE, L.LEFT_ANKLE, L.RIGHT_ANKLE)]
    scale = 300.0 / (max(ys) - min(ys) + 60.0)  # a body about 300 px tall: small, not a retake
    small = dataclasses.replace(body, xy=body.xy * scale)
    far = check_framing(small, (round(1000 * scale) + 1, 1000))
    assert far.status is Status.CAUTION and "small" in far.reading and far.fix.startswith("come closer")
    tight = round(float(small.xy[:, 1].max()) * 1.08)  # the body fills the photo's height
    full = check_framing(small, (round(1000 * scale) + 1, tight))
    assert full.status is Status.CAUTION and "small" in full.reading
    assert full.fix.startswith("use the camera's full resolution") and f"{tight} px tall" in full.fix
