"""Withholding: the measures a photo's set-up invalidates, each withheld with the reason in words.

Which measures a check withholds is declared with the measure (`MeasureSpec.withheld_by`,
`reads_gravity`); this module applies it. Pure: measures and landmarks in, measures out.
"""

from __future__ import annotations

from dataclasses import replace

from posture.core.body import augment
from posture.core.body.landmarks import PoseLandmarks

from .formatting import NOT_MEASURED
from .measures import MEASURES, Measure
from .setup import Setup
from .setup import Status as SetupStatus
from .uncertainty import UNKNOWN_ROLL_SD_DEG

#: With the camera's level unknown, a trunk that looks tilted by more than this in the photo
#: (3 x the roll SD assumed for a hand-held camera) more likely means a tilted camera than a
#: leaning client: frontal tilts are withheld rather than read against the photo's edges.
UNLEVELLED_TRUNK_LIMIT_DEG = 3 * UNKNOWN_ROLL_SD_DEG

#: How the two withholdings that come from the camera's set-up alone begin (an unknown level
#: with a tilted-looking trunk; a body turned past a measure's limit): a front and back pair
#: from one camera cancels what they guard against, so it may still fuse such a measure.
UNLEVELLED_REASON = f"{NOT_MEASURED}camera level unknown and the trunk looks tilted"
TURNED_REASON = f"{NOT_MEASURED}body turned"


def withheld_for_the_camera_only(reason: str | None) -> bool:
    """The measure was withheld only for the camera's level or the body's turn (see above)."""
    return reason is not None and reason.startswith((UNLEVELLED_REASON, TURNED_REASON))


def withhold_if_unlevelled(measures: dict[str, Measure], lms: PoseLandmarks) -> dict[str, Measure]:
    """With the camera's level unknown: the measures read against gravity withheld when the
    trunk looks tilted in the photo (`lms`, the photo's own pixels)."""
    trunk = abs(augment.trunk_angle_deg(lms))
    if trunk <= UNLEVELLED_TRUNK_LIMIT_DEG:
        return measures
    return withhold(measures, MEASURES.reading_gravity(),
                     f"{UNLEVELLED_REASON} {trunk:.0f}° in the photo, so the "
                     "camera was probably not level; hold it level or state that it was levelled")


def withhold_failed_checks(measures: dict[str, Measure], setup: Setup) -> dict[str, Measure]:
    """Withhold the measures a failed set-up check invalidates, with the check's words."""
    for check in setup.checks:
        if check.status is SetupStatus.RETAKE:
            measures = withhold(measures, check.withheld(), f"{NOT_MEASURED}{check.reading}")
    return measures


def withheld_by_setup(setup: Setup, measures: dict[str, Measure]) -> tuple[str, ...]:
    """The measures of this photo (those meant for its view) that its failed set-up checks
    withhold, in table order: what the page's headline names."""
    retakes = [c for c in setup.checks if c.status is SetupStatus.RETAKE]
    names = {n for c in retakes for n in c.withheld()}
    # a record stored before the checks named what they withhold still says it in the reasons
    reasons = {f"{NOT_MEASURED}{c.reading}" for c in retakes}
    return tuple(n for n, m in measures.items() if m.relevant and (n in names or m.reason in reasons))


def withhold(measures: dict[str, Measure], names: tuple[str, ...], reason: str) -> dict[str, Measure]:
    """`measures` with the values of `names` withheld, saying why (the rest unchanged)."""
    out = dict(measures)
    for n in names:
        m = out.get(n)
        if m is not None and m.value is not None:
            out[n] = replace(m, value=None, confidence=0.0, reason=reason)
    return out
