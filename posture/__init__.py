"""Posture assessment from photos with MediaPipe BlazePose: landmarks, measures, findings.

Findings are screening aids for a therapist, never a diagnosis.
"""

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
