"""The intake page's "Try with sample photos": a whole intake without a camera.

The photos and the intake come from the project's `samples/` folder (real photos with their
licences, see samples/ATTRIBUTION.md). They are put into the form the way a restored draft's
are, so the page assesses them as it would any photo. Samples never belong to a client: the
button is offered only while no client is picked, and picking a client afterwards starts a
clean form, so a sample can never be saved into someone's file.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from posture.ui.assessment_form import field, form_key, start_new_assessment
from posture.ui.workflows import DraftPhoto, FieldValue

#: The repository's samples folder (the app runs from a checkout; without it there is no button).
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "samples"
#: The intake page's view keys and the sample photo for each.
SAMPLE_PHOTOS = {"front": "front.jpg", "side": "side.jpg", "back": "back.jpg"}
_LOADED = "samples_loaded"


def available(folder: Path = SAMPLES_DIR) -> bool:
    return all((folder / name).is_file() for name in (*SAMPLE_PHOTOS.values(), "intake.json"))


def sample_photos(folder: Path = SAMPLES_DIR) -> dict[str, DraftPhoto]:
    return {view: DraftPhoto(f"sample-{name}", ((folder / name).read_bytes(),)) for view, name in SAMPLE_PHOTOS.items()}


def intake_fields(folder: Path = SAMPLES_DIR) -> dict[str, FieldValue]:
    """samples/intake.json as the intake form's field values (see app_pages/0_Intake.py's
    `intake_form`): pain areas and their levels, duration, activities, desk hours, notes."""
    data = json.loads((folder / "intake.json").read_text(encoding="utf-8"))
    pain: dict[str, int | None] = data.get("pain", {})
    fields: dict[str, FieldValue] = {"pain_areas": list(pain)}
    fields.update({f"pain_{area}": "not rated" if level is None else int(level) for area, level in pain.items()})
    fields.update(duration=data.get("duration", ""), activities=data.get("activities", ""), notes=data.get("notes", ""),
                  desk_hours=8.0, work_mostly="sitting")
    return fields


def load_into_form(folder: Path = SAMPLES_DIR) -> None:
    """A fresh form holding the sample photos and intake (the page then assesses them)."""
    start_new_assessment()
    state = st.session_state
    for name, value in intake_fields(folder).items():
        state[field(name)] = value
    for view, photo in sample_photos(folder).items():
        state[form_key(f"restored_{view}")] = photo
    state[form_key(_LOADED)] = True


def loaded() -> bool:
    return bool(st.session_state.get(form_key(_LOADED)))


def leave_samples_for(client_id: int | None) -> None:
    """Picking a client clears a form that holds the samples: they are not the client's."""
    if client_id is not None and loaded():
        start_new_assessment()


def sample_button() -> None:
    """The button, with a line on what it does; nothing when the samples folder is missing."""
    if not available():
        return
    left, right = st.columns([1, 3], vertical_alignment="center")
    if left.button("Try with sample photos", key=form_key("try_samples")):
        load_into_form()
        st.rerun()
    right.caption("Fills this form with three real photos (front and back standing, side seated; three different people) "
                  "and a made-up intake, and runs the assessment. Nothing is saved.")
