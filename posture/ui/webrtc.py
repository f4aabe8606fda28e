"""streamlit-webrtc glue shared by the guided camera and the live monitor: the local-only
connection settings, and a video callback's frame as a BGR image and back.
"""

from __future__ import annotations

from collections.abc import Callable

from posture.core.image.imaging import BGRImage

#: WebRTC on this machine only: no public STUN/TURN servers (they would leak traffic).
NO_ICE: dict[str, list[object]] = {"iceServers": []}


def map_bgr_frame(frame, transform: Callable[[BGRImage], BGRImage | None]):  # type: ignore[no-untyped-def]
    """A streamlit-webrtc video frame passed through `transform` as a BGR image; the frame
    as it came when `transform` returns None. (`av` types are untyped, hence no annotation.)"""
    import av

    shown = transform(frame.to_ndarray(format="bgr24"))
    return frame if shown is None else av.VideoFrame.from_ndarray(shown, format="bgr24")
