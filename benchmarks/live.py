"""Live engine speed and memory against a raw BlazePose video-mode loop, same frames, same run.

    python benchmarks/live.py [--minutes M]

Frames: tests/data/video_squat_front_01.mp4 resized to 640x480, looped. Reports frames per
second of (a) a raw `mp.solutions.pose.Pose(static_image_mode=False)` loop and (b) the
engine (model + smoothing + measures + state), the engine's own added latency per frame,
and resident memory sampled along a long looped session (it must not grow).
Target (issue 4): engine >= 90 % of the raw frame rate, < 5 ms added per frame.
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

import cv2  # noqa: E402

from posture.core.body.estimator import BlazePoseEstimator  # noqa: E402
from posture.live.engine import LiveConfig, LiveEngine  # noqa: E402
from posture.live.sources import open_video  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loops", type=int, default=4, help="passes over the clip for the speed runs")
    parser.add_argument("--long-frames", type=int, default=6000, help="frames in the memory run")
    args = parser.parse_args()
    frames = [cv2.resize(f.image, (640, 480)) for f in open_video(ROOT / "tests/data/video_squat_front_01.mp4")]
    fps_src = 30.0

    raw = BlazePoseEstimator(static=False)
    engine = LiveEngine(LiveConfig())
    for i, f in enumerate(frames[:10]):  # warm-up both graphs
        raw.detect_frame(f, i * 33_333)
        engine.process(f, i / fps_src)

    def run_raw(offset: int) -> float:
        start = time.perf_counter()
        for k in range(args.loops):
            for i, f in enumerate(frames):
                raw.detect_frame(f, int(((offset + k) * len(frames) + i) / fps_src * 1e6))
        return args.loops * len(frames) / (time.perf_counter() - start)

    latencies: list[float] = []

    def run_engine(offset: int) -> float:
        start = time.perf_counter()
        for k in range(args.loops):
            for i, f in enumerate(frames):
                r = engine.process(f, ((offset + k) * len(frames) + i) / fps_src)
                latencies.append(r.latency_ms)
        return args.loops * len(frames) / (time.perf_counter() - start)

    # Interleave to share the machine's noise fairly.
    raw_fps, eng_fps = [], []
    for rep in range(3):
        raw_fps.append(run_raw(1 + 2 * rep * args.loops))
        eng_fps.append(run_engine(1 + 2 * rep * args.loops))
    r, e = statistics.median(raw_fps), statistics.median(eng_fps)
    print(f"raw BlazePose video loop: {r:6.1f} fps   engine: {e:6.1f} fps   ratio {100 * e / r:5.1f} %")
    print(f"engine latency added per frame (after the model): median {statistics.median(latencies):.2f} ms, "
          f"p99 {sorted(latencies)[int(0.99 * len(latencies))]:.2f} ms")

    long_engine = LiveEngine(LiveConfig())
    samples = []
    for i in range(args.long_frames):
        long_engine.process(frames[i % len(frames)], i / fps_src)
        if i % 1000 == 0 or i == args.long_frames - 1:
            samples.append((i, rss_mb()))
    print("RSS over a long session (frame: MB): " + ", ".join(f"{i}: {m:.0f}" for i, m in samples))
    print(f"growth after warm-up: {samples[-1][1] - samples[1][1]:+.1f} MB over {args.long_frames - 1000} frames "
          f"({args.long_frames / fps_src / 60:.1f} min at 30 fps)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
