"""The device camera: photos from a tablet's, a phone's or a computer's camera in the
browser, with the frame to fill and, where the device has a motion sensor, its live level
(a Streamlit component of static HTML and JavaScript in `camera_component/`).

A shot is checked like the live burst before it is kept (`capture.still_guidance`: frame,
turn and level prompts); one that does not pass waits for the fix or for "Take it anyway"
(the override is recorded with the photo). A self-timer shot that does not pass is taken
again a second later, until it does, as the burst's self-timer waits for the checks.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.components.v1 import declare_component

from posture.core.body.landmarks import Landmark
from posture.core.body.pool import default_pool
from posture.core.errors import PostureError
from posture.core.image.device import DeviceLevel, Facing, OrientationSample, level_at_shot
from posture.core.image.imaging import load_image
from posture.core.measuring.setup import PITCH_OK_DEG
from posture.live.capture import (
    FULL_BODY,
    MARGIN,
    ROLL_LEVEL_DEG,
    SELF_TIMER_CHOICES,
    Guidance,
    Intended,
    override_note,
    still_guidance,
)
from posture.report.markdown import md_escape

from .guided_camera import GuidedShot

FRONTEND = Path(__file__).with_name("camera_component")
_component = declare_component("device_camera", path=str(FRONTEND))
#: A self-timer shot that does not pass is taken again this many times (about a second apart).
TIMER_RETRIES = 20


@dataclass(frozen=True)
class DeviceShot:
    """One photo from the component: its JPEG, the device's level at the shot (None without
    a sensor, without permission, or held near flat), and how it was taken."""

    shot_id: str
    jpeg: bytes
    level: DeviceLevel | None
    sensor: str  # "on", "none", "denied", "ask", "waiting"
    #: "start": the self-timer's first shot; "retry": taken again after one that did not
    #: pass; "": the button's shot.
    timer: str = ""


def shot_from_value(value: Any) -> DeviceShot | None:
    """The component's value as a shot (None before the first photo or when it is not one).
    The level is computed here from the raw readings (`device.level_at_shot`)."""
    if not isinstance(value, dict) or not isinstance(value.get("image"), str) or "shot" not in value:
        return None
    header, _, payload = value["image"].partition(",")
    if header != "data:image/jpeg;base64":
        return None
    try:
        jpeg = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    facing: Facing = "user" if value.get("facing") == "user" else "environment"
    samples = []
    for raw in value.get("samples") or ():
        try:
            x, y, z, angle, t = (float(v) for v in raw)
        except (TypeError, ValueError):
            continue
        if all(math.isfinite(v) for v in (x, y, z, angle, t)) and angle % 90 == 0:
            samples.append(OrientationSample((x, y, z), int(angle), t))
    shot_ms = float(value.get("shot_ms") or 0.0)
    level = level_at_shot(samples, shot_ms, facing) if samples else None
    return DeviceShot(str(value["shot"]), jpeg, level, str(value.get("sensor", "none")),
                      str(value.get("timer") or ""))


def _camera_error(value: Any) -> str | None:
    return str(value["camera_error"]) if isinstance(value, dict) and value.get("camera_error") else None


@dataclass
class _Pending:
    """A shot that did not pass the checks, waiting for a fix or "Take it anyway"."""

    shot: DeviceShot
    guidance: Guidance


def _check(shot: DeviceShot, intended: Intended, required: tuple[Landmark, ...]) -> Guidance:
    image = load_image(shot.jpeg, name="camera photo")
    camera = None if shot.level is None else shot.level.camera(image.width, image.height)
    with default_pool().checkout() as estimator:
        return still_guidance(image.bgr, estimator, camera, intended=intended, required=required)


def _keep(key: str, shot: DeviceShot, override: str = "") -> None:
    st.session_state[f"device_shot_{key}"] = GuidedShot((shot.jpeg,), override, shot.level)
    st.session_state.pop(f"device_pending_{key}", None)


def device_photo(key: str, *, intended: Intended = "auto", required: tuple[Landmark, ...] = FULL_BODY,
                 label: str = "Take photo") -> GuidedShot | None:
    """The camera with the frame and the level, a capture button and a self-timer; the shot
    once it passes the checks (or is taken anyway). Falls back to Streamlit's own camera
    input where the browser cannot open the camera from the component."""
    state = st.session_state
    retry_key = f"device_retry_{key}"
    value = _component(label=label, margin=MARGIN, roll_ok_deg=ROLL_LEVEL_DEG, pitch_ok_deg=PITCH_OK_DEG,
                       timer_choices=[0, *SELF_TIMER_CHOICES], retry=state.get(retry_key, 0),
                       key=f"device_camera_{key}", default=None)
    if _camera_error(value) is not None:  # the component shows the problem in its own words
        return _fallback(key)
    shot = shot_from_value(value)
    if shot is not None and state.get(f"device_seen_{key}") != shot.shot_id:
        state[f"device_seen_{key}"] = shot.shot_id
        try:
            guidance = _check(shot, intended, required)
        except PostureError as exc:
            st.error(f"The photo could not be checked: {md_escape(str(exc))}")
        else:
            tries_key = f"device_tries_{key}"
            if shot.timer == "start":
                state[tries_key] = 0
            if guidance.ready:
                _keep(key, shot)
            else:
                state[f"device_pending_{key}"] = _Pending(shot, guidance)
                if shot.timer and state.get(tries_key, 0) < TIMER_RETRIES:
                    state[tries_key] = state.get(tries_key, 0) + 1
                    state[retry_key] = state.get(retry_key, 0) + 1  # only grows: the component acts on a new one
                    st.rerun()  # the component takes the shot again a second from now
    pending: _Pending | None = state.get(f"device_pending_{key}")
    if pending is not None:
        if pending.shot.timer and state.get(f"device_tries_{key}", 0) < TIMER_RETRIES:
            st.info("Self-timer: the photo is taken again each second until the checks pass.")
        st.warning("Not taken yet: " + "; ".join(p.text for p in pending.guidance.blocking)
                   + ". Fix this and take it again, or press “Take it anyway” (the override is recorded with the photo).")
        st.markdown("\n".join(f"- {p.text}" for p in pending.guidance.prompts))
        if st.button("Take it anyway", key=f"device_anyway_{key}",
                     help="Keep the photo although the set-up checks do not pass; the failed checks are recorded with it."):
            _keep(key, pending.shot, override_note(pending.guidance))
            st.rerun()
    kept: GuidedShot | None = state.get(f"device_shot_{key}")
    if kept is not None:
        st.caption(_level_caption(kept))
        if kept.override:
            st.warning(kept.override.capitalize())
    return kept


def _level_caption(shot: GuidedShot) -> str:
    level = shot.level
    if level is None:
        return "Photo taken. No level from the device: the camera's level comes from the scene's lines."
    readings = "1 reading" if level.samples == 1 else f"{level.samples} readings"
    return (f"Photo taken with the device's level: roll {level.roll_deg:+.1f}°, pitch {level.pitch_deg:+.1f}° "
            f"({readings}).").replace("-", "−")


def _fallback(key: str) -> GuidedShot | None:
    """Streamlit's own camera input, where the component could not open the camera."""
    st.caption("The simpler camera below asks the browser again and may still work.")
    photo = st.camera_input("Take a photo", key=f"device_fallback_{key}")
    return GuidedShot((photo.getvalue(),)) if photo is not None else None


def device_shots(key: str, *, intended: Intended = "auto", max_shots: int = 5) -> GuidedShot | None:
    """Up to `max_shots` checked photos of one pose, combined (they cut landmark noise): the
    frames in order, the overrides of any taken anyway, the first shot's level (the photo
    the landmarks refer to)."""
    shots: list[GuidedShot] = st.session_state.setdefault(f"device_shots_{key}", [])
    shot = device_photo(key, intended=intended, label="Take photo")
    if shot is not None and len(shots) < max_shots and all(s.frames[0] != shot.frames[0] for s in shots):
        shots.append(shot)
    st.caption(f"{len(shots)} of up to {max_shots} shots; they are combined to cut landmark noise.")
    if shots and st.button("Clear shots", key=f"device_clear_{key}"):
        shots.clear()
        st.session_state.pop(f"device_shot_{key}", None)
        st.rerun()
    if not shots:
        return None
    overrides = dict.fromkeys(s.override for s in shots if s.override)
    return GuidedShot(tuple(s.frames[0] for s in shots), "; ".join(overrides), shots[0].level)
