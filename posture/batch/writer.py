"""Incremental Parquet output: a dataset folder of part files, each written whole or not at all.

Why a folder and not one growing file: a Parquet file is readable only once its footer is
written, at close; a writer killed mid-run leaves a file no reader opens, and recovering its
row groups means parsing pages without the footer. Here every chunk of rows is a complete,
small Parquet file (one row group), written to `.part-….tmp`, fsynced and renamed to
`part-….parquet`, then the folder fsynced. A kill (or power loss) at any moment leaves only
complete part files plus at most one temporary file, which readers skip (pyarrow ignores
names starting with "." and `*.parquet` globs do not match it) and the next `--resume`
deletes. At most the rows of the chunk being filled are lost, and `--resume` redoes them.

pandas (`pd.read_parquet("results.parquet")`), pyarrow, polars
(`pl.read_parquet("results.parquet/*.parquet")`) and DuckDB
(`read_parquet('results.parquet/*.parquet')`) read the folder as one table.
Files are owner-only (folder 0700, files 0600): rows are health data.
"""

from __future__ import annotations

import io
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from posture.core.errors import StorageError, UsageError
from posture.store.paths import private_dir, write_private_file

from .rows import COLUMNS, ROW_SCHEMA_VERSION, SCHEMA_METADATA_KEY, to_table

PART_PATTERN = re.compile(r"^part-[0-9A-Za-z_-]+\.parquet$")
_TEMP_PATTERN = re.compile(r"^\.part-.*\.tmp$")


@dataclass
class Done:
    """What an output folder already holds (for `--resume`)."""

    hashes: set[str] = field(default_factory=set)
    #: Paths of rows without a hash (the file could not be read): skipped by path instead.
    unhashed_paths: set[str] = field(default_factory=set)
    rows: int = 0
    parts: int = 0

    def has(self, path: str, sha256: str | None) -> bool:
        return sha256 in self.hashes if sha256 is not None else os.path.abspath(path) in self.unhashed_paths


def part_files(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if PART_PATTERN.match(p.name))


def prepare_output(out: Path, *, resume: bool) -> Done:
    """Check `out` can take this batch's rows and return what it already holds.

    A new folder is created; an existing one must be a batch output (only part files) and is
    added to only with `--resume`, so a second run never silently mixes into old results."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a batch output folder (batch output is a folder of Parquet part files)")
    if not out.exists():
        private_dir(out)
        return Done()
    try:
        names = [p.name for p in out.iterdir()]
    except OSError as exc:
        raise StorageError(f"{out}: cannot be read ({exc.strerror or exc})") from None
    strangers = [n for n in names if not (PART_PATTERN.match(n) or _TEMP_PATTERN.match(n))]
    if strangers:
        raise UsageError(f"{out}: not a batch output folder (it holds {strangers[0]!r}); choose another --out")
    parts = part_files(out)
    if parts and not resume:
        raise UsageError(f"{out}: already holds {len(parts)} part file(s); add --resume to continue it, or choose another --out")
    for n in names:
        if _TEMP_PATTERN.match(n):  # a chunk a killed run was writing: never complete, never read
            (out / n).unlink(missing_ok=True)
    return read_done(out)


def read_done(out: Path) -> Done:
    done = Done()
    for part in part_files(out):
        try:
            meta = pq.read_schema(part)
            if (meta.metadata or {}).get(SCHEMA_METADATA_KEY) != ROW_SCHEMA_VERSION.encode() or tuple(meta.names) != COLUMNS:
                raise UsageError(f"{part}: written by another version of posture batch (different columns); "
                                 "choose a new --out")
            table = pq.read_table(part, columns=["path", "sha256"])
        except UsageError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
            raise StorageError(f"{part}: cannot be read ({exc}); move it aside and resume") from None
        for path, sha in zip(table.column("path").to_pylist(), table.column("sha256").to_pylist(), strict=True):
            if sha is None:
                done.unhashed_paths.add(os.path.abspath(path))
            else:
                done.hashes.add(sha)
        done.rows += table.num_rows
        done.parts += 1
    return done


class PartWriter:
    """Collects rows and writes a part file every `chunk_rows` rows or `flush_seconds`,
    whichever comes first (a slow batch still saves its work every minute)."""

    def __init__(self, out: Path, *, chunk_rows: int = 32, flush_seconds: float = 60.0) -> None:
        if chunk_rows < 1:
            raise UsageError(f"chunk size must be at least 1 row, got {chunk_rows}")
        self.out = out
        self.chunk_rows = chunk_rows
        self.flush_seconds = flush_seconds
        self._rows: list[dict[str, Any]] = []
        self._seq = 0
        # Unique per run, so a resumed run's parts never overwrite an earlier run's.
        self._run = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}"
        self._last_flush = time.monotonic()
        self.rows_written = 0

    def add(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.chunk_rows or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._rows:
            return
        buf = io.BytesIO()
        pq.write_table(to_table(self._rows), buf, compression="zstd")
        name = f"part-{self._run}-{self._seq:05d}.parquet"
        write_private_file(self.out / name, buf.getvalue())  # temp + fsync + rename + folder fsync
        self._seq += 1
        self.rows_written += len(self._rows)
        self._rows.clear()

    @property
    def pending(self) -> int:
        return len(self._rows)
