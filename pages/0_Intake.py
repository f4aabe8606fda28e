"""Intake assessment (therapist): client, intake form, front/side/back photos, findings,
pre-session summary, saved locally. Thin shell: all work is in the `posture` package.

Every widget of the assessment is keyed with `form_key`/`field` (posture.ui): a client
switch or "New assessment" starts a clean form, and `field` values are kept in the draft.
"""

from __future__ import annotations

import hashlib
import json

import streamlit as st

from posture.errors import PostureError
from posture.report import DISCLAIMER, PAIN_AREAS, Intake, Summary, md_escape, to_html, to_markdown, to_pdf
from posture.store import NewPhoto
from posture.ui import (
    assess_bytes,
    assessment_header,
    client_picker,
    field,
    follow_client,
    form_key,
    get_store,
    keep_draft,
    mark_saved,
    restored_photo,
    show_assessed,
    show_flash,
    webcam_burst,
)
from posture.workflows import DraftPhoto, change_lines

st.set_page_config(page_title="Posture intake", layout="wide")

VIEWS = (("front", "Front"), ("side", "Side"), ("back", "Back (optional)"))
MAX_SHOTS = 5
NOT_RATED = "not rated"
PAIN_LEVELS = (NOT_RATED, *range(11))


def intake_form() -> Intake:
    """The intake answers; nothing the therapist did not touch is recorded as an answer."""
    st.subheader("1. Intake")
    c1, c2 = st.columns(2)
    with c1:
        areas = st.multiselect("Where does it hurt?", PAIN_AREAS, key=field("pain_areas"))
        levels = {area: st.select_slider(f"{area}: pain 0–10", PAIN_LEVELS, key=field(f"pain_{area}"))
                  for area in areas}
        duration = st.text_input("How long has it hurt?", key=field("duration"))
    with c2:
        activities = st.text_area("Recent usual or unusual activities (last week or so)", key=field("activities"))
        hours = st.number_input("Desk hours per day", 0.0, 24.0, None, 0.5, key=field("desk_hours"))
        mostly = st.radio("At work mostly", ("sitting", "standing", "mixed"), index=None, horizontal=True,
                          key=field("work_mostly"))
        notes = st.text_area("Notes", key=field("notes"))
    work = [f"{hours:g} desk hours/day" if hours is not None else "", f"mostly {mostly}" if mostly else ""]
    pain = {area: None if level == NOT_RATED else int(level) for area, level in levels.items()}
    return Intake(pain=pain, duration=duration, activities=activities, work_setup=", ".join(filter(None, work)),
                  notes=notes)


def capture(view_key: str, label: str) -> DraftPhoto | None:
    """Upload a photo, take a webcam burst (5 frames in 0.2 s), or take webcam shots one by one.
    Several frames of one pose are combined. A photo restored from a draft counts until replaced."""
    source = st.radio(f"{label}: source", ("Upload", "Webcam burst", "Webcam shots"), horizontal=True,
                      key=field(f"src_{view_key}"))
    taken: DraftPhoto | None = None
    if source == "Upload":
        # No type filter here: a refused type would become a chip whose reason shows only on
        # hover, with the previous photo's results still on screen. Every file is read and a
        # refusal says why, in place of the results.
        f = st.file_uploader(f"{label} photo (JPEG, PNG, WebP or BMP)", key=form_key(f"up_{view_key}"))
        taken = DraftPhoto(f.name, (f.getvalue(),)) if f else None
    elif source == "Webcam burst":
        frames = webcam_burst(form_key(view_key))
        taken = DraftPhoto(f"{view_key}-burst.jpg", frames) if frames else None
    else:
        shots: list[bytes] = st.session_state.setdefault(form_key(f"shots_{view_key}"), [])
        shot = st.camera_input(f"{label}: take {MAX_SHOTS} shots without moving", key=form_key(f"cam_{view_key}"))
        if shot is not None and shot.getvalue() not in shots and len(shots) < MAX_SHOTS:
            shots.append(shot.getvalue())
        st.caption(f"{len(shots)} of up to {MAX_SHOTS} shots; they are combined to cut landmark noise.")
        if shots and st.button("Clear shots", key=form_key(f"clear_{view_key}")):
            shots.clear()
            st.rerun()
        taken = DraftPhoto(f"{view_key}-webcam.jpg", tuple(shots)) if shots else None
    return taken or restored_photo(view_key)


def main() -> None:
    st.title("Intake assessment")
    st.warning(DISCLAIMER, icon="⚠️")
    store = get_store()
    client = client_picker(store)
    follow_client(store, client)
    show_flash()
    assessment_header(store, client)
    if client is None:
        st.info("Pick or create a client in the sidebar to save assessments. For a quick desk check without an "
                "account, use **Self check**.")
    intake = intake_form()

    st.subheader("2. Photos")
    st.caption("Whole body in frame, camera level at about hip height, client standing relaxed.")
    height = client.height_cm if client else None
    results = []
    photos: dict[str, DraftPhoto] = {}
    for (view_key, label), tab in zip(VIEWS, st.tabs([lbl for _, lbl in VIEWS]), strict=True):
        with tab:
            photo = capture(view_key, label)
            if photo is None:
                continue
            photos[view_key] = photo
            view = st.selectbox("View (detected automatically; correct it if wrong)",
                                ("auto", "front", "back", "left", "right"), key=field(f"view_{view_key}"))
            try:
                with st.spinner(f"Assessing the {label.lower()} photo…"):
                    item = assess_bytes(photo.frames, photo.filename, view, height)
            except PostureError as exc:
                st.error(f"Not assessed: {md_escape(str(exc))}")
                continue
            results.append(item)
            show_assessed(item)
    digest = keep_draft(store, client, photos)

    if not results:
        return
    past = store.sessions(client.id) if client else []
    changes = change_lines([p.assessment for p in past[-1].photos], [r.assessment for r in results]) if past else []
    summary = Summary([r.assessment for r in results], client=client.name if client else "", intake=intake,
                      annotated_jpegs=[r.annotated_jpeg for r in results], changes_text=changes)

    st.subheader("3. Pre-session summary")
    # User text in it went through md_escape: shown exactly as typed, line breaks kept.
    st.markdown(to_markdown(summary).split("## Photo 1")[0])
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button("Download HTML", to_html(summary), "posture-summary.html", "text/html")
    c2.download_button("Download PDF", to_pdf(summary), "posture-summary.pdf", "application/pdf")
    c3.download_button("Download JSON", json.dumps({"intake": intake.to_dict(), "assessments": [r.assessment.to_dict() for r in results]}, indent=2),
                       "posture-assessment.json", "application/json")
    if client is not None:
        # Saving twice the same photos and intake (a rerun after the click) must not duplicate.
        signature = hashlib.sha256(f"{client.id}:{digest}".encode()).hexdigest()
        if st.session_state.get(form_key("saved")) == signature:
            c4.success("Saved")
        elif c4.button("Save assessment", type="primary", key=form_key("save")):
            try:
                sid = store.save_session(client.id, intake, [NewPhoto(r.photo_jpeg, r.filename, r.assessment) for r in results])
            except PostureError as exc:
                st.error(f"Not saved: {md_escape(str(exc))}")
            else:
                st.session_state[form_key("saved")] = signature
                mark_saved(digest)  # the store dropped the draft with the save
                st.success(f"Saved as session {sid} for {md_escape(client.name)}.")


main()
