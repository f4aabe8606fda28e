"""The intake's body chart: a front and a back outline with each pain area shaded by its
0–10 level, the way therapists mark pain on paper.

`chart()` is pure layout in a fixed coordinate frame (each figure 100 × 230 units, y down);
`to_svg()` draws it for HTML and `draw_pdf()` as vector shapes in an fpdf2 document. Areas
the chart has no place for ("other", or anything typed in an intake file) are returned in
`unplaced`, so the text beside the chart still lists them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    from fpdf import FPDF

Side = Literal["front", "back"]
Point = tuple[float, float]

SIDES: tuple[Side, ...] = ("front", "back")
FIGURE_W, FIGURE_H = 100.0, 230.0
#: Gap between the two figures and the caption band below them (chart units).
GAP, CAPTION_H, LEGEND_H = 16.0, 14.0, 22.0
#: Millimetres in a typographic point.
PT_MM = 25.4 / 72


@dataclass(frozen=True)
class Ellipse:
    cx: float
    cy: float
    rx: float
    ry: float


@dataclass(frozen=True)
class Polygon:
    points: tuple[Point, ...]


Shape = Ellipse | Polygon


def _mirror(shape: Shape) -> Shape:
    """The same shape on the other side of the figure's midline."""
    if isinstance(shape, Ellipse):
        return Ellipse(FIGURE_W - shape.cx, shape.cy, shape.rx, shape.ry)
    return Polygon(tuple((FIGURE_W - x, y) for x, y in reversed(shape.points)))


def _pair(shape: Shape) -> tuple[Shape, Shape]:
    return shape, _mirror(shape)


# The outline: a head, neck, trunk, arms and legs. Drawn twice (stroke, then fill without
# stroke), so the overlaps between the parts leave no lines inside the body.
_ARM = Polygon(((31, 44), (22, 48), (16, 78), (12, 108), (18, 110), (24, 80), (31, 62)))
_LEG = Polygon(((31, 118), (50, 122), (48, 170), (47, 212), (39, 212), (37, 170)))
OUTLINE: tuple[Shape, ...] = (
    Ellipse(50, 17, 11, 14),
    Polygon(((44, 28), (56, 28), (57, 42), (43, 42))),
    Polygon(((31, 41), (69, 41), (67, 70), (64, 100), (69, 122), (31, 122), (36, 100), (33, 70))),
    *_pair(_ARM),
    *_pair(Ellipse(14, 116, 4.5, 8)),
    *_pair(_LEG),
    *_pair(Ellipse(42, 218, 6, 4.5)),
)

#: Where each intake pain area (posture.core.intake.PAIN_AREAS) is drawn, per side.
AREA_SHAPES: dict[str, dict[Side, tuple[Shape, ...]]] = {
    "headaches": {"front": (Ellipse(50, 14, 10, 10),), "back": (Ellipse(50, 16, 10.5, 13),)},
    "jaw/TMJ": {"front": _pair(Ellipse(42.5, 25, 3.2, 3.2))},
    "neck": {"front": (Polygon(((44.5, 31), (55.5, 31), (56, 41), (44, 41))),),
             "back": (Polygon(((44, 29), (56, 29), (57, 41), (43, 41))),)},
    "shoulders": {"front": _pair(Ellipse(31, 46, 7, 5.5)), "back": _pair(Ellipse(31, 46, 7, 5.5))},
    "upper back": {"back": (Polygon(((38, 43), (62, 43), (64, 56), (64, 72), (36, 72), (36, 56))),)},
    "lower back": {"back": (Polygon(((37, 76), (63, 76), (62, 100), (38, 100))),)},
    "hips": {"front": _pair(Ellipse(37, 113, 6, 6)), "back": _pair(Ellipse(40.5, 114, 9, 7.5))},
    "wrists/hands": {"front": _pair(Ellipse(14, 113, 5, 9)), "back": _pair(Ellipse(14, 113, 5, 9))},
    "knees": {"front": _pair(Ellipse(42.5, 170, 5.5, 6.5)), "back": _pair(Ellipse(42.5, 170, 5.5, 6.5))},
    "calves": {"back": _pair(Ellipse(42.5, 190, 4.5, 11))},
    "feet": {"front": _pair(Ellipse(42, 218, 6, 4.5)), "back": _pair(Ellipse(42, 217, 5, 4))},
}

RGB = tuple[int, int, int]
_NO_PAIN: RGB = (255, 255, 255)
_LOW: RGB = (255, 226, 140)   # level 1: pale amber
_HIGH: RGB = (165, 0, 38)     # level 10: deep red
NOT_RATED: RGB = (205, 205, 205)
OUTLINE_FILL: RGB = (246, 244, 240)
OUTLINE_STROKE: RGB = (120, 120, 120)


def pain_colour(level: int | None) -> RGB:
    """The shade for a 0–10 level: white for 0 (rated, no pain), pale amber at 1 to deep red
    at 10, linear in between; grey for an area ticked but not rated."""
    if level is None:
        return NOT_RATED
    if not 0 <= level <= 10:
        raise ValueError(f"pain level must be 0-10, got {level}")
    if level == 0:
        return _NO_PAIN
    t = (level - 1) / 9
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(_LOW, _HIGH, strict=True))
    return (r, g, b)


@dataclass(frozen=True)
class Shaded:
    """One pain area drawn on one figure."""

    area: str
    level: int | None
    side: Side
    shapes: tuple[Shape, ...]
    colour: RGB


@dataclass(frozen=True)
class BodyChart:
    shaded: tuple[Shaded, ...]  # least painful first, so the worst is drawn on top
    unplaced: tuple[tuple[str, int | None], ...]

    @property
    def width(self) -> float:
        return 2 * FIGURE_W + GAP

    @property
    def height(self) -> float:
        return FIGURE_H + CAPTION_H + LEGEND_H


def chart(pain: dict[str, int | None]) -> BodyChart:
    """Lay out the chart for an intake's pain areas (area -> 0–10, None: not rated)."""
    shaded: list[Shaded] = []
    unplaced: list[tuple[str, int | None]] = []
    for area, level in pain.items():
        where = AREA_SHAPES.get(area)
        if where is None:
            unplaced.append((area, level))
            continue
        for side in SIDES:
            if side in where:
                shaded.append(Shaded(area, level, side, where[side], pain_colour(level)))
    shaded.sort(key=lambda s: -1 if s.level is None else s.level)
    return BodyChart(tuple(shaded), tuple(unplaced))


def _offset(side: Side) -> float:
    return 0.0 if side == "front" else FIGURE_W + GAP


def _hex(c: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*c)


def _svg_shape(s: Shape, dx: float, attrs: str) -> str:
    if isinstance(s, Ellipse):
        return f"<ellipse cx='{s.cx + dx:g}' cy='{s.cy:g}' rx='{s.rx:g}' ry='{s.ry:g}' {attrs}/>"
    pts = " ".join(f"{x + dx:g},{y:g}" for x, y in s.points)
    return f"<polygon points='{pts}' {attrs}/>"


#: The legend: a box for each of these levels, then one for "not rated" (n/r).
LEGEND_LEVELS: tuple[int | None, ...] = (0, 2, 4, 6, 8, 10, None)
_LEGEND_X0 = 38.0


def _legend_box() -> float:
    """Width of one legend box (chart units), so the row ends at the chart's right edge."""
    return (2 * FIGURE_W + GAP - _LEGEND_X0) / len(LEGEND_LEVELS)


def to_svg(c: BodyChart, width_px: int = 260) -> str:
    """A self-contained SVG (no external resources). Each shaded area carries a <title>
    (its name and level) for a hover and for screen readers."""
    e = html.escape
    h_px = round(width_px * c.height / c.width)
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' class='bodychart' role='img' width='{width_px}' "
             f"height='{h_px}' viewBox='0 0 {c.width:g} {c.height:g}' "
             "aria-label='Body chart: pain areas shaded by level, front and back'>"]
    for side in SIDES:
        dx = _offset(side)
        stroke = f"fill='{_hex(OUTLINE_FILL)}' stroke='{_hex(OUTLINE_STROKE)}' stroke-width='2.4'"
        parts += [_svg_shape(s, dx, stroke) for s in OUTLINE]
        parts += [_svg_shape(s, dx, f"fill='{_hex(OUTLINE_FILL)}'") for s in OUTLINE]
    for sh in c.shaded:
        dx = _offset(sh.side)
        dash = " stroke-dasharray='2 1.5'" if sh.level is None else ""
        what = f"{sh.area}: " + ("not rated" if sh.level is None else f"{sh.level}/10")
        parts.append(f"<g class='pain' data-area='{e(sh.area)}' data-level='{'' if sh.level is None else sh.level}'>"
                     f"<title>{e(what)}</title>")
        parts += [_svg_shape(s, dx, f"fill='{_hex(sh.colour)}' stroke='#7a1c1c' stroke-width='0.8'{dash}")
                  for s in sh.shapes]
        parts.append("</g>")
    y = FIGURE_H + 10
    font = "font-family='DejaVu Sans,Arial,sans-serif' font-size='8' fill='#333' text-anchor='middle'"
    for side, text in zip(SIDES, ("Front", "Back"), strict=True):
        dx = _offset(side)
        parts.append(f"<text x='{dx + FIGURE_W / 2:g}' y='{y:g}' {font}>{text}</text>")
    small = "font-family='DejaVu Sans,Arial,sans-serif' font-size='6.5' fill='#555'"
    # The client's right is on the viewer's left in the front figure, on the right in the back one.
    parts.append(f"<text x='4' y='60' {small}>R</text><text x='{FIGURE_W - 8:g}' y='60' {small}>L</text>")
    parts.append(f"<text x='{FIGURE_W + GAP + 4:g}' y='60' {small}>L</text>"
                 f"<text x='{c.width - 8:g}' y='60' {small}>R</text>")
    ly = FIGURE_H + CAPTION_H + 2
    box = _legend_box()
    parts.append(f"<text x='0' y='{ly + 7:g}' {small}>pain 0–10</text>")
    for k, lv in enumerate(LEGEND_LEVELS):
        x = _LEGEND_X0 + k * box
        dash = " stroke-dasharray='2 1.5'" if lv is None else ""
        parts.append(f"<rect x='{x:g}' y='{ly:g}' width='{box - 2:g}' height='9' fill='{_hex(pain_colour(lv))}' "
                     f"stroke='#999' stroke-width='0.5'{dash}/>"
                     f"<text x='{x + (box - 2) / 2:g}' y='{ly + 17:g}' {small} text-anchor='middle'>"
                     f"{'n/r' if lv is None else lv}</text>")
    parts.append("</svg>")
    return "".join(parts)


def draw_pdf(pdf: FPDF, c: BodyChart, x_mm: float, y_mm: float, width_mm: float) -> float:
    """Draw the chart as vector shapes with its top-left corner at (x_mm, y_mm), `width_mm`
    wide. Returns the height used (mm). The caller's font is used for the captions."""
    k = width_mm / c.width

    def shape(s: Shape, dx: float, style: str) -> None:
        if isinstance(s, Ellipse):
            pdf.ellipse(x_mm + (s.cx - s.rx + dx) * k, y_mm + (s.cy - s.ry) * k, 2 * s.rx * k, 2 * s.ry * k, style=style)
        else:
            pdf.polygon([(x_mm + (px + dx) * k, y_mm + py * k) for px, py in s.points], style=style)

    with pdf.local_context():
        pdf.set_draw_color(*OUTLINE_STROKE)
        pdf.set_fill_color(*OUTLINE_FILL)
        pdf.set_line_width(2.4 * k)
        for side in SIDES:
            for s in OUTLINE:
                shape(s, _offset(side), "DF")
        for side in SIDES:
            for s in OUTLINE:
                shape(s, _offset(side), "F")
        pdf.set_draw_color(122, 28, 28)
        pdf.set_line_width(0.8 * k)
        for sh in c.shaded:
            pdf.set_fill_color(*sh.colour)
            if sh.level is None:
                pdf.set_dash_pattern(dash=2 * k, gap=1.5 * k)
            for s in sh.shapes:
                shape(s, _offset(sh.side), "DF")
            pdf.set_dash_pattern()
        size = pdf.font_size_pt
        pdf.set_text_color(51, 51, 51)
        pdf.set_font(size=8 * k / PT_MM)  # 8 chart units, as in the SVG
        for side, text in zip(SIDES, ("Front", "Back"), strict=True):
            pdf.set_xy(x_mm + _offset(side) * k, y_mm + (FIGURE_H + 3) * k)
            pdf.cell(FIGURE_W * k, 8 * k, text, align="C")
        pdf.set_font(size=6.5 * k / PT_MM)
        for x, t in ((4, "R"), (FIGURE_W - 8, "L"), (FIGURE_W + GAP + 4, "L"), (c.width - 8, "R")):
            pdf.set_xy(x_mm + x * k, y_mm + 54 * k)
            pdf.cell(6 * k, 7 * k, t)
        ly = FIGURE_H + CAPTION_H + 2
        box = _legend_box()
        pdf.set_xy(x_mm, y_mm + ly * k)
        pdf.cell(36 * k, 9 * k, "pain 0-10")  # ASCII: the caller may use a core font
        pdf.set_draw_color(153, 153, 153)
        pdf.set_line_width(0.5 * k)
        for i, lv in enumerate(LEGEND_LEVELS):
            bx = _LEGEND_X0 + i * box
            pdf.set_fill_color(*pain_colour(lv))
            if lv is None:
                pdf.set_dash_pattern(dash=2 * k, gap=1.5 * k)
            pdf.rect(x_mm + bx * k, y_mm + ly * k, (box - 2) * k, 9 * k, style="DF")
            pdf.set_dash_pattern()
            pdf.set_xy(x_mm + bx * k, y_mm + (ly + 10) * k)
            pdf.cell((box - 2) * k, 8 * k, "n/r" if lv is None else str(lv), align="C")
        pdf.set_font(size=size)
    return c.height * k
