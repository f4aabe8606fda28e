"""Metamorphic checks: transform a photo by a known similarity and compare what we measure
with what geometry predicts. Used by the stability benchmark and the tests.

No ground truth is needed: rotating a photo by 5 deg must change a front-view shoulder
tilt by exactly 5 deg; mirroring must negate it; rescaling or recompressing must not
change it. The photos are read as drawn (`assess(level=False)`): this checks the body
pipeline's repeatability; levelling by the scene is checked on its own (tests/test_levelling.py).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from posture.core.body.augment import Augmentation, apply_augmentation, augmentation_matrix
from posture.core.body.estimator import PoseEstimator
from posture.core.body.landmarks import PoseLandmarks
from posture.core.body.views import View, ViewName
from posture.core.image.imaging import BGRImage
from posture.core.measuring.measures import MEASURES, MeasureContext, aggregate

from .assessment import Assessment, assess
from .errors import NoPersonError

FRONTAL_TILTS = ("head_tilt_deg", "shoulder_tilt_deg", "hip_tilt_deg", "trunk_lean_deg")


@dataclass(frozen=True)
class Transform:
    """A photo transform with a known effect on landmarks: similarity (rotate/scale/mirror) or JPEG."""

    name: str
    geometric: Augmentation = Augmentation()
    jpeg_quality: int | None = None

    def apply(self, bgr: BGRImage) -> BGRImage:
        out, _ = apply_augmentation(bgr, self.geometric)
        if self.jpeg_quality is not None:
            buf = io.BytesIO()
            Image.fromarray(out[:, :, ::-1]).save(buf, format="JPEG", quality=self.jpeg_quality)
            out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))[:, :, ::-1].copy()
        return out

    def map_landmarks(self, lms: PoseLandmarks, width: int, height: int) -> PoseLandmarks:
        matrix, _ = augmentation_matrix(self.geometric, width, height)
        xy = lms.xy @ matrix[:, :2].T + matrix[:, 2]
        out = PoseLandmarks(xy, lms.visibility, lms.world)
        return out.swapped_left_right() if self.geometric.mirror else out

    def map_view(self, view: View) -> View:
        if not self.geometric.mirror or view.name.is_frontal:
            return view
        other = ViewName.RIGHT if view.name is ViewName.LEFT else ViewName.LEFT
        return View(other, view.posture, view.confidence, view.source, posture_doubt=view.posture_doubt)


DEFAULT_TRANSFORMS: tuple[Transform, ...] = (
    Transform("rotate +3", Augmentation(angle_deg=3.0)),
    Transform("rotate -3", Augmentation(angle_deg=-3.0)),
    Transform("rotate +6", Augmentation(angle_deg=6.0)),
    Transform("rotate -6", Augmentation(angle_deg=-6.0)),
    Transform("mirror", Augmentation(mirror=True)),
    Transform("mirror + rotate 4", Augmentation(angle_deg=4.0, mirror=True)),
    Transform("scale 0.7", Augmentation(scale=0.7)),
    Transform("scale 1.4", Augmentation(scale=1.4)),
    Transform("jpeg q60", jpeg_quality=60),
    Transform("rotate -4 + jpeg q75", Augmentation(angle_deg=-4.0), jpeg_quality=75),
)


@dataclass(frozen=True)
class Reading:
    image: str
    transform: str
    measure: str
    predicted: float | None
    measured: float | None
    uncertainty: float | None = None

    @property
    def error(self) -> float | None:
        if self.predicted is None or self.measured is None:
            return None
        return abs(self.measured - self.predicted)


def predicted_value(base: Assessment, transform: Transform, measure: str) -> float | None:
    """What geometry predicts `measure` to be on the transformed photo, from the base copies."""
    if base.context is None or base.measures[measure].value is None:
        return None
    spec = MEASURES[measure]
    ctx = base.context
    new_ctx = MeasureContext(transform.map_view(ctx.view), ctx.near_side if not transform.geometric.mirror else
                             ("right" if ctx.near_side == "left" else "left"), ctx.height_cm)
    values = [spec.compute(transform.map_landmarks(c, base.image.width, base.image.height).xy, new_ctx) for c in base.copies]
    value, _, _ = aggregate(values, spec.unit)
    return value


def check_image(
    bgr: BGRImage,
    label: str,
    transforms: tuple[Transform, ...] = DEFAULT_TRANSFORMS,
    measures: tuple[str, ...] = FRONTAL_TILTS,
    estimator: PoseEstimator | None = None,
    augmentations: tuple[Augmentation, ...] | None = None,
) -> list[Reading]:
    """Readings (predicted vs measured) for every transform and measure on one photo."""
    extra: dict[str, Any] = {} if augmentations is None else {"augmentations": augmentations}
    try:
        base = assess(bgr, estimator=estimator, name=label, level=False, **extra)
    except NoPersonError:
        return []  # nothing to predict from
    readings: list[Reading] = []
    for t in transforms:
        try:
            out: Assessment | None = assess(t.apply(bgr), estimator=estimator, name=f"{label} [{t.name}]", level=False, **extra)
        except NoPersonError:  # the person was lost: every reading of this copy is "not given"
            out = None
        for m in measures:
            if base.measures[m].value is None:
                continue
            got = None if out is None else out.measures[m]
            readings.append(
                Reading(label, t.name, m, predicted_value(base, t, m), None if got is None else got.value,
                        None if got is None else got.uncertainty)
            )
    return readings


@dataclass(frozen=True)
class Summary:
    readings: int
    given: int
    within_half_degree: int
    p90_error: float
    max_error: float

    @property
    def given_fraction(self) -> float:
        return self.given / self.readings if self.readings else 0.0

    @property
    def within_fraction(self) -> float:
        return self.within_half_degree / self.given if self.given else 0.0


def summarise(readings: list[Reading]) -> Summary:
    errors = [r.error for r in readings if r.error is not None]
    arr = np.asarray(errors) if errors else np.zeros(0)
    return Summary(
        readings=len(readings),
        given=len(errors),
        within_half_degree=int((arr <= 0.5).sum()),
        p90_error=float(np.percentile(arr, 90)) if arr.size else float("nan"),
        max_error=float(arr.max()) if arr.size else float("nan"),
    )
