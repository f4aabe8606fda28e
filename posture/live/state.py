"""Posture state for the live monitor: the states, which measures are shown and graded
(from the measures table, at call time), grading a frame's readings into a state with its
cause and advice, and the time hysteresis and sustained-poor alert that turn per-frame
states into what the user sees. No model, no files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from posture.core.body.landmarks import PoseLandmarks
from posture.core.measuring.findings import Severity, Threshold
from posture.core.measuring.measures import FRONTAL, MEASURES, SAGITTAL


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


@dataclass(frozen=True)
class Grade:
    """The worst severity among a frame's live findings, and the finding behind it with its
    reading ("" and None when none is beyond its cut-off)."""

    severity: Severity
    cause: str = ""
    cause_value: float | None = None


def grade(values: Mapping[str, float | None], side: bool, thresholds: Mapping[str, Threshold],
          baseline: Mapping[str, float] | None = None) -> Grade:
    """Grade a frame's readings against the live findings of its kind of view. With a
    `baseline` (the user's own upright means), each reading is graded as its deviation
    from it."""
    worst = Grade(Severity.NONE)
    for key in live_keys(side):
        th = thresholds[key]
        for name in th.measures:
            value = values.get(name)
            if value is None:
                continue
            if baseline is not None and name in baseline:
                value -= baseline[name]  # deviation from the user's own upright
            if th.direction == "above" and value < 0:
                continue
            severity = th.severity(value, 0.0)
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

    @property
    def advice(self) -> str:
        """What to change, for the problem at hand (empty when posture is fine)."""
        return advice_for(self.cause, self.cause_value)

    def to_row(self) -> dict[str, object]:
        row: dict[str, object] = {
            "t": round(self.timestamp_s, 3),
            "state": self.state.value,
            "view": self.view,
            "alert": int(self.alert),
        }
        row.update({k: (None if v is None else round(v, 2)) for k, v in self.measures.items()})
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
        if raw is self.state:
            self._candidate = None
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
