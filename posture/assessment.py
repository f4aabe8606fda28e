"""The pipeline for one photo: image -> landmarks -> view -> measures -> findings.

`assess()` is the one entry point the CLI and the app call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from . import augment
from .errors import NoPersonError, UsageError
from .estimator import PoseEstimator, default_estimator
from .findings import Finding, Severity, Threshold, areas_for, evaluate, load_thresholds
from .imaging import BGRImage, ImageSource, LoadedImage, load_image
from .landmarks import Landmark, PoseLandmarks
from .measures import Measure, MeasureContext, compute_measures
from .views import Posture, View, ViewName, classify_view

SCHEMA_VERSION = 1

#: Photos are analysed at most this large (longest side); landmarks are mapped back to
#: the original pixels. BlazePose looks at 256x256 crops, so more pixels add cost, not detail.
WORKING_MAX_SIDE = 1280
#: Another person counts as "present" if their box is at least this tall relative to the subject's.
OTHER_PERSON_MIN_RELATIVE_HEIGHT = 0.3
#: Fewer copies than this with a person found: warn that precision is reduced.
MIN_COPIES_FOR_FULL_PRECISION = 8
#: Landmarks whose absence from the frame we mention (the body is cut off).
_BODY_POINTS = (
    Landmark.NOSE, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP,
    Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE,
)


@dataclass(frozen=True)
class ImageInfo:
    """The image the landmarks refer to: the decoded copy, which is smaller than the photo for
    photos over imaging.DECODE_MAX_SIDE; `original_*` is the photo's own (upright) size."""

    path: str | None
    width: int
    height: int
    original_width: int | None = None  # None: same as width
    original_height: int | None = None


@dataclass(frozen=True)
class Assessment:
    """Everything we concluded about one photo."""

    image: ImageInfo
    view: View
    landmarks: PoseLandmarks
    measures: dict[str, Measure]
    findings: list[Finding]
    warnings: list[str] = field(default_factory=list)
    near_side: str = "left"
    copies_used: int = 0
    labels_swapped: int = 0
    #: The aligned landmark sets of every augmented copy (original pixels), for audits.
    copies: tuple[PoseLandmarks, ...] = field(default=(), repr=False, compare=False)
    context: MeasureContext | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "schema_version": SCHEMA_VERSION,
            "image": {"path": self.image.path, "width": self.image.width, "height": self.image.height,
                      "original_width": self.image.original_width or self.image.width,
                      "original_height": self.image.original_height or self.image.height},
            "view": self.view.to_dict(),
            "landmarks": [
                {
                    "name": lm.key,
                    "x": round(float(self.landmarks.xy[int(lm), 0]), 2),
                    "y": round(float(self.landmarks.xy[int(lm), 1]), 2),
                    "visibility": round(float(self.landmarks.visibility[int(lm)]), 3),
                }
                for lm in Landmark
            ],
            "measures": {name: m.to_dict() for name, m in self.measures.items()},
            "findings": [f.to_dict() for f in self.findings],
            "warnings": list(self.warnings),
        }

    def measure(self, name: str) -> Measure:
        return self.measures[name]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Assessment:
        """Rebuild a stored assessment (what `to_dict` wrote) for history, compare and reports.

        World landmarks and per-copy readings are not stored, so a rebuilt assessment
        cannot be re-audited metamorphically; everything shown to users is there.
        """
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"unsupported assessment schema_version {data.get('schema_version')!r}")
        lms = data["landmarks"]
        xy = np.array([[p["x"], p["y"]] for p in lms], dtype=np.float64)
        vis = np.array([p["visibility"] for p in lms], dtype=np.float64)
        v = data["view"]
        view_ = View(ViewName(v["name"]), Posture(v["posture"]), float(v["confidence"]), str(v["source"]))
        measures = {
            name: Measure(name, m["unit"], m["value"], m["uncertainty"], float(m["confidence"]), m["reason"])
            for name, m in data["measures"].items()
        }
        findings = [
            Finding(f["id"], Severity[f["severity"].upper()], f["title"], f["detail"], tuple(f["measures"]),
                    areas_for(f["id"]))
            for f in data["findings"]
        ]
        img = data["image"]
        info = ImageInfo(img["path"], int(img["width"]), int(img["height"]),
                         int(img.get("original_width") or img["width"]), int(img.get("original_height") or img["height"]))
        return cls(info, view_, PoseLandmarks(xy, vis),
                   measures, findings, list(data["warnings"]))


def assess(
    source: ImageSource | LoadedImage,
    *,
    view: str = "auto",
    height_cm: float | None = None,
    estimator: PoseEstimator | None = None,
    thresholds: dict[str, Threshold] | None = None,
    augmentations: tuple[augment.Augmentation, ...] = augment.DEFAULT_AUGMENTATIONS,
    name: str | None = None,
    burst: Sequence[ImageSource | LoadedImage] = (),
) -> Assessment:
    """Assess one photo (a path, encoded bytes, an image array or a `LoadedImage`).

    `burst`: more frames of the same pose from the same camera (a webcam burst). The
    augmented copies are shared out over all frames and pooled, so frame-to-frame model
    noise averages out at about the cost of one photo; landmarks refer to `source`.
    """
    if height_cm is not None and not (50.0 <= float(height_cm) <= 250.0):
        raise UsageError(f"height must be between 50 and 250 cm, got {height_cm:g}")
    if view not in ("auto", *(v.value for v in ViewName)):
        raise UsageError(f"view must be one of auto, front, back, left, right; got {view!r}")
    image = source if isinstance(source, LoadedImage) else load_image(source, name=name)
    extra = [b if isinstance(b, LoadedImage) else load_image(b, name=f"burst frame {i + 2}") for i, b in enumerate(burst)]
    if any((b.width, b.height) != (image.width, image.height) for b in extra):
        raise UsageError("burst frames must all have the size of the first frame")
    estimator = estimator or default_estimator()
    thresholds = thresholds if thresholds is not None else load_thresholds()
    warnings: list[str] = []
    if image.exif_rotated:
        warnings.append("photo was rotated upright from its EXIF orientation; landmarks refer to the upright photo")

    frames = [image, *extra]
    copies: list[PoseLandmarks] = []
    for k, frame_image in enumerate(frames):
        share = augmentations[k :: len(frames)] or augmentations[:1]
        copies += _copies_for(estimator, frame_image, share, warnings if k == 0 else [])
    if not copies:
        raise NoPersonError(f"{image.path or 'image'}: the person could not be located reliably")
    if len(copies) < min(MIN_COPIES_FOR_FULL_PRECISION, len(augmentations)):
        warnings.append(
            f"person found in only {len(copies)} of {len(augmentations)} augmented copies: precision is reduced"
        )
    aligned, n_swapped = augment.align_labels(copies)
    aligned = augment.drop_gross_outliers(aligned)
    consensus = augment.consensus(aligned)
    chosen = classify_view(consensus, aligned, view, (image.width, image.height))
    aligned, consensus = _labels_match_view(chosen, aligned, consensus, warnings)
    if chosen.source == "auto" and chosen.confidence < 0.6:
        warnings.append(
            f"view detected as {chosen.name.value} with low confidence ({chosen.confidence:.2f}); "
            "set the view if this is wrong"
        )
    if not chosen.posture_known:
        warnings.append("legs not visible enough to tell sitting from standing: assumed standing")
    near = _near_side(consensus)
    _warn_cut_off(consensus, image, warnings)

    ctx = MeasureContext(chosen, near, None if height_cm is None else float(height_cm))
    measures = compute_measures(consensus, aligned, ctx, (image.width, image.height))
    findings = evaluate(measures, thresholds)
    return Assessment(
        image=ImageInfo(image.path, image.width, image.height, *image.original_size),
        view=chosen,
        landmarks=consensus,
        measures=measures,
        findings=findings,
        warnings=warnings,
        near_side=near,
        copies_used=len(copies),
        labels_swapped=n_swapped,
        copies=tuple(aligned),
        context=ctx,
    )


def _copies_for(
    estimator: PoseEstimator,
    image: LoadedImage,
    augmentations: tuple[augment.Augmentation, ...],
    warnings: list[str],
) -> list[PoseLandmarks]:
    """The subject's landmarks on every augmented copy of one image, in its pixels."""
    working, to_original = _working_copy(image.bgr)
    subject, masked = _find_subject(estimator, working, image.path or "image", warnings)
    frame = _refined_frame(estimator, masked, subject)
    return [
        augment.translate(c, 0.0, 0.0, to_original) for c in augment.run_augmented(estimator, masked, frame, augmentations)
    ]


def _working_copy(bgr: BGRImage) -> tuple[BGRImage, float]:
    h, w = bgr.shape[:2]
    longest = max(h, w)
    if longest <= WORKING_MAX_SIDE:
        return bgr, 1.0
    f = WORKING_MAX_SIDE / longest
    small = cv2.resize(bgr, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.uint8), longest / WORKING_MAX_SIDE


def _detect_any(estimator: PoseEstimator, image: BGRImage) -> PoseLandmarks | None:
    """One call; if it finds nobody or an implausible pose, retry on the mirror image and a
    half-size copy. Returns the first plausible result, else any result, else None."""
    found = estimator.detect(image)
    if found is not None and _plausible(found):
        return found
    fallback = found
    for aug in (augment.Augmentation(mirror=True), augment.Augmentation(scale=0.5)):
        aug_img, matrix = augment.apply_augmentation(image, aug)
        retry = estimator.detect(aug_img)
        if retry is not None:
            retry = augment.map_back(retry, matrix, aug.mirror)
            if _plausible(retry):
                return retry
            fallback = fallback or retry
    return fallback


def _refined_frame(estimator: PoseEstimator, image: BGRImage, subject: PoseLandmarks) -> augment.Frame:
    """Canonical frame from a first detection, refined once from two copies seen in it.

    A single detection's trunk axis and box jitter by a degree or two; the frame's
    stability is what makes the final copies of a rotated or mirrored photo line up with
    those of the original, so it is estimated from the mean of two better-framed copies.
    """
    frame = augment.canonical_frame(subject, image.shape)
    seen = augment.run_augmented(estimator, image, frame, augment.REFINE_AUGMENTATIONS)
    # A copy may fit something else (the lower body, upside down): keep those that agree.
    aligned = [augment.align_to(v, subject)[0] for v in seen]
    good = [v for v in aligned if _plausible(v) and augment.agrees_with(v, subject)]
    if not good:
        return frame
    mean = PoseLandmarks(np.mean([v.xy for v in good], axis=0), np.mean([v.visibility for v in good], axis=0), None)
    return augment.canonical_frame(mean, image.shape)


def _plausible(lms: PoseLandmarks) -> bool:
    """An upright-ish person: trunk within 60 deg of vertical (a bad detection is often upside down)."""
    return abs(augment.trunk_angle_deg(lms)) <= 60.0


def _box(lms: PoseLandmarks) -> tuple[float, float, float, float]:
    return lms.bbox(min_visibility=0.5)


Box = tuple[float, float, float, float]


def _grown(box: Box, grow: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    gx, gy = (x1 - x0) * grow, (y1 - y0) * grow
    h, w = shape[:2]
    return int(max(0, x0 - gx)), int(max(0, y0 - gy)), int(min(w, x1 + gx)), int(min(h, y1 + gy))


def _mask(image: BGRImage, box: Box, grow: float = 0.12, keep: Box | None = None) -> BGRImage:
    """Grey out `box` (grown a little), except where it overlaps `keep` (the subject)."""
    xa, ya, xb, yb = _grown(box, grow, image.shape)
    out = image.copy()
    saved = None
    if keep is not None:
        ka, kb, kc, kd = _grown(keep, 0.05, image.shape)
        saved = (ka, kb, kc, kd, image[kb:kd, ka:kc].copy())
    out[ya:yb, xa:xb] = augment.PAD_VALUE
    if saved is not None:
        ka, kb, kc, kd, pixels = saved
        out[kb:kd, ka:kc] = pixels
    return out


#: Most people looked for in one photo (each extra one costs a model call).
MAX_PEOPLE = 3


def _find_subject(
    estimator: PoseEstimator, working: BGRImage, label: str, warnings: list[str]
) -> tuple[PoseLandmarks, BGRImage]:
    """The most prominent person (largest visible box), and the image with the others greyed out.

    BlazePose reports one person per call, so each person found is greyed out and the
    photo searched again. Choosing by size, not by which one the model found first, keeps
    the choice the same when the photo is rotated, mirrored or rescaled.
    """
    first = _detect_any(estimator, working)
    if first is None:
        raise NoPersonError(f"{label}: no person found in the photo")
    people = [first]
    masked = _mask(working, _box(first))
    while len(people) < MAX_PEOPLE:
        other = estimator.detect(masked)
        if other is None or min(other.visibility[Landmark.LEFT_SHOULDER], other.visibility[Landmark.RIGHT_SHOULDER]) < 0.5:
            break
        box = _box(other)
        if any(_overlap(box, _box(p)) > 0.5 for p in people):
            break
        people.append(other)
        masked = _mask(masked, box)
    people = [p for p in people if _height(p) >= OTHER_PERSON_MIN_RELATIVE_HEIGHT * _height(first)]
    if len(people) == 1:
        return first, working
    warnings.append(
        "several people in the photo: assessing the most prominent one (largest in the frame); "
        "overlapping people make readings less repeatable"
    )
    subject = max(people, key=_area)
    image = working
    for p in people:
        if p is not subject:
            image = _mask(image, _box(p), keep=_box(subject))
    return subject, image


def _height(lms: PoseLandmarks) -> float:
    x0, y0, x1, y1 = _box(lms)
    return y1 - y0


def _area(lms: PoseLandmarks) -> float:
    x0, y0, x1, y1 = _box(lms)
    return (x1 - x0) * (y1 - y0)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over the smaller box's area."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / area if area > 0 else 0.0


def _labels_match_view(
    chosen: View, aligned: list[PoseLandmarks], consensus: PoseLandmarks, warnings: list[str]
) -> tuple[list[PoseLandmarks], PoseLandmarks]:
    """In a front view the subject's left is on the image's right; in a back view on its left.

    If the model's labels say otherwise (it can take a back for a front), relabel.
    """
    if not chosen.name.is_frontal:
        return aligned, consensus
    xy = consensus.xy
    left_minus_right = (xy[Landmark.LEFT_SHOULDER, 0] - xy[Landmark.RIGHT_SHOULDER, 0]) + (
        xy[Landmark.LEFT_HIP, 0] - xy[Landmark.RIGHT_HIP, 0]
    )
    if left_minus_right * chosen.subject_left_x >= 0:
        return aligned, consensus
    warnings.append(
        f"left/right labels were swapped to match the {chosen.name.value} view"
        + (" you chose" if chosen.source == "user" else "")
    )
    return [v.swapped_left_right() for v in aligned], consensus.swapped_left_right()


def _near_side(consensus: PoseLandmarks) -> str:
    """For side views: the side whose landmarks the model sees better."""
    parts = ("EAR", "SHOULDER", "HIP", "KNEE", "ANKLE")
    score = {
        side: float(np.mean([consensus.visibility[Landmark[f"{side}_{p}"]] for p in parts])) for side in ("LEFT", "RIGHT")
    }
    return "left" if score["LEFT"] >= score["RIGHT"] else "right"


def _warn_cut_off(consensus: PoseLandmarks, image: LoadedImage, warnings: list[str]) -> None:
    outside = [
        lm.key
        for lm in _BODY_POINTS
        if not (0 <= consensus.xy[int(lm), 0] <= image.width and 0 <= consensus.xy[int(lm), 1] <= image.height)
    ]
    if outside:
        warnings.append(
            "body cut off by the frame: " + ", ".join(outside) + " outside the photo; measures using them are not "
            "given, and the others are less repeatable than on a whole-body photo"
        )

