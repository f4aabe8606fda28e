"""Before/after: per-measure change, called real only on the same footing as a finding.

A change is real when |after - before| > FINDING_MARGIN_SIGMAS x sqrt(u_before^2 + u_after^2),
the same 2-sigma margin a finding must clear; that margin is what every place prints
(`change_text`: "+8.4° (needs more than ±12.2° to count)"). A real change of a graded
measure is "improved" toward its declared neutral band (`MeasureSpec.better`), "worse" away
from it, "changed" between two readings inside it; a measure that raises no finding gets no
verdict ("not graded"). Two photos taken with different set-ups (another view, standing vs
seated, another stance) do not measure the same thing: `compare` then refuses, returning
every measure as NOT_COMPARABLE with the reason (`setup_difference`), rather than raising,
so the CLI and the app can show why beside each measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from posture.core.body.views import angle_difference_deg
from posture.core.measuring.findings import FINDING_MARGIN_SIGMAS
from posture.core.measuring.formatting import label, reason_text, signed_amount, unit_symbol
from posture.core.measuring.measure_spec import STANCE_CHECK, NeutralBand
from posture.core.measuring.measures import MEASURES

from .assessment import Assessment


class ChangeStatus(str, Enum):
    IMPROVED = "improved"
    WORSE = "worse"
    CHANGED = "changed"  # real, but neither toward nor away from where the measure is best
    WITHIN_NOISE = "within noise"
    NOT_GRADED = "not graded"  # the measure raises no finding, so its change gets no verdict
    NOT_COMPARABLE = "not comparable"


#: Why an ungraded measure's change gets no verdict (the reason a NOT_GRADED change carries).
NOT_GRADED_REASON = "raises no finding"
#: The rule, in the words every before/after shows under its table or lines.
CHANGE_RULE = (f"A change counts only when it is larger than the amount shown: {FINDING_MARGIN_SIGMAS:g} × the two "
               "readings' combined uncertainty, the same margin a finding must clear.")


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

    @property
    def margin(self) -> float | None:
        """What the change must exceed to count: FINDING_MARGIN_SIGMAS x the combined uncertainty."""
        return None if self.combined_uncertainty is None else FINDING_MARGIN_SIGMAS * self.combined_uncertainty

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
            "margin": r(self.margin),
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
    stance_b, stance_a = _stance(before), _stance(after)
    if stance_b is not None and stance_a is not None and stance_b != stance_a:
        # A bent knee or a raised foot moves the pelvis, trunk and plumb line by itself.
        return f"different stances ({stance_b} vs {stance_a}): retake in the same stance"
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


def _stance(a: Assessment) -> str | None:
    """What the stance check saw ("standing on both feet, knees straight", "left knee bent"),
    or None for records made before set-up checks existed."""
    check = None if a.setup is None else a.setup.check(STANCE_CHECK)
    return None if check is None else check.reading


def _body_share(a: Assessment) -> float:
    """Nose-to-ankle height as a share of the photo's height (resolution does not matter)."""
    return a.landmarks.head_to_feet_px() / a.image.height if a.image.height else 0.0


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
        spec = MEASURES.get(name)
        if spec is None or spec.grading is None:
            changes.append(MeasureChange(name, b.unit, b.value, a.value, delta, combined, ChangeStatus.NOT_GRADED,
                                         NOT_GRADED_REASON))
            continue
        status = ChangeStatus.WITHIN_NOISE
        if abs(delta) > FINDING_MARGIN_SIGMAS * combined:
            status = verdict(spec.better, b.value, a.value)
        changes.append(MeasureChange(name, b.unit, b.value, a.value, delta, combined, status))
    return changes


def verdict(band: NeutralBand | None, before: float, after: float) -> ChangeStatus:
    """A real change's verdict: toward the band (or into it) improved, away from it worse;
    between two readings in the band, the same distance either side, or no band: changed."""
    if band is None:
        return ChangeStatus.CHANGED
    was, now = band.distance(before), band.distance(after)
    if now < was:
        return ChangeStatus.IMPROVED
    if now > was:
        return ChangeStatus.WORSE
    return ChangeStatus.CHANGED


def change_text(c: MeasureChange, ascii_only: bool = False) -> str:
    """The change with what it must exceed to count: "+8.4° (needs more than ±12.2° to count)";
    "—" where there is none. The one wording of History, `posture compare` and the summary."""
    if c.change is None:
        return "—"
    text = signed_amount(c.change, c.unit, ascii_only)
    if c.margin is not None:
        pm = "+/-" if ascii_only else "±"
        text += f" (needs more than {pm}{c.margin:.1f}{unit_symbol(c.unit, ascii_only)} to count)"
    return text


def change_line(c: MeasureChange) -> str:
    """One measure's before/after in a line: "Trunk inclination: −6.5° → +42.2°, change +48.7°
    (needs more than ±7.2° to count): worse"; a measure not compared says why."""
    if c.change is None:
        return f"{label(c.name)}: {verdict_text(c)}"
    assert c.before is not None and c.after is not None
    return (f"{label(c.name)}: {signed_amount(c.before, c.unit)} → {signed_amount(c.after, c.unit)}, "
            f"change {change_text(c)}: {verdict_text(c)}")


def verdict_text(c: MeasureChange) -> str:
    """The verdict with its reason in full, where it has one: "not comparable: after: ..."."""
    if c.reason is None:
        return c.status.value
    return f"{c.status.value}: {reason_text(c.reason, c.unit)}"


def nothing_compared(before: Assessment, after: Assessment, changes: list[MeasureChange]) -> str | None:
    """Why no measure was compared at all (the set-ups differ, or neither photo has a measure
    the other has), or None when at least one measure has a before/after change."""
    if any(c.change is not None for c in changes):
        return None
    refused = setup_difference(before, after)
    if refused is not None:
        return refused
    unmeasured = [f"{which} ({_no_measures(x)})" for which, x in (("before", before), ("after", after))
                  if not x.read_any]
    if unmeasured:
        return f"no measure was taken from {' or '.join(unmeasured)}"
    return "the two photos have no measure in common that both could take"


def _no_measures(a: Assessment) -> str:
    if a.view.name.value == "turned":
        return "a turned view, between front and side: no measure is taken from it"
    return f"a {a.view.name.value} view"
