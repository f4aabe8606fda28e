"""The pre-session summary for the therapist: one session's photos with the intake.

The model only; its words shared by every format are in `summary_text.py`, and it is
written as Markdown (`markdown.py`), self-contained HTML (`html.py`) and PDF (`pdf.py`).

One page first: who and when (client, date, age, height), the intake at a glance with a
body chart of the pain areas, the set-up quality of each photo, then the findings merged
across the photos and grouped by body region (`regions.py`), each with the areas to
consider. Then each photo, annotated, with its measures in plain words; then what the
measures mean and the limits of the method. "Screening aid, not a diagnosis" is said once.

No maths here: everything comes from Assessments, and every value is written by the one
formatter (`posture.core.measuring.formatting`). Any text a user typed (client name, intake answers)
is escaped: HTML-escaped in HTML, stripped of Markdown/HTML meaning in Markdown, drawn as
plain text in the PDF.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from posture.core.assessment import Assessment
from posture.core.intake import Intake
from posture.core.measuring.findings import Threshold, load_thresholds
from posture.report.regions import RegionGroup, merge


@dataclass(frozen=True)
class Summary:
    """One session: several photos of the same client, with optional intake.

    `birth_date` (YYYY-MM-DD) and `height_cm` come from the client's record; the age is
    worked out on the session's date."""

    assessments: list[Assessment]
    client: str = ""
    intake: Intake = field(default_factory=Intake)
    annotated_jpegs: list[bytes | None] = field(default_factory=list)
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    changes_text: list[str] = field(default_factory=list)
    birth_date: str | None = None
    height_cm: float | None = None
    #: How far the back photo's background is turned from the front photo's, measured from the
    #: photos (`pair.camera_turn`); None: not measured (the camera is assumed untouched).
    camera_turn_deg: float | None = None
    #: The cut-offs the findings were graded with (for "likely from ..." per measure).
    thresholds: dict[str, Threshold] = field(default_factory=load_thresholds, repr=False, compare=False)

    def regions(self) -> list[RegionGroup]:
        """Findings merged across photos, grouped by region (head and neck ... knees)."""
        return merge(self.assessments)

    def areas(self) -> list[str]:
        """Every area to consider, each once, in the order the findings are read."""
        return [x for g in self.regions() for m in g.findings for x in m.areas]

    def annotated_jpeg(self, i: int) -> bytes | None:
        """Photo i annotated, as JPEG; None when it was not drawn (fewer images than photos)."""
        return self.annotated_jpegs[i] if i < len(self.annotated_jpegs) else None

    @property
    def age(self) -> int | None:
        """Whole years on the session's date; None without a readable date of birth."""
        try:
            born = dt.date.fromisoformat(self.birth_date or "")
        except ValueError:
            return None
        day = self.created.date()
        years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        return years if years >= 0 else None

    def to_json(self) -> str:
        """The export: client pseudonym and date with the intake and every assessment."""
        return json.dumps({
            "client": self.client,
            "date": f"{self.created:%Y-%m-%d}",
            "created": self.created.isoformat(),
            "age": self.age,
            "height_cm": self.height_cm,
            "intake": self.intake.to_dict(),
            "assessments": [a.to_dict() for a in self.assessments],
        }, indent=2, ensure_ascii=False)
