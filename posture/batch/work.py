"""The unit of work: one photo in, one row out. The same code runs in a local pool worker
and in a Ray actor; each holds one `Assessor`, so the model is loaded once per worker."""

from __future__ import annotations

import time
from typing import Any

from posture.core.estimator import BlazePoseEstimator, PoseEstimator
from posture.core.findings import Threshold, load_thresholds

from .inputs import BatchItem
from .rows import file_sha256, row_from_assessment, row_from_error


class Assessor:
    """One worker's model and thresholds; `__call__` never raises for a bad photo (it is a row)."""

    def __init__(self, thresholds_path: str | None = None) -> None:
        import cv2

        # One core per worker: OpenCV's own threads would fight the other workers for it.
        cv2.setNumThreads(1)
        self._thresholds: dict[str, Threshold] = load_thresholds(thresholds_path)
        self._estimator: PoseEstimator | None = None

    def _model(self) -> PoseEstimator:
        if self._estimator is None:  # loaded on the first photo, then kept for the worker's life
            self._estimator = BlazePoseEstimator(static=True)
        return self._estimator

    def __call__(self, item: BatchItem) -> dict[str, Any]:
        from posture.core.assessment import assess
        from posture.core.imaging import load_image, read_camera_exif

        start = time.perf_counter()
        sha = file_sha256(item.path)
        try:
            # Exactly what `posture assess` does for a path, so the numbers are the same.
            loaded = load_image(item.path)
            result = assess(loaded, view=item.view or "auto", height_cm=item.height_cm, estimator=self._model(),
                            thresholds=self._thresholds, camera_exif=read_camera_exif(item.path))
        except Exception as exc:  # noqa: BLE001 - any failure of one photo is that photo's row, never the batch's end
            return row_from_error(item, sha, exc, time.perf_counter() - start)
        return row_from_assessment(item, sha, result.to_dict(), time.perf_counter() - start)

    def ready(self) -> bool:
        """Load the model now (Ray calls this so that start-up is not counted against a photo)."""
        self._model()
        return True

    def close(self) -> None:
        est, self._estimator = self._estimator, None
        close = getattr(est, "close", None)
        if close is not None:
            close()
