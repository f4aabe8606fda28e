"""How long History takes to open for a client with 10 assessments (not part of the test suite).

A throw-away data folder gets one client with SESSIONS assessments of three real photos each
(front, side, back from tests/data; each photo assessed once, the model is not what is
measured). The History page is then run the way Streamlit runs it, through AppTest, in this
one process:

- first open: a new session on a running server (its imports done, as after any other page)
  that has drawn nothing of this client yet (History's caches empty);
- open again: a new session (another tab, a reload) on the same server;
- rerun: a widget touched on the open page (the paper of the summary), which reruns the script.

With --before REV the page as it was at git revision REV is timed the same way in the same
run (its caches are its own), and the ratios are printed: before and after on the same
machine under the same load.

    .venv/bin/python benchmarks/history.py [--sessions 10] [--repeat 3] [--before REV] [--profile]

Prints each figure (the median of --repeat for the warm ones) and, with --profile, where the
first open spends its time: the page's lines and the project's functions most often on the
script thread's stack, sampled every 5 ms (AppTest runs the script in a thread of its own,
which cProfile does not follow).
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHOTOS = ("standing_front_05_video.jpg", "seated_side_hunched_01.jpg", "standing_back_02.jpg")
TARGET_S = 2.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", metavar="REV", help="also time app_pages/3_History.py as it was at this git revision")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="posture-history-"))
    os.environ["POSTURE_DATA_DIR"] = str(folder / "data")
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    from posture import assess
    from posture.core.intake import Intake
    from posture.store.records import NewPhoto, Store

    config.set_option("browser.gatherUsageStats", False)
    config.set_option("server.address", "127.0.0.1")
    data = ROOT / "tests" / "data"
    photos = [(name, (data / name).read_bytes(), assess(data / name, height_cm=170)) for name in PHOTOS]
    store = Store(folder / "data")
    client = store.create_client("Benchmark Client", "1980-01-01", 170)
    for i in range(args.sessions):
        # Distinct photo bytes per session (a real client's photos differ each time): a JPEG
        # comment makes each file its own, so no cache can serve one session's photo for another.
        store.save_session(client.id, Intake(pain={"neck": 1 + i % 8, "lower back": 2}, duration=f"{i + 1} weeks"),
                           [NewPhoto(b[:2] + b"\xff\xfe\x00\x08" + f"s{i:05d}".encode() + b[2:], n, a)
                            for n, b, a in photos])

    # What a running server has done before anyone opens History: Streamlit's start-up and
    # the libraries History shares with the other pages (pandas, Altair) imported.
    warm = folder / "warm.py"
    warm.write_text("import altair, pandas, streamlit as st\nst.write('ready')\n")
    AppTest.from_file(str(warm), default_timeout=300).run()

    sampler = _Sampler() if args.profile else None
    pages = {"now": ROOT / "app_pages" / "3_History.py"}
    if args.before:
        old = subprocess.run(["git", "-C", str(ROOT), "show", f"{args.before}:app_pages/3_History.py"],
                             capture_output=True, text=True, check=True).stdout
        # Beside the current page, so it runs with the same imports; its own name, so its caches are its own.
        pages["before"] = ROOT / "app_pages" / f"_bench_history_{args.before.replace('~', '_').replace('/', '_')}.py"
        pages["before"].write_text(old)
    try:
        figures = {name: _time_page(page, client.id, args.repeat, sampler if name == "now" else None)
                   for name, page in pages.items()}  # the current page first: it pays what is imported once
    finally:
        if "before" in pages:
            pages["before"].unlink()

    print(f"History, 1 client, {args.sessions} assessments of {len(PHOTOS)} photos each (seconds):")
    print(f"  {'':8} {'first open':>11} {'open again':>11} {'rerun':>8}")
    for name, (first, again, rerun) in figures.items():
        print(f"  {name:8} {first:11.2f} {again:11.2f} {rerun:8.2f}")
    if "before" in figures:
        b, n = figures["before"], figures["now"]
        print(f"  {'before/now':8} {b[0] / n[0]:10.1f}x {b[1] / n[1]:10.1f}x {b[2] / n[2]:7.1f}x")
    first, again, _ = figures["now"]
    print(f"  target: History opens in under {TARGET_S:.0f} s: {'met' if max(first, again) < TARGET_S else 'NOT met'} "
          f"(warm figures: median of {args.repeat})")
    if sampler:
        sampler.report()
    return 0


def _time_page(page: Path, client_id: int, repeat: int, sampler: _Sampler | None) -> tuple[float, float, float]:
    """(first open, median open again, median rerun) of `page` for the client, in seconds."""
    from streamlit.testing.v1 import AppTest

    def open_page() -> tuple[AppTest, float]:
        at = AppTest.from_file(str(page), default_timeout=300)
        at.query_params["client"] = str(client_id)
        start = time.perf_counter()
        at.run()
        took = time.perf_counter() - start
        if at.exception:
            raise SystemExit(f"{page.name} failed: {at.exception}")
        return at, took

    if sampler:
        sampler.start()
    at, first = open_page()
    if sampler:
        sampler.stop()
    again = [open_page()[1] for _ in range(repeat)]
    reruns = []
    for i in range(repeat):
        at.radio(key="summary_paper").set_value("Letter" if i % 2 == 0 else "A4")
        start = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - start)
    return first, statistics.median(again), statistics.median(reruns)


class _Sampler(threading.Thread):
    """Every 5 ms, which of the project's functions (and page lines) are on the stack of the
    other threads; a share of the samples is a share of the time."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.counts: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self.done = threading.Event()

    def run(self) -> None:
        me = threading.get_ident()
        while not self.done.wait(0.005):
            for ident, frame in sys._current_frames().items():
                if ident == me or ident == threading.main_thread().ident:
                    continue
                seen = set()
                f = frame
                while f is not None:
                    path = f.f_code.co_filename
                    if str(ROOT) in path and "benchmarks" not in path:
                        where = f"{Path(path).relative_to(ROOT)}:{f.f_lineno if 'app_pages' in path else f.f_code.co_name}"
                        seen.add(where)
                    f = f.f_back
                if seen:
                    self.samples += 1
                    self.counts.update(seen)

    def stop(self) -> None:
        self.done.set()
        self.join()

    def report(self) -> None:
        print(f"\nfirst open, {self.samples} samples of 5 ms in the project's code:")
        for where, n in self.counts.most_common(25):
            print(f"  {n * 0.005:6.2f} s  {where}")


if __name__ == "__main__":
    sys.exit(main())
