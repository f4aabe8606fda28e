"""The camera's level from the device that took the photo: a tablet's or phone's motion
sensor, read by the browser (`DeviceOrientationEvent`, or `devicemotion`'s gravity).

Pure: sensor readings in, the camera's roll and pitch (the conventions of `camera.py`) out.
The capture component (`posture/ui/device_camera/index.html`) mirrors `camera_angles` in
JavaScript for its live level; what is measured is computed here from its raw samples.

Axes
----
- Device (W3C): x to the right of the screen and y to its top, both in the device's natural
  (portrait for a phone) orientation; z out of the screen, toward the person holding it.
- ``DeviceOrientationEvent``: intrinsic Z-X'-Y'' angles alpha (about z), beta (about x,
  -180..180, 90 when upright in portrait), gamma (about y, -90..90, + when the right edge
  goes down). Gravity-up in device axes is ``(-cos b sin g, sin b, cos b cos g)``.
- ``devicemotion``'s ``accelerationIncludingGravity`` at rest is gravity-up (the reaction
  to gravity) in device axes, as the W3C specification and Android have it (older iOS
  reports it negated). The component uses it only where no orientation event carries
  angles, which iOS always sends once the level is allowed.
- The screen: ``screen.orientation.angle`` (0, 90, 180, 270) is how far the content is
  turned against the natural orientation; at 90 the device was turned a quarter
  counter-clockwise (landscape, its top to the left), so the screen's right is the device's
  -y and the screen's up its +x. The camera's picture is delivered upright on the screen, so
  its axes are the screen's.
- The camera: the rear ("environment") camera looks along -z: camera x = screen right,
  camera y = screen down, camera z = -z. The front ("user") camera looks along +z; its
  picture, unmirrored, has x = screen left.

Portrait, rear camera, held upright: beta 90, gamma 0 -> roll 0, pitch 0. Tipped back 10°
(top away from you, camera looking down): beta 80 -> pitch +10. Turned a little clockwise as
you look at the screen: the scene's verticals turn counter-clockwise in the picture ->
negative roll.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .camera import CameraTilt, angles_from_up, device_camera

Facing = Literal["environment", "user"]

#: How well a device's level is known beyond the scatter of its readings: phone and tablet
#: accelerometers give tilt to about a degree after factory calibration, and the camera
#: module sits in the body to a fraction of that. Added to the readings' SD in quadrature.
DEVICE_SD_FLOOR_DEG = 1.0
#: The readings averaged for one photo: those of the last half second before the shot.
WINDOW_S = 0.5
#: Past this the device is too close to flat (looking at the floor or the ceiling) for a
#: posture photo, and roll is ill-defined: no level.
MAX_PITCH_DEG = 60.0


@dataclass(frozen=True)
class OrientationSample:
    """One sensor reading: gravity-up in device axes (any length), the screen's angle, and
    the time in ms (the browser's `performance.now()`)."""

    up_device: tuple[float, float, float]
    screen_angle: int
    t_ms: float

    @classmethod
    def from_angles(cls, beta_deg: float, gamma_deg: float, screen_angle: int, t_ms: float = 0.0) -> OrientationSample:
        return cls(up_from_orientation(beta_deg, gamma_deg), screen_angle, t_ms)


@dataclass(frozen=True)
class DeviceLevel:
    """The camera's roll and pitch at the shot from the device's sensor: mean and SD of the
    readings of the last half second (`samples` of them), and which camera took it."""

    roll_deg: float
    pitch_deg: float
    roll_sd_deg: float
    pitch_sd_deg: float
    samples: int
    facing: Facing = "environment"

    def __post_init__(self) -> None:
        for name in ("roll_deg", "pitch_deg", "roll_sd_deg", "pitch_sd_deg"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"device level {name} must be a finite number, got {value}")
        if abs(self.roll_deg) >= 90.0 or abs(self.pitch_deg) > MAX_PITCH_DEG:
            raise ValueError(f"device level out of range: roll {self.roll_deg:.1f}°, pitch {self.pitch_deg:.1f}°")
        if self.roll_sd_deg < 0 or self.pitch_sd_deg < 0 or self.samples < 1:
            raise ValueError("device level needs at least one reading and non-negative SDs")

    def camera(self, width: int, height: int, focal_px: float | None = None) -> CameraTilt:
        """The photo's camera at this level; its SDs are the readings' scatter and the
        sensor's own calibration (`DEVICE_SD_FLOOR_DEG`) together."""
        return device_camera(self.roll_deg, self.pitch_deg, math.hypot(self.roll_sd_deg, DEVICE_SD_FLOOR_DEG),
                             math.hypot(self.pitch_sd_deg, DEVICE_SD_FLOOR_DEG), width=width, height=height,
                             focal_px=focal_px, samples=self.samples)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeviceLevel:
        """What `to_dict` wrote; ValueError for anything else."""
        try:
            facing: Facing = "user" if data.get("facing") == "user" else "environment"
            return cls(float(data["roll_deg"]), float(data["pitch_deg"]), float(data["roll_sd_deg"]),
                       float(data["pitch_sd_deg"]), int(data["samples"]), facing)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a device level ({exc})") from None

    def to_dict(self) -> dict[str, object]:
        return {"roll_deg": round(self.roll_deg, 2), "pitch_deg": round(self.pitch_deg, 2),
                "roll_sd_deg": round(self.roll_sd_deg, 2), "pitch_sd_deg": round(self.pitch_sd_deg, 2),
                "samples": self.samples, "facing": self.facing}


def up_from_orientation(beta_deg: float, gamma_deg: float) -> tuple[float, float, float]:
    """Gravity-up in device axes from `DeviceOrientationEvent`'s beta and gamma (alpha, the
    heading, does not move gravity)."""
    b, g = math.radians(beta_deg), math.radians(gamma_deg)
    return (-math.cos(b) * math.sin(g), math.sin(b), math.cos(b) * math.cos(g))


def _screen_axes(screen_angle: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """The screen's right and up in device (x, y) for a content angle of 0, 90, 180 or 270."""
    if screen_angle % 90:
        raise ValueError(f"screen orientation angle must be 0, 90, 180 or 270, got {screen_angle}")
    a = math.radians(screen_angle % 360)
    c, s = round(math.cos(a)), round(math.sin(a))
    return (c, -s), (s, c)


def up_in_camera(up_device: Sequence[float], screen_angle: int, facing: Facing = "environment") -> tuple[float, float, float]:
    """Gravity-up in the camera's axes (x right, y down, z forward in the picture)."""
    ux, uy, uz = (float(v) for v in up_device)
    (rx, ry), (vx, vy) = _screen_axes(screen_angle)
    right, up = rx * ux + ry * uy, vx * ux + vy * uy
    if facing == "user":
        return (-right, -up, uz)
    return (right, -up, -uz)


def camera_angles(up_device: Sequence[float], screen_angle: int, facing: Facing = "environment") -> tuple[float, float]:
    """(roll_deg, pitch_deg) of the camera, the conventions of `camera.py`."""
    return angles_from_up(up_in_camera(up_device, screen_angle, facing))


def level_at_shot(samples: Sequence[OrientationSample], shot_ms: float, facing: Facing = "environment",
                  window_s: float = WINDOW_S) -> DeviceLevel | None:
    """The camera's level at the shot: mean and SD of the readings of the `window_s` before
    `shot_ms` (the last reading alone if none is that recent). None without readings or when
    the device is near flat (no level a posture photo could use)."""
    usable = [s for s in samples if s.t_ms <= shot_ms and any(s.up_device)]
    if not usable:
        return None
    recent = [s for s in usable if s.t_ms >= shot_ms - 1000.0 * window_s] or usable[-1:]
    angles = np.array([camera_angles(s.up_device, s.screen_angle, facing) for s in recent])
    roll, pitch = angles.mean(axis=0)
    if abs(pitch) > MAX_PITCH_DEG:
        return None
    sd = angles.std(axis=0, ddof=1) if len(angles) > 1 else np.zeros(2)
    return DeviceLevel(float(roll), float(pitch), float(sd[0]), float(sd[1]), len(recent), facing)
