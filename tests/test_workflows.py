import dataclasses

import pytest

from posture.core.imaging import load_image
from posture.core.views import Posture
from posture.ui.workflows import body_height_px, change_lines, desk_advice, panel_transform, side_by_side

from .conftest import with_measures


def test_change_lines_only_real_changes(assessed):
    a = assessed("standing_back_02.jpg")
    before = with_measures(a, shoulder_tilt_deg=(5.0, 0.5))
    after = with_measures(a, shoulder_tilt_deg=(1.0, 0.5))
    lines = change_lines([before], [after])
    assert any("shoulder_tilt_deg +5.0 → +1.0° (improved)" in x for x in lines)
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
    assert "needs a side view" in desk_advice(assessed("standing_back_02.jpg"))[0]
