"""Session statistics of one live stream: time in each posture state, alerts, the longest
poor streak, and each measure's mean and range over the frames with a person.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .state import FrameResult, PostureState


@dataclass
class SessionStats:
    """Running statistics of one live session."""

    seconds_in: dict[str, float] = field(default_factory=lambda: {s.value: 0.0 for s in PostureState})
    alerts: int = 0
    frames: int = 0
    frames_with_person: int = 0
    longest_poor_s: float = 0.0
    _poor_since: float | None = None
    _sums: dict[str, list[float]] = field(default_factory=dict)  # name -> [n, sum, min, max]

    def add(self, r: FrameResult, dt: float) -> None:
        self.frames += 1
        self.seconds_in[r.state.value] += dt
        # Measures come from person frames only (`FrameResult.has_person`).
        has_person = r.has_person
        self.frames_with_person += int(has_person)
        self.alerts += int(r.alert)
        if r.state is PostureState.POOR:
            if self._poor_since is None:
                self._poor_since = r.timestamp_s
            self.longest_poor_s = max(self.longest_poor_s, r.timestamp_s - self._poor_since + dt)
        else:
            self._poor_since = None
        if not has_person:
            return
        for name, v in r.measures.items():
            if v is None:
                continue
            acc = self._sums.setdefault(name, [0.0, 0.0, math.inf, -math.inf])
            acc[0] += 1
            acc[1] += v
            acc[2] = min(acc[2], v)
            acc[3] = max(acc[3], v)

    def measures(self) -> dict[str, dict[str, float]]:
        return {
            n: {"mean": round(a[1] / a[0], 2), "min": round(a[2], 2), "max": round(a[3], 2), "frames": int(a[0])}
            for n, a in self._sums.items()
        }

    def to_dict(self) -> dict[str, object]:
        return {
            "frames": self.frames,
            "frames_with_person": self.frames_with_person,
            "seconds_in_state": {k: round(v, 2) for k, v in self.seconds_in.items()},
            "alerts": self.alerts,
            "longest_poor_streak_s": round(self.longest_poor_s, 2),
            "measures": self.measures(),
        }
