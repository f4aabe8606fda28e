"""The summary's words shared by its Markdown, HTML and PDF: the fixed texts (title,
disclaimer, limits) and the plain-text pieces each format lays out its own way (facts,
pain, photo set-up, camera level, finding views).

Nothing here is escaped: a piece that holds user text says so, and each writer escapes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from posture.core.assessment import Assessment
from posture.core.intake import Intake
from posture.core.measuring.findings import Threshold
from posture.core.measuring.formatting import label, measure_rows, measure_text, signed_words, unit_symbol
from posture.core.measuring.gates import withheld_by_setup
from posture.core.measuring.measures import MEASURES
from posture.core.pair import first_front_and_back, fuse
from posture.report.regions import MergedFinding, RegionGroup
from posture.report.summary import Summary

TITLE = "Pre-session posture summary"

#: Said once in every summary, at the top.
DISCLAIMER = (
    "Screening aid, not a diagnosis. Measures come from a pose-estimation model "
    "(MediaPipe BlazePose) applied to photos; they are proxies for clinical landmarks and "
    "depend on camera position, clothing and stance. Confirm any finding by examination."
)

LIMITS = (
    "BlazePose has no C7, tragus, acromion or ASIS: angles use its ear, shoulder (joint centre) "
    "and hip (joint centre) points, so they read differently from clinical photogrammetry.",
    "Angles are taken against gravity: the camera's roll and pitch are measured from vertical lines in the "
    "scene (shown in yellow on the photo) and removed, and left-right lines are corrected for how the body "
    "is turned. Where the scene has no reliable verticals the camera level is unknown and the ± widens.",
    "The ± figure (1 SD) combines the repeatability over 14 slightly rotated, rescaled and mirrored copies "
    "of the photo, the camera's roll and pitch, the body's turn, where BlazePose places each landmark and, "
    "for centimetres, body proportions. It does not cover clothing, the client's sway or the offset between "
    "BlazePose's points and anatomical landmarks. A finding is likely when its value clears the cut-off by "
    "0.84 × its ± (an 80 % chance that the true value is past it, reading the ± as a normal SD); past the "
    "cut-off but short of that it is only possible, and listed apart.",
    "The cut-offs are screening values adapted to these landmark proxies; under each photo, \"Likely findings "
    "would start\" gives the values at which that photo would have raised each level.",
)

NO_FINDINGS = "No imbalance is likely past its screening cut-off."
POSSIBLE_HEADING = "Possible findings (past a cut-off, but not beyond their ±: not findings, not in the handout)"
NOT_RECORDED = "not recorded"
NO_MEASURES = "No measure was taken from this photo: see its set-up."
NOTHING_MEASURED = "No measure could be taken from these photos: see the photo set-up."
NO_INTAKE = "No intake answers recorded."


def facts(summary: Summary) -> list[tuple[str, str]]:
    """The header: (label, value) for client, date, age and height. The client's name is
    user text: escape it where it is shown."""
    age = summary.age
    return [
        ("Client", summary.client or NOT_RECORDED),
        ("Date", f"{summary.created:%Y-%m-%d %H:%M}"),
        ("Age", NOT_RECORDED if age is None else f"{age}"),
        ("Height", NOT_RECORDED if summary.height_cm is None else f"{summary.height_cm:.0f} cm"),
    ]


def pain_text(area: str, level: int | None) -> str:
    """"neck 6/10", or "neck (not rated)": an area ticked without a level is not a level."""
    return f"{area} (not rated)" if level is None else f"{area} {level}/10"


def pain_worst_first(pain: dict[str, int | None]) -> list[tuple[str, int | None]]:
    """Worst first; areas without a level last."""
    return sorted(pain.items(), key=lambda kv: -1 if kv[1] is None else -kv[1])


def intake_answers(it: Intake) -> list[tuple[str, str]]:
    """(label, user text) for each answered intake question, pain excluded."""
    return [(k, v) for k, v in (("Duration", it.duration), ("Recent activities", it.activities),
                                ("Work set-up", it.work_setup), ("Notes", it.notes)) if v]


def photo_label(a: Assessment, i: int) -> str:
    return f"Photo {i + 1}: {a.view.name.value} view, {a.view.posture.value}"


def setup_status(a: Assessment) -> str:
    """"ok", "caution", "retake", or "not recorded" for records made before set-up checks."""
    return a.setup.status.value if a.setup else NOT_RECORDED


def camera_text(a: Assessment) -> str:
    """How the photo was levelled, briefly."""
    if a.setup is None:
        return "camera level not recorded"
    cam = a.setup.camera
    if cam.status == "stated":
        return "camera level stated by the therapist"
    if not cam.known or cam.roll_deg is None:
        return cam.unknown_text
    source = "the device's motion sensor" if cam.status == "device" else "the scene"
    return f"camera levelled from {source} (roll {cam.roll_text()})"


def setup_headline(a: Assessment) -> str:
    """The set-up's status in a line; for a retake, exactly which of the photo's measures its
    failed checks withhold (`gates.withheld_by_setup`, the gate's own list)."""
    if a.setup is None:
        return f"Photo set-up: {NOT_RECORDED}"
    status = a.setup.status.value
    if status == "ok":
        return "Photo set-up: ok"
    if status == "caution":
        return "Photo set-up: caution — read the notes below"
    withheld = withheld_by_setup(a.setup, a.measures)
    meant = [n for n, m in a.measures.items() if m.relevant]
    if not withheld:
        return "Photo set-up: retake — none of this photo's measures is withheld by it; read the notes below"
    if len(withheld) == len(meant):
        return "Photo set-up: retake — every measure of this photo is withheld"
    return "Photo set-up: retake — withheld: " + ", ".join(MEASURES[n].label.lower() for n in withheld)


def setup_lines(a: Assessment) -> list[str]:
    """The photo's set-up in words: the headline, then each check that is not ok (what was
    seen and the fix). Empty for records made before set-up checks existed."""
    if a.setup is None:
        return []
    out = [setup_headline(a)]
    for c in a.setup.checks:
        if c.status.value != "ok":
            out.append(f"{c.status.value}: {c.label.lower()}: {c.reading}" + (f" ({c.advice})" if c.advice else ""))
    return out


@dataclass(frozen=True)
class SetupRow:
    photo: str  # "Photo 1: front view, standing"
    status: str  # "ok", "caution", "retake", "not recorded"
    notes: str  # the camera, then each check that is not ok with its fix


def setup_rows(summary: Summary) -> list[SetupRow]:
    """The first page's set-up table: per photo, its status, how it was levelled and what
    each check that is not ok saw (the fixes are with the photo, further on)."""
    rows = []
    for i, a in enumerate(summary.assessments):
        notes = [camera_text(a)]
        if a.setup is not None:
            camera_unknown = a.setup.camera.status == "unknown"
            notes += [f"{c.label.lower()}: {c.reading}" for c in a.setup.checks if c.status.value != "ok"
                      # "camera level unknown" is already said once
                      and not (camera_unknown and "unknown" in c.reading)]
        if a.view.contradiction:
            notes.append(f"the chosen view contradicts the photo: {a.view.contradiction}")
        rows.append(SetupRow(photo_label(a, i), setup_status(a), "; ".join(notes)))
    return rows


def measured_names(summary: Summary) -> list[str]:
    """Measures shown in any photo's table, in table order (for the glossary)."""
    seen: dict[str, None] = {}
    for a in summary.assessments:
        for r in measure_rows(a.measures):
            seen.setdefault(r.name, None)
    return list(seen)


def photo_no_findings_text(a: Assessment) -> str:
    """What one photo says when it raised no finding: nothing it read cleared a cut-off, or it
    read nothing (every measure withheld), which is no sign of balance."""
    return NO_FINDINGS if a.read_any else NO_MEASURES


def no_findings_text(groups: list[RegionGroup]) -> str:
    """Why the findings are empty: nothing cleared its threshold, or nothing was measured."""
    measured = any(not g.status.startswith("not assessed") for g in groups)
    return NO_FINDINGS if measured else NOTHING_MEASURED


def views_text(m: MergedFinding) -> str:
    """"Views: front — left higher by 5.0° ± 0.3°; back — ...", for a finding seen in more than one photo."""
    return "Views: " + "; ".join(f"{r.view} — {r.reading}" for r in m.readings)


def capitalised(text: str) -> str:
    """The first letter upper case, the rest as written ("head and neck" -> "Head and neck")."""
    return text[0].upper() + text[1:]


#: Neutral: under it the pair is either fused (the lines say what cancelled) or not, and why.
PAIR_HEADING = "Front and back photos together"


def pair_lines(summary: Summary) -> list[str]:
    """The first front and back photos of the session fused (`core/pair.py`), a line a measure,
    or why they could not be; [] without both views."""
    found = first_front_and_back(summary.assessments)
    if found is None:
        return []
    pair = fuse(summary.assessments[found[0]], summary.assessments[found[1]], summary.camera_turn_deg)
    if pair.problem is not None:
        return [f"Not fused: {pair.problem}."]
    lines = []
    for name, v in pair.values.items():
        if v.value is None or v.uncertainty is None or v.setup_error is None:
            lines.append(f"{label(name)}: not fused ({v.reason})")
            continue
        error = signed_words(name, v.setup_error, v.unit)
        lines.append(f"{label(name)}: {signed_words(name, v.value, v.unit, v.uncertainty)} "
                     f"(camera and perspective put {error} into each photo; it cancels between the two)")
    if summary.camera_turn_deg is None:
        lines.append("Assumes the camera stayed put while the client turned round in place, feet as before.")
    else:
        lines.append(f"The backgrounds line up: the camera turned {abs(summary.camera_turn_deg):.1f}° between the "
                     "photos, taken out.")
    return lines


def possible_lines(summary: Summary) -> list[str]:
    """Each photo's possible findings, one line each, with the reading they rest on."""
    out = []
    for i, a in enumerate(summary.assessments):
        for f in a.possible_findings:
            m = a.measures.get(f.measures[0])
            reading = "" if m is None else f": {measure_text(m)}"
            out.append(f"{photo_label(a, i)}: {f.title} ({f.severity.label}){reading}")
    return out


def likely_from_lines(a: Assessment, thresholds: Mapping[str, Threshold]) -> list[str]:
    """Per graded measure of a photo: the values at which, with this photo's ±, it would have
    been a likely finding of each level ("Shoulder tilt: mild from 3.3°, moderate from 4.8°,
    marked from 6.8° either way (± 0.5°)")."""
    out = []
    for name, m in a.measures.items():
        spec = MEASURES.get(name)
        if spec is None or spec.grading is None or m.value is None or not m.uncertainty:
            continue
        th = thresholds.get(spec.grading.key)
        if th is None:
            continue
        unit = unit_symbol(m.unit)
        levels = ", ".join(f"{sev.label} {'below' if th.direction == 'below' else 'from'} {v:.1f}{unit}"
                           for sev, v in th.likely_from(m.uncertainty))
        way = " either way" if th.direction == "both" else ""
        out.append(f"{label(name)}: {levels}{way} (± {m.uncertainty:.1f}{unit})")
    return out

