"""Cost of one assessment against one raw BlazePose call on the same photos, same run.

    python benchmarks/cost.py [PHOTO ...]

Prints per-photo medians and the ratio (target: at most 20x). Peak memory of the process
is reported too. Absolute times are noisy on shared machines; read the ratio.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posture import assess  # noqa: E402
from posture.core.estimator import default_estimator  # noqa: E402
from posture.core.imaging import load_image  # noqa: E402

PHOTOS = ["mediapipe_pose_test.jpg", "standing_back_01.jpg", "standing_front_04_tpose.jpg",
          "seated_side_hunched_01.jpg", "standing_side_01.jpg", "multi_person_01.jpg"]
REPEATS = 5


def main() -> int:
    photos = [Path(p) for p in sys.argv[1:]] or [ROOT / "tests/data" / p for p in PHOTOS]
    est = default_estimator()
    ratios = []
    for photo in photos:
        img = load_image(photo)
        est.detect(img.bgr)  # warm-up
        assess(img, estimator=est)
        raw, full = [], []
        for _ in range(REPEATS):
            t = time.perf_counter()
            est.detect(img.bgr)
            raw.append(time.perf_counter() - t)
            t = time.perf_counter()
            assess(img, estimator=est)
            full.append(time.perf_counter() - t)
        r, f = statistics.median(raw), statistics.median(full)
        ratios.append(f / r)
        print(f"{photo.name:32s} {img.width}x{img.height}  raw {1000 * r:6.1f} ms  assess {1000 * f:7.1f} ms  ratio {f / r:5.1f}x")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"median ratio {statistics.median(ratios):.1f}x (max {max(ratios):.1f}x); peak RSS {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
