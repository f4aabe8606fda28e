"""The camera model: its roll, pitch and focal length relative to gravity, and levelling.

`CameraTilt` is what is known of one photo's camera, measured from the scene's lines
(`scene.py`), read from the device's own motion sensor (`device.py`), stated by the user (a
tripod's spirit level) or unknown; this module holds
that record, the focal length from EXIF, the angle conventions, and the homography that
levels a photo's points.

Conventions
-----------
- Image pixels: x right, y down. Camera frame (OpenCV): x right, y down, z forward.
  ``K = [[f, 0, cx], [0, f, cy], [0, 0, 1]]``, principal point at the image centre unless given.
- ``up_cam``: the unit gravity-up direction in camera coordinates; ``(0, -1, 0)`` for a level camera.
  Its sign is chosen so that it points to image-up (``up_cam[1] < 0``).
- ``roll_deg = degrees(atan2(up_cam[0], -up_cam[1]))``: positive when the top of a true vertical
  leans toward image right (the scene's verticals appear turned clockwise).
- ``pitch_deg = degrees(asin(-up_cam[2]))``: positive when the camera looks down (its verticals then
  converge below the photo).
- With a calibration ``x_cam = R @ X + t`` and world z up, ``up_cam = R @ (0, 0, 1)``.
- The vertical VP is ``K @ up_cam`` (homogeneous); its third coordinate is 0 when the camera's
  pitch is 0 (verticals parallel in the photo: the VP is at infinity).

"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Box = tuple[float, float, float, float]
"""(x0, y0, x1, y1) in pixels of the photo."""

FloatArray = npt.NDArray[np.float64]

#: Long side (px) of the grey copy the lines are detected on (speed; lines are fitted sub-pixel).
#: Relative SD of the focal length by its source.
FOCAL_REL_SD: Mapping[str, float] = {"default": 0.15, "exif": 0.03, "given": 0.03}
#: Default focal length, 35 mm-equivalent: diagonal field of view about 75 deg, typical of
#: phone main cameras and webcams.
DEFAULT_FOCAL_35MM = 28.0
#: Diagonal of a 36 x 24 mm frame, in mm.
FULL_FRAME_DIAGONAL_MM = 43.27

UNKNOWN_REASON = "no reliable vertical lines in the scene (plain backdrop?): camera level unknown"

EXIF_IFD = 0x8769
TAG_FOCAL_LENGTH = 0x920A
TAG_FOCAL_LENGTH_35MM = 0xA405


@dataclass(frozen=True)
class LineSegment:
    """A straight segment in photo pixels."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def length(self) -> float:
        return math.hypot(self.x1 - self.x0, self.y1 - self.y0)


@dataclass(frozen=True)
class CameraTilt:
    """The camera's roll and pitch relative to gravity (see the module conventions).

    ``status``: ``measured`` from the scene's lines, ``device``: measured by the tablet's or
    phone's motion sensor at the shot, ``stated`` by the user (e.g. a levelled tripod), or
    ``unknown`` (then ``reason`` says why and the angles are None).
    ``lines``: the segments that supported the vertical VP (empty unless measured).
    ``image_size``: (width, height) of the photo the tilt belongs to.
    """

    status: Literal["measured", "device", "stated", "unknown"]
    roll_deg: float | None
    pitch_deg: float | None
    roll_sd_deg: float | None
    pitch_sd_deg: float | None
    focal_px: float
    focal_source: str
    principal_point: tuple[float, float]
    lines: tuple[LineSegment, ...]
    vanishing_point: tuple[float, float, float] | None
    reason: str
    image_size: tuple[int, int]

    @property
    def unknown_text(self) -> str:
        """'camera level unknown: <why>', the one wording of an unknown level everywhere."""
        why = self.reason.removesuffix(": camera level unknown") or "no reliable vertical lines in the scene"
        return f"camera level unknown: {why}"

    def roll_text(self, with_sd: bool = True) -> str:
        """The roll signed with a true minus, and its SD: "−1.2° ± 0.4°", the one wording of a
        camera's roll everywhere ("" when unknown)."""
        if self.roll_deg is None:
            return ""
        text = f"{self.roll_deg:+.1f}°".replace("-", "−")
        return f"{text} ± {self.roll_sd_deg or 0.0:.1f}°" if with_sd else text

    @property
    def known(self) -> bool:
        return self.status != "unknown" and self.roll_deg is not None and self.pitch_deg is not None

    @property
    def up_cam(self) -> tuple[float, float, float] | None:
        """Unit gravity-up in camera coordinates, or None when unknown."""
        if self.roll_deg is None or self.pitch_deg is None:
            return None
        u = up_from_angles(self.roll_deg, self.pitch_deg)
        return float(u[0]), float(u[1]), float(u[2])

    def to_dict(self) -> dict[str, Any]:
        def r(v: float | None, nd: int) -> float | None:
            return None if v is None else round(float(v), nd)

        vp = None
        if self.vanishing_point is not None:
            a = np.asarray(self.vanishing_point, dtype=float)
            a = a / np.linalg.norm(a)
            vp = [round(float(c), 6) for c in a]
        return {
            "status": self.status,
            "roll_deg": r(self.roll_deg, 2),
            "pitch_deg": r(self.pitch_deg, 2),
            "roll_sd_deg": r(self.roll_sd_deg, 2),
            "pitch_sd_deg": r(self.pitch_sd_deg, 2),
            "focal_px": round(self.focal_px, 1),
            "focal_source": self.focal_source,
            "principal_point": [round(self.principal_point[0], 1), round(self.principal_point[1], 1)],
            "image_size": list(self.image_size),
            "line_count": len(self.lines),
            "vanishing_point": vp,
            "reason": self.reason,
        }


# --------------------------------------------------------------------------- focal length


def default_focal_px(width: int, height: int) -> float:
    """Focal length in pixels of a 28 mm-equivalent lens (the documented default)."""
    return DEFAULT_FOCAL_35MM * math.hypot(width, height) / FULL_FRAME_DIAGONAL_MM


def focal_px_from_exif(
    exif_35mm_equiv: float | None,
    focal_mm: float | None,
    sensor_width_mm: float | None,
    width: int,
    height: int,
) -> tuple[float, str]:
    """Focal length in pixels and its source ("exif" or "default").

    The 35 mm-equivalent focal length is defined on the diagonal (43.27 mm), so
    ``f_px = f35 * diagonal_px / 43.27`` whatever the aspect ratio. A physical focal length
    needs the sensor width, taken as the sensor's long side (the photo's long side).
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    if exif_35mm_equiv is not None and math.isfinite(exif_35mm_equiv) and exif_35mm_equiv > 0:
        return exif_35mm_equiv * math.hypot(width, height) / FULL_FRAME_DIAGONAL_MM, "exif"
    if focal_mm is not None and sensor_width_mm is not None and focal_mm > 0 and sensor_width_mm > 0 and math.isfinite(focal_mm * sensor_width_mm):
        return focal_mm / sensor_width_mm * max(width, height), "exif"
    return default_focal_px(width, height), "default"


def _rational_to_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, tuple) and len(value) == 2:  # old-style (numerator, denominator)
        num, den = value
        try:
            return float(num) / float(den) if float(den) else None
        except (TypeError, ValueError):
            return None
    try:
        out = float(value)  # type: ignore[arg-type]  # IFDRational, int, float
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return out if math.isfinite(out) and out > 0 else None


def exif_focal_tags(exif: Mapping[int, Any]) -> tuple[float | None, float | None]:
    """(FocalLengthIn35mmFilm, FocalLength in mm) from a PIL ``Image.Exif`` (or a plain dict).

    The tags live in the Exif sub-IFD (0x8769); a plain dict may hold them at the top level.
    Missing, zero or malformed values give None.
    """
    sub: Mapping[int, Any] = {}
    get_ifd = getattr(exif, "get_ifd", None)
    if callable(get_ifd):
        sub = get_ifd(EXIF_IFD) or {}
    elif isinstance(exif.get(EXIF_IFD), Mapping):
        sub = exif[EXIF_IFD]

    def tag(t: int) -> float | None:
        return _rational_to_float(sub.get(t, exif.get(t)))

    return tag(TAG_FOCAL_LENGTH_35MM), tag(TAG_FOCAL_LENGTH)


# --------------------------------------------------------------------------- angles


def angles_from_up(up: Sequence[float] | FloatArray) -> tuple[float, float]:
    """(roll_deg, pitch_deg) of a gravity-up vector in camera coordinates (any length)."""
    u = np.asarray(up, dtype=float)
    u = u / np.linalg.norm(u)
    roll = math.degrees(math.atan2(u[0], -u[1]))
    pitch = math.degrees(math.asin(float(np.clip(-u[2], -1.0, 1.0))))
    return roll, pitch


def up_from_angles(roll_deg: float, pitch_deg: float) -> FloatArray:
    """The unit gravity-up vector with this roll and pitch (inverse of `angles_from_up`)."""
    r, p = math.radians(roll_deg), math.radians(pitch_deg)
    return np.array([math.sin(r) * math.cos(p), -math.cos(r) * math.cos(p), -math.sin(p)])


def camera_matrix(focal_px: float, principal_point: tuple[float, float]) -> FloatArray:
    cx, cy = principal_point
    return np.array([[focal_px, 0.0, cx], [0.0, focal_px, cy], [0.0, 0.0, 1.0]])


def stated_camera(
    roll_deg: float,
    pitch_deg: float = 0.0,
    sd_deg: float = 0.5,
    *,
    width: int,
    height: int,
    focal_px: float | None = None,
    principal_point: tuple[float, float] | None = None,
    reason: str = "camera set-up stated by the user",
) -> CameraTilt:
    """A camera tilt the user states (e.g. "levelled on a tripod": roll 0, pitch 0)."""
    if not (math.isfinite(roll_deg) and -90.0 < roll_deg < 90.0):
        raise ValueError(f"stated roll must be between -90 and 90 degrees, got {roll_deg}")
    if not (math.isfinite(pitch_deg) and -90.0 < pitch_deg < 90.0):
        raise ValueError(f"stated pitch must be between -90 and 90 degrees, got {pitch_deg}")
    if not (math.isfinite(sd_deg) and sd_deg > 0):
        raise ValueError(f"stated uncertainty must be a positive number of degrees, got {sd_deg}")
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    focal, source = (default_focal_px(width, height), "default") if focal_px is None else (float(focal_px), "given")
    pp = principal_point if principal_point is not None else ((width - 1) / 2.0, (height - 1) / 2.0)
    up = up_from_angles(roll_deg, pitch_deg)
    vp = camera_matrix(focal, pp) @ up
    return CameraTilt(
        status="stated",
        roll_deg=float(roll_deg),
        pitch_deg=float(pitch_deg),
        roll_sd_deg=float(sd_deg),
        pitch_sd_deg=float(sd_deg),
        focal_px=focal,
        focal_source=source,
        principal_point=(float(pp[0]), float(pp[1])),
        lines=(),
        vanishing_point=(float(vp[0]), float(vp[1]), float(vp[2])),
        reason=reason,
        image_size=(int(width), int(height)),
    )


def device_camera(roll_deg: float, pitch_deg: float, roll_sd_deg: float, pitch_sd_deg: float, *, width: int,
                  height: int, focal_px: float | None = None, samples: int = 1) -> CameraTilt:
    """The level the device's motion sensor measured at the shot (status ``device``), with
    its SDs; levelled on exactly like a level measured from the scene."""
    if not (math.isfinite(roll_sd_deg) and roll_sd_deg > 0 and math.isfinite(pitch_sd_deg) and pitch_sd_deg > 0):
        raise ValueError(f"device level SDs must be positive, got {roll_sd_deg}, {pitch_sd_deg}")
    reading = "reading" if samples == 1 else "readings"
    tilt = stated_camera(roll_deg, pitch_deg, roll_sd_deg, width=width, height=height, focal_px=focal_px,
                         reason=f"from the device's motion sensor ({samples} {reading} in the last half second)")
    return replace(tilt, status="device", pitch_sd_deg=float(pitch_sd_deg))


# --------------------------------------------------------------------------- levelling


def leveling_rotation(up_cam: Sequence[float] | FloatArray) -> FloatArray:
    """The rotation R with ``R @ up_cam = (0, -1, 0)``: first about the optical axis (z), which
    removes the roll, then about the camera's x axis, which removes the pitch.

    This order keeps the camera's heading: the levelled camera looks along the horizontal
    projection of the original viewing direction.
    """
    u = np.asarray(up_cam, dtype=float)
    u = u / np.linalg.norm(u)
    roll = math.atan2(u[0], -u[1])
    c, s = math.cos(roll), math.sin(roll)
    rz = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # turns u into the y-z plane, y < 0
    v = rz @ u
    pitch = math.atan2(-v[2], -v[1])  # = asin(-u_z)
    cp, sp = math.cos(pitch), math.sin(pitch)
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cp, sp], [0.0, -sp, cp]])  # turns v onto (0, -1, 0)
    return np.asarray(rx @ rz, dtype=np.float64)


def leveling_homography(tilt: CameraTilt, width: int, height: int) -> FloatArray:
    """3x3 homography from the photo's pixels to a virtual camera with the same K, levelled.

    ``H = K @ R_level @ K^-1`` (see `leveling_rotation`). In the levelled view every true
    vertical is an image vertical and the horizon is the row ``y = cy``. `width` x `height`
    is the image the homography is for: when it is a scaled copy of the photo the tilt was
    measured on, K is scaled with it.
    """
    if not tilt.known or tilt.roll_deg is None or tilt.pitch_deg is None:
        raise ValueError(f"cannot level a photo whose camera tilt is unknown ({tilt.reason})")
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    w0, h0 = tilt.image_size
    sx, sy = width / w0, height / h0
    if abs(sx - sy) > 0.01 * max(sx, sy):
        raise ValueError(f"image {width}x{height} is not a scaled copy of the {w0}x{h0} photo the tilt was measured on")
    cx, cy = tilt.principal_point
    # Pixel centres scale about -0.5 (as in cv2.resize).
    k = camera_matrix(tilt.focal_px * sx, ((cx + 0.5) * sx - 0.5, (cy + 0.5) * sy - 0.5))
    r = leveling_rotation(up_from_angles(tilt.roll_deg, tilt.pitch_deg))
    h = k @ r @ np.linalg.inv(k)
    return np.asarray(h / h[2, 2], dtype=np.float64)


def level_points(xy: npt.ArrayLike, homography: npt.ArrayLike) -> FloatArray:
    """Map (N, 2) pixel points through a 3x3 homography (e.g. `leveling_homography`)."""
    pts = np.asarray(xy, dtype=float)
    hmat = np.asarray(homography, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {pts.shape}")
    if hmat.shape != (3, 3):
        raise ValueError(f"homography must be 3x3, got {hmat.shape}")
    p = np.hstack([pts, np.ones((len(pts), 1))]) @ hmat.T
    return np.asarray(p[:, :2] / p[:, 2:3], dtype=np.float64)
