"""Intake assessment (therapist): client, intake form, front/side/back photos, findings,
pre-session summary, saved locally. Thin shell: all work is in the `posture` package.

Run with `make run`. Nothing leaves this machine: the model runs locally, usage statistics
are off (.streamlit/config.toml), data is stored in POSTURE_DATA_DIR (default ~/.posture).
"""

from __future__ import annotations

import hashlib
import json

import streamlit as st

from posture.errors import PostureError
from posture.report import DISCLAIMER, PAIN_AREAS, Intake, Summary, to_html, to_markdown, to_pdf
from posture.store import NewPhoto
from posture.ui import assess_bytes, client_picker, get_store, show_assessed, webcam_burst
from posture.workflows import change_lines

st.set_page_config(page_title="Posture intake", layout="wide")

VIEWS = (("front", "Front"), ("side", "Side"), ("back", "Back (optional)"))
MAX_SHOTS = 5


def intake_form() -> Intake:
    st.subheader("1. Intake")
    c1, c2 = st.columns(2)
    with c1:
        areas = st.multiselect("Where does it hurt?", PAIN_AREAS, key="pain_areas")
        pain = {area: st.slider(f"{area}: pain 0–10", 0, 10, 3, key=f"pain_{area}") for area in areas}
        duration = st.text_input("How long has it hurt?", key="duration")
    with c2:
        activities = st.text_area("Recent usual or unusual activities (last week or so)", key="activities")
        hours = st.number_input("Desk hours per day", 0.0, 24.0, 0.0, 0.5, key="desk_hours")
        mostly = st.radio("At work mostly", ("sitting", "standing", "mixed"), horizontal=True, key="work_mostly")
        notes = st.text_area("Notes", key="notes")
    work = f"{hours:g} desk hours/day, mostly {mostly}" if hours else f"mostly {mostly}"
    return Intake(pain=pain, duration=duration, activities=activities, work_setup=work, notes=notes)


def capture(view_key: str, label: str) -> tuple[tuple[bytes, ...], str] | None:
    """Upload a photo, take a webcam burst (5 frames in 0.2 s), or take webcam shots one by one.
    Several frames of one pose are combined."""
    source = st.radio(f"{label}: source", ("Upload", "Webcam burst", "Webcam shots"), horizontal=True,
                      key=f"src_{view_key}")
    if source == "Upload":
        f = st.file_uploader(f"{label} photo", type=["jpg", "jpeg", "png", "webp", "bmp"], key=f"up_{view_key}")
        return ((f.getvalue(),), f.name) if f else None
    if source == "Webcam burst":
        frames = webcam_burst(view_key)
        return (frames, f"{view_key}-burst.jpg") if frames else None
    shots: list[bytes] = st.session_state.setdefault(f"shots_{view_key}", [])
    shot = st.camera_input(f"{label}: take {MAX_SHOTS} shots without moving", key=f"cam_{view_key}")
    if shot is not None and shot.getvalue() not in shots and len(shots) < MAX_SHOTS:
        shots.append(shot.getvalue())
    st.caption(f"{len(shots)} of up to {MAX_SHOTS} shots; they are combined to cut landmark noise.")
    if shots and st.button("Clear shots", key=f"clear_{view_key}"):
        shots.clear()
        st.rerun()
    return (tuple(shots), f"{view_key}-webcam.jpg") if shots else None


def main() -> None:
    st.title("Intake assessment")
    st.warning(DISCLAIMER, icon="⚠️")
    store = get_store()
    client = client_picker(store)
    if client is None:
        st.info("Pick or create a client in the sidebar to save assessments. For a quick desk check without an "
                "account, use **Self check**.")
    intake = intake_form()

    st.subheader("2. Photos")
    st.caption("Whole body in frame, camera level at about hip height, client standing relaxed.")
    height = client.height_cm if client else None
    results = []
    for (view_key, label), tab in zip(VIEWS, st.tabs([lbl for _, lbl in VIEWS])):
        with tab:
            captured = capture(view_key, label)
            if captured is None:
                continue
            frames, name = captured
            view = st.selectbox("View (detected automatically; correct it if wrong)",
                                ("auto", "front", "back", "left", "right"), key=f"view_{view_key}")
            try:
                with st.spinner(f"Assessing the {label.lower()} photo…"):
                    item = assess_bytes(frames, name, view, height)
            except PostureError as exc:
                st.error(str(exc))  # the message already names the file
                continue
            results.append(item)
            show_assessed(item)

    if not results:
        return
    past = store.sessions(client.id) if client else []
    changes = change_lines([p.assessment for p in past[-1].photos], [r.assessment for r in results]) if past else []
    summary = Summary([r.assessment for r in results], client=client.name if client else "", intake=intake,
                      annotated_jpegs=[r.annotated_jpeg for r in results], changes_text=changes)

    st.subheader("3. Pre-session summary")
    st.markdown(to_markdown(summary).split("## Photo 1")[0])
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button("Download HTML", to_html(summary), "posture-summary.html", "text/html")
    c2.download_button("Download PDF", to_pdf(summary), "posture-summary.pdf", "application/pdf")
    c3.download_button("Download JSON", json.dumps({"intake": intake.to_dict(), "assessments": [r.assessment.to_dict() for r in results]}, indent=2),
                       "posture-assessment.json", "application/json")
    if client is not None:
        # Saving twice the same photos and intake (a rerun after the click) must not duplicate.
        digest = hashlib.sha256(json.dumps(intake.to_dict()).encode())
        for r in results:
            digest.update(r.photo_jpeg)
        signature = f"{client.id}:{digest.hexdigest()}"
        if st.session_state.get("saved") == signature:
            c4.success("Saved")
        elif c4.button("Save assessment", type="primary"):
            try:
                sid = store.save_session(client.id, intake, [NewPhoto(r.photo_jpeg, r.filename, r.assessment) for r in results])
            except PostureError as exc:
                st.error(f"Not saved: {exc}")
            else:
                st.session_state["saved"] = signature
                st.success(f"Saved as session {sid} for {client.name}.")


main()
