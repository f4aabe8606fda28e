"""Peak memory (RSS) of reading and assessing one large photo, each in a fresh process.

    python benchmarks/memory.py [PHOTO]

Without PHOTO it makes a 64-megapixel JPEG (8000x8000, inside the size limits) from a real
photo in tests/data, and an 8000x8000 PNG of the same picture. For each it reports the peak
resident set size of a process that only imports the package (the floor), one that loads
the image, and one that runs the whole assessment. Not a test: numbers vary by machine.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIDE = 8000

_CHILD = """
import resource, sys
sys.path.insert(0, {root!r})
import posture
from posture.core.image.imaging import load_image
step, path = sys.argv[1], sys.argv[2]
if step == "load":
    img = load_image(path)
    print(img.width, img.height, end=" ")
elif step == "assess":
    a = posture.assess(path)
    print(a.image.width, a.image.height, end=" ")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def make_photos(folder: Path) -> list[Path]:
    from PIL import Image

    src = Image.open(ROOT / "tests/data/standing_front_04_tpose.jpg").convert("RGB")
    # Pad to a square so the upscaled person keeps their proportions.
    side = max(src.size)
    square = Image.new("RGB", (side, side), (128, 128, 128))
    square.paste(src, ((side - src.width) // 2, (side - src.height) // 2))
    big = square.resize((SIDE, SIDE), Image.Resampling.BICUBIC)
    jpeg, png = folder / "big.jpg", folder / "big.png"
    big.save(jpeg, quality=80)
    big.save(png, compress_level=1)
    return [jpeg, png]


def peak_mb(step: str, path: Path) -> str:
    out = subprocess.run([sys.executable, "-c", _CHILD.format(root=str(ROOT)), step, str(path)],
                         capture_output=True, text=True, check=True).stdout.split()
    return f"{int(out[-1]):6d} MB" + (f"  (decoded {out[0]}x{out[1]})" if len(out) == 3 else "")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        photos = [Path(p) for p in sys.argv[1:]] or make_photos(Path(tmp))
        for photo in photos:
            print(f"{photo.name}: {photo.stat().st_size / 1e6:.1f} MB file")
            for step in ("import", "load", "assess"):
                print(f"  peak RSS after {step:7s} {peak_mb(step, photo)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
