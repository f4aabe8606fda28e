"""The `posture batch` command's options and entry point (the CLI only registers it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from posture.core.body.views import VIEW_CHOICES, VIEW_HELP
from posture.core.errors import UsageError
from posture.core.image.imaging import ACCEPTED_TEXT
from posture.core.outputs import check_outputs

from .inputs import collect


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help=f"photo files ({ACCEPTED_TEXT}), folders (searched recursively) or CSV manifests "
                        "(columns: path, client_id, height_cm, view; only path is required)")
    p.add_argument("--out", required=True, type=Path, metavar="RESULTS.parquet",
                   help="output: a folder of Parquet part files, read as one table by pandas, polars, DuckDB")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes, each with its own model (default: one per CPU; with --ray: the cluster's CPUs)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run on Ray: with ADDRESS (auto, HOST:6379, ray://HOST:10001) on that cluster, "
                        "without it on a local Ray instance started for this batch")
    p.add_argument("--view", choices=VIEW_CHOICES, default="auto",
                   help="the view of photos whose manifest row does not say (default: auto); " + VIEW_HELP)
    p.add_argument("--height-cm", type=float, default=None, help="client height for photos whose manifest row does not say")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted batch: photos already in --out (same content) are skipped")
    p.add_argument("--thresholds", metavar="TOML", type=Path, help="override finding thresholds")
    p.add_argument("--chunk-rows", type=int, default=32, metavar="N",
                   help="rows per part file (default 32; a crash loses at most this many, or one minute's)")


def run(args: argparse.Namespace, stderr: TextIO | None = None) -> int:
    from .runner import Backend, BatchInterrupted, BatchOptions, LocalPool, default_workers, run_batch

    stderr = stderr or sys.stderr
    if args.chunk_rows < 1:
        raise UsageError(f"--chunk-rows must be at least 1, got {args.chunk_rows}")
    items = collect(args.inputs, view=args.view, height_cm=args.height_cm)
    check_outputs([i.path for i in items], [("--out", args.out)], data=("--out",))
    if not items:
        raise UsageError(f"no photos found in {', '.join(map(str, args.inputs))} ({ACCEPTED_TEXT} files)")
    thresholds = str(args.thresholds) if args.thresholds else None
    if thresholds:
        from posture.core.measuring.findings import load_thresholds

        load_thresholds(thresholds)  # a bad file is one error now, not one per photo
    backend: Backend
    if args.ray and Path(args.ray).exists():  # `--ray photos/ ...`: argparse took the input for an address
        raise UsageError(f"--ray took {args.ray!r} as the cluster address; put the inputs before --ray, or write --ray=ADDRESS")
    if args.ray is not None:
        from .ray_backend import RayPool

        backend = RayPool(args.ray or None, args.workers, thresholds)
    else:
        backend = LocalPool(args.workers or default_workers(), thresholds)
    options = BatchOptions(out=args.out, resume=args.resume, chunk_rows=args.chunk_rows)
    try:
        tally = run_batch(items, backend, options, stderr)
    except BatchInterrupted as stop:
        t = stop.tally
        left = t.total - t.skipped - t.done
        print(f"posture batch: interrupted; {t.done} photo(s) written to {args.out} in this run"
              + (f" ({t.skipped} were there before)" if t.skipped else "")
              + f", {left} left: add --resume to continue", file=stderr)
        return 130
    except KeyboardInterrupt:  # before the first row (while starting the workers)
        print(f"posture batch: interrupted before any photo was done; nothing new in {args.out}", file=stderr)
        return 130
    print(tally.summary(str(args.out), backend.description), file=stderr)
    return tally.exit_code
