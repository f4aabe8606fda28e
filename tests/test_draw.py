"""Annotated images on real photos: every label inside, none overlapping, near what it names,
strokes and text in proportion to the image, and the side-by-side panels labelled after the crop."""

import itertools
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from posture.core.body.landmarks import Landmark
from posture.core.image.imaging import load_image
from posture.core.measuring.formatting import live_value
from posture.live.state import PostureState
from posture.report.draw import annotate_live, annotate_with_labels, value_text
from posture.report.layout import style_for
from posture.ui.workflows import panel_transform, side_by_side


def _check_labels(labels, width, height):
    boxes = [lab.box for lab in labels]
    assert all(b is not None for b in boxes), [lab.text for lab in labels if lab.box is None]
    for b in boxes:
        assert b.inside(width, height), b
    for p, q in itertools.combinations(boxes, 2):
        assert not p.overlaps(q), (p, q)
    return boxes


@pytest.mark.parametrize("name", ["standing_front_05_video.jpg", "standing_back_04_tpose.jpg", "seated_side_hunched_01.jpg",
                                  "standing_side_01.jpg"])
def test_labels_inside_apart_and_near(assessed, data_dir, name):
    a = assessed(name)
    out, labels = annotate_with_labels(load_image(data_dir / name).bgr, a)
    h, w = out.shape[:2]
    boxes = _check_labels(labels, w, h)
    assert len(boxes) >= 4  # the view's values are all drawn
    style = style_for(w, h)
    for lab in labels:  # near its anchor: within a few label heights
        assert lab.box.distance_to(lab.anchor) <= 4 * lab.box.h, (lab.text, lab.box, lab.anchor)
        assert lab.box.distance_to(lab.anchor) >= style.gap - 1e-9  # and never over the point it names


def test_front_knee_labels_both_shown_and_not_over_a_knee(assessed, data_dir):
    a = assessed("standing_front_05_video.jpg")
    _, labels = annotate_with_labels(load_image(data_dir / "standing_front_05_video.jpg").bgr, a)
    knees = {lab.text.split(":")[0]: lab for lab in labels if "knee" in lab.text}
    assert set(knees) == {"L knee", "R knee"}
    for lab in labels:
        for lm in (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE):
            assert lab.box.distance_to(tuple(a.landmarks.xy[lm])) > 0, lab.text
    # each knee's label is on its own outer side of the pair (left knee on image right in a front view)
    lx, rx = a.landmarks.xy[Landmark.LEFT_KNEE][0], a.landmarks.xy[Landmark.RIGHT_KNEE][0]
    assert (knees["L knee"].box.x > rx) == (lx > rx) and (knees["R knee"].box.right < lx) == (lx > rx)


def test_strokes_and_labels_scale_with_a_big_photo(assessed, data_dir):
    """A 4x photo (like a 3000x4000 phone photo) gets 4x the lines and text, not hair-thin ones."""
    a = assessed("standing_back_02.jpg")
    img = load_image(data_dir / "standing_back_02.jpg").bgr
    big_img = cv2.resize(img, None, fx=4, fy=4, interpolation=cv2.INTER_LINEAR)
    big = dataclass_scaled(a, 4.0)
    out, labels = annotate_with_labels(img, a)
    big_out, big_labels = annotate_with_labels(big_img, big)
    _check_labels(big_labels, big_out.shape[1], big_out.shape[0])
    heights = [lab.box.h for lab in labels]
    big_heights = [lab.box.h for lab in big_labels]
    assert [lab.text for lab in labels] == [lab.text for lab in big_labels]
    for small, large in zip(heights, big_heights, strict=True):
        assert large / small == pytest.approx(4.0, rel=0.1)
    assert style_for(*big_out.shape[1::-1]).stroke == pytest.approx(4 * style_for(*out.shape[1::-1]).stroke, abs=1)


def dataclass_scaled(a, f):
    import dataclasses

    lms = dataclasses.replace(a.landmarks, xy=a.landmarks.xy * f)
    return dataclasses.replace(a, landmarks=lms, setup=None)


def test_side_by_side_labels_stay_in_their_panel(assessed, data_dir):
    """The value labels of History's before/after were cut off at the panel edges: they are
    now laid out on the panel itself."""
    a, b = assessed("standing_back_02.jpg"), assessed("standing_front_05_video.jpg")
    ia, ib = load_image(data_dir / "standing_back_02.jpg").bgr, load_image(data_dir / "standing_front_05_video.jpg").bgr
    for asmt, img in ((a, ia), (b, ib)):
        m, size = panel_transform(asmt, 500)
        out, labels = annotate_with_labels(img, asmt, transform=m, size=size)
        assert out.shape[1::-1] == size
        _check_labels(labels, *size)
    out = side_by_side(ia, a, ib, b, body_px=500)
    assert out.shape[0] == size[1]


def test_overlay_text_reads_in_words(assessed):
    from tests.conftest import with_measures

    a = with_measures(assessed("standing_back_02.jpg"), shoulder_tilt_deg=(-2.14, 0.5), hip_tilt_deg=(0.02, 0.3))
    assert value_text(a, "shoulder_tilt_deg") == "Shoulders: R higher 2.1°"
    assert value_text(a, "hip_tilt_deg").startswith("Hips level")
    assert live_value("neck_inclination_deg", 23.46) == "Neck: 23°"
    assert live_value("shoulder_tilt_deg", -3.6) == "Shoulders: −4°"
    assert live_value("forward_head_offset_pct", 12.2) == "Head forward: 12%"


def test_live_overlay_banner_and_measures():
    frame = np.full((480, 640, 3), 90, np.uint8)
    result = SimpleNamespace(landmarks=None, state=PostureState.POOR, alert=True,
                             now={"neck_inclination_deg": 31.26})
    out = annotate_live(frame, result)
    assert out.shape == frame.shape and (frame == 90).all()  # drawn on a copy
    assert tuple(out[5, 320]) == (60, 60, 230)  # the poor banner's colour across the top
    rows = np.where((out[:, 5:200] != 90).any(axis=(1, 2)))[0]
    assert rows.max() < 480 // 2  # the banner and one measure line, nothing more
