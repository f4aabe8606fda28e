"""The intake body chart: layout, colours, SVG and PDF vectors."""

import io
import re
import xml.etree.ElementTree as ET

import pytest

from posture.core.intake import PAIN_AREAS
from posture.report.bodychart import (
    AREA_SHAPES,
    FIGURE_H,
    FIGURE_W,
    NOT_RATED,
    OUTLINE,
    Ellipse,
    chart,
    draw_pdf,
    pain_colour,
    to_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


def test_pain_colour_scale():
    assert pain_colour(0) == (255, 255, 255)  # rated, no pain: white
    assert pain_colour(None) == NOT_RATED
    assert pain_colour(1) == (255, 226, 140) and pain_colour(10) == (165, 0, 38)
    darkness = [sum(pain_colour(lv)) for lv in range(0, 11)]
    assert darkness == sorted(darkness, reverse=True) and len(set(darkness)) == 11  # strictly darker
    with pytest.raises(ValueError, match="0-10"):
        pain_colour(11)


def _bounds(shape):
    if isinstance(shape, Ellipse):
        return shape.cx - shape.rx, shape.cy - shape.ry, shape.cx + shape.rx, shape.cy + shape.ry
    xs, ys = zip(*shape.points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def test_every_intake_area_but_other_has_a_place_inside_the_figure():
    assert set(AREA_SHAPES) == set(PAIN_AREAS) - {"other"}
    shapes = [s for sides in AREA_SHAPES.values() for ss in sides.values() for s in ss] + list(OUTLINE)
    for s in shapes:
        x0, y0, x1, y1 = _bounds(s)
        assert 0 <= x0 < x1 <= FIGURE_W and 0 <= y0 < y1 <= FIGURE_H, s


def test_paired_areas_are_mirror_images():
    left, right = AREA_SHAPES["knees"]["front"]
    assert isinstance(left, Ellipse) and isinstance(right, Ellipse)
    assert left.cx + right.cx == FIGURE_W and (left.cy, left.rx, left.ry) == (right.cy, right.rx, right.ry)


def test_chart_places_areas_on_their_sides_worst_on_top():
    c = chart({"upper back": 3, "jaw/TMJ": 8, "neck": None, "other": 4, "my left toe": 2})
    assert [(s.area, s.side) for s in c.shaded] == [("neck", "front"), ("neck", "back"), ("upper back", "back"),
                                                    ("jaw/TMJ", "front")]
    assert c.unplaced == (("other", 4), ("my left toe", 2))
    assert c.shaded[-1].colour == pain_colour(8)


def test_svg_is_well_formed_and_shades_each_area_by_its_level():
    svg = to_svg(chart({"neck": 7, "lower back": 2, "shoulders": None}), width_px=300)
    root = ET.fromstring(svg)
    assert root.get("width") == "300"
    groups = {(g.get("data-area"), g.get("data-level")) for g in root.iter(f"{SVG}g")}
    assert groups == {("neck", "7"), ("lower back", "2"), ("shoulders", "")}
    for g in root.iter(f"{SVG}g"):
        level = g.get("data-level")
        want = pain_colour(int(level) if level else None)
        fills = {e.get("fill") for e in g if e.tag in (f"{SVG}ellipse", f"{SVG}polygon")}
        assert fills == {"#{:02x}{:02x}{:02x}".format(*want)}
        assert g.find(f"{SVG}title").text.startswith(g.get("data-area"))
    assert "href" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_pdf_chart_is_vector_shapes_in_the_pain_colours():
    from fpdf import FPDF
    from pypdf import PdfReader

    pdf = FPDF(format="A4", unit="mm")
    pdf.add_page()
    pdf.set_font("helvetica", size=8)
    pdf.set_compression(False)
    c = chart({"neck": 7})
    used = draw_pdf(pdf, c, 20, 30, 60)
    assert used == pytest.approx(60 * c.height / c.width)
    page = PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0]
    stream = page.get_contents().get_data().decode("latin-1")
    fills = {tuple(round(float(v) * 255) for v in m.split()) for m in re.findall(r"([\d.]+ [\d.]+ [\d.]+) rg", stream)}
    assert pain_colour(7) in fills  # the neck's shade
    assert pain_colour(10) in fills and pain_colour(None) in fills  # the legend
    assert "/Subtype /Image" not in stream and not page.images  # drawn, not pasted as a picture
