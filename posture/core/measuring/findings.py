"""Findings: measures against a documented threshold table, with severity and plain words.

How sure a finding is comes from the value and its ± (read as a normal SD): the chance that
the true value is past a cut-off. A level is *likely* when that chance is at least
`LIKELY_AT` (80 %: the value clears the cut-off by 0.84 u) and *possible* from
`POSSIBLE_AT` (50 %: the value is past the cut-off, but within 0.84 u of it). Likely
findings are the findings; possible ones are kept apart (`Assessment.possible_findings`),
shown as such and never put in a client's handout. A measure with no uncertainty (None or
0: too few readings to know the error) raises nothing. Wording is "likely" / "possibly" /
"consider"; the severity is stated once (in `Finding.severity`, not in the words), and the
report says once that these are screening aids, not a diagnosis.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from enum import IntEnum
from importlib import resources
from pathlib import Path
from statistics import NormalDist
from typing import Any

from posture.core.errors import ConfigError

from .formatting import amount, signed_words
from .measures import MEASURES, Measure

#: Chance that the true value is past a cut-off for a "likely" finding, and for a "possible" one.
LIKELY_AT = 0.8
POSSIBLE_AT = 0.5
#: A change between two readings, or two views reading opposite sides, counts beyond this
#: many SDs of their combined uncertainty (about 95 %: `posture.core.compare`, the summary).
FINDING_MARGIN_SIGMAS = 2.0


def _z(probability: float) -> float:
    """How many SDs past a cut-off a reading must be for the truth to be past it with this chance."""
    return NormalDist().inv_cdf(probability)

#: Findings that earlier versions raised and why they are gone (an old thresholds file that
#: still names one gets this reason instead of "unknown").
REMOVED_THRESHOLDS: dict[str, str] = {
    "rounded_shoulders": "rounded shoulders are not measurable from BlazePose landmarks (no C7, acromion or "
    "thoracic point); the shoulder's plumb-line offset is reported as a measure without a finding",
}


class Severity(IntEnum):
    NONE = 0
    MILD = 1
    MODERATE = 2
    MARKED = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Threshold:
    key: str
    measures: tuple[str, ...]
    mild: float
    moderate: float
    marked: float
    direction: str = "both"  # "both" (|value|), "above" (value), "below" (value under the cut-offs)
    source: str = ""
    #: What a neutral posture reads with these landmarks (thresholds.toml `neutral`): 0 unless
    #: the landmarks offset it (the neck on the trunk reads about +15 deg with BlazePose's shoulder).
    neutral: float = 0.0

    def for_deviation(self) -> Threshold:
        """The bands for a deviation from the person's own calibrated upright: the cut-offs less
        the neutral reading (the neck's 25/35/45 deg become RULA's own 10/20/30), since the
        baseline already holds whatever offset the landmarks have."""
        n = self.neutral
        return replace(self, mild=self.mild - n, moderate=self.moderate - n, marked=self.marked - n, neutral=0.0)

    def cut_offs(self) -> tuple[tuple[Severity, float], ...]:
        return ((Severity.MILD, self.mild), (Severity.MODERATE, self.moderate), (Severity.MARKED, self.marked))

    def severity(self, value: float, uncertainty: float, probability: float = LIKELY_AT) -> Severity:
        """Highest level whose cut-off the true value is past with at least `probability`,
        reading `uncertainty` as a normal SD (the value clears the cut-off by z x u)."""
        margin = _z(probability) * uncertainty
        level = Severity.NONE
        for sev, cut in self.cut_offs():
            if self._past(value, cut, margin):
                level = sev
        return level

    def _past(self, value: float, cut: float, margin: float) -> bool:
        if self.direction == "below":
            return value < cut - margin
        if self.direction == "above":
            return value > cut + margin
        return abs(value) > cut + margin

    def likely_from(self, uncertainty: float) -> tuple[tuple[Severity, float], ...]:
        """Where a reading with this ± becomes a likely finding of each level: the cut-off moved
        by 0.84 u (toward bad values; in size for two-sided measures)."""
        margin = _z(LIKELY_AT) * uncertainty
        return tuple((sev, cut - margin if self.direction == "below" else cut + margin) for sev, cut in self.cut_offs())


@dataclass(frozen=True)
class Finding:
    id: str
    severity: Severity
    title: str
    detail: str
    measures: tuple[str, ...]
    areas: tuple[str, ...] = field(default=())
    #: False: only possible (the truth is past the cut-off with 50-80 % chance), shown apart.
    likely: bool = True

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "severity": self.severity.label,
            "title": self.title,
            "detail": self.detail,
            "measures": list(self.measures),
            "likelihood": "likely" if self.likely else "possible",
        }


DEFAULT_THRESHOLDS_RESOURCE = "thresholds.toml"


def load_thresholds(path: str | Path | None = None) -> dict[str, Threshold]:
    """The packaged defaults, with any tables/keys from `path` laid over them."""
    try:
        text = resources.files("posture.core.measuring").joinpath(DEFAULT_THRESHOLDS_RESOURCE).read_text(encoding="utf-8")
        data: dict[str, Any] = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:  # pragma: no cover - packaging error
        raise ConfigError(f"default thresholds could not be read: {exc}") from None
    if path is not None:
        try:
            override = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such thresholds file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML ({exc})") from None
        for key, table in override.items():
            if key in REMOVED_THRESHOLDS:
                raise ConfigError(f"{path}: [{key}] is no longer a finding: {REMOVED_THRESHOLDS[key]}")
            if key not in data:
                raise ConfigError(f"{path}: unknown threshold [{key}] (known: {', '.join(sorted(data))})")
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: [{key}] must be a table")
            data[key] = {**data[key], **table}
    return {key: _parse_threshold(key, table, path) for key, table in data.items()}


def _parse_threshold(key: str, table: dict[str, Any], path: str | Path | None) -> Threshold:
    where = f"{path or 'default thresholds'}: [{key}]"
    names = MEASURES.graded_by(key)
    if not names:
        raise ConfigError(f"{where}: no measure raises this finding (see posture/core/measuring/measures.py)")
    # The measure a finding reads is declared with the measure; a file may still name it (older
    # thresholds files did), but only as what the table says.
    named = table.get("measures") or ([table["measure"]] if "measure" in table else None)
    if named is not None and tuple(named) != names:
        raise ConfigError(f"{where}: reads {', '.join(names)}, not {named} (the measure a finding reads is fixed)")
    try:
        mild, moderate, marked = (float(table[k]) for k in ("mild", "moderate", "marked"))
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"{where}: mild, moderate and marked must be numbers") from None
    direction = str(table.get("direction", "both"))
    if direction not in ("both", "above", "below"):
        raise ConfigError(f"{where}: direction must be both, above or below")
    ordered = (mild > moderate > marked) if direction == "below" else (mild < moderate < marked)
    if not ordered:
        raise ConfigError(f"{where}: cut-offs must get stricter from mild to moderate to marked")
    try:
        neutral = float(table.get("neutral", 0.0))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: neutral must be a number") from None
    return Threshold(key, tuple(names), mild, moderate, marked, direction, str(table.get("source", "")).strip(), neutral)


# --- wording -----------------------------------------------------------------------------

#: The shoulder girdle's muscles in Janda's upper-crossed pattern (Kendall, Muscles: Testing and
#: Function), named even though rounding itself is not measured here. Each measure's own
#: areas are declared with it (`MeasureSpec.grading`).
UPPER_CROSSED_GIRDLE: tuple[str, ...] = (
    "pectoralis major and minor (often short)", "lower and middle trapezius (often weak)",
    "rhomboids (often weak)", "serratus anterior (often weak)",
)


def areas_for(finding_id: str) -> tuple[str, ...]:
    """Muscle groups to consider for a finding id (e.g. ``knee_valgus_left``, ``upper_crossed``)."""
    spec = MEASURES.graded_for("forward_head" if finding_id == "upper_crossed" else finding_id)
    areas = spec.grading.areas if spec is not None and spec.grading is not None else ()
    return areas + UPPER_CROSSED_GIRDLE if finding_id == "upper_crossed" else areas


def _describe(m: Measure) -> tuple[str, str]:
    """Title and detail in plain words, from the measure's declared grading. Neither names the
    severity: `Finding.severity` does, and every view of a finding (CLI, app, report) shows it
    once beside the title."""
    grading = MEASURES[m.name].grading
    assert grading is not None and m.value is not None
    side, other = grading.sides if m.value > 0 else grading.sides[::-1]
    fields = {"side": side, "other": other, "by": amount(m.value, m.unit, m.uncertainty),
              "reading": signed_words(m.name, m.value, m.unit, m.uncertainty)}
    return grading.title.format(**fields), grading.detail.format(**fields)


def evaluate(measures: dict[str, Measure], thresholds: dict[str, Threshold]) -> list[Finding]:
    """The likely findings: every threshold whose measure is past a cut-off with at least
    `LIKELY_AT` chance, most severe first (possible ones: `evaluate_possible`).

    A measure without an uncertainty, or with an uncertainty of 0, raises nothing: its
    error is unknown, so no chance can be stated."""
    findings = _graded(measures, thresholds, LIKELY_AT)
    _add_upper_crossed(findings)
    findings.sort(key=lambda f: -int(f.severity))
    return findings


def evaluate_possible(measures: dict[str, Measure], thresholds: dict[str, Threshold]) -> list[Finding]:
    """Possible findings: past a cut-off with 50-80 % chance, for a level above any likely
    finding of the same measure. Titles say "possibly"; they are never findings."""
    likely = {(f.id, f.severity) for f in _graded(measures, thresholds, LIKELY_AT)}
    top = {fid: max((s for i, s in likely if i == fid), default=Severity.NONE) for fid, _ in likely}
    out = [replace(f, likely=False, title=f.title.replace("Likely", "Possible").replace("likely", "possibly"))
           for f in _graded(measures, thresholds, POSSIBLE_AT) if f.severity > top.get(f.id, Severity.NONE)]
    return sorted(out, key=lambda f: -int(f.severity))


def _graded(measures: dict[str, Measure], thresholds: dict[str, Threshold], probability: float) -> list[Finding]:
    findings: list[Finding] = []
    for key, th in thresholds.items():
        for name in th.measures:
            m = measures.get(name)
            if m is None or m.value is None or m.uncertainty is None or not m.uncertainty > 0.0:
                continue
            sev = th.severity(m.value, m.uncertainty, probability)
            if sev is Severity.NONE:
                continue
            title, detail = _describe(m)
            findings.append(
                Finding(
                    id=key if len(th.measures) == 1 else f"{key}_{name.split('_')[0]}",
                    severity=sev,
                    title=title,
                    detail=detail,
                    measures=(name,),
                    areas=areas_for(key),
                )
            )
    return findings


def _add_upper_crossed(findings: list[Finding]) -> None:
    """Forward head with a forward-flexed trunk: consistent with Janda's upper-crossed pattern.

    Only forward flexion counts (the torso finding is graded forward only), so a reclined
    trunk with the head brought forward never builds it."""
    ids = {f.id: f for f in findings}
    if "forward_head" in ids and "torso_flexion" in ids:
        parts = [ids["forward_head"], ids["torso_flexion"]]
        sev = Severity(min(int(p.severity) for p in parts))
        findings.append(
            Finding(
                id="upper_crossed",
                severity=sev,
                title="Pattern consistent with upper-crossed syndrome",
                detail="Forward head together with a forward-flexed trunk. Consider the classic "
                "upper-crossed muscle pattern; shoulder rounding itself is not measured from these landmarks.",
                measures=tuple(m for p in parts for m in p.measures),
                areas=areas_for("upper_crossed"),
            )
        )
