"""Camera roll and pitch from the scene's lines (posture.core.image.scene).

Synthetic renders of a room seen by a camera with a known roll, pitch and focal length give
exact answers; real photos check rotation (metamorphic) and four calibrated lab cameras.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from posture.core.image.camera import (
    UNKNOWN_REASON,
    CameraTilt,
    LineSegment,
    angles_from_up,
    default_focal_px,
    exif_focal_tags,
    focal_px_from_exif,
    level_points,
    leveling_homography,
    leveling_rotation,
    stated_camera,
    up_from_angles,
)
from posture.core.image.scene import detect_line_segments, estimate_camera_tilt, segment_boxes

DATA = Path(__file__).parent / "data"
MULTICAM = DATA / "multicam"

# --------------------------------------------------------------------------- synthetic camera

#: World: x right, y forward, z up (metres). A level camera looking along +y.
WORLD_TO_LEVEL_CAMERA = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
CAMERA_HEIGHT = 1.3


def camera_rotation(roll_deg: float, pitch_deg: float) -> np.ndarray:
    """World-to-camera rotation: level camera, pitched down by `pitch_deg` about its x axis,
    then rolled by `roll_deg` about its optical axis."""
    a, b = math.radians(pitch_deg), math.radians(roll_deg)
    rx = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    rz = np.array([[math.cos(b), -math.sin(b), 0], [math.sin(b), math.cos(b), 0], [0, 0, 1]])
    return rz @ rx @ WORLD_TO_LEVEL_CAMERA


def project(points: np.ndarray, r: np.ndarray, k: np.ndarray) -> np.ndarray:
    cam = (points - np.array([0.0, 0.0, CAMERA_HEIGHT])) @ r.T
    assert (cam[:, 2] > 0.1).all(), "synthetic scene must be in front of the camera"
    p = cam @ k.T
    return p[:, :2] / p[:, 2:3]


def room_lines(focal: float, width: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """3-D segments: verticals from floor to 2.8 m spread over the view at depths 3-8 m, floor
    and ceiling edges across the view, and floor lines receding from the camera (their VP
    is on the horizon, a decoy for the vertical VP)."""
    half_fov = math.atan(width / 2 / focal)
    lines = []
    for i, frac in enumerate(np.linspace(-0.85, 0.85, 13)):
        depth = 3.0 + 5.0 * ((i * 7) % 13) / 12
        x = depth * math.tan(frac * half_fov)
        z0, z1 = (0.0, 2.8) if i % 3 else (0.4, 2.2)
        lines.append((np.array([x, depth, z0]), np.array([x, depth, z1])))
    for depth, z in ((4.0, 0.0), (6.5, 0.0), (5.0, 2.6), (8.0, 2.6)):
        x = depth * math.tan(0.8 * half_fov)
        lines.append((np.array([-x, depth, z]), np.array([x, depth, z])))
    for x in (-1.5, -0.6, 0.9, 1.8):
        lines.append((np.array([x, 3.0, 0.0]), np.array([x, 9.0, 0.0])))
    return lines


def render(
    roll_deg: float,
    pitch_deg: float,
    focal: float,
    size: tuple[int, int] = (960, 1280),
    lines: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """A textured grey photo of the room: anti-aliased lines 2-3 px wide, sensor noise."""
    w, h = size
    rng = np.random.default_rng(seed)
    texture = cv2.resize(rng.normal(0.0, 12.0, (h // 40, w // 40)), (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.clip(128.0 + texture, 0, 255).astype(np.uint8)
    img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    k = np.array([[focal, 0, (w - 1) / 2], [0, focal, (h - 1) / 2], [0, 0, 1]])
    r = camera_rotation(roll_deg, pitch_deg)
    shift = 4  # sub-pixel endpoints: cv2.line takes fixed-point coordinates
    for n, (a, b) in enumerate(room_lines(focal, w) if lines is None else lines):
        p = project(np.stack([a, b]), r, k)
        ok, p0, p1 = cv2.clipLine((0, 0, w << shift, h << shift), tuple(int(v) for v in np.round(p[0] * 16)), tuple(int(v) for v in np.round(p[1] * 16)))
        if ok:
            colour = (40, 40, 40) if n % 2 else (215, 215, 215)
            cv2.line(img, p0, p1, colour, 2 + n % 2, cv2.LINE_AA, shift)
    noisy = img.astype(np.float64) + rng.normal(0.0, 3.0, img.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def true_angles(roll_deg: float, pitch_deg: float) -> tuple[float, float]:
    return angles_from_up(camera_rotation(roll_deg, pitch_deg) @ np.array([0.0, 0.0, 1.0]))


# --------------------------------------------------------------------------- conventions


def test_synthetic_camera_matches_the_stated_conventions():
    for roll, pitch in ((0, 0), (7, 0), (-9, 20), (4, -5)):
        assert true_angles(roll, pitch) == pytest.approx((roll, pitch), abs=1e-9)
        up = camera_rotation(roll, pitch) @ np.array([0.0, 0.0, 1.0])
        assert up == pytest.approx(up_from_angles(roll, pitch), abs=1e-12)
    assert up_from_angles(0, 0) == pytest.approx([0, -1, 0])


def test_positive_roll_means_the_top_of_a_vertical_leans_to_image_right():
    k = np.array([[1000.0, 0, 480], [0, 1000.0, 640], [0, 0, 1]])
    bottom, top = project(np.array([[0.0, 5.0, 0.0], [0.0, 5.0, 2.5]]), camera_rotation(8.0, 0.0), k)
    assert top[0] > bottom[0]
    tilt = estimate_camera_tilt(render(8.0, 0.0, 1000.0), focal_px=1000.0)
    assert tilt.known and tilt.roll_deg is not None and tilt.roll_deg > 7.0


def test_positive_pitch_means_looking_down_and_verticals_meeting_below_the_photo():
    r = camera_rotation(0.0, 15.0)
    forward_world = r.T @ np.array([0.0, 0.0, 1.0])
    assert forward_world[2] < 0  # the optical axis points below the horizon
    tilt = estimate_camera_tilt(render(0.0, 15.0, 1000.0), focal_px=1000.0)
    assert tilt.known and tilt.pitch_deg is not None and tilt.pitch_deg > 14.0
    assert tilt.vanishing_point is not None
    vx, vy, vw = tilt.vanishing_point
    assert vy / vw > 1280  # below the photo


# --------------------------------------------------------------------------- synthetic accuracy

#: 28 mm- and 50 mm-equivalent lenses on a 960 x 1280 photo.
FOCALS = (round(default_focal_px(960, 1280)), round(50 * math.hypot(960, 1280) / 43.27))


@pytest.mark.parametrize("focal", FOCALS)
@pytest.mark.parametrize("pitch", [-5.0, 0.0, 12.0, 25.0])
@pytest.mark.parametrize("roll", [-10.0, -4.0, 0.0, 5.0, 10.0])
def test_synthetic_render_gives_the_true_roll_and_pitch(roll: float, pitch: float, focal: float):
    # Tolerances from the render: lines are drawn from fixed-point endpoints (1/16 px),
    # anti-aliased, with noise; detected on a 1000 px copy their directions are good to about
    # 0.1-0.2 deg, and a dozen verticals average that down. Pitch also depends on where the
    # VP lies along the verticals, which is less well determined than their direction.
    true_roll, true_pitch = true_angles(roll, pitch)
    tilt = estimate_camera_tilt(render(roll, pitch, focal, seed=int(focal + 10 * roll + pitch)), focal_px=focal)
    assert tilt.status == "measured", tilt.reason
    assert tilt.roll_deg is not None and tilt.pitch_deg is not None
    assert tilt.roll_sd_deg is not None and tilt.pitch_sd_deg is not None
    assert abs(tilt.roll_deg - true_roll) <= 0.3
    assert abs(tilt.pitch_deg - true_pitch) <= 0.5
    assert abs(tilt.roll_deg - true_roll) <= 3 * tilt.roll_sd_deg
    assert abs(tilt.pitch_deg - true_pitch) <= 3 * tilt.pitch_sd_deg
    assert tilt.roll_sd_deg >= 0.2 and tilt.pitch_sd_deg >= 0.2
    assert len(tilt.lines) >= 4
    assert tilt.focal_source == "given"


def test_level_camera_has_its_vanishing_point_at_infinity():
    tilt = estimate_camera_tilt(render(0.0, 0.0, 1000.0), focal_px=1000.0)
    assert tilt.known and tilt.vanishing_point is not None
    vx, vy, vw = tilt.vanishing_point
    cx, cy = tilt.principal_point
    # Parallel verticals: the VP is at infinity, or so far that its pitch is under 0.5 deg.
    assert vw == 0 or math.hypot(vx / vw - cx, vy / vw - cy) > 1000.0 / math.tan(math.radians(0.5))
    assert abs(tilt.roll_deg or 0.0) <= 0.3 and abs(tilt.pitch_deg or 0.0) <= 0.5


def test_default_focal_widens_the_pitch_uncertainty_not_the_roll():
    img = render(3.0, 20.0, FOCALS[0], seed=5)
    given = estimate_camera_tilt(img, focal_px=FOCALS[0])
    default = estimate_camera_tilt(img)
    assert default.focal_source == "default" and default.focal_px == pytest.approx(FOCALS[0], abs=1)
    assert given.roll_deg == pytest.approx(default.roll_deg, abs=0.05)
    assert default.pitch_sd_deg is not None and given.pitch_sd_deg is not None
    # d(pitch) = sin(2 pitch) / 2 * d(f)/f: 15 % at 20 deg is about 2.8 deg.
    assert default.pitch_sd_deg > 2.0 > given.pitch_sd_deg


def test_to_dict_is_plain_and_rounded():
    tilt = estimate_camera_tilt(render(2.0, 10.0, 1000.0), focal_px=1000.0)
    d = tilt.to_dict()
    assert d["status"] == "measured" and d["line_count"] == len(tilt.lines) >= 4
    assert d["roll_deg"] == round(tilt.roll_deg or 0.0, 2)
    assert "lines" not in d
    json.dumps(d)


# --------------------------------------------------------------------------- no reliable lines


def test_plain_image_is_unknown_with_the_reason():
    tilt = estimate_camera_tilt(np.full((960, 720, 3), 150, np.uint8))
    assert tilt.status == "unknown" and not tilt.known
    assert tilt.reason == UNKNOWN_REASON
    assert tilt.roll_deg is None and tilt.pitch_deg is None and tilt.vanishing_point is None


def test_noise_only_image_is_unknown():
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (960, 720, 3), dtype=np.uint8)
    tilt = estimate_camera_tilt(noise)
    assert tilt.status == "unknown" and tilt.reason == UNKNOWN_REASON


def _central_verticals() -> list[tuple[np.ndarray, np.ndarray]]:
    """Verticals only within the middle of the view (like a person's limbs)."""
    return [(np.array([x, 5.0, 0.0]), np.array([x, 5.0, 2.4])) for x in np.linspace(-0.6, 0.6, 8)]


def test_lines_inside_the_excluded_box_are_ignored():
    img = render(4.0, 8.0, 1000.0, lines=_central_verticals())
    assert estimate_camera_tilt(img, focal_px=1000.0).known  # the lines alone would do
    box = (300.0, 0.0, 660.0, 1280.0)
    assert all(s.x0 > box[0] and s.x1 < box[2] for s in detect_line_segments(img))
    tilt = estimate_camera_tilt(img, focal_px=1000.0, exclude=[box])
    assert tilt.status == "unknown" and tilt.reason == UNKNOWN_REASON


def test_segment_touching_a_box_is_dropped_one_beside_it_kept():
    img = np.full((400, 400, 3), 128, np.uint8)
    cv2.line(img, (100, 50), (100, 350), (0, 0, 0), 3, cv2.LINE_AA)
    cv2.line(img, (300, 50), (300, 350), (0, 0, 0), 3, cv2.LINE_AA)
    kept = detect_line_segments(img, exclude=[(250.0, 300.0, 350.0, 390.0)])  # covers the lower end of x=300
    assert kept and all(abs(s.x0 - 100) < 3 for s in kept)


def test_segments_meeting_a_box_exact_cases():
    from posture.core.image.scene import _touching

    box = (10.0, 10.0, 20.0, 20.0)
    segs = np.array([
        [0, 15, 30, 15],    # crosses it, both ends outside
        [0, 0, 30, 30],     # the diagonal through it
        [0, 25, 30, 25],    # passes below it
        [15, 0, 15, 5],     # vertical, stops short of it
        [15, 0, 15, 10],    # vertical, ends on its edge
        [25, 0, 25, 30],    # vertical beside it
        [12, 12, 13, 13],   # wholly inside
        [0, 21, 9, 30],     # near its corner, not touching
        [12, 12, 12, 12],   # a point inside
        [5, 5, 5, 5],       # a point outside
    ], dtype=float)
    assert _touching(segs, [box]).tolist() == [True, True, False, False, True, False, True, False, True, False]
    # Several boxes: a segment is dropped when it meets any of them; corners given in any order.
    assert _touching(segs, [(20.0, 20.0, 10.0, 10.0), (24.0, 0.0, 26.0, 1.0)]).tolist() == [
        True, True, False, False, True, True, True, False, True, False]
    assert not _touching(segs, []).any()


def test_segments_meeting_a_box_agree_with_dense_sampling():
    from posture.core.image.scene import _touching

    rng = np.random.default_rng(7)
    segs = rng.uniform(-50, 150, size=(400, 4))
    box = (20.0, 30.0, 70.0, 90.0)
    t = np.linspace(0.0, 1.0, 4001)[:, None]
    decided = 0
    for seg, hit in zip(segs, _touching(segs, [box]), strict=True):
        pts = seg[:2] + t * (seg[2:] - seg[:2])
        depth = np.minimum.reduce([pts[:, 0] - 20, 70 - pts[:, 0], pts[:, 1] - 30, 90 - pts[:, 1]])
        if abs(depth.max()) < 0.5:
            continue  # grazes the edge: sampling cannot decide
        decided += 1
        assert hit == bool(depth.max() > 0), seg
    assert decided > 350


def test_segment_boxes_grow_each_segment():
    boxes = segment_boxes([[[10, 20], [30, 5]], [[0, 0], [0, 100]]], margin=2)
    assert boxes == ((8.0, 3.0, 32.0, 22.0), (-2.0, -2.0, 2.0, 102.0))
    with pytest.raises(ValueError, match="shape"):
        segment_boxes([[1, 2, 3, 4]], margin=1)


def test_bad_input_gets_a_clear_message():
    with pytest.raises(ValueError, match="8-bit"):
        estimate_camera_tilt(np.zeros((100, 100, 3), np.float32))
    with pytest.raises(ValueError, match="focal length"):
        estimate_camera_tilt(np.zeros((100, 100, 3), np.uint8), focal_px=-5.0)


# --------------------------------------------------------------------------- focal length


def test_focal_from_35mm_equivalent_uses_the_diagonal():
    f, src = focal_px_from_exif(28.0, 4.2, None, 4000, 3000)
    assert src == "exif" and f == pytest.approx(28.0 * 5000 / 43.27)


def test_focal_from_mm_and_sensor_width():
    f, src = focal_px_from_exif(None, 4.0, 6.4, 4000, 3000)
    assert src == "exif" and f == pytest.approx(4.0 / 6.4 * 4000)


def test_focal_default_is_28mm_equivalent_about_75_degrees_diagonal():
    f, src = focal_px_from_exif(None, 4.2, None, 1280, 960)
    assert src == "default" and f == pytest.approx(default_focal_px(1280, 960))
    fov = math.degrees(2 * math.atan(math.hypot(1280, 960) / 2 / f))
    assert 74 < fov < 76
    assert focal_px_from_exif(0.0, None, None, 1280, 960)[1] == "default"


def test_exif_focal_tags_from_a_real_jpeg(tmp_path: Path):
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[0xA405] = 26
    sub[0x920A] = 4.25
    path = tmp_path / "phone.jpg"
    Image.new("RGB", (64, 48), (120, 120, 120)).save(path, exif=exif)
    with Image.open(path) as im:
        f35, fmm = exif_focal_tags(im.getexif())
    assert f35 == pytest.approx(26.0) and fmm == pytest.approx(4.25)
    plain = tmp_path / "plain.jpg"
    Image.new("RGB", (64, 48)).save(plain)
    with Image.open(plain) as im:
        assert exif_focal_tags(im.getexif()) == (None, None)
    assert exif_focal_tags({0xA405: 0, 0x920A: (0, 0)}) == (None, None)


# --------------------------------------------------------------------------- levelling


@pytest.mark.parametrize(("roll", "pitch"), [(6.0, 18.0), (-9.0, -4.0), (0.0, 25.0), (12.0, 0.0)])
def test_levelling_makes_true_verticals_vertical_and_puts_the_horizon_at_cy(roll: float, pitch: float):
    w, h, focal = 960, 1280, 1100.0
    tilt = stated_camera(roll, pitch, width=w, height=h, focal_px=focal)
    hmat = leveling_homography(tilt, w, h)
    k = np.array([[focal, 0, (w - 1) / 2], [0, focal, (h - 1) / 2], [0, 0, 1]])
    r = camera_rotation(roll, pitch)
    for x, depth in ((-1.0, 4.0), (0.3, 6.0), (1.2, 3.5)):
        vertical = np.array([[x, depth, z] for z in (0.0, 0.9, 1.7, 2.6)])
        levelled = level_points(project(vertical, r, k), hmat)
        assert np.ptp(levelled[:, 0]) < 1e-6
    # Far points at camera height lie on the horizon.
    horizon = np.array([[x, 1e6, CAMERA_HEIGHT] for x in (-3e5, 0.0, 2e5)])
    assert level_points(project(horizon, r, k), hmat)[:, 1] == pytest.approx((h - 1) / 2, abs=1e-4)
    # The rotation itself sends gravity-up to image-up.
    assert leveling_rotation(up_from_angles(roll, pitch)) @ up_from_angles(roll, pitch) == pytest.approx([0, -1, 0], abs=1e-12)


def test_levelling_a_level_camera_is_the_identity():
    tilt = stated_camera(0.0, width=640, height=480)
    assert leveling_homography(tilt, 640, 480) == pytest.approx(np.eye(3), abs=1e-12)


def test_levelling_a_scaled_copy_scales_k():
    tilt = stated_camera(5.0, 10.0, width=960, height=1280, focal_px=1100.0)
    full = leveling_homography(tilt, 960, 1280)
    half = leveling_homography(tilt, 480, 640)
    pts = np.array([[100.0, 200.0], [700.0, 1100.0]])
    scaled = level_points((pts + 0.5) / 2 - 0.5, half)
    assert scaled == pytest.approx((level_points(pts, full) + 0.5) / 2 - 0.5, abs=1e-9)
    with pytest.raises(ValueError, match="not a scaled copy"):
        leveling_homography(tilt, 960, 960)


def test_levelling_an_unknown_tilt_says_why():
    tilt = estimate_camera_tilt(np.full((300, 200, 3), 90, np.uint8))
    with pytest.raises(ValueError, match="unknown"):
        leveling_homography(tilt, 200, 300)


def test_stated_camera():
    tilt = stated_camera(0.0, width=1080, height=1920)
    assert isinstance(tilt, CameraTilt)
    assert tilt.status == "stated" and tilt.known
    assert (tilt.roll_deg, tilt.pitch_deg, tilt.roll_sd_deg, tilt.pitch_sd_deg) == (0.0, 0.0, 0.5, 0.5)
    assert tilt.up_cam == pytest.approx((0.0, -1.0, 0.0))
    with pytest.raises(ValueError, match="roll"):
        stated_camera(95.0, width=10, height=10)
    with pytest.raises(ValueError, match="uncertainty"):
        stated_camera(1.0, sd_deg=0.0, width=10, height=10)


def test_line_segment_length():
    assert LineSegment(0, 0, 3, 4).length == 5


# --------------------------------------------------------------------------- real photos

ROTATED_PHOTOS = [f"multicam/static_cam0{i}_f05.jpg" for i in range(1, 5)] + ["standing_back_04_tpose.jpg"]


def _rotate_and_crop(bgr: np.ndarray, angle_deg: float, keep: float) -> np.ndarray:
    """Rotate about the centre (OpenCV: positive = counter-clockwise), then keep the central
    `keep` fraction of each side, which has no border pixels for |angle| <= 6 deg."""
    h, w = bgr.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle_deg, 1.0)
    rotated = cv2.warpAffine(bgr, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    cw, ch = round(w * keep / 2) * 2, round(h * keep / 2) * 2  # same parity: the centre stays the centre
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    return rotated[y0 : y0 + ch, x0 : x0 + cw]


def _inscribed_fraction(w: int, h: int, angle_deg: float) -> float:
    a = math.radians(abs(angle_deg))
    return min(w / (w * math.cos(a) + h * math.sin(a)), h / (w * math.sin(a) + h * math.cos(a))) - 0.01


@pytest.mark.parametrize("name", ROTATED_PHOTOS)
def test_rotating_a_real_photo_moves_the_roll_by_the_angle(name: str):
    bgr = cv2.imread(str(DATA / name))
    assert bgr is not None, name
    h, w = bgr.shape[:2]
    keep = _inscribed_fraction(w, h, 6.0)
    focal = default_focal_px(w, h)  # the same lens for every crop, so its error is left out of the SDs
    base = estimate_camera_tilt(_rotate_and_crop(bgr, 0.0, keep), focal_px=focal, focal_rel_sd=0.0)
    assert base.status == "measured", base.reason
    assert base.roll_deg is not None and base.roll_sd_deg is not None and base.pitch_deg is not None
    for angle in (-6.0, -4.0, -2.0, 2.0, 4.0, 6.0):
        tilt = estimate_camera_tilt(_rotate_and_crop(bgr, angle, keep), focal_px=focal, focal_rel_sd=0.0)
        assert tilt.status == "measured", (angle, tilt.reason)
        assert tilt.roll_deg is not None and tilt.roll_sd_deg is not None and tilt.pitch_deg is not None
        assert base.pitch_sd_deg is not None and tilt.pitch_sd_deg is not None
        # Counter-clockwise turns the top of every vertical to the left: roll goes down.
        expected = base.roll_deg - angle
        sd = math.hypot(base.roll_sd_deg, tilt.roll_sd_deg)
        assert abs(tilt.roll_deg - expected) <= max(0.5, 3 * sd), (angle, tilt.roll_deg, expected)
        # A turn about the principal point leaves the pitch alone.
        pitch_sd = math.hypot(base.pitch_sd_deg, tilt.pitch_sd_deg)
        assert abs(tilt.pitch_deg - base.pitch_deg) <= max(0.5, 3 * pitch_sd), (angle, tilt.pitch_deg, base.pitch_deg)


def _calibration() -> list[dict]:
    return json.loads((MULTICAM / "calibration.json").read_text())


#: What a therapist needs to correct a tilt measured from the photo: shoulder and pelvic
#: tilts are read to about a degree, so the camera's roll must be known to 1 deg; pitch
#: matters less (it foreshortens, it does not tilt), 2 deg.
ROLL_TOLERANCE_DEG = 1.0
PITCH_TOLERANCE_DEG = 2.0

def _person_boxes(bgr: np.ndarray, estimator) -> tuple[tuple[float, float, float, float], ...]:
    """The boxes the pipeline hides the person with (`gravity.body_boxes`)."""
    from posture.core.measuring.gravity import body_boxes

    landmarks = estimator.detect(bgr)
    assert landmarks is not None
    return body_boxes(landmarks)


@pytest.fixture(scope="module")
def pose_estimator():
    from posture.core.body.estimator import BlazePoseEstimator

    with BlazePoseEstimator() as est:
        yield est


@pytest.mark.parametrize("frame", ["f00", "f05", "f10"])
@pytest.mark.parametrize("cam", [1, 2, 3, 4])
@pytest.mark.parametrize("hide_person", [False, True], ids=["whole_photo", "person_excluded"])
def test_calibrated_cameras_roll_and_pitch(cam: int, frame: str, hide_person: bool, request: pytest.FixtureRequest):
    calib = _calibration()[cam - 1]
    k = np.array(calib["K"])
    true_roll, true_pitch = angles_from_up(np.array(calib["R"]) @ np.array([0.0, 0.0, 1.0]))
    bgr = cv2.imread(str(MULTICAM / f"static_cam0{cam}_{frame}.jpg"))
    assert bgr is not None
    # cam03/cam04 frames are 1080 wide, their calibration 1088: the principal point is used
    # as calibrated (a 4 px shift moves the roll by under 0.1 deg at these pitches).
    exclude = _person_boxes(bgr, request.getfixturevalue("pose_estimator")) if hide_person else ()
    tilt = estimate_camera_tilt(bgr, focal_px=float(k[0, 0]), principal_point=(float(k[0, 2]), float(k[1, 2])), exclude=exclude)
    assert tilt.status == "measured", tilt.reason
    assert tilt.roll_deg is not None and tilt.pitch_deg is not None
    assert tilt.roll_sd_deg is not None and tilt.pitch_sd_deg is not None
    roll_error, pitch_error = tilt.roll_deg - true_roll, tilt.pitch_deg - true_pitch
    # The reported uncertainty is honest ...
    assert abs(roll_error) <= 3 * tilt.roll_sd_deg, (roll_error, tilt.roll_sd_deg)
    assert abs(pitch_error) <= 3 * tilt.pitch_sd_deg, (pitch_error, tilt.pitch_sd_deg)
    # ... and the roll meets the therapist's need in every view.
    assert abs(roll_error) <= ROLL_TOLERANCE_DEG, (tilt.roll_deg, true_roll)
    if not hide_person:
        assert abs(pitch_error) <= PITCH_TOLERANCE_DEG, (tilt.pitch_deg, true_pitch)
    else:
        # With the person hidden, cam02 keeps fewer wall lines and a treadmill edge that points
        # at the camera's feet competes with them (pitch 4 deg off in frame 0): the method
        # does not meet 2 deg there, and says so with a pitch SD above the tolerance.
        assert abs(pitch_error) <= PITCH_TOLERANCE_DEG or tilt.pitch_sd_deg > PITCH_TOLERANCE_DEG, (pitch_error, tilt.pitch_sd_deg)


#: One room, one fixed camera well above the floor, three people seen from behind: the floor
#: boards between their feet and the wall converge upward like the verticals of a camera
#: looking up, and outnumber the room's few true verticals (a pillar, a window, a corner).
FLOORBOARD_ROOM = ("standing_back_01.jpg", "standing_back_02.jpg", "standing_back_03.jpg")


def _rotated_landmarks(lms, angle_deg: float, size: tuple[int, int], crop: tuple[int, int]):  # noqa: ANN001, ANN202
    from dataclasses import replace

    w, h = size
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle_deg, 1.0)
    xy = np.hstack([lms.xy, np.ones((len(lms.xy), 1))]) @ m.T - np.array(crop, dtype=float)
    return replace(lms, xy=xy)


@pytest.fixture(scope="module")
def floorboard_room(pose_estimator) -> dict[str, tuple[np.ndarray, object]]:  # noqa: ANN001
    photos = {}
    for name in FLOORBOARD_ROOM:
        bgr = cv2.imread(str(DATA / name))
        assert bgr is not None, name
        landmarks = pose_estimator.detect(bgr)
        assert landmarks is not None, name
        photos[name] = (bgr, landmarks)
    return photos


def test_floor_boards_behind_the_client_do_not_pass_for_verticals(floorboard_room):  # noqa: ANN001
    """Each photo gets a level from lines that reach above the client's hips, and the three
    photos from the one camera agree on it (with the boards counted, each photo's own lines
    disagreed by 15-20° of roll and no level was given)."""
    from posture.core.measuring.gravity import camera_from_scene

    tilts = []
    for name, (bgr, landmarks) in floorboard_room.items():
        tilt = camera_from_scene(bgr, landmarks)
        assert tilt.known, (name, tilt.reason)
        hips = float(landmarks.middle("HIP")[1])
        assert all(min(line.y0, line.y1) <= hips for line in tilt.lines), name
        tilts.append(tilt)
    for a, b in zip(tilts, tilts[1:], strict=False):
        assert abs(a.roll_deg - b.roll_deg) <= 3 * math.hypot(a.roll_sd_deg, b.roll_sd_deg)
        assert abs(a.pitch_deg - b.pitch_deg) <= 3 * math.hypot(a.pitch_sd_deg, b.pitch_sd_deg)


@pytest.mark.parametrize("name", FLOORBOARD_ROOM)
def test_the_floor_rule_turns_with_the_photo(floorboard_room, name: str):  # noqa: ANN001
    """Turning the photo (and the landmarks with it) moves the roll by the angle and leaves
    the pitch: the rule that hides the floor follows the client, not the photo's edges. With
    four or five lines left in these small photos (768 x 432), a turned copy may lose one and
    be told unknown (the method says so rather than guess); most keep their level."""
    from posture.core.measuring.gravity import camera_from_scene

    bgr, landmarks = floorboard_room[name]
    h, w = bgr.shape[:2]
    keep = _inscribed_fraction(w, h, 4.0)
    focal = default_focal_px(w, h)
    crop = ((w - round(w * keep / 2) * 2) // 2, (h - round(h * keep / 2) * 2) // 2)

    def tilt_at(angle: float) -> CameraTilt:
        return camera_from_scene(_rotate_and_crop(bgr, angle, keep), _rotated_landmarks(landmarks, angle, (w, h), crop),
                                 focal_px=focal)

    base = tilt_at(0.0)
    assert base.known, base.reason
    known = 0
    for angle in (-4.0, -2.0, 2.0, 4.0):
        tilt = tilt_at(angle)
        if not tilt.known:
            continue
        known += 1
        sd = math.hypot(base.roll_sd_deg, tilt.roll_sd_deg)
        assert abs(tilt.roll_deg - (base.roll_deg - angle)) <= max(0.5, 3 * sd), (angle, tilt.roll_deg, base.roll_deg)
        pitch_sd = math.hypot(base.pitch_sd_deg, tilt.pitch_sd_deg)
        assert abs(tilt.pitch_deg - base.pitch_deg) <= max(0.5, 3 * pitch_sd), (angle, tilt.pitch_deg, base.pitch_deg)
    assert known >= 3, known
