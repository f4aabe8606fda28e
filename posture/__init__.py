"""Posture assessment from photos with MediaPipe BlazePose: landmarks, measures, findings.

Findings are screening aids for a therapist, never a diagnosis.

The names below are imported on first use (PEP 562), so that `posture --help` and the
commands that need no pose model do not load NumPy, OpenCV and MediaPipe.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from posture.core.assessment import SCHEMA_VERSION, Assessment, ImageInfo, assess
    from posture.core.body.landmarks import Landmark, PoseLandmarks
    from posture.core.body.views import Posture, View, ViewName
    from posture.core.errors import (
        ConfigError,
        ImageReadError,
        ImageTooLargeError,
        ModelError,
        NoPersonError,
        PostureError,
        StorageError,
        UsageError,
    )
    from posture.core.measuring.findings import Finding, Severity, load_thresholds
    from posture.core.measuring.measures import MEASURES, Measure, MeasureSpec

__version__ = "0.1.0"

#: Each public name and the module it lives in.
_HOMES = {
    **dict.fromkeys(("SCHEMA_VERSION", "Assessment", "ImageInfo", "assess"), "posture.core.assessment"),
    **dict.fromkeys(("Landmark", "PoseLandmarks"), "posture.core.body.landmarks"),
    **dict.fromkeys(("Posture", "View", "ViewName"), "posture.core.body.views"),
    **dict.fromkeys(("ConfigError", "ImageReadError", "ImageTooLargeError", "ModelError", "NoPersonError",
                     "PostureError", "StorageError", "UsageError"), "posture.core.errors"),
    **dict.fromkeys(("Finding", "Severity", "load_thresholds"), "posture.core.measuring.findings"),
    **dict.fromkeys(("MEASURES", "Measure", "MeasureSpec"), "posture.core.measuring.measures"),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'posture' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next access is a plain attribute
    return value


__all__ = [
    "MEASURES",
    "SCHEMA_VERSION",
    "Assessment",
    "ConfigError",
    "Finding",
    "ImageInfo",
    "ImageReadError",
    "ImageTooLargeError",
    "Landmark",
    "Measure",
    "MeasureSpec",
    "ModelError",
    "NoPersonError",
    "Posture",
    "PoseLandmarks",
    "PostureError",
    "Severity",
    "StorageError",
    "UsageError",
    "View",
    "ViewName",
    "__version__",
    "assess",
    "load_thresholds",
]
