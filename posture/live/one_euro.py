"""Signal filtering for the live monitor: the One-Euro filter that smooths landmarks
from frame to frame (Casiez, Roussel & Vogel, CHI 2012). Pure arithmetic, no state of
posture and no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class OneEuroParams:
    """Casiez, Roussel & Vogel (CHI 2012). Cut-offs in Hz; `beta` scales with speed in
    body-sizes per second (landmarks are filtered in units of the person's torso length,
    so the same parameters suit any camera distance).

    Defaults: 1.0 Hz removes the model's frame-to-frame jitter at rest; beta 0.5 opens the
    filter on real movement, keeping lag to about a frame at 30 fps.
    """

    min_cutoff: float = 1.0
    beta: float = 0.5
    d_cutoff: float = 1.0


def _alpha(cutoff: float | FloatArray, dt: float) -> float | FloatArray:
    """The smoothing factor of a first-order low-pass filter at `cutoff` Hz for a step of `dt` s."""
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Vectorised One-Euro filter over an array of any shape."""

    def __init__(self, params: OneEuroParams = OneEuroParams()) -> None:
        self.params = params
        self._x: FloatArray | None = None
        self._dx: FloatArray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        self._x = self._dx = None
        self._t = None

    def __call__(self, x: FloatArray, t: float, speed_unit: float = 1.0) -> FloatArray:
        """Filtered `x` at time `t`; speeds are divided by `speed_unit` before `beta` applies."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or t <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        p = self.params
        assert self._dx is not None  # set together with self._x
        dx = (x - self._x) / dt
        a_d = _alpha(p.d_cutoff, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        # The cut-off opens with speed: little lag on real movement, strong smoothing at rest.
        a = _alpha(p.min_cutoff + p.beta * np.abs(self._dx) / speed_unit, dt)
        self._x = a * x + (1 - a) * self._x
        self._t = t
        return self._x.copy()
