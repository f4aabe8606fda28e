"""Batch throughput: 1 and 2 local workers and a local Ray instance, on >= 200 photos.

    python benchmarks/batch.py [--copies 10] [--rounds 5] [--configs 1,2,ray]

The photos are the real photos of tests/data with a person in them, and transformed copies
of each (rotations of +-3 and +-6 deg, two crops, rescaling to 0.6 and 0.8, a mirror image, a
JPEG re-encode at quality 70, rotation plus rescaling), written to a temporary folder.
Each configuration runs the same photos through the same code as `posture batch`
(backend -> rows -> part files). Other jobs share the CPU, so the photos are split into
rounds and every round runs every configuration, in a rotated order: a change in the
machine's load hits all configurations alike, and ratios are taken per round (median).
The local Ray instance is started once (its start-up is printed apart). Reported:

- steady rate: rows after the k-th / (k-th row .. last row) per round with k workers (what a
  long batch sees; the first k rows of k parallel workers arrive together), and
  the rate with each round's start-up (spawning workers, loading models, creating actors);
- worker CPU seconds per photo (user + system of the worker processes; load-independent);
- peak memory per worker: the high-water mark (VmHWM) of each worker process, sampled
  every 0.5 s (for Ray, also the resident memory of Ray's own processes: GCS, raylet, agents);
- the load average around the run (other jobs share the CPU; a loaded machine flattens scaling).

Targets (issue 11, 2-core machine): 2 workers >= 1.8x one worker; Ray within 15 % of the pool.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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


def _cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _kb(value: str) -> float:
    return float(value.split()[0]) / 1024 if value else 0.0


@dataclass
class MemorySampler:
    """Peak RSS per worker process (VmHWM) and the largest total of the other descendants."""

    worker_peaks: dict[int, float] = field(default_factory=dict)
    worker_cpu: dict[int, float] = field(default_factory=dict)  # user + system seconds, last sample
    other_peak: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _sample(self) -> None:
        while not self._stop.is_set():
            other = 0.0
            for pid in _descendants(os.getpid()):
                cmd, st = _cmdline(pid), _status(pid)
                if "spawn_main" in cmd or cmd.startswith("ray::Assessor"):
                    self.worker_peaks[pid] = max(self.worker_peaks.get(pid, 0.0), _kb(st.get("VmHWM", "")))
                    self.worker_cpu[pid] = max(self.worker_cpu.get(pid, 0.0), _cpu_s(pid))
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


# --- one configuration, one round ------------------------------------------------------------


@dataclass
class Run:
    rows: int
    failed: int
    wall_s: float  # backend start .. last row (start-up included)
    steady_s: float  # first row .. last row
    load: float
    workers: int
    worker_peaks_mb: list[float]
    worker_cpu_s: float
    other_mb: float

    @property
    def steady_rate(self) -> float:
        return (self.rows - self.workers) / self.steady_s if self.steady_s > 0 else float("nan")


def run_once(backend: Backend, workers: int, items: list[BatchItem], out: Path) -> Run:
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
        writer.flush()
    # Steady: from the row that shows every worker running (the `workers`-th) to the last; the
    # first rows of k parallel workers arrive together, so counting from the first would flatter k > 1.
    return Run(len(stamps), failed, stamps[-1] - start, stamps[-1] - stamps[workers - 1], (load_before + os.getloadavg()[0]) / 2,
               workers, sorted(mem.worker_peaks.values()), sum(mem.worker_cpu.values()), mem.other_peak)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=10, help=f"versions of each photo (default 10: 200 photos; max {len(TRANSFORMS)})")
    ap.add_argument("--bases", type=int, default=len(BASES), help="real photos to start from (fewer for a smoke run)")
    ap.add_argument("--rounds", type=int, default=4, help="the photos are split into this many rounds; each round runs "
                    "every configuration, in a rotated order, so a change in the machine's load hits all alike")
    ap.add_argument("--configs", default="1,2,ray", help="comma list of: a number of local workers, or ray")
    args = ap.parse_args()
    configs = args.configs.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="posture-batch-bench-"))
    ray_mod = None
    try:
        (tmp / "photos").mkdir()
        items = make_photos(tmp / "photos", BASES[: args.bases], args.copies)
        print(f"{len(items)} photos ({args.bases} real photos x {args.copies} versions) in {args.rounds} rounds, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", flush=True)
        if "ray" in configs:
            from posture.batch.ray_backend import ray_available

            if ray_available():
                import ray as ray_mod

                t0 = time.perf_counter()
                ray_mod.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=40)
                print(f"local Ray instance (2 CPUs) started in {time.perf_counter() - t0:.1f} s (once; not in the rates)")
            else:
                print("ray is not installed: Ray skipped")
                configs.remove("ray")
        runs: dict[str, list[Run]] = {c: [] for c in configs}
        for r in range(args.rounds):
            block = items[r :: args.rounds]
            order = configs[r % len(configs):] + configs[: r % len(configs)]
            for cfg in order:
                from posture.batch.ray_backend import RayPool

                backend: Backend = RayPool(None, 2) if cfg == "ray" else LocalPool(int(cfg))
                run = run_once(backend, 2 if cfg == "ray" else int(cfg), block, tmp / f"out-{r}-{cfg}.parquet")
                runs[cfg].append(run)
                print(f"  round {r + 1}/{args.rounds} {cfg:>3}: {run.rows} photos, steady {run.steady_rate:.3f} photos/s, "
                      f"wall {run.wall_s:.0f} s, load {run.load:.1f}", file=sys.stderr, flush=True)
        names = {c: ("Ray (local, 2 CPUs)" if c == "ray" else f"{c} local worker{'s' if c != '1' else ''}") for c in configs}
        for cfg, rs in runs.items():
            rows = sum(x.rows for x in rs)
            steady = sum(x.rows - x.workers for x in rs) / sum(x.steady_s for x in rs)
            wall = rows / sum(x.wall_s for x in rs)
            peaks = [m for x in rs for m in x.worker_peaks_mb]
            print(f"{names[cfg]:22s} {rows} photos ({sum(x.failed for x in rs)} failed): steady {steady:.3f} photos/s, "
                  f"with each round's start-up {wall:.3f} photos/s; worker CPU {sum(x.worker_cpu_s for x in rs) / rows:.2f} s/photo; "
                  f"peak RSS per worker {min(peaks):.0f}-{max(peaks):.0f} MB"
                  + (f"; Ray's own processes up to {max(x.other_mb for x in rs):.0f} MB" if cfg == "ray" else "")
                  + f"; load average {min(x.load for x in rs):.1f}-{max(x.load for x in rs):.1f}", flush=True)

        def ratio_line(label: str, a: str, b: str, target: str) -> None:
            if a in runs and b in runs:
                per_round = [y.steady_rate / x.steady_rate for x, y in zip(runs[a], runs[b], strict=True)]
                print(f"{label}: median over rounds {statistics.median(per_round):.2f}x (rounds: "
                      + ", ".join(f"{v:.2f}" for v in per_round) + f"); {target}")

        ratio_line("scaling, 2 workers vs 1 (steady)", "1", "2", "target >= 1.8x")
        if "1" in runs and "2" in runs:
            per = [y.steady_rate / x.steady_rate / 2 for x, y in zip(runs["1"], runs["2"], strict=True)]
            print(f"scaling efficiency (2 workers): {statistics.median(per):.0%}")
        ratio_line("Ray vs 2 local workers (steady)", "2", "ray", "target within 15 %")
    finally:
        if ray_mod is not None:
            ray_mod.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    with library_output_silenced():  # MediaPipe's C++ logs (workers inherit the silenced descriptor)
        main()
