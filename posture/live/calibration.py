"""Calibration for the live monitor: the user's own upright baseline (kept in their data
folder, owner-only), and the rules that refuse one recorded from a posture that is not
upright and still.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from posture.core.errors import CalibrationError, NoPersonError, PostureError, UsageError
from posture.core.measuring.findings import Threshold
from posture.core.measuring.formatting import label
from posture.store.paths import data_dir, private_dir, write_private_file

from .state import live_keys


@dataclass(frozen=True)
class Baseline:
    """The user's own upright reference: their mean measures while sitting upright."""

    user: str
    view: str
    measures: dict[str, float]

    def save(self, folder: Path) -> Path:
        """Write the baseline owner-only (folder 0700, file 0600) and atomically: never half a baseline."""
        name = _safe_name(self.user)  # refuse a bad name before creating anything
        path = private_dir(folder) / f"{name}.json"
        write_private_file(path, json.dumps(asdict(self), indent=2).encode("utf-8"))
        return path

    @classmethod
    def load(cls, folder: Path, user: str) -> Baseline | None:
        path = folder / f"{_safe_name(user)}.json"
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(data["user"]), str(data["view"]), {k: float(v) for k, v in data["measures"].items()})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PostureError(f"{path}: baseline unreadable ({exc})") from None


def _safe_name(user: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in user.strip())
    if not cleaned:
        raise UsageError("user name for the baseline is empty")
    return cleaned[:64]


def default_data_dir() -> Path:
    """Kept for `posture.cli`; the data folder is decided in one place, `posture.store.paths.data_dir`."""
    return data_dir()


#: The trunk finding that says whether a calibration posture is upright, per kind of view.
UPRIGHT_KEYS = {"side": "torso_flexion", "front": "trunk_lean"}


def _named(name: str) -> str:
    """A measure's plain name mid-sentence ("trunk side lean")."""
    text = label(name)
    return text[:1].lower() + text[1:]


def check_calibration(view_kind: str, series: dict[str, list[float]], thresholds: dict[str, Threshold]) -> None:
    """Refuse a calibration that is not still and upright. Both bounds are the findings' own
    'mild' cut-offs (thresholds.toml), so a baseline never absorbs what would be flagged:

    - still: each measure that drives the live state must vary by no more than its finding's
      mild cut-off over the window (10th to 90th percentile, so one odd frame does not count);
    - upright: the median trunk inclination (side view: torso_inclination_deg; front view:
      trunk_lean_deg) must lie within the mild cut-off (10 deg, 2 deg) either way. Either way,
      because the baseline is subtracted from every later reading: a reclined baseline would
      make sitting straight read as leaning forward.
    """

    for key in live_keys(view_kind == "side"):
        th = thresholds[key]
        for name in th.measures:
            if values := series.get(name):
                p10, p90 = (float(x) for x in np.percentile(values, [10, 90]))
                if p90 - p10 > th.mild:
                    raise CalibrationError(f"calibration refused: not still ({_named(name)} varied by {p90 - p10:.1f}°, "
                                           f"more than {th.mild:g}°); sit upright and still, and try again")
    th = thresholds[UPRIGHT_KEYS[view_kind]]
    for name in th.measures:
        if values := series.get(name):
            median = float(np.median(values))
            if abs(median) > th.mild:
                raise CalibrationError(f"calibration refused: not upright ({_named(name)} {median:+.1f}°, beyond the "
                                       f"{th.mild:g}° screening cut-off); sit upright and still, and try again")


@dataclass
class CalibrationWindow:
    """What the frames of one calibration showed: each measure's readings and the kind of
    view on the frames with the user in view."""

    series: dict[str, list[float]] = field(default_factory=dict)
    views: set[str] = field(default_factory=set)
    seen: int = 0  # frames with the user in view

    def add(self, view_kind: str, values: dict[str, float | None]) -> None:
        """One frame with the user in view: its kind of view and its readings."""
        self.seen += 1
        self.views.add(view_kind)
        for n, v in values.items():
            if v is not None:
                self.series.setdefault(n, []).append(v)

    def baseline(self, user: str, frames: int, thresholds: dict[str, Threshold]) -> Baseline:
        """The baseline (each measure's median) from a window of `frames` frames, or the
        reason it is refused: nobody seen, in view for under half the frames, turned, or
        not upright and still (`check_calibration`)."""
        if not self.series:
            raise NoPersonError("calibration failed: no person seen; sit in view of the camera and try again")
        if self.seen < frames / 2:
            raise CalibrationError(f"calibration refused: you were in view in only {self.seen} of {frames} frames; "
                                   "stay in view, upright and still, and try again")
        if len(self.views) > 1:
            raise CalibrationError("calibration refused: you turned during calibration (seen from the side and from the "
                                   "front); face one way, upright and still, and try again")
        (view_kind,) = self.views
        check_calibration(view_kind, self.series, thresholds)
        return Baseline(user, view_kind, {n: float(np.median(v)) for n, v in self.series.items()})
