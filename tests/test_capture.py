"""Capture guidance (posture.live.capture) on synthetic landmarks with exact answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posture.core.body.landmarks import NUM_LANDMARKS, PoseLandmarks
from posture.core.body.landmarks import Landmark as L
from posture.core.image.camera import stated_camera
from posture.core.image.scene import estimate_camera_tilt
from posture.live.capture import (
    MARGIN,
    UPPER_BODY,
    Countdown,
    GuideEngine,
    draw_guidance,
    guide,
    level_reading,
    override_note,
    target_box,
)

from .conftest import synthetic_landmarks

SIZE = (1000, 1000)
LEVEL = stated_camera(0.0, 0.0, 0.5, width=1000, height=1000)

#: A standing body facing the camera: nose at y 80, ankles at y 900, centred at x 500.
POINTS = {
    L.NOSE: (500, 80), L.LEFT_EAR: (530, 100), L.RIGHT_EAR: (470, 100),
    L.LEFT_SHOULDER: (600, 200), L.RIGHT_SHOULDER: (400, 200), L.LEFT_WRIST: (620, 480), L.RIGHT_WRIST: (380, 480),
    L.LEFT_HIP: (560, 500), L.RIGHT_HIP: (440, 500), L.LEFT_KNEE: (560, 700), L.RIGHT_KNEE: (440, 700),
    L.LEFT_ANKLE: (560, 900), L.RIGHT_ANKLE: (440, 900),
}


def body(yaw_deg: float = 0.0, *, shift: tuple[float, float] = (0, 0), scale: float = 1.0,
         facing_left: bool | None = None) -> PoseLandmarks:
    """The standing body, moved/scaled about (500, 500) in the image, its world landmarks
    turned by `yaw_deg` (views.yaw_deg convention: + turns the subject's left to the camera)."""
    pts = dict(POINTS)
    if facing_left is not None:
        pts[L.NOSE] = (450, 90) if facing_left else (550, 90)
    pts = {k: (500 + (x - 500) * scale + shift[0], 500 + (y - 500) * scale + shift[1]) for k, (x, y) in pts.items()}
    lms = synthetic_landmarks(pts)
    world = np.zeros((NUM_LANDMARKS, 3))
    w = math.radians(yaw_deg)
    left = np.array([math.cos(w), 0.0, -math.sin(w)])
    for lm_l, lm_r, half, y in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER, 0.2, -0.5), (L.LEFT_HIP, L.RIGHT_HIP, 0.12, 0.0)):
        world[int(lm_l)] = half * left + [0, y, 0]
        world[int(lm_r)] = -half * left + [0, y, 0]
    world[int(L.LEFT_KNEE)] = 0.12 * left + [0, 0.45, 0]
    world[int(L.RIGHT_KNEE)] = -0.12 * left + [0, 0.45, 0]
    return PoseLandmarks(lms.xy, lms.visibility, world)


def texts(g) -> list[str]:
    return [p.text for p in g.prompts]


def test_target_box_leaves_the_margin_on_every_side() -> None:
    assert target_box((640, 480)) == pytest.approx((MARGIN * 640, MARGIN * 480, (1 - MARGIN) * 640, (1 - MARGIN) * 480))


def test_a_square_well_framed_body_on_a_level_camera_is_ready() -> None:
    g = guide(body(), SIZE, LEVEL, intended="front")
    assert g.ready and g.prompts == ()
    assert g.body == (400.0, 80.0, 600.0, 900.0)


def test_nobody_in_view() -> None:
    g = guide(None, SIZE, None)
    assert not g.ready and texts(g) == ["step into view: the camera does not see anyone"]
    assert g.level.status == "unknown"


@pytest.mark.parametrize(
    ("height", "expected"),
    [
        (1000, []),
        (900, ["step back so your feet are in view"]),  # ankles at 900 > 0.94 * 900
        (600, ["step back so your feet are in view"]),  # knees and hips out too: the lowest is named
    ],
)
def test_feet_out_of_the_frame(height: int, expected: list[str]) -> None:
    g = guide(body(), (1000, height), LEVEL, intended="front")
    assert texts(g) == expected


def test_head_out_of_the_frame_and_both_ends_out() -> None:
    assert texts(guide(body(shift=(0, -40)), SIZE, LEVEL, intended="front")) == [
        "step back (or lower the camera a little) so your head is in view"]
    assert texts(guide(body(scale=1.2), SIZE, LEVEL, intended="front")) == [
        "step back so you fit in the picture from head to feet"]


def test_off_to_one_side_says_which_way_on_screen() -> None:
    assert texts(guide(body(shift=(400, 0)), SIZE, LEVEL, intended="front")) == [
        "move a step to the left as seen on the screen"]
    assert texts(guide(body(shift=(-400, 0)), SIZE, LEVEL, intended="front")) == [
        "move a step to the right as seen on the screen"]


def test_too_small_asks_to_come_closer_with_the_share() -> None:
    # nose to ankle 820 * 0.5 = 410 px of a 880 px target: 47 %
    g = guide(body(scale=0.5), SIZE, LEVEL, intended="front")
    assert texts(g) == ["come closer: you fill 47% of the frame's height (at least 55% is needed)"]
    assert not g.ready


def test_desk_framing_needs_head_to_hips_only() -> None:
    # feet cut off, hips in: fine for a seated desk check
    g = guide(body(shift=(0, 300)), SIZE, LEVEL, intended="front", required=UPPER_BODY)
    assert g.ready, texts(g)


@pytest.mark.parametrize(
    ("yaw", "intended", "facing_left", "expected"),
    [
        (10.0, "front", None, None),
        (20.0, "front", None, "turn a little to your left"),  # turned to their right: back to the left
        (-20.0, "front", None, "turn a little to your right"),
        (40.0, "front", None, "turn about 40° to your left"),
        (170.0, "back", None, None),
        (-160.0, "back", None, "turn a little to your left"),
        (70.0, "side", True, "turn a little to your right"),  # left side toward the camera, 20 deg short
        (-80.0, "side", False, None),
        (40.0, "auto", None, "turn about 40° to your left"),  # a front view to 45°: back to square
        (55.0, "auto", None, "you are turned 55° from the camera: face it squarely, or turn fully side-on"),
        (-22.0, "auto", None, "turn a little to your right"),
    ],
)
def test_turn_prompts_from_the_yaw(yaw: float, intended, facing_left, expected) -> None:
    g = guide(body(yaw, facing_left=facing_left), SIZE, LEVEL, intended=intended)
    assert g.yaw_deg is not None and abs(abs(g.yaw_deg) - abs(yaw)) < 1e-6
    assert [p.text for p in g.prompts if p.key == "yaw"] == ([] if expected is None else [expected])
    assert g.ready == (expected is None)


def test_level_indicator_and_camera_prompts() -> None:
    rolled = guide(body(), SIZE, stated_camera(3.0, 0.0, 0.5, width=1000, height=1000), intended="front")
    assert rolled.level.status == "tilted" and rolled.level.text == "camera rolled +3.0° ± 0.5°"
    assert texts(rolled) == ["hold the camera level: it is rolled 3.0° (the yellow line shows true vertical)"]
    assert not rolled.ready
    slight = guide(body(), SIZE, stated_camera(-1.5, 0.0, 0.5, width=1000, height=1000), intended="front")
    assert slight.level.status == "level" and slight.level.text == "camera level (roll −1.5° ± 0.5°)" and slight.ready
    down = guide(body(), SIZE, stated_camera(0.0, 15.0, 0.5, width=1000, height=1000), intended="front")
    assert texts(down) == ["point the camera straight ahead: it points 15° down (camera at hip height, about 3 m away)"]


def test_unknown_level_is_said_but_does_not_block() -> None:
    plain = estimate_camera_tilt(np.full((1000, 1000, 3), 128, np.uint8))
    g = guide(body(), SIZE, plain, intended="front")
    assert g.level.status == "unknown" and g.level.roll_deg is None
    assert g.ready and len(g.prompts) == 1 and not g.prompts[0].blocking
    assert g.prompts[0].text.startswith("camera level unknown")
    assert level_reading(None).text == "camera level unknown: no camera estimate yet"


def test_override_note_lists_the_failed_checks() -> None:
    g = guide(body(20.0, scale=0.5), SIZE, LEVEL, intended="front")
    assert override_note(g) == ("taken with set-up override: come closer: you fill 47% of the frame's height "
                                "(at least 55% is needed); turn a little to your left")


def test_countdown() -> None:
    c = Countdown(5, started_at=100.0)
    assert c.remaining(101.5) == 3.5 and not c.due(104.9)
    assert c.due(105.0) and c.remaining(107.0) == 0.0


class _Still:
    """An estimator that always finds the same body (no model)."""

    def __init__(self, lms: PoseLandmarks | None) -> None:
        self.lms, self.calls = lms, 0

    def detect(self, bgr):
        self.calls += 1
        return self.lms


def test_guide_engine_keeps_raw_frames_and_rate_limits_the_model() -> None:
    est = _Still(body())
    engine = GuideEngine(intended="front", estimator=est, keep=3)
    frames = [np.full((1000, 1000, 3), i, np.uint8) for i in range(5)]
    for i, f in enumerate(frames):
        g = engine.process(f, t=0.1 * i)  # 0.0 ... 0.4 s: the model runs at 0.0 and 0.3 s
    assert est.calls == 2
    assert g.ready and engine.guidance is g
    assert [int(f[0, 0, 0]) for f in engine.burst()] == [2, 3, 4]  # the last three, untouched


def test_overlay_is_a_drawn_copy_green_when_ready() -> None:
    frame = np.full((480, 640, 3), 128, np.uint8)
    ready = guide(body(scale=0.45, shift=(-180, -260)), (640, 480), stated_camera(0.0, 0.0, 0.5, width=640, height=480),
                  intended="front")
    assert ready.ready, texts(ready)
    drawn = draw_guidance(frame, ready, countdown_s=2.2)
    assert drawn.shape == frame.shape and (frame == 128).all()  # the input is untouched
    x0, y0 = (round(v) for v in ready.target[:2])
    assert tuple(int(c) for c in drawn[y0, x0 + 2]) == (80, 200, 80)
    not_ready = guide(None, (640, 480), None)
    assert tuple(int(c) for c in draw_guidance(frame, not_ready)[y0, x0 + 2]) == (0, 190, 255)


def test_a_loose_camera_estimate_asks_nobody_to_move() -> None:
    loose = stated_camera(-3.3, 13.0, 3.2, width=1000, height=1000)  # both within their SD of the limits
    g = guide(body(), SIZE, loose, intended="front")
    assert g.level.status == "level" and g.level.text == "camera level within its uncertainty (roll −3.3° ± 3.2°)"
    assert g.ready and g.prompts == ()


def test_a_guide_engine_frees_the_pose_graph_it_started_when_the_stream_ends(data_dir):
    from posture.core.body.estimator import BlazePoseEstimator
    from posture.core.image.imaging import load_image
    from posture.live.capture import GuideEngine

    bgr = load_image(data_dir / "standing_front_05_video.jpg").bgr
    engine = GuideEngine()
    engine.process(bgr, 0.0)
    started = engine._estimator
    assert isinstance(started, BlazePoseEstimator) and not started.closed
    engine.release()
    engine.release()  # idempotent
    assert started.closed
    assert engine.process(bgr, 1.0) is not None  # a new stream starts a new graph
    engine.release()
    with BlazePoseEstimator(static=False) as borrowed:
        lent = GuideEngine(estimator=borrowed)
        lent.process(bgr, 0.0)
        lent.release()
        assert not borrowed.closed  # the caller's model stays open
