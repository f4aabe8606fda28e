"""The flat row a batch writes per photo, and its Parquet schema.

One schema for every file a batch ever writes: the measure columns come from
`measures.MEASURES` and the set-up columns from `SETUP_CHECKS`, not from what a photo
happened to produce, so a part file of only failures has the same columns as one of good
photos and a folder of part files reads as one table. Numbers come from
`Assessment.to_dict()`, so a row holds exactly what `posture assess --json` prints.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from posture import __version__
from posture.core.errors import ConfigError, ImageReadError, ImageTooLargeError, ModelError, NoPersonError, PostureError, UsageError
from posture.core.measuring.measures import MEASURES

from .inputs import BatchItem

#: Bumped when a column changes meaning or goes away (adding a measure adds columns: also a bump,
#: since files of two versions no longer share one schema). Stored in each file's metadata.
ROW_SCHEMA_VERSION = "1"
SCHEMA_METADATA_KEY = b"posture.batch.schema"

#: The set-up checks `setup.assess_setup` makes, in its order (tests pin that it makes no others).
SETUP_CHECKS = ("yaw", "roll", "pitch", "camera_height", "framing", "stance", "arms", "sharpness", "exposure")

#: Failure kinds, most specific class first (ImageTooLargeError is an ImageReadError).
_ERROR_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (ImageTooLargeError, "image_too_large"),
    (ImageReadError, "image_unreadable"),
    (NoPersonError, "no_person"),
    (ModelError, "model_error"),
    (ConfigError, "config_error"),
    (UsageError, "usage_error"),
)
#: A worker process died on the photo (a crash inside a native library): no exception to read.
WORKER_CRASHED = "worker_crashed"

_FINDING = pa.struct([("id", pa.string()), ("severity", pa.string()), ("title", pa.string()),
                      ("detail", pa.string()), ("measures", pa.list_(pa.string()))])
_CHECK = pa.struct([("key", pa.string()), ("label", pa.string()), ("status", pa.string()),
                    ("reading", pa.string()), ("fix", pa.string())])


def measure_columns(name: str) -> tuple[str, str, str]:
    """The value, uncertainty and reason columns of one measure."""
    return name, f"{name}_uncertainty", f"{name}_reason"


def _fields() -> list[pa.Field]:
    f = pa.field
    fields = [
        f("path", pa.string(), nullable=False),
        f("sha256", pa.string()),  # null only when the file could not be read at all
        f("client_id", pa.string()),
        f("height_cm", pa.float64()),
        f("ok", pa.bool_(), nullable=False),
        f("error", pa.string()),  # a failure's kind: image_unreadable, no_person, ... (null when ok)
        f("exit_code", pa.int16()),  # the CLI's exit code for that failure (docs/using.md, "Errors and exit codes"; null when ok)
        f("error_message", pa.string()),
        f("view_requested", pa.string()),
        f("view", pa.string()),
        f("view_source", pa.string()),
        f("view_confidence", pa.float64()),
        f("view_yaw_deg", pa.float64()),
        f("view_contradiction", pa.string()),
        f("posture", pa.string()),
        f("image_width", pa.int32()),
        f("image_height", pa.int32()),
        f("setup_status", pa.string()),
        *(f(f"setup_{key}", pa.string()) for key in SETUP_CHECKS),
        f("setup_checks", pa.list_(_CHECK)),
        f("camera_status", pa.string()),
        f("camera_roll_deg", pa.float64()),
        f("camera_pitch_deg", pa.float64()),
        f("camera_roll_sd_deg", pa.float64()),
        f("camera_pitch_sd_deg", pa.float64()),
    ]
    for spec in MEASURES:
        value, unc, reason = measure_columns(spec.name)
        fields += [f(value, pa.float64()), f(unc, pa.float64()), f(reason, pa.string())]
    fields += [
        f("findings", pa.list_(_FINDING)),
        f("warnings", pa.list_(pa.string())),
        f("seconds", pa.float64()),  # wall-clock time of this photo in its worker
        f("posture_version", pa.string()),
    ]
    return fields


SCHEMA: pa.Schema = pa.schema(_fields(), metadata={SCHEMA_METADATA_KEY: ROW_SCHEMA_VERSION.encode()})
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)
#: Columns that differ between two runs over the same photos (timing), left out when comparing runs.
RUN_DEPENDENT_COLUMNS = ("seconds",)


def file_sha256(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes, or None if it cannot be read (the assessment then says why)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def _base(item: BatchItem, sha256: str | None, seconds: float) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(path=item.path, sha256=sha256, client_id=item.client_id, height_cm=item.height_cm,
               view_requested=item.view or "auto", findings=[], warnings=[], setup_checks=[],
               seconds=round(seconds, 3), posture_version=__version__)
    return row


def row_from_assessment(item: BatchItem, sha256: str | None, record: Mapping[str, Any], seconds: float) -> dict[str, Any]:
    """A good photo's row from `Assessment.to_dict()` (the JSON record, same rounding)."""
    row = _base(item, sha256, seconds)
    view = record["view"]
    image = record["image"]
    row.update(ok=True, view=view["name"], view_source=view["source"], view_confidence=view["confidence"],
               view_yaw_deg=view.get("yaw_deg"), view_contradiction=view.get("contradiction"), posture=view["posture"],
               image_width=image["original_width"], image_height=image["original_height"],
               warnings=list(record["warnings"]))
    setup = record.get("setup")
    if setup:
        row["setup_status"] = setup["status"]
        checks = [{k: c.get(k, "") for k in ("key", "label", "status", "reading", "fix")} for c in setup["checks"]]
        row["setup_checks"] = checks
        for c in checks:
            if c["key"] in SETUP_CHECKS:
                row[f"setup_{c['key']}"] = c["status"]
        cam = setup.get("camera") or {}
        row.update(camera_status=cam.get("status"), camera_roll_deg=cam.get("roll_deg"), camera_pitch_deg=cam.get("pitch_deg"),
                   camera_roll_sd_deg=cam.get("roll_sd_deg"), camera_pitch_sd_deg=cam.get("pitch_sd_deg"))
    for name, m in record["measures"].items():
        value, unc, reason = measure_columns(name)
        if value in row:  # a measure the table no longer has is not a column (schema stays fixed)
            row[value], row[unc], row[reason] = m["value"], m["uncertainty"], m["reason"]
    row["findings"] = [{"id": f["id"], "severity": f["severity"], "title": f["title"], "detail": f["detail"],
                        "measures": list(f["measures"])} for f in record["findings"]]
    return row


def error_kind(exc: BaseException) -> str:
    for cls, kind in _ERROR_KINDS:
        if isinstance(exc, cls):
            return kind
    return "unexpected"


def row_from_error(item: BatchItem, sha256: str | None, exc: BaseException, seconds: float) -> dict[str, Any]:
    """A failed photo's row: the failure's kind, exit code and one-line message."""
    row = _base(item, sha256, seconds)
    message = str(exc) if isinstance(exc, PostureError) else f"{type(exc).__name__}: {exc}"
    row.update(ok=False, error=error_kind(exc), exit_code=exc.exit_code if isinstance(exc, PostureError) else 1,
               error_message=" ".join(message.split()) or type(exc).__name__)
    return row


def row_from_crash(item: BatchItem, detail: str) -> dict[str, Any]:
    """A photo whose worker process died while assessing it (twice: it is retried once)."""
    row = _base(item, file_sha256(item.path), 0.0)
    row.update(ok=False, error=WORKER_CRASHED, exit_code=1, error_message=f"the worker assessing this photo died: {detail}")
    return row


def to_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)
