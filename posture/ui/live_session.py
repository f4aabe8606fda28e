"""The live monitor page's engine glue: one monitor per browser session, holding a pose
graph only while a stream runs, shared by streamlit-webrtc's threads and the page; and the
alert chime.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import streamlit as st

from posture.core.image.imaging import BGRImage
from posture.live.engine import LiveConfig, LiveEngine
from posture.live.session import SessionStats
from posture.live.state import FrameResult
from posture.report.draw import annotate_live

from .webrtc import map_bgr_frame


class LiveMonitor:
    """The live page's engine and latest result, shared by streamlit-webrtc's threads and
    the page.

    A pose graph (about 100 MB, freed only by closing it) exists only while a stream runs:
    it starts on the stream's first frame and is closed when the stream ends (`on_ended`,
    which streamlit-webrtc calls on STOP, on a page switch and when the peer goes away) or
    when the browser session ends (`close`, see `live_monitor`). The last result and the
    stream's statistics stay readable after that. A monitor closed for good starts no graph.
    """

    def __init__(self, config: LiveConfig, engine_factory: Callable[[LiveConfig], LiveEngine] = LiveEngine) -> None:
        self.config = config
        self.alerts_seen = 0  # alerts the page has already announced (toast, sound)
        self._engine_factory = engine_factory
        self._lock = threading.Lock()
        self._engine: LiveEngine | None = None
        self._stream_start = 0.0
        self._stats: SessionStats | None = None
        self._last: FrameResult | None = None
        self._closed = False

    @property
    def streaming(self) -> bool:
        """True while a pose graph is held (between a stream's first frame and its end)."""
        return self._engine is not None

    def configure(self, config: LiveConfig) -> bool:
        """New settings from the page, applied from the next frame on: the running stream and
        its statistics go on (a new stream is not started for a changed slider). Returns
        True when something changed."""
        with self._lock:
            if config == self.config:
                return False
            self.config = config
            if self._engine is not None:
                self._engine.config = config
            return True

    def process(self, image: BGRImage, now: float | None = None) -> FrameResult | None:
        """One frame of the current stream (None once the monitor is closed for good)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._closed:
                return None
            if self._engine is None:
                self._engine = self._engine_factory(self.config)
                self._stream_start, self._stats = now, self._engine.stats
                self.alerts_seen = 0  # a new stream counts its alerts from zero
            self._last = self._engine.process(image, now - self._stream_start)
            return self._last

    def on_frame(self, frame):  # type: ignore[no-untyped-def]
        """streamlit-webrtc's video callback: the frame annotated with the result."""
        return map_bgr_frame(frame, self._annotate)

    def _annotate(self, image: BGRImage) -> BGRImage | None:
        result = self.process(image)
        return None if result is None else annotate_live(image, result)

    def on_ended(self) -> None:
        """The stream ended: free its pose graph (the next START gets a fresh one)."""
        with self._lock:
            if self._engine is not None:
                self._engine.close()  # before `streaming` turns False: the page says "stopped" once it is freed
                self._engine = None

    def close(self) -> None:
        """The browser session ended: free everything, start nothing again. Idempotent."""
        with self._lock:
            self._closed = True
        self.on_ended()

    def snapshot(self) -> tuple[FrameResult | None, dict[str, object] | None]:
        """The latest result and the current (or last) stream's statistics."""
        with self._lock:
            return self._last, None if self._stats is None else self._stats.to_dict()


@st.cache_resource(scope="session", max_entries=1, on_release=LiveMonitor.close, show_spinner=False)
def live_monitor() -> LiveMonitor:
    """This browser session's monitor. Streamlit releases it (closing its graph) when the
    session disconnects. Settings changes go through `LiveMonitor.configure`, which keeps
    the stream and its statistics."""
    return LiveMonitor(LiveConfig())


def alert_chime(volume: float = 0.25) -> bytes:
    """A soft two-note chime (WAV, 0.6 s): noticeable without startling."""
    import io
    import wave

    import numpy as np

    rate = 22050
    t = np.arange(int(0.3 * rate)) / rate
    envelope = np.exp(-6 * t) * np.minimum(1.0, t / 0.01)  # no click at the start
    notes = [np.sin(2 * np.pi * f * t) * envelope for f in (660.0, 880.0)]
    samples = (np.concatenate(notes) * volume * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buffer.getvalue()
