"""The pre-session summary for the therapist: Markdown, self-contained HTML and PDF.

One page first: who and when (client, date, age, height), the intake at a glance with a
body chart of the pain areas, the set-up quality of each photo, then the findings merged
across the photos and grouped by body region (`regions.py`), each with the areas to
consider. Then each photo, annotated, with its measures in plain words; then what the
measures mean and the limits of the method. "Screening aid, not a diagnosis" is said once.

No maths here: everything comes from Assessments, and every value is written by the one
formatter (`posture.core.measuring.formatting`). Any text a user typed (client name, intake answers)
is escaped: HTML-escaped in HTML, stripped of Markdown/HTML meaning in Markdown, drawn as
plain text in the PDF.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from posture.core.assessment import Assessment
from posture.core.measuring.findings import Finding, Severity
from posture.core.measuring.formatting import MeasureRow, definition, label, measure_rows
from posture.report import bodychart
from posture.report.regions import RegionGroup, merge

if TYPE_CHECKING:  # pragma: no cover
    from fpdf import FPDF

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
    "BlazePose's points and anatomical landmarks. A finding needs to clear its cut-off by twice the ±.",
    "Thresholds are screening cut-offs mapped to this landmark proxy (see thresholds.toml).",
)

PAIN_AREAS = (
    "neck", "upper back", "lower back", "shoulders", "hips", "knees", "jaw/TMJ", "headaches",
    "wrists/hands", "calves", "feet", "other",
)

NO_FINDINGS = "No imbalance cleared its screening threshold by more than its uncertainty."
NOT_RECORDED = "not recorded"
NO_MEASURES = "No measure was taken from this photo: see its set-up."
NOTHING_MEASURED = "No measure could be taken from these photos: see the photo set-up."


@dataclass(frozen=True)
class Intake:
    """Optional intake answers; every text field is user text and is escaped on output."""

    pain: dict[str, int | None] = field(default_factory=dict)  # area -> 0..10, None: not rated
    duration: str = ""
    activities: str = ""
    work_setup: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        for area, level in self.pain.items():
            if level is not None and not 0 <= int(level) <= 10:
                raise ValueError(f"pain level for {area} must be 0-10, got {level}")

    @property
    def empty(self) -> bool:
        return not (self.pain or self.duration or self.activities or self.work_setup or self.notes)

    def to_dict(self) -> dict[str, object]:
        return {
            "pain": dict(self.pain),
            "duration": self.duration,
            "activities": self.activities,
            "work_setup": self.work_setup,
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Intake:
        pain = data.get("pain") or {}
        if not isinstance(pain, dict):
            raise ValueError("intake 'pain' must map areas to levels 0-10")
        return cls(
            pain={str(k): None if v is None else int(v) for k, v in pain.items()},
            duration=str(data.get("duration", "")),
            activities=str(data.get("activities", "")),
            work_setup=str(data.get("work_setup", "")),
            notes=str(data.get("notes", "")),
        )


@dataclass(frozen=True)
class Summary:
    """One session: several photos of the same client, with optional intake.

    `birth_date` (YYYY-MM-DD) and `height_cm` come from the client's record; the age is
    worked out on the session's date."""

    assessments: list[Assessment]
    client: str = ""
    intake: Intake = field(default_factory=Intake)
    annotated_jpegs: list[bytes | None] = field(default_factory=list)
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    changes_text: list[str] = field(default_factory=list)
    birth_date: str | None = None
    height_cm: float | None = None

    def ranked_findings(self) -> list[tuple[Finding, Assessment]]:
        """Every photo's findings, most severe first (unmerged: see `regions()`)."""
        pairs = [(f, a) for a in self.assessments for f in a.findings]
        return sorted(pairs, key=lambda p: -int(p[0].severity))

    def regions(self) -> list[RegionGroup]:
        """Findings merged across photos, grouped by region (head and neck ... knees)."""
        return merge(self.assessments)

    def areas(self) -> list[str]:
        """Every area to consider, each once, in the order the findings are read."""
        return [x for g in self.regions() for m in g.findings for x in m.areas]

    @property
    def age(self) -> int | None:
        """Whole years on the session's date; None without a readable date of birth."""
        try:
            born = dt.date.fromisoformat(self.birth_date or "")
        except ValueError:
            return None
        day = self.created.date()
        years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        return years if years >= 0 else None

    def facts(self) -> list[tuple[str, str]]:
        """The header: (label, value) for client, date, age and height. The client's name is
        user text: escape it where it is shown."""
        age = self.age
        return [
            ("Client", self.client or NOT_RECORDED),
            ("Date", f"{self.created:%Y-%m-%d %H:%M}"),
            ("Age", NOT_RECORDED if age is None else f"{age}"),
            ("Height", NOT_RECORDED if self.height_cm is None else f"{self.height_cm:.0f} cm"),
        ]

    def to_json(self) -> str:
        """The export: client pseudonym and date with the intake and every assessment."""
        return json.dumps({
            "client": self.client,
            "date": f"{self.created:%Y-%m-%d}",
            "created": self.created.isoformat(),
            "age": self.age,
            "height_cm": self.height_cm,
            "intake": self.intake.to_dict(),
            "assessments": [a.to_dict() for a in self.assessments],
        }, indent=2, ensure_ascii=False)


#: Letters NFKD does not take apart ("Ł" is not "L" + a mark).
_ASCII_LETTERS = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Þ": "Th",
                                "þ": "th", "ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "ı": "i"})


def download_name(client: str, when: dt.date | dt.datetime, ext: str, kind: str = "summary") -> str:
    """"Zofia-Lukasiewicz-2024-05-03-summary.pdf": the client's name reduced to ASCII letters,
    digits and hyphens (a name with none of them, e.g. in Chinese, becomes "client"), at
    most 40 characters; never a path, a hidden file or a character a file system refuses."""
    ascii_name = unicodedata.normalize("NFKD", client.translate(_ASCII_LETTERS)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-")[:40].strip("-") or "client"
    day = when.date() if isinstance(when, dt.datetime) else when
    return f"{slug}-{day:%Y-%m-%d}-{kind}.{ext.lstrip('.')}"


#: Every ASCII punctuation character: CommonMark lets a backslash make any of them literal,
#: which also disarms Streamlit's extensions (`:red[..]`, `$maths$`, `:emoji:`).
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")


def md_escape(text: str) -> str:
    """User text made inert in Markdown: shown exactly as typed, line breaks kept.

    The one rule for user text on a page or in a Markdown label (no HTML escaping here:
    `&#x27;` would show as such). Lines become hard breaks; leading spaces are written
    as character references so they never start a code block.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = []
    for line in lines:
        body = line.lstrip(" ")
        # An empty line would end the paragraph (and a list item): keep it as a visible blank line.
        out.append("&#32;" * max(len(line) - len(body), not line) + _MD_PUNCT.sub(r"\\\1", body))
    return "  \n".join(out)


def pain_text(area: str, level: int | None) -> str:
    """"neck 6/10", or "neck (not rated)": an area ticked without a level is not a level."""
    return f"{area} (not rated)" if level is None else f"{area} {level}/10"


def _by_pain(pain: dict[str, int | None]) -> list[tuple[str, int | None]]:
    """Worst first; areas without a level last."""
    return sorted(pain.items(), key=lambda kv: -1 if kv[1] is None else -kv[1])


def _intake_lines(it: Intake) -> list[tuple[str, str]]:
    """(label, user text) for each answered intake question, pain excluded."""
    return [(k, v) for k, v in (("Duration", it.duration), ("Recent activities", it.activities),
                                ("Work set-up", it.work_setup), ("Notes", it.notes)) if v]


def photo_label(a: Assessment, i: int) -> str:
    return f"Photo {i + 1}: {a.view.name.value} view, {a.view.posture.value}"


def camera_text(a: Assessment) -> str:
    """How the photo was levelled, briefly."""
    if a.setup is None:
        return "camera level not recorded"
    cam = a.setup.camera
    if cam.status == "stated":
        return "camera level stated by the therapist"
    if not cam.known or cam.roll_deg is None:
        return cam.unknown_text
    roll = f"{cam.roll_deg:+.1f}".replace("-", "−")
    return f"camera levelled from the scene (roll {roll}° ± {cam.roll_sd_deg or 0.0:.1f}°)"


def setup_lines(a: Assessment) -> list[str]:
    """The photo's set-up in words: the overall status, then each check that is not ok
    (what was seen and the fix). Empty for records made before set-up checks existed."""
    if a.setup is None:
        return []
    out = [f"Photo set-up: {a.setup.status.value}"]
    for c in a.setup.checks:
        if c.status.value != "ok":
            out.append(f"{c.status.value}: {c.label.lower()}: {c.reading}" + (f" (fix: {c.fix})" if c.fix else ""))
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
        rows.append(SetupRow(photo_label(a, i), a.setup.status.value if a.setup else NOT_RECORDED, "; ".join(notes)))
    return rows


def _measured_names(summary: Summary) -> list[str]:
    """Measures shown in any photo's table, in table order (for the glossary)."""
    seen: dict[str, None] = {}
    for a in summary.assessments:
        for r in measure_rows(a.measures):
            seen.setdefault(r.name, None)
    return list(seen)


def _no_findings(groups: list[RegionGroup]) -> str:
    measured = any(not g.status.startswith("not assessed") for g in groups)
    return NO_FINDINGS if measured else NOTHING_MEASURED


def _region_title(region: str) -> str:
    return region[0].upper() + region[1:]


# --- Markdown ------------------------------------------------------------------------------


def _md_first_page(summary: Summary, disclaimer: bool) -> list[str]:
    lines = [f"# {TITLE}", ""]
    lines.append("  \n".join(f"**{k}:** {md_escape(v) if k == 'Client' else v}" for k, v in summary.facts()))
    lines.append("")
    if disclaimer:
        head, rest = DISCLAIMER.split(". ", 1)
        lines += [f"> **{head}.** {rest}", ""]
    it = summary.intake
    lines += ["## Intake at a glance", ""]
    if it.empty:
        lines += ["No intake answers recorded.", ""]
    else:
        if it.pain:
            lines.append("- **Pain:** " + ", ".join(md_escape(pain_text(k, v)) for k, v in _by_pain(it.pain)))
        lines += [f"- **{k}:** {md_escape(v)}" for k, v in _intake_lines(it)]
        lines.append("")
    rows = setup_rows(summary)
    if rows:
        # A list, not a table: beside long notes a table squeezes the status to "cau/tio/n".
        lines += ["## Photo set-up", ""]
        lines += [f"- **{md_escape(r.photo)}**, set-up {r.status}: {md_escape(r.notes)}" for r in rows]
        lines.append("")
    lines += ["## Findings by region", ""]
    groups = summary.regions()
    if not any(g.findings for g in groups):
        lines += [_no_findings(groups), ""]
    for g in groups:
        lines += [f"### {_region_title(g.region)}", ""]
        if not g.findings:
            lines += [f"_{g.status[0].upper()}{g.status[1:]}._", ""]
            continue
        for m in g.findings:
            sub = [m.detail]
            if len(m.readings) > 1:
                sub.append("Views: " + "; ".join(f"{r.view} — {r.reading}" for r in m.readings))
            if m.agreement:
                sub.append(f"⚠ {m.agreement}")
            if m.areas:
                sub.append(f"Consider: {', '.join(m.areas)}")
            lines.append(f"- **{m.title}** · {m.severity.label}  ")
            lines.append("  " + "  \n  ".join(sub))
        lines.append("")
    if summary.changes_text:
        lines += ["## Change since last assessment", "", *[f"- {md_escape(t)}" for t in summary.changes_text], ""]
    return lines


def page_markdown(summary: Summary) -> str:
    """The first page for the app: without the disclaimer (the page shows it once) and
    without the photos (the page shows them above). The body chart is `chart_svg`."""
    return "\n".join(_md_first_page(summary, disclaimer=False))


def chart_svg(summary: Summary, width_px: int = 260) -> str:
    """The intake's body chart as SVG (empty string when no pain area was given)."""
    return bodychart.to_svg(bodychart.chart(summary.intake.pain), width_px) if summary.intake.pain else ""


def _md_table(rows: list[MeasureRow]) -> list[str]:
    return ["| measure | reading |", "|---|---|", *[f"| {r.label} | {r.reading.replace('|', '/')} |" for r in rows]]


def measures_markdown(a: Assessment) -> str:
    """A photo's measures for the app's page: a two-column Markdown table (plain name,
    reading in words) whose long reasons wrap instead of being cut off at tablet width.
    Cells are escaped, so nothing in them is read as Markdown."""
    rows = measure_rows(a.measures)
    if not rows:
        return NO_MEASURES
    cells = [MeasureRow(r.name, md_escape(r.label), md_escape(r.reading), r.measured, r.definition) for r in rows]
    return "\n".join(_md_table(cells))


def to_markdown(summary: Summary) -> str:
    lines = _md_first_page(summary, disclaimer=True)
    for i, a in enumerate(summary.assessments):
        lines += [f"## {photo_label(a, i)}", ""]
        if a.image.path:
            lines += [f"Image: {md_escape(a.image.path)} ({a.image.width}×{a.image.height}), view "
                      f"{a.view.source}, confidence {a.view.confidence:.2f}", ""]
        rows = measure_rows(a.measures)
        lines += [*_md_table(rows), ""] if rows else [NO_MEASURES, ""]
        notes = [*setup_lines(a)[1:], *map(md_escape, a.warnings)]  # set-up lines are our own words
        if notes:
            lines += [*[f"- ⚠ {w}" for w in notes], ""]
    names = _measured_names(summary)
    if names:
        lines += ["## What the measures mean", "", *[f"- **{label(n)}**: {definition(n)}" for n in names], ""]
    lines += ["## Limits of the method", "", *[f"- {t}" for t in LIMITS], ""]
    return "\n".join(lines)


# --- HTML ----------------------------------------------------------------------------------

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;max-width:1040px;
padding:16px;color:#1c1c1c;line-height:1.4}
h1{font-size:1.6em;margin:0 0 .3em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:4px;margin:1.4em 0 .6em}
h3{font-size:1.05em;margin:1em 0 .3em;color:#2b4a6f}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:4px 16px;margin:0 0 12px}
.facts div{border-left:3px solid #2b4a6f;padding-left:8px}.facts dt{font-size:.8em;color:#555}.facts dd{margin:0;font-weight:600}
.disclaimer{background:#fff7e0;border-left:4px solid #e0a800;padding:8px 12px;margin:8px 0}
.glance{display:grid;grid-template-columns:minmax(0,1fr) 280px;gap:16px;align-items:start}
.glance h2{margin-top:.6em}.chart{margin:0;text-align:center}.chart svg{max-width:100%;height:auto}
.chart figcaption{font-size:.85em;color:#555}
.sev{display:inline-block;min-width:5.5em;font-size:.8em;font-weight:600;border-radius:4px;padding:1px 6px;color:#fff;
text-align:center;margin-right:6px;vertical-align:1px}
.sev-marked{background:#b00020}.sev-moderate{background:#c44d00}.sev-mild{background:#8a7000}
ul{padding-left:1.2em}.findings{list-style:none;padding-left:0}.findings li{margin:0 0 .8em}
.findings p{margin:.2em 0 0}.views{font-size:.92em}.areas{font-size:.92em;color:#333}
.none{color:#666;font-style:italic;margin:.2em 0}
table{border-collapse:collapse;width:100%;font-size:.92em}td,th{border:1px solid #ddd;padding:4px 6px;text-align:left;
vertical-align:top;overflow-wrap:anywhere}th{background:#f3f3f3}
.na td:last-child{color:#6a6a6a}.st-ok{color:#1e7a34;font-weight:600}.st-caution{color:#9a6400;font-weight:600}
.st-retake{color:#b00020;font-weight:600}
.photo-grid{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);gap:16px;align-items:start}
.photo img{max-width:100%;height:auto;border:1px solid #ccc}
.warn{color:#8a5300}.user{white-space:pre-wrap;overflow-wrap:anywhere}
.setup td:nth-child(2),.setup th{white-space:nowrap;overflow-wrap:normal}.setup td:first-child{min-width:9em}
dl.defs dt{font-weight:600;margin-top:.4em}dl.defs dd{margin:0 0 0 1em;font-size:.92em}
@media (max-width:760px){.glance,.photo-grid{grid-template-columns:1fr}.chart{max-width:320px}}
@media print{body{max-width:none;padding:0;font-size:10pt}.photo{break-inside:avoid}h2,h3{break-after:avoid}
.first-photo{break-before:page}.findings li{break-inside:avoid}}
"""


def _html_findings(groups: list[RegionGroup]) -> list[str]:
    e = html.escape
    parts: list[str] = []
    if not any(g.findings for g in groups):
        parts.append(f"<p>{e(_no_findings(groups))}</p>")
    for g in groups:
        parts.append(f"<section class='region' data-region='{e(g.region)}'><h3>{e(_region_title(g.region))}</h3>")
        if not g.findings:
            parts.append(f"<p class='none'>{e(g.status[0].upper() + g.status[1:])}.</p>")
        else:
            parts.append("<ul class='findings'>")
            for m in g.findings:
                parts.append(f"<li class='finding' data-id='{e(m.id)}'><span class='sev sev-{m.severity.label}'>"
                             f"{m.severity.label}</span><b>{e(m.title)}</b><p>{e(m.detail)}</p>")
                if len(m.readings) > 1:
                    parts.append("<p class='views'>" + " · ".join(
                        f"<i>{e(r.view)} view:</i> {e(r.reading)}" for r in m.readings) + "</p>")
                if m.agreement:
                    parts.append(f"<p class='warn'>⚠ {e(m.agreement)}</p>")
                if m.areas:
                    parts.append(f"<p class='areas'><b>Consider:</b> {e(', '.join(m.areas))}</p>")
                parts.append("</li>")
            parts.append("</ul>")
        parts.append("</section>")
    return parts


def _html_measures(a: Assessment) -> str:
    e = html.escape
    if not measure_rows(a.measures):
        return f"<p class='none'>{e(NO_MEASURES)}</p>"
    rows = "".join(
        f"<tr{'' if r.measured else ' class=na'}><td title='{e(r.definition)}'>{e(r.label)}</td><td>{e(r.reading)}</td></tr>"
        for r in measure_rows(a.measures))
    return f"<table class='measures'><tr><th>measure</th><th>reading</th></tr>{rows}</table>"


def to_html(summary: Summary) -> str:
    e = html.escape
    head, rest = DISCLAIMER.split(". ", 1)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{TITLE}{(' — ' + e(summary.client)) if summary.client else ''}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{TITLE}</h1><dl class='facts'>",
        *[f"<div><dt>{k}</dt><dd class='user'>{e(v)}</dd></div>" for k, v in summary.facts()],
        "</dl></header>",
        f"<p class='disclaimer'><b>{e(head)}.</b> {e(rest)}</p>",
        "<section class='glance'><div class='intake'><h2>Intake at a glance</h2>",
    ]
    it = summary.intake
    if it.empty:
        parts.append("<p class='none'>No intake answers recorded.</p>")
    else:
        parts.append("<ul>")
        if it.pain:
            pains = ", ".join(f"{e(k)} <i>not rated</i>" if v is None else f"{e(k)} <b>{int(v)}/10</b>"
                              for k, v in _by_pain(it.pain))
            parts.append(f"<li><b>Pain:</b> {pains}</li>")
        parts += [f"<li><b>{k}:</b> <span class='user'>{e(v)}</span></li>" for k, v in _intake_lines(it)]
        parts.append("</ul>")
    parts.append("</div>")
    if it.pain:
        c = bodychart.chart(it.pain)
        off = ", ".join(pain_text(k, v) for k, v in c.unplaced)
        parts.append(f"<figure class='chart'>{bodychart.to_svg(c, 280)}<figcaption>Pain by area, 0–10"
                     + (f"; not on the chart: {e(off)}" if off else "") + "</figcaption></figure>")
    parts.append("</section>")
    rows = setup_rows(summary)
    if rows:
        parts.append("<h2>Photo set-up</h2><table class='setup'><tr><th>photo</th><th>set-up</th><th>notes</th></tr>")
        parts += [f"<tr><td>{e(r.photo)}</td><td class='st-{e(r.status)}'>{e(r.status)}</td><td>{e(r.notes)}</td></tr>"
                  for r in rows]
        parts.append("</table>")
    parts.append("<h2>Findings by region</h2>")
    parts += _html_findings(summary.regions())
    if summary.changes_text:
        parts.append("<h2>Change since last assessment</h2><ul>"
                     + "".join(f"<li>{e(t)}</li>" for t in summary.changes_text) + "</ul>")
    for i, a in enumerate(summary.assessments):
        parts.append(f"<section class='photo{' first-photo' if i == 0 else ''}'><h2>{e(photo_label(a, i))}</h2>"
                     "<div class='photo-grid'><div>")
        jpeg = summary.annotated_jpegs[i] if i < len(summary.annotated_jpegs) else None
        if jpeg:
            b64 = base64.b64encode(jpeg).decode("ascii")
            parts.append(f"<img alt='{e(photo_label(a, i))}, annotated' src='data:image/jpeg;base64,{b64}'>")
        parts.append(f"<p>View: {e(a.view.name.value)} ({e(a.view.source)}, confidence {a.view.confidence:.2f}), "
                     f"{e(a.view.posture.value)}. Set-up: {e(a.setup.status.value if a.setup else NOT_RECORDED)}; "
                     f"{e(camera_text(a))}.</p>")
        notes = [*setup_lines(a)[1:], *a.warnings]
        if notes:
            parts.append("<ul>" + "".join(f"<li class='warn'>{e(w)}</li>" for w in notes) + "</ul>")
        parts.append(f"</div>{_html_measures(a)}</div></section>")
    names = _measured_names(summary)
    if names:
        parts.append("<h2>What the measures mean</h2><dl class='defs'>"
                     + "".join(f"<dt>{e(label(n))}</dt><dd>{e(definition(n))}</dd>" for n in names) + "</dl>")
    parts.append("<h2>Limits of the method</h2><ul>" + "".join(f"<li>{e(t)}</li>" for t in LIMITS) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


#: Fonts shipped in posture/fonts (see its README for sources and licences).
_FONT_DIR = Path(__file__).with_name("fonts")
_MAIN_FONTS = (("dejavu", "", "DejaVuSans.ttf"), ("dejavu", "B", "DejaVuSans-Bold.ttf"))
#: Chinese and Japanese. Loading it costs about 0.5 s, so only documents that need it do.
_CJK_FONT = ("droid", "", "DroidSansFallbackFull.ttf")
#: Zero-width characters that change how the previous one is drawn (emoji presentation,
#: joiners): dropping one loses nothing visible, while a code point in its place would be noise.
_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF} | set(range(0xFE00, 0xFE10)) | set(range(0xE0100, 0xE01F0))


@functools.cache
def _charset(filename: str) -> frozenset[int]:
    """Every code point the font file can draw."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    with TTFont(_FONT_DIR / filename, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _main_charset() -> frozenset[int]:
    return _charset(_MAIN_FONTS[0][2]) | _charset(_MAIN_FONTS[1][2])


def _pdf_text(text: str) -> str:
    """User text as the embedded fonts can draw it: a character none of them has (Korean,
    most emoji...) becomes its code point, e.g. "[U+D55C]", visible and never a silent "?"."""
    main, cjk = _main_charset(), _charset(_CJK_FONT[2])
    out = []
    for ch in text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "):
        cp = ord(ch)
        if cp in main or cp in cjk or ch == "\n":
            out.append(ch)
        elif cp in _INVISIBLE:
            continue
        else:
            out.append(f"[U+{cp:04X}]")
    return "".join(out)


Paper = Literal["A4", "Letter"]
PAPERS: tuple[Paper, ...] = ("A4", "Letter")

_INK = (28, 28, 28)
_GREY = (105, 105, 105)
_ACCENT = (43, 74, 111)
_AMBER = (138, 83, 0)
_SEVERITY_RGB = {Severity.MARKED: (176, 0, 32), Severity.MODERATE: (196, 77, 0), Severity.MILD: (138, 112, 0)}
_SETUP_RGB = {"ok": (30, 122, 52), "caution": (154, 100, 0), "retake": (176, 0, 32)}


def to_pdf(summary: Summary, paper: Paper = "A4") -> bytes:
    """A print-ready PDF laid out like the HTML: the first page (who, intake at a glance with
    the body chart drawn as vectors, photo set-up, findings by region), then each annotated
    photo beside its measures, then what the measures mean and the limits. A4 or US Letter;
    every page's footer names the client and date and numbers the page ("Page 2 of 3").

    User text is drawn as plain text (never interpreted), so it needs no escaping here. The
    text is Unicode: DejaVu Sans (Latin, Greek, Cyrillic, symbols) with Droid Sans Fallback
    for Chinese and Japanese; only the glyphs used are embedded.
    """
    import io

    from fpdf import FPDF

    if paper not in PAPERS:
        raise ValueError(f"paper must be A4 or Letter, got {paper!r}")
    footer_text = f"{TITLE} · {summary.client or 'client ' + NOT_RECORDED} · {summary.created:%Y-%m-%d}"

    class Doc(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_draw_color(200, 200, 200)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.set_font("dejavu", "", 7.5)
            self.set_text_color(*_GREY)
            self.cell(0, 5, drawable(footer_text), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = Doc(format=paper, unit="mm")
    for family, style, filename in _MAIN_FONTS:
        pdf.add_font(family, style, fname=_FONT_DIR / filename)
    # exact_match=False: bold text falls back to a regular glyph rather than to nothing.
    pdf.set_fallback_fonts(["dejavu"], exact_match=False)
    pdf.set_margins(15, 14, 15)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(TITLE)
    pdf.set_creator("posture")
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def drawable(s: str) -> str:
        s = _pdf_text(s)
        if "droid" not in pdf.fonts and not set(map(ord, s.replace("\n", ""))) <= _main_charset():
            pdf.add_font(_CJK_FONT[0], _CJK_FONT[1], fname=_FONT_DIR / _CJK_FONT[2])
            pdf.set_fallback_fonts(["dejavu", "droid"], exact_match=False)
        return s

    def text(s: str, size: float = 9.5, style: str = "", h: float | None = None, w: float | None = None,
             colour: tuple[int, int, int] = _INK, x: float | None = None) -> None:
        pdf.set_font("dejavu", style, size)
        pdf.set_text_color(*colour)
        if x is not None:
            pdf.set_x(x)
        pdf.multi_cell(w or width - ((x or pdf.l_margin) - pdf.l_margin), h or size * 0.5, drawable(s),
                       align="L", new_x="LMARGIN", new_y="NEXT")

    def heading(s: str, size: float = 12.5) -> None:
        if pdf.will_page_break(size * 1.6):
            pdf.add_page()
        pdf.ln(2.5)
        text(s, size, "B", size * 0.55, colour=_ACCENT)
        pdf.set_draw_color(*_ACCENT)
        pdf.set_line_width(0.3)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.l_margin + width, pdf.get_y() + 0.5)
        pdf.ln(2)

    pdf.add_page()
    _pdf_first_page(pdf, summary, width, text, heading, drawable)
    for i, a in enumerate(summary.assessments):
        if i == 0 and pdf.page == 1:
            pdf.add_page()  # the first page stays the one-page summary
        jpeg = summary.annotated_jpegs[i] if i < len(summary.annotated_jpegs) else None
        _pdf_photo(pdf, a, i, jpeg, width, text, heading, drawable, io.BytesIO)
    names = _measured_names(summary)
    if names:
        heading("What the measures mean", 11)
        for n in names:
            text(label(n), 8, "B", 3.8)
            text(definition(n), 7.5, h=3.5, colour=_GREY)
            pdf.ln(0.8)
    heading("Limits of the method", 11)
    for t in LIMITS:
        text(f"• {t}", 7.5, h=3.6, colour=_GREY)
        pdf.ln(0.6)
    return bytes(pdf.output())


def _pdf_first_page(pdf: FPDF, summary: Summary, width: float, text, heading, drawable) -> None:  # type: ignore[no-untyped-def]
    text(TITLE, 17, "B", 8)
    pdf.ln(1.5)
    # Who and when: four boxes in a row, the client's twice as wide.
    facts = summary.facts()
    widths = (0.4 * width, 0.25 * width, 0.15 * width, 0.2 * width)
    top, bottom, x = pdf.get_y(), pdf.get_y(), pdf.l_margin
    for (k, v), w in zip(facts, widths, strict=True):
        pdf.set_draw_color(*_ACCENT)
        pdf.set_line_width(0.8)
        pdf.set_xy(x + 2.5, top)
        text(k, 7.5, h=3.6, w=w - 4, colour=_GREY, x=x + 2.5)
        text(v, 10.5, "B", 4.8, w=w - 4, x=x + 2.5)
        bottom = max(bottom, pdf.get_y())
        x += w
    x = pdf.l_margin
    for w in widths:
        pdf.line(x + 0.4, top + 0.5, x + 0.4, bottom)
        x += w
    pdf.set_y(bottom + 3)
    # The disclaimer, once: a tinted box.
    pdf.set_fill_color(255, 247, 224)
    pdf.set_draw_color(224, 168, 0)
    pdf.set_font("dejavu", "", 8.5)
    pdf.set_text_color(*_INK)
    head, rest = DISCLAIMER.split(". ", 1)
    from fpdf.util import Padding

    pdf.multi_cell(width, 4.2, f"**{head}.** {rest}", fill=True, markdown=True, padding=Padding(1.5, 2.5, 1.5, 2.5),
                   new_x="LMARGIN", new_y="NEXT")  # our own text, so Markdown is safe here
    pdf.ln(1)
    # Intake at a glance: answers on the left, the body chart on the right.
    it = summary.intake
    chart_w = 54.0 if it.pain else 0.0
    left_w = width - chart_w - (6 if chart_w else 0)
    heading("Intake at a glance")
    top = pdf.get_y()
    if it.empty:
        text("No intake answers recorded.", 9, w=left_w, colour=_GREY)
    if it.pain:
        text("Pain", 7.5, "B", 3.6, w=left_w, colour=_GREY)
        text(", ".join(pain_text(k, v) for k, v in _by_pain(it.pain)), 9.5, h=4.6, w=left_w)
        pdf.ln(1)
    for k, v in _intake_lines(it):
        text(k, 7.5, "B", 3.6, w=left_w, colour=_GREY)
        text(v, 9.5, h=4.6, w=left_w)
        pdf.ln(1)
    bottom = pdf.get_y()
    if chart_w:
        c = bodychart.chart(it.pain)
        pdf.set_font("dejavu", "", 8)
        used = bodychart.draw_pdf(pdf, c, pdf.l_margin + left_w + 6, top, chart_w)
        pdf.set_y(top + used + 0.5)
        if c.unplaced:
            text("not on the chart: " + ", ".join(pain_text(k, v) for k, v in c.unplaced), 7, h=3.4, w=chart_w,
                 colour=_GREY, x=pdf.l_margin + left_w + 6)
        bottom = max(bottom, pdf.get_y())
    pdf.set_y(bottom + 1)
    rows = setup_rows(summary)
    if rows:
        heading("Photo set-up")
        pdf.set_font("dejavu", "", 8)
        pdf.set_text_color(*_INK)
        pdf.set_fill_color(255, 255, 255)
        with pdf.table(col_widths=(0.3, 0.12, 0.58), width=width, text_align="LEFT", line_height=3.9,
                       headings_style=_headings(), padding=(0.8, 1.2), cell_fill_mode="NONE",
                       v_align="TOP") as table:
            table.row(["photo", "set-up", "notes"])
            for r in rows:
                row = table.row()
                row.cell(drawable(r.photo))
                row.cell(r.status, style=_face(_SETUP_RGB.get(r.status, _GREY), bold=True))
                row.cell(drawable(r.notes))
    heading("Findings by region")
    groups = summary.regions()
    if not any(g.findings for g in groups):
        text(_no_findings(groups), 9.5)
    badge_w = 19.0
    for g in groups:
        if not g.findings:
            if pdf.will_page_break(5):
                pdf.add_page()
            y = pdf.get_y() + 0.6
            pdf.set_xy(pdf.l_margin, y)
            pdf.set_font("dejavu", "B", 9.5)
            pdf.set_text_color(*_ACCENT)
            name = _region_title(g.region)
            pdf.cell(pdf.get_string_width(name) + 2, 4.6, name)
            text(f"— {g.status}", 8.5, h=4.6, colour=_GREY, x=pdf.get_x())
            continue
        if pdf.will_page_break(16):
            pdf.add_page()
        pdf.ln(0.8)
        text(_region_title(g.region), 10.5, "B", 5.2, colour=_ACCENT)
        for m in g.findings:
            # A finding is not split over two pages: its lines, measured as they will be drawn.
            lines = [(m.title, "B", 9.5, 4.8), (m.detail, "", 8.5, 4.0)]
            if len(m.readings) > 1:
                lines.append(("Views: " + "; ".join(f"{r.view} — {r.reading}" for r in m.readings), "", 8.2, 3.9))
            lines += [(t, "", 8.2, 3.9) for t in (m.agreement, ", ".join(m.areas)) if t]
            need = 0.0
            for t, style, size, h in lines:
                pdf.set_font("dejavu", style, size)
                drawn = pdf.multi_cell(width - badge_w, h, drawable(t), dry_run=True, output="LINES")
                need += h * len(drawn if isinstance(drawn, list) else [t])
            if pdf.will_page_break(need + 2):
                pdf.add_page()
            y = pdf.get_y() + 0.4
            pdf.set_fill_color(*_SEVERITY_RGB.get(m.severity, _GREY))
            pdf.rect(pdf.l_margin, y + 0.3, badge_w - 2, 4.2, style="F", round_corners=True, corner_radius=0.8)
            pdf.set_xy(pdf.l_margin, y + 0.3)
            pdf.set_font("dejavu", "B", 7.2)
            pdf.set_text_color(255, 255, 255)
            pdf.cell(badge_w - 2, 4.2, m.severity.label, align="C")
            indent = pdf.l_margin + badge_w
            pdf.set_y(y)
            text(m.title, 9.5, "B", 4.8, x=indent)
            text(m.detail, 8.5, h=4.0, x=indent)
            if len(m.readings) > 1:
                text("Views: " + "; ".join(f"{r.view} — {r.reading}" for r in m.readings), 8.2, h=3.9, x=indent)
            if m.agreement:
                text(f"⚠ {m.agreement}", 8.2, h=3.9, colour=_AMBER, x=indent)
            if m.areas:
                text("Consider: " + ", ".join(m.areas), 8.2, h=3.9, colour=_GREY, x=indent)
            pdf.ln(1.5)
    if summary.changes_text:
        heading("Change since last assessment")
        for t in summary.changes_text:
            text(f"• {t}", 8.5, h=4.0)


def _headings():  # type: ignore[no-untyped-def]
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", color=_INK, fill_color=(238, 238, 238))


def _face(colour: tuple[int, int, int], bold: bool = False):  # type: ignore[no-untyped-def]
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD" if bold else None, color=colour)


def _pdf_photo(pdf: FPDF, a: Assessment, i: int, jpeg: bytes | None, width: float, text, heading, drawable,  # type: ignore[no-untyped-def]
               bytes_io) -> None:
    box_w, box_h = 76.0, 104.0
    rows = measure_rows(a.measures)
    need = min(box_h, 8 + 4.2 * len(rows)) + 16
    if pdf.will_page_break(need):
        pdf.add_page()
    heading(photo_label(a, i), 11.5)
    status = a.setup.status.value if a.setup else NOT_RECORDED
    text(f"Set-up: {status} · {camera_text(a)} · view {a.view.source}, confidence {a.view.confidence:.2f}",
         7.8, h=3.8, colour=_GREY)
    pdf.ln(1.5)
    top, page = pdf.get_y(), pdf.page
    img_bottom = top
    table_x = pdf.l_margin
    if jpeg:
        aspect = a.image.width / max(a.image.height, 1)
        w = min(box_w, box_h * aspect)
        h = w / aspect
        pdf.image(bytes_io(jpeg), x=pdf.l_margin, y=top, w=w, h=h)
        img_bottom = top + h
        table_x = pdf.l_margin + box_w + 5
    pdf.set_xy(table_x, top)
    tw = pdf.l_margin + width - table_x
    pdf.set_font("dejavu", "", 7.8)
    pdf.set_text_color(*_INK)
    if not rows:
        text(NO_MEASURES, 8.5, h=4, colour=_GREY, x=table_x)
    else:
        pdf.set_fill_color(255, 255, 255)
        with pdf.table(col_widths=(0.45, 0.55), width=tw, align="RIGHT" if jpeg else "LEFT", text_align="LEFT",
                       line_height=3.7, headings_style=_headings(), padding=(0.7, 1.2), cell_fill_mode="NONE",
                       v_align="TOP") as table:
            table.row(["measure", "reading"])
            for r in rows:
                style = None if r.measured else _face(_GREY)
                row = table.row()
                row.cell(drawable(r.label), style=style)
                row.cell(drawable(r.reading), style=style)
    end = pdf.get_y() if pdf.page != page else max(pdf.get_y(), img_bottom)
    pdf.set_y(end + 2)
    for w_ in [*setup_lines(a)[1:], *a.warnings]:
        text(f"⚠ {w_}", 7.5, h=3.6, colour=_AMBER)
    pdf.ln(3)
