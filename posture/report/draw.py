"""Annotated images: skeleton, reference lines, plumb line and each angle where it is measured.

Strokes and text scale with the image (`layout.style_for`), and value labels are laid out by
`layout.place_labels`: each next to what it names, none over another or over a joint, none
cut off at the edge. Values read as everywhere else (`core.formatting`). Text is drawn in
the package's DejaVu Sans (OpenCV's own fonts have no "°"). Drawing only: no measuring
happens here (values come from the Assessment).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from posture.core.assessment import Assessment
from posture.core.body.landmarks import MIN_VISIBILITY, SKELETON_EDGES, Landmark, PoseLandmarks
from posture.core.image.imaging import BGRImage
from posture.core.measuring.formatting import live_value, overlay_words
from posture.core.measuring.measures import MEASURES, MeasureContext

from .layout import Box, Direction, LabelRequest, Style, place_labels, style_for


class LiveFrame(Protocol):
    """What the live overlay needs from a frame's result (`posture.live.state.FrameResult` has it).

    A protocol rather than an import keeps the drawing layer below the live layer.
    """

    @property
    def landmarks(self) -> PoseLandmarks | None: ...
    @property
    def state(self) -> Enum: ...
    @property
    def alert(self) -> bool: ...
    @property
    def now(self) -> dict[str, float]:
        """The graded readings to show (none on a frame without a person)."""
        ...


Colour = tuple[int, int, int]  # BGR
WHITE: Colour = (255, 255, 255)
BLACK: Colour = (0, 0, 0)
SKELETON: Colour = (80, 200, 255)  # amber
REFERENCE: Colour = (255, 200, 0)  # cyan-ish
MEASURE: Colour = (60, 60, 240)  # red
PLUMB: Colour = (60, 220, 60)  # green
SCENE: Colour = (0, 230, 255)  # yellow: scene lines taken as vertical
PANEL_BACKGROUND: Colour = (240, 240, 240)

_FONTS = Path(__file__).with_name("fonts")
#: Joints no label may cover (the label would hide what the lines are drawn from).
_KEEP_CLEAR = (Landmark.LEFT_EAR, Landmark.RIGHT_EAR, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER,
               Landmark.LEFT_HIP, Landmark.RIGHT_HIP, Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE,
               Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE)


@lru_cache(maxsize=32)
def _font(px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), px)


@dataclass(frozen=True)
class Label:
    """A text to place near `anchor` (pixels of the drawn image)."""

    text: str
    anchor: tuple[float, float]
    colour: Colour = WHITE
    prefer: Direction = "right"
    smaller: bool = False


@dataclass(frozen=True)
class DrawnLabel:
    """Where a label went (`box` None: no room left for it in the image)."""

    text: str
    anchor: tuple[float, float]
    box: Box | None


def _label_size(label: Label, style: Style) -> tuple[float, float]:
    font = _font(_text_px(label, style))
    left, top, right, bottom = font.getbbox(label.text)
    ascent, descent = font.getmetrics()
    return right - left + 2 * style.pad, ascent + descent + 2 * style.pad


def _text_px(label: Label, style: Style) -> int:
    return max(11, round(style.text_px * (0.85 if label.smaller else 1.0)))


def draw_labels(out: BGRImage, labels: list[Label], style: Style, *, reserved: tuple[Box, ...] = (),
                keep_clear: tuple[tuple[float, float], ...] = ()) -> list[DrawnLabel]:
    """Lay out `labels` (in priority order) and draw them in place on `out`: a dark box with
    the text, and a thin leader line to the anchor when the label had to move away from it."""
    h, w = out.shape[:2]
    requests = [LabelRequest(lab.anchor, _label_size(lab, style), lab.prefer) for lab in labels]
    placed = place_labels(requests, w, h, gap=style.gap, margin=max(2, style.pad // 2), reserved=reserved,
                          keep_clear=keep_clear)
    for lab, p in zip(labels, placed, strict=True):
        if p.box is not None and p.distance > 1.5 * style.gap:
            near = (min(max(lab.anchor[0], p.box.x), p.box.right), min(max(lab.anchor[1], p.box.y), p.box.bottom))
            cv2.line(out, _pt(lab.anchor), _pt(near), lab.colour, max(1, style.thin // 2 + 1), cv2.LINE_AA)
    boxes = [(lab, p.box) for lab, p in zip(labels, placed, strict=True) if p.box is not None]
    if boxes:
        _draw_text_boxes(out, boxes, style)
    return [DrawnLabel(lab.text, lab.anchor, p.box) for lab, p in zip(labels, placed, strict=True)]


def _draw_text_boxes(out: BGRImage, boxes: list[tuple[Label, Box]], style: Style) -> None:
    # Only the labels' own pixels go through PIL (a 3000x4000 photo is not copied twice).
    for lab, box in boxes:
        x0, y0 = int(round(box.x)), int(round(box.y))
        x1, y1 = min(out.shape[1], int(round(box.right))), min(out.shape[0], int(round(box.bottom)))
        patch = Image.new("RGB", (x1 - x0, y1 - y0), (20, 20, 20))
        font = _font(_text_px(lab, style))
        b, g, r = lab.colour
        ImageDraw.Draw(patch).text((style.pad - font.getbbox(lab.text)[0], style.pad), lab.text, font=font, fill=(r, g, b))
        out[y0:y1, x0:x1] = np.asarray(patch)[:, :, ::-1]


def _pt(xy: npt.ArrayLike) -> tuple[int, int]:
    p = np.asarray(xy, dtype=np.float64)
    return int(round(float(p[0]))), int(round(float(p[1])))


def value_text(a: Assessment, name: str) -> str | None:
    """An overlay's label (`formatting.overlay_words`), or None for a value not measured."""
    m = a.measures.get(name)
    if m is None or m.value is None:
        return None
    return overlay_words(name, m.value, m.unit)


Affine = npt.NDArray[np.float64]  # 2x3: [x', y'] = A @ [x, y] + t


def annotate(image: BGRImage, a: Assessment, *, transform: Affine | None = None,
             size: tuple[int, int] | None = None) -> BGRImage:
    """A copy of `image` (the upright photo the assessment was made on) with the overlay.

    The photo is first flipped/turned as the assessment did (a mirrored selfie, a photo lying
    on its side); the scene lines taken as vertical are drawn, so a therapist can see what
    the camera correction rests on. With `transform` (a 2x3 affine map, e.g. a side-by-side
    panel's) and `size` (width, height), the photo is mapped first and the overlay drawn on
    the result, so lines and labels are sized for, and kept inside, what is shown."""
    return annotate_with_labels(image, a, transform=transform, size=size)[0]


def annotate_with_labels(image: BGRImage, a: Assessment, *, transform: Affine | None = None,
                         size: tuple[int, int] | None = None) -> tuple[BGRImage, list[DrawnLabel]]:
    """`annotate`, and where each label went (for tests and for listing dropped values)."""
    oriented = a.image.orient(image)
    if transform is None:
        out = oriented.copy()
        m: Affine = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    else:
        if size is None:
            raise ValueError("a transform needs the output size")
        m = np.asarray(transform, dtype=np.float64)
        out = np.asarray(cv2.warpAffine(oriented, m, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT,
                                        borderValue=PANEL_BACKGROUND), dtype=np.uint8)
    style = style_for(out.shape[1], out.shape[0])
    xy = a.landmarks.xy @ m[:, :2].T + m[:, 2]
    vis = a.landmarks.visibility

    def mapped(x: float, y: float) -> tuple[int, int]:
        return _pt(m[:, :2] @ np.array([x, y]) + m[:, 2])

    if a.setup is not None:
        for seg in a.setup.camera.lines:
            cv2.line(out, mapped(seg.x0, seg.y0), mapped(seg.x1, seg.y1), SCENE, style.thin, cv2.LINE_AA)

    def seen(lm: Landmark) -> bool:
        return bool(vis[int(lm)] >= MIN_VISIBILITY)

    for p, q in SKELETON_EDGES:
        if seen(p) and seen(q):
            cv2.line(out, _pt(xy[p]), _pt(xy[q]), SKELETON, style.stroke, cv2.LINE_AA)
    for lm in Landmark:
        if seen(lm):
            cv2.circle(out, _pt(xy[lm]), style.dot, WHITE, -1, cv2.LINE_AA)

    labels: list[Label] = []
    if a.view.name.is_frontal:
        labels = _frontal_overlay(out, a, xy, style)
    elif a.view.name.is_sagittal:
        labels = _sagittal_overlay(out, a, xy, style)
    labels += _other_labels(a, xy, {lab.text for lab in labels})
    header = Label(f"{a.view.name.value} view, {a.view.posture.value}", (0.0, 0.0))
    hw, hh = _label_size(header, style)
    header_box = Box(0, 0, min(hw, out.shape[1]), min(hh, out.shape[0]))
    _draw_text_boxes(out, [(header, header_box)], style)
    clear = tuple((float(xy[lm][0]), float(xy[lm][1])) for lm in _KEEP_CLEAR if seen(lm))
    return out, draw_labels(out, labels, style, reserved=(header_box,), keep_clear=clear)


def _other_labels(a: Assessment, xy: npt.NDArray[np.float64], drawn: set[str]) -> list[Label]:
    """A label for every measure declared to be drawn (`MeasureSpec.overlay`) that has no
    drawing of its own here: at the middle of its landmarks, so a new measure shows on the
    photo without an edit to this module."""
    ctx = MeasureContext(a.view, a.near_side)
    labels = []
    for spec in MEASURES:
        text = value_text(a, spec.name) if spec.overlay and a.view.name in spec.views else None
        if text is not None and text not in drawn:
            at = xy[list(spec.landmarks(ctx))].mean(axis=0)
            labels.append(Label(text, (float(at[0]), float(at[1])), smaller=True))
    return labels


def _frontal_overlay(out: BGRImage, a: Assessment, xy: npt.NDArray[np.float64], style: Style) -> list[Label]:
    w = out.shape[1]
    labels: list[Label] = []
    pairs = (
        (Landmark.LEFT_EAR, Landmark.RIGHT_EAR, "head_tilt_deg"),
        (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, "shoulder_tilt_deg"),
        (Landmark.LEFT_HIP, Landmark.RIGHT_HIP, "hip_tilt_deg"),
    )
    for left, right, name in pairs:
        text = value_text(a, name)
        if text is None:
            continue
        p, q = xy[left], xy[right]
        # Horizontal reference through the lower point, and the measured line.
        y_ref = int(round(max(p[1], q[1])))
        span = abs(p[0] - q[0])
        x0, x1 = int(min(p[0], q[0]) - 0.3 * span), int(max(p[0], q[0]) + 0.3 * span)
        cv2.line(out, (max(0, x0), y_ref), (min(w - 1, x1), y_ref), REFERENCE, style.thin, cv2.LINE_AA)
        cv2.line(out, _pt(p), _pt(q), MEASURE, style.stroke, cv2.LINE_AA)
        end = p if p[0] > q[0] else q  # the line's right end: the label reads on from it
        labels.append(Label(text, (float(end[0]), float(end[1])), prefer="right"))
    text = value_text(a, "trunk_lean_deg")
    if text is not None:
        hip = (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2
        sh = (xy[Landmark.LEFT_SHOULDER] + xy[Landmark.RIGHT_SHOULDER]) / 2
        top = int(sh[1] - 0.25 * abs(hip[1] - sh[1]))
        cv2.line(out, (int(hip[0]), top), _pt(hip), PLUMB, style.thin, cv2.LINE_AA)
        cv2.line(out, _pt(hip), _pt(sh), MEASURE, style.stroke, cv2.LINE_AA)
        mid = (hip + sh) / 2
        labels.append(Label(text, (float(mid[0]), float(mid[1])), prefer="right"))
    # The knees are a hand apart at one height: each label goes to its own outer side.
    left_knee, right_knee = xy[Landmark.LEFT_KNEE], xy[Landmark.RIGHT_KNEE]
    for name, knee, other in (("left_knee_valgus_deg", left_knee, right_knee), ("right_knee_valgus_deg", right_knee, left_knee)):
        text = value_text(a, name)
        if text is not None:
            outward: Direction = "right" if knee[0] >= other[0] else "left"
            labels.append(Label(text, (float(knee[0]), float(knee[1])), prefer=outward, smaller=True))
    # Which side is the subject's left: the question a mirrored photo raises.
    ls = xy[Landmark.LEFT_SHOULDER]
    labels.insert(0, Label("subject's L", (float(ls[0]), float(ls[1])), SCENE, prefer="above", smaller=True))
    return labels


def _sagittal_overlay(out: BGRImage, a: Assessment, xy: npt.NDArray[np.float64], style: Style) -> list[Label]:
    side = a.near_side.upper()
    labels: list[Label] = []
    back: Direction = "right" if a.view.forward_x < 0 else "left"  # labels behind the body, off the face

    def p(part: str) -> npt.NDArray[np.float64]:
        return xy[Landmark[f"{side}_{part}"]]

    ankle, ear, shoulder, hip = p("ANKLE"), p("EAR"), p("SHOULDER"), p("HIP")
    measures = a.measures
    if "ear_plumb_offset_pct" in measures and measures["ear_plumb_offset_pct"].value is not None:
        top = int(ear[1] - 0.1 * abs(ankle[1] - ear[1]))
        cv2.line(out, (int(ankle[0]), top), _pt(ankle), PLUMB, style.stroke, cv2.LINE_AA)
        labels.append(Label("plumb line", (float(ankle[0]), float(top)), PLUMB, prefer="above", smaller=True))
    cva = value_text(a, "craniovertebral_angle_deg")
    if cva is not None:
        length = int(max(40, 1.2 * np.hypot(*(ear - shoulder))))
        fwd = a.view.forward_x
        cv2.line(out, _pt(shoulder), (int(shoulder[0] + fwd * length), int(shoulder[1])), REFERENCE, style.thin,
                 cv2.LINE_AA)
        cv2.line(out, _pt(shoulder), _pt(ear), MEASURE, style.stroke, cv2.LINE_AA)
        labels.append(Label(cva, (float(ear[0]), float(ear[1])), prefer=back))
        neck = value_text(a, "neck_inclination_deg")
        if neck:
            labels.append(Label(neck, (float(shoulder[0]), float(shoulder[1])), prefer=back))
    torso = value_text(a, "torso_inclination_deg")
    if torso is not None:
        length = int(np.hypot(*(shoulder - hip)))
        cv2.line(out, _pt(hip), (int(hip[0]), int(hip[1] - length)), REFERENCE, style.thin, cv2.LINE_AA)
        cv2.line(out, _pt(hip), _pt(shoulder), MEASURE, style.stroke, cv2.LINE_AA)
        mid = (hip + shoulder) / 2
        labels.append(Label(torso, (float(mid[0]), float(mid[1])), prefer=back))
    for name, part in (("trunk_thigh_angle_deg", "HIP"), ("knee_flexion_deg", "KNEE")):
        text = value_text(a, name)
        if text is not None:
            q = p(part)
            labels.append(Label(text, (float(q[0]), float(q[1])), prefer="below", smaller=True))
    return labels


STATE_COLOURS = {"good": (80, 200, 80), "needs attention": (0, 190, 255), "poor": (60, 60, 230), "no person": (160, 160, 160)}


def annotate_live(frame: BGRImage, result: LiveFrame) -> BGRImage:
    """Skeleton, the measures and the state banner on one live frame (a `live.FrameResult`)."""
    out = frame.copy()
    style = style_for(out.shape[1], out.shape[0])
    lms = result.landmarks
    if lms is not None:
        xy, vis = lms.xy, lms.visibility
        for p, q in SKELETON_EDGES:
            if vis[int(p)] >= MIN_VISIBILITY and vis[int(q)] >= MIN_VISIBILITY:
                cv2.line(out, _pt(xy[p]), _pt(xy[q]), SKELETON, style.stroke, cv2.LINE_AA)
    state = result.state.value
    colour = STATE_COLOURS.get(state, WHITE)
    banner = Label(state.upper() + ("  – ALERT" if result.alert else ""), (0.0, 0.0), BLACK)
    bw, bh = _label_size(banner, style)
    cv2.rectangle(out, (0, 0), (out.shape[1], int(bh)), colour, -1)
    font = _font(_text_px(banner, style), bold=True)
    patch = Image.fromarray(np.ascontiguousarray(out[: int(bh), :, ::-1]))
    ImageDraw.Draw(patch).text((style.pad * 2, style.pad), banner.text, font=font, fill=(0, 0, 0))
    out[: int(bh)] = np.asarray(patch)[:, :, ::-1]
    y = bh + style.pad
    lines = [Label(live_value(name, value), (0.0, 0.0), smaller=True) for name, value in result.now.items()]
    boxes: list[tuple[Label, Box]] = []
    for lab in lines:
        lw, lh = _label_size(lab, style)
        if y + lh > out.shape[0] or lw > out.shape[1]:
            break
        boxes.append((lab, Box(style.pad, y, lw, lh)))
        y += lh + style.pad // 2
    if boxes:
        _draw_text_boxes(out, boxes, style)
    return out
