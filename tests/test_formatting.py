"""The one value formatter: names, units, signs in words, withheld reasons in full."""

import pytest

from posture.core.measuring.findings import evaluate, load_thresholds
from posture.core.measuring.formatting import (
    amount,
    label,
    measure_rows,
    measure_text,
    reason_text,
    signed_words,
    unit_symbol,
)
from posture.core.measuring.measures import MEASURES, Measure


@pytest.mark.parametrize(("name", "value", "unit", "u", "expected"), [
    ("shoulder_tilt_deg", 2.1, "deg", 0.8, "left higher by 2.1° ± 0.8°"),
    ("shoulder_tilt_deg", -2.14, "deg", 0.83, "right higher by 2.1° ± 0.8°"),
    ("shoulder_tilt_deg", 0.04, "deg", 0.3, "level (0.0° ± 0.3°)"),
    ("shoulder_tilt_deg", -0.04, "deg", 0.3, "level (0.0° ± 0.3°)"),  # no "−0.0", no side for noise
    ("head_tilt_deg", -3.0, "deg", 1.0, "right ear higher by 3.0° ± 1.0°"),
    ("hip_tilt_deg", 4.56, "deg", None, "left higher by 4.6°"),
    ("trunk_lean_deg", -1.5, "deg", 0.5, "leaning toward the right by 1.5° ± 0.5°"),
    ("left_knee_valgus_deg", 8.2, "deg", 3.2, "inward (valgus) by 8.2° ± 3.2°"),
    ("right_knee_valgus_deg", -4.0, "deg", 1.0, "outward (varus) by 4.0° ± 1.0°"),
    ("torso_inclination_deg", -12.0, "deg", 1.0, "reclined by 12.0° ± 1.0°"),
    ("neck_on_trunk_flexion_deg", 18.5, "deg", 2.0, "flexed by 18.5° ± 2.0°"),
    ("forward_head_offset_cm", 3.26, "cm", 0.51, "ear forward by 3.3 cm ± 0.5 cm"),
    ("forward_head_offset_pct", 12.0, "% torso", 1.5, "ear forward by 12.0% ± 1.5%"),
    ("knee_plumb_offset_pct", -1.2, "% height", 0.4, "behind the ankle by 1.2% ± 0.4%"),
    ("knee_flexion_deg", -3.0, "deg", 1.0, "hyperextended by 3.0° ± 1.0°"),
    # The craniovertebral angle's size is the reading: no direction words.
    ("craniovertebral_angle_deg", 52.34, "deg", 1.2, "52.3° ± 1.2°"),
])
def test_signed_words(name, value, unit, u, expected):
    assert signed_words(name, value, unit, u) == expected


def test_ascii_for_overlays_drawn_with_hershey_fonts():
    assert signed_words("shoulder_tilt_deg", 2.1, "deg", 0.8, ascii_only=True) == "left higher by 2.1 deg +/- 0.8 deg"
    assert signed_words("craniovertebral_angle_deg", -5.0, "deg", ascii_only=True) == "-5.0 deg"
    assert signed_words("craniovertebral_angle_deg", -5.0, "deg") == "−5.0°"


def test_units():
    assert [unit_symbol(u) for u in ("deg", "cm", "% torso", "% height")] == ["°", " cm", "%", "%"]
    assert amount(-2.0, "deg", 0.5) == "2.0° ± 0.5°"


@pytest.mark.parametrize(("reason", "unit", "expected"), [
    ("unstable: readings spread 4.4 deg across augmented copies (limit 3)", "deg",
     "not measured: unstable: readings spread 4.4° across augmented copies (limit 3°)"),
    ("unstable: readings spread 9.1 % torso across augmented copies (limit 8)", "% torso",
     "not measured: unstable: readings spread 9.1% across augmented copies (limit 8%)"),
    ("left_ankle is outside the photo", "deg", "not measured: left ankle is outside the photo"),
    ("left_knee not visible enough (visibility 0.32 < 0.50)", "deg",
     "not measured: left knee not visible enough (visibility 0.32 < 0.50)"),
    (None, "deg", "not measured: no reading"),
    # a set-up gate's reason begins "not measured: " itself: said once, not twice
    ("not measured: an arm is raised above the head", "deg", "not measured: an arm is raised above the head"),
])
def test_withheld_values_say_why_in_full(reason, unit, expected):
    assert measure_text(Measure("left_knee_valgus_deg", unit, None, None, 0.0, reason)) == expected


def test_reason_text_keeps_everything_else():
    r = "reading of 45 deg is outside -30 to 30: the knee is bent, so this is not a standing alignment reading"
    assert reason_text(r) == r.replace("45 deg", "45°")


def test_every_measure_has_a_plain_label_and_words():
    for spec in MEASURES:
        assert spec.label and "_" not in label(spec.name), spec.name
        text = signed_words(spec.name, 1.0, spec.unit, 0.5)
        assert "+" not in text and "1.0" in text, (spec.name, text)
    assert label("some_new_thing_deg") == "Some new thing"


def test_measure_rows_show_relevant_measures_and_never_none(assessed):
    a = assessed("seated_side_hunched_01.jpg")
    rows = measure_rows(a.measures)
    names = [r.name for r in rows]
    assert "shoulder_tilt_deg" not in names  # not applicable to a side view: not shown
    assert "craniovertebral_angle_deg" in names
    for r in rows:
        assert "None" not in r.reading and "None" not in r.label
        assert r.reading.startswith("not measured: ") != r.measured


def test_findings_word_their_values_with_the_formatter():
    spec = {"shoulder_tilt_deg": Measure("shoulder_tilt_deg", "deg", -5.0, 0.2, 0.9)}
    (f,) = evaluate(spec, {k: v for k, v in load_thresholds().items() if k == "shoulder_tilt"})
    assert f.title == "Uneven shoulders: right shoulder likely higher"
    assert f.detail.startswith("The right shoulder sits higher by 5.0° ± 0.2°. ")
    assert "+" not in f.detail and "−5" not in f.detail
