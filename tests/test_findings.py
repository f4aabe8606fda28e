import dataclasses

import pytest

from posture.core.body.views import Posture, View, ViewName
from posture.core.errors import ConfigError
from posture.core.measuring.findings import FINDING_MARGIN_SIGMAS, Severity, Threshold, evaluate, load_thresholds
from posture.core.measuring.measures import Measure, MeasureContext, compute_measures

from .conftest import side_body, standing_side_body, swayed, synthetic_landmarks

LEFT_SEATED = View(ViewName.LEFT, Posture.SEATED, 1.0, "user")
LEFT_STANDING = View(ViewName.LEFT, Posture.STANDING, 1.0, "user")


def _m(name, value, unc=0.5, unit="deg"):
    return Measure(name, unit, value, unc, 0.9)


def test_defaults_load_and_cite_sources():
    th = load_thresholds()
    assert {"shoulder_tilt", "hip_tilt", "head_tilt", "forward_head", "knee_valgus"} <= set(th)
    assert all(t.source for t in th.values())


Z80 = 0.8416212335729143  # the standard normal's 80th percentile: "likely" is 80 % past the cut-off


def test_likely_is_eighty_percent_and_changes_need_two_sigmas():
    from statistics import NormalDist

    from posture.core.measuring.findings import LIKELY_AT, POSSIBLE_AT

    assert (LIKELY_AT, POSSIBLE_AT) == (0.8, 0.5) and NormalDist().inv_cdf(LIKELY_AT) == pytest.approx(Z80)
    assert FINDING_MARGIN_SIGMAS == 2.0  # before/after and views that disagree


@pytest.mark.parametrize(
    ("value", "unc", "expected"),
    [(2.0, 0.1, Severity.NONE),
     (2.5 + Z80 * 0.5 - 0.01, 0.5, Severity.NONE),  # just short of 80 %
     (2.5 + Z80 * 0.5 + 0.01, 0.5, Severity.MILD),
     (3.0, 0.3, Severity.MILD),  # 1.7 u past the cut-off: 95 % likely (the old 2u rule kept it mute)
     (-4.5, 0.6, Severity.MILD), (-4.5, 0.59, Severity.MODERATE),  # 4.0 + 0.84 x 0.6 = 4.505
     (7.0, 1.2, Severity.MODERATE), (7.0, 1.18, Severity.MARKED)],
)
def test_severity_is_the_highest_level_likely_past(value, unc, expected):
    t = Threshold("x", ("shoulder_tilt_deg",), 2.5, 4.0, 6.0)
    assert t.severity(value, unc) is expected


def test_below_direction_for_cva():
    t = load_thresholds()["forward_head"]
    assert t.severity(70.0, 1.0) is Severity.NONE
    assert t.severity(60.0 - Z80 + 0.01, 1.0) is Severity.NONE  # past 60, but under 80 % likely
    assert t.severity(60.0 - Z80 - 0.01, 1.0) is Severity.MILD
    assert t.severity(47.5, 1.0) is Severity.MODERATE  # below 48, but not likely below it
    assert t.severity(47.0, 1.0) is Severity.MARKED


def test_likely_from_states_where_each_level_starts():
    t = Threshold("x", ("shoulder_tilt_deg",), 2.5, 4.0, 6.0)
    assert [round(v, 3) for _, v in t.likely_from(1.0)] == [round(2.5 + Z80, 3), round(4.0 + Z80, 3), round(6.0 + Z80, 3)]
    cva = load_thresholds()["forward_head"]
    assert [round(v, 3) for _, v in cva.likely_from(2.0)] == [round(60 - 2 * Z80, 3), round(54 - 2 * Z80, 3),
                                                               round(48 - 2 * Z80, 3)]


def test_possible_findings_are_apart_and_say_possibly():
    from posture.core.measuring.findings import evaluate_possible

    th = load_thresholds()
    # 2.7 ± 0.5: past the mild cut-off (2.5) but only 66 % likely
    measures = {"shoulder_tilt_deg": _m("shoulder_tilt_deg", 2.7, 0.5), "hip_tilt_deg": _m("hip_tilt_deg", -4.1, 0.3)}
    assert [f.id for f in evaluate(measures, th)] == ["hip_tilt"]  # hip: mild likely (moderate only possible)
    possible = evaluate_possible(measures, th)
    by = {(f.id, f.severity) for f in possible}
    assert by == {("shoulder_tilt", Severity.MILD), ("hip_tilt", Severity.MODERATE)}
    assert all(not f.likely and "likely" not in f.title.lower() for f in possible)
    shoulder = next(f for f in possible if f.id == "shoulder_tilt")
    assert shoulder.title == "Uneven shoulders: left shoulder possibly higher"
    assert next(f for f in possible if f.id == "hip_tilt").title.startswith("Possible pelvic obliquity")


@pytest.mark.parametrize("unc", [None, 0.0])
def test_no_finding_without_an_uncertainty(unc):
    m = Measure("shoulder_tilt_deg", "deg", 20.0, unc, 0.9)
    assert evaluate({"shoulder_tilt_deg": m}, load_thresholds()) == []
    assert len(evaluate({"shoulder_tilt_deg": dataclasses.replace(m, uncertainty=0.5)}, load_thresholds())) == 1


def test_shoulder_finding_names_the_high_side_and_hedges():
    findings = evaluate({"shoulder_tilt_deg": _m("shoulder_tilt_deg", -5.5)}, load_thresholds())
    (f,) = findings
    assert f.id == "shoulder_tilt" and f.severity is Severity.MODERATE
    assert "right shoulder likely higher" in f.title
    assert "not a diagnosis" not in f.detail  # the report says it once, not every finding
    assert f.areas


def test_findings_name_their_severity_only_in_the_severity_field():
    ms = {n: _m(n, v) for n, v in (("shoulder_tilt_deg", 9.0), ("craniovertebral_angle_deg", 40.0),
                                   ("torso_inclination_deg", 40.0), ("neck_on_trunk_flexion_deg", 50.0),
                                   ("head_tilt_deg", 4.5), ("hip_tilt_deg", -3.5))}
    findings = evaluate(ms, load_thresholds())
    assert {f.severity for f in findings} == {Severity.MILD, Severity.MARKED}
    for f in findings:
        words = (f.title + " " + f.detail).lower()
        assert not any(s.label in words for s in Severity if s is not Severity.NONE), f.title
        assert "likely" in f.title.lower() or "consistent with" in f.title.lower()


def test_upper_crossed_pattern_and_ranking():
    ms = {
        "craniovertebral_angle_deg": _m("craniovertebral_angle_deg", 50.0),
        "torso_inclination_deg": _m("torso_inclination_deg", 35.0),
    }
    findings = evaluate(ms, load_thresholds())
    ids = [f.id for f in findings]
    assert "upper_crossed" in ids
    assert [f.severity for f in findings] == sorted((f.severity for f in findings), reverse=True)


def test_extension_is_not_flexion():
    assert evaluate({"neck_on_trunk_flexion_deg": _m("neck_on_trunk_flexion_deg", -40.0)}, load_thresholds()) == []
    assert evaluate({"torso_inclination_deg": _m("torso_inclination_deg", -40.0)}, load_thresholds()) == []


def _findings(points, view, unc=0.5):
    """Findings for synthetic landmarks, every measure given uncertainty `unc` (identical
    copies alone would give 0, which raises nothing)."""
    lms = synthetic_landmarks(points)
    ms = compute_measures(lms, [lms] * 4, MeasureContext(view, "left"), (1000, 1000))
    ms = {n: m if m.value is None else dataclasses.replace(m, uncertainty=unc) for n, m in ms.items()}
    return ms, {f.id: f for f in evaluate(ms, load_thresholds())}


def test_sway_without_rounding_raises_no_shoulder_finding():
    upright, _ = _findings(standing_side_body(), LEFT_STANDING)
    ms, found = _findings(swayed(standing_side_body(), 6.0), LEFT_STANDING)
    # The sway is real and visible: the shoulder is >8 % of height ahead of the ankle (the
    # old rule's "marked rounded shoulders") and the trunk line tilts 6 deg ...
    assert ms["shoulder_plumb_offset_pct"].value > 8.0
    assert ms["torso_inclination_deg"].value == pytest.approx(upright["torso_inclination_deg"].value + 6.0)
    # ... but the body's own shape did not change, so nothing is raised.
    assert found == {}
    assert "rounded_shoulders" not in load_thresholds()


def test_recline_with_a_forward_head_is_not_upper_crossed():
    ms, found = _findings(side_body(cva=50.0, torso=-20.0), LEFT_SEATED)
    assert ms["torso_inclination_deg"].value == pytest.approx(-20.0)
    assert "forward_head" in found  # the head is forward ...
    assert "torso_flexion" not in found and "upper_crossed" not in found  # ... the reclined trunk is no finding
    assert found["neck_flexion"].severity is Severity.MARKED  # 60 deg of neck flexion on the reclined trunk
    # The same head on a trunk flexed 20 deg forward is the upper-crossed pattern.
    _, flexed = _findings(side_body(cva=50.0, torso=20.0), LEFT_SEATED)
    assert {"forward_head", "torso_flexion", "upper_crossed"} <= set(flexed)


def test_neck_in_line_with_a_flexed_trunk_is_no_neck_finding():
    ms, found = _findings(side_body(cva=65.0, torso=25.0), LEFT_SEATED)
    assert ms["neck_inclination_deg"].value == pytest.approx(25.0)
    assert ms["neck_on_trunk_flexion_deg"].value == pytest.approx(0.0, abs=1e-9)
    assert "neck_flexion" not in found
    assert found["torso_flexion"].severity is Severity.MODERATE  # 25 > 20 + 2 x 0.5


def test_neck_forward_on_an_upright_trunk_is_graded_on_the_trunk():
    ms, found = _findings(side_body(cva=60.0, torso=0.0), LEFT_SEATED)
    assert ms["neck_on_trunk_flexion_deg"].value == pytest.approx(30.0)
    assert found["neck_flexion"].severity is Severity.MILD  # 30 > 25 + 1, not > 35 + 1
    assert found["neck_flexion"].measures == ("neck_on_trunk_flexion_deg",)


def test_override_file(tmp_path):
    p = tmp_path / "t.toml"
    p.write_text("[shoulder_tilt]\nmild = 1.0\n")
    th = load_thresholds(p)
    assert th["shoulder_tilt"].mild == 1.0 and th["shoulder_tilt"].moderate == 4.0


@pytest.mark.parametrize(
    ("text", "message"),
    [("[nope]\nmild = 1\n", "unknown threshold"), ("[shoulder_tilt]\nmild = 9.0\n", "stricter"),
     ("[shoulder_tilt\n", "invalid TOML"), ("[shoulder_tilt]\nmild = 'x'\n", "must be numbers")],
)
def test_bad_override_files(tmp_path, text, message):
    p = tmp_path / "t.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_thresholds(p)


def test_override_naming_a_removed_finding_says_why(tmp_path):
    p = tmp_path / "t.toml"
    p.write_text("[rounded_shoulders]\nmild = 1.0\n")
    with pytest.raises(ConfigError, match="no longer a finding: rounded shoulders are not measurable"):
        load_thresholds(p)


def test_missing_override_file(tmp_path):
    with pytest.raises(ConfigError, match="no such thresholds file"):
        load_thresholds(tmp_path / "none.toml")
