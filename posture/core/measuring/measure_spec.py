"""What a measure is, declared once: the types of the measures table and of its results.

A `MeasureSpec` states everything about one measure: its definition, unit, views and
postures, landmarks and computation, and the facts the rest of the package derives from it
(its plain names, what its sign means in words, the body region, which set-up checks
withhold it, the finding it raises, what "better" means before/after, whether History
charts it and whether the live monitor shows it). The table itself is in `measures.py`;
nothing elsewhere keeps a list of measure names.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from posture.core.body.landmarks import Landmark
from posture.core.body.views import SIDE_TURN_LIMIT_DEG, Posture, View, ViewName, angle_difference_deg

FloatArray = npt.NDArray[np.float64]

FRONTAL = frozenset({ViewName.FRONT, ViewName.BACK})
SAGITTAL = frozenset({ViewName.LEFT, ViewName.RIGHT})
ANY_POSTURE = frozenset({Posture.STANDING, Posture.SEATED})
STANDING = frozenset({Posture.STANDING})

#: The body regions of a summary, in reading order (a measure's `region` is one of them).
REGIONS: tuple[str, ...] = ("head and neck", "shoulders", "trunk", "pelvis", "knees")

#: Set-up checks (`setup.py`) that can withhold a measure when they say "retake": a
#: non-neutral stance (one leg, squat) moves the pelvis, trunk and knees by itself, and with
#: them the head's carriage and the plumb line, from the front and from the side (a runner's
#: trunk leaning 45° over one leg is no forward flexion to report); arms overhead lift the
#: shoulder girdle, so shoulder (and head) height say nothing then.
STANCE_CHECK = "stance"
ARMS_CHECK = "arms"


@dataclass(frozen=True)
class MeasureContext:
    """What a measure needs besides the landmarks."""

    view: View
    near_side: str = "left"  # for side views: which side's landmarks to use
    height_cm: float | None = None
    #: The levelled view's camera (focal length and principal point, pixels): with the body's
    #: yaw it turns a left-right line's 2-D slope into its 3-D tilt (`geometry.level_line_tilt_deg`).
    #: None: lines are read as drawn (live frames, stored records).
    focal_px: float | None = None
    principal_point: tuple[float, float] | None = None
    yaw_deg: float | None = None

    def side(self, part: str) -> Landmark:
        """The near-side landmark for `part` ("EAR", "SHOULDER", ...)."""
        return Landmark[f"{self.near_side.upper()}_{part}"]


Compute = Callable[[FloatArray, MeasureContext], float]


@dataclass(frozen=True)
class SignWords:
    """What a value's sign means, in words. `positive` and `negative` take "{a}" (the size
    with its unit and ±: "left higher by 2.1° ± 0.8°"); `neutral` is said when the value
    rounds to 0; `overlay` is the (positive, negative) pair drawn on a photo, where space
    is tight (None: the overlay shows the full words)."""

    positive: str
    negative: str
    neutral: str
    overlay: tuple[str, str] | None = None


@dataclass(frozen=True)
class Grading:
    """The finding a measure raises: `key` names its cut-offs in `thresholds.toml`.

    `title` and `detail` read in plain words; their fields are "{side}" and "{other}" (the
    pair `sides` picked by the value's sign: positive takes the first), "{by}" (the size with
    its ±) and "{reading}" (the signed reading in words). `areas`: muscle groups commonly
    associated with the pattern, for a therapist to consider, one muscle (or band) an entry."""

    key: str
    title: str
    detail: str
    areas: tuple[str, ...] = ()
    sides: tuple[str, str] = ("left", "right")

    def __post_init__(self) -> None:
        # A possible (not likely) finding says "possibly" in its place (`findings.evaluate_possible`).
        if "likely" not in self.title.lower():
            raise ValueError(f"{self.key}: a finding's title says 'likely' (it becomes 'possibly' when only possible)")


@dataclass(frozen=True)
class NeutralBand:
    """Where a measure is best, for before/after: a change toward the band (or into it) is
    an improvement, away from it is worse; a change between two readings inside it is
    neither. `low` may be -inf (a trunk reclined any amount is not worse than upright)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"neutral band {self.low:g} to {self.high:g}: low must not exceed high")

    def distance(self, value: float) -> float:
        return max(self.low - value, value - self.high, 0.0)


@dataclass(frozen=True)
class LineTurn:
    """A line that turns on the body, as the ear line on the neck. The body's yaw is read from
    the shoulders and hips; a client turned from square often looks back toward the camera (or,
    from behind, straight ahead), so the line's yaw is taken as lying anywhere between the
    body's and square, uniformly: half-way, with SD = the turn / sqrt(12), and `sd_deg` on top
    for the head's own turn when square."""

    sd_deg: float

    def yaw_deg(self, body_yaw_deg: float, square_yaw_deg: float) -> float:
        return body_yaw_deg - angle_difference_deg(body_yaw_deg, square_yaw_deg) / 2

    def yaw_sd_deg(self, off_square_deg: float) -> float:
        return math.hypot(self.sd_deg, off_square_deg / math.sqrt(12))


@dataclass(frozen=True)
class MeasureSpec:
    name: str
    unit: str
    views: frozenset[ViewName]
    postures: frozenset[Posture]
    definition: str
    sign: str
    landmarks: Callable[[MeasureContext], tuple[Landmark, ...]]
    compute: Compute
    #: Withhold the value when its spread over augmented copies exceeds this.
    max_spread: float
    #: The plain name, for people ("Shoulder tilt").
    label: str
    #: A short name for labels drawn on a photo or a live frame ("Shoulders"); "" for `label`.
    short_label: str = ""
    #: The sign in words; None: the size is the reading (the craniovertebral angle).
    words: SignWords | None = None
    needs_height: bool = False
    #: Values outside this range mean the measure does not apply to what the photo shows.
    valid_range: tuple[float, float] | None = None
    range_hint: str = ""
    #: The summary's body region its findings belong to (one of `REGIONS`).
    region: str | None = None
    #: The finding it raises; None: it is reported but never graded.
    grading: Grading | None = None
    #: The sign names a side or a direction (left/right higher, valgus/varus): two photos
    #: reading clearly opposite signs disagree.
    sided: bool = False
    #: Read against gravity: a camera's roll moves it degree for degree, so it is withheld
    #: when the camera's level is unknown and the photo looks rolled.
    reads_gravity: bool = False
    #: A left-right line whose camera error a front and a back photo from one camera cancel
    #: (`core/pair.py`). Not the trunk's lean: through the four calibrated cameras its fused
    #: reading stayed up to 2.8° off (the body's depth), where the lines' stayed within 1°.
    fuses_front_back: bool = False
    #: SD (degrees) of the measured line's lean toward or away from the camera, which a photo
    #: cannot see; a body turned from square shows tan(turn) of it as if it were in the
    #: photo's plane (`uncertainty.combine`). 0: the measure has no such part.
    hidden_depth_sd_deg: float = 0.0
    #: A line that turns on the body (the head on the neck): its own yaw for the perspective
    #: correction, and the SD of that yaw (`LineTurn`). None: the line faces where the body does.
    line_turn: LineTurn | None = None
    #: How far the body may be turned from the view's square yaw for it to be read (degrees);
    #: beyond, it is withheld with the turn as the reason. At most the view's own limit
    #: (`views.turn_limit_deg`).
    max_turn_deg: float = SIDE_TURN_LIMIT_DEG
    #: Set-up checks whose "retake" withholds it (`STANCE_CHECK`, `ARMS_CHECK`).
    withheld_by: frozenset[str] = frozenset()
    #: Before/after: where it is best (toward it is "improved"); None: a change has no better
    #: direction. Only a graded measure has one: a measure that raises no finding (plumb-line
    #: offsets, which move with sway) gets no better/worse verdict.
    better: NeutralBand | None = None
    #: History charts it over sessions (the measures a therapist follows).
    key: bool = False
    #: Drawn on the annotated photo.
    overlay: bool = False
    #: Shown by the live monitor.
    live: bool = False
    #: Live advice when its finding drives the live state: (positive value, negative value).
    #: None: it never drives the live state.
    advice: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.region is not None and self.region not in REGIONS:
            raise ValueError(f"{self.name}: unknown region {self.region!r} (known: {', '.join(REGIONS)})")
        if self.advice is not None and (self.grading is None or not self.live):
            raise ValueError(f"{self.name}: live advice needs a grading and live=True")
        if self.better is not None and self.grading is None:
            raise ValueError(f"{self.name}: a 'better' band needs a grading (an ungraded measure gets no verdict)")
        unknown = self.withheld_by - {STANCE_CHECK, ARMS_CHECK}
        if unknown:
            raise ValueError(f"{self.name}: unknown set-up checks {sorted(unknown)}")

    @property
    def short(self) -> str:
        return self.short_label or self.label

    @property
    def frontal(self) -> bool:
        return self.views == FRONTAL


class MeasureTable:
    """The declared measures in table order: iterate for the specs, look one up by name."""

    def __init__(self, specs: tuple[MeasureSpec, ...]) -> None:
        self.by_name: dict[str, MeasureSpec] = {}
        for spec in specs:
            if spec.name in self.by_name:
                raise ValueError(f"measure {spec.name} declared twice")
            self.by_name[spec.name] = spec

    def __iter__(self) -> Iterator[MeasureSpec]:
        return iter(self.by_name.values())

    def __len__(self) -> int:
        return len(self.by_name)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __getitem__(self, name: str) -> MeasureSpec:
        return self.by_name[name]

    def get(self, name: str) -> MeasureSpec | None:
        return self.by_name.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(self.by_name)

    # --- what the rest of the package derives --------------------------------------------

    def graded_by(self, key: str) -> tuple[str, ...]:
        """The measures a finding (thresholds.toml key) reads."""
        return tuple(s.name for s in self if s.grading is not None and s.grading.key == key)

    def grading_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.grading.key for s in self if s.grading is not None))

    def withheld_by(self, check: str) -> tuple[str, ...]:
        """The measures a set-up check's "retake" withholds."""
        return tuple(s.name for s in self if check in s.withheld_by)

    def reading_gravity(self) -> tuple[str, ...]:
        return tuple(s.name for s in self if s.reads_gravity)

    def fusing_front_back(self) -> tuple[str, ...]:
        return tuple(s.name for s in self if s.fuses_front_back)

    def in_region(self, region: str) -> tuple[str, ...]:
        """The graded measures of a body region (a region none of them was measured in is
        "not assessed", not "no finding")."""
        return tuple(s.name for s in self if s.region == region and s.grading is not None)

    def graded_for(self, finding_id: str) -> MeasureSpec | None:
        """The (first) measure behind a finding id: its threshold key ("shoulder_tilt"), or the
        key and the side of a two-sided finding ("knee_valgus_left"); None for a pattern."""
        for key in (finding_id, finding_id.rsplit("_", 1)[0]):
            spec = next((s for s in self if s.grading is not None and s.grading.key == key), None)
            if spec is not None:
                return spec
        return None

    def key_measures(self, views: frozenset[ViewName]) -> tuple[str, ...]:
        """The measures History charts for photos of these views (FRONTAL or SAGITTAL)."""
        return tuple(s.name for s in self if s.key and s.views == views)

    def live_measures(self, views: frozenset[ViewName]) -> tuple[str, ...]:
        return tuple(s.name for s in self if s.live and s.views == views)

    def live_gradings(self, views: frozenset[ViewName]) -> tuple[str, ...]:
        """The findings (thresholds.toml keys) that drive the live state for these views."""
        return tuple(s.grading.key for s in self
                     if s.advice is not None and s.grading is not None and s.views == views)

    def advice(self, key: str) -> tuple[str, str] | None:
        return next((s.advice for s in self if s.grading is not None and s.grading.key == key and s.advice), None)


@dataclass(frozen=True)
class Measure:
    """One measure's result: value and uncertainty in `unit`, or None and a reason."""

    name: str
    unit: str
    value: float | None
    uncertainty: float | None
    confidence: float
    reason: str | None = None
    samples: tuple[float, ...] = field(default=(), repr=False, compare=False)
    #: What the uncertainty is made of: (source, SD in `unit`) — "repeatability" (spread of
    #: the augmented copies), "camera roll", "camera pitch", "body yaw", "body scale", "floor".
    parts: tuple[tuple[str, float], ...] = field(default=(), compare=False)

    @property
    def available(self) -> bool:
        return self.value is not None

    @property
    def relevant(self) -> bool:
        """Worth showing: measured, or meant to be but could not be (not merely n/a here)."""
        return self.value is not None or not (self.reason or "").startswith(NOT_RELEVANT_REASONS)

    def to_dict(self) -> dict[str, object]:
        # 4 decimals: shown to 1, a stored value must show as the unsaved one did (at 2, a
        # 5.149 stored as 5.15 came back as 5.2 on the saved photo beside 5.1 in its summary)
        return {
            "value": None if self.value is None else round(self.value, STORED_DECIMALS),
            "unit": self.unit,
            "uncertainty": None if self.uncertainty is None else round(self.uncertainty, STORED_DECIMALS),
            "confidence": round(self.confidence, 3),
            "reason": self.reason,
            **({"uncertainty_parts": {k: round(v, 2) for k, v in self.parts}} if self.parts else {}),
        }


#: Decimals a stored measure keeps (value and uncertainty).
STORED_DECIMALS = 4

#: Reasons that mean "this measure is not for this photo" rather than "it failed here".
NOT_RELEVANT_REASONS = ("not applicable", "client height not given")
