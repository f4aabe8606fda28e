"""Server memory over live-stream start/stop cycles (issue 8, item 15), in-process.

    python benchmarks/live_memory.py [--cycles 6] [--frames 60]

Each cycle is one stream of the live page: `--frames` real frames of
tests/data/video_squat_front_01.mp4 (640x480) through a fresh monitor, then the stream
ends. Two modes, each in a fresh process, resident memory (VmRSS) and thread count printed
after every cycle:

- leak:    what the page did before the fix: a new engine per browser session, dropped
           when the session is gone but never closed (MediaPipe's graph outlives it);
- release: `posture.ui.live_session.LiveMonitor`: the graph is closed when the stream ends (odd cycles)
           or when the browser session is released (even cycles).

Not a test (numbers vary by machine); tests/test_live.py checks the bound.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT / "tests/data/video_squat_front_01.mp4"


def process_status() -> tuple[float, int]:
    """(VmRSS in MB, number of threads) of this process."""
    rss, threads = 0.0, 0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


def child(mode: str, cycles: int, n_frames: int) -> None:
    sys.path.insert(0, str(ROOT))
    import cv2

    from posture.live.engine import LiveConfig, LiveEngine
    from posture.live.sources import open_video
    from posture.ui.live_session import LiveMonitor

    frames = [cv2.resize(f.image, (640, 480)) for f, _ in zip(open_video(VIDEO), range(n_frames), strict=False)]
    rss, threads = process_status()
    print(f"start    {rss:7.0f} MB  {threads:3d} threads", flush=True)
    for cycle in range(1, cycles + 1):
        if mode == "leak":
            engine = LiveEngine(LiveConfig())
            for i, image in enumerate(frames):
                engine.process(image, i / 30)
            del engine
        else:
            monitor = LiveMonitor(LiveConfig())
            for i, image in enumerate(frames):
                monitor.process(image, now=i / 30)
            if cycle % 2:
                monitor.on_ended()  # STOP pressed
            else:
                monitor.close()  # the browser went away mid-stream
            del monitor
        gc.collect()
        rss, threads = process_status()
        print(f"cycle {cycle:2d} {rss:7.0f} MB  {threads:3d} threads", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--frames", type=int, default=60, help="frames per stream")
    parser.add_argument("--child", choices=("leak", "release"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.cycles, args.frames)
        return 0
    for mode in ("leak", "release"):
        run = subprocess.run([sys.executable, __file__, "--child", mode, "--cycles", str(args.cycles),
                              "--frames", str(args.frames)], capture_output=True, text=True)
        if run.returncode:
            print(run.stderr, file=sys.stderr)
            return run.returncode
        lines = run.stdout.splitlines()
        print(f"== {mode}")
        print("\n".join(lines))
        first, last = (float(line.split()[2]) for line in (lines[1], lines[-1]))
        print(f"   growth from cycle 1 to cycle {args.cycles}: {last - first:+.0f} MB "
              f"({(last - first) / max(args.cycles - 1, 1):+.0f} MB a cycle)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
