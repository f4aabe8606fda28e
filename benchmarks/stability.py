"""Metamorphic stability of frontal tilts: how close do we come to what geometry predicts?

Each photo is assessed, then transformed (rotations, mirror, rescaling, JPEG) and assessed
again; the reading is compared with the base reading mapped through the transform.

    python benchmarks/stability.py [--raw] [PHOTO ...]

--raw also reports single-shot BlazePose (no augmentation) for comparison.
Targets (issue 2): >= 90 % within 0.5 deg, none beyond 1.5 deg, >= 95 % given.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posture import PostureError, assess  # noqa: E402
from posture.core import metamorphic as mm  # noqa: E402
from posture.core.body.augment import Augmentation  # noqa: E402
from posture.core.image.imaging import load_image  # noqa: E402

DEFAULT_PHOTOS = [
    ROOT / "tests/data" / name
    for name in (
        "mediapipe_pose_test.jpg",
        "standing_front_04_tpose.jpg",
        "standing_back_01.jpg",
        "standing_back_02.jpg",
        "standing_back_03.jpg",
        "standing_back_04_tpose.jpg",
        "multi_person_01.jpg",
        # Held out while tuning the augmentation (blur, frame): added afterwards.
        "standing_front_05_video.jpg",
        "squat_front_05_video.jpg",
        "standing_back_05_video.jpg",
        "multi_person_02.jpg",
        "multi_person_03.jpg",
        "upper_body_front_01_astronaut.png",
    )
]


def _setup_status(photo: Path) -> str:
    """The photo's set-up status as assessed normally ("ok", "caution", "retake")."""
    try:
        a = assess(photo)
    except PostureError as exc:
        return f"error: {exc}"
    return a.setup.status.value if a.setup is not None else "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", nargs="*", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--raw", action="store_true", help="also measure single-shot BlazePose")
    args = parser.parse_args()
    modes = [("augmented (default)", None)]
    if args.raw:
        modes.append(("raw single call", (Augmentation(),)))
    for label, augs in modes:
        start = time.perf_counter()
        readings: list[mm.Reading] = []
        valid: list[mm.Reading] = []
        for photo in args.photos:
            bgr = load_image(photo).bgr
            rs = mm.check_image(bgr, photo.name, augmentations=augs)
            s = mm.summarise(rs)
            status = _setup_status(photo)
            print(f"  {photo.name:32s} given {s.given}/{s.readings}  within 0.5: {s.within_half_degree}"
                  f"  p90 {s.p90_error:.2f}  max {s.max_error:.2f}  set-up {status}")
            readings += rs
            if status != "retake":
                valid += rs
        for which, rs in ((label, readings), (f"{label}, set-up valid (no retake)", valid)):
            s = mm.summarise(rs)
            print(
                f"{which}: {s.readings} readings, given {100 * s.given_fraction:.1f} %, "
                f"within 0.5 deg {100 * s.within_fraction:.1f} %, p90 {s.p90_error:.2f} deg, "
                f"max {s.max_error:.2f} deg  ({time.perf_counter() - start:.0f} s)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
