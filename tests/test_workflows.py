import dataclasses
import re

import pytest

from posture.core.body.views import Posture
from posture.core.image.imaging import load_image
from posture.ui.workflows import body_height_px, change_lines, desk_advice, panel_transform, side_by_side

from .conftest import markdown_shown, with_measures


def test_change_lines_only_real_changes(assessed):
    a = assessed("standing_back_04_tpose.jpg")
    before = with_measures(a, shoulder_tilt_deg=(5.0, 0.5))
    after = with_measures(a, shoulder_tilt_deg=(1.0, 0.5))
    lines = change_lines([before], [after])
    # the change with what it had to exceed (2 x the combined 0.71°), as in History's table and `posture compare`
    assert ("back view: Shoulder tilt left higher by 5.0° → left higher by 1.0° "
            "(improved: −4.0° (needs more than ±1.4° to count))") in lines
    still = [assessed(f"multicam/static_cam02_f{k}.jpg") for k in ("00", "10")]  # one still pose, two frames
    assert change_lines(still[:1], still[1:]) == ["back view: no change beyond measurement noise"]
    assert change_lines([assessed("seated_side_upright_01.jpg")], [a]) == []  # no earlier back view
    seated = assessed("seated_side_upright_01.jpg")
    standing = dataclasses.replace(seated, view=dataclasses.replace(seated.view, posture=Posture.STANDING))
    assert change_lines([standing], [seated]) == [
        "left view: not compared, different set-ups (standing vs seated): retake in the same position"]


def test_side_by_side_same_body_height(assessed, data_dir):
    a, b = assessed("standing_back_02.jpg"), assessed("standing_front_04_tpose.jpg")
    ia, ib = load_image(data_dir / "standing_back_02.jpg").bgr, load_image(data_dir / "standing_front_04_tpose.jpg").bgr
    assert body_height_px(b) > 2 * body_height_px(a)  # bodies of very different sizes in their photos
    out = side_by_side(ia, a, ib, b, body_px=400)
    heights = []
    for asmt in (a, b):
        m, (w, h) = panel_transform(asmt, body_px=400)
        xy = asmt.landmarks.xy @ m[:, :2].T + m[:, 2]
        # in the panel the body is exactly 400 px tall (the measure body_height_px uses) ...
        heights.append(body_height_px(dataclasses.replace(asmt, landmarks=dataclasses.replace(asmt.landmarks, xy=xy))))
        # ... and its visible landmarks lie inside the panel
        seen = xy[asmt.landmarks.visibility >= 0.5]
        assert (seen >= 0).all() and (seen[:, 0] <= w).all() and (seen[:, 1] <= h).all()
    assert heights == pytest.approx([400.0, 400.0])
    assert out.shape[0] == h and out.shape[1] == 2 * w + 12


@pytest.mark.parametrize(
    ("neck", "torso", "expected"),
    [(40.0, 0.0, "well forward"), (10.0, 25.0, "lean forward a lot"), (10.0, 0.0, "well over your shoulders")],
)
def test_desk_advice(assessed, neck, torso, expected):
    a = with_measures(assessed("seated_side_upright_01.jpg"), neck_inclination_deg=(neck, 1.0), torso_inclination_deg=(torso, 1.0))
    advice = " ".join(desk_advice(a))
    assert expected in advice and "not a diagnosis" in advice


def test_desk_advice_needs_side_view(assessed):
    assert "needs a side view" in desk_advice(assessed("standing_back_04_tpose.jpg"))[0]


# --- History's session story -------------------------------------------------------------


def _session(assessed, sid, created, photos=(), pain=None, kind="assessment"):
    from posture.core.intake import Intake
    from posture.store.records import PhotoRecord, SessionRecord

    return SessionRecord(sid, 1, created, Intake(pain=pain or {}),
                         [PhotoRecord(sid * 10 + i, "0" * 64, n, assessed(n)) for i, n in enumerate(photos)], kind)


def test_session_story_series(assessed):
    from posture.ui.workflows import key_measures_over_sessions, pain_over_sessions, session_date, session_label

    s1 = _session(assessed, 1, "2026-03-03T14:05:09", ["standing_back_04_tpose.jpg"], {"neck": 7, "low back": None})
    s2 = _session(assessed, 2, "2026-03-17T09:30:00", ["seated_side_upright_01.jpg"], {"neck": 4, "low back": 2})
    pain = pain_over_sessions([s1, s2])
    assert [(p.when.day, p.area, p.level) for p in pain] == [(3, "neck", 7), (17, "neck", 4), (17, "low back", 2)]
    key = key_measures_over_sessions([s1, s2])
    back = {p.measure for p in key if p.when.day == 3}
    side = {p.measure for p in key if p.when.day == 17}
    assert "Shoulder tilt (back)" in back and not any("Craniovertebral" in m for m in back)
    assert any(m.startswith("Craniovertebral angle") and m.endswith("(left)") for m in side)
    assert session_date("2026-03-03T14:05:09") == "3 Mar 2026, 14:05"
    assert session_date("not a date") == "not a date"
    assert session_label(s1, 1) == "#1 · 3 Mar 2026, 14:05 (back)"
    # Each point carries its session's axis label: sessions are charted evenly by number.
    assert [p.session for p in pain] == ["#1 · 3 Mar", "#2 · 17 Mar", "#2 · 17 Mar"]
    assert {p.session for p in key} == {"#1 · 3 Mar", "#2 · 17 Mar"}


def test_trend_charts_show_the_margin_and_mark_self_checks(assessed):
    from posture.ui.trend_chart import measures_chart
    from posture.ui.workflows import key_measures_over_sessions, session_ticks

    s1 = _session(assessed, 1, "2026-03-03T14:05:09", ["standing_back_04_tpose.jpg"])
    s2 = _session(assessed, 2, "2026-03-17T09:30:00", ["standing_back_04_tpose.jpg"], kind="self_check")
    ticks = session_ticks([s1, s2])
    assert ticks == {1: "#1 · 3 Mar", 2: "#2 · 17 Mar · self check"}  # the axis says who took it
    key = key_measures_over_sessions([s1, s2])
    tilt = [p for p in key if p.measure == "Shoulder tilt (back)"]
    assert [p.self_check for p in tilt] == [False, True]
    spec = measures_chart(key, list(ticks.values())).to_dict()
    layers = {(layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]): layer for layer in spec["layer"]}
    whisker = layers["rule"]["encoding"]
    assert (whisker["y"]["field"], whisker["y2"]["field"]) == ("low", "high")
    rows = spec["data"]["values"]
    row = next(r for r in rows if r["measure"] == "Shoulder tilt (back)" and r["taken"] == "assessment")
    m = assessed("standing_back_04_tpose.jpg").measures["shoulder_tilt_deg"]
    # the whisker is the margin a finding must clear: 2 x the reading's ±
    assert row["low"] == pytest.approx(m.value - 2 * m.uncertainty, abs=0.06)
    assert row["high"] == pytest.approx(m.value + 2 * m.uncertainty, abs=0.06)
    assert {r["taken"] for r in rows} == {"assessment", "self check"}
    assert layers["point"]["encoding"]["shape"]["field"] == "taken"


def test_session_ticks_tell_close_sessions_apart(assessed):
    from posture.ui.workflows import session_ticks

    a = _session(assessed, 7, "2026-03-03T14:05:09", ["standing_back_04_tpose.jpg"])
    b = _session(assessed, 8, "2026-03-03T14:09:00", ["standing_back_04_tpose.jpg"])  # four minutes later
    c = _session(assessed, 9, "2027-01-20T09:00:00", ["standing_back_04_tpose.jpg"])
    assert session_ticks([a, b]) == {7: "#1 · 3 Mar 14:05", 8: "#2 · 3 Mar 14:09"}  # same day: the time too
    assert session_ticks([a, c]) == {7: "#1 · 3 Mar 2026", 9: "#2 · 20 Jan 2027"}  # two years: the year too
    broken = dataclasses.replace(c, created="not a date")
    assert session_ticks([a, broken]) == {7: "#1 · 3 Mar", 9: "#2"}


def test_before_after_defaults_and_refusals(assessed):
    from posture.ui.workflows import default_after, default_pair, pair_problem, shared_views

    back, side = "standing_back_04_tpose.jpg", "seated_side_upright_01.jpg"
    a = _session(assessed, 1, "2026-01-01T10:00:00", [back, side])
    b = _session(assessed, 2, "2026-02-01T10:00:00", [side])
    check = _session(assessed, 3, "2026-02-15T10:00:00", [side], kind="self_check")
    c = _session(assessed, 4, "2026-03-01T10:00:00", [back, side])
    assert default_pair([a, b, check, c]) == (2, 4)  # previous and latest assessment, not first and last
    # A self check filed under the client is never the default "After" while there is an assessment.
    assert default_pair([a, check]) is None and default_after([a, check]) is a
    assert default_pair([a, b, check]) == (1, 2)
    early = dataclasses.replace(check, id=5, created="2025-12-01T10:00:00")
    assert default_pair([early, a]) == (5, 1)  # it may be the "Before" when nothing else came earlier
    assert default_pair([early, check]) == (5, 3)  # only self checks: they compare among themselves
    assert default_pair([a]) is None
    assert pair_problem(b, c) is None
    assert "later than After" in pair_problem(c, b)
    assert "same assessment" in pair_problem(b, b)
    assert shared_views(a, b) == ["left"]  # the picker opens on a view both have
    assert shared_views(a, c) == ["back", "left"]


@pytest.fixture
def history_store(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    from posture.store.records import Store
    from posture.ui.page import get_store

    get_store.clear()  # the cached store belongs to another test's folder
    yield Store(tmp_path / "data")
    get_store.clear()


def _history(client_id):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app_pages/3_History.py"), default_timeout=120)
    at.session_state["client_id"] = client_id
    at.run()
    assert not at.exception, at.exception
    return at


def _save(store, client, data_dir, assessed, names, pain):
    from posture.core.intake import Intake
    from posture.store.records import NewPhoto

    return store.save_session(client.id, Intake(pain=pain), [NewPhoto((data_dir / n).read_bytes(), n, assessed(n))
                                                              for n in names])


def test_history_one_assessment_so_far(history_store, data_dir, assessed):
    c = history_store.create_client("Solo")
    _save(history_store, c, data_dir, assessed, ["standing_back_04_tpose.jpg"], {"neck": 6})
    at = _history(c.id)
    assert any(i.value.startswith("One assessment so far") for i in at.info)
    assert not [s for s in at.selectbox if s.label in ("Before", "After")]  # nothing to compare yet
    (delete,) = [s for s in at.selectbox if s.label == "Assessment"]
    assert delete.value is None  # "Delete an assessment" preselects nothing


def test_history_pair_defaults_view_and_swap(history_store, data_dir, assessed):
    c = history_store.create_client("Story")
    back, side = "standing_back_04_tpose.jpg", "seated_side_upright_01.jpg"
    first = _save(history_store, c, data_dir, assessed, [back], {"neck": 7})
    second = _save(history_store, c, data_dir, assessed, [side, back], {"neck": 5, "low back": 3})
    third = _save(history_store, c, data_dir, assessed, [side], {"neck": 2})
    ids = [s if isinstance(s, int) else s.id for s in (first, second, third)]
    at = _history(c.id)
    before, after, view = (next(s for s in at.selectbox if s.label == name) for name in ("Before", "After", "View"))
    assert (before.value, after.value) == (ids[1], ids[2])  # previous and latest
    assert view.options == ["left"] and view.value == "left"  # the one view both have
    charts = [e for e in at.main if "vega" in type(e).__name__.lower() or "vega" in str(getattr(e, "type", ""))]
    assert len(charts) == 3  # pain per area; key measures of the back photos and of the side photos
    before.set_value(ids[2]).run()
    after = next(s for s in at.selectbox if s.label == "After")
    after.set_value(ids[1]).run()
    assert any("later than After" in e.value for e in at.error)


# --- the live page's monitor: advice for the problem at hand, settings without a reset ----------


def test_live_advice_matches_the_problem():
    from posture.live.state import FrameResult, PostureState, advice_for

    assert "left shoulder drop" in advice_for("shoulder_tilt", 4.0)
    assert "right shoulder drop" in advice_for("shoulder_tilt", -4.0)
    assert "lean to your right" in advice_for("trunk_lean", -3.0)
    assert "right ear is higher" in advice_for("head_tilt", -6.0)
    assert "Lift your head" in advice_for("neck_flexion", 30.0) and "Sit back" in advice_for("torso_flexion", 25.0)
    assert advice_for("", None) == ""
    for cause in ("shoulder_tilt", "head_tilt", "trunk_lean"):  # not "sit back and lift your head" for a tilt
        text = advice_for(cause, 5.0)
        assert "Lift your head" not in text and "Sit back" not in text
    r = FrameResult(1.0, PostureState.POOR, PostureState.POOR, "front", {"shoulder_tilt_deg": -5.0}, False,
                    cause="shoulder_tilt", cause_value=-5.0)
    assert r.advice == advice_for("shoulder_tilt", -5.0)


def test_live_engine_names_the_cause_on_a_real_video(data_dir):
    from posture.live.engine import LiveConfig, LiveEngine
    from posture.live.sources import open_video
    from posture.live.state import PostureState, live_keys

    with LiveEngine(LiveConfig(view="front")) as engine:
        results = [engine.process(f.image, f.timestamp_s) for f in open_video(data_dir / "video_squat_front_01.mp4")]
    flagged = [r for r in results if r.raw_state in (PostureState.POOR, PostureState.ATTENTION)]
    assert flagged  # a squat tilts and leans
    for r in flagged:
        assert r.cause in live_keys(side=False) and r.cause_value is not None and r.advice
    for r in results:
        if r.raw_state in (PostureState.GOOD, PostureState.NO_PERSON):
            assert r.cause == "" and r.advice == ""


def test_live_settings_change_keeps_the_stream_and_its_statistics():
    import numpy as np

    from posture.live.engine import LiveConfig, LiveEngine
    from posture.live.state import FrameResult, PostureState
    from posture.ui.live_session import LiveMonitor

    class Engine(LiveEngine):
        def __init__(self, config):
            super().__init__(config, estimator=object())

        def process(self, frame, timestamp_s):
            r = FrameResult(timestamp_s, PostureState.GOOD, PostureState.GOOD, "side", {}, False)
            self.stats.add(r, 0.1)
            return r

    monitor = LiveMonitor(LiveConfig(), engine_factory=Engine)
    image = np.zeros((48, 64, 3), np.uint8)
    for t in (0.0, 0.1, 0.2):
        monitor.process(image, now=t)
    assert monitor.configure(LiveConfig()) is False  # a rerun with the same settings changes nothing
    assert monitor.configure(LiveConfig(view="front", alert_after_s=12.0)) is True
    assert monitor._engine is not None and monitor._engine.config.alert_after_s == 12.0  # applied to the stream
    monitor.process(image, now=0.3)
    _, stats = monitor.snapshot()
    assert stats["frames"] == 4  # the statistics went on
    monitor.close()


def test_the_change_table_gives_units_dashes_and_whole_reasons():
    from posture.core.compare import ChangeStatus, MeasureChange
    from posture.ui.workflows import change_table

    reason = "setup differs: left_ankle hidden | camera moved 12 deg (limit 4 deg)"
    table = change_table([
        MeasureChange("shoulder_tilt_deg", "deg", -1.24, 2.0, 3.24, 0.9, ChangeStatus.WORSE),
        MeasureChange("forward_head_offset_pct", "%", 9.0, 4.1, -4.9, 1.5, ChangeStatus.IMPROVED),
        MeasureChange("knee_flexion_deg", "deg", None, 91.8, None, None, ChangeStatus.NOT_COMPARABLE, reason),
    ])
    def shown(row: str) -> list[str]:  # the cells as Markdown shows them (split on unescaped "|")
        return [markdown_shown(c).strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]

    header, rule, tilt, head, knee = table.splitlines()
    assert len(shown(header)) == len(shown(rule)) == 4
    # the change with the margin the verdict uses: 2 x the combined uncertainty
    assert shown(tilt)[1:3] == ["−1.2° → +2.0°", "+3.2° (needs more than ±1.8° to count)"]
    assert shown(head)[1:3] == ["+9.0% → +4.1%", "−4.9% (needs more than ±3.0% to count)"]
    assert "None" not in table
    knee_cells = shown(knee)  # an escaped "|" in the reason does not start a cell
    assert knee_cells[1:3] == ["— → +91.8°", "—"]
    assert len(knee_cells) == 4
    assert knee_cells[3] == "not comparable: setup differs: left ankle hidden | camera moved 12° (limit 4°)"


@pytest.mark.parametrize(("hours", "mostly", "expected"), [
    (6.0, "mixed", "6 h a day at a desk; sitting and standing at work"),
    (4.5, "sitting", "4.5 h a day at a desk; mostly sitting at work"),
    (None, "standing", "mostly standing at work"),
    (0.0, None, "0 h a day at a desk"),  # none is an answer too
    (None, None, ""),
])
def test_work_setup_in_words(hours, mostly, expected):
    from posture.ui.workflows import work_setup_text

    assert work_setup_text(hours, mostly) == expected


def test_the_session_story_tells_no_finding_from_nothing_measured(assessed):
    """A session whose photos read nothing (a camera about 2 m up, every measure withheld) did
    not find the client balanced: the story says nothing was measured, not "none cleared"."""
    from posture.ui.workflows import session_findings_text

    high = _session(assessed, 1, "2026-03-03T14:05:09", ["standing_back_02.jpg"])
    assert session_findings_text(high) == "nothing measured: see the photos' set-up"
    read = _session(assessed, 2, "2026-03-17T09:30:00", ["standing_back_04_tpose.jpg"])
    assert not any(p.assessment.findings for p in read.photos)
    assert session_findings_text(read) == "none cleared its cut-off"
    found = _session(assessed, 3, "2026-03-24T09:30:00", ["seated_side_hunched_01.jpg"])
    titles = [f.title for p in found.photos for f in p.assessment.findings]
    assert titles and session_findings_text(found) == "; ".join(titles[:3])
