"""Streamlit building blocks shared by the app's pages (the UI room: no computation here)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np
import streamlit as st

from .assessment import Assessment, assess
from .errors import PostureError
from .imaging import encode_jpeg, load_image
from .store import Client, Store
from .workflows import annotated_jpeg


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    """The local database (POSTURE_DATA_DIR or ~/.posture), opened once per server."""
    return Store()


@dataclass(frozen=True)
class Assessed:
    """One view's result, ready to show and to save."""

    assessment: Assessment
    photo_jpeg: bytes  # the upright photo, as stored
    annotated_jpeg: bytes
    filename: str


@st.cache_data(show_spinner=False, max_entries=64)
def assess_bytes(frames: tuple[bytes, ...], name: str, view: str, height_cm: float | None) -> Assessed:
    """Assess one photo (or a burst of webcam frames); errors propagate as PostureError."""
    first = load_image(frames[0], name=name)
    rest = [load_image(f, name=name) for f in frames[1:]]
    result = assess(first, view=view, height_cm=height_cm, burst=rest)
    return Assessed(result, encode_jpeg(first.bgr, 92), annotated_jpeg(first, result), name)


def show_assessed(item: Assessed) -> None:
    a = item.assessment
    left, right = st.columns([3, 2])
    v = a.view
    left.image(item.annotated_jpeg, caption=f"{item.filename}: {v.name.value} view, {v.posture.value} "
               f"({v.source}, confidence {v.confidence:.2f})")
    rows = [
        {"measure": n, "value": None if m.value is None else round(m.value, 1),
         "±": None if m.uncertainty is None else round(m.uncertainty, 1), "unit": m.unit,
         "note": m.reason or f"confidence {m.confidence:.2f}"}
        for n, m in a.measures.items() if m.relevant
    ]
    right.dataframe(rows, hide_index=True, width="stretch")
    for f in a.findings:
        right.markdown(f"**{f.severity.label.upper()}** — {f.title}")
    if not a.findings:
        right.info("No imbalance cleared its screening threshold by more than its uncertainty.")
    for w in a.warnings:
        right.caption(f"⚠ {w}")


def client_picker(store: Store, key: str = "client_id") -> Client | None:
    """Sidebar: pick a client or create one. Returns the current client."""
    clients = store.list_clients()
    ids = [c.id for c in clients]
    labels = {c.id: c.name + (f" ({c.birth_date})" if c.birth_date else "") for c in clients}
    state = st.session_state
    select_key = f"{key}_select"
    # `key` (a plain value) survives page switches; the widget's own state does not.
    if f"{key}_pending" in state:
        state[select_key] = state.pop(f"{key}_pending")
    elif select_key not in state:
        state[select_key] = state.get(key)
    if state[select_key] not in ids:
        state[select_key] = None  # e.g. the client was deleted
    with st.sidebar:
        st.header("Client")
        choice = st.selectbox("Client", [None, *ids], format_func=lambda i: "— pick a client —" if i is None else labels[i],
                              key=select_key)
        state[key] = choice
        with st.expander("New client", expanded=not clients):
            with st.form(f"{key}_new", clear_on_submit=True):
                name = st.text_input("Name or pseudonym")
                dob = st.text_input("Date of birth (optional, YYYY-MM-DD)")
                height = st.number_input("Height in cm (optional)", 0.0, 250.0, 0.0, 1.0)
                if st.form_submit_button("Create client"):
                    try:
                        c = store.create_client(name, dob or None, height if height >= 50 else None)
                    except PostureError as exc:
                        st.error(str(exc))
                    else:
                        state[key] = state[f"{key}_pending"] = c.id
                        st.rerun()
    return next((c for c in clients if c.id == st.session_state.get(key)), None)


#: WebRTC on this machine only: no public STUN/TURN servers (they would leak traffic).
NO_ICE: dict[str, list[object]] = {"iceServers": []}
BURST_FRAMES = 5


class FrameGrabber:
    """Keeps the last few frames of a WebRTC stream (called from streamlit-webrtc's thread)."""

    def __init__(self, size: int = BURST_FRAMES) -> None:
        self._lock = threading.Lock()
        self._frames: deque[np.ndarray] = deque(maxlen=size)

    def on_frame(self, frame):  # type: ignore[no-untyped-def]
        image = frame.to_ndarray(format="bgr24")
        with self._lock:
            self._frames.append(image)
        return frame

    def burst(self) -> list[np.ndarray]:
        with self._lock:
            return list(self._frames)


def webcam_burst(key: str) -> tuple[bytes, ...] | None:
    """A live camera view and a button that takes the last 5 frames (about 0.2 s) as a burst."""
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    grabber: FrameGrabber = st.session_state.setdefault(f"grabber_{key}", FrameGrabber())
    webrtc_streamer(
        key=f"burst_{key}", mode=WebRtcMode.SENDRECV, rtc_configuration=NO_ICE, server_rtc_configuration=NO_ICE,
        media_stream_constraints={"video": True, "audio": False}, video_frame_callback=grabber.on_frame,
    )
    if st.button(f"Capture burst ({BURST_FRAMES} frames)", key=f"capture_{key}"):
        frames = grabber.burst()
        if len(frames) < BURST_FRAMES:
            st.warning("No video yet: press START, allow the camera, then capture.")
        else:
            st.session_state[f"burst_{key}_frames"] = tuple(encode_jpeg(f, 95) for f in frames)
    captured = st.session_state.get(f"burst_{key}_frames")
    if captured:
        st.caption(f"Burst of {len(captured)} frames captured; they are combined to cut landmark noise.")
    return captured
