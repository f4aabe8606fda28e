"""Pre-session summary for the therapist, as Markdown or self-contained HTML.

No maths here: everything comes from Assessments. Any text a user typed (client name,
intake answers) is escaped: HTML-escaped in HTML, and stripped of Markdown/HTML
meaning in Markdown.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from posture.core.assessment import Assessment
from posture.core.findings import Finding, Severity
from posture.core.measures import MEASURES_BY_NAME

DISCLAIMER = (
    "Screening aid only, not a diagnosis. Measures come from a pose-estimation model "
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
    """One session: several photos of the same client, with optional intake."""

    assessments: list[Assessment]
    client: str = ""
    intake: Intake = field(default_factory=Intake)
    annotated_jpegs: list[bytes | None] = field(default_factory=list)
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    changes_text: list[str] = field(default_factory=list)

    def ranked_findings(self) -> list[tuple[Finding, Assessment]]:
        pairs = [(f, a) for a in self.assessments for f in a.findings]
        return sorted(pairs, key=lambda p: -int(p[0].severity))

    def areas(self) -> list[str]:
        seen: dict[str, None] = {}
        for f, _ in self.ranked_findings():
            if f.severity >= Severity.MILD:
                for area in f.areas:
                    seen.setdefault(area, None)
        return list(seen)


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


def _fmt_value(a: Assessment, name: str) -> tuple[str, str]:
    m = a.measures[name]
    if m.value is None:
        return "—", m.reason or "not measured"
    unit = "°" if m.unit == "deg" else f" {m.unit}"
    return f"{m.value:+.1f}{unit} ± {m.uncertainty or 0:.1f}", f"confidence {m.confidence:.2f}"


def _photo_label(a: Assessment, i: int) -> str:
    return f"Photo {i + 1}: {a.view.name.value} view, {a.view.posture.value}"


def _applicable(a: Assessment) -> list[str]:
    return [n for n, m in a.measures.items() if m.relevant]


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


def to_markdown(summary: Summary) -> str:
    lines = ["# Pre-session posture summary", ""]
    if summary.client:
        lines.append(f"**Client:** {md_escape(summary.client)}  ")
    lines += [f"**Date:** {summary.created:%Y-%m-%d %H:%M}", "", f"> {DISCLAIMER}", ""]
    if not summary.intake.empty:
        it = summary.intake
        lines += ["## Intake", ""]
        if it.pain:
            pains = ", ".join(md_escape(pain_text(k, v)) for k, v in _by_pain(it.pain))
            lines.append(f"- **Pain:** {pains}")
        for label, value in (("Duration", it.duration), ("Recent activities", it.activities),
                             ("Work set-up", it.work_setup), ("Notes", it.notes)):
            if value:
                lines.append(f"- **{label}:** {md_escape(value)}")
        lines.append("")
    lines += ["## Key findings", ""]
    ranked = summary.ranked_findings()
    if not ranked:
        lines.append("No imbalance cleared its screening threshold by more than its uncertainty.")
    for f, a in ranked:
        lines.append(f"- **{f.severity.label.upper()}** — {f.title} ({a.view.name.value} view). {f.detail}")
    lines.append("")
    areas = summary.areas()
    if areas:
        lines += ["## Areas to consider", "", *[f"- {a}" for a in areas], ""]
    if summary.changes_text:
        lines += ["## Change since last assessment", "", *[f"- {md_escape(t)}" for t in summary.changes_text], ""]
    for i, a in enumerate(summary.assessments):
        lines += [f"## {_photo_label(a, i)}", ""]
        if a.image.path:
            lines.append(f"Image: {md_escape(a.image.path)} ({a.image.width}x{a.image.height}), view confidence {a.view.confidence:.2f} ({a.view.source})")
            lines.append("")
        setup = setup_lines(a)
        if setup:
            lines += [setup[0], "", *[f"- {t}" for t in setup[1:]], ""]  # our words, not user text
        lines += ["| measure | value | note |", "|---|---|---|"]
        for name in _applicable(a):
            value, note = _fmt_value(a, name)
            lines.append(f"| {name} | {value} | {note} |")
        lines.append("")
        for w in a.warnings:
            lines.append(f"- ⚠ {md_escape(w)}")
        if a.warnings:
            lines.append("")
    lines += ["## Limits of the method", "", *[f"- {t}" for t in LIMITS], ""]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:960px;padding:16px;color:#1c1c1c}
h1{font-size:1.6em;margin-bottom:0}h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:1.6em}
.disclaimer{background:#fff7e0;border-left:4px solid #e0a800;padding:8px 12px}
.sev{display:inline-block;min-width:6.5em;font-weight:600;border-radius:4px;padding:1px 6px;color:#fff;text-align:center}
.sev-marked{background:#b00020}.sev-moderate{background:#d35400}.sev-mild{background:#b7950b}
table{border-collapse:collapse;width:100%;font-size:.92em}td,th{border:1px solid #ddd;padding:4px 6px;text-align:left}
th{background:#f3f3f3}.na{color:#777}.photo img{max-width:100%;height:auto;border:1px solid #ccc}
.warn{color:#8a5300}ul{padding-left:1.2em}
.user{white-space:pre-wrap;overflow-wrap:anywhere}
@media print{body{max-width:none}.photo{page-break-inside:avoid}h2{page-break-after:avoid}}
"""


def to_html(summary: Summary) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Posture summary{(' — ' + e(summary.client)) if summary.client else ''}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Pre-session posture summary</h1>",
        f"<p>{('<b>Client:</b> ' + e(summary.client) + ' · ') if summary.client else ''}<b>Date:</b> {summary.created:%Y-%m-%d %H:%M}</p>",
        f"<p class='disclaimer'>{e(DISCLAIMER)}</p>",
    ]
    it = summary.intake
    if not it.empty:
        parts.append("<h2>Intake</h2><ul>")
        if it.pain:
            pains = ", ".join(f"{e(k)} <i>not rated</i>" if v is None else f"{e(k)} <b>{int(v)}/10</b>"
                              for k, v in _by_pain(it.pain))
            parts.append(f"<li><b>Pain:</b> {pains}</li>")
        for label, value in (("Duration", it.duration), ("Recent activities", it.activities),
                             ("Work set-up", it.work_setup), ("Notes", it.notes)):
            if value:
                parts.append(f"<li><b>{label}:</b> <span class='user'>{e(value)}</span></li>")
        parts.append("</ul>")
    parts.append("<h2>Key findings</h2>")
    ranked = summary.ranked_findings()
    if not ranked:
        parts.append("<p>No imbalance cleared its screening threshold by more than its uncertainty.</p>")
    else:
        parts.append("<ul>")
        for f, a in ranked:
            parts.append(
                f"<li><span class='sev sev-{f.severity.label}'>{f.severity.label}</span> "
                f"<b>{e(f.title)}</b> <i>({e(a.view.name.value)} view)</i><br>{e(f.detail)}</li>"
            )
        parts.append("</ul>")
    areas = summary.areas()
    if areas:
        parts.append("<h2>Areas to consider</h2><ul>" + "".join(f"<li>{e(x)}</li>" for x in areas) + "</ul>")
    if summary.changes_text:
        parts.append("<h2>Change since last assessment</h2><ul>" + "".join(f"<li>{e(t)}</li>" for t in summary.changes_text) + "</ul>")
    for i, a in enumerate(summary.assessments):
        parts.append(f"<div class='photo'><h2>{e(_photo_label(a, i))}</h2>")
        jpeg = summary.annotated_jpegs[i] if i < len(summary.annotated_jpegs) else None
        if jpeg:
            b64 = base64.b64encode(jpeg).decode("ascii")
            parts.append(f"<img alt='{e(_photo_label(a, i))}, annotated' src='data:image/jpeg;base64,{b64}'>")
        parts.append(
            f"<p>View detected: {e(a.view.name.value)} ({e(a.view.source)}, confidence {a.view.confidence:.2f}), "
            f"{e(a.view.posture.value)}.</p>"
        )
        setup = setup_lines(a)
        if setup:
            parts.append(f"<p><b>{e(setup[0])}</b></p>")
            if setup[1:]:
                parts.append("<ul>" + "".join(f"<li class='warn'>{e(t)}</li>" for t in setup[1:]) + "</ul>")
        parts.append("<table><tr><th>measure</th><th>value</th><th>note</th><th>definition</th></tr>")
        for name in _applicable(a):
            value, note = _fmt_value(a, name)
            spec = MEASURES_BY_NAME[name]
            cls = " class='na'" if a.measures[name].value is None else ""
            parts.append(
                f"<tr{cls}><td>{e(name)}</td><td>{e(value)}</td><td>{e(note)}</td>"
                f"<td>{e(spec.definition)} {e(spec.sign)}</td></tr>"
            )
        parts.append("</table>")
        if a.warnings:
            parts.append("<ul>" + "".join(f"<li class='warn'>{e(w)}</li>" for w in a.warnings) + "</ul>")
        parts.append("</div>")
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


def to_pdf(summary: Summary) -> bytes:
    """A print-ready PDF (A4) with the same content as the HTML summary, photos embedded.

    User text is drawn as plain text (never interpreted), so it needs no escaping here. The
    text is Unicode: DejaVu Sans (Latin, Greek, Cyrillic, symbols) with Droid Sans Fallback
    for Chinese and Japanese; only the glyphs used are embedded.
    """
    import io

    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    for family, style, filename in _MAIN_FONTS:
        pdf.add_font(family, style, fname=_FONT_DIR / filename)
    # exact_match=False: bold text falls back to a regular glyph rather than to nothing.
    pdf.set_fallback_fonts(["dejavu"], exact_match=False)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title("Pre-session posture summary")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def drawable(s: str) -> str:
        s = _pdf_text(s)
        if "droid" not in pdf.fonts and not set(map(ord, s.replace("\n", ""))) <= _main_charset():
            pdf.add_font(_CJK_FONT[0], _CJK_FONT[1], fname=_FONT_DIR / _CJK_FONT[2])
            pdf.set_fallback_fonts(["dejavu", "droid"], exact_match=False)
        return s

    def text(s: str, size: float = 10, style: str = "", h: float = 5.0) -> None:
        pdf.set_font("dejavu", style, size)
        pdf.multi_cell(width, h, drawable(s), new_x="LMARGIN", new_y="NEXT")

    def heading(s: str) -> None:
        pdf.ln(2)
        text(s, 13, "B", 7)

    text("Pre-session posture summary", 18, "B", 9)
    text((f"Client: {summary.client}   " if summary.client else "") + f"Date: {summary.created:%Y-%m-%d %H:%M}")
    pdf.set_fill_color(255, 247, 224)
    pdf.set_font("dejavu", "", 9)
    pdf.multi_cell(width, 4.5, drawable(DISCLAIMER), fill=True, new_x="LMARGIN", new_y="NEXT")
    it = summary.intake
    if not it.empty:
        heading("Intake")
        if it.pain:
            text("Pain: " + ", ".join(pain_text(k, v) for k, v in _by_pain(it.pain)))
        for label, value in (("Duration", it.duration), ("Recent activities", it.activities),
                             ("Work set-up", it.work_setup), ("Notes", it.notes)):
            if value:
                text(f"{label}: {value}")
    heading("Key findings")
    ranked = summary.ranked_findings()
    if not ranked:
        text("No imbalance cleared its screening threshold by more than its uncertainty.")
    for f, a in ranked:
        text(f"{f.severity.label.upper()} — {f.title} ({a.view.name.value} view)", 10, "B")
        text(f.detail, 9)
    areas = summary.areas()
    if areas:
        heading("Areas to consider")
        text("; ".join(areas), 9)
    if summary.changes_text:
        heading("Change since last assessment")
        for t in summary.changes_text:
            text(f"• {t}", 9)
    for i, a in enumerate(summary.assessments):
        pdf.add_page()
        heading(_photo_label(a, i))
        jpeg = summary.annotated_jpegs[i] if i < len(summary.annotated_jpegs) else None
        if jpeg:
            max_h = 120.0
            w_mm = min(width, max_h * a.image.width / max(a.image.height, 1))
            pdf.image(io.BytesIO(jpeg), w=w_mm)
        pdf.ln(2)
        for t in setup_lines(a):
            text(t, 8)
        pdf.set_font("dejavu", "", 8)
        with pdf.table(col_widths=(55, 35, 90), text_align="LEFT", line_height=4.5) as table:
            table.row(["measure", "value", "note"])
            for name in _applicable(a):
                value, note = _fmt_value(a, name)
                table.row([name, drawable(value), drawable(note)])
        for w in a.warnings:
            text(f"⚠ {w}", 8)
    heading("Limits of the method")
    for t in LIMITS:
        text(f"• {t}", 9)
    return bytes(pdf.output())
