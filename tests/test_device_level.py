"""The camera's level from the device's motion sensor: the axes' mapping (portrait and
landscape, rear and front camera), the readings of the last half second, and the level in
the assessment (levelled on, cross-checked against the scene, stored in the JSON)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posture import assess
from posture.core.assessment import Assessment
from posture.core.image.device import (
    DEVICE_SD_FLOOR_DEG,
    DeviceLevel,
    OrientationSample,
    camera_angles,
    level_at_shot,
    up_from_orientation,
)
from posture.core.image.imaging import load_image
from posture.core.measuring.setup import Status

from . import multicam as mc
from .test_levelling import _rotated


def _angles(beta: float, gamma: float, screen: int = 0, facing: str = "environment") -> tuple[float, float]:
    return camera_angles(up_from_orientation(beta, gamma), screen, facing)  # type: ignore[arg-type]


# --- the mapping: known orientations give known roll and pitch ------------------------------


@pytest.mark.parametrize(("beta", "gamma", "screen", "roll", "pitch"), [
    (90.0, 0.0, 0, 0.0, 0.0),     # portrait, upright: level
    (80.0, 0.0, 0, 0.0, 10.0),    # portrait, top tipped 10 deg away: the rear camera looks down
    (100.0, 0.0, 0, 0.0, -10.0),  # portrait, top tipped toward you: it looks up
    (0.0, -90.0, 90, 0.0, 0.0),   # landscape (turned a quarter counter-clockwise), upright
    (0.0, 90.0, 270, 0.0, 0.0),   # landscape the other way, upright
    (-90.0, 0.0, 180, 0.0, 0.0),  # portrait upside down, upright
])
def test_known_orientations_give_known_angles(beta, gamma, screen, roll, pitch) -> None:
    assert _angles(beta, gamma, screen) == pytest.approx((roll, pitch), abs=1e-9)


@pytest.mark.parametrize("screen", [0, 90, 180, 270])
@pytest.mark.parametrize("turn", [-7.0, 4.0])
def test_turning_the_device_clockwise_rolls_the_picture_negative_in_every_orientation(screen: int, turn: float) -> None:
    # Held upright with the screen's content the right way up, then turned `turn` degrees
    # clockwise as you look at the screen: gravity-up turns the other way against the
    # device. The screen's up in device axes is (sin a, cos a) for a content angle a.
    a = math.radians(screen)
    screen_up = np.array([math.sin(a), math.cos(a)])
    t = math.radians(turn)
    ccw = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])  # counter-clockwise in device x-y (y up)
    up = ccw @ screen_up
    roll, pitch = camera_angles((up[0], up[1], 0.0), screen)
    # the rear camera turns with the device: the scene turns counter-clockwise in the
    # picture, true verticals lean their tops to image-left (negative roll)
    assert (roll, pitch) == pytest.approx((-turn, 0.0), abs=1e-9)
    # the front camera looks the other way: the same turn is the opposite roll in its picture
    assert camera_angles((up[0], up[1], 0.0), screen, "user") == pytest.approx((turn, 0.0), abs=1e-9)


@pytest.mark.parametrize("screen", [90, 270])
def test_tipping_a_landscape_device_back_points_the_rear_camera_down(screen: int) -> None:
    a = math.radians(screen)
    tip = math.radians(12.0)  # screen tipped back: gravity-up has a component out of the screen
    up = (math.sin(a) * math.cos(tip), math.cos(a) * math.cos(tip), math.sin(tip))
    assert camera_angles(up, screen) == pytest.approx((0.0, 12.0), abs=1e-9)
    assert camera_angles(up, screen, "user") == pytest.approx((0.0, -12.0), abs=1e-9)


def test_a_screen_angle_that_is_not_a_quarter_turn_is_refused() -> None:
    with pytest.raises(ValueError, match="0, 90, 180 or 270"):
        camera_angles((0.0, 1.0, 0.0), 45)


# --- the readings of the last half second -------------------------------------------------------


def test_the_level_is_the_mean_and_sd_of_the_last_half_second() -> None:
    old = [OrientationSample.from_angles(60.0, 0.0, 0, t) for t in range(0, 500, 50)]  # a second ago: ignored
    # then 10 readings alternating 79 / 81 deg: pitch 11 / 9, roll 0
    recent = [OrientationSample.from_angles(79.0 if i % 2 else 81.0, 0.0, 0, 1000.0 + 50 * i) for i in range(10)]
    level = level_at_shot([*old, *recent], shot_ms=1460.0)
    assert level is not None and level.samples == 10
    assert level.pitch_deg == pytest.approx(10.0, abs=1e-9)
    assert level.pitch_sd_deg == pytest.approx(math.sqrt(10 / 9), abs=1e-9)  # SD of +-1 over 10 readings (ddof 1)
    assert level.roll_deg == pytest.approx(0.0, abs=1e-9) and level.roll_sd_deg == pytest.approx(0.0, abs=1e-9)
    # the camera record adds the sensor's own calibration in quadrature
    camera = level.camera(640, 480)
    assert camera.status == "device" and camera.known
    assert camera.pitch_sd_deg == pytest.approx(math.hypot(math.sqrt(10 / 9), DEVICE_SD_FLOOR_DEG))
    assert camera.roll_sd_deg == pytest.approx(DEVICE_SD_FLOOR_DEG)


def test_no_readings_or_a_flat_device_give_no_level() -> None:
    assert level_at_shot([], shot_ms=100.0) is None
    assert level_at_shot([OrientationSample((0.0, 0.0, 0.0), 0, 10.0)], shot_ms=100.0) is None  # a sensor that says nothing
    assert level_at_shot([OrientationSample.from_angles(5.0, 0.0, 0, 10.0)], shot_ms=100.0) is None  # lying flat
    # a stale reading alone still counts (the device sends events only when it moves)
    level = level_at_shot([OrientationSample.from_angles(85.0, 0.0, 0, 10.0)], shot_ms=5000.0)
    assert level is not None and level.pitch_deg == pytest.approx(5.0)


# --- in the assessment ----------------------------------------------------------------------


#: The frontal tilts held to 0.75 deg (the issue's bound) after levelling. The head's and the
#: hips' tilts (two ears close together; hip points BlazePose places from the thighs) move
#: by up to 1.5 deg between a photo and its rotated copy whatever the levelling (model noise,
#: as in test_metamorphic): they are held to their own stated uncertainty below.
LEVELLED_TO = {"shoulder_tilt_deg": 0.75, "trunk_lean_deg": 0.75}
NOISY = ("head_tilt_deg", "hip_tilt_deg")


def _tilts(a: Assessment) -> dict[str, float]:
    values = {n: a.measures[n].value for n in LEVELLED_TO}
    assert all(v is not None for v in values.values()), a.measures
    return values  # type: ignore[return-value]


def test_a_plain_backdrop_photo_is_levelled_on_the_device_level(data_dir) -> None:
    # a studio backdrop: no scene lines, so the level is otherwise unknown (withheld or +-2 deg of roll)
    level = DeviceLevel(0.0, 3.0, 0.2, 0.3, 12)
    a = assess(data_dir / "mediapipe_pose_test.jpg", device_level=level)
    camera = a.setup.camera
    assert camera.status == "device" and (camera.roll_deg, camera.pitch_deg) == (0.0, 3.0)
    assert camera.roll_sd_deg == pytest.approx(math.hypot(0.2, DEVICE_SD_FLOOR_DEG))
    assert "device's motion sensor" in a.setup.check("roll").reading
    assert a.setup.check("level_agreement") is None  # nothing in the scene to check it against
    # the camera's roll now costs the tilt about 1 deg of uncertainty, not the hand-held 2 deg
    assert dict(a.measures["shoulder_tilt_deg"].parts)["camera roll"] == pytest.approx(camera.roll_sd_deg, rel=0.1)
    # stored in the JSON and read back
    back = Assessment.from_dict(a.to_dict())
    assert back.setup.camera.status == "device" and back.setup.camera.roll_deg == 0.0
    assert back.setup.camera.pitch_sd_deg == pytest.approx(camera.pitch_sd_deg, abs=0.01)


@pytest.mark.parametrize("angle", [-5.0, 6.0])
def test_a_rolled_photo_is_levelled_by_the_device_roll(data_dir, angle: float) -> None:
    bgr = load_image(data_dir / "mediapipe_pose_test.jpg").bgr
    base = assess(_rotated(bgr, 0.0), device_level=DeviceLevel(0.0, 0.0, 0.0, 0.0, 1))
    # a photo turned CCW as displayed: the camera was rolled the other way (negative roll)
    turned = assess(_rotated(bgr, angle), device_level=DeviceLevel(-angle, 0.0, 0.0, 0.0, 1))
    for name, value in _tilts(turned).items():
        assert value == pytest.approx(_tilts(base)[name], abs=LEVELLED_TO[name]), name
    for name in NOISY:
        got, want = turned.measures[name], base.measures[name]
        assert got.value is not None and want.value is not None
        assert abs(got.value - want.value) <= want.uncertainty, name
    # without the device's level the same photo reads the turn as posture
    raw = assess(_rotated(bgr, angle), level=False)
    assert abs(raw.measures["shoulder_tilt_deg"].value - _tilts(base)["shoulder_tilt_deg"]) > 0.75 * abs(angle)


def test_the_device_level_is_checked_against_the_scenes_lines() -> None:
    scene = mc.assessment(2, 5).setup.camera  # a room full of verticals
    assert scene.known and scene.status == "measured"
    agrees = assess(mc.image_path(2, 5), device_level=DeviceLevel(scene.roll_deg + 0.5, scene.pitch_deg, 0.1, 0.1, 10))
    check = agrees.setup.check("level_agreement")
    assert check is not None and check.status is Status.OK
    off = assess(mc.image_path(2, 5), device_level=DeviceLevel(scene.roll_deg + 4.0, scene.pitch_deg, 0.1, 0.1, 10))
    check = off.setup.check("level_agreement")
    assert check is not None and check.status is Status.CAUTION and "disagree" in check.reading
    assert off.setup.camera.status == "device" and off.setup.camera.roll_deg == pytest.approx(scene.roll_deg + 4.0)


def test_a_mirrored_photo_turns_the_device_roll_the_other_way(data_dir) -> None:
    a = assess(data_dir / "mediapipe_pose_test.jpg", mirrored=True, device_level=DeviceLevel(3.0, 0.0, 0.1, 0.1, 5))
    assert a.setup.camera.roll_deg == pytest.approx(-3.0)


def test_a_device_level_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        DeviceLevel(0.0, 75.0, 0.1, 0.1, 3)
    with pytest.raises(ValueError, match="finite"):
        DeviceLevel(float("nan"), 0.0, 0.1, 0.1, 3)


# --- the component's value and the draft ----------------------------------------------------


def _value(samples, **extra):
    import base64

    from posture.core.image.imaging import encode_jpeg

    jpeg = encode_jpeg(np.full((8, 8, 3), 100, np.uint8))
    return {"shot": "abc-1", "image": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode(), "shot_ms": 1000.0,
            "samples": samples, "facing": "environment", "sensor": "on", "timer": "", **extra}


def test_the_components_readings_become_the_level_at_the_shot() -> None:
    from posture.ui.device_capture import shot_from_value

    up = up_from_orientation(84.0, 0.0)  # tipped back 6 deg
    shot = shot_from_value(_value([[*up, 0, 600.0], [*up, 0, 900.0], ["bad"], [*up, 45, 950.0]]))
    assert shot is not None and shot.level is not None
    assert shot.level.pitch_deg == pytest.approx(6.0) and shot.level.samples == 2  # the malformed and 45-deg ones dropped
    no_sensor = shot_from_value(_value([], sensor="none"))
    assert no_sensor is not None and no_sensor.level is None and no_sensor.sensor == "none"
    assert shot_from_value({"camera_error": "no camera"}) is None
    assert shot_from_value(_value([], image="data:text/html;base64,PGI+")) is None


def test_a_draft_keeps_the_device_level() -> None:
    from posture.ui.workflows import Draft, DraftPhoto

    level = DeviceLevel(-2.5, 4.0, 0.3, 0.2, 14, "user")
    draft = Draft(photos={"front": DraftPhoto("front-camera.jpg", (b"jpeg",), level), "side": DraftPhoto("s.jpg", (b"x",))})
    back = Draft.from_bytes(draft.to_bytes())
    assert back.photos["front"].device_level == level and back.photos["side"].device_level is None
    moved = Draft(photos={**draft.photos, "front": DraftPhoto("front-camera.jpg", (b"jpeg",), DeviceLevel(-1.5, 4.0, 0.3, 0.2, 14))})
    assert moved.digest() != draft.digest()  # a new level is a change to save


def test_a_photo_turned_upright_does_not_use_the_device_level(data_dir) -> None:
    import cv2

    sideways = cv2.rotate(load_image(data_dir / "standing_front_05_video.jpg").bgr, cv2.ROTATE_90_CLOCKWISE)
    a = assess(sideways, device_level=DeviceLevel(0.0, 2.0, 0.1, 0.1, 5))
    assert a.image.quarter_turns != 0
    assert a.setup.camera.status != "device"
    assert any("the device's level was not used" in w for w in a.warnings)
