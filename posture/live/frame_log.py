"""The live monitor's per-frame log file: one row per frame, as CSV or JSON Lines, owner-only (0600)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO

from posture.core.errors import UsageError
from posture.store.paths import open_private_text

from .state import FrameResult, live_measures


class FrameLog:
    """Per-frame CSV or JSON Lines log (chosen by the file's extension)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._jsonl = path.suffix.lower() in (".jsonl", ".json", ".ndjson")
        if path.suffix.lower() not in (".csv", ".jsonl", ".json", ".ndjson"):
            raise UsageError(f"--log must end in .csv or .jsonl, got {path}")
        try:
            self._fh: IO[str] = open_private_text(path)  # per-frame readings of a person: owner-only
        except OSError as exc:
            raise UsageError(f"{path}: cannot write ({exc.strerror or exc})") from None
        self._writer: csv.DictWriter[str] | None = None

    def write(self, r: FrameResult) -> None:
        row = r.to_row()
        if self._jsonl:
            self._fh.write(json.dumps(row) + "\n")
            return
        if self._writer is None:
            # Every live measure of both kinds of view: the view may change mid-stream.
            fields = ["t", "state", "view", "alert", *live_measures(True), *live_measures(False)]
            self._writer = csv.DictWriter(self._fh, fieldnames=fields, extrasaction="ignore")
            self._writer.writeheader()
        self._writer.writerow(row)

    def close(self) -> None:
        self._fh.close()
