"""Live desk-posture monitor: webcam frames processed on this machine by the live engine.

The browser sends the camera to the local server over WebRTC with no STUN/TURN servers
(local use only); nothing leaves the machine. All logic is in `posture.live`.
"""

from __future__ import annotations

import threading
import time

import av
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from posture.draw import annotate_live
from posture.live import FrameResult, LiveConfig, LiveEngine, PostureState
from posture.report import DISCLAIMER
from posture.ui import NO_ICE

st.set_page_config(page_title="Live posture monitor", layout="wide")
st.title("Live posture monitor")
st.caption(DISCLAIMER)


class Monitor:
    """Engine + the latest result, shared between the WebRTC thread and the page."""

    def __init__(self, config: LiveConfig) -> None:
        self.engine = LiveEngine(config)
        self.lock = threading.Lock()
        self.last: FrameResult | None = None
        self.start = time.monotonic()

    def on_frame(self, frame: av.VideoFrame) -> av.VideoFrame:
        image = frame.to_ndarray(format="bgr24")
        with self.lock:
            result = self.engine.process(image, time.monotonic() - self.start)
            self.last = result
        return av.VideoFrame.from_ndarray(annotate_live(image, result), format="bgr24")


with st.sidebar:
    view = st.selectbox("Camera sees me from", ("auto", "side", "front"), key="live_view")
    alert_after = st.slider("Alert after poor posture for (s)", 1, 60, 5, key="live_alert")

config = LiveConfig(view=view, alert_after_s=float(alert_after))
if st.session_state.get("live_config") != config:
    st.session_state["live_config"] = config
    st.session_state["monitor"] = Monitor(config)
monitor: Monitor = st.session_state["monitor"]

webrtc_streamer(
    key="live",
    mode=WebRtcMode.SENDRECV,
    rtc_configuration=NO_ICE,
    server_rtc_configuration=NO_ICE,
    media_stream_constraints={"video": True, "audio": False},
    video_frame_callback=monitor.on_frame,
    async_processing=True,
)


@st.fragment(run_every=1.0)
def status() -> None:
    with monitor.lock:
        last = monitor.last
        stats = monitor.engine.stats.to_dict()
    if last is None:
        st.info("Press START and allow the camera. Sit so the camera sees you from the side for a desk check.")
        return
    if last.state is PostureState.POOR:
        st.error(f"Posture: {last.state.value}. Sit back and lift your head.")
    elif last.state is PostureState.ATTENTION:
        st.warning(f"Posture: {last.state.value}")
    else:
        st.success(f"Posture: {last.state.value}")
    st.markdown(f"Frames processed: **{stats['frames']}** · alerts: **{stats['alerts']}** · "
                f"longest poor streak: **{stats['longest_poor_streak_s']} s**")
    st.table([{"measure": k, **v} for k, v in stats["measures"].items()])
    st.caption("Time in each state (s): " + ", ".join(f"{k} {v}" for k, v in stats["seconds_in_state"].items()))


status()
