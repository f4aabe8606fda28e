"""What a batch runs over: photo files, folders (recursive) and CSV manifests, as `BatchItem`s.

Pure bookkeeping, no model: a folder contributes the files whose extension is an accepted
photo type (`imaging.ACCEPTED_EXTENSIONS`); a `.csv` argument is a manifest, one photo per
row with the client's id, height and view. A path that does not exist is still an item: it
becomes a failed row ("image unreadable"), so a typo in one path never stops a batch of
thousands. A manifest that cannot be read is a usage error with its line number.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from posture.core.body.views import VIEW_CHOICES
from posture.core.errors import UsageError
from posture.core.image.imaging import ACCEPTED_EXTENSIONS
from posture.core.measuring.measures import HEIGHT_RANGE_CM

#: Manifest columns: `path` is required; the others may be left out or left empty per row.
MANIFEST_COLUMNS = ("path", "client_id", "height_cm", "view")
#: Header spellings accepted for each column (lower case, spaces and dashes read as "_").
_ALIASES = {"path": "path", "file": "path", "photo": "path", "client_id": "client_id", "client": "client_id",
            "height_cm": "height_cm", "height": "height_cm", "view": "view"}


@dataclass(frozen=True)
class BatchItem:
    """One photo to assess, with what is known about it (None: use the batch-wide default)."""

    path: str
    client_id: str | None = None
    height_cm: float | None = None
    view: str | None = None


def collect(inputs: Sequence[str | Path], *, view: str = "auto", height_cm: float | None = None) -> list[BatchItem]:
    """Every photo named by `inputs`, in a stable order (arguments in order, folders sorted),
    each path once (the first mention wins, so a manifest row's details beat a folder listing).

    `view` and `height_cm` apply to photos whose manifest row does not say.
    """
    _check_view(view, "--view")
    if height_cm is not None:
        _check_height(height_cm, "--height-cm")
    seen: set[str] = set()
    out: list[BatchItem] = []
    for item in _expand(inputs):
        key = os.path.abspath(item.path)
        if key in seen:
            continue
        seen.add(key)
        out.append(BatchItem(item.path, item.client_id,
                             item.height_cm if item.height_cm is not None else height_cm,
                             item.view or view))
    return out


def _expand(inputs: Sequence[str | Path]) -> Iterator[BatchItem]:
    for raw in inputs:
        path = Path(raw).expanduser()
        if path.is_dir():
            yield from (BatchItem(str(p)) for p in photos_in(path))
        elif path.suffix.lower() == ".csv":
            yield from read_manifest(path)
        else:
            yield BatchItem(str(path))


def is_photo_name(name: str) -> bool:
    return name.rsplit(".", 1)[-1].lower() in ACCEPTED_EXTENSIONS if "." in name else False


def photos_in(folder: Path) -> list[Path]:
    """Accepted photo files under `folder`, recursively, sorted; hidden files and folders skipped
    (`.DS_Store`, `.git`, editors' temporary files), symlinked folders not followed (no loops)."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder, onerror=_raise_walk):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in files if not f.startswith(".") and is_photo_name(f))
    return sorted(found)


def _raise_walk(exc: OSError) -> None:
    raise UsageError(f"{exc.filename}: folder cannot be read ({exc.strerror or exc})")


def read_manifest(path: Path) -> list[BatchItem]:
    """Rows of a CSV manifest (header required; `path` column required). Relative photo paths
    are relative to the manifest's folder, so a study folder can be moved whole."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:  # -sig: Excel's byte-order mark
            return list(_manifest_rows(csv.reader(fh), path))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such manifest") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: manifest is not UTF-8 text (save it as CSV UTF-8)") from None
    except csv.Error as exc:
        raise UsageError(f"{path}: not a valid CSV file ({exc})") from None
    except OSError as exc:
        raise UsageError(f"{path}: manifest cannot be read ({exc.strerror or exc})") from None


def _manifest_rows(reader: Iterable[list[str]], manifest: Path) -> Iterator[BatchItem]:
    rows = iter(reader)
    header = next(rows, None)
    if header is None or not any(h.strip() for h in header):
        raise UsageError(f"{manifest}: manifest is empty (expected a header: {', '.join(MANIFEST_COLUMNS)})")
    columns: list[str] = []
    for h in header:
        key = h.strip().lower().replace(" ", "_").replace("-", "_")
        if key not in _ALIASES:
            raise UsageError(f"{manifest}: line 1: unknown column {h.strip()!r} (expected {', '.join(MANIFEST_COLUMNS)})")
        if _ALIASES[key] in columns:
            raise UsageError(f"{manifest}: line 1: column {_ALIASES[key]!r} appears twice")
        columns.append(_ALIASES[key])
    if "path" not in columns:
        raise UsageError(f"{manifest}: line 1: no 'path' column (expected {', '.join(MANIFEST_COLUMNS)})")
    base = manifest.parent
    count = 0
    for line_no, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines (a trailing newline in Excel exports)
        if len(row) > len(columns):
            raise UsageError(f"{manifest}: line {line_no}: {len(row)} fields, the header has {len(columns)}")
        cells = dict(zip(columns, (c.strip() for c in row), strict=False))
        where = f"{manifest}: line {line_no}"
        photo = cells.get("path", "")
        if not photo:
            raise UsageError(f"{where}: empty path")
        height = None
        if cells.get("height_cm"):
            try:
                height = float(cells["height_cm"].replace(",", "."))
            except ValueError:
                raise UsageError(f"{where}: height {cells['height_cm']!r} is not a number (centimetres)") from None
            _check_height(height, where)
        view = cells.get("view") or None
        if view is not None:
            view = view.lower()
            _check_view(view, where)
        p = Path(photo).expanduser()
        count += 1
        yield BatchItem(str(p if p.is_absolute() else base / p), cells.get("client_id") or None, height, view)
    if count == 0:
        raise UsageError(f"{manifest}: manifest has a header but no photos")


def _check_height(height: float, where: str) -> None:
    lo, hi = HEIGHT_RANGE_CM
    if not (math.isfinite(height) and lo <= height <= hi):
        raise UsageError(f"{where}: height must be between {lo:g} and {hi:g} cm, got {height:g}")


def _check_view(view: str, where: str) -> None:
    if view not in VIEW_CHOICES:
        raise UsageError(f"{where}: view must be one of {', '.join(VIEW_CHOICES)}; got {view!r}")
