"""Batch throughput: 1 and 2 local workers and a local Ray instance, on >= 200 photos.

    python benchmarks/batch.py [--copies 12] [--skip-ray] [--configs 1,2,ray]

The photos are the real photos of tests/data with a person in them, and transformed copies
of each (rotations of +-3 and +-6 deg, two crops, rescaling to 0.6 and 0.8, a mirror image, a
JPEG re-encode at quality 70, rotation plus rescaling), written to a temporary folder.
Each configuration runs the same photos through the same code as `posture batch`
(backend -> rows -> part files). Reported per configuration:

- end-to-end rate: photos / (start of the backend .. last row), start-up included
  (spawning workers and loading models; starting Ray);
- steady rate: (rows - 1) / (first row .. last row), what a long batch sees;
- peak memory per worker: the high-water mark (VmHWM) of each worker process, sampled
  every 0.5 s (for Ray, also the resident memory of Ray's own processes: GCS, raylet, agents);
- the load average around the run (other jobs share the CPU; a loaded machine flattens scaling).

Targets (issue 11, 2-core machine): 2 workers >= 1.8x one worker; Ray within 15 % of the pool.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posture.batch.inputs import BatchItem  # noqa: E402
from posture.batch.runner import Backend, LocalPool  # noqa: E402
from posture.batch.writer import PartWriter, prepare_output  # noqa: E402
from posture.core.quiet import library_output_silenced  # noqa: E402

DATA = ROOT / "tests" / "data"
#: Photos of tests/data with a person (no_person_* left out: they cost little and say nothing about scaling).
BASES = sorted(p for p in DATA.iterdir() if p.suffix.lower() in (".jpg", ".png") and not p.name.startswith("no_person"))


def _rotate(img: np.ndarray, deg: float, scale: float = 1.0) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, scale)
    return np.asarray(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE))


def _crop(img: np.ndarray, keep: float, anchor: str) -> np.ndarray:
    h, w = img.shape[:2]
    ch, cw = round(h * keep), round(w * keep)
    y0, x0 = ((h - ch) // 2, (w - cw) // 2) if anchor == "centre" else (0, w - cw)
    return img[y0:y0 + ch, x0:x0 + cw]


def _resize(img: np.ndarray, f: float) -> np.ndarray:
    h, w = img.shape[:2]
    return np.asarray(cv2.resize(img, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA))


TRANSFORMS = {
    "orig": lambda im: im,
    "rot-6": lambda im: _rotate(im, -6), "rot-3": lambda im: _rotate(im, -3),
    "rot+3": lambda im: _rotate(im, 3), "rot+6": lambda im: _rotate(im, 6),
    "crop90": lambda im: _crop(im, 0.9, "centre"), "crop85r": lambda im: _crop(im, 0.85, "right"),
    "scale60": lambda im: _resize(im, 0.6), "scale80": lambda im: _resize(im, 0.8),
    "mirror": lambda im: np.ascontiguousarray(im[:, ::-1]),
    "q70": lambda im: im,  # re-encoded at quality 70 below
    "rot+4s90": lambda im: _rotate(im, 4, 0.9),
}


def make_photos(folder: Path, bases: list[Path], copies: int) -> list[BatchItem]:
    items = []
    for base in bases:
        img = cv2.imread(str(base))
        for name in list(TRANSFORMS)[:copies]:
            out = folder / f"{base.stem}__{name}.jpg"
            cv2.imwrite(str(out), TRANSFORMS[name](img), [cv2.IMWRITE_JPEG_QUALITY, 70 if name == "q70" else 92])
            items.append(BatchItem(str(out)))
    return items


# --- memory of the worker processes ----------------------------------------------------------


def _status(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return dict(line.rstrip("\n").split(":\t", 1) for line in fh if ":\t" in line)
    except OSError:
        return {}


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            ppid = _status(int(entry)).get("PPid", "").strip()
            if ppid.isdigit():
                children.setdefault(int(ppid), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _kb(value: str) -> float:
    return float(value.split()[0]) / 1024 if value else 0.0


@dataclass
class MemorySampler:
    """Peak RSS per worker process (VmHWM) and the largest total of the other descendants."""

    worker_peaks: dict[int, float] = field(default_factory=dict)
    other_peak: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _sample(self) -> None:
        while not self._stop.is_set():
            other = 0.0
            for pid in _descendants(os.getpid()):
                cmd, st = _cmdline(pid), _status(pid)
                if "spawn_main" in cmd or cmd.startswith("ray::Assessor"):
                    self.worker_peaks[pid] = max(self.worker_peaks.get(pid, 0.0), _kb(st.get("VmHWM", "")))
                else:
                    other += _kb(st.get("VmRSS", ""))
            self.other_peak = max(self.other_peak, other)
            self._stop.wait(0.5)

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- one configuration -----------------------------------------------------------------------


@dataclass
class Result:
    name: str
    photos: int
    failed: int
    end_to_end_s: float
    steady_s: float
    load_before: float
    load_after: float
    worker_peaks_mb: list[float]
    other_mb: float

    @property
    def rate(self) -> float:
        return self.photos / self.end_to_end_s

    @property
    def steady_rate(self) -> float:
        return (self.photos - 1) / self.steady_s if self.steady_s > 0 else float("nan")


def run(name: str, backend: Backend, items: list[BatchItem], out: Path) -> Result:
    prepare_output(out, resume=False)
    writer = PartWriter(out, chunk_rows=32)
    load_before = os.getloadavg()[0]
    stamps: list[float] = []
    failed = 0
    with MemorySampler() as mem:
        start = time.perf_counter()
        for _, row in backend.run(list(enumerate(items))):
            writer.add(row)
            failed += 0 if row["ok"] else 1
            stamps.append(time.perf_counter())
            if len(stamps) % 20 == 0:
                print(f"  {name}: {len(stamps)}/{len(items)} in {stamps[-1] - start:.0f} s", file=sys.stderr, flush=True)
        writer.flush()
    return Result(name, len(stamps), failed, stamps[-1] - start, stamps[-1] - stamps[0], load_before, os.getloadavg()[0],
                  sorted(mem.worker_peaks.values()), mem.other_peak)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=10, help=f"versions of each photo (default 10: 200 photos; max {len(TRANSFORMS)})")
    ap.add_argument("--bases", type=int, default=len(BASES), help="real photos to start from (fewer for a smoke run)")
    ap.add_argument("--configs", default="1,2,ray", help="comma list of: a number of local workers, or ray")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="posture-batch-bench-"))
    try:
        (tmp / "photos").mkdir()
        items = make_photos(tmp / "photos", BASES[: args.bases], args.copies)
        print(f"{len(items)} photos ({args.bases} real photos x {args.copies} versions), {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f} at start", flush=True)
        results: list[Result] = []
        for i, cfg in enumerate(args.configs.split(",")):
            backend: Backend
            if cfg == "ray":
                from posture.batch.ray_backend import RayPool, ray_available

                if not ray_available():
                    print("ray is not installed: Ray skipped")
                    continue
                backend, name = RayPool(None, 2), "Ray (local, 2 CPUs)"
            else:
                backend, name = LocalPool(int(cfg)), f"{cfg} local worker{'s' if cfg != '1' else ''}"
            r = run(name, backend, items, tmp / f"out{i}.parquet")
            results.append(r)
            print(f"{r.name:22s} {r.photos} photos ({r.failed} failed): end-to-end {r.end_to_end_s:6.1f} s = {r.rate:.3f} photos/s; "
                  f"steady {r.steady_rate:.3f} photos/s; peak RSS per worker "
                  + ", ".join(f"{m:.0f}" for m in r.worker_peaks_mb) + " MB"
                  + (f"; Ray's own processes {r.other_mb:.0f} MB" if cfg == "ray" else "")
                  + f"; load average {r.load_before:.1f} -> {r.load_after:.1f}", flush=True)
        one = next((r for r in results if r.name == "1 local worker"), None)
        two = next((r for r in results if r.name == "2 local workers"), None)
        ray = next((r for r in results if r.name.startswith("Ray")), None)
        if one and two:
            for label, a, b in (("end-to-end", one.rate, two.rate), ("steady", one.steady_rate, two.steady_rate)):
                print(f"scaling, 2 workers vs 1 ({label}): {b / a:.2f}x, efficiency {b / a / 2:.0%} (target >= 1.8x)")
        if two and ray:
            for label, a, b in (("end-to-end", two.rate, ray.rate), ("steady", two.steady_rate, ray.steady_rate)):
                print(f"Ray vs 2 local workers ({label}): {b / a:.2f}x ({(b / a - 1):+.0%}; target within 15 %)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    with library_output_silenced():  # MediaPipe's C++ logs (workers inherit the silenced descriptor)
        main()
