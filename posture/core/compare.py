"""Before/after: per-measure change, called real only on the same footing as a finding.

A change is real when |after - before| > FINDING_MARGIN_SIGMAS x sqrt(u_before^2 + u_after^2),
the same 2-sigma margin a finding must clear. Two photos taken with different set-ups
(another view, standing vs seated) do not measure the same thing: `compare` then refuses,
returning every measure as NOT_COMPARABLE with the reason (`setup_difference`), rather
than raising, so the CLI and the app can show why beside each measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from posture.core.body.views import angle_difference_deg
from posture.core.measuring.findings import FINDING_MARGIN_SIGMAS
from posture.core.measuring.measures import MEASURES

from .assessment import Assessment


class ChangeStatus(str, Enum):
    IMPROVED = "improved"
    WORSE = "worse"
    CHANGED = "changed"  # real, but the measure has no "better" direction
    WITHIN_NOISE = "within noise"
    NOT_COMPARABLE = "not comparable"


@dataclass(frozen=True)
class MeasureChange:
    name: str
    unit: str
    before: float | None
    after: float | None
    change: float | None
    #: sqrt(u_before^2 + u_after^2); the change is real beyond FINDING_MARGIN_SIGMAS times this.
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


def setup_difference(before: Assessment, after: Assessment) -> str | None:
    """Why two assessments cannot be compared (different view, standing vs seated, the body
    turned differently to the camera, a very different camera distance), or None."""
    b, a = before.view, after.view
    if b.name is not a.name:
        return f"different views ({b.name.value} vs {a.name.value}): retake with the same view"
    if b.posture is not a.posture:
        return f"different set-ups ({b.posture.value} vs {a.posture.value}): retake in the same position"
    if b.yaw_deg is not None and a.yaw_deg is not None:
        turn = abs(angle_difference_deg(b.yaw_deg, a.yaw_deg))
        if turn > MAX_YAW_CHANGE_DEG:
            return f"the body is turned {turn:.0f}° differently to the camera: retake facing the camera the same way"
    size_b, size_a = _body_share(before), _body_share(after)
    if size_b > 0 and size_a > 0 and max(size_b, size_a) / min(size_b, size_a) > MAX_SCALE_RATIO:
        return (f"the body fills the photo very differently ({size_b:.0%} vs {size_a:.0%} of its height): "
                "retake from the same distance")
    return None


#: Beyond this change of body yaw the perspective on left-right lines differs by more than a
#: degree for a camera 10 deg above the shoulders (docs/measures.md, "Set-up limits").
MAX_YAW_CHANGE_DEG = 15.0
#: Beyond this ratio of the share of the photo's height the body fills, the camera's distance
#: or zoom (and so its perspective) changed.
MAX_SCALE_RATIO = 1.5


def _body_share(a: Assessment) -> float:
    """Nose-to-ankle height as a share of the photo's height (resolution does not matter)."""
    ys = a.landmarks.xy[[0, 27, 28], 1]
    return float(max(ys) - min(ys)) / a.image.height if a.image.height else 0.0


def compare(before: Assessment, after: Assessment) -> list[MeasureChange]:
    """One `MeasureChange` per measure of `before` that `after` also has (and that is
    measured in at least one of them); all NOT_COMPARABLE, with the reason, when the
    set-ups differ."""
    changes: list[MeasureChange] = []
    refused = setup_difference(before, after)
    for name, b in before.measures.items():
        a = after.measures.get(name)
        if a is None:
            continue
        if refused is not None:
            changes.append(MeasureChange(name, b.unit, b.value, a.value, None, None, ChangeStatus.NOT_COMPARABLE, refused))
            continue
        if b.value is None or a.value is None:
            if b.value is None and a.value is None:
                continue
            missing = "before" if b.value is None else "after"
            reason = (b.reason if b.value is None else a.reason) or "not measured"
            changes.append(MeasureChange(name, b.unit, b.value, a.value, None, None, ChangeStatus.NOT_COMPARABLE,
                                         f"{missing}: {reason}"))
            continue
        if not (b.uncertainty and b.uncertainty > 0.0 and a.uncertainty and a.uncertainty > 0.0):
            # A zero spread means too few readings to know the error: no margin can be stated.
            which = "before" if not (b.uncertainty and b.uncertainty > 0.0) else "after"
            changes.append(MeasureChange(name, b.unit, b.value, a.value, None, None, ChangeStatus.NOT_COMPARABLE,
                                         f"{which}: no uncertainty stated"))
            continue
        delta = a.value - b.value
        combined = math.hypot(a.uncertainty, b.uncertainty)
        status = ChangeStatus.WITHIN_NOISE
        if abs(delta) > FINDING_MARGIN_SIGMAS * combined:
            spec = MEASURES.get(name)
            band = None if spec is None else spec.better
            if band is None:
                status = ChangeStatus.CHANGED
            else:
                closer = band.distance(a.value) < band.distance(b.value)
                status = ChangeStatus.IMPROVED if closer else ChangeStatus.WORSE
        changes.append(MeasureChange(name, b.unit, b.value, a.value, delta, combined, status))
    return changes
