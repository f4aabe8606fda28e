import pytest

from posture.errors import ConfigError
from posture.findings import Severity, Threshold, evaluate, load_thresholds
from posture.measures import Measure


def _m(name, value, unc=0.5, unit="deg"):
    return Measure(name, unit, value, unc, 0.9)


def test_defaults_load_and_cite_sources():
    th = load_thresholds()
    assert {"shoulder_tilt", "hip_tilt", "head_tilt", "forward_head", "knee_valgus"} <= set(th)
    assert all(t.source for t in th.values())


@pytest.mark.parametrize(
    ("value", "unc", "expected"),
    [(2.0, 0.1, Severity.NONE), (2.7, 0.1, Severity.MILD), (2.7, 0.5, Severity.NONE),  # must clear by > uncertainty
     (-4.5, 0.2, Severity.MODERATE), (7.0, 0.5, Severity.MARKED)],
)
def test_severity_needs_margin_beyond_uncertainty(value, unc, expected):
    t = Threshold("x", ("shoulder_tilt_deg",), 2.5, 4.0, 6.0)
    assert t.severity(value, unc) is expected


def test_below_direction_for_cva():
    t = load_thresholds()["forward_head"]
    assert t.severity(70.0, 1.0) is Severity.NONE
    assert t.severity(57.0, 1.0) is Severity.MILD
    assert t.severity(45.0, 1.0) is Severity.MARKED


def test_shoulder_finding_names_the_high_side_and_hedges():
    findings = evaluate({"shoulder_tilt_deg": _m("shoulder_tilt_deg", -5.0)}, load_thresholds())
    (f,) = findings
    assert f.id == "shoulder_tilt" and f.severity is Severity.MODERATE
    assert "right shoulder likely higher" in f.title
    assert "not a diagnosis" in f.detail
    assert f.areas


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
    assert evaluate({"neck_inclination_deg": _m("neck_inclination_deg", -40.0)}, load_thresholds()) == []


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


def test_missing_override_file(tmp_path):
    with pytest.raises(ConfigError, match="no such thresholds file"):
        load_thresholds(tmp_path / "none.toml")
