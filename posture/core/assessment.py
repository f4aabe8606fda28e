"""The pipeline for one photo: image -> landmarks -> view -> measures -> findings.

`assess()` is the one entry point the CLI and the app call.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np

from posture.core.body import augment as augment
from posture.core.body.estimator import PoseEstimator
from posture.core.body.landmarks import MIN_VISIBILITY, Landmark, PoseLandmarks
from posture.core.body.orientation import ROTATE_CODES, TURN_WORDS, flipped, quarter_turns, turned
from posture.core.body.pool import EstimatorPool, default_pool
from posture.core.body.views import (
    VIEW_CHOICES,
    Posture,
    View,
    ViewName,
    classify_view,
    front_back_doubt,
    side_choice_conflict,
    yaw_deg,
)
from posture.core.image.device import DeviceLevel
from posture.core.image.imaging import BGRImage, CameraExif, ImageSource, LoadedImage, load_image, read_camera_exif
from posture.core.measuring.findings import (
    Finding,
    Severity,
    Threshold,
    areas_for,
    evaluate,
    evaluate_possible,
    load_thresholds,
)
from posture.core.measuring.formatting import NOT_MEASURED
from posture.core.measuring.gates import withhold, withhold_failed_checks, withhold_if_unlevelled
from posture.core.measuring.gravity import Levelling, camera_for_photo
from posture.core.measuring.measures import HEIGHT_RANGE_CM, MEASURES, RENAMED_MEASURES, Measure, MeasureContext, compute_measures
from posture.core.measuring.setup import BODY_POINTS, Setup, assess_setup
from posture.core.measuring.uncertainty import SetupSpread, combine

from .errors import NoPersonError, UsageError

#: 2 added the set-up block, the view's yaw and uncertainty parts; 1 is still read.
SCHEMA_VERSION = 2
READABLE_SCHEMA_VERSIONS = (1, 2)

#: Photos are analysed at most this large (longest side); landmarks are mapped back to
#: the original pixels. BlazePose looks at 256x256 crops, so more pixels add cost, not detail.
WORKING_MAX_SIDE = 1280
#: Another person counts as "present" if their box is at least this tall relative to the subject's.
OTHER_PERSON_MIN_RELATIVE_HEIGHT = 0.3
#: Fewer copies than this with a person found: warn that precision is reduced.
MIN_COPIES_FOR_FULL_PRECISION = 8


@dataclass(frozen=True)
class ImageInfo:
    """The image the landmarks refer to: the decoded copy, which is smaller than the photo for
    photos over imaging.DECODE_MAX_SIDE; `original_*` is the photo's own (upright) size."""

    path: str | None
    width: int
    height: int
    original_width: int | None = None  # None: same as width
    original_height: int | None = None
    #: The photo was flipped back from a mirrored selfie (first) and/or turned upright by
    #: this many quarter turns clockwise (second); width, height and landmarks refer to the
    #: result, which `orient` reproduces from the photo as loaded.
    mirrored: bool = False
    quarter_turns: int = 0

    def orient(self, bgr: BGRImage) -> BGRImage:
        """The loaded photo as it was measured (flipped and turned like the assessment)."""
        out = np.ascontiguousarray(bgr[:, ::-1] if self.mirrored else bgr)
        if self.quarter_turns:
            out = np.asarray(cv2.rotate(out, ROTATE_CODES[self.quarter_turns]), dtype=np.uint8)
        return out


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
    #: Set-up checks and the camera estimate (None for records made before they existed).
    setup: Setup | None = None
    #: Past a cut-off with 50-80 % chance only: shown apart, never a finding (`findings.py`).
    possible_findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "schema_version": SCHEMA_VERSION,
            "image": {"path": self.image.path, "width": self.image.width, "height": self.image.height,
                      "original_width": self.image.original_width or self.image.width,
                      "original_height": self.image.original_height or self.image.height,
                      **({"mirrored": True} if self.image.mirrored else {}),
                      **({"quarter_turns": self.image.quarter_turns} if self.image.quarter_turns else {})},
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
            "possible_findings": [f.to_dict() for f in self.possible_findings],
            "warnings": list(self.warnings),
            "setup": None if self.setup is None else self.setup.to_dict(),
        }

    def measure(self, name: str) -> Measure:
        return self.measures[name]

    @property
    def read_any(self) -> bool:
        """At least one measure was read from this photo (every one withheld reads nothing)."""
        return any(m.value is not None for m in self.measures.values())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Assessment:
        """Rebuild a stored assessment (what `to_dict` wrote) for history, compare and reports.

        World landmarks and per-copy readings are not stored, so a rebuilt assessment
        cannot be re-audited metamorphically; everything shown to users is there.
        """
        if data.get("schema_version") not in READABLE_SCHEMA_VERSIONS:
            raise ValueError(f"unsupported assessment schema_version {data.get('schema_version')!r}")
        lms = data["landmarks"]
        xy = np.array([[p["x"], p["y"]] for p in lms], dtype=np.float64)
        vis = np.array([p["visibility"] for p in lms], dtype=np.float64)
        v = data["view"]
        view_ = View(ViewName(v["name"]), Posture(v["posture"]), float(v["confidence"]), str(v["source"]),
                     yaw_deg=v.get("yaw_deg"), contradiction=v.get("contradiction"))
        measures = {
            name: Measure(name, m["unit"], m["value"], m["uncertainty"], float(m["confidence"]), m["reason"],
                          parts=tuple((str(k), float(v)) for k, v in (m.get("uncertainty_parts") or {}).items()))
            for name, m in ((RENAMED_MEASURES.get(k, k), x) for k, x in data["measures"].items())  # old names load
        }
        def finding(f: dict[str, Any]) -> Finding:
            return Finding(f["id"], Severity[f["severity"].upper()], f["title"], f["detail"], tuple(f["measures"]),
                           areas_for(f["id"]), likely=f.get("likelihood", "likely") == "likely")

        findings = [finding(f) for f in data["findings"]]
        possible = [finding(f) for f in data.get("possible_findings", [])]
        img = data["image"]
        setup = Setup.from_dict(data["setup"]) if data.get("setup") else None
        info = ImageInfo(img["path"], int(img["width"]), int(img["height"]),
                         int(img.get("original_width") or img["width"]), int(img.get("original_height") or img["height"]),
                         bool(img.get("mirrored", False)), int(img.get("quarter_turns", 0)))
        return cls(info, view_, PoseLandmarks(xy, vis),
                   measures, findings, list(data["warnings"]), setup=setup, possible_findings=possible)


def assess(
    source: ImageSource | LoadedImage,
    *,
    view: str = "auto",
    height_cm: float | None = None,
    estimator: PoseEstimator | EstimatorPool | None = None,
    thresholds: dict[str, Threshold] | None = None,
    augmentations: tuple[augment.Augmentation, ...] = augment.DEFAULT_AUGMENTATIONS,
    name: str | None = None,
    burst: Sequence[ImageSource | LoadedImage] = (),
    camera_level: bool = False,
    camera_roll_deg: float | None = None,
    mirrored: bool = False,
    level: bool = True,
    camera_exif: CameraExif | None = None,
    device_level: DeviceLevel | None = None,
) -> Assessment:
    """Assess one photo (a path, encoded bytes, an image array or a `LoadedImage`).

    `burst`: more frames of the same pose from the same camera (a webcam burst). The
    augmented copies are shared out over all frames and pooled, so frame-to-frame model
    noise averages out at about the cost of one photo; landmarks refer to `source`.

    The camera: by default its roll and pitch are measured from the scene's vertical lines
    (`scene.py`) and the landmarks levelled before measuring, so angles are taken against
    gravity, not the photo's edges. `camera_level`: the user states the camera was levelled
    (tripod, spirit level); `camera_roll_deg`: the user states its roll. `level=False` reads
    the photo as drawn, without camera or perspective correction (for comparison only). `mirrored`: the photo is a mirrored selfie;
    it is flipped back so left and right are the subject's. `camera_exif`: the photo's camera
    EXIF when `source` is already a `LoadedImage` (else it is read from the file or bytes).
    `device_level`: the camera's roll and pitch the tablet's or phone's motion sensor read at
    the shot (`device.py`): levelled on like a level measured from the scene, and checked
    against the scene's lines.

    `estimator`: one model (used alone, on this thread), or a pool whose free models share
    the augmented copies (same readings, sooner); by default the process-wide pool
    (`pool.default_pool`).
    """
    low, high = HEIGHT_RANGE_CM
    if height_cm is not None and not (low <= float(height_cm) <= high):
        raise UsageError(f"height must be between {low:g} and {high:g} cm, got {height_cm:g}")
    if view not in VIEW_CHOICES:
        raise UsageError(f"view must be one of auto, front, back, left, right; got {view!r}")
    if camera_roll_deg is not None and not (math.isfinite(camera_roll_deg) and abs(camera_roll_deg) <= 45.0):
        raise UsageError(f"camera roll must be between -45 and 45 degrees, got {camera_roll_deg:g}")
    image = source if isinstance(source, LoadedImage) else load_image(source, name=name)
    exif = camera_exif or (read_camera_exif(source) if not isinstance(source, LoadedImage) else CameraExif())
    extra = [b if isinstance(b, LoadedImage) else load_image(b, name=f"burst frame {i + 2}") for i, b in enumerate(burst)]
    if any((b.width, b.height) != (image.width, image.height) for b in extra):
        raise UsageError("burst frames must all have the size of the first frame")
    thresholds = thresholds if thresholds is not None else load_thresholds()
    warnings: list[str] = []
    if image.exif_rotated:
        warnings.append("photo was rotated upright from its EXIF orientation; landmarks refer to the upright photo")
    if mirrored:
        image = flipped(image)
        extra = [flipped(b) for b in extra]
        warnings.append("photo marked as a mirrored selfie: flipped back so that left and right are the subject's; "
                        "landmarks refer to the flipped photo")
    elif exif.front_camera:
        warnings.append(f"taken with a front (selfie) camera ({exif.lens_model}): if the camera app mirrored it, "
                        "left and right are swapped; mark it as a mirrored selfie if so")

    n_frames = 1 + len(extra)
    first_share = augmentations[0::n_frames] or augmentations[:1]
    with _models(estimator) as models:
        copies, turns, framing = _copies_for(models, image, first_share, warnings, reorient=True)
        if turns:
            # The photo lies on its side or upside down (messengers strip EXIF): turn it upright.
            image, extra = turned(image, turns), [turned(b, turns) for b in extra]
            warnings.append(f"photo was {TURN_WORDS[turns]}: turned upright before measuring; landmarks refer to the turned photo")
            copies, _, framing = _copies_for(models, image, first_share, warnings)
        # The burst's other frames show the same pose from the same camera a fraction of a
        # second later: they are read in the first frame's framing (no detection, search or
        # refine of their own), so a burst costs about what one photo does.
        assert framing is not None or not copies
        for k, frame_image in enumerate(extra, start=1):
            share = augmentations[k::n_frames] or augmentations[:1]
            if framing is not None:
                copies += framing.copies(models, frame_image, share)
    if not copies:
        raise NoPersonError(f"{image.path or 'image'}: the person could not be located reliably")
    if len(copies) < min(MIN_COPIES_FOR_FULL_PRECISION, len(augmentations)):
        warnings.append(
            f"person found in only {len(copies)} of {len(augmentations)} augmented copies: precision is reduced"
        )
    aligned, n_swapped = augment.align_labels(copies)
    aligned = augment.drop_gross_outliers(aligned)
    consensus = augment.consensus(aligned)

    device = _device_for(device_level, mirrored, turns, warnings)
    photo_camera = camera_for_photo(image.bgr, consensus, exif, stated_level=camera_level, stated_roll=camera_roll_deg,
                                    device=device)
    camera = photo_camera.camera
    levelling = Levelling.for_camera(camera, enabled=level)
    levelled_copies = [levelling.apply(c) for c in aligned]
    levelled = levelling.apply(consensus)

    chosen = classify_view(levelled, levelled_copies, view, (image.width, image.height))
    aligned, relabelled = _labels_match_view(chosen, aligned, consensus, warnings)
    if relabelled is not consensus:  # levelling moves each point alone, so swapping commutes with it
        consensus, levelled = relabelled, levelled.swapped_left_right()
        levelled_copies = [c.swapped_left_right() for c in levelled_copies]
        # The body's yaw follows its labels: read from the unswapped ones it is 180° off, which
        # inverts the perspective-corrected tilts and tells the client to turn round.
        chosen = replace(chosen, yaw_deg=yaw_deg(consensus))
    view_doubt = front_back_doubt(chosen, levelled) or side_choice_conflict(chosen, levelled)
    if view_doubt:
        warnings.append(view_doubt)
    if chosen.source == "auto" and chosen.name is not ViewName.TURNED and chosen.confidence < 0.6:
        warnings.append(
            f"view detected as {chosen.name.value} with low confidence ({chosen.confidence:.2f}); "
            "set the view if this is wrong"
        )
    if chosen.contradiction:
        warnings.append(f"view contradicts the photo: {chosen.contradiction}; no findings are raised from it")
    if not chosen.posture_known:
        warnings.append(chosen.posture_doubt or "sitting could not be told from standing: assumed standing")
    _warn_cut_off(consensus, image, warnings)
    setup = assess_setup(image.bgr, consensus, levelled, chosen, camera, mirrored=mirrored, scene=photo_camera.scene)

    ctx = levelling.context(chosen, None if height_cm is None else float(height_cm), perspective=level)
    measures = compute_measures(levelled, levelled_copies, ctx, (image.width, image.height), photo_landmarks=consensus)
    spread = SetupSpread.for_camera(camera, levelling.active)
    measures = {
        n: combine(MEASURES[n], m, levelled.xy, ctx, spread, camera.focal_px, camera.principal_point)
        for n, m in measures.items()
    }
    if view_doubt:  # first: its reason says what to do, the set-up checks' follow from it
        measures = withhold(measures, tuple(measures), f"{NOT_MEASURED}{view_doubt}")
    measures = withhold_failed_checks(measures, setup)
    if level and not levelling.active:
        measures = withhold_if_unlevelled(measures, levelled)
    findings = [] if chosen.contradiction else evaluate(measures, thresholds)
    possible = [] if chosen.contradiction else evaluate_possible(measures, thresholds)
    return Assessment(
        image=ImageInfo(image.path, image.width, image.height, *image.original_size, mirrored=mirrored, quarter_turns=turns),
        view=chosen,
        landmarks=consensus,
        measures=measures,
        findings=findings,
        warnings=warnings,
        near_side=ctx.near_side,
        copies_used=len(copies),
        labels_swapped=n_swapped,
        copies=tuple(aligned),
        context=ctx,
        setup=setup,
        possible_findings=possible,
    )


def _device_for(level: DeviceLevel | None, mirrored: bool, turns: int, warnings: list[str]) -> DeviceLevel | None:
    """The device's level in the photo as measured: a mirrored photo's roll turns the other
    way; a photo turned upright was not held as the sensor says (its level is not used)."""
    if level is None:
        return None
    if turns:
        warnings.append("the device's level was not used: the photo had to be turned upright, so it was not held as "
                        "the sensor says")
        return None
    return replace(level, roll_deg=-level.roll_deg) if mirrored else level


@contextmanager
def _models(estimator: PoseEstimator | EstimatorPool | None) -> Iterator[list[PoseEstimator]]:
    """The models one assessment uses: the caller's one, or the free ones of a pool (at
    least one, waiting for it while all are lent out)."""
    source = default_pool() if estimator is None else estimator
    if isinstance(source, EstimatorPool):
        with source.checkout_many() as models:
            yield models
    else:
        yield [source]


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class _Framing:
    """Where the subject is in one photo: the refined canonical frame and the other people
    greyed out. Frames of a burst (same camera, same pose) are read through it as they are."""

    frame: augment.Frame
    subject_box: Box
    others: tuple[Box, ...]

    def copies(
        self, models: list[PoseEstimator], image: LoadedImage, augmentations: tuple[augment.Augmentation, ...]
    ) -> list[PoseLandmarks]:
        """The subject's landmarks on `augmentations` of `image`, all in this frame, in its pixels."""
        working, to_original = _working_copy(image.bgr)
        masked = _masked(working, self.others, self.subject_box)
        found = augment.run_augmented(models, masked, self.frame, augmentations)
        return [augment.translate(c, 0.0, 0.0, to_original) for c in found]


def _copies_for(
    models: list[PoseEstimator],
    image: LoadedImage,
    augmentations: tuple[augment.Augmentation, ...],
    warnings: list[str],
    *,
    reorient: bool = False,
) -> tuple[list[PoseLandmarks], int, _Framing | None]:
    """The subject's landmarks on every augmented copy of one image, in its pixels, and the
    framing they were read in; or, with `reorient`, no copies and the quarter turns that
    would stand a sideways photo upright."""
    working, to_original = _working_copy(image.bgr)
    # Finding the subject is a chain of single calls (each depends on the last): one model.
    subject, others = _find_subject(models[0], working, image.path or "image", warnings)
    turns = quarter_turns(subject) if reorient else 0
    if turns:
        return [], turns, None
    masked = _masked(working, others, _box(subject))
    frame, first_frame_copies = _refined_frame(models, masked, subject)
    # The refine copies are two of the copies asked for, read in the first frame: only the
    # others are run in the refined frame (two model calls a photo fewer, same precision).
    reused = [c for a, c in first_frame_copies.items() if a in augmentations]
    rest = tuple(a for a in augmentations if a not in augment.REFINE_AUGMENTATIONS)
    found = reused + augment.run_augmented(models, masked, frame, rest)
    return [augment.translate(c, 0.0, 0.0, to_original) for c in found], 0, _Framing(frame, _box(subject), others)


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


def _refined_frame(
    models: list[PoseEstimator], image: BGRImage, subject: PoseLandmarks
) -> tuple[augment.Frame, dict[augment.Augmentation, PoseLandmarks]]:
    """Canonical frame from a first detection, refined once from two copies seen in it; and
    those copies (`REFINE_AUGMENTATIONS` of the first frame, where a person was found).

    A single detection's trunk axis and box jitter by a degree or two; the frame's
    stability is what makes the final copies of a rotated or mirrored photo line up with
    those of the original, so it is estimated from the mean of two better-framed copies.
    """
    frame = augment.canonical_frame(subject, image.shape)
    read = augment.read_copies(models, image, frame, augment.REFINE_AUGMENTATIONS)
    seen = {a: v for a, v in zip(augment.REFINE_AUGMENTATIONS, read, strict=True) if v is not None}
    # A copy may fit something else (the lower body, upside down): keep those that agree.
    aligned = [augment.align_to(v, subject)[0] for v in seen.values()]
    good = [v for v in aligned if _plausible(v) and augment.agrees_with(v, subject)]
    if not good:
        return frame, seen
    mean = PoseLandmarks(np.mean([v.xy for v in good], axis=0), np.mean([v.visibility for v in good], axis=0), None)
    return augment.canonical_frame(mean, image.shape), seen


def _plausible(lms: PoseLandmarks) -> bool:
    """An upright-ish person: trunk within 60 deg of vertical (a bad detection is often upside down)."""
    return abs(augment.trunk_angle_deg(lms)) <= 60.0


def _box(lms: PoseLandmarks) -> tuple[float, float, float, float]:
    return lms.bbox(min_visibility=MIN_VISIBILITY)


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


def _masked(image: BGRImage, others: tuple[Box, ...], subject: Box) -> BGRImage:
    """`image` with the other people greyed out, the subject kept where they overlap."""
    for box in others:
        image = _mask(image, box, keep=subject)
    return image


def _find_subject(
    estimator: PoseEstimator, working: BGRImage, label: str, warnings: list[str]
) -> tuple[PoseLandmarks, tuple[Box, ...]]:
    """The most prominent person (largest visible box), and the boxes of the others.

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
        if other is None or min(other.visibility[Landmark.LEFT_SHOULDER], other.visibility[Landmark.RIGHT_SHOULDER]) < MIN_VISIBILITY:
            break
        box = _box(other)
        if any(_overlap(box, _box(p)) > 0.5 for p in people):
            break
        people.append(other)
        masked = _mask(masked, box)
    people = [p for p in people if _height(p) >= OTHER_PERSON_MIN_RELATIVE_HEIGHT * _height(first)]
    if len(people) == 1:
        return first, ()
    warnings.append(
        "several people in the photo: assessing the most prominent one (largest in the frame); "
        "overlapping people make readings less repeatable"
    )
    subject = max(people, key=_area)
    return subject, tuple(_box(p) for p in people if p is not subject)


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


def _warn_cut_off(consensus: PoseLandmarks, image: LoadedImage, warnings: list[str]) -> None:
    outside = [
        lm.key
        for lm in BODY_POINTS
        if not (0 <= consensus.xy[int(lm), 0] <= image.width and 0 <= consensus.xy[int(lm), 1] <= image.height)
    ]
    if outside:
        warnings.append(
            "body cut off by the frame: " + ", ".join(outside) + " outside the photo; measures using them are not "
            "given, and the others are less repeatable than on a whole-body photo"
        )

