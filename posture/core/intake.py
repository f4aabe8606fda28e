"""The client's intake answers: pain by area (0-10) and a few free-text questions.

A plain record kept in the core so the store can save it and the reports can show it
without either depending on the other. Every text field is user text: whoever shows it
escapes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The areas the intake form offers; the body chart draws all but "other".
PAIN_AREAS = (
    "neck", "upper back", "lower back", "shoulders", "hips", "knees", "jaw/TMJ", "headaches",
    "wrists/hands", "calves", "feet", "other",
)


@dataclass(frozen=True)
class Intake:
    """Optional intake answers; every text field is user text and is escaped on output."""

    pain: dict[str, int | None] = field(default_factory=dict)  # area -> 0..10, None: not rated
    duration: str = ""
    activities: str = ""
    work_setup: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        for area, level in self.pain.items():
            if level is not None and not 0 <= int(level) <= 10:
                raise ValueError(f"pain level for {area} must be 0-10, got {level}")

    @property
    def empty(self) -> bool:
        return not (self.pain or self.duration or self.activities or self.work_setup or self.notes)

    def to_dict(self) -> dict[str, object]:
        return {
            "pain": dict(self.pain),
            "duration": self.duration,
            "activities": self.activities,
            "work_setup": self.work_setup,
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Intake:
        pain = data.get("pain") or {}
        if not isinstance(pain, dict):
            raise ValueError("intake 'pain' must map areas to levels 0-10")
        return cls(
            pain={str(k): None if v is None else int(v) for k, v in pain.items()},
            duration=str(data.get("duration", "")),
            activities=str(data.get("activities", "")),
            work_setup=str(data.get("work_setup", "")),
            notes=str(data.get("notes", "")),
        )
