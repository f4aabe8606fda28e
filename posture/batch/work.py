"""The unit of work: one photo in, one row out. The same code runs in a local pool worker
and in a Ray actor; each holds one `Assessor`, so the model is loaded once per worker.

A worker is one process on one core: its `EstimatorPool` has one model, so an assessment
runs its copies on that model alone (a bigger pool would start threads that only fight the
other workers for the same cores)."""

from __future__ import annotations

import time
from typing import Any

from posture.core.body.pool import EstimatorPool
from posture.core.measuring.findings import Threshold, load_thresholds

from .inputs import BatchItem
from .rows import file_sha256, row_from_assessment, row_from_error


class Assessor:
    """One worker's model and thresholds; `__call__` never raises for a bad photo (it is a row)."""

    def __init__(self, thresholds_path: str | None = None) -> None:
        import cv2

        # One core per worker: OpenCV's own threads would fight the other workers for it.
        cv2.setNumThreads(1)
        self._thresholds: dict[str, Threshold] = load_thresholds(thresholds_path)
        # One model, started on the first photo (or by `ready`) and kept for the worker's life.
        self._models = EstimatorPool(1)

    def __call__(self, item: BatchItem) -> dict[str, Any]:
        from posture.core.assessment import assess
        from posture.core.image.imaging import load_image, read_camera_exif

        start = time.perf_counter()
        sha = file_sha256(item.path)
        try:
            # Exactly what `posture assess` does for a path, so the numbers are the same.
            loaded = load_image(item.path)
            result = assess(loaded, view=item.view or "auto", height_cm=item.height_cm, estimator=self._models,
                            thresholds=self._thresholds, camera_exif=read_camera_exif(item.path))
        except Exception as exc:  # noqa: BLE001 - any failure of one photo is that photo's row, never the batch's end
            return row_from_error(item, sha, exc, time.perf_counter() - start)
        return row_from_assessment(item, sha, result.to_dict(), time.perf_counter() - start)

    def ready(self) -> bool:
        """Load the model now (Ray calls this so that start-up is not counted against a photo)."""
        with self._models.checkout():
            return True

    def close(self) -> None:
        self._models.close()
