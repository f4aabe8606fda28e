"""Progress on stderr (a bar with rate and ETA) and the closing summary. Formatting is pure."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO


def format_duration(seconds: float) -> str:
    """'45s', '3m05s', '2h07m' (never negative)."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def progress_line(done: int, total: int, failed: int, elapsed: float, width: int = 30) -> str:
    """`[#####.....] 40/200  0.45 photos/s  ETA 5m56s  (2 failed)`; rate and ETA once a photo is done."""
    filled = int(width * done / total) if total else width
    line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
    if done and elapsed > 0:
        rate = done / elapsed
        line += f"  {rate:.2f} photos/s  ETA {format_duration((total - done) / rate)}"
    if failed:
        line += f"  ({failed} failed)"
    return line


@dataclass
class Tally:
    """What this run did (rows already in the output before it are `skipped`)."""

    total: int = 0
    skipped: int = 0
    assessed: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    #: Exit code of the first failure in input order (docs/using.md: "the exit code is that of the first failure").
    first_failure: tuple[int, int] | None = None  # (input index, exit code)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def done(self) -> int:
        return self.assessed + self.failed

    def record(self, index: int, error: str | None, exit_code: int | None) -> None:
        if error is None:
            self.assessed += 1
            return
        self.failures[error] += 1
        if self.first_failure is None or index < self.first_failure[0]:
            self.first_failure = (index, exit_code or 1)

    @property
    def exit_code(self) -> int:
        return 0 if self.first_failure is None else self.first_failure[1]

    def summary(self, out_name: str, workers: str) -> str:
        rate = f" ({self.done / self.seconds:.2f} photos/s, {workers})" if self.done and self.seconds > 0 else f" ({workers})"
        text = f"posture batch: {self.done} photos in {format_duration(self.seconds)}{rate}: {self.assessed} assessed, {self.failed} failed"
        if self.failures:
            text += " (" + ", ".join(f"{n} {kind}" for kind, n in self.failures.most_common()) + ")"
        if self.skipped:
            text += f"; {self.skipped} skipped (already in {out_name})"
        return text + f"; rows written to {out_name}"


class Progress:
    """Redraws one line in place on a terminal (at most 4 times a second); elsewhere (a log
    file, CI) prints a plain line every `log_every` seconds, so logs stay readable."""

    def __init__(self, total: int, stream: TextIO, *, log_every: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.stream = stream
        self.clock = clock
        self.start = clock()
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._every = 0.25 if self._tty else log_every
        self._last = -1e9
        self.done = 0
        self.failed = 0

    def update(self, ok: bool) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        now = self.clock()
        if now - self._last >= self._every or self.done == self.total:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        line = progress_line(self.done, self.total, self.failed, now - self.start)
        if self._tty:
            self.stream.write("\r" + line + "\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self._tty and self.done:
            self.stream.write("\n")
            self.stream.flush()
