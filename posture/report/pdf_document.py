"""What the summary's and the handout's PDFs share: the paper sizes, the embedded Unicode
fonts, and text made drawable in them.

The fonts are DejaVu Sans (Latin, Greek, Cyrillic, symbols) and, loaded only into a
document whose text needs it, Droid Sans Fallback for Chinese and Japanese. A character
none of them has shows as its code point, never as a silent "?".
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from fpdf import FPDF

Paper = Literal["A4", "Letter"]
PAPERS: tuple[Paper, ...] = ("A4", "Letter")

#: Fonts shipped in posture/report/fonts (see its README for sources and licences).
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
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # fontTools ships no type information

    with TTFont(_FONT_DIR / filename, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _main_charset() -> frozenset[int]:
    return _charset(_MAIN_FONTS[0][2]) | _charset(_MAIN_FONTS[1][2])


def pdf_text(text: str) -> str:
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


Doc = TypeVar("Doc", bound="FPDF")


def open_document(paper: Paper, doc_class: type[Doc]) -> Doc:
    """A millimetre document of `doc_class` (FPDF or a subclass with its own footer) on
    `paper`, with the main fonts loaded as "dejavu" (regular and "B")."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be A4 or Letter, got {paper!r}")
    pdf = doc_class(format=paper, unit="mm")
    for family, style, filename in _MAIN_FONTS:
        pdf.add_font(family, style, fname=_FONT_DIR / filename)
    # exact_match=False: bold text falls back to a regular glyph rather than to nothing.
    pdf.set_fallback_fonts(["dejavu"], exact_match=False)
    return pdf


def drawable(pdf: FPDF, text: str) -> str:
    """`pdf_text(text)`, loading the CJK font into `pdf` the first time a text needs it."""
    text = pdf_text(text)
    if "droid" not in pdf.fonts and not set(map(ord, text.replace("\n", ""))) <= _main_charset():
        pdf.add_font(_CJK_FONT[0], _CJK_FONT[1], fname=_FONT_DIR / _CJK_FONT[2])
        pdf.set_fallback_fonts(["dejavu", "droid"], exact_match=False)
    return text
