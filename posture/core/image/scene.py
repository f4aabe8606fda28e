"""Camera roll and pitch relative to gravity, from the straight lines of the scene (no body).

A posture photo is only as level as the camera. Walls, door frames, windows and furniture
edges are vertical in the world; in the photo they meet at the *vertical vanishing point*
(VP). From that point and the focal length, the direction of gravity in the camera frame
follows, and with it the camera's roll and pitch. The person is never used: limbs are long
straight lines, but they are what we measure, so the caller passes the person's box in
``exclude`` and lines touching it are ignored.

Method
------
1. Line segments: OpenCV's fast line detector on a grey copy whose long side is at most
   ``WORK_SIDE`` px; segments shorter than ``MIN_SEGMENT_FRACTION`` of the long side, or touching
   an ``exclude`` box, are dropped.
2. Candidates within ``MAX_LINE_TILT_DEG`` of the image vertical. Each segment is back-projected
   to the plane through the camera centre that holds it (normal ``n = q0 x q1`` with
   ``q = K^-1 p``); a vertical direction lies in all those planes. Hypotheses: ``u = n_i x n_j``
   for every pair of the longest candidates (so a VP at infinity needs no special case), kept
   only if they imply a plausible camera (|roll| <= ``MAX_ROLL_DEG``, ``MIN_PITCH_DEG`` <= pitch <=
   ``MAX_PITCH_DEG``:
   this is what tells receding floor lines, whose VP lies on the horizon near the photo, from
   true verticals). Score: length of the segments whose direction is within
   ``INLIER_ANGLE_DEG`` of the direction from their midpoint to the VP.
3. Refinement: ``u`` = least-squares null vector of the length-weighted inlier normals,
   re-selecting inliers until stable.
4. Uncertainty: SD over a bootstrap of the inlier segments (fixed seed) and, for pitch, the
   change caused by the focal length's relative uncertainty (``FOCAL_REL_SD``), in quadrature;
   never below ``MIN_SD_DEG``.

Without enough support (``MIN_INLIERS`` segments, ``MIN_INLIER_LENGTH_FRACTION`` of the long side
in total, spread over ``MIN_SPREAD_FRACTION`` of the width) the result is ``unknown`` with a
reason: the method never guesses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from .camera import (
    FOCAL_REL_SD,
    UNKNOWN_REASON,
    CameraTilt,
    LineSegment,
    angles_from_up,
    camera_matrix,
    default_focal_px,
)

Box = tuple[float, float, float, float]
"""(x0, y0, x1, y1) in pixels of the photo."""

FloatArray = npt.NDArray[np.float64]

#: Long side (px) of the grey copy the lines are detected on (speed; lines are fitted sub-pixel).
WORK_SIDE = 1000
#: Shortest segment kept, as a fraction of the photo's long side.
MIN_SEGMENT_FRACTION = 0.04
#: Candidate verticals: at most this far from the image vertical. Wider than the roll we
#: expect because perspective fans verticals out toward the photo's sides (a lab camera with
#: 26 deg roll exists in our test data).
MAX_LINE_TILT_DEG = 40.0
#: Plausible cameras: beyond these the "vertical" VP is more likely a horizon VP of floor lines.
#: Posture photos are taken from about hip to head height: a camera may look down steeply
#: (a lab camera near the ceiling) but one looking up more than 25 deg is no posture set-up,
#: and the converging floor edges of a down-looking camera otherwise pass for verticals
#: seen from below.
MAX_ROLL_DEG = 40.0
MAX_PITCH_DEG = 45.0
MIN_PITCH_DEG = -25.0
#: A segment supports a VP when its direction is within this angle of the direction from its
#: midpoint to the VP (the direction of a 77 px segment, the shortest kept in a 1920 px photo,
#: detected on a 1000 px copy with 0.3 px endpoint noise, is good to about 0.5 deg).
INLIER_ANGLE_DEG = 1.0
#: RANSAC hypotheses come from all pairs of this many longest candidates (deterministic).
HYPOTHESIS_SEGMENTS = 60
#: Segment weight = its length, capped at this fraction of the long side (just above the
#: shortest segment kept, so in effect each segment counts about once): one long floor or
#: table edge that happens to pass near the VP must not outvote many shorter true verticals
#: (with a cap of 0.2 a treadmill edge moved one lab camera's pitch by 5 deg).
WEIGHT_CAP_FRACTION = 0.05
#: Inlier re-selections after the first least-squares fit.
REFINE_ITERATIONS = 4
#: Support needed for a measurement.
MIN_INLIERS = 4
MIN_INLIER_LENGTH_FRACTION = 0.6
MIN_SPREAD_FRACTION = 0.15
#: Bootstrap resamples and seed (a fixed seed: the same photo always gives the same SD).
BOOTSTRAP_SAMPLES = 200
BOOTSTRAP_SEED = 20240601
#: No reported SD is below this (sub-pixel line noise, lens distortion, principal point).
MIN_SD_DEG = 0.2
# --------------------------------------------------------------------------- line segments


def _touching(segs: FloatArray, boxes: Sequence[Box]) -> npt.NDArray[np.bool_]:
    """Which segments (rows x0, y0, x1, y1) meet any of the boxes (Liang-Barsky clipping,
    all segments against one box at a time)."""
    hit = np.zeros(len(segs), dtype=bool)
    x0, y0, x1, y1 = segs[:, 0], segs[:, 1], segs[:, 2], segs[:, 3]
    dx, dy = x1 - x0, y1 - y0
    p = np.stack([-dx, dx, -dy, dy], axis=1)
    for box in boxes:
        bx0, by0, bx1, by1 = min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])
        q = np.stack([x0 - bx0, bx1 - x0, y0 - by0, by1 - y0], axis=1)
        parallel_outside = ((p == 0.0) & (q < 0.0)).any(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = q / p
        t0 = np.max(np.where(p < 0.0, t, 0.0), axis=1, initial=0.0)
        t1 = np.min(np.where(p > 0.0, t, 1.0), axis=1, initial=1.0)
        hit |= ~parallel_outside & (t0 <= t1)
    return hit


def detect_line_segments(
    bgr: np.ndarray, *, exclude: Sequence[Box] = (), min_length_fraction: float = MIN_SEGMENT_FRACTION,
    floor_y: float | None = None, floor_top_y: float | None = None,
) -> tuple[LineSegment, ...]:
    """Straight segments of the photo in its pixels, longest first, none touching `exclude`,
    none whose middle lies below `floor_y` and none wholly below `floor_top_y` (on the floor:
    see `estimate_camera_tilt`)."""
    if bgr.dtype != np.uint8 or bgr.ndim not in (2, 3):
        raise ValueError(f"expected an 8-bit grey or BGR image, got {bgr.dtype} array of shape {bgr.shape}")
    if bgr.ndim == 3:
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGRA2GRAY if bgr.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    else:
        grey = bgr
    h, w = grey.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    min_len_small = max(10.0, min_length_fraction * max(grey.shape[:2]))
    detector = cv2.ximgproc.createFastLineDetector(int(min_len_small * 0.75), 1.414, 50.0, 50.0, 3, False)
    found = detector.detect(grey)
    if found is None or len(found) == 0:
        return ()
    segs = found.reshape(-1, 4).astype(np.float64)
    # Pixel centres: (i + 0.5) / scale - 0.5 maps the small copy back to the photo.
    segs = (segs + 0.5) / scale - 0.5
    lengths = np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1])
    keep = lengths >= min_length_fraction * max(h, w)
    segs, lengths = segs[keep], lengths[keep]
    order = np.argsort(-lengths, kind="stable")
    segs = segs[order]
    keep = ~_touching(segs, exclude)
    if floor_y is not None:
        keep &= (segs[:, 1] + segs[:, 3]) / 2 <= floor_y
    if floor_top_y is not None:
        keep &= np.minimum(segs[:, 1], segs[:, 3]) <= floor_top_y
    return tuple(LineSegment(float(a), float(b), float(c), float(d)) for a, b, c, d in segs[keep])


def segment_boxes(segments: npt.ArrayLike, margin: float) -> tuple[Box, ...]:
    """One box per segment ((M, 2, 2) array of endpoint pairs), grown by `margin` pixels.

    For `exclude`: one box per body segment (upper arm, forearm, thigh, ...) hides the limbs
    while leaving the scene between them, where a single box around a T-pose would hide
    most of the photo.
    """
    arr = np.asarray(segments, dtype=float)
    if arr.ndim != 3 or arr.shape[1:] != (2, 2):
        raise ValueError(f"segments must have shape (M, 2, 2), got {arr.shape}")
    lo = arr.min(axis=1) - margin
    hi = arr.max(axis=1) + margin
    return tuple((float(a[0]), float(a[1]), float(b[0]), float(b[1])) for a, b in zip(lo, hi, strict=True))


# --------------------------------------------------------------------------- vanishing point


def _plane_normals(segs: FloatArray, k_inv: FloatArray) -> FloatArray:
    ones = np.ones((len(segs), 1))
    q0 = np.hstack([segs[:, 0:2], ones]) @ k_inv.T
    q1 = np.hstack([segs[:, 2:4], ones]) @ k_inv.T
    n = np.cross(q0, q1)
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def _orient_up(u: FloatArray) -> FloatArray:
    """Unit vectors (..., 3) flipped so they point to image-up (y < 0)."""
    u = u / np.linalg.norm(u, axis=-1, keepdims=True)
    sign = np.where(u[..., 1:2] > 0, -1.0, 1.0)
    return np.asarray(u * sign, dtype=np.float64)


def _angular_residuals_deg(ups: FloatArray, segs: FloatArray, k: FloatArray) -> FloatArray:
    """(H, N) angle between each segment and the direction from its midpoint to each VP."""
    vps = ups @ k.T  # (H, 3) homogeneous VPs in pixels
    mid = (segs[:, 0:2] + segs[:, 2:4]) / 2.0
    d = segs[:, 2:4] - segs[:, 0:2]
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    to_vp = vps[:, None, 0:2] - mid[None, :, :] * vps[:, None, 2:3]  # (H, N, 2)
    norm = np.linalg.norm(to_vp, axis=2)
    cross = np.abs(to_vp[..., 0] * d[None, :, 1] - to_vp[..., 1] * d[None, :, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(norm > 0, cross / norm, 1.0)
    return np.asarray(np.degrees(np.arcsin(np.clip(s, 0.0, 1.0))), dtype=np.float64)


def _plausible(ups: FloatArray) -> npt.NDArray[np.bool_]:
    roll = np.degrees(np.arctan2(ups[:, 0], -ups[:, 1]))
    pitch = np.degrees(np.arcsin(np.clip(-ups[:, 2], -1.0, 1.0)))
    return np.asarray((np.abs(roll) <= MAX_ROLL_DEG) & (pitch >= MIN_PITCH_DEG) & (pitch <= MAX_PITCH_DEG), dtype=np.bool_)


def _weights(segs: FloatArray, long_side: float) -> FloatArray:
    lengths = np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1])
    return np.asarray(np.minimum(lengths, WEIGHT_CAP_FRACTION * long_side), dtype=np.float64)


def _least_squares_up(normals: FloatArray, weights: FloatArray) -> FloatArray:
    """Directions u minimising sum(w (n . u)^2); weights (N,) or (B, N) for B fits at once."""
    m = np.einsum("...n,ni,nj->...ij", weights, normals, normals)
    _, vecs = np.linalg.eigh(m)
    return _orient_up(vecs[..., :, 0])


@dataclass(frozen=True)
class _Hypotheses:
    ups: FloatArray  # (H, 3) plausible candidate directions
    supports: npt.NDArray[np.bool_]  # (H, N) segment n is an inlier of hypothesis h


def _hypotheses(segs: FloatArray, k: FloatArray, weights: FloatArray, normals: FloatArray) -> _Hypotheses | None:
    top = np.argsort(-weights, kind="stable")[:HYPOTHESIS_SEGMENTS]
    i, j = np.triu_indices(len(top), k=1)
    if len(i) == 0:
        return None
    cand = np.cross(normals[top[i]], normals[top[j]])
    cand = cand[np.linalg.norm(cand, axis=1) > 1e-9]  # two pieces of one line give no intersection
    if len(cand) == 0:
        return None
    cand = _orient_up(cand)
    cand = cand[_plausible(cand)]
    if len(cand) == 0:
        return None
    return _Hypotheses(cand, _angular_residuals_deg(cand, segs, k) <= INLIER_ANGLE_DEG)


def _select_and_refine(
    hyp: _Hypotheses, segs: FloatArray, k: FloatArray, weights: FloatArray, normals: FloatArray, iterations: int
) -> tuple[FloatArray, FloatArray]:
    """Best-supported hypothesis for each row of `weights` (B, N), then least squares on its
    inliers, re-selecting inliers `iterations` times. Returns ups (B, 3) and inlier masks (B, N)."""
    best = np.argmax(weights @ hyp.supports.T, axis=1)
    inliers = hyp.supports[best]
    ups = hyp.ups[best]
    for _ in range(iterations):
        ups = _least_squares_up(normals, weights * inliers)
        inliers = _angular_residuals_deg(ups, segs, k) <= INLIER_ANGLE_DEG
    ups = _least_squares_up(normals, weights * inliers)
    return ups, inliers


def _candidate_mask(segs: FloatArray) -> npt.NDArray[np.bool_]:
    dx = segs[:, 2] - segs[:, 0]
    dy = segs[:, 3] - segs[:, 1]
    tilt = np.degrees(np.arctan2(np.abs(dx), np.abs(dy)))
    return np.asarray(tilt <= MAX_LINE_TILT_DEG, dtype=np.bool_)


def _robust_sd(values: FloatArray) -> float:
    """Half the central 68 % range: the SD of a normal sample, but a handful of resamples
    that jump to a stray VP (a few percent) do not inflate it, while a second VP supported
    by a large share of the lines does."""
    lo, hi = np.percentile(values, [15.87, 84.13])
    return float(hi - lo) / 2.0


def _pitch_for_focal(vp: FloatArray, focal_px: float, principal_point: tuple[float, float]) -> float:
    u = np.linalg.inv(camera_matrix(focal_px, principal_point)) @ vp
    return angles_from_up(_orient_up(u))[1]


def _unknown(focal_px: float, focal_source: str, pp: tuple[float, float], size: tuple[int, int], reason: str = UNKNOWN_REASON) -> CameraTilt:
    return CameraTilt("unknown", None, None, None, None, focal_px, focal_source, pp, (), None, reason, size)


def estimate_camera_tilt(
    bgr: np.ndarray,
    *,
    focal_px: float | None = None,
    exclude: Sequence[Box] = (),
    principal_point: tuple[float, float] | None = None,
    focal_source: str | None = None,
    focal_rel_sd: float | None = None,
    floor_y: float | None = None,
    floor_top_y: float | None = None,
) -> CameraTilt:
    """Roll and pitch of the camera that took `bgr`, from the scene's vertical lines.

    `focal_px`: the focal length in pixels (from EXIF via `focal_px_from_exif`, or a
    calibration); None uses the 28 mm-equivalent default. `focal_source` labels it
    ("given" when a value is passed, "default" otherwise) and sets its relative SD unless
    `focal_rel_sd` is passed. `exclude`: boxes (x0, y0, x1, y1), e.g. the person's box grown
    a little; segments touching them are ignored. `floor_y`: the image row of the floor
    under the subject's feet; segments whose middle lies below it are ignored (floorboards,
    mats and platform edges are horizontal lines that a camera above the client sees almost
    upright, converging like verticals), while a wall edge or door frame that reaches down
    to the floor is kept. (On the four-camera set the middle rule kept the roll SD of the
    most rolled camera at 4.6 deg, against 10.8 for "wholly below".) `floor_top_y`: a row above
    which the floor behind the subject rarely reaches (their hips: the floor lies below the
    horizon, which is at the hips' row for a camera at hip height); segments lying wholly below
    it are ignored. Boards running from the subject's feet to the wall converge upward like
    the verticals of a camera looking up, and in a room with few true verticals they outvote
    them (three back photos in one room: roll ±15-20° without the rule, 0.0 ± 0.2-2.1° with it).
    Returns status "unknown" with the reason when the scene has too few reliable verticals.
    """
    if bgr.dtype != np.uint8 or bgr.ndim not in (2, 3) or bgr.shape[0] < 2 or bgr.shape[1] < 2:
        raise ValueError(f"expected an 8-bit grey or BGR image, got {bgr.dtype} array of shape {bgr.shape}")
    h, w = int(bgr.shape[0]), int(bgr.shape[1])
    if focal_px is None:
        focal = default_focal_px(w, h)
        source = focal_source or "default"
    else:
        if not (math.isfinite(focal_px) and focal_px > 0):
            raise ValueError(f"focal length must be a positive number of pixels, got {focal_px}")
        focal = float(focal_px)
        source = focal_source or "given"
    rel_sd = focal_rel_sd if focal_rel_sd is not None else FOCAL_REL_SD.get(source, FOCAL_REL_SD["default"])
    pp = (float(principal_point[0]), float(principal_point[1])) if principal_point is not None else ((w - 1) / 2.0, (h - 1) / 2.0)
    size = (w, h)
    k = camera_matrix(focal, pp)

    segments = detect_line_segments(bgr, exclude=exclude, floor_y=floor_y, floor_top_y=floor_top_y)
    if not segments:
        return _unknown(focal, source, pp, size)
    segs = np.array([[s.x0, s.y0, s.x1, s.y1] for s in segments], dtype=np.float64)
    segs = segs[_candidate_mask(segs)]
    if len(segs) < MIN_INLIERS:
        return _unknown(focal, source, pp, size)
    weights = _weights(segs, max(w, h))
    normals = _plane_normals(segs, np.linalg.inv(k))
    hyp = _hypotheses(segs, k, weights, normals)
    if hyp is None:
        return _unknown(focal, source, pp, size)
    ups, masks = _select_and_refine(hyp, segs, k, weights[None, :], normals, REFINE_ITERATIONS)
    up, inliers = ups[0], masks[0]
    if not _plausible(up[None, :])[0]:
        return _unknown(focal, source, pp, size)

    inl = segs[inliers]
    lengths = np.hypot(inl[:, 2] - inl[:, 0], inl[:, 3] - inl[:, 1])
    # Spread across the verticals: positions along the horizon direction (perpendicular to up).
    mid = (inl[:, 0:2] + inl[:, 2:4]) / 2.0
    roll_rad = math.atan2(up[0], -up[1])
    across = mid[:, 0] * math.cos(roll_rad) + mid[:, 1] * math.sin(roll_rad)
    spread = float(across.max() - across.min()) if len(inl) else 0.0
    if len(inl) < MIN_INLIERS or lengths.sum() < MIN_INLIER_LENGTH_FRACTION * max(w, h) or spread < MIN_SPREAD_FRACTION * w:
        return _unknown(focal, source, pp, size)

    roll, pitch = angles_from_up(up)
    # The bootstrap resamples all candidate segments and repeats the whole selection, so a
    # photo whose lines support two different VPs (e.g. a long floor edge pointing at the
    # camera's feet) gets a large SD instead of a confident pick.
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    counts = rng.multinomial(len(segs), np.full(len(segs), 1.0 / len(segs)), size=BOOTSTRAP_SAMPLES)
    boot, _ = _select_and_refine(hyp, segs, k, counts * weights[None, :], normals, REFINE_ITERATIONS)
    boot_roll = np.degrees(np.arctan2(boot[:, 0], -boot[:, 1]))
    boot_pitch = np.degrees(np.arcsin(np.clip(-boot[:, 2], -1.0, 1.0)))
    vp = k @ up
    pitch_focal_sd = abs(_pitch_for_focal(vp, focal * (1 + rel_sd), pp) - _pitch_for_focal(vp, focal * (1 - rel_sd), pp)) / 2.0
    roll_sd = max(MIN_SD_DEG, _robust_sd(boot_roll))
    pitch_sd = max(MIN_SD_DEG, math.hypot(_robust_sd(boot_pitch), pitch_focal_sd))
    lines = tuple(LineSegment(*(float(v) for v in s)) for s in inl)
    return CameraTilt(
        status="measured",
        roll_deg=roll,
        pitch_deg=pitch,
        roll_sd_deg=roll_sd,
        pitch_sd_deg=pitch_sd,
        focal_px=focal,
        focal_source=source,
        principal_point=pp,
        lines=lines,
        vanishing_point=(float(vp[0]), float(vp[1]), float(vp[2])),
        reason=f"vertical vanishing point from {len(inl)} scene lines",
        image_size=size,
    )


