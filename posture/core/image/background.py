"""How the camera moved between two photos of one scene, from the background alone.

A front and a back photo are fused only if the camera stayed put (`core/pair.py`): the
background then lines up. ORB features outside the people's boxes are matched between the two
photos and a rotation + shift + scale is fitted with RANSAC; the rotation is what a nudged
camera adds to every line's tilt. The body is left out because it is what turned round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .imaging import BGRImage

Box = tuple[float, float, float, float]

#: Matches the fitted motion must explain for the alignment to count.
MIN_INLIERS = 25
#: Lowe's ratio test for a distinctive match.
RATIO = 0.75
FEATURES = 2000


@dataclass(frozen=True)
class BackgroundShift:
    """The second photo's content against the first's: turned counter-clockwise (as displayed)
    by `rotation_deg`, moved by `shift_px` (x, y) and scaled by `scale`, from `inliers` matches."""

    rotation_deg: float
    shift_px: tuple[float, float]
    scale: float
    inliers: int


def _mask(shape: tuple[int, ...], exclude: Sequence[Box], grow: float = 0.1) -> np.ndarray:
    mask = np.full(shape[:2], 255, dtype=np.uint8)
    for x0, y0, x1, y1 in exclude:
        gx, gy = grow * (x1 - x0), grow * (y1 - y0)
        cv2.rectangle(mask, (int(x0 - gx), int(y0 - gy)), (int(x1 + gx), int(y1 + gy)), 0, -1)
    return mask


def background_shift(first: BGRImage, second: BGRImage, exclude: Sequence[Box] = ()) -> BackgroundShift | None:
    """How the camera moved from `first` to `second` (same size), the `exclude` boxes (the
    people) left out; None when the backgrounds do not match well enough to say."""
    if first.shape[:2] != second.shape[:2]:
        raise ValueError(f"the photos differ in size: {first.shape[1]}x{first.shape[0]} vs {second.shape[1]}x{second.shape[0]}")
    orb = cv2.ORB.create(nfeatures=FEATURES)
    grey = [cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) for img in (first, second)]
    mask = _mask(first.shape, exclude)
    (k1, d1), (k2, d2) = (orb.detectAndCompute(g, mask) for g in grey)
    if d1 is None or d2 is None or len(k1) < MIN_INLIERS or len(k2) < MIN_INLIERS:
        return None
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(d1, d2, k=2)
    good = [m for m, *rest in pairs if rest and m.distance < RATIO * rest[0].distance]
    if len(good) < MIN_INLIERS:
        return None
    src = np.array([k1[m.queryIdx].pt for m in good], dtype=np.float32)
    dst = np.array([k2[m.trainIdx].pt for m in good], dtype=np.float32)
    fit, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0)
    if fit is None or inliers is None or int(inliers.sum()) < MIN_INLIERS:
        return None
    a, b = float(fit[0, 0]), float(fit[1, 0])
    # y points down: a counter-clockwise turn as displayed maps (x, y) to (x c + y s, -x s + y c)
    return BackgroundShift(math.degrees(math.atan2(-b, a)), (float(fit[0, 2]), float(fit[1, 2])),
                           math.hypot(a, b), int(inliers.sum()))
