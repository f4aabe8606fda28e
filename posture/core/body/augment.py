"""Test-time augmentation: run the model on several transformed copies of one photo.

A single BlazePose call is not repeatable to the degree (left/right swaps, jitter of the
head points). We run it on small rotations, rescalings and the mirror image of the
person's crop, map every result back into the original image's pixels (relabelling left
and right for mirrored copies), align left/right labels across copies, and let
`measures` aggregate per measure with outlier rejection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from posture.core.image.imaging import BGRImage

from .estimator import PoseEstimator
from .landmarks import LEFT_RIGHT_SWAP, MIN_VISIBILITY, Landmark, PoseLandmarks
from .pool import map_on

FloatArray = npt.NDArray[np.float64]

#: Fill for padding and for masking other people: mid-grey, which the detector ignores.
PAD_VALUE = (128, 128, 128)


@dataclass(frozen=True)
class Augmentation:
    """Mirror (before rotating), then rotate `angle_deg` CCW as displayed, then scale."""

    angle_deg: float = 0.0
    scale: float = 1.0
    mirror: bool = False


#: The default set: 12 copies, 6 poses of the canonical image and their mirror images.
#: Chosen with benchmarks/stability.py: rotations up to 6 deg and scales 0.85-1.2 keep
#: BlazePose in its comfort zone while decorrelating its errors; mirror copies cancel the
#: model's left/right bias and make the set (nearly) the same for a mirrored photo. Twelve
#: (the earlier fourteen without the pose (6 deg, 0.9)) hold the benchmark's precision;
#: ten do not (88 % within 0.5 deg, worst 1.5 deg on whole-body photos).
DEFAULT_AUGMENTATIONS: tuple[Augmentation, ...] = tuple(
    Augmentation(angle, scale, mirror)
    for mirror in (False, True)
    for angle, scale in ((0.0, 1.0), (-4.0, 1.0), (4.0, 1.0), (-2.0, 0.85), (2.0, 1.2), (-6.0, 1.1))
)


#: Copies used to refine the canonical frame before the final set is run. They are copies
#: like the others (read in the first frame), so an assessment counts them among its own.
REFINE_AUGMENTATIONS: tuple[Augmentation, ...] = (Augmentation(), Augmentation(mirror=True))

#: Gaussian blur (canonical pixels) applied to every copy: it damps the model's response to
#: pixel-level noise (JPEG blocks, resampling) that carries no information about posture.
BLUR_SIGMA = 2.0

#: Side of the canonical canvas the person is resampled into before augmentation.
CANONICAL_SIZE = 512
#: Margin around the person's landmark box, as a fraction of its longest side.
CANONICAL_MARGIN = 0.3
#: Largest rotation used to stand the trunk upright (beyond it the trunk axis is suspect).
MAX_CANONICAL_ROTATION = 30.0


@dataclass(frozen=True)
class Frame:
    """A canonical frame: the person centred, trunk upright, at a fixed size.

    `matrix` maps working-image pixels to canonical pixels. Running every augmented copy
    in this frame makes the result (nearly) invariant to how the photo was rotated,
    scaled or mirrored: a rotated photo is rotated back before the model sees it.
    """

    matrix: FloatArray
    size: int

    def compose(self, aug: Augmentation) -> tuple[FloatArray, tuple[int, int]]:
        """Working image -> augmented canonical image, and the output size."""
        a, out_size = augmentation_matrix(aug, self.size, self.size)
        full = _to3(a) @ _to3(self.matrix)
        return full[:2], out_size


def _to3(m: FloatArray) -> FloatArray:
    return np.vstack([m, [0.0, 0.0, 1.0]])


def up_angle_deg(base: FloatArray, top: FloatArray) -> float:
    """Angle of the base -> top segment from 'straight up' in the photo, CCW as displayed positive."""
    dx, dy = top[0] - base[0], top[1] - base[1]
    # Straight up is (0, -1); a top leaning to image-left is a CCW (positive) turn.
    return math.degrees(math.atan2(-dx, -dy))


def trunk_angle_deg(lms: PoseLandmarks) -> float:
    """Angle of mid-hip -> mid-shoulder from 'straight up', CCW as displayed positive."""
    return up_angle_deg(lms.middle("HIP"), lms.middle("SHOULDER"))


def _visible_box(lms: PoseLandmarks, image_shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    """Box of the landmarks the model sees inside the image (MediaPipe extrapolates cut-off
    limbs far outside the frame: framing them would shrink the visible body)."""
    h, w = image_shape[:2]
    xy = lms.xy
    inside = (xy[:, 0] >= 0) & (xy[:, 0] <= w) & (xy[:, 1] >= 0) & (xy[:, 1] <= h)
    mask = inside & (lms.visibility >= MIN_VISIBILITY)
    pts = xy[mask] if mask.sum() >= 4 else np.clip(xy, [0, 0], [w, h])
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def canonical_frame(lms: PoseLandmarks, image_shape: tuple[int, ...]) -> Frame:
    """The frame that centres the person's box, stands the trunk upright and fixes the size."""
    x0, y0, x1, y1 = _visible_box(lms, image_shape)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    side = max(x1 - x0, y1 - y0, 16.0) * (1 + 2 * CANONICAL_MARGIN)
    angle = trunk_angle_deg(lms)
    if abs(angle) > MAX_CANONICAL_ROTATION or not all(
        lms.visibility[i] >= MIN_VISIBILITY for i in (Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
    ):
        angle = 0.0
    scale = CANONICAL_SIZE / side
    # Rotating by -angle (as displayed) stands the trunk upright.
    theta = math.radians(-angle)
    c, s = math.cos(theta) * scale, math.sin(theta) * scale
    a = np.array([[c, s], [-s, c]])
    centre_out = np.array([(CANONICAL_SIZE - 1) / 2.0] * 2)
    t = centre_out - a @ np.array([cx, cy])
    return Frame(np.hstack([a, t[:, None]]), CANONICAL_SIZE)


def augmentation_matrix(aug: Augmentation, width: int, height: int) -> tuple[FloatArray, tuple[int, int]]:
    """2x3 affine map from source pixels to augmented pixels, and the output size.

    The output canvas grows so that nothing of the source is cut by the rotation.
    """
    theta = math.radians(aug.angle_deg)
    c, s = math.cos(theta) * aug.scale, math.sin(theta) * aug.scale
    out_w = int(math.ceil(abs(c) * width + abs(s) * height))
    out_h = int(math.ceil(abs(s) * width + abs(c) * height))
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    ox, oy = (out_w - 1) / 2.0, (out_h - 1) / 2.0
    flip = -1.0 if aug.mirror else 1.0
    # p' = R S F (p - centre) + out_centre, with y down: CCW-as-displayed rotation.
    a = np.array([[c * flip, s], [-s * flip, c]], dtype=np.float64)
    t = np.array([ox, oy]) - a @ np.array([cx, cy])
    return np.hstack([a, t[:, None]]), (out_w, out_h)


def apply_augmentation(image: BGRImage, aug: Augmentation) -> tuple[BGRImage, FloatArray]:
    """The augmented image and the 2x3 matrix that produced it."""
    h, w = image.shape[:2]
    matrix, size = augmentation_matrix(aug, w, h)
    if aug.angle_deg == 0.0 and aug.scale == 1.0:
        flipped = image[:, ::-1] if aug.mirror else image
        return np.ascontiguousarray(flipped), matrix
    interp = cv2.INTER_AREA if aug.scale < 1.0 else cv2.INTER_LINEAR
    out = cv2.warpAffine(image, matrix, size, flags=interp, borderMode=cv2.BORDER_CONSTANT, borderValue=PAD_VALUE)
    return np.asarray(out, dtype=np.uint8), matrix


def map_back(landmarks: PoseLandmarks, matrix: FloatArray, mirrored: bool) -> PoseLandmarks:
    """Landmarks found on an augmented image, expressed in the source image's pixels.

    A mirrored image shows the subject's left where their right was, so BlazePose's
    labels are swapped back, and world x is negated.
    """
    a = matrix[:, :2]
    t = matrix[:, 2]
    inv = np.linalg.inv(a)
    xy: FloatArray = np.asarray((landmarks.xy - t) @ inv.T, dtype=np.float64)
    world = None if landmarks.world is None else _world_back(landmarks.world, a, mirrored)
    if not mirrored:
        return PoseLandmarks(xy, landmarks.visibility, world)
    return PoseLandmarks(xy, landmarks.visibility, world).swapped_left_right()


def _world_back(world: FloatArray, a: FloatArray, mirrored: bool) -> FloatArray:
    """World landmarks of a copy turned back into the source photo's camera axes.

    The copy was rotated in the image plane (a = R S F), so its world x/y are rotated too;
    copies must agree before they are combined. World x and y point like image x and y."""
    linear = a.copy()
    if mirrored:
        linear[:, 0] *= -1.0  # undo F to isolate R S
    rot = linear / math.sqrt(abs(float(np.linalg.det(linear))))
    out = np.array(world, dtype=np.float64)
    out[:, :2] = out[:, :2] @ rot  # rows: (R^T w)^T
    if mirrored:
        out[:, 0] *= -1.0
    return out


def translate(
    landmarks: PoseLandmarks, dx: float, dy: float, scale: float = 1.0, axis_scale: tuple[float, float] = (1.0, 1.0)
) -> PoseLandmarks:
    """(xy + (dx, dy)) * scale * axis_scale: from one image's pixels to a resized one's."""
    xy = (landmarks.xy + np.array([dx, dy])) * scale * np.array(axis_scale)
    return PoseLandmarks(xy, landmarks.visibility, landmarks.world)


def run_augmented(
    estimator: PoseEstimator | Sequence[PoseEstimator],
    image: BGRImage,
    frame: Frame,
    augmentations: tuple[Augmentation, ...] = DEFAULT_AUGMENTATIONS,
) -> list[PoseLandmarks]:
    """Landmarks from every augmented copy, in `image` pixels; copies with nobody are dropped.

    Several models: the copies are spread over them, one thread each, and come back in the
    order of `augmentations` with the same landmarks one model would give (a static-image
    model keeps nothing from one image to the next)."""
    return [r for r in read_copies(estimator, image, frame, augmentations) if r is not None]


def read_copies(
    estimator: PoseEstimator | Sequence[PoseEstimator],
    image: BGRImage,
    frame: Frame,
    augmentations: tuple[Augmentation, ...],
) -> list[PoseLandmarks | None]:
    """`run_augmented`, one entry per augmentation: None where the copy showed nobody."""
    models = list(estimator) if isinstance(estimator, Sequence) else [estimator]
    # Shrinking by warpAffine aliases; shrink once with area averaging, then warp.
    shrink = math.sqrt(abs(np.linalg.det(frame.matrix[:, :2])))
    if shrink < 0.75:
        h, w = image.shape[:2]
        small = np.asarray(
            cv2.resize(image, (max(1, round(w * shrink)), max(1, round(h * shrink))), interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
        sx, sy = small.shape[1] / w, small.shape[0] / h
        undo = np.array([[1 / sx, 0, 0], [0, 1 / sy, 0], [0, 0, 1]])
        frame = Frame((_to3(frame.matrix) @ undo)[:2], frame.size)
        found_small = read_copies(models, small, frame, augmentations)
        return [None if r is None else translate(r, 0.0, 0.0, 1.0, (1 / sx, 1 / sy)) for r in found_small]

    def one(model: PoseEstimator, aug: Augmentation) -> PoseLandmarks | None:
        matrix, size = frame.compose(aug)
        copy = cv2.warpAffine(
            image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=PAD_VALUE
        )
        if BLUR_SIGMA > 0:
            copy = cv2.GaussianBlur(copy, (0, 0), BLUR_SIGMA)
        found = model.detect(np.asarray(copy, dtype=np.uint8))
        return None if found is None else map_back(found, matrix, aug.mirror)

    return map_on(models, one, augmentations)


#: Paired body landmarks whose labels the model can swap (the face points sit too close
#: together to tell a swap from jitter).
_PAIRED_IDX = np.array(
    [
        idx
        for lm in Landmark
        if lm.name.startswith("LEFT_") and not lm.name.startswith("LEFT_EYE")
        for idx in (int(lm), LEFT_RIGHT_SWAP[int(lm)])
    ]
)


def _label_distance(a: PoseLandmarks, b: PoseLandmarks) -> float:
    return float(np.median(np.linalg.norm(a.xy[_PAIRED_IDX] - b.xy[_PAIRED_IDX], axis=1)))


def align_to(copy: PoseLandmarks, reference: PoseLandmarks) -> tuple[PoseLandmarks, bool]:
    """`copy` with the left/right labelling closest to `reference`, and whether it was swapped."""
    swapped = copy.swapped_left_right()
    if _label_distance(swapped, reference) < _label_distance(copy, reference):
        return swapped, True
    return copy, False


def align_labels(views: list[PoseLandmarks]) -> tuple[list[PoseLandmarks], int]:
    """Make left/right labels agree across views; returns the aligned views and how many were swapped.

    The reference is the medoid view (the one closest to all others, allowing for swaps),
    so a minority of copies where the model swapped sides is relabelled to the majority.
    """
    n = len(views)
    if n < 2:
        return list(views), 0
    swapped = [v.swapped_left_right() for v in views]
    cost = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            d = min(_label_distance(views[i], views[j]), _label_distance(views[i], swapped[j]))
            cost[i, j] = cost[j, i] = d
    ref = views[int(np.argmin(cost.sum(axis=1)))]
    pairs = [align_to(v, ref) for v in views]
    aligned = [p[0] for p in pairs]
    n_swapped = sum(p[1] for p in pairs)
    # Majority rule: if most views had to be swapped, the medoid itself was the odd one out.
    if n_swapped > n / 2:
        aligned = [v.swapped_left_right() for v in aligned]
        n_swapped = n - n_swapped
    return aligned, n_swapped


#: A copy whose body landmarks sit further than this fraction of the body's size from the
#: reference is a gross failure (another person, an upside-down fit), not noise.
GROSS_OUTLIER_FRACTION = 0.12


def body_size(lms: PoseLandmarks) -> float:
    x0, y0, x1, y1 = lms.bbox()
    return max(x1 - x0, y1 - y0, 1.0)


def agrees_with(copy: PoseLandmarks, reference: PoseLandmarks) -> bool:
    """Same person, same fit: median body-landmark distance under 12 % of the body's size."""
    return _label_distance(copy, reference) <= GROSS_OUTLIER_FRACTION * body_size(reference)


def drop_gross_outliers(aligned: list[PoseLandmarks]) -> list[PoseLandmarks]:
    """Aligned copies that agree with their per-coordinate median; all of them if too few do."""
    if len(aligned) < 3:
        return aligned
    reference = consensus(aligned)
    kept = [v for v in aligned if agrees_with(v, reference)]
    return kept if len(kept) >= len(aligned) / 2 else aligned


def consensus(views: list[PoseLandmarks]) -> PoseLandmarks:
    """Per-coordinate median of aligned views (robust to the odd outlier copy)."""
    xy = np.median(np.stack([v.xy for v in views]), axis=0)
    vis = np.median(np.stack([v.visibility for v in views]), axis=0)
    worlds = [v.world for v in views if v.world is not None]
    world = np.median(np.stack(worlds), axis=0) if worlds else None
    return PoseLandmarks(xy, vis, world)
