"""`posture batch`: many photos through a local process pool (or Ray), rows into Parquet.

The parent process lists the inputs, skips what the output already holds (`--resume`, by
content hash), hands photos to the workers a few at a time and is the only writer. Each
worker holds one `Assessor` (one model, loaded once). A photo that fails is a row with its
error; a worker that dies (a native crash) costs only the photo it was on: the pool is
restarted and the photos that were in flight are retried one at a time, so the one that
kills a worker again is recorded as `worker_crashed` and the rest are assessed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import time
import types
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from posture.core.errors import UsageError

from .inputs import BatchItem
from .progress import Progress, Tally
from .rows import file_sha256, row_from_crash, row_from_error
from .work import Assessor
from .writer import PartWriter, prepare_output

Indexed = tuple[int, BatchItem]


class Backend(Protocol):
    """Runs items somewhere and yields (input index, row) as they finish, in any order."""

    description: str

    def run(self, items: Sequence[Indexed]) -> Generator[tuple[int, dict[str, Any]], None, None]: ...


# --- local process pool ----------------------------------------------------------------


@contextlib.contextmanager
def _parent_main_hidden() -> Generator[None, None, None]:
    """Start processes without the parent's `__main__`.

    A spawned child normally re-imports the parent's main script. Under Streamlit (the app,
    or its AppTest) `__main__` is the page script, and a worker that imports it runs the page:
    it dies. Everything a worker runs lives in this package, so it needs no main module.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    def start(self) -> None:
        with _parent_main_hidden():
            super().start()


class _WorkerContext(multiprocessing.context.SpawnContext):
    Process = _WorkerProcess


_worker: Assessor | None = None


def _init_worker(thresholds_path: str | None) -> None:
    global _worker
    _worker = Assessor(thresholds_path)


def _run_one(item: BatchItem) -> dict[str, Any]:
    assert _worker is not None, "worker not initialised"
    return _worker(item)


class LocalPool:
    """A process pool of `workers` processes, each with its own model.

    Processes are started with "spawn", not fork: the parent has pyarrow's and OpenCV's
    threads running, and a forked child of a threaded process may deadlock on a lock held
    by a thread that does not exist in it."""

    def __init__(self, workers: int, thresholds_path: str | None = None, *, window_per_worker: int = 2,
                 work: Callable[[BatchItem], dict[str, Any]] = _run_one) -> None:
        if workers < 1:
            raise UsageError(f"--workers must be at least 1, got {workers}")
        self.workers = workers
        self.thresholds_path = thresholds_path
        self.work = work  # a module-level function (it is pickled by name for the workers)
        self.window = workers * window_per_worker  # photos queued ahead: workers never wait, memory stays bounded
        self.description = f"{workers} local worker{'s' if workers != 1 else ''}"

    def _pool(self) -> ProcessPoolExecutor:
        # One core per worker, as Ray gives its actors: numpy's OpenBLAS (and anything OpenMP)
        # would otherwise start a thread per core in every worker. Spawned workers inherit the
        # environment; the parent computes nothing. A value the user set is kept.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        return ProcessPoolExecutor(self.workers, mp_context=_WorkerContext(),
                                   initializer=_init_worker, initargs=(self.thresholds_path,))

    def run(self, items: Sequence[Indexed]) -> Generator[tuple[int, dict[str, Any]], None, None]:
        pending: deque[Indexed] = deque(items)
        suspects: deque[Indexed] = deque()  # in flight when a worker died: retried alone
        while pending or suspects:
            pool = self._pool()
            inflight: dict[Future[dict[str, Any]], tuple[Indexed, bool]] = {}
            broken = False
            try:
                while not broken and (pending or suspects or inflight):
                    if suspects:
                        if not inflight:
                            s = suspects.popleft()
                            inflight[pool.submit(self.work, s[1])] = (s, True)
                    else:
                        while pending and len(inflight) < self.window:
                            p = pending.popleft()
                            inflight[pool.submit(self.work, p[1])] = (p, False)
                    finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        (index, item), alone = inflight.pop(fut)
                        exc = fut.exception()
                        if isinstance(exc, BrokenProcessPool):
                            broken = True
                            if alone:
                                yield index, row_from_crash(item, "it died again when retried alone")
                            else:
                                suspects.append((index, item))
                        elif exc is not None:  # the worker itself catches every photo's error; this is a bug
                            yield index, row_from_error(item, file_sha256(item.path), exc, 0.0)
                        else:
                            yield index, fut.result()
                if broken:
                    suspects.extend(entry for entry, _ in inflight.values())
                    inflight.clear()
            finally:
                pool.shutdown(wait=not broken and not inflight, cancel_futures=True)


# --- the batch ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchOptions:
    out: Path
    resume: bool = False
    chunk_rows: int = 32
    flush_seconds: float = 60.0


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGINT) during a batch, once the rows done so far are written: `tally` says how many."""

    def __init__(self, tally: Tally) -> None:
        super().__init__()
        self.tally = tally


def run_batch(items: Sequence[BatchItem], backend: Backend, options: BatchOptions, stderr: TextIO) -> Tally:
    """Assess `items` with `backend`, writing rows to `options.out` as they finish."""
    done = prepare_output(options.out, resume=options.resume)
    tally = Tally(total=len(items))
    todo: list[Indexed] = []
    for index, item in enumerate(items):
        if done.rows and done.has(item.path, file_sha256(item.path)):
            tally.skipped += 1
        else:
            todo.append((index, item))
    writer = PartWriter(options.out, chunk_rows=options.chunk_rows, flush_seconds=options.flush_seconds)
    progress = Progress(len(todo), stderr)
    start = time.monotonic()
    try:
        if todo:
            # closing(): on Ctrl-C or an error the pool (or Ray) is shut down now, not whenever
            # the generator happens to be collected.
            with contextlib.closing(backend.run(todo)) as rows:
                for index, row in rows:
                    writer.add(row)
                    tally.record(index, row["error"], row["exit_code"])
                    progress.update(row["ok"])
    except KeyboardInterrupt:
        raise BatchInterrupted(tally) from None  # after `finally` has written the rows
    finally:
        writer.flush()  # also on Ctrl-C: what is done is kept (resume picks up from there)
        progress.finish()
        tally.seconds = time.monotonic() - start
    return tally


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
