"""The device camera in a real browser (Debian's Chromium driven by Playwright): a tablet's
level, emulated through the DevTools protocol (`DeviceOrientation.setDeviceOrientationOverride`),
arrives with the photo from Chromium's fake camera (a real photo, rolled as a rolled tablet
would see it) and levels it; without a sensor the same camera is a plain webcam capture.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from posture import assess
from posture.core.image.camera import up_from_angles
from posture.core.image.device import DeviceLevel

from .test_browser import _page, _wait_text, _write_y4m
from .test_device_level import LEVELLED_TO, NOISY
from .test_levelling import _rotated

pytestmark = pytest.mark.browser

COMPONENT = "iframe[title*='device_camera']"
#: The tablet's level at the shot: rolled 5° (the picture turned 5° counter-clockwise) and
#: pointing 4° down.
ROLL, PITCH = -5.0, 4.0


def orientation_for(roll_deg: float, pitch_deg: float) -> dict[str, float]:
    """DeviceOrientationEvent's angles of a tablet in portrait whose rear camera has this
    roll and pitch (the inverse of `device.camera_angles` at screen angle 0)."""
    ux, uy, uz = up_from_angles(roll_deg, pitch_deg)
    up_device = (ux, -uy, -uz)  # rear camera: x = device x, y = -device y, z = -device z
    beta = math.degrees(math.asin(up_device[1]))
    gamma = math.degrees(math.atan2(-up_device[0], up_device[2]))
    return {"alpha": 0.0, "beta": beta, "gamma": gamma}


def _through_yuv(bgr: np.ndarray) -> np.ndarray:
    """The frame as Chromium's fake camera delivers it (I420, as in the .y4m)."""
    return cv2.cvtColor(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), cv2.COLOR_YUV2BGR_I420)


def _frame(photo: Path, angle: float) -> np.ndarray:
    """The photo with its long side 960 px, turned `angle` degrees counter-clockwise and
    cropped to what the turn keeps (as `test_levelling`), in even sizes for I420."""
    bgr = cv2.imread(str(photo))
    f = 960 / max(bgr.shape[:2])
    bgr = cv2.resize(bgr, (round(bgr.shape[1] * f), round(bgr.shape[0] * f)), interpolation=cv2.INTER_AREA)
    out = _rotated(bgr, angle)
    h, w = out.shape[:2]
    return np.ascontiguousarray(out[: h - h % 2, : w - w % 2])


def _y4m(frame: np.ndarray, out: Path) -> Path:
    """A fake camera showing `frame` at its own size (not letterboxed to 640x480)."""
    h, w = frame.shape[:2]
    with open(out, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(3):
            fh.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return out


#: A tablet allows its motion sensors; a context that grants only the camera has them denied
#: (the browser then reports orientation events without values, as a desktop does).
TABLET = ["camera", "accelerometer", "gyroscope", "magnetometer"]


def _camera_page(pw, y4m: Path, viewport: dict[str, int] | None = None, permissions: tuple[str, ...] = ("camera",)):
    browser, page = _page(pw, ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                               f"--use-file-for-fake-video-capture={y4m}"], permissions=list(permissions))
    if viewport:
        page.set_viewport_size(viewport)
    return browser, page


def _component(page):
    page.locator(COMPONENT).first.wait_for(timeout=30_000)
    return page.frame_locator(COMPONENT).first


def test_the_tablets_level_arrives_with_the_photo_and_levels_it(server, pw, data_dir, tmp_path) -> None:
    photo = data_dir / "mediapipe_pose_test.jpg"  # a studio backdrop: no scene lines to level on
    # a tablet rolled by ROLL sees the scene turned the other way: the photo turned -ROLL CCW
    rolled = _frame(photo, -ROLL)
    browser, page = _camera_page(pw, _y4m(rolled, tmp_path / "rolled.y4m"), permissions=TABLET)
    try:
        cdp = page.context.new_cdp_session(page)
        cdp.send("DeviceOrientation.setDeviceOrientationOverride", orientation_for(ROLL, PITCH))
        page.goto(server.url)
        page.get_by_text("Screening aid, not a diagnosis").first.wait_for(timeout=30_000)
        page.locator("label:has-text('Camera (tablet or webcam)'):visible").first.click()
        camera = _component(page)
        # the live level, from the emulated sensor, in the component's own words
        camera.get_by_text("Roll −5.0°  Pitch +4.0°").wait_for(timeout=30_000)
        camera.get_by_text("Level from this device's motion sensor").wait_for()
        camera.locator("video").evaluate("v => new Promise(r => { const f = () => v.videoWidth ? r() : setTimeout(f, 100); f(); })")
        camera.get_by_role("button", name="Take photo").click()
        # rolled 5° by ±1°: the set-up check asks to hold it level; taken anyway, and recorded
        _wait_text(page, "Not taken yet: ")
        _wait_text(page, "hold the camera level: it is rolled 5.0°")
        page.get_by_role("button", name="Take it anyway").click()
        _wait_text(page, "Photo taken with the device's level: roll −5.0°, pitch +4.0°")
        _wait_text(page, "measured by the device's motion sensor at the shot")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download JSON").click()
        exported = json.loads(Path(download.value.path()).read_text())
    finally:
        browser.close()
    (front,) = exported["assessments"]
    camera_record = front["setup"]["camera"]
    assert camera_record["status"] == "device"
    assert camera_record["roll_deg"] == pytest.approx(ROLL, abs=0.05)
    assert camera_record["pitch_deg"] == pytest.approx(PITCH, abs=0.05)
    assert camera_record["roll_sd_deg"] == pytest.approx(1.0, abs=0.05)  # steady readings: the sensor's own 1°
    assert "taken with set-up override" in " ".join(front["warnings"])
    # the photo the browser took, levelled by the tablet's roll, reads like the unrotated photo
    # at the same pitch
    base = assess(_through_yuv(_frame(photo, 0.0)), device_level=DeviceLevel(0.0, PITCH, 0.0, 0.0, 1))
    for name, tolerance in LEVELLED_TO.items():
        got, want = front["measures"][name]["value"], base.measures[name].value
        assert got is not None and want is not None
        assert got == pytest.approx(want, abs=tolerance), name
    for name in NOISY:
        got, want = front["measures"][name]["value"], base.measures[name]
        assert got is not None and want.value is not None and abs(got - want.value) <= want.uncertainty, name


def test_without_a_sensor_the_camera_is_a_plain_webcam_capture(server, pw, data_dir, tmp_path) -> None:
    # Headless Chromium on a desktop has no motion sensor: the self check's camera takes the
    # photo without a level, checks it like the burst and gives the advice, with no error.
    y4m = tmp_path / "desk.y4m"
    _write_y4m([cv2.imread(str(data_dir / "seated_side_upright_02.jpg"))] * 3, y4m)  # as the self-timer's test
    browser, page = _camera_page(pw, y4m)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{server.url}/Self_check")
        _wait_text(page, "Desk posture self check")
        camera = _component(page)
        camera.get_by_text("No motion sensor here: the camera's level will come from the scene's lines.").wait_for(timeout=30_000)
        camera.locator("video").evaluate("v => new Promise(r => { const f = () => v.videoWidth ? r() : setTimeout(f, 100); f(); })")
        camera.get_by_role("button", name="Take photo").click()
        _wait_text(page, "No level from the device: the camera's level comes from the scene's lines.")
        _wait_text(page, "What we see")
        body = page.inner_text("body")
        assert "Not taken yet" not in body and "set-up override" not in body
        assert "Error" not in body and "Traceback" not in body
        assert not errors
    finally:
        browser.close()


def test_the_self_timer_takes_the_shot_again_until_the_checks_pass(server, pw, data_dir, tmp_path) -> None:
    # A phone propped up rolled 8°: the self-timer's shot does not pass ("hold the camera
    # level") and is taken again each second; once the phone is straightened the next shot
    # passes and is kept without an override, with the level it was taken at.
    y4m = tmp_path / "desk.y4m"
    _write_y4m([cv2.imread(str(data_dir / "seated_side_upright_02.jpg"))] * 3, y4m)
    browser, page = _camera_page(pw, y4m, permissions=TABLET)
    try:
        cdp = page.context.new_cdp_session(page)
        cdp.send("DeviceOrientation.setDeviceOrientationOverride", orientation_for(8.0, 2.0))
        page.goto(f"{server.url}/Self_check")
        _wait_text(page, "Desk posture self check")
        camera = _component(page)
        camera.get_by_text("Roll +8.0°").wait_for(timeout=30_000)
        camera.locator("video").evaluate("v => new Promise(r => { const f = () => v.videoWidth ? r() : setTimeout(f, 100); f(); })")
        camera.locator("select").select_option("3")
        camera.get_by_role("button", name="Take photo").click()
        camera.locator("#count").wait_for(state="visible", timeout=5_000)  # the countdown
        _wait_text(page, "Self-timer: the photo is taken again each second until the checks pass.")
        _wait_text(page, "hold the camera level: it is rolled 8.0°")
        assert "What we see" not in page.inner_text("body")
        cdp.send("DeviceOrientation.setDeviceOrientationOverride", orientation_for(0.5, 2.0))  # straightened
        _wait_text(page, "Photo taken with the device's level: roll +0.5°, pitch +2.0°")
        _wait_text(page, "What we see")
        body = page.inner_text("body")
        assert "set-up override" not in body and "Not taken yet" not in body
    finally:
        browser.close()


def test_without_a_camera_the_self_check_says_so_once_in_plain_words(server, pw) -> None:
    """A machine with no camera (this one): the component says why in words a client knows,
    once; the page offers the simpler camera without repeating it, and names no library or
    browser error."""
    browser, page = _page(pw, permissions=["camera"])  # allowed, but there is no camera to open
    try:
        page.goto(f"{server.url}/Self_check")
        _wait_text(page, "Desk posture self check")
        camera = _component(page)
        camera.get_by_text("The camera could not be opened: no camera was found on this device. Or upload a photo.") \
            .wait_for(timeout=30_000)
        _wait_text(page, "The simpler camera below asks the browser again and may still work.")
        body = page.inner_text("body") + camera.locator("body").inner_text()
        assert body.count("could not be opened") == 1, body
        assert "NotFoundError" not in body and "Streamlit" not in body
    finally:
        browser.close()
