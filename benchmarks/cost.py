"""Cost of one assessment against one raw BlazePose call on the same photos, same run.

    python benchmarks/cost.py [--models N] [--rounds R] [PHOTO ...]

The assessment runs as the app and the batch runner run it: on the process's model pool
(`--models`, default one per core), so its copies are spread over the free models. The raw
call is one model's one call on the same photo. Per photo, raw calls and assessments are
interleaved (the machine's load hits both alike) and each figure is the median of REPEATS;
`--rounds` repeats the whole pass and reports the spread of the median ratio across rounds.
Model calls per assessment are counted by kind (full = detector + landmarks, landmarks
alone = inside a known region). Target (issue 11): at most 8x.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posture import assess  # noqa: E402
from posture.core.estimator import BlazePoseEstimator, Roi  # noqa: E402
from posture.core.imaging import BGRImage, load_image  # noqa: E402
from posture.core.landmarks import PoseLandmarks  # noqa: E402
from posture.core.pool import EstimatorPool  # noqa: E402

PHOTOS = ["mediapipe_pose_test.jpg", "standing_back_01.jpg", "standing_front_04_tpose.jpg",
          "seated_side_hunched_01.jpg", "standing_side_01.jpg", "multi_person_01.jpg"]
REPEATS = 5


class Counting(BlazePoseEstimator):
    """A model that counts its calls by kind (shared counter: the pool's models add up)."""

    calls: Counter[str] = Counter()

    def detect_with_roi(self, bgr: BGRImage) -> tuple[PoseLandmarks | None, Roi | None]:
        Counting.calls["full"] += 1
        return super().detect_with_roi(bgr)

    def detect(self, bgr: BGRImage) -> PoseLandmarks | None:
        Counting.calls["full"] += 1
        return super().detect(bgr)

    def detect_in(self, bgr: BGRImage, roi: Roi) -> tuple[PoseLandmarks | None, Roi | None]:
        Counting.calls["landmarks alone"] += 1
        return super().detect_in(bgr, roi)


def one_round(photos: list[Path], pool: EstimatorPool) -> list[float]:
    ratios = []
    for photo in photos:
        img = load_image(photo)
        with pool.checkout() as est:
            est.detect(img.bgr)  # warm-up
        assess(img, estimator=pool)
        Counting.calls.clear()
        assess(img, estimator=pool)
        calls = dict(Counting.calls)
        raw, full = [], []
        for _ in range(REPEATS):
            with pool.checkout() as est:
                t = time.perf_counter()
                est.detect(img.bgr)
                raw.append(time.perf_counter() - t)
            t = time.perf_counter()
            assess(img, estimator=pool)
            full.append(time.perf_counter() - t)
        r, f = statistics.median(raw), statistics.median(full)
        ratios.append(f / r)
        print(f"{photo.name:32s} {img.width}x{img.height}  raw {1000 * r:6.1f} ms  assess {1000 * f:7.1f} ms  "
              f"ratio {f / r:5.1f}x  calls {calls}", flush=True)
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", nargs="*", type=Path)
    parser.add_argument("--models", type=int, default=None, help="models in the pool (default: one per core)")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    photos = args.photos or [ROOT / "tests/data" / p for p in PHOTOS]
    medians = []
    with EstimatorPool(args.models, factory=Counting) as pool:
        print(f"pool of {pool.size} models")
        for k in range(args.rounds):
            ratios = one_round(photos, pool)
            medians.append(statistics.median(ratios))
            print(f"round {k + 1}: median ratio {medians[-1]:.1f}x (max {max(ratios):.1f}x)", flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    spread = f"; rounds {min(medians):.1f}-{max(medians):.1f}x" if len(medians) > 1 else ""
    print(f"median ratio {statistics.median(medians):.1f}x{spread}; peak RSS {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
