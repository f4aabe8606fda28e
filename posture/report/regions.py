"""Findings of a session merged across its photos and grouped by body region.

A front and a back photo both measure the shoulder line: the therapist reads one
"uneven shoulders" finding with what each view saw, and is told when the views disagree.
Areas to consider stay with the finding that names them, each muscle listed once in the
whole summary. Pure: no I/O, no drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from posture.core.assessment import Assessment
from posture.core.measuring.findings import FINDING_MARGIN_SIGMAS, Finding, Severity
from posture.core.measuring.formatting import label, measure_text
from posture.core.measuring.measures import MEASURES, REGIONS

#: Patterns that span measures belong to a region of their own choosing: Janda's
#: upper-crossed pattern is about the shoulder girdle as much as the head.
_PATTERN_REGION = {"upper_crossed": "shoulders"}


def region_of(finding_id: str) -> str:
    """The region a finding belongs to ("knee_valgus_left" -> "knees"); "other" if unknown."""
    if finding_id in _PATTERN_REGION:
        return _PATTERN_REGION[finding_id]
    spec = MEASURES.graded_for(finding_id)
    return (spec.region if spec is not None else None) or "other"


@dataclass(frozen=True)
class ViewReading:
    """What one photo read for a finding's measure, in words."""

    photo: int  # 1-based, as the summary numbers its photos
    view: str  # "front", "back", "left", "right"
    reading: str  # "left higher by 3.1° ± 0.4°", or "not measured: ..."
    raised: bool  # this photo raised the finding


@dataclass(frozen=True)
class MergedFinding:
    """One problem, however many photos show it. The severity is the highest any photo
    raised; `agreement` says in words where the views differ ("" when they do not)."""

    id: str
    region: str
    severity: Severity
    title: str
    detail: str
    readings: tuple[ViewReading, ...]
    agreement: str
    areas: tuple[str, ...]


@dataclass(frozen=True)
class RegionGroup:
    region: str
    findings: tuple[MergedFinding, ...]
    #: For a region without findings: "nothing beyond the screening cut-offs" or "not assessed: ...".
    status: str = ""


def _views(names: Sequence[str]) -> str:
    """"front view", "front and back views"."""
    if len(names) == 1:
        return f"{names[0]} view"
    return ", ".join(names[:-1]) + f" and {names[-1]} views"


def _sign_of(a: Assessment, f: Finding) -> float | None:
    """The sign of a one-measure finding's reading where the sign names a side or a direction
    (left/right higher, valgus/varus): +1 or -1; None otherwise."""
    if len(f.measures) != 1:
        return None
    spec, m = MEASURES.get(f.measures[0]), a.measures.get(f.measures[0])
    if spec is None or not spec.sided or m is None or m.value is None or m.value == 0:
        return None
    return 1.0 if m.value > 0 else -1.0


def _merge_one(fid: str, hits: list[tuple[int, Assessment, Finding]],
               assessments: Sequence[Assessment]) -> MergedFinding:
    top = max(hits, key=lambda h: int(h[2].severity))[2]
    raised_at = {i for i, _, _ in hits}
    names = top.measures
    readings: list[ViewReading] = []
    others: list[tuple[int, Assessment, str]] = []  # photos that measured it without raising it
    for i, a in enumerate(assessments):
        ms = [a.measures[n] for n in names if n in a.measures and a.measures[n].relevant]
        if not ms:
            continue
        text = "; ".join((f"{label(m.name)}: " if len(names) > 1 else "") + measure_text(m) for m in ms)
        readings.append(ViewReading(i + 1, a.view.name.value, text, i in raised_at))
        if i not in raised_at and all(m.value is not None for m in ms):
            others.append((i, a, text))
    notes: list[str] = []
    title = top.title
    sides = {_sign_of(a, f) for _, a, f in hits} - {None}
    if len(sides) > 1:
        # Two photos raised it on opposite sides: neither side is claimed.
        which = "; ".join(f"{a.view.name.value} view: {f.title.split(':')[-1].strip()}" for _, a, f in hits)
        title = f"{title.split(':')[0]}: the views disagree on the side"
        notes.append(f"The views disagree ({which}). Check by palpation or retake the photos.")
    top_value = next((a.measures[names[0]].value for _, a, f in hits if f is top), None)
    for _, a, text in others:
        m = a.measures[names[0]]
        assert m.value is not None
        opposite = (len(names) == 1 and MEASURES[names[0]].sided and top_value is not None
                    and m.value * top_value < 0 and abs(m.value) > FINDING_MARGIN_SIGMAS * (m.uncertainty or 0.0))
        if opposite:
            notes.append(f"The {a.view.name.value} view reads the other way ({text}): the views disagree; "
                         "check by palpation or retake.")
        else:
            notes.append(f"Not confirmed by the {a.view.name.value} view ({text}: within the screening range).")
    return MergedFinding(fid, region_of(fid), top.severity, title, top.detail, tuple(readings), " ".join(notes),
                         top.areas)


def _area_key(area: str) -> str:
    """"upper trapezius (high side)" and "Upper trapezius" are the same muscle."""
    return area.split(" (")[0].strip().lower()


def merge(assessments: Sequence[Assessment]) -> list[RegionGroup]:
    """Every region in order (head and neck, shoulders, trunk, pelvis, knees, then any
    other), each with its findings merged across photos, most severe first, and each area
    to consider listed once: under the first finding, in reading order, that names it."""
    by_id: dict[str, list[tuple[int, Assessment, Finding]]] = {}
    for i, a in enumerate(assessments):
        for f in a.findings:
            if f.severity >= Severity.MILD:
                by_id.setdefault(f.id, []).append((i, a, f))
    merged = [_merge_one(fid, hits, assessments) for fid, hits in by_id.items()]
    regions = list(REGIONS) + sorted({m.region for m in merged} - set(REGIONS))
    seen: set[str] = set()
    groups: list[RegionGroup] = []
    for region in regions:
        here = sorted((m for m in merged if m.region == region), key=lambda m: -int(m.severity))
        out: list[MergedFinding] = []
        for m in here:
            fresh = tuple(x for x in m.areas if _area_key(x) not in seen)
            seen.update(_area_key(x) for x in fresh)
            out.append(MergedFinding(m.id, m.region, m.severity, m.title, m.detail, m.readings, m.agreement, fresh))
        status = ""
        if not out:
            measured = [a.view.name.value for a in assessments
                        if any(a.measures.get(n) is not None and a.measures[n].value is not None
                               for n in MEASURES.in_region(region))]
            status = (f"nothing beyond the screening cut-offs ({_views(list(dict.fromkeys(measured)))})" if measured
                      else "not assessed: no photo measured it")
        groups.append(RegionGroup(region, tuple(out), status))
    return groups


def findings_count(groups: Sequence[RegionGroup]) -> int:
    return sum(len(g.findings) for g in groups)
