"""Posture state for the live monitor: the states, which measures are shown and graded
(from the measures table, at call time), the window of recent readings a state is graded
on, grading those readings into a state with its cause and advice, and the time hysteresis
and sustained-poor alert that turn per-frame states into what the user sees. No model, no
files.

Grading uses a photo's rule with a stricter chance: a reading raises a level only when the
truth is past the cut-off with at least `ALERT_AT` (97.7 %: it clears the cut-off by 2 x its
uncertainty), where a photo's finding needs 80 %. An alert interrupts the client, and a live
reading (one frame at a time, in tracking mode) can differ from a photo's by a few degrees:
on one real still, live read a head tilt of 13° where the photo reads 9° ± 7°. A live reading is the robust mean of the
last WINDOW_S seconds of frames (`ReadingWindow`, the photo's `aggregate`), and its
uncertainty the spread of those frames (in place of a photo's augmented copies) combined
with the same set-up terms as a photo (the engine adds camera roll and pitch, body yaw and
landmark placement with `uncertainty.combine`). With a calibrated baseline, each reading is
graded as its deviation from it against the finding's deviation bands
(`Threshold.for_deviation`: the cut-offs less the reading of a neutral posture).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from statistics import NormalDist

from posture.core.body.landmarks import PoseLandmarks
from posture.core.measuring.findings import FINDING_MARGIN_SIGMAS, Severity, Threshold
from posture.core.measuring.formatting import label
from posture.core.measuring.measures import FRONTAL, MEASURES, SAGITTAL, aggregate

#: Chance that the truth is past a cut-off for a live state (2 SD, see the module's docstring).
ALERT_AT = NormalDist().cdf(FINDING_MARGIN_SIGMAS)


class PostureState(str, Enum):
    GOOD = "good"
    ATTENTION = "needs attention"
    POOR = "poor"
    NO_PERSON = "no person"


#: What the live monitor shows and which findings drive its state, per kind of view, as the
#: measures table declares them (`live`, `advice`). Side: RULA-style neck and trunk flexion
#: (thresholds.toml says how the bands were mapped); front: the frontal tilts. Read at call
#: time, so a measure declared while the app runs is shown from then on.
def live_measures(side: bool) -> tuple[str, ...]:
    return MEASURES.live_measures(SAGITTAL if side else FRONTAL)


def live_keys(side: bool) -> tuple[str, ...]:
    return MEASURES.live_gradings(SAGITTAL if side else FRONTAL)


def advice_for(cause: str, value: float | None) -> str:
    """The advice for a live state's cause ("" for none or an unknown one): the measure's
    declared advice, by the reading's sign (positive: the subject's left is higher, or the
    lean is to the left)."""
    pair = MEASURES.advice(cause)
    if pair is None:
        return ""
    return pair[1] if value is not None and value < 0 else pair[0]


def state_for(severity: Severity) -> PostureState:
    """The posture state a finding's severity puts the user in."""
    if severity >= Severity.MODERATE:
        return PostureState.POOR
    if severity is Severity.MILD:
        return PostureState.ATTENTION
    return PostureState.GOOD


#: Seconds of frames a live reading is the robust mean of, and its spread the SD over: long
#: enough that frame-to-frame jitter averages out and a still person's sway shows in the ±,
#: short against the hold and alert times (1 s and 5 s by default).
WINDOW_S = 2.0
#: Fewest readings a live value rests on (a photo's MIN_SAMPLES is 3 copies); until then the
#: measure shows nothing and grades nothing, so a half-seen body entering the frame never
#: shows as a wild angle.
MIN_WINDOW_READINGS = 5


@dataclass(frozen=True)
class Reading:
    """A live measure as graded and shown: the window's robust mean and its uncertainty."""

    value: float
    uncertainty: float
    #: The SD of the window's readings alone (the repeatability part of `uncertainty`).
    spread: float = 0.0


class ReadingWindow:
    """Each live measure's readings over the last `seconds` of frames with a person. Cleared
    when nobody is seen or the kind of view changes: a reading never mixes two scenes."""

    def __init__(self, seconds: float = WINDOW_S, min_readings: int = MIN_WINDOW_READINGS) -> None:
        self.seconds = seconds
        self.min_readings = min_readings
        self._series: dict[str, deque[tuple[float, float]]] = {}

    def clear(self) -> None:
        self._series.clear()

    def add(self, t: float, values: Mapping[str, float | None]) -> None:
        for name, v in values.items():
            if v is not None:
                self._series.setdefault(name, deque()).append((t, v))
        for series in self._series.values():
            while series and series[0][0] <= t - self.seconds:
                series.popleft()

    def drop(self, names: Iterable[str]) -> None:
        """Forget these measures' readings: withheld now, their earlier values must not
        stand in for them."""
        for name in names:
            self._series.pop(name, None)

    def spreads(self) -> dict[str, tuple[float, float]]:
        """(robust mean, SD) of each measure with at least `min_readings` readings, outliers
        beyond 3 robust SDs dropped as for a photo's copies (`measures.aggregate`)."""
        out: dict[str, tuple[float, float]] = {}
        for name, series in self._series.items():
            if len(series) >= self.min_readings:
                spec = MEASURES.get(name)
                mean, sd, _ = aggregate([v for _, v in series], spec.unit if spec else "deg")
                out[name] = (mean, sd)
        return out


@dataclass(frozen=True)
class Grade:
    """The worst severity among a frame's live findings, and the finding behind it with its
    reading ("" and None when none is beyond its cut-off)."""

    severity: Severity
    cause: str = ""
    cause_value: float | None = None


def grade(readings: Mapping[str, Reading], side: bool, thresholds: Mapping[str, Threshold],
          baseline: Mapping[str, float] | None = None) -> Grade:
    """Grade the window's readings against the live findings of its kind of view, as a
    photo's measures are, at `ALERT_AT` (none for a reading without an uncertainty). With a `baseline` (the user's
    own upright), each reading is graded as its deviation from it, against the finding's
    deviation bands."""
    worst = Grade(Severity.NONE)
    for key in live_keys(side):
        for name in thresholds[key].measures:
            r = readings.get(name)
            if r is None or not r.uncertainty > 0.0:
                continue
            value, th = r.value, thresholds[key]
            if baseline is not None and name in baseline:
                value, th = value - baseline[name], th.for_deviation()  # from the user's own upright
            severity = th.severity(value, r.uncertainty, ALERT_AT)
            if severity > worst.severity:
                worst = Grade(severity, key, value)
    return worst


@dataclass(frozen=True)
class FrameResult:
    timestamp_s: float
    state: PostureState
    raw_state: PostureState
    view: str  # "side", "front" or "" when nobody is seen
    measures: dict[str, float | None]
    alert: bool  # True on the frame an alert fires
    landmarks: PoseLandmarks | None = None
    latency_ms: float = 0.0
    #: The finding (thresholds.toml key) that set the raw state, and its reading: "" when
    #: none is beyond its cut-off. What the advice is about.
    cause: str = ""
    cause_value: float | None = None
    #: The window's readings, as graded (empty until MIN_WINDOW_READINGS frames with a person).
    readings: dict[str, Reading] = field(default_factory=dict)
    #: The measures a set-up check withholds on this frame, with its words (`setup.live_checks`).
    withheld: dict[str, str] = field(default_factory=dict)

    @property
    def has_person(self) -> bool:
        """A person is both shown and found on this frame: the shown state lags by the hold
        time (someone walking in, or a frame where they are hidden), and a half-seen entering
        body gives wild angles. Values are shown, logged and counted on these frames only."""
        return self.state is not PostureState.NO_PERSON and self.raw_state is not PostureState.NO_PERSON

    @property
    def now(self) -> dict[str, float]:
        """What "Now:" shows: each graded reading's value, nothing on a frame without a person."""
        return {n: r.value for n, r in self.readings.items()} if self.has_person else {}

    @property
    def advice(self) -> str:
        """What to change, for the problem at hand (empty when posture is fine)."""
        return advice_for(self.cause, self.cause_value)

    @property
    def withheld_lines(self) -> list[str]:
        """Each reason a set-up check withholds measures on this frame, after their names
        ("Shoulder tilt, Head tilt: not measured: an arm is raised above the head ...")."""
        by_reason: dict[str, list[str]] = {}
        for name, reason in self.withheld.items():
            by_reason.setdefault(reason, []).append(label(name))
        return [f"{', '.join(names)}: {reason}" for reason, names in by_reason.items()] if self.has_person else []

    def to_row(self) -> dict[str, object]:
        row: dict[str, object] = {
            "t": round(self.timestamp_s, 3),
            "state": self.state.value,
            "view": self.view,
            "alert": int(self.alert),
        }
        # A "no person" row carries no values (its landmarks, if any, are not shown either).
        row.update({k: (None if v is None or not self.has_person else round(v, 2)) for k, v in self.measures.items()})
        return row


class StateTracker:
    """The state shown to the user from each frame's raw state: a new state is taken only
    once it has held for a while (time hysteresis), and an alert fires once per sustained
    period in POOR, so a glance down does not nag."""

    def __init__(self) -> None:
        self.state = PostureState.NO_PERSON
        self._started = False
        self._candidate: PostureState | None = None
        self._candidate_since = 0.0
        self._poor_since: float | None = None
        self._alerted = False

    def update(self, raw: PostureState, t: float, *, hold_s: float, alert_after_s: float) -> tuple[PostureState, bool]:
        """The state at time `t` given this frame's `raw` state, and whether an alert fires
        now. A new state is taken after holding for `hold_s`; the alert after `alert_after_s`
        in POOR. Both are passed on each frame, so changed settings apply from the next one."""
        if not self._started:  # the first frame of a stream sets the state at once
            self.state, self._started = raw, True
        # Someone walking in is shown once they have stayed for the hold time, whatever their
        # grade did meanwhile (a grade flickering good/poor must not keep them "not seen").
        arriving = (self.state is PostureState.NO_PERSON and raw is not PostureState.NO_PERSON
                    and self._candidate not in (None, PostureState.NO_PERSON))
        if raw is self.state:
            self._candidate = None
        elif arriving:
            self._candidate = raw  # still arriving: the latest grade, the same start
        elif raw is not self._candidate:
            self._candidate, self._candidate_since = raw, t
        if self._candidate is not None and t - self._candidate_since >= hold_s:
            self.state, self._candidate = self._candidate, None
        alert = False
        if self.state is PostureState.POOR:
            if self._poor_since is None:
                self._poor_since = t
            if not self._alerted and t - self._poor_since >= alert_after_s:
                alert, self._alerted = True, True
        else:
            self._poor_since, self._alerted = None, False
        return self.state, alert
