"""Label layout and stroke scale on synthetic anchors, with exact answers."""

import itertools
import math

import pytest

from posture.report.layout import Box, LabelRequest, place_labels, style_for


def _check(placements, width, height, margin=0.0):
    boxes = [p.box for p in placements if p.box is not None]
    for b in boxes:
        assert b.inside(width, height), b
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b, margin), (a, b)
    return boxes


def test_box_geometry():
    a = Box(10, 10, 20, 10)
    assert a.overlaps(Box(29, 19, 5, 5)) and not a.overlaps(Box(30, 10, 5, 5))  # touching edges do not overlap
    assert a.overlaps(Box(32, 10, 5, 5), margin=3) and not a.overlaps(Box(32, 10, 5, 5), margin=2)
    assert a.distance_to((15, 15)) == 0 and a.distance_to((33, 24)) == 5.0  # 3-4-5 from the corner (30, 20)
    assert a.inside(30, 20) and not a.inside(29.9, 20)
    with pytest.raises(ValueError, match="non-negative size"):
        Box(0, 0, -1, 5)


def test_lone_label_sits_gap_away_on_its_preferred_side():
    (p,) = place_labels([LabelRequest((500, 500), (120, 30))], 1000, 1000, gap=8)
    assert p.box == Box(508, 485, 120, 30)  # right of the anchor, centred on it vertically
    assert p.distance == 8
    (p,) = place_labels([LabelRequest((500, 500), (120, 30), prefer="left")], 1000, 1000, gap=8)
    assert p.box == Box(372, 485, 120, 30)
    (p,) = place_labels([LabelRequest((500, 500), (120, 30), prefer="above")], 1000, 1000, gap=8)
    assert p.box == Box(440, 462, 120, 30)


def test_front_knees_side_by_side_do_not_overlap():
    """The knees of a front photo are a hand apart and at one height: both labels wanted the
    same spot to the right of the knee, so "R knee" hid "L knee"."""
    size = (130, 34)
    knees = [LabelRequest((470, 700), size, "left"), LabelRequest((530, 700), size, "right"),
             LabelRequest((470, 700), size), LabelRequest((530, 700), size)]  # both preferring right, too
    for requests in (knees[:2], knees[2:]):
        placed = place_labels(requests, 1000, 1000, gap=10, margin=4)
        boxes = _check(placed, 1000, 1000, margin=4)
        assert len(boxes) == 2
        # each stays near its knee: within the gap plus one label height of it
        assert all(p.distance <= 10 + size[1] for p in placed), [p.distance for p in placed]
        # and neither covers the other's knee
        assert boxes[0].distance_to((530, 700)) > 0 and boxes[1].distance_to((470, 700)) > 0
    # opposite preferences: each on its own side at exactly the gap
    left, right = place_labels(knees[:2], 1000, 1000, gap=10, margin=4)
    assert left.box == Box(330, 683, 130, 34) and right.box == Box(540, 683, 130, 34)


@pytest.mark.parametrize(("anchor", "prefer"), [((995, 500), "right"), ((5, 500), "left"), ((500, 3), "above"),
                                                 ((500, 998), "below"), ((998, 998), "right"), ((0, 0), "left")])
def test_labels_at_the_edges_stay_inside_and_off_the_anchor(anchor, prefer):
    """Value labels at the edges of a cropped side-by-side panel were cut off."""
    (p,) = place_labels([LabelRequest(anchor, (200, 40), prefer)], 1000, 1000, gap=6)
    assert p.box is not None and p.box.inside(1000, 1000)
    assert 6 <= p.distance <= 6 + 20 * 2, p.distance  # not pushed back over the point it names


def test_a_cluster_of_labels_never_overlaps_and_stays_near():
    # Eight labels on one point (a crowded joint): all fit, none overlaps, the nearest ring first.
    requests = [LabelRequest((400, 300), (100, 20)) for _ in range(8)]
    placed = place_labels(requests, 800, 600, gap=5, margin=2)
    boxes = _check(placed, 800, 600, margin=2)
    assert len(boxes) == 8
    assert placed[0].distance == 5
    assert max(p.distance for p in placed) <= 100


def test_reserved_areas_are_left_free():
    header = Box(0, 0, 400, 50)
    (p,) = place_labels([LabelRequest((100, 30), (150, 30), "above")], 800, 600, gap=5, reserved=[header])
    assert p.box is not None and not p.box.overlaps(header) and p.box.inside(800, 600)


def test_labels_keep_the_joints_clear():
    joints = [(560.0, 300.0), (620.0, 300.0)]  # right of the anchor, where the label would go
    (p,) = place_labels([LabelRequest((550, 300), (100, 20))], 800, 600, gap=5, keep_clear=joints)
    assert p.box is not None and all(p.box.distance_to(j) > 0 for j in joints)
    assert p.box == Box(555, 275, 100, 20)  # the next candidate of the first ring: up and to the right


def test_no_room_means_dropped_not_overlapping():
    # 3 labels of 60 x 40 in a 100 x 100 image: two fit (one above the other), the third cannot.
    placed = place_labels([LabelRequest((50, 50), (60, 40)) for _ in range(3)], 100, 100, gap=2)
    boxes = _check(placed, 100, 100)
    assert len(boxes) == 2 and placed[2].box is None and math.isinf(placed[2].distance)
    (big,) = place_labels([LabelRequest((50, 50), (120, 10))], 100, 100, gap=2)
    assert big.box is None  # wider than the image


def test_layout_is_deterministic_and_rejects_nonsense():
    requests = [LabelRequest((300 + 7 * i, 200 + 3 * i), (90 + i, 25)) for i in range(12)]
    assert place_labels(requests, 640, 480, gap=6, margin=3) == place_labels(list(requests), 640, 480, gap=6, margin=3)
    with pytest.raises(ValueError, match="positive size"):
        place_labels(requests, 0, 480, gap=6)
    with pytest.raises(ValueError, match="label needs a positive size"):
        place_labels([LabelRequest((1, 1), (0, 5))], 10, 10, gap=1)


def test_strokes_and_text_scale_with_the_image():
    phone, small = style_for(3000, 4000), style_for(750, 1000)
    assert (phone.stroke, small.stroke) == (12, 3)  # 4x the size, 4x the line
    assert (phone.text_px, small.text_px) == (72, 18)
    assert style_for(4000, 3000) == phone  # orientation does not matter
    tiny = style_for(160, 120)  # a thumbnail keeps readable floors
    assert tiny.stroke == 2 and tiny.text_px == 12 and tiny.thin >= 1
    with pytest.raises(ValueError):
        style_for(0, 10)
