"""Where BlazePose places the frontal landmarks, measured on the four-camera reference.

    python benchmarks/placement.py

Each camera's photo is levelled with its calibrated roll and pitch and read with its true
yaw, so the set-up is known exactly: what error is left against the triangulated truth is
where the model put the points in that view. Per measure and camera: the error against the
truth without this camera (biased high: that truth has its own error) and with it (biased
low: this camera pulls it), their RMS, the placement SD (torso lengths per coordinate) that
explains it, and the package's placement term (`uncertainty.landmark_term`) beside it.
Then, per landmark pair, the least-squares fit of `square + turned * sin^2(off)` to the
implied SDs, next to what `uncertainty.FRONTAL_PLACEMENT` declares (the fit, rounded up).
"""

from __future__ import annotations

import math
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posture.core.body.landmarks import Landmark  # noqa: E402
from posture.core.measuring.uncertainty import FRONTAL_PLACEMENT  # noqa: E402
from tests import multicam as mc  # noqa: E402

PAIRS = {"head_tilt_deg": Landmark.LEFT_EAR, "shoulder_tilt_deg": Landmark.LEFT_SHOULDER,
         "hip_tilt_deg": Landmark.LEFT_HIP}


def main() -> None:
    rows = [r for frame in mc.FRAMES for r in mc.placement_residuals(frame)]
    print(f"{'measure':18s} {'camera':7s} {'off°':>5s} {'err loo':>8s} {'err all':>8s} {'error':>6s} "
          f"{'°/torso':>8s} {'implied':>8s} {'term°':>6s} covered(2 SD)")
    for measure in mc.FRONTAL_MEASURES:
        for camera in sorted({r.camera for r in rows}):
            mine = [r for r in rows if r.measure == measure and r.camera == camera]
            if not mine:
                continue
            error = math.sqrt(statistics.fmean(r.error**2 for r in mine))
            term = statistics.fmean(r.declared_sd for r in mine)
            print(f"{measure:18s} {camera:7s} {mine[0].off_square_deg:5.1f} "
                  f"{math.sqrt(statistics.fmean(r.error_loo**2 for r in mine)):8.2f} "
                  f"{math.sqrt(statistics.fmean(r.error_all**2 for r in mine)):8.2f} {error:6.2f} "
                  f"{statistics.fmean(r.sensitivity_per_torso for r in mine):8.0f} "
                  f"{100 * statistics.fmean(r.implied_sd_torso for r in mine):7.2f}% {term:6.2f} "
                  f"{'yes' if error <= 2 * term else 'NO'}")
    print("\nfit of square + turned * sin^2(off) to the implied SDs (torso %), and what is declared:")
    for measure, landmark in PAIRS.items():
        square, turned = mc.fit_placement(rows, measure)
        declared = FRONTAL_PLACEMENT[landmark]
        print(f"  {landmark.key.removeprefix('left_'):9s} fitted {100 * square:5.2f} + {100 * turned:5.2f} sin^2   "
              f"declared {100 * declared.square:5.2f} + {100 * declared.turned:5.2f} sin^2")


if __name__ == "__main__":
    main()
