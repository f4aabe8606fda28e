"""A small pool of pose models shared by everything in one process.

A BlazePose graph runs one image at a time. One process-wide model behind a lock made every
Streamlit session wait for the others; a pool of `size` models (default: one per core) lets
that many assessments run at once, and lets one assessment spread its augmented copies over
the models that are free (`map_on`). The app, the batch runner and clinic mode share
`default_pool()`; a batch worker process gets its own (its own models, its own memory).

Models are started on first checkout (about 0.1 s and 100 MB each) and closed by `close`
(at interpreter exit for the default pool). A checked-out model belongs to its borrower
until it is returned: no two borrowers ever hold the same model.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from posture.core.errors import ModelError

from .estimator import BlazePoseEstimator, PoseEstimator

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """CPU cores this process may use (the affinity mask where there is one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class EstimatorPool:
    """Up to `size` static-image pose models, lent out one borrower at a time. Thread-safe."""

    def __init__(self, size: int | None = None, factory: Callable[[], PoseEstimator] | None = None) -> None:
        size = cores() if size is None else int(size)
        if size < 1:
            raise ValueError(f"a model pool needs at least one model, got size {size}")
        self._size = size
        self._factory: Callable[[], PoseEstimator] = factory or (lambda: BlazePoseEstimator(static=True))
        self._cond = threading.Condition()
        self._idle: list[PoseEstimator] = []
        self._all: list[PoseEstimator] = []
        self._starting = 0  # models being started outside the lock (they count against `size`)
        self._closed = False

    @property
    def size(self) -> int:
        return self._size

    @property
    def started(self) -> int:
        """Models started so far (never more than `size`)."""
        with self._cond:
            return len(self._all)

    def acquire(self, timeout: float | None = None) -> PoseEstimator:
        """A model for this borrower alone; waits while all `size` are lent out. Prefer
        `checkout`, which gives it back. Raises ModelError on timeout or once closed."""
        found = self._take(block=True, timeout=timeout)
        assert found is not None  # a blocking take returns a model or raises
        return found

    def try_acquire(self) -> PoseEstimator | None:
        """A model if one is free (or may still be started) right now, else None."""
        return self._take(block=False, timeout=None)

    def release(self, estimator: PoseEstimator) -> None:
        """Give a model back (closed instead if the pool was closed meanwhile)."""
        with self._cond:
            if estimator not in self._all or any(e is estimator for e in self._idle):
                raise ValueError("this model does not belong to the pool or was already returned")
            if not self._closed:
                self._idle.append(estimator)
                self._cond.notify()
                return
        _close(estimator)

    @contextmanager
    def checkout(self, timeout: float | None = None) -> Iterator[PoseEstimator]:
        """One model for the duration of the `with` block."""
        est = self.acquire(timeout)
        try:
            yield est
        finally:
            self.release(est)

    @contextmanager
    def checkout_many(self, most: int | None = None, timeout: float | None = None) -> Iterator[list[PoseEstimator]]:
        """At least one model (waiting for it) and up to `most` (default: the pool's size),
        the others only if free now. Never waits while holding one, so two borrowers cannot
        deadlock each waiting for the other's model."""
        most = self._size if most is None else max(1, int(most))
        got = [self.acquire(timeout)]
        try:
            while len(got) < most:
                extra = self.try_acquire()
                if extra is None:
                    break
                got.append(extra)
            yield got
        finally:
            for est in got:
                self.release(est)

    def close(self) -> None:
        """Close the idle models now and the lent ones when they come back. Idempotent."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for est in idle:
            _close(est)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> EstimatorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _take(self, *, block: bool, timeout: float | None) -> PoseEstimator | None:
        with self._cond:
            while True:
                if self._closed:
                    raise ModelError("the model pool was closed")
                if self._idle:
                    return self._idle.pop()
                if len(self._all) + self._starting < self._size:
                    self._starting += 1
                    break
                if not block:
                    return None
                if not self._cond.wait(timeout):
                    raise ModelError(f"no pose model became free within {timeout:g} s; try again")
        # Start the model outside the lock: others may return or take models meanwhile.
        try:
            est = self._factory()
        except BaseException:
            with self._cond:
                self._starting -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._starting -= 1
            self._all.append(est)
            if self._closed:
                self._all.remove(est)
                closed = True
            else:
                closed = False
        if closed:
            _close(est)
            raise ModelError("the model pool was closed")
        return est


def _close(est: PoseEstimator) -> None:
    close = getattr(est, "close", None)
    if callable(close):
        close()


def map_on(estimators: Sequence[PoseEstimator], work: Callable[[PoseEstimator, T], R], items: Sequence[T]) -> list[R]:
    """`[work(est, item) for item in items]`, spread over the given models, one thread each.

    Results come back in the order of `items`, whatever model ran them: a static-image model
    keeps no state between images, so every model gives the same result for the same item.
    The first error raised by any item is raised here (after all threads have stopped)."""
    if not items:
        return []
    if len(estimators) <= 1 or len(items) == 1:
        if not estimators:
            raise ValueError("map_on needs at least one model")
        return [work(estimators[0], item) for item in items]
    results: list[R | None] = [None] * len(items)
    errors: list[BaseException] = []
    lock = threading.Lock()
    next_index = [0]

    def run(est: PoseEstimator) -> None:
        while True:
            with lock:
                i = next_index[0]
                if i >= len(items) or errors:
                    return
                next_index[0] += 1
            try:
                results[i] = work(est, items[i])
            except BaseException as exc:  # handed to the caller below
                with lock:
                    errors.append(exc)
                return

    threads = [threading.Thread(target=run, args=(est,), daemon=True) for est in estimators[1 : len(items)]]
    for t in threads:
        t.start()
    run(estimators[0])  # this thread works too
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [r for r in results]  # type: ignore[misc]  # every slot was filled


_default: EstimatorPool | None = None
_default_lock = threading.Lock()


def default_pool() -> EstimatorPool:
    """The process-wide pool: POSTURE_MODELS models if set, else one per core."""
    global _default
    with _default_lock:
        if _default is None or _default.closed:
            env = os.environ.get("POSTURE_MODELS", "").strip()
            try:
                size = int(env) if env else None
            except ValueError:
                raise ModelError(f"POSTURE_MODELS must be a whole number of models, got {env!r}") from None
            _default = EstimatorPool(size)
            atexit.register(_default.close)
        return _default
