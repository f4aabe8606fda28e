"""The summary as a print-ready PDF, laid out like the HTML: the first page (who, intake at
a glance with the body chart drawn as vectors, photo set-up, findings by region), then each
annotated photo beside its measures, then what the measures mean and the limits.

User text is drawn as plain text (never interpreted), so it needs no escaping here; only
what the embedded fonts cannot draw is replaced (`pdf_document.drawable`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from posture.core.assessment import Assessment
from posture.core.measuring.findings import Severity, Threshold
from posture.core.measuring.formatting import definition, label, measure_rows
from posture.report import bodychart
from posture.report.pdf_document import Paper, drawable, open_document
from posture.report.summary import Summary
from posture.report.summary_text import (
    DISCLAIMER,
    LIMITS,
    NO_INTAKE,
    NO_MEASURES,
    NOT_RECORDED,
    PAIR_HEADING,
    POSSIBLE_HEADING,
    TITLE,
    camera_text,
    capitalised,
    facts,
    intake_answers,
    likely_from_lines,
    measured_names,
    no_findings_text,
    pain_text,
    pain_worst_first,
    pair_lines,
    photo_label,
    possible_lines,
    setup_lines,
    setup_rows,
    setup_status,
    views_text,
)

if TYPE_CHECKING:  # pragma: no cover
    from fpdf import FPDF
    from fpdf.fonts import FontFace

_INK = (28, 28, 28)
_GREY = (105, 105, 105)
_ACCENT = (43, 74, 111)
_AMBER = (138, 83, 0)
_SEVERITY_RGB = {Severity.MARKED: (176, 0, 32), Severity.MODERATE: (196, 77, 0), Severity.MILD: (138, 112, 0)}
_SETUP_RGB = {"ok": (30, 122, 52), "caution": (154, 100, 0), "retake": (176, 0, 32)}


@dataclass(frozen=True)
class _Pen:
    """The document being written and its two ways of writing: body text and section headings."""

    pdf: FPDF
    width: float  # between the margins

    def drawable(self, s: str) -> str:
        return drawable(self.pdf, s)

    def text(self, s: str, size: float = 9.5, style: str = "", h: float | None = None, w: float | None = None,
             colour: tuple[int, int, int] = _INK, x: float | None = None) -> None:
        """`s` as a left-aligned paragraph at x (the left margin by default), `w` wide (to the right margin)."""
        pdf = self.pdf
        pdf.set_font("dejavu", style, size)
        pdf.set_text_color(*colour)
        if x is not None:
            pdf.set_x(x)
        pdf.multi_cell(w or self.width - ((x or pdf.l_margin) - pdf.l_margin), h or size * 0.5, self.drawable(s),
                       align="L", new_x="LMARGIN", new_y="NEXT")

    def heading(self, s: str, size: float = 12.5) -> None:
        """A section title, underlined, on a new page when it would sit at the foot of this one."""
        pdf = self.pdf
        if pdf.will_page_break(size * 1.6):
            pdf.add_page()
        pdf.ln(2.5)
        self.text(s, size, "B", size * 0.55, colour=_ACCENT)
        pdf.set_draw_color(*_ACCENT)
        pdf.set_line_width(0.3)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.l_margin + self.width, pdf.get_y() + 0.5)
        pdf.ln(2)


#: The left and right page margins (mm).
_MARGIN_MM = 15.0


def to_pdf(summary: Summary, paper: Paper = "A4") -> bytes:
    """The summary on A4 or US Letter; every page's footer names the client and date and
    numbers the page ("Page 2 of 3"). Only the glyphs used are embedded."""
    from fpdf import FPDF

    footer_text = f"{TITLE} · {summary.client or 'client ' + NOT_RECORDED} · {summary.created:%Y-%m-%d}"

    class Doc(FPDF):
        def footer(self) -> None:
            # The page's own margins, not self.l_margin: a table breaking across pages (a
            # photo's measures, right of the photo) has moved l_margin to the table's left
            # edge, which started the footer mid-page over the page number.
            left, width = _MARGIN_MM, self.w - 2 * _MARGIN_MM
            self.set_xy(left, -12)
            self.set_draw_color(200, 200, 200)
            self.line(left, self.get_y(), left + width, self.get_y())
            self.set_font("dejavu", "", 7.5)
            self.set_text_color(*_GREY)
            self.cell(width, 5, drawable(self, footer_text), align="L")
            self.set_x(left)
            self.cell(width, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    pdf = open_document(paper, Doc)
    pdf.set_margins(_MARGIN_MM, 14, _MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(TITLE)
    pdf.set_creator("posture")
    pen = _Pen(pdf, pdf.w - pdf.l_margin - pdf.r_margin)

    pdf.add_page()
    _first_page(pen, summary)
    for i, a in enumerate(summary.assessments):
        if i == 0 and pdf.page == 1:
            pdf.add_page()  # the first page stays the one-page summary
        _photo(pen, a, i, summary.annotated_jpeg(i), summary.thresholds)
    names = measured_names(summary)
    if names:
        pen.heading("What the measures mean", 11)
        for n in names:
            pen.text(label(n), 8, "B", 3.8)
            pen.text(definition(n), 7.5, h=3.5, colour=_GREY)
            pdf.ln(0.8)
    pen.heading("Limits of the method", 11)
    for t in LIMITS:
        pen.text(f"• {t}", 7.5, h=3.6, colour=_GREY)
        pdf.ln(0.6)
    return bytes(pdf.output())


def _first_page(pen: _Pen, summary: Summary) -> None:
    pdf, width = pen.pdf, pen.width
    pen.text(TITLE, 17, "B", 8)
    pdf.ln(1.5)
    # Who and when: four boxes in a row, the client's twice as wide.
    widths = (0.4 * width, 0.25 * width, 0.15 * width, 0.2 * width)
    top, bottom, x = pdf.get_y(), pdf.get_y(), pdf.l_margin
    for (k, v), w in zip(facts(summary), widths, strict=True):
        pdf.set_draw_color(*_ACCENT)
        pdf.set_line_width(0.8)
        pdf.set_xy(x + 2.5, top)
        pen.text(k, 7.5, h=3.6, w=w - 4, colour=_GREY, x=x + 2.5)
        pen.text(v, 10.5, "B", 4.8, w=w - 4, x=x + 2.5)
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
    pen.heading("Intake at a glance")
    top = pdf.get_y()
    if it.empty:
        pen.text(NO_INTAKE, 9, w=left_w, colour=_GREY)
    if it.pain:
        pen.text("Pain", 7.5, "B", 3.6, w=left_w, colour=_GREY)
        pen.text(", ".join(pain_text(k, v) for k, v in pain_worst_first(it.pain)), 9.5, h=4.6, w=left_w)
        pdf.ln(1)
    for k, v in intake_answers(it):
        pen.text(k, 7.5, "B", 3.6, w=left_w, colour=_GREY)
        pen.text(v, 9.5, h=4.6, w=left_w)
        pdf.ln(1)
    bottom = pdf.get_y()
    if chart_w:
        c = bodychart.chart(it.pain)
        pdf.set_font("dejavu", "", 8)
        used = bodychart.draw_pdf(pdf, c, pdf.l_margin + left_w + 6, top, chart_w)
        pdf.set_y(top + used + 0.5)
        if c.unplaced:
            pen.text("not on the chart: " + ", ".join(pain_text(k, v) for k, v in c.unplaced), 7, h=3.4, w=chart_w,
                     colour=_GREY, x=pdf.l_margin + left_w + 6)
        bottom = max(bottom, pdf.get_y())
    pdf.set_y(bottom + 1)
    rows = setup_rows(summary)
    if rows:
        pen.heading("Photo set-up")
        pdf.set_font("dejavu", "", 8)
        pdf.set_text_color(*_INK)
        pdf.set_fill_color(255, 255, 255)
        with pdf.table(col_widths=(0.3, 0.12, 0.58), width=width, text_align="LEFT", line_height=3.9,
                       headings_style=_headings(), padding=(0.8, 1.2), cell_fill_mode="NONE",
                       v_align="TOP") as table:
            table.row(["photo", "set-up", "notes"])
            for r in rows:
                row = table.row()
                row.cell(pen.drawable(r.photo))
                row.cell(r.status, style=_face(_SETUP_RGB.get(r.status, _GREY), bold=True))
                row.cell(pen.drawable(r.notes))
    pen.heading("Findings by region")
    groups = summary.regions()
    if not any(g.findings for g in groups):
        pen.text(no_findings_text(groups), 9.5)
    badge_w = 19.0
    for g in groups:
        if not g.findings:
            if pdf.will_page_break(5):
                pdf.add_page()
            y = pdf.get_y() + 0.6
            pdf.set_xy(pdf.l_margin, y)
            pdf.set_font("dejavu", "B", 9.5)
            pdf.set_text_color(*_ACCENT)
            name = capitalised(g.region)
            pdf.cell(pdf.get_string_width(name) + 2, 4.6, name)
            pen.text(f"— {g.status}", 8.5, h=4.6, colour=_GREY, x=pdf.get_x())
            continue
        if pdf.will_page_break(16):
            pdf.add_page()
        pdf.ln(0.8)
        pen.text(capitalised(g.region), 10.5, "B", 5.2, colour=_ACCENT)
        for m in g.findings:
            # A finding is not split over two pages: its lines, measured as they will be drawn.
            lines = [(m.title, "B", 9.5, 4.8), (m.detail, "", 8.5, 4.0)]
            if len(m.readings) > 1:
                lines.append((views_text(m), "", 8.2, 3.9))
            lines += [(t, "", 8.2, 3.9) for t in (m.agreement, ", ".join(m.areas)) if t]
            need = 0.0
            for t, style, size, h in lines:
                pdf.set_font("dejavu", style, size)
                drawn = pdf.multi_cell(width - badge_w, h, pen.drawable(t), dry_run=True, output="LINES")
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
            pen.text(m.title, 9.5, "B", 4.8, x=indent)
            pen.text(m.detail, 8.5, h=4.0, x=indent)
            if len(m.readings) > 1:
                pen.text(views_text(m), 8.2, h=3.9, x=indent)
            if m.agreement:
                pen.text(f"⚠ {m.agreement}", 8.2, h=3.9, colour=_AMBER, x=indent)
            if m.areas:
                pen.text("Consider: " + ", ".join(m.areas), 8.2, h=3.9, colour=_GREY, x=indent)
            pdf.ln(1.5)
    paired = pair_lines(summary)
    if paired:
        pen.heading(PAIR_HEADING)
        for t in paired:
            pen.text(f"• {t}", 8.5, h=4.0)
    possible = possible_lines(summary)
    if possible:
        pen.heading(POSSIBLE_HEADING, 10.5)
        for t in possible:
            pen.text(f"• {t}", 8.2, h=3.9, colour=_GREY)
    if summary.changes_text:
        pen.heading("Change since last assessment")
        for t in summary.changes_text:
            pen.text(f"• {t}", 8.5, h=4.0)


def _headings() -> FontFace:
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", color=_INK, fill_color=(238, 238, 238))


def _face(colour: tuple[int, int, int], bold: bool = False) -> FontFace:
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD" if bold else None, color=colour)


def _photo(pen: _Pen, a: Assessment, i: int, jpeg: bytes | None, thresholds: Mapping[str, Threshold]) -> None:
    pdf, width = pen.pdf, pen.width
    box_w, box_h = 76.0, 104.0
    rows = measure_rows(a.measures)
    need = min(box_h, 8 + 4.2 * len(rows)) + 16
    if pdf.will_page_break(need):
        pdf.add_page()
    pen.heading(photo_label(a, i), 11.5)
    pen.text(f"Set-up: {setup_status(a)} · {camera_text(a)} · view {a.view.how_text}",
             7.8, h=3.8, colour=_GREY)
    pdf.ln(1.5)
    top, page = pdf.get_y(), pdf.page
    img_bottom = top
    table_x = pdf.l_margin
    if jpeg:
        aspect = a.image.width / max(a.image.height, 1)
        w = min(box_w, box_h * aspect)
        h = w / aspect
        pdf.image(io.BytesIO(jpeg), x=pdf.l_margin, y=top, w=w, h=h)
        img_bottom = top + h
        table_x = pdf.l_margin + box_w + 5
    pdf.set_xy(table_x, top)
    tw = pdf.l_margin + width - table_x
    pdf.set_font("dejavu", "", 7.8)
    pdf.set_text_color(*_INK)
    if not rows:
        pen.text(NO_MEASURES, 8.5, h=4, colour=_GREY, x=table_x)
    else:
        pdf.set_fill_color(255, 255, 255)
        with pdf.table(col_widths=(0.45, 0.55), width=tw, align="RIGHT" if jpeg else "LEFT", text_align="LEFT",
                       line_height=3.7, headings_style=_headings(), padding=(0.7, 1.2), cell_fill_mode="NONE",
                       v_align="TOP") as table:
            table.row(["measure", "reading"])
            for r in rows:
                style = None if r.measured else _face(_GREY)
                row = table.row()
                row.cell(pen.drawable(r.label), style=style)
                row.cell(pen.drawable(r.reading), style=style)
    end = pdf.get_y() if pdf.page != page else max(pdf.get_y(), img_bottom)
    pdf.set_y(end + 2)
    for w_ in [*setup_lines(a)[1:], *a.warnings]:
        pen.text(f"⚠ {w_}", 7.5, h=3.6, colour=_AMBER)
    likely_from = likely_from_lines(a, thresholds)
    if likely_from:
        pen.text("Likely findings would start (at this photo's ±): " + "; ".join(likely_from), 7.5, h=3.6, colour=_GREY)
    pdf.ln(3)
