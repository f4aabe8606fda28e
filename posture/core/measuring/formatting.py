"""The one value formatter: how a measure is named and how its value reads, everywhere.

Findings, the summary (Markdown, HTML, PDF), the app's tables, the image overlays and the
live frames all go through these functions, which read each measure's names and sign words
from its declaration (`measures.py`), so a value reads the same wherever it is shown: a plain name
("Shoulder tilt"), the sign in words ("left higher by 2.1° ± 0.8°"), units as ° / cm / %,
and a withheld value as "not measured: <reason>" in full.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .measures import MEASURES, Measure


def label(name: str) -> str:
    """The plain name of a measure ("Shoulder tilt"); an unknown name is made readable."""
    spec = MEASURES.get(name)
    return spec.label if spec is not None else name.removesuffix("_deg").replace("_", " ").capitalize()


def short_label(name: str) -> str:
    """A short name for labels on a photo or a live frame ("Shoulders", "CVA")."""
    spec = MEASURES.get(name)
    return spec.short if spec is not None else label(name)


def unit_symbol(unit: str, ascii_only: bool = False) -> str:
    """The unit as written after a number: "°", " cm", "%". `ascii_only` for text drawn with
    OpenCV's Hershey fonts, which have no degree sign ("deg")."""
    if unit == "deg":
        return " deg" if ascii_only else "°"
    if unit.startswith("%"):
        return "%"
    return f" {unit}"


def amount(value: float, unit: str, uncertainty: float | None = None, ascii_only: bool = False) -> str:
    """The magnitude with its unit and ± (1 SD): "2.1° ± 0.8°". One decimal throughout:
    the ± of a photo measure is rarely under 0.3, so a second decimal would be noise."""
    u = unit_symbol(unit, ascii_only)
    pm = "+/-" if ascii_only else "±"
    text = f"{abs(value):.1f}{u}"
    if uncertainty is not None:
        text += f" {pm} {abs(uncertainty):.1f}{u}"
    return text


def signed_amount(value: float, unit: str, ascii_only: bool = False) -> str:
    """A value or a change with its sign and unit, one decimal: "+8.4°", "−4.9%"."""
    text = f"{value:+.1f}{unit_symbol(unit, ascii_only)}"
    if round(value, 1) == 0:
        text = text.lstrip("+-")  # "0.0°": neither way
    return text if ascii_only else text.replace("-", "−", 1)


def signed_words(name: str, value: float, unit: str, uncertainty: float | None = None,
                 ascii_only: bool = False) -> str:
    """The value with its sign in words: "left higher by 2.1° ± 0.8°".

    A value that rounds to 0.0 gets the measure's neutral word ("level (0.0° ± 0.4°)").
    A measure with no sign convention in words (the craniovertebral angle: its size is the
    reading) is its number: "52.3° ± 1.2°"."""
    spec = MEASURES.get(name)
    words = None if spec is None else spec.words
    if words is None:
        text = f"{value:.1f}{unit_symbol(unit, ascii_only)}"
        if value < 0 and round(value, 1) != 0:
            text = ("-" if ascii_only else "−") + text.lstrip("-")
        if uncertainty is not None:
            text += f" {'+/-' if ascii_only else '±'} {abs(uncertainty):.1f}{unit_symbol(unit, ascii_only)}"
        return text
    a = amount(value, unit, uncertainty, ascii_only)
    if round(value, 1) == 0:
        return f"{words.neutral} ({a})"
    return (words.positive if value > 0 else words.negative).format(a=a)


def overlay_words(name: str, value: float, unit: str) -> str:
    """A value on a photo, where space is tight: the short name, the sign in a word or two
    and the size ("Shoulders: L higher 2.1°"); a measure without short sign words reads as
    its number or full words ("CVA 52.3°"). The ± and the full wording are in the table."""
    spec = MEASURES.get(name)
    overlay = None if spec is None or spec.words is None else spec.words.overlay
    if overlay is None or round(value, 1) == 0:
        return f"{short_label(name)} {signed_words(name, value, unit)}"
    return f"{short_label(name)}: {overlay[0] if value > 0 else overlay[1]} {amount(value, unit)}"


def live_value(name: str, value: float) -> str:
    """A live reading: whole degrees or percent (the frame-to-frame jitter is about a degree,
    so a decimal would only flicker)."""
    spec = MEASURES.get(name)
    sign = "−" if round(value) < 0 else ""
    return f"{short_label(name)}: {sign}{abs(value):.0f}{unit_symbol(spec.unit if spec else 'deg')}"


_SNAKE = re.compile(r"\b(?:left|right|mouth|nose)_[a-z_]+\b")
_DEG = re.compile(r"(\d) deg\b")
_PCT = re.compile(r"(\d) % (torso|height)\b")


_LIMIT = re.compile(r"\(limit ([0-9.]+)\)")
#: How a withheld value reads in a table or a line.
NOT_MEASURED = "not measured: "


def reason_text(reason: str, unit: str | None = None) -> str:
    """A withheld value's reason, readable and in full: landmark keys as words
    ("left_ankle" -> "left ankle"), degrees as "°", the spread limit with its unit."""
    text = _SNAKE.sub(lambda m: m.group(0).replace("_", " "), reason)
    text = _DEG.sub(r"\1°", text)
    text = _PCT.sub(r"\1%", text)
    if unit is not None:
        text = _LIMIT.sub(lambda m: f"(limit {m.group(1)}{unit_symbol(unit)})", text)
    return text


def measure_text(m: Measure, ascii_only: bool = False) -> str:
    """What a table or a line shows for a measure: the signed value in words, or
    "not measured: <reason>" in full."""
    if m.value is None:
        # A set-up gate's reason already begins "not measured: " (the JSON keeps it so): said once.
        reason = (m.reason or "no reading").removeprefix(NOT_MEASURED)
        return f"{NOT_MEASURED}{reason_text(reason, m.unit)}"
    return signed_words(m.name, m.value, m.unit, m.uncertainty, ascii_only)


def definition(name: str) -> str:
    """What the measure is and its sign convention, from the measures table."""
    spec = MEASURES.get(name)
    return "" if spec is None else f"{spec.definition} {spec.sign}"


@dataclass(frozen=True)
class MeasureRow:
    """One line of a measures table: plain name, reading in words, what it means."""

    name: str
    label: str
    reading: str
    measured: bool
    definition: str


def measure_rows(measures: Mapping[str, Measure]) -> list[MeasureRow]:
    """The measures worth showing for a photo (measured, or meant to be but withheld), in
    the table's order."""
    return [MeasureRow(n, label(n), measure_text(m), m.value is not None, definition(n))
            for n, m in measures.items() if m.relevant]
