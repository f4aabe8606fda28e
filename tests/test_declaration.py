"""Each measure is declared once (`posture/core/measuring/measures.py`) and everything else derives from it.

The first test declares a new measure in that one place and finds it in the JSON, the
measures table, the overlay, the summary, the before/after comparison and the live
monitor. The others check that the facts other modules used to keep in their
own lists (gates, regions, live lists, key measures, thresholds) are the table's.
"""

from __future__ import annotations

import dataclasses

import pytest

from posture.core.body.landmarks import Landmark
from posture.core.measuring import geometry as g
from posture.core.measuring.findings import load_thresholds
from posture.core.measuring.measure_spec import (
    ARMS_CHECK,
    FRONTAL,
    REGIONS,
    SAGITTAL,
    STANCE_CHECK,
    STORED_DECIMALS,
    Grading,
    MeasureContext,
    MeasureSpec,
    NeutralBand,
    SignWords,
)
from posture.core.measuring.measures import MEASURES

PHOTO = "standing_front_05_video.jpg"


def _wrist_tilt(xy, ctx: MeasureContext) -> float:
    return g.tilt_deg(xy[Landmark.LEFT_WRIST], xy[Landmark.RIGHT_WRIST])


WRIST_TILT = MeasureSpec(
    "wrist_tilt_deg", "deg", FRONTAL, frozenset(MEASURES["shoulder_tilt_deg"].postures),
    "Angle of the line through the two wrists against the horizontal.",
    "Positive when the subject's left wrist is higher.",
    lambda ctx: (Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST), _wrist_tilt, max_spread=5.0,
    label="Wrist tilt", short_label="Wrists",
    words=SignWords("left wrist higher by {a}", "right wrist higher by {a}", "level", overlay=("L up", "R up")),
    key=True, overlay=True, live=True,
)


@pytest.fixture
def wrist_tilt(monkeypatch):
    """The measures table with one more measure, declared only here."""
    monkeypatch.setitem(MEASURES.by_name, WRIST_TILT.name, WRIST_TILT)
    return WRIST_TILT


def test_a_measure_declared_once_is_everywhere(wrist_tilt, data_dir):
    from posture import assess
    from posture.core.compare import compare
    from posture.core.image.imaging import load_image
    from posture.core.measuring.formatting import measure_rows
    from posture.live.engine import LiveConfig, LiveEngine
    from posture.report.draw import annotate_with_labels
    from posture.report.markdown import to_markdown
    from posture.report.summary import Summary

    a = assess(data_dir / PHOTO, view="front")
    m = a.measures["wrist_tilt_deg"]
    assert m.value is not None and m.uncertainty is not None and m.uncertainty > 0  # measured, with its ±
    as_json = a.to_dict()["measures"]["wrist_tilt_deg"]
    assert as_json["unit"] == "deg" and as_json["value"] == round(m.value, STORED_DECIMALS)

    rows = {r.name: r for r in measure_rows(a.measures)}
    side = "left" if m.value > 0 else "right"
    assert rows["wrist_tilt_deg"].label == "Wrist tilt"
    assert rows["wrist_tilt_deg"].reading.startswith(f"{side} wrist higher by")
    assert rows["wrist_tilt_deg"].definition.startswith("Angle of the line through the two wrists")

    _, drawn = annotate_with_labels(load_image(data_dir / PHOTO).bgr, a)
    assert any(d.text.startswith("Wrists: ") for d in drawn), [d.text for d in drawn]

    assert "| Wrist tilt |" in to_markdown(Summary([a]))

    (change,) = [c for c in compare(a, a) if c.name == "wrist_tilt_deg"]
    assert change.change == 0.0 and change.status.value == "not graded"  # it raises no finding: no verdict

    with LiveEngine(LiveConfig(view="front")) as engine:
        result = engine.process(load_image(data_dir / PHOTO).bgr, 0.0)
    assert result.view == "front" and result.measures.get("wrist_tilt_deg") is not None


def test_without_the_fixture_the_measure_is_gone():
    """The fixture leaves the table as it was: no test sees another's measure."""
    assert "wrist_tilt_deg" not in MEASURES


def test_set_up_gates_come_from_the_table():
    assert MEASURES.withheld_by(ARMS_CHECK) == ("head_tilt_deg", "shoulder_tilt_deg")
    stance = MEASURES.withheld_by(STANCE_CHECK)
    assert set(stance) == set(MEASURES.names())  # one leg or a squat: no reading is a standing posture's
    # read against gravity: the four left-right lines and the trunk, not the knees' own bend
    assert MEASURES.reading_gravity() == ("head_tilt_deg", "shoulder_tilt_deg", "hip_tilt_deg", "trunk_lean_deg")


def test_every_graded_measure_has_a_region_words_and_cut_offs():
    thresholds = load_thresholds()
    assert set(MEASURES.grading_keys()) == set(thresholds)  # no finding without cut-offs, no cut-offs unread
    for spec in MEASURES:
        if spec.grading is None:
            continue
        assert spec.region in REGIONS, spec.name
        assert thresholds[spec.grading.key].measures == MEASURES.graded_by(spec.grading.key)
        fields = {"side": "left", "other": "right", "by": "1.0°", "reading": "1.0°"}
        assert "{" not in spec.grading.title.format(**fields) + spec.grading.detail.format(**fields), spec.name
    for region in REGIONS:
        assert MEASURES.in_region(region), region  # every region of the summary can be assessed


def test_live_lists_and_advice_come_from_the_table():
    from posture.live.state import advice_for, live_keys, live_measures

    assert live_measures(side=False) == ("head_tilt_deg", "shoulder_tilt_deg", "trunk_lean_deg")
    assert "torso_inclination_deg" in live_measures(side=True)
    assert live_keys(side=True) == ("neck_flexion", "torso_flexion")
    assert "left ear is higher" in advice_for("head_tilt", 3.0)
    assert "right ear is higher" in advice_for("head_tilt", -3.0)
    assert advice_for("not_a_finding", 1.0) == ""


def test_key_measures_are_charted_per_kind_of_view():
    assert MEASURES.key_measures(FRONTAL) == ("head_tilt_deg", "shoulder_tilt_deg", "hip_tilt_deg", "trunk_lean_deg")
    assert MEASURES.key_measures(SAGITTAL) == (
        "craniovertebral_angle_deg", "neck_inclination_deg", "torso_inclination_deg")


def test_better_is_toward_the_neutral_band():
    band = NeutralBand(-2.0, 5.0)
    assert band.distance(3.0) == 0.0 and band.distance(-4.0) == 2.0 and band.distance(8.0) == 3.0
    assert MEASURES["craniovertebral_angle_deg"].better == NeutralBand(90.0, 90.0)
    assert MEASURES["knee_flexion_deg"].better is None


def test_a_declaration_that_contradicts_itself_is_refused():
    with pytest.raises(ValueError, match="unknown region"):
        dataclasses.replace(WRIST_TILT, region="elbows")
    with pytest.raises(ValueError, match="live advice needs a grading"):
        dataclasses.replace(WRIST_TILT, advice=("a", "b"))
    with pytest.raises(ValueError, match="unknown set-up checks"):
        dataclasses.replace(WRIST_TILT, withheld_by=frozenset({"lighting"}))
    with pytest.raises(ValueError, match="says 'likely'"):
        Grading("wrist_tilt", "Wrists uneven", "d")  # a possible finding could not say "possibly"
    graded = dataclasses.replace(WRIST_TILT, grading=Grading("wrist_tilt", "Wrists likely uneven", "d"))
    assert graded.grading is not None
    from posture.core.measuring.measure_spec import MeasureTable
    with pytest.raises(ValueError, match="declared twice"):
        MeasureTable((WRIST_TILT, WRIST_TILT))


def test_no_measure_claims_a_turn_its_views_do_not_hold():
    from posture.core.body.views import turn_limit_deg

    for spec in MEASURES:
        assert spec.max_turn_deg <= min(turn_limit_deg(v) for v in spec.views), spec.name
    # Only the shoulder line is read past 30 deg (measured to hold to 45).
    assert {s.name for s in MEASURES if s.max_turn_deg > 30.0} == {"shoulder_tilt_deg"}
