"""The four-camera reference (tests/multicam.py) must itself be trustworthy.

Geometry on synthetic points with exact answers through the real calibrations; then the
real triangulated body: reprojection errors, heights above the floor, stillness across
frames, and which side of the body each camera sees.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from posture.core.body.landmarks import LEFT_RIGHT_SWAP, NUM_LANDMARKS, Landmark, PoseLandmarks
from posture.core.body.views import yaw_deg
from tests import multicam as mc

CAMS = mc.cameras()
RNG = np.random.default_rng(7)
#: Points around where the subject stands (world metres, z up), all in front of every camera.
SCENE_POINTS = np.array([-1.0, 0.0, 0.0]) + RNG.uniform([-0.4, -0.8, 0.0], [0.4, 0.8, 1.8], size=(40, 3))
EXAGGERATED_DISTORTION = np.array([-0.15, 0.05, 1e-3, -1e-3])


def _with_distortion(dist: np.ndarray | None) -> list[mc.Camera]:
    return [c if dist is None else dataclasses.replace(c, dist=dist) for c in CAMS]


# --- geometry, exact answers ----------------------------------------------------------------


@pytest.mark.parametrize(
    "dist", [np.zeros(4), None, EXAGGERATED_DISTORTION], ids=["pinhole", "real-distortion", "strong-distortion"]
)
def test_dlt_recovers_points_projected_through_the_real_calibrations(dist: np.ndarray | None) -> None:
    cams = _with_distortion(dist)
    observed = [c.project(SCENE_POINTS) for c in cams]
    X = mc.triangulate(observed, cams)
    assert np.abs(X - SCENE_POINTS).max() < 1e-6
    assert np.nanmax(mc.reprojection_errors(X, observed, cams)) < 1e-4


def test_undistort_inverts_the_distortion_of_project() -> None:
    for cam in _with_distortion(EXAGGERATED_DISTORTION):
        x = cam.to_camera(SCENE_POINTS)
        ideal = (x @ cam.K.T)[:, :2] / x[:, 2:3]
        distorted = cam.project(SCENE_POINTS)
        assert np.abs(distorted - ideal).max() > 1.0  # the distortion is really there
        assert np.abs(cam.undistort_points(distorted) - ideal).max() < 1e-4


def test_a_camera_weighted_zero_is_left_out_and_two_cameras_are_needed() -> None:
    observed = [c.project(SCENE_POINTS) for c in CAMS]
    observed[2] = observed[2] + 80.0  # cam_03 badly wrong
    ones, zeros = np.ones(len(SCENE_POINTS)), np.zeros(len(SCENE_POINTS))
    trusted = mc.triangulate(observed, CAMS, [ones, ones, zeros, ones])
    assert np.abs(trusted - SCENE_POINTS).max() < 1e-6
    misled = mc.triangulate(observed, CAMS, [ones, ones, ones, ones])
    assert np.abs(misled - SCENE_POINTS).max() > 0.01
    alone = mc.triangulate(observed, CAMS, [ones, zeros, zeros, zeros])
    assert np.isnan(alone).all()


def _camera(pitch_deg: float, roll_deg: float) -> mc.Camera:
    """A camera at (0, -4, 1.5) looking along world +y, pitched down and then rolled."""
    level = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # rows: camera axes in world
    p, r = math.radians(pitch_deg), math.radians(roll_deg)
    pitch = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    roll = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    R = roll @ pitch @ level
    centre = np.array([0.0, -4.0, 1.5])
    K = np.array([[1000.0, 0, 540], [0, 1000.0, 960], [0, 0, 1]])
    return mc.Camera("synthetic", K, np.zeros(4), R, -R @ centre, (1080, 1920))


@pytest.mark.parametrize(("pitch", "roll"), [(0.0, 0.0), (20.0, 0.0), (0.0, 7.0), (-10.0, -12.0), (25.0, 5.0)])
def test_true_roll_and_pitch_of_a_synthetic_camera(pitch: float, roll: float) -> None:
    cam = _camera(pitch, roll)
    assert cam.true_pitch_deg == pytest.approx(pitch, abs=1e-9)
    assert cam.true_roll_deg == pytest.approx(roll, abs=1e-9)
    # The meaning, in the image: a vertical pole 3 m ahead, on the optical axis's line.
    bottom, top = cam.project(np.array([[0.0, -1.0, 0.5], [0.0, -1.0, 2.5]]))
    lean = math.degrees(math.atan2(top[0] - bottom[0], bottom[1] - top[1]))
    assert lean == pytest.approx(roll, abs=1e-6)
    # Looking down puts a point at eye height, far ahead, above the image centre.
    horizon = cam.project(np.array([0.0, 1000.0, 1.5]))[0]
    assert np.sign(cam.K[1, 2] - horizon[1]) == np.sign(pitch) or pitch == 0.0


def _bearing(v: np.ndarray) -> float:
    return math.degrees(math.atan2(v[1], v[0]))


def _synthetic_body(facing_bearing: float, shoulder: float, hip: float, head: float, lean: float) -> np.ndarray:
    """33 world points of a standing body with known tilts (degrees), the rest scattered."""
    b = math.radians(facing_bearing)
    up = np.array([0.0, 0.0, 1.0])
    facing = np.array([math.cos(b), math.sin(b), 0.0])
    left = np.cross(up, facing)  # facing +x, the left is +y

    def pair(centre: np.ndarray, half_width: float, tilt: float) -> tuple[np.ndarray, np.ndarray]:
        a = math.radians(tilt)
        d = half_width * (math.cos(a) * left + math.sin(a) * up)
        return centre + d, centre - d

    X = np.array([-1.0, 0.0, 0.9]) + RNG.uniform(-0.3, 0.3, size=(NUM_LANDMARKS, 3))
    mid_hip = np.array([-1.0, 0.0, 0.85])
    g = math.radians(lean)
    mid_shoulder = mid_hip + 0.55 * (math.sin(g) * left + math.cos(g) * up)
    head_centre = mid_shoulder + np.array([0.0, 0.0, 0.18])
    X[Landmark.LEFT_HIP], X[Landmark.RIGHT_HIP] = pair(mid_hip, 0.1, hip)
    X[Landmark.LEFT_SHOULDER], X[Landmark.RIGHT_SHOULDER] = pair(mid_shoulder, 0.18, shoulder)
    X[Landmark.LEFT_EAR], X[Landmark.RIGHT_EAR] = pair(head_centre, 0.075, head)
    X[Landmark.NOSE] = head_centre + 0.1 * facing
    return X


@pytest.mark.parametrize("facing_bearing", [180.0, 160.0, -95.0, 30.0])
def test_reference_of_a_synthetic_body_gives_its_known_tilts_and_yaws(facing_bearing: float) -> None:
    X = _synthetic_body(facing_bearing, shoulder=3.0, hip=-2.0, head=5.0, lean=-1.5)
    observed = [c.project(X) for c in CAMS]
    ref = mc.body_reference(0, observed, [np.ones(NUM_LANDMARKS)] * len(CAMS), CAMS)
    assert ref.shoulder_tilt_deg == pytest.approx(3.0, abs=1e-5)
    assert ref.hip_tilt_deg == pytest.approx(-2.0, abs=1e-5)
    assert ref.head_tilt_deg == pytest.approx(5.0, abs=1e-5)
    assert ref.trunk_lean_deg == pytest.approx(-1.5, abs=1e-5)
    assert _bearing(ref.facing) == pytest.approx(facing_bearing if facing_bearing <= 180 else facing_bearing - 360, abs=1e-5)
    mid_hip = (X[Landmark.LEFT_HIP] + X[Landmark.RIGHT_HIP]) / 2
    for cam, truth in zip(CAMS, ref.camera_truths, strict=True):
        # Independently: the camera's bearing from the body minus the body's facing bearing.
        expected = (_bearing(cam.centre_world - mid_hip) - facing_bearing + 180.0) % 360.0 - 180.0
        assert truth.yaw_deg == pytest.approx(expected, abs=1e-5)
        # In the camera's axes, the package's own yaw function on the true 3-D body.
        seen = PoseLandmarks(np.zeros((NUM_LANDMARKS, 2)), np.ones(NUM_LANDMARKS), cam.to_camera(X))
        assert truth.yaw_camera_axes_deg == pytest.approx(yaw_deg(seen), abs=1e-6)


def test_swapped_left_right_labels_are_refused() -> None:
    X = _synthetic_body(180.0, 0.0, 0.0, 0.0, 0.0)[list(LEFT_RIGHT_SWAP)]
    observed = [c.project(X) for c in CAMS]
    with pytest.raises(ValueError, match="labels look swapped"):
        mc.body_reference(0, observed, [np.ones(NUM_LANDMARKS)] * len(CAMS), CAMS)


def test_a_malformed_calibration_is_refused_with_one_clear_line(tmp_path: Path) -> None:
    bad = json.loads(mc.CALIBRATION.read_text())
    del bad[1]["R"]
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match=r"camera 1 is missing or has a malformed field"):
        mc.load_calibration(path)


def test_calibration_places_the_cameras_as_the_readme_says() -> None:
    # 1.7-2.1 m up, looking down about 18-25 degrees.
    for cam in CAMS:
        assert 1.6 <= cam.centre_world[2] <= 2.2, cam.name
        assert 17.0 <= cam.true_pitch_deg <= 26.0, cam.name


# --- the real body --------------------------------------------------------------------------

#: Per camera, the median reprojection error of the triangulated landmarks must stay under
#: this. At 3.1-3.7 m with f = 1680 px, 1 px is about 2 mm, so 20 px is 4 cm: the size of a
#: joint, which is how far apart BlazePose puts the same joint centre seen from the front
#: and from the back (the README found 2-30 px per landmark). A wrong calibration or one
#: camera's left/right labels swapped puts some camera's median above 40 px (checked below).
MAX_MEDIAN_REPROJECTION_PX = 20.0


def _observations(frame: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The 2-D landmarks and visibilities the reference of `frame` was built from."""
    ref = mc.reference(frame)
    # Reprojecting the reference's points and adding its errors would be circular: rebuild
    # the observations from the same (memoised) assessments instead.
    return ref.observed_xy, ref.observed_visibility


def _per_camera_median(xy: list[np.ndarray], vis: list[np.ndarray], cams: list[mc.Camera]) -> np.ndarray:
    weights = [v * (v >= mc.MIN_VISIBILITY) for v in vis]
    X = mc.triangulate(xy, cams, weights)
    return np.nanmedian(mc.reprojection_errors(X, xy, cams), axis=0)


@pytest.mark.parametrize("frame", mc.FRAMES)
def test_real_landmarks_reproject_within_the_bound(frame: int) -> None:
    ref = mc.reference(frame)
    per_camera = np.nanmedian(ref.reprojection_px, axis=0)
    assert per_camera.max() < MAX_MEDIAN_REPROJECTION_PX, per_camera


@pytest.mark.parametrize("corruption", ["calibrations 1-2 swapped", "calibrations 3-4 swapped", "labels swapped"])
def test_the_reprojection_bound_catches_a_wrong_calibration_or_swapped_labels(corruption: str) -> None:
    xy, vis = _observations(5)
    cams = list(CAMS)
    if corruption == "calibrations 1-2 swapped":
        cams[0], cams[1] = cams[1], cams[0]
        assert _per_camera_median(xy, vis, cams).max() > 2 * MAX_MEDIAN_REPROJECTION_PX
    elif corruption == "calibrations 3-4 swapped":
        cams[2], cams[3] = cams[3], cams[2]
        assert _per_camera_median(xy, vis, cams).max() > 2 * MAX_MEDIAN_REPROJECTION_PX
    else:
        for k in range(len(cams)):
            relabelled = list(xy)
            relabelled[k] = xy[k][list(LEFT_RIGHT_SWAP)]
            assert _per_camera_median(relabelled, vis, cams).max() > 2 * MAX_MEDIAN_REPROJECTION_PX, k


@pytest.mark.parametrize("frame", mc.FRAMES)
def test_real_body_stands_at_the_heights_the_readme_gives(frame: int) -> None:
    ref = mc.reference(frame)
    for ankle in (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE):
        assert ref.point(ankle)[2] == pytest.approx(0.08, abs=0.03)
    for shoulder in (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER):
        assert ref.point(shoulder)[2] == pytest.approx(1.39, abs=0.03)


def test_reference_tilts_agree_across_frames_of_a_subject_standing_still() -> None:
    refs = [mc.reference(f) for f in mc.FRAMES]
    report = {m: [round(r.truth(m), 2) for r in refs] for m in mc.FRONTAL_MEASURES}
    for measure in ("shoulder_tilt_deg", "hip_tilt_deg", "trunk_lean_deg"):
        values = report[measure]
        assert max(values) - min(values) <= 1.0, report
    # The ears are 3-4x closer together than the shoulders, so the same millimetres of
    # triangulation noise tilt their line 3-4x as much: scale the 1-degree bound by that.
    ears = [np.linalg.norm(r.point(Landmark.LEFT_EAR) - r.point(Landmark.RIGHT_EAR)) for r in refs]
    shoulders = [np.linalg.norm(r.point(Landmark.LEFT_SHOULDER) - r.point(Landmark.RIGHT_SHOULDER)) for r in refs]
    head_bound = 1.0 * float(np.mean(shoulders) / np.mean(ears))
    values = report["head_tilt_deg"]
    assert max(values) - min(values) <= head_bound, (report, head_bound)


@pytest.mark.parametrize("frame", mc.FRAMES)
def test_true_yaw_back_cameras_see_the_back_front_cameras_the_front(frame: int) -> None:
    ref = mc.reference(frame)
    yaws = {t.name: t.yaw_deg for t in ref.camera_truths}
    assert abs(yaws["cam_01"]) > 90 and abs(yaws["cam_02"]) > 90, yaws
    assert abs(yaws["cam_03"]) < 90 and abs(yaws["cam_04"]) < 90, yaws


@pytest.mark.parametrize("shift_px", [-4.0, 4.0])
def test_the_uncertain_principal_point_of_cam03_and_cam04_barely_moves_the_reference(shift_px: float) -> None:
    # Their videos are 1080 px wide, their calibration says 1088: the principal point may be
    # off by up to 4 px. That must matter far less than the 1-degree stillness bound.
    xy, vis = _observations(5)
    shifted = [
        c if c.name not in ("cam_03", "cam_04") else dataclasses.replace(c, K=c.K + np.array([[0, 0, shift_px], [0, 0, 0], [0, 0, 0]]))
        for c in CAMS
    ]
    base, moved = mc.reference(5), mc.body_reference(5, xy, vis, shifted)
    for measure in mc.FRONTAL_MEASURES:
        assert moved.truth(measure) == pytest.approx(base.truth(measure), abs=0.1), measure
