"""Ground truth for frontal tilts from four calibrated cameras (tests/data/multicam).

One person stands still in a T-pose and four synchronised, calibrated cameras see them at
the same instants. Each camera's photo goes through `posture.assess`; its consensus
landmarks are triangulated (linear DLT) into 3-D world points, and the tilts are measured
there against true gravity (world z is up). No single photo gives this: it is the
reference that single-photo readings are judged against (`benchmarks/reference.py`).

Conventions (the same as the package's, for the subject):
- tilts: degrees(atan2(z_left - z_right, horizontal distance)), + when the LEFT is higher;
- trunk lean: mid-hip -> mid-shoulder against the vertical in the subject's frontal
  plane, + toward the subject's left;
- yaw of the body relative to a camera: as `posture.core.body.views.yaw_deg`, 0 facing the camera,
  +-180 back to it, +90 the subject's LEFT side toward it;
- camera roll: + when the top of a true vertical leans to image right; pitch: + looking down.

Caveat of the data: cam03 and cam04 frames are 1080 px wide while their calibration says
1088, so their principal point is uncertain by a few pixels (about 0.1 deg of ray
direction). The data are used as published.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from posture.core.body.landmarks import NUM_LANDMARKS, Landmark

FloatArray = npt.NDArray[np.float64]

DATA_DIR = Path(__file__).parent / "data" / "multicam"
CALIBRATION = DATA_DIR / "calibration.json"
FRAMES: tuple[int, ...] = (0, 5, 10)
CAMERA_NUMBERS: tuple[int, ...] = (1, 2, 3, 4)
#: A landmark the model itself rates less visible than this in a camera is left out of
#: that camera's equations (the package uses the same cut-off for "visible").
MIN_VISIBILITY = 0.5
UP: FloatArray = np.array([0.0, 0.0, 1.0])
#: The package's frontal measures that the reference gives, by their package names.
FRONTAL_MEASURES: tuple[str, ...] = ("head_tilt_deg", "shoulder_tilt_deg", "hip_tilt_deg", "trunk_lean_deg")


def image_path(camera_number: int, frame: int) -> Path:
    return DATA_DIR / f"static_cam{camera_number:02d}_f{frame:02d}.jpg"


@dataclass(frozen=True)
class Camera:
    """One calibrated camera in OpenCV's convention: x_cam = R @ X + t, pixels = K x_cam."""

    name: str
    K: FloatArray
    dist: FloatArray  # k1, k2, p1, p2
    R: FloatArray
    t: FloatArray
    size: tuple[int, int]  # width, height (of the calibration, not necessarily of the video)

    def __post_init__(self) -> None:
        for attr, shape in (("K", (3, 3)), ("R", (3, 3)), ("t", (3,)), ("dist", (4,))):
            value = np.asarray(getattr(self, attr), dtype=np.float64)
            if value.shape != shape:
                raise ValueError(f"camera {self.name}: {attr} must have shape {shape}, got {value.shape}")
            object.__setattr__(self, attr, value)

    def to_camera(self, X: npt.ArrayLike) -> FloatArray:
        """World points (N, 3) in camera coordinates (x right, y down, z forward)."""
        pts = np.atleast_2d(np.asarray(X, dtype=np.float64))
        return pts @ self.R.T + self.t

    def project(self, X: npt.ArrayLike) -> FloatArray:
        """World points (N, 3) or (3,) to distorted pixels (N, 2)."""
        pts = np.atleast_2d(np.asarray(X, dtype=np.float64)).reshape(-1, 1, 3)
        rvec, _ = cv2.Rodrigues(self.R)
        uv, _ = cv2.projectPoints(pts, rvec, self.t, self.K, self.dist)
        return np.asarray(uv, dtype=np.float64).reshape(-1, 2)

    def undistort_points(self, uv: npt.ArrayLike) -> FloatArray:
        """Distorted pixels (N, 2) to the pixels an ideal pinhole camera with the same K gives."""
        pts = np.asarray(uv, dtype=np.float64).reshape(-1, 1, 2)
        out = cv2.undistortPoints(pts, self.K, self.dist, P=self.K)
        return np.asarray(out, dtype=np.float64).reshape(-1, 2)

    @property
    def projection(self) -> FloatArray:
        """The 3x4 matrix K [R | t] (for undistorted pixels)."""
        return self.K @ np.hstack([self.R, self.t[:, None]])

    @property
    def centre_world(self) -> FloatArray:
        return -self.R.T @ self.t

    @property
    def up_in_camera(self) -> FloatArray:
        """World up (0, 0, 1) in camera coordinates."""
        return self.R @ UP

    @property
    def true_roll_deg(self) -> float:
        """+ when the top of a true vertical leans to image right."""
        up = self.up_in_camera
        return math.degrees(math.atan2(up[0], -up[1]))

    @property
    def true_pitch_deg(self) -> float:
        """+ when the camera looks down."""
        return math.degrees(math.asin(float(np.clip(-self.up_in_camera[2], -1.0, 1.0))))


def load_calibration(path: str | Path = CALIBRATION) -> list[Camera]:
    """The cameras of a calibration.json (a list of {name, size, K, dist, R, t})."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{path}: expected a non-empty list of cameras")
    cameras = []
    for i, cam in enumerate(raw):
        try:
            cameras.append(
                Camera(
                    name=str(cam["name"]),
                    K=np.array(cam["K"], dtype=np.float64),
                    dist=np.array(cam["dist"], dtype=np.float64),
                    R=np.array(cam["R"], dtype=np.float64),
                    t=np.array(cam["t"], dtype=np.float64),
                    size=(int(cam["size"][0]), int(cam["size"][1])),
                )
            )
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"{path}: camera {i} is missing or has a malformed field ({exc})") from None
    return cameras


def triangulate(
    points_2d_per_camera: Sequence[npt.ArrayLike],
    cameras: Sequence[Camera],
    weights: Sequence[npt.ArrayLike] | None = None,
) -> FloatArray:
    """Linear (DLT) triangulation of N points seen by several cameras.

    points_2d_per_camera: one (N, 2) array of *distorted* pixels per camera (undistorted
    here). weights: one (N,) array per camera (e.g. visibility); 0 leaves the camera out
    for that point. Returns (N, 3) world points, NaN where fewer than two cameras count.
    The equations are written in normalised image coordinates (K^-1 applied), which keeps
    the system well conditioned with pixels of order 1000 and metres of order 1.
    """
    if len(points_2d_per_camera) != len(cameras):
        raise ValueError(f"{len(points_2d_per_camera)} point sets for {len(cameras)} cameras")
    observed = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in points_2d_per_camera]
    n = observed[0].shape[0]
    if any(p.shape[0] != n for p in observed):
        raise ValueError("every camera must give the same number of points")
    w = (
        [np.ones(n) for _ in cameras]
        if weights is None
        else [np.asarray(wi, dtype=np.float64).reshape(n) for wi in weights]
    )
    normalised = []
    for cam, uv in zip(cameras, observed, strict=True):
        ideal = cam.undistort_points(uv)
        homog = np.hstack([ideal, np.ones((n, 1))]) @ np.linalg.inv(cam.K).T
        normalised.append(homog[:, :2] / homog[:, 2:3])
    out = np.full((n, 3), np.nan)
    for j in range(n):
        rows = []
        for cam, xy, wi in zip(cameras, normalised, w, strict=True):
            if not wi[j] > 0 or not np.all(np.isfinite(xy[j])):
                continue
            P = np.hstack([cam.R, cam.t[:, None]])
            rows.append(wi[j] * (xy[j, 0] * P[2] - P[0]))
            rows.append(wi[j] * (xy[j, 1] * P[2] - P[1]))
        if len(rows) < 4:
            continue
        _, _, vt = np.linalg.svd(np.array(rows))
        h = vt[-1]
        out[j] = h[:3] / h[3]
    return out


def reprojection_errors(
    X: npt.ArrayLike, points_2d_per_camera: Sequence[npt.ArrayLike], cameras: Sequence[Camera]
) -> FloatArray:
    """(N, n_cameras) pixel distance between each observed point and its reprojection."""
    pts = np.asarray(X, dtype=np.float64).reshape(-1, 3)
    cols = [
        np.linalg.norm(cam.project(np.nan_to_num(pts)) - np.asarray(uv, dtype=np.float64).reshape(-1, 2), axis=1)
        for cam, uv in zip(cameras, points_2d_per_camera, strict=True)
    ]
    errors = np.stack(cols, axis=1)
    errors[~np.all(np.isfinite(pts), axis=1)] = np.nan
    return errors


# --- the subject's frame and its tilts ------------------------------------------------------


def tilt_deg(left: FloatArray, right: FloatArray) -> float:
    """Left-right line against the horizontal; + when the left point is higher."""
    horizontal = float(np.hypot(*(left[:2] - right[:2])))
    return math.degrees(math.atan2(float(left[2] - right[2]), horizontal))


def _horizontal_unit(v: FloatArray) -> FloatArray:
    h = np.array([v[0], v[1], 0.0])
    norm = float(np.linalg.norm(h))
    if norm == 0:
        raise ValueError("vector has no horizontal component")
    return h / norm


def signed_yaw_deg(left_axis: FloatArray, facing: FloatArray, towards_camera: FloatArray) -> float:
    """Body yaw relative to a viewer, all vectors horizontal: 0 facing it, +90 left side to it."""
    return math.degrees(math.atan2(float(left_axis @ towards_camera), float(facing @ towards_camera)))


@dataclass(frozen=True)
class CameraTruth:
    """What is true of one camera relative to the body (world metres, degrees)."""

    name: str
    #: Body yaw relative to the horizontal line from the body (mid-hip) to the camera.
    yaw_deg: float
    #: The same body axis seen in the camera's own axes, exactly as `posture.core.body.views.yaw_deg`
    #: computes it on BlazePose world landmarks (x right, y down, z forward); differs from
    #: yaw_deg by the camera's pitch, roll and the body's offset from the optical axis.
    yaw_camera_axes_deg: float
    roll_deg: float
    pitch_deg: float
    height_above_shoulders_m: float
    height_above_hips_m: float
    distance_m: float  # horizontal, camera centre to mid-hip

    @property
    def h_over_d_shoulders(self) -> float:
        return self.height_above_shoulders_m / self.distance_m

    @property
    def h_over_d_hips(self) -> float:
        return self.height_above_hips_m / self.distance_m


@dataclass(frozen=True)
class Reference:
    """The triangulated body at one frame, and its tilts against true gravity."""

    frame: int
    points: FloatArray  # (33, 3) world metres, NaN if seen by fewer than two cameras
    cameras_used: npt.NDArray[np.bool_]  # (33, n_cameras): visibility >= MIN_VISIBILITY
    reprojection_px: FloatArray  # (33, n_cameras); NaN where the camera was left out
    head_tilt_deg: float
    shoulder_tilt_deg: float
    hip_tilt_deg: float
    trunk_lean_deg: float
    left_axis: FloatArray  # horizontal unit vector toward the subject's left
    facing: FloatArray  # horizontal unit normal of the frontal plane, toward the nose
    camera_truths: tuple[CameraTruth, ...]
    #: Each frontal measure from every set of all cameras but one (the reference's own spread).
    leave_one_out: dict[str, tuple[float, ...]] = field(default_factory=dict)
    #: What it was built from: per camera, (33, 2) distorted pixels and (33,) visibility.
    observed_xy: list[FloatArray] = field(default_factory=list, repr=False)
    observed_visibility: list[FloatArray] = field(default_factory=list, repr=False)

    def point(self, lm: Landmark) -> FloatArray:
        return self.points[int(lm)]

    def truth(self, measure: str) -> float:
        """Reference value of a frontal measure by its package name, e.g. 'shoulder_tilt_deg'."""
        if measure not in FRONTAL_MEASURES:
            raise KeyError(f"no reference for {measure!r} (have {', '.join(FRONTAL_MEASURES)})")
        return float(getattr(self, measure))

    def camera(self, name: str) -> CameraTruth:
        for c in self.camera_truths:
            if c.name == name:
                return c
        raise KeyError(name)

    def spread(self, measure: str) -> float:
        """Largest distance from the four-camera value to a leave-one-camera-out value."""
        others = self.leave_one_out.get(measure, ())
        return max((abs(v - self.truth(measure)) for v in others), default=float("nan"))

    @property
    def median_reprojection_px(self) -> float:
        return float(np.nanmedian(self.reprojection_px))



@dataclass(frozen=True)
class _Body:
    head_tilt_deg: float
    shoulder_tilt_deg: float
    hip_tilt_deg: float
    trunk_lean_deg: float
    left_axis: FloatArray
    facing: FloatArray


def _body(X: FloatArray, frame: int) -> _Body:
    def p(lm: Landmark) -> FloatArray:
        point = X[int(lm)]
        if not np.all(np.isfinite(point)):
            raise ValueError(f"frame {frame}: {lm.key} seen by fewer than two cameras")
        return point

    ls, rs = p(Landmark.LEFT_SHOULDER), p(Landmark.RIGHT_SHOULDER)
    lh, rh = p(Landmark.LEFT_HIP), p(Landmark.RIGHT_HIP)
    left_axis = _horizontal_unit((ls - rs) + (lh - rh))
    # The frontal plane holds the left-right axis and the vertical; its normal points
    # where the nose is. A body whose left is `left_axis` faces left_axis x up, so a nose
    # on the other side means the triangulated left/right labels are swapped.
    normal = np.cross(left_axis, UP)
    mid_shoulder = (ls + rs) / 2
    if float((p(Landmark.NOSE) - mid_shoulder) @ normal) < 0:
        raise ValueError(f"frame {frame}: the nose is behind the frontal plane: left/right labels look swapped")
    trunk = mid_shoulder - (lh + rh) / 2
    return _Body(
        head_tilt_deg=tilt_deg(p(Landmark.LEFT_EAR), p(Landmark.RIGHT_EAR)),
        shoulder_tilt_deg=tilt_deg(ls, rs),
        hip_tilt_deg=tilt_deg(lh, rh),
        trunk_lean_deg=math.degrees(math.atan2(float(trunk @ left_axis), float(trunk @ UP))),
        left_axis=left_axis,
        facing=normal,
    )


def body_reference(
    frame: int,
    points_2d_per_camera: Sequence[npt.ArrayLike],
    visibilities: Sequence[npt.ArrayLike],
    cameras: Sequence[Camera],
) -> Reference:
    """Triangulate 33 landmarks per camera and measure the body against gravity (pure)."""
    used = np.stack([np.asarray(v, dtype=np.float64) >= MIN_VISIBILITY for v in visibilities], axis=1)
    weights = [np.asarray(v, dtype=np.float64) * used[:, i] for i, v in enumerate(visibilities)]
    X = triangulate(points_2d_per_camera, cameras, weights)
    if X.shape != (NUM_LANDMARKS, 3):
        raise ValueError(f"expected {NUM_LANDMARKS} landmarks, got {X.shape[0]}")
    errors = reprojection_errors(X, points_2d_per_camera, cameras)
    errors[~used] = np.nan
    body = _body(X, frame)

    # How much the reference itself depends on which cameras see the body: the same
    # measures from each set of all cameras but one.
    leave_one_out: dict[str, list[float]] = {m: [] for m in FRONTAL_MEASURES}
    if len(cameras) > 2:
        for skip in range(len(cameras)):
            w = [wi if i != skip else np.zeros_like(wi) for i, wi in enumerate(weights)]
            sub = _body(triangulate(points_2d_per_camera, cameras, w), frame)
            for m in FRONTAL_MEASURES:
                leave_one_out[m].append(float(getattr(sub, m)))

    ls, rs = X[int(Landmark.LEFT_SHOULDER)], X[int(Landmark.RIGHT_SHOULDER)]
    lh, rh = X[int(Landmark.LEFT_HIP)], X[int(Landmark.RIGHT_HIP)]
    mid_shoulder, mid_hip = (ls + rs) / 2, (lh + rh) / 2
    truths = []
    for cam in cameras:
        centre = cam.centre_world
        v_cam = cam.R @ ((ls - rs) + (lh - rh))
        truths.append(
            CameraTruth(
                name=cam.name,
                yaw_deg=signed_yaw_deg(body.left_axis, body.facing, _horizontal_unit(centre - mid_hip)),
                yaw_camera_axes_deg=math.degrees(math.atan2(-v_cam[2], v_cam[0])),
                roll_deg=cam.true_roll_deg,
                pitch_deg=cam.true_pitch_deg,
                height_above_shoulders_m=float(centre[2] - mid_shoulder[2]),
                height_above_hips_m=float(centre[2] - mid_hip[2]),
                distance_m=float(np.hypot(*(centre[:2] - mid_hip[:2]))),
            )
        )
    return Reference(
        frame=frame,
        points=X,
        cameras_used=used,
        reprojection_px=errors,
        head_tilt_deg=body.head_tilt_deg,
        shoulder_tilt_deg=body.shoulder_tilt_deg,
        hip_tilt_deg=body.hip_tilt_deg,
        trunk_lean_deg=body.trunk_lean_deg,
        left_axis=body.left_axis,
        facing=body.facing,
        camera_truths=tuple(truths),
        leave_one_out={m: tuple(v) for m, v in leave_one_out.items()},
        observed_xy=[np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in points_2d_per_camera],
        observed_visibility=[np.asarray(v, dtype=np.float64) for v in visibilities],
    )


@functools.cache
def cameras() -> tuple[Camera, ...]:
    return tuple(load_calibration(CALIBRATION))


@functools.cache
def assessment(camera_number: int, frame: int) -> Any:
    """`posture.assess` of one camera's photo (memoised: the reference and the tests share it)."""
    from posture import assess

    return assess(image_path(camera_number, frame))


@functools.cache
def reference(frame: int) -> Reference:
    """The reference at frame 0, 5 or 10, from `posture.assess` of all four photos (memoised)."""
    if frame not in FRAMES:
        raise ValueError(f"frame must be one of {FRAMES}, got {frame}")
    cams = cameras()
    xys, vis = [], []
    for number in CAMERA_NUMBERS:
        a = assessment(number, frame)
        xys.append(a.landmarks.xy)
        vis.append(a.landmarks.visibility)
    return body_reference(frame, xys, vis, cams)


#: The ± parts a simulated (perfect-detector) photo's frontal readings carry: what a front and
#: back pair does not cancel (the model's repeatability and landmark placement).
SIMULATED_NOISE = {"repeatability": 0.3, "landmark placement": 0.4}


def turned_round(points: FloatArray) -> FloatArray:
    """The body turned 180° in place: about the vertical through the middle of its hips."""
    hips = (points[int(Landmark.LEFT_HIP)] + points[int(Landmark.RIGHT_HIP)]) / 2
    out = np.array(points, dtype=np.float64, copy=True)
    out[:, :2] = 2 * hips[:2] - out[:, :2]
    return out


def simulated_front_back(camera: Camera, ref: Reference) -> tuple[Any, Any, float]:
    """The front and back photos a perfect detector would give from `camera` while the body of
    `ref` turns round in place, as assessments (frontal readings with `SIMULATED_NOISE`), and
    how far (degrees) the body in the front photo is turned from square."""
    from posture.core.assessment import Assessment, ImageInfo
    from posture.core.body.landmarks import PoseLandmarks
    from posture.core.body.views import Posture, View, ViewName
    from posture.core.measuring.measures import MEASURES, Measure

    def photo(xy: FloatArray, view: ViewName) -> Assessment:
        measures = {n: Measure(n, "deg", 0.0, 5.0, 1.0, parts=tuple(SIMULATED_NOISE.items()))
                    for n in MEASURES.reading_gravity()}
        return Assessment(ImageInfo(None, *camera.size), View(view, Posture.STANDING, 1.0, "user"),
                          PoseLandmarks(xy, np.ones(NUM_LANDMARKS)), measures, [])

    seen, turned = camera.project(ref.points), camera.project(turned_round(ref.points))
    truth = ref.camera(camera.name)
    faces_camera = abs(truth.yaw_deg) < 90.0
    front, back = (seen, turned) if faces_camera else (turned, seen)
    off = abs(truth.yaw_deg) if faces_camera else 180.0 - abs(truth.yaw_deg)
    return photo(front, ViewName.FRONT), photo(back, ViewName.BACK), off



@dataclass(frozen=True)
class PlacementResidual:
    """One camera's frontal reading with its set-up known exactly (the calibration's roll,
    pitch and yaw), against the truth: what is left is where BlazePose placed the points."""

    camera: str
    frame: int
    measure: str
    off_square_deg: float
    error_loo: float  # against the truth triangulated without this camera (biased high)
    error_all: float  # against the truth from all cameras, this one included (biased low)
    #: The reading's change per torso length of placement error on every landmark it uses.
    sensitivity_per_torso: float
    #: The package's landmark-placement term (one SD, degrees) for this view.
    declared_sd: float

    @property
    def error(self) -> float:
        """The view's own error: between the two biased estimates (their RMS)."""
        return math.sqrt((self.error_loo**2 + self.error_all**2) / 2)

    @property
    def implied_sd_torso(self) -> float:
        """The placement SD (torso lengths per coordinate) that explains `error` alone."""
        return self.error / self.sensitivity_per_torso


#: A placement step (torso lengths) small enough for the readings to move linearly.
SMALL_STEP = 1e-3


def placement_residuals(frame: int) -> list[PlacementResidual]:
    """Each camera's frontal tilts at `frame`, levelled by the calibration's true roll and
    pitch (undistorted, its own focal length) and perspective-corrected with the true yaw."""
    from posture.core.body.landmarks import PoseLandmarks
    from posture.core.body.views import Posture, View, ViewName
    from posture.core.image.camera import stated_camera
    from posture.core.measuring import uncertainty
    from posture.core.measuring.gravity import Levelling
    from posture.core.measuring.measure_spec import MeasureContext
    from posture.core.measuring.measures import MEASURES, value_of

    ref = reference(frame)
    out = []
    for i, (number, cam) in enumerate(zip(CAMERA_NUMBERS, cameras(), strict=True)):
        a = assessment(number, frame)
        truth = ref.camera(cam.name)
        focal, centre = float(cam.K[0, 0]), (float(cam.K[0, 2]), float(cam.K[1, 2]))
        tilt = stated_camera(truth.roll_deg, truth.pitch_deg, width=cam.size[0], height=cam.size[1],
                             focal_px=focal, principal_point=centre)
        xy = Levelling.for_camera(tilt).apply(PoseLandmarks(cam.undistort_points(a.landmarks.xy),
                                                            a.landmarks.visibility)).xy
        faces = abs(truth.yaw_deg) < 90.0
        view = View(ViewName.FRONT if faces else ViewName.BACK, Posture.STANDING, 1.0, "user",
                    yaw_deg=truth.yaw_camera_axes_deg)
        ctx = MeasureContext(view, "left", None, focal_px=focal, principal_point=centre, yaw_deg=truth.yaw_camera_axes_deg)
        for name in FRONTAL_MEASURES:
            spec = MEASURES[name]
            value = value_of(spec, xy, ctx)
            if value is None:
                continue
            # The term is linear in the step: per torso length, from a small one.
            per_torso = uncertainty.landmark_term(spec, xy, ctx, sd=lambda lm, c: SMALL_STEP) / SMALL_STEP
            out.append(PlacementResidual(
                cam.name, frame, name, view.yaw_off_deg or 0.0, value - ref.leave_one_out[name][i],
                value - ref.truth(name), per_torso, uncertainty.landmark_term(spec, xy, ctx)))
    return out


def fit_placement(rows: Sequence[PlacementResidual], measure: str) -> tuple[float, float]:
    """Least-squares `square + turned * sin^2(off)` through the implied placement SDs of
    `measure` (torso lengths), the model `uncertainty.PlacementSD` declares."""
    mine = [r for r in rows if r.measure == measure]
    a = np.array([[1.0, math.sin(math.radians(r.off_square_deg)) ** 2] for r in mine])
    b = np.array([r.implied_sd_torso for r in mine])
    (square, turned), *_ = np.linalg.lstsq(a, b, rcond=None)
    return float(square), float(turned)
