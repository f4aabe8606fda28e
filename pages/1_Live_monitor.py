"""Live desk-posture monitor: webcam frames processed on this machine by the live engine.

The browser sends the camera to the local server over WebRTC with no STUN/TURN servers
(local use only); nothing leaves the machine. All logic is in `posture.live.monitor`; the page's
monitor (`posture.ui.widgets.LiveMonitor`) holds a pose graph only while a stream runs and is
released with the browser session, so streams and closed tabs leave no memory behind.
"""

from __future__ import annotations

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from posture.live.monitor import PostureState
from posture.report.summary import DISCLAIMER
from posture.ui.widgets import NO_ICE, live_monitor

st.set_page_config(page_title="Live posture monitor", layout="wide")
st.title("Live posture monitor")
st.caption(DISCLAIMER)


with st.sidebar:
    view = st.selectbox("Camera sees me from", ("auto", "side", "front"), key="live_view")
    alert_after = st.slider("Alert after poor posture for (s)", 1, 60, 5, key="live_alert")

monitor = live_monitor(view, float(alert_after))

webrtc_streamer(
    key="live",
    mode=WebRtcMode.SENDRECV,
    rtc_configuration=NO_ICE,
    server_rtc_configuration=NO_ICE,
    media_stream_constraints={"video": True, "audio": False},
    video_frame_callback=monitor.on_frame,
    on_video_ended=monitor.on_ended,
    async_processing=True,
)


@st.fragment(run_every=1.0)
def status() -> None:
    last, stats = monitor.snapshot()
    if last is None or stats is None:
        st.info("Press START and allow the camera. Sit so the camera sees you from the side for a desk check.")
        return
    if last.state is PostureState.POOR:
        st.error(f"Posture: {last.state.value}. Sit back and lift your head.")
    elif last.state is PostureState.ATTENTION:
        st.warning(f"Posture: {last.state.value}")
    else:
        st.success(f"Posture: {last.state.value}")
    if not monitor.streaming:
        st.caption("Stream stopped: these are the last stream's results. Press START for a new stream.")
    st.markdown(f"Frames processed: **{stats['frames']}** · alerts: **{stats['alerts']}** · "
                f"longest poor streak: **{stats['longest_poor_streak_s']} s**")
    measures: dict[str, dict[str, float]] = stats["measures"]  # type: ignore[assignment]
    seconds: dict[str, float] = stats["seconds_in_state"]  # type: ignore[assignment]
    st.table([{"measure": k, **v} for k, v in measures.items()])
    st.caption("Time in each state (s): " + ", ".join(f"{k} {v}" for k, v in seconds.items()))


status()
