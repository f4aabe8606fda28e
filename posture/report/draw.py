"""Annotated images: skeleton, reference lines, plumb line and each angle where it is measured.

Line widths and text scale with the image, so the overlay stays legible on a phone and in
print. Drawing only: no measuring happens here (values come from the Assessment).
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol

import cv2
import numpy as np

from posture.core.assessment import Assessment
from posture.core.imaging import BGRImage
from posture.core.landmarks import SKELETON_EDGES, Landmark, PoseLandmarks
from posture.core.measures import MIN_VISIBILITY


class LiveFrame(Protocol):
    """What the live overlay needs from a frame's result (`posture.live.monitor.FrameResult` has it).

    A protocol rather than an import keeps the drawing layer below the live layer.
    """

    @property
    def landmarks(self) -> PoseLandmarks | None: ...
    @property
    def state(self) -> Enum: ...
    @property
    def alert(self) -> bool: ...
    @property
    def measures(self) -> dict[str, float | None]: ...


WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
SKELETON = (80, 200, 255)  # amber
REFERENCE = (255, 200, 0)  # cyan-ish
MEASURE = (60, 60, 240)  # red
PLUMB = (60, 220, 60)  # green
SCENE = (0, 230, 255)  # yellow: scene lines taken as vertical


def _style(image: BGRImage) -> tuple[int, float]:
    short = min(image.shape[:2])
    thickness = max(2, round(short / 320))
    font_scale = max(0.5, short / 900)
    return thickness, font_scale


def _pt(xy: np.ndarray) -> tuple[int, int]:
    return int(round(float(xy[0]))), int(round(float(xy[1])))


def _label(image: BGRImage, text: str, org: tuple[int, int], scale: float, color: tuple[int, int, int]) -> None:
    """Text on a dark box, kept inside the image."""
    thick = max(1, round(scale * 2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    h, w = image.shape[:2]
    x = min(max(org[0], 2), max(2, w - tw - 6))
    y = min(max(org[1], th + 6), h - base - 4)
    cv2.rectangle(image, (x - 3, y - th - 5), (x + tw + 3, y + base + 2), BLACK, -1)
    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, color, thick, cv2.LINE_AA)


def _value_text(a: Assessment, name: str, short: str) -> str | None:
    m = a.measures.get(name)
    if m is None or m.value is None:
        return None
    unit = "deg" if m.unit == "deg" else m.unit
    return f"{short} {m.value:+.1f} {unit}"


def annotate(image: BGRImage, a: Assessment) -> BGRImage:
    """A copy of `image` (the upright photo the assessment was made on) with the overlay.

    The photo is first flipped/turned as the assessment did (a mirrored selfie, a photo lying
    on its side); the scene lines taken as vertical are drawn, so a therapist can see what
    the camera correction rests on."""
    out = a.image.orient(image).copy()
    thick, scale = _style(out)
    if a.setup is not None:
        for seg in a.setup.camera.lines:
            cv2.line(out, (round(seg.x0), round(seg.y0)), (round(seg.x1), round(seg.y1)), SCENE, max(1, thick - 1), cv2.LINE_AA)
    xy, vis = a.landmarks.xy, a.landmarks.visibility

    def seen(lm: Landmark) -> bool:
        return bool(vis[int(lm)] >= MIN_VISIBILITY)

    for p, q in SKELETON_EDGES:
        if seen(p) and seen(q):
            cv2.line(out, _pt(xy[p]), _pt(xy[q]), SKELETON, thick, cv2.LINE_AA)
    for lm in Landmark:
        if seen(lm):
            cv2.circle(out, _pt(xy[lm]), thick + 1, WHITE, -1, cv2.LINE_AA)

    if a.view.name.is_frontal:
        _frontal_overlay(out, a, thick, scale)
        # Which side is the subject's left: the question a mirrored photo raises.
        _label(out, "subject's L", _pt(xy[Landmark.LEFT_SHOULDER] + [0, -40 * scale]), scale * 0.8, SCENE)
    elif a.view.name.is_sagittal:
        _sagittal_overlay(out, a, thick, scale)
    header = f"{a.view.name.value} view, {a.view.posture.value}"
    _label(out, header, (6, int(30 * scale) + 6), scale, WHITE)
    return out


def _frontal_overlay(out: BGRImage, a: Assessment, thick: int, scale: float) -> None:
    xy = a.landmarks.xy
    w = out.shape[1]
    pairs = (
        (Landmark.LEFT_EAR, Landmark.RIGHT_EAR, "head_tilt_deg", "head"),
        (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, "shoulder_tilt_deg", "shoulders"),
        (Landmark.LEFT_HIP, Landmark.RIGHT_HIP, "hip_tilt_deg", "hips"),
    )
    for left, right, name, short in pairs:
        text = _value_text(a, name, short)
        if text is None:
            continue
        p, q = xy[left], xy[right]
        # Horizontal reference through the lower point, and the measured line.
        y_ref = int(round(max(p[1], q[1])))
        x0, x1 = int(min(p[0], q[0]) - 0.15 * w), int(max(p[0], q[0]) + 0.15 * w)
        cv2.line(out, (x0, y_ref), (x1, y_ref), REFERENCE, max(1, thick - 1), cv2.LINE_AA)
        cv2.line(out, _pt(p), _pt(q), MEASURE, thick, cv2.LINE_AA)
        _label(out, text, (int(max(p[0], q[0]) + 10), int(min(p[1], q[1]) - 6)), scale, WHITE)
    text = _value_text(a, "trunk_lean_deg", "trunk")
    if text is not None:
        hip = (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2
        sh = (xy[Landmark.LEFT_SHOULDER] + xy[Landmark.RIGHT_SHOULDER]) / 2
        top = int(min(xy[:, 1].min(), sh[1]) - 10)
        bottom = int(max(xy[:, 1].max(), hip[1]))
        cv2.line(out, (int(hip[0]), top), (int(hip[0]), bottom), PLUMB, max(1, thick - 1), cv2.LINE_AA)
        cv2.line(out, _pt(hip), _pt(sh), MEASURE, thick, cv2.LINE_AA)
        _label(out, text, (int(hip[0]) + 10, int((hip[1] + sh[1]) / 2)), scale, WHITE)
    for side in ("left", "right"):
        text = _value_text(a, f"{side}_knee_valgus_deg", f"{side[0].upper()} knee")
        if text is None:
            continue
        knee = xy[Landmark[f"{side.upper()}_KNEE"]]
        _label(out, text, (int(knee[0]) + 10, int(knee[1])), scale * 0.85, WHITE)


def _sagittal_overlay(out: BGRImage, a: Assessment, thick: int, scale: float) -> None:
    xy = a.landmarks.xy
    side = a.near_side.upper()

    def p(part: str) -> np.ndarray:
        return xy[Landmark[f"{side}_{part}"]]

    ankle, ear, shoulder, hip = p("ANKLE"), p("EAR"), p("SHOULDER"), p("HIP")
    if a.measures["ear_plumb_offset_pct"].value is not None:
        top = int(min(xy[:, 1].min(), ear[1]) - 20)
        cv2.line(out, (int(ankle[0]), top), _pt(ankle), PLUMB, thick, cv2.LINE_AA)
        _label(out, "plumb line", (int(ankle[0]) + 8, top + int(24 * scale)), scale * 0.8, PLUMB)
    cva = _value_text(a, "craniovertebral_angle_deg", "CVA")
    if cva is not None:
        length = int(max(40, 1.2 * np.hypot(*(ear - shoulder))))
        fwd = a.view.forward_x
        cv2.line(out, _pt(shoulder), (int(shoulder[0] + fwd * length), int(shoulder[1])), REFERENCE, max(1, thick - 1), cv2.LINE_AA)
        cv2.line(out, _pt(shoulder), _pt(ear), MEASURE, thick, cv2.LINE_AA)
        neck = _value_text(a, "neck_inclination_deg", "head fwd")
        _label(out, cva + (f" | {neck}" if neck else ""), (int(ear[0]) + 10, int(ear[1]) - 10), scale, WHITE)
    torso = _value_text(a, "torso_inclination_deg", "torso")
    if torso is not None:
        length = int(np.hypot(*(shoulder - hip)))
        cv2.line(out, _pt(hip), (int(hip[0]), int(hip[1] - length)), REFERENCE, max(1, thick - 1), cv2.LINE_AA)
        cv2.line(out, _pt(hip), _pt(shoulder), MEASURE, thick, cv2.LINE_AA)
        _label(out, torso, (int(hip[0]) + 10, int((hip[1] + shoulder[1]) / 2)), scale, WHITE)
    for name, part, short in (("trunk_thigh_angle_deg", "HIP", "trunk-thigh"), ("knee_flexion_deg", "KNEE", "knee")):
        text = _value_text(a, name, short)
        if text is not None:
            q = p(part)
            _label(out, text, (int(q[0]) + 10, int(q[1]) + int(28 * scale)), scale * 0.85, WHITE)


STATE_COLOURS = {"good": (80, 200, 80), "needs attention": (0, 190, 255), "poor": (60, 60, 230), "no person": (160, 160, 160)}


def annotate_live(frame: BGRImage, result: LiveFrame) -> BGRImage:
    """Skeleton, the measures and the state banner on one live frame (a `live.FrameResult`)."""
    out = frame.copy()
    thick, scale = _style(out)
    lms = result.landmarks
    if lms is not None:
        xy, vis = lms.xy, lms.visibility
        for p, q in SKELETON_EDGES:
            if vis[int(p)] >= MIN_VISIBILITY and vis[int(q)] >= MIN_VISIBILITY:
                cv2.line(out, _pt(xy[p]), _pt(xy[q]), SKELETON, thick, cv2.LINE_AA)
    state = result.state.value
    colour = STATE_COLOURS.get(state, WHITE)
    banner_h = int(40 * scale) + 10
    cv2.rectangle(out, (0, 0), (out.shape[1], banner_h), colour, -1)
    cv2.putText(out, state.upper() + ("  - ALERT" if result.alert else ""), (10, banner_h - 12),
                cv2.FONT_HERSHEY_SIMPLEX, scale * 1.1, BLACK, max(2, thick), cv2.LINE_AA)
    y = banner_h + int(30 * scale)
    for name, value in result.measures.items():
        if value is None:
            continue
        _label(out, f"{name.replace('_deg', '').replace('_', ' ')}: {value:+.1f}", (8, y), scale * 0.8, WHITE)
        y += int(30 * scale)
    return out
