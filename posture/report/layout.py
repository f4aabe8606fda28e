"""Where the labels of an annotated image go, and how thick its strokes are: pure geometry.

`place_labels` puts each label near its anchor (the joint or line it names) so that no two
labels overlap, none covers a reserved area (the header, say) and none leaves the image.
Labels are placed in the order given (the first ones get the best spots), candidates are
tried nearest first in a fixed order, so the same input always gives the same layout.

`style_for` scales strokes and text to the image: a 3000×4000 phone photo gets lines as
proportionate as a 750×1000 one, so the overlay looks the same when both are shown at
the same size on screen or in print.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

Direction = Literal["right", "left", "above", "below"]

#: The order candidates are tried in at each distance, starting from a label's preference.
_AROUND: dict[Direction, tuple[str, ...]] = {
    "right": ("right", "up-right", "down-right", "above", "below", "up-left", "down-left", "left"),
    "left": ("left", "up-left", "down-left", "above", "below", "up-right", "down-right", "right"),
    "above": ("above", "up-right", "up-left", "right", "left", "down-right", "down-left", "below"),
    "below": ("below", "down-right", "down-left", "right", "left", "up-right", "up-left", "above"),
}


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in pixels (x right, y down); `x, y` is the top-left corner."""

    x: float
    y: float
    w: float
    h: float

    def __post_init__(self) -> None:
        if not (self.w >= 0 and self.h >= 0):
            raise ValueError(f"a box needs a non-negative size, got {self.w} x {self.h}")

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def overlaps(self, other: Box, margin: float = 0.0) -> bool:
        """True when the two boxes, each grown by `margin / 2` on every side, share area."""
        return (self.x < other.right + margin and other.x < self.right + margin
                and self.y < other.bottom + margin and other.y < self.bottom + margin)

    def inside(self, width: float, height: float) -> bool:
        return self.x >= 0 and self.y >= 0 and self.right <= width and self.bottom <= height

    def distance_to(self, point: tuple[float, float]) -> float:
        """0 when the point is in the box, else the distance to its nearest edge."""
        dx = max(self.x - point[0], 0.0, point[0] - self.right)
        dy = max(self.y - point[1], 0.0, point[1] - self.bottom)
        return math.hypot(dx, dy)


@dataclass(frozen=True)
class LabelRequest:
    """A label of `size` (width, height in pixels, padding included) that names `anchor`."""

    anchor: tuple[float, float]
    size: tuple[float, float]
    prefer: Direction = "right"


@dataclass(frozen=True)
class Placement:
    """Where a label went; `box` is None when the image has no free room left for it."""

    request: LabelRequest
    box: Box | None

    @property
    def distance(self) -> float:
        """From the anchor to the label's nearest edge (inf when the label was dropped)."""
        return math.inf if self.box is None else self.box.distance_to(self.request.anchor)


def _offset(direction: str, anchor: tuple[float, float], w: float, h: float, r: float) -> tuple[float, float]:
    ax, ay = anchor
    return {
        "right": (ax + r, ay - h / 2),
        "left": (ax - r - w, ay - h / 2),
        "above": (ax - w / 2, ay - r - h),
        "below": (ax - w / 2, ay + r),
        "up-right": (ax + r, ay - r - h),
        "down-right": (ax + r, ay + r),
        "up-left": (ax - r - w, ay - r - h),
        "down-left": (ax - r - w, ay + r),
    }[direction]


def place_labels(
    requests: Sequence[LabelRequest],
    width: float,
    height: float,
    *,
    gap: float,
    margin: float = 0.0,
    reserved: Sequence[Box] = (),
    keep_clear: Sequence[tuple[float, float]] = (),
) -> list[Placement]:
    """Boxes for `requests`, in their order: inside the `width` × `height` image, apart from
    each other and from `reserved` by at least `margin`, each as near its anchor as the
    labels placed before it allow (first `gap` pixels away, then further out in steps of half
    a label height, then anywhere on a grid of the image, nearest first).

    No label covers an anchor (its own or another's: "R knee" must not hide the left knee)
    or a point of `keep_clear` (the joints, say).

    A label larger than the image, or one for which no free spot remains, is dropped
    (`box` None) rather than drawn over another: the caller lists its value elsewhere.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"the image needs a positive size, got {width} x {height}")
    if gap < 0 or margin < 0:
        raise ValueError("gap and margin must not be negative")
    taken: list[Box] = list(reserved)
    out: list[Placement] = []

    points = [r.anchor for r in requests] + list(keep_clear)

    def free(box: Box) -> bool:
        return (box.inside(width, height) and not any(box.overlaps(t, margin) for t in taken)
                and not any(box.x < px < box.right and box.y < py < box.bottom for px, py in points))

    for req in requests:
        w, h = req.size
        if w <= 0 or h <= 0:
            raise ValueError(f"a label needs a positive size, got {w} x {h}")
        chosen: Box | None = None
        if w <= width and h <= height:
            step = max(h / 2, 1.0)
            reach = max(width, height)
            r = gap
            while chosen is None and r <= reach:
                for direction in _AROUND[req.prefer]:
                    # Not clamped into the image: a label pushed back over its own anchor
                    # would hide the point it names. Near an edge the other side wins.
                    box = Box(*_offset(direction, req.anchor, w, h, r), w, h)
                    if free(box):
                        chosen = box
                        break
                r += step
            if chosen is None:  # crowded near the anchor: the nearest free spot anywhere
                chosen = _nearest_on_grid(req, width, height, step, free)
        if chosen is not None:
            taken.append(chosen)
        out.append(Placement(req, chosen))
    return out


def _nearest_on_grid(req: LabelRequest, width: float, height: float, step: float,
                     free: Callable[[Box], bool]) -> Box | None:
    w, h = req.size
    nx, ny = int((width - w) // step) + 1, int((height - h) // step) + 1
    spots = [Box(min(i * step, width - w), min(j * step, height - h), w, h) for j in range(ny) for i in range(nx)]
    spots.sort(key=lambda b: (round(b.distance_to(req.anchor), 6), b.y, b.x))
    return next((b for b in spots if free(b)), None)


# --- strokes and text scaled to the image ---------------------------------------------------


@dataclass(frozen=True)
class Style:
    """Pixel sizes for one image: `stroke` for measured lines and the skeleton, `thin` for
    reference lines, `dot` the joint radius, `text_px` the label font's size, `pad` the
    space inside a label's box and `gap` between a label and its anchor."""

    stroke: int
    thin: int
    dot: int
    text_px: int
    pad: int
    gap: int


#: Per 1000 pixels of the image's longer side. A 1000-pixel-tall photo shown 500 px tall on
#: screen gets 1.5 px lines and 9 px text; any other size shown that tall gets the same.
STROKE_PER_1000 = 3.0
TEXT_PER_1000 = 18.0


def style_for(width: int, height: int) -> Style:
    """Stroke and text sizes proportional to the longer side, with floors so that a small
    live frame or a thumbnail stays readable."""
    if width <= 0 or height <= 0:
        raise ValueError(f"the image needs a positive size, got {width} x {height}")
    unit = max(width, height) / 1000.0
    stroke = max(2, round(STROKE_PER_1000 * unit))
    text_px = max(12, round(TEXT_PER_1000 * unit))
    return Style(stroke=stroke, thin=max(1, round(stroke * 0.6)), dot=stroke + 1, text_px=text_px,
                 pad=max(2, round(text_px * 0.25)), gap=max(4, round(text_px * 0.5)))
