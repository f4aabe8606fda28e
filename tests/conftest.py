from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


_CACHE: dict[tuple[str, str], object] = {}


@pytest.fixture(scope="session")
def assessed():
    """assess() each real photo once per test session (the model costs ~0.5 s a photo)."""
    from posture import assess

    def get(name: str, view: str = "auto"):
        key = (name, view)
        if key not in _CACHE:
            _CACHE[key] = assess(DATA / name, view=view)
        return _CACHE[key]

    return get


def synthetic_landmarks(points: dict, visibility: float = 1.0):
    """PoseLandmarks with the given points (Landmark -> (x, y)); the rest at (0, 0)."""
    from posture.landmarks import NUM_LANDMARKS, PoseLandmarks

    xy = np.zeros((NUM_LANDMARKS, 2))
    for lm, p in points.items():
        xy[int(lm)] = p
    return PoseLandmarks(xy, np.full(NUM_LANDMARKS, visibility))


def with_measures(a, **values):
    """A copy of assessment `a` with some measures replaced: name=(value, uncertainty)."""
    import dataclasses

    from posture.measures import Measure

    measures = dict(a.measures)
    for name, (value, uncertainty) in values.items():
        measures[name] = Measure(name, measures[name].unit, value, uncertainty, 0.9)
    return dataclasses.replace(a, measures=measures)
