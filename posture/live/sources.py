"""Where live frames come from: a webcam or a video file, opened with OpenCV and read as
timestamped frames. Failures to open or read are `SourceError`s with a plain message.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posture.core.errors import SourceError
from posture.core.image.imaging import BGRImage


@dataclass(frozen=True)
class Frame:
    image: BGRImage
    timestamp_s: float
    index: int


def open_video(path: str | Path) -> Iterator[Frame]:
    """Frames of a video file with their timestamps (from the file, not the wall clock)."""
    import cv2

    p = Path(path)
    if not p.exists():
        raise SourceError(f"{p}: no such video file")
    cap = cv2.VideoCapture(str(p))
    if not cap.isOpened():
        raise SourceError(f"{p}: not a readable video")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    ok, first = cap.read()
    if not ok:
        cap.release()
        raise SourceError(f"{p}: no frames could be decoded")

    def frames() -> Iterator[Frame]:
        try:
            index, image = 0, first
            while True:
                yield Frame(np.asarray(image, dtype=np.uint8), index / fps, index)
                ok, image = cap.read()
                if not ok:
                    return  # end of file
                index += 1
        finally:
            cap.release()

    return frames()


def video_frame_count(path: str | Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        return int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        cap.release()


def open_camera(index: int) -> Iterator[Frame]:
    """Frames from webcam `index`, timestamped with a monotonic clock. Stops if unplugged."""
    import cv2

    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        cap.release()
        devices = sorted(str(p) for p in Path("/dev").glob("video*"))
        tried = f"camera index {index} ({'/dev/video' + str(index)})"
        found = ", ".join(devices) if devices else "no /dev/video* devices on this machine"
        raise SourceError(f"no camera could be opened: tried {tried}; found: {found}. Use --source FILE for a recording")
    start = time.monotonic()

    def frames() -> Iterator[Frame]:
        try:
            index_ = 0
            while True:
                ok, image = cap.read()
                if not ok:
                    raise SourceError(f"camera {index} stopped delivering frames (unplugged?)")
                yield Frame(np.asarray(image, dtype=np.uint8), time.monotonic() - start, index_)
                index_ += 1
        finally:
            cap.release()

    return frames()
