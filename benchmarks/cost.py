"""Cost of one assessment against one raw BlazePose call on the same photos, same run.

    python benchmarks/cost.py [--models N] [--rounds R] [PHOTO ...]

The assessment runs as the app and the batch runner run it: on the process's model pool
(`--models`, default one per core), so its copies are spread over the free models. The raw
call is one model's one call on the same photo. Per photo, raw calls and assessments are
interleaved (the machine's load hits both alike) and each figure is the median of REPEATS;
`--rounds` repeats the whole pass and reports the spread of the median ratio across rounds.
The same assessment on a single model ("one model": the code path before the pool) is
timed in the same loop, so the pool's gain is read within one run.
Model calls per assessment are counted (each is the person detector and the landmark
model). `--models 1` gives the sequential figure in the same way. Target (issue 11): 8x.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posture import assess  # noqa: E402
from posture.core.body.estimator import BlazePoseEstimator  # noqa: E402
from posture.core.body.landmarks import PoseLandmarks  # noqa: E402
from posture.core.body.pool import EstimatorPool  # noqa: E402
from posture.core.image.imaging import BGRImage, load_image  # noqa: E402

PHOTOS = ["mediapipe_pose_test.jpg", "standing_back_01.jpg", "standing_front_04_tpose.jpg",
          "seated_side_hunched_01.jpg", "standing_side_01.jpg", "multi_person_01.jpg"]
REPEATS = 5


class Counting(BlazePoseEstimator):
    """A model that counts its calls (one counter for all: the pool's models add up)."""

    calls = 0

    def detect(self, bgr: BGRImage) -> PoseLandmarks | None:
        Counting.calls += 1
        return super().detect(bgr)


def one_round(photos: list[Path], pool: EstimatorPool, alone: BlazePoseEstimator) -> tuple[list[float], list[float]]:
    """Per photo: the pooled assessment's and the one-model assessment's ratio to a raw call."""
    pooled_ratios, alone_ratios = [], []
    for photo in photos:
        img = load_image(photo)
        alone.detect(img.bgr)  # warm-up
        assess(img, estimator=pool)
        Counting.calls = 0
        assess(img, estimator=pool)
        calls = Counting.calls
        raw, pooled, single = [], [], []
        for _ in range(REPEATS):  # interleaved: the machine's load hits all three alike
            t = time.perf_counter()
            alone.detect(img.bgr)
            raw.append(time.perf_counter() - t)
            t = time.perf_counter()
            assess(img, estimator=pool)
            pooled.append(time.perf_counter() - t)
            t = time.perf_counter()
            assess(img, estimator=alone)
            single.append(time.perf_counter() - t)
        r, p, a = statistics.median(raw), statistics.median(pooled), statistics.median(single)
        pooled_ratios.append(p / r)
        alone_ratios.append(a / r)
        print(f"{photo.name:32s} {img.width}x{img.height}  raw {1000 * r:6.1f} ms  one model {1000 * a:7.1f} ms "
              f"({a / r:4.1f}x)  pool {1000 * p:7.1f} ms ({p / r:4.1f}x)  model calls {calls}", flush=True)
    return pooled_ratios, alone_ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", nargs="*", type=Path)
    parser.add_argument("--models", type=int, default=None, help="models in the pool (default: one per core)")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    photos = args.photos or [ROOT / "tests/data" / p for p in PHOTOS]
    pooled_medians, alone_medians = [], []
    with EstimatorPool(args.models, factory=Counting) as pool, BlazePoseEstimator() as alone:
        print(f"pool of {pool.size} models; 'one model' is the same assessment on a single model")
        for k in range(args.rounds):
            pooled, single = one_round(photos, pool, alone)
            pooled_medians.append(statistics.median(pooled))
            alone_medians.append(statistics.median(single))
            print(f"round {k + 1}: median ratio, one model {alone_medians[-1]:.1f}x (max {max(single):.1f}x), "
                  f"pool {pooled_medians[-1]:.1f}x (max {max(pooled):.1f}x)", flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def spread(medians: list[float]) -> str:
        return f" (rounds {min(medians):.1f}-{max(medians):.1f}x)" if len(medians) > 1 else ""

    print(f"median ratio: one model {statistics.median(alone_medians):.1f}x{spread(alone_medians)}, "
          f"pool {statistics.median(pooled_medians):.1f}x{spread(pooled_medians)}; peak RSS {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
