"""The one value formatter: how a measure is named and how its value reads, everywhere.

Findings, the summary (Markdown, HTML, PDF), the app's tables and the image overlays all go
through these functions, so a value reads the same wherever it is shown: a plain name
("Shoulder tilt"), the sign in words ("left higher by 2.1° ± 0.8°"), units as ° / cm / %,
and a withheld value as "not measured: <reason>" in full.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .measures import MEASURES_BY_NAME, Measure

#: Plain names, for people. Every measure in the table has one (a test checks it).
LABELS: dict[str, str] = {
    "head_tilt_deg": "Head tilt",
    "shoulder_tilt_deg": "Shoulder tilt",
    "hip_tilt_deg": "Hip tilt (pelvic obliquity proxy)",
    "trunk_lean_deg": "Trunk side lean",
    "left_knee_valgus_deg": "Left knee alignment",
    "right_knee_valgus_deg": "Right knee alignment",
    "craniovertebral_angle_deg": "Craniovertebral angle (ear–shoulder proxy)",
    "neck_inclination_deg": "Neck inclination (ear–shoulder line from vertical)",
    "neck_on_trunk_flexion_deg": "Neck flexion on the trunk",
    "torso_inclination_deg": "Trunk inclination",
    "forward_head_offset_pct": "Head forward of shoulder (% of trunk length)",
    "forward_head_offset_cm": "Head forward of shoulder",
    "trunk_thigh_angle_deg": "Trunk–thigh angle",
    "knee_flexion_deg": "Knee bend",
    "ear_plumb_offset_pct": "Ear from plumb line (% of height)",
    "ear_plumb_offset_cm": "Ear from plumb line",
    "shoulder_plumb_offset_pct": "Shoulder from plumb line (% of height)",
    "shoulder_plumb_offset_cm": "Shoulder from plumb line",
    "hip_plumb_offset_pct": "Hip from plumb line (% of height)",
    "hip_plumb_offset_cm": "Hip from plumb line",
    "knee_plumb_offset_pct": "Knee from plumb line (% of height)",
    "knee_plumb_offset_cm": "Knee from plumb line",
}

#: Short names for labels drawn on a photo (space is tight there).
SHORT_LABELS: dict[str, str] = {
    "head_tilt_deg": "Head",
    "shoulder_tilt_deg": "Shoulders",
    "hip_tilt_deg": "Hips",
    "trunk_lean_deg": "Trunk",
    "left_knee_valgus_deg": "L knee",
    "right_knee_valgus_deg": "R knee",
    "craniovertebral_angle_deg": "CVA",
    "neck_inclination_deg": "Neck",
    "neck_on_trunk_flexion_deg": "Neck/trunk",
    "torso_inclination_deg": "Trunk",
    "trunk_thigh_angle_deg": "Trunk-thigh",
    "knee_flexion_deg": "Knee",
}

#: What a positive and a negative value mean, in words: (positive, negative, zero).
#: "{a}" is the magnitude with its unit and ±.
_WORDS: dict[str, tuple[str, str, str]] = {
    "head_tilt_deg": ("left ear higher by {a}", "right ear higher by {a}", "level"),
    "shoulder_tilt_deg": ("left higher by {a}", "right higher by {a}", "level"),
    "hip_tilt_deg": ("left higher by {a}", "right higher by {a}", "level"),
    "trunk_lean_deg": ("leaning toward the left by {a}", "leaning toward the right by {a}", "upright"),
    "left_knee_valgus_deg": ("inward (valgus) by {a}", "outward (varus) by {a}", "straight"),
    "right_knee_valgus_deg": ("inward (valgus) by {a}", "outward (varus) by {a}", "straight"),
    "neck_inclination_deg": ("forward by {a}", "back by {a}", "upright"),
    "neck_on_trunk_flexion_deg": ("flexed by {a}", "extended by {a}", "in line with the trunk"),
    "torso_inclination_deg": ("forward by {a}", "reclined by {a}", "upright"),
    "forward_head_offset_pct": ("ear forward by {a}", "ear behind by {a}", "ear over the shoulder"),
    "forward_head_offset_cm": ("ear forward by {a}", "ear behind by {a}", "ear over the shoulder"),
    "trunk_thigh_angle_deg": ("flexed by {a}", "extended by {a}", "straight"),
    "knee_flexion_deg": ("bent by {a}", "hyperextended by {a}", "straight"),
}
for _part in ("ear", "shoulder", "hip", "knee"):
    for _unit in ("pct", "cm"):
        _WORDS[f"{_part}_plumb_offset_{_unit}"] = (
            "forward of the ankle by {a}", "behind the ankle by {a}", "over the ankle")


def label(name: str) -> str:
    """The plain name of a measure ("Shoulder tilt"); an unknown name is made readable."""
    return LABELS.get(name) or name.removesuffix("_deg").replace("_", " ").capitalize()


def short_label(name: str) -> str:
    """A short name for overlays on a photo ("Shoulders", "CVA")."""
    return SHORT_LABELS.get(name) or label(name)


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


def signed_words(name: str, value: float, unit: str, uncertainty: float | None = None,
                 ascii_only: bool = False) -> str:
    """The value with its sign in words: "left higher by 2.1° ± 0.8°".

    A value that rounds to 0.0 gets the measure's neutral word ("level (0.0° ± 0.4°)").
    A measure with no sign convention in words (the craniovertebral angle: its size is the
    reading) is its number: "52.3° ± 1.2°"."""
    words = _WORDS.get(name)
    if words is None:
        text = f"{value:.1f}{unit_symbol(unit, ascii_only)}"
        if value < 0 and round(value, 1) != 0:
            text = ("-" if ascii_only else "−") + text.lstrip("-")
        if uncertainty is not None:
            text += f" {'+/-' if ascii_only else '±'} {abs(uncertainty):.1f}{unit_symbol(unit, ascii_only)}"
        return text
    positive, negative, zero = words
    a = amount(value, unit, uncertainty, ascii_only)
    if round(value, 1) == 0:
        return f"{zero} ({a})"
    return (positive if value > 0 else negative).format(a=a)


_SNAKE = re.compile(r"\b(?:left|right|mouth|nose)_[a-z_]+\b")
_DEG = re.compile(r"(\d) deg\b")
_PCT = re.compile(r"(\d) % (torso|height)\b")


_LIMIT = re.compile(r"\(limit ([0-9.]+)\)")


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
        return f"not measured: {reason_text(m.reason or 'no reading', m.unit)}"
    return signed_words(m.name, m.value, m.unit, m.uncertainty, ascii_only)


def definition(name: str) -> str:
    """What the measure is and its sign convention, from the measures table."""
    spec = MEASURES_BY_NAME.get(name)
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
