"""Live desk-posture monitor: webcam frames processed on this machine by the live engine.

The browser sends the camera to the local server over WebRTC with no STUN/TURN servers
(local use only); nothing leaves the machine. All logic is in `posture.live.monitor`; the page's
monitor (`posture.ui.widgets.LiveMonitor`) holds a pose graph only while a stream runs and is
released with the browser session, so streams and closed tabs leave no memory behind.

Layout: the video and, beside it, the state, the current measures and the advice, so all of
it is on screen at once without scrolling (1400x900 and 820 px wide); the session's
statistics are below. An alert shows a toast and plays a soft chime (both can be switched off).
"""

from __future__ import annotations

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from posture.core.measuring.formatting import label, live_value
from posture.live.engine import LiveConfig
from posture.live.state import PostureState
from posture.report.summary_text import DISCLAIMER
from posture.ui.live_session import alert_chime, live_monitor
from posture.ui.webrtc import NO_ICE

st.set_page_config(page_title="Live posture monitor", layout="wide")
st.markdown("### Live posture monitor")

with st.sidebar:
    st.header("Live settings")
    view = st.selectbox("Camera sees me from", ("auto", "side", "front"), key="live_view")
    alert_after = st.slider("Alert after poor posture for (s)", 1, 60, 5, key="live_alert")
    toast_on = st.toggle("Alert message (toast)", value=True, key="live_toast")
    sound_on = st.toggle("Alert sound (soft chime)", value=True, key="live_sound")
    volume = st.slider("Chime volume", 0.05, 1.0, 0.25, 0.05, key="live_volume", disabled=not sound_on)

monitor = live_monitor()
if monitor.configure(LiveConfig(view=view, alert_after_s=float(alert_after))) and monitor.streaming:
    st.toast("Settings applied to the running stream; its statistics carry on.")

video, side = st.columns([3, 2])
with video:
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
    st.caption(DISCLAIMER)


@st.fragment(run_every=1.0)
def status() -> None:
    last, stats = monitor.snapshot()
    if last is None or stats is None:
        st.info("Press START and allow the camera. Sit so the camera sees you from the side for a desk check.")
        return
    if not monitor.streaming:
        # The stream is over: no state banner left standing (a red "poor" would outlive it).
        st.info("Stream stopped: the figures below are the last stream's. Press START for a new stream.")
    elif last.state is PostureState.POOR:
        st.error(f"Posture: {last.state.value}. {last.advice}")
    elif last.state is PostureState.ATTENTION:
        st.warning(f"Posture: {last.state.value}. {last.advice}")
    elif last.state is PostureState.NO_PERSON:
        st.info("Posture: no person in view. Sit where the camera sees your head, shoulders and hips.")
    else:
        st.success(f"Posture: {last.state.value}.")
    alerts = int(stats["alerts"])  # type: ignore[call-overload]
    if alerts > monitor.alerts_seen:
        monitor.alerts_seen = alerts
        if monitor.streaming:
            message = f"Poor posture for {alert_after} s. {last.advice}"
            if st.session_state.get("live_toast", True):
                st.toast(message, icon="⚠️", duration="long")
            if st.session_state.get("live_sound", True):
                with st.container(key="live_chime"):  # hidden by the style below; it still plays
                    st.audio(alert_chime(float(st.session_state.get("live_volume", 0.25))), autoplay=True)
    if monitor.streaming and last.measures:
        # The graded readings (robust means over the last 2 s), none without a person in view.
        rows = [live_value(n, v) for n, v in last.now.items()]
        st.markdown("**Now:** " + " · ".join(rows) if rows else "**Now:** no measure in view")
        for line in last.withheld_lines:  # the set-up's own words, as under a photo
            st.caption(line)
    st.markdown(f"Frames processed: **{stats['frames']}** · alerts: **{alerts}** · "
                f"longest poor streak: **{float(stats['longest_poor_streak_s']):.0f} s**")  # type: ignore[arg-type]
    seconds: dict[str, float] = stats["seconds_in_state"]  # type: ignore[assignment]
    st.caption("Time in each state: " + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()))


with side:
    st.html("<style>.st-key-live_chime{display:none}</style>")
    status()


@st.fragment(run_every=2.0)
def statistics() -> None:
    _, stats = monitor.snapshot()
    if stats is None:
        return
    measures: dict[str, dict[str, float]] = stats["measures"]  # type: ignore[assignment]
    if not measures:
        return
    st.markdown("**This stream's measures**")
    st.dataframe(
        [{"measure": label(k), "mean": round(v["mean"], 1), "min": round(v["min"], 1), "max": round(v["max"], 1),
          "unit": "%" if k.endswith("_pct") else "°", "frames": int(v["frames"])} for k, v in measures.items()],
        hide_index=True, width="stretch")


statistics()
