"""The guided webcam for still photos: a live video with capture guidance drawn on it
(framing, level, self-timer), the prompts beside it, and the burst of frames it takes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st

from posture.core.body.landmarks import Landmark
from posture.core.image.device import DeviceLevel
from posture.core.image.imaging import BGRImage, encode_jpeg
from posture.live.capture import FULL_BODY, SELF_TIMER_CHOICES, Countdown, GuideEngine, Intended, draw_guidance, override_note

from .webrtc import NO_ICE, map_bgr_frame

BURST_FRAMES = 5


class GuidedCamera:
    """The guide engine of one live camera, and its self-timer (the video thread reads both)."""

    def __init__(self, engine: GuideEngine) -> None:
        self.engine = engine
        self.countdown: Countdown | None = None

    def on_frame(self, frame):  # type: ignore[no-untyped-def]
        """streamlit-webrtc's video callback: the frame with the guidance drawn on it."""
        return map_bgr_frame(frame, self._guide)

    def _guide(self, image: BGRImage) -> BGRImage:
        guidance = self.engine.process(image)
        countdown = self.countdown
        left = None if countdown is None else countdown.remaining(time.monotonic())
        return draw_guidance(image, guidance, left)


@dataclass(frozen=True)
class GuidedShot:
    frames: tuple[bytes, ...]
    #: "" when the set-up checks passed; else `capture.override_note` (kept with the photo).
    override: str = ""
    #: The camera's level the device's motion sensor measured at the shot (a single shot
    #: from a tablet or phone; None from a webcam).
    level: DeviceLevel | None = None


def _take(camera: GuidedCamera, key: str, n_frames: int, *, anyway: bool) -> str | None:
    """Take the shot if the guidance says ready (or `anyway`); else say why not."""
    guidance, frames = camera.engine.guidance, camera.engine.burst()
    if guidance is None or len(frames) < n_frames:
        return "No video yet: press START, allow the camera, then take the photo."
    if not guidance.ready and not anyway:
        return ("Not taken yet: " + "; ".join(p.text for p in guidance.blocking)
                + ". Fix this, or press “Take it anyway” (the override is recorded with the photo).")
    note = "" if guidance.ready else override_note(guidance)
    st.session_state[f"shot_{key}"] = GuidedShot(tuple(encode_jpeg(f, 95) for f in frames[-n_frames:]), note)
    camera.countdown = None
    return None


@st.fragment(run_every=0.5)
def _guidance_panel(key: str, n_frames: int) -> None:
    """The prompts beside the video, and the self-timer: when it runs out the shot is taken
    as soon as the checks pass."""
    camera: GuidedCamera = st.session_state[f"guided_{key}"]
    guidance = camera.engine.guidance
    countdown = camera.countdown
    if guidance is None:
        st.info("Press START and allow the camera: the framing and level guidance appears here.")
        return
    if countdown is not None:
        left = countdown.remaining(time.monotonic())
        if left > 0:
            st.info(f"Self-timer: {left:.0f} s")
        elif guidance.ready:
            _take(camera, key, n_frames, anyway=False)
            st.rerun()
        else:
            st.warning("Self-timer done: waiting for the set-up checks to pass (or press “Take it anyway”).")
    (st.success if guidance.ready else st.warning)(
        "Ready: hold still." if guidance.ready else "Before the photo: " + guidance.blocking[0].text)
    st.markdown("\n".join(f"- {p.text}" for p in guidance.prompts) or "- framing, turn and camera level are fine")
    st.caption(f"Level: {guidance.level.text}. The dashed box is the frame the body should fill; the yellow line "
               "in the level indicator shows true vertical.")


def guided_webcam(key: str, *, intended: Intended = "auto", required: tuple[Landmark, ...] = FULL_BODY,
                  n_frames: int = BURST_FRAMES, label: str = f"Capture burst ({BURST_FRAMES} frames)") -> GuidedShot | None:
    """A live camera view with capture guidance drawn on it (the frame to fill, the level
    indicator, the first prompt, the self-timer), the prompts beside it, a capture button,
    a self-timer and "Take it anyway". The shot is the last `n_frames` frames (a burst of
    about 0.2 s), taken only when the checks pass unless overridden (then the override is
    in `GuidedShot.override`)."""
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    camera: GuidedCamera = st.session_state.setdefault(
        f"guided_{key}", GuidedCamera(GuideEngine(intended=intended, required=required, keep=n_frames)))
    # The video beside its controls, not above them: at 1400x900 (and 820 wide) the capture
    # button is on screen whenever the video is, instead of a full-width video's height below it.
    video, controls = st.columns([3, 2])
    with video:
        webrtc_streamer(
            key=f"burst_{key}", mode=WebRtcMode.SENDRECV, rtc_configuration=NO_ICE, server_rtc_configuration=NO_ICE,
            media_stream_constraints={"video": True, "audio": False}, video_frame_callback=camera.on_frame,
            async_processing=True, on_video_ended=camera.engine.release,  # STOP, page switch, peer gone: free the graph
        )
    problem = None
    with controls:
        if st.button(label, key=f"capture_{key}", type="primary", width="stretch"):
            problem = _take(camera, key, n_frames, anyway=False)
        timer, start = st.columns([1, 1], vertical_alignment="bottom")
        seconds = timer.selectbox("Self-timer", SELF_TIMER_CHOICES, format_func=lambda s: f"{s} s", key=f"timer_s_{key}")
        if start.button("Start self-timer", key=f"timer_{key}"):
            camera.countdown = Countdown(float(seconds), time.monotonic())
        if st.button("Take it anyway", key=f"anyway_{key}",
                     help="Take the photo although the set-up checks do not pass; the failed checks are recorded with it."):
            problem = _take(camera, key, n_frames, anyway=True)
        notice = st.container()  # always there: the widgets below keep their place
        if problem:
            notice.warning(problem)
        _guidance_panel(key, n_frames)
    shot: GuidedShot | None = st.session_state.get(f"shot_{key}")
    if shot is not None:
        what = "Burst of" if len(shot.frames) > 1 else "Photo of"
        st.caption(f"{what} {len(shot.frames)} frames captured; they are combined to cut landmark noise.")
        if shot.override:
            st.warning(shot.override.capitalize())
    return shot
