"""Before/after: per-measure change, called real only when it exceeds the combined uncertainty."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from .assessment import Assessment


class ChangeStatus(str, Enum):
    IMPROVED = "improved"
    WORSE = "worse"
    CHANGED = "changed"  # real, but the measure has no "better" direction
    WITHIN_NOISE = "within noise"
    NOT_COMPARABLE = "not comparable"


#: Where each measure is best (the change is judged by the distance to it). None: no direction.
IDEAL: dict[str, float | None] = {
    "craniovertebral_angle_deg": 90.0,
    "hip_flexion_deg": None,
    "knee_flexion_deg": None,
}


@dataclass(frozen=True)
class MeasureChange:
    name: str
    unit: str
    before: float | None
    after: float | None
    change: float | None
    combined_uncertainty: float | None
    status: ChangeStatus
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 2)

        return {
            "name": self.name,
            "unit": self.unit,
            "before": r(self.before),
            "after": r(self.after),
            "change": r(self.change),
            "combined_uncertainty": r(self.combined_uncertainty),
            "status": self.status.value,
            "reason": self.reason,
        }


def compare(before: Assessment, after: Assessment) -> list[MeasureChange]:
    """One `MeasureChange` per measure present in either assessment."""
    changes: list[MeasureChange] = []
    same_view = before.view.name is after.view.name
    for name, b in before.measures.items():
        a = after.measures.get(name)
        if a is None:
            continue
        if not same_view:
            changes.append(MeasureChange(name, b.unit, b.value, a.value, None, None, ChangeStatus.NOT_COMPARABLE,
                                         f"different views ({before.view.name.value} vs {after.view.name.value})"))
            continue
        if b.value is None or a.value is None or b.uncertainty is None or a.uncertainty is None:
            if b.value is None and a.value is None:
                continue
            missing = "before" if b.value is None else "after"
            reason = (b.reason if b.value is None else a.reason) or "not measured"
            changes.append(MeasureChange(name, b.unit, b.value, a.value, None, None, ChangeStatus.NOT_COMPARABLE,
                                         f"{missing}: {reason}"))
            continue
        delta = a.value - b.value
        combined = math.hypot(a.uncertainty, b.uncertainty)
        status = ChangeStatus.WITHIN_NOISE
        if abs(delta) > combined:
            ideal = IDEAL.get(name, 0.0)
            if ideal is None:
                status = ChangeStatus.CHANGED
            else:
                closer = abs(a.value - ideal) < abs(b.value - ideal)
                status = ChangeStatus.IMPROVED if closer else ChangeStatus.WORSE
        changes.append(MeasureChange(name, b.unit, b.value, a.value, delta, combined, status))
    return changes
