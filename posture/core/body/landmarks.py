"""The 33 BlazePose landmarks and the `PoseLandmarks` container used downstream.

Nothing here knows about MediaPipe: the estimator adapts its output into these types.
Coordinates are pixels of the upright image: x to the right, y *down*.
LEFT/RIGHT are the *subject's* left and right, as in BlazePose.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: A landmark counts as seen at this BlazePose visibility or more (for a measure: the
#: consensus median over the augmented copies).
MIN_VISIBILITY = 0.5


class Landmark(IntEnum):
    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32

    @property
    def key(self) -> str:
        """Lower-case name used in JSON, e.g. ``left_shoulder``."""
        return self.name.lower()


NUM_LANDMARKS = len(Landmark)


def _mirror_index(lm: Landmark) -> Landmark:
    name = lm.name
    if name.startswith("LEFT_"):
        return Landmark[name.replace("LEFT_", "RIGHT_", 1)]
    if name.startswith("RIGHT_"):
        return Landmark[name.replace("RIGHT_", "LEFT_", 1)]
    if name == "MOUTH_LEFT":
        return Landmark.MOUTH_RIGHT
    if name == "MOUTH_RIGHT":
        return Landmark.MOUTH_LEFT
    return lm


#: Permutation that swaps every left landmark with its right twin.
LEFT_RIGHT_SWAP: tuple[int, ...] = tuple(int(_mirror_index(lm)) for lm in Landmark)

#: Skeleton edges for drawing.
SKELETON_EDGES: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_EAR, Landmark.LEFT_EYE),
    (Landmark.RIGHT_EAR, Landmark.RIGHT_EYE),
    (Landmark.LEFT_EYE, Landmark.NOSE),
    (Landmark.RIGHT_EYE, Landmark.NOSE),
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL),
    (Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL),
    (Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_FOOT_INDEX),
)


@dataclass(frozen=True)
class PoseLandmarks:
    """One person's landmarks in one image.

    xy: (33, 2) pixels, x right and y down.
    visibility: (33,) in [0, 1], BlazePose's estimate that the point is visible.
    world: (33, 3) metres, hip-centred, y down, z away from the camera; or None.
    """

    xy: FloatArray
    visibility: FloatArray
    world: FloatArray | None = None

    def __post_init__(self) -> None:
        xy = np.asarray(self.xy, dtype=np.float64)
        vis = np.asarray(self.visibility, dtype=np.float64)
        if xy.shape != (NUM_LANDMARKS, 2):
            raise ValueError(f"xy must have shape ({NUM_LANDMARKS}, 2), got {xy.shape}")
        if vis.shape != (NUM_LANDMARKS,):
            raise ValueError(f"visibility must have shape ({NUM_LANDMARKS},), got {vis.shape}")
        object.__setattr__(self, "xy", xy)
        object.__setattr__(self, "visibility", vis)
        if self.world is not None:
            world = np.asarray(self.world, dtype=np.float64)
            if world.shape != (NUM_LANDMARKS, 3):
                raise ValueError(f"world must have shape ({NUM_LANDMARKS}, 3), got {world.shape}")
            object.__setattr__(self, "world", world)

    def point(self, lm: Landmark) -> FloatArray:
        return self.xy[int(lm)]

    def middle(self, part: str) -> FloatArray:
        """The point half-way between the subject's left and right `part` ("ANKLE", "HIP")."""
        return np.asarray((self.xy[Landmark[f"LEFT_{part}"]] + self.xy[Landmark[f"RIGHT_{part}"]]) / 2,
                          dtype=np.float64)

    def head_to_feet_px(self) -> float:
        """How tall the body stands in the photo: nose to the lower ankle, in pixels."""
        ys = self.xy[[Landmark.NOSE, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE], 1]
        return float(ys.max() - ys.min())

    def swapped_left_right(self) -> PoseLandmarks:
        """Relabel: every left landmark becomes the right one and vice versa."""
        idx = list(LEFT_RIGHT_SWAP)
        world = None if self.world is None else self.world[idx]
        return PoseLandmarks(self.xy[idx], self.visibility[idx], world)

    def bbox(self, min_visibility: float = 0.0) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the landmarks at least this visible (all if none are)."""
        mask = self.visibility >= min_visibility
        pts = self.xy[mask] if mask.any() else self.xy
        return (
            float(pts[:, 0].min()),
            float(pts[:, 1].min()),
            float(pts[:, 0].max()),
            float(pts[:, 1].max()),
        )
