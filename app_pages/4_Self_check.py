"""Self check (clients, no account): one seated side-view snapshot, plain-language advice.

The words come from posture.report.selfcheck (no clinical terms, no contradictions, one or
two things to change); the measurements are behind "Details". A photo that is not a side
view gets one sentence asking for one, and nothing else.

Nothing is stored unless the client chooses to save, and then only as a self check, kept
apart from the therapist's records: with a therapist's link (`?for=CODE`) among that
therapist's unfiled checks, otherwise in the clinic's inbox, which admins see (solo mode's one
user sees every check). It is filed under a client on the Clients page. This page reads no client record and links to no therapist page (see app.py).
"""

from __future__ import annotations

import hashlib

import streamlit as st

from posture.core.errors import PostureError
from posture.core.image.imaging import ACCEPTED_TEXT, read_camera_exif
from posture.core.intake import Intake
from posture.core.measuring.formatting import measure_rows
from posture.live.capture import UPPER_BODY
from posture.report.markdown import md_escape
from posture.report.selfcheck import self_check_advice
from posture.store.records import NewPhoto
from posture.ui.auth import self_check_actor
from posture.ui.device_capture import device_photo
from posture.ui.guided_camera import guided_webcam
from posture.ui.page import get_store
from posture.ui.photo_results import UPLOAD_LIMIT_TEXT, assess_bytes, upload_too_large

st.set_page_config(page_title="Desk self check", layout="wide")
st.title("Desk posture self check")
st.caption("A quick look at how you sit at your desk, from one photo taken from the side. Nothing is kept unless "
           "you choose to save it.")
st.markdown("Sit as you work, **side-on to the camera**, head to hips in view.")

source = st.radio("Photo from", ("Camera", "Live camera with self-timer", "Upload"), horizontal=True, key="self_source")
override = ""
mirrored = False
burst: tuple[bytes, ...] = ()  # the live camera's frames of one pose, combined
device_level = None  # a tablet's or phone's own level at the shot
if source == "Camera":
    shot = device_photo("self_cam", intended="side", required=UPPER_BODY)
    data, name = (shot.frames[0], "camera.jpg") if shot else (None, "")
    device_level, override = (shot.level, shot.override) if shot else (None, "")
elif source == "Live camera with self-timer":
    st.caption("Set the camera up, sit side-on, start the self-timer: the photo is taken when the timer has run out "
               "and you are in the frame, side-on, with the camera level.")
    guided = guided_webcam("self", intended="side", required=UPPER_BODY, label="Take the photo now")
    data, name = (guided.frames[0], "self-timer.jpg") if guided else (None, "")
    burst = guided.frames if guided else ()
    override = guided.override if guided else ""
else:
    # No type filter: a refused file says why here instead of becoming a chip.
    up = st.file_uploader(f"Side-view photo ({ACCEPTED_TEXT}; {UPLOAD_LIMIT_TEXT})", key="self_upload")
    if up is not None and (refused := upload_too_large(up.name, up.size)):
        st.error(refused)  # in place of the previous photo's advice
        st.stop()
    data, name = (up.getvalue(), up.name) if up else (None, "")
    if data is not None:
        front = read_camera_exif(data).front_camera
        # Preset from the photo's own EXIF, once per photo (then the client's choice stands).
        digest = hashlib.sha256(data).hexdigest()
        if st.session_state.get("self_selfie_for") != digest:
            st.session_state["self_selfie_for"] = digest
            st.session_state["self_selfie"] = front
        mirrored = st.checkbox("This photo is a mirrored selfie (front camera)", key="self_selfie",
                               help="Selfie camera apps often mirror the picture, which swaps your left and right.")
        exif_note = st.container()  # always there, so nothing below shifts
        if front:
            exif_note.caption("Preset from the photo's EXIF: it was taken with a front (selfie) camera.")

if data is not None:
    try:
        with st.spinner("Checking…"):
            item = assess_bytes(burst or (data,), name, "auto", None, mirrored=mirrored, override=override,
                                device_level=device_level)
    except PostureError as exc:
        st.error(f"Not checked: {md_escape(str(exc))}")
        st.stop()
    advice = self_check_advice(item.assessment)
    if advice.only:  # not a side view, or nothing seen: that one sentence, nothing else
        st.warning(advice.only)
        st.stop()
    words, photo = st.columns([3, 2])
    with words:
        st.subheader(advice.headline)
        st.markdown("**What we see**\n\n" + "\n".join(f"- {line}" for line in advice.seen))
        st.markdown("**What to try**\n\n" + "\n".join(f"{i}. {line}" for i, line in enumerate(advice.actions, 1)))
        st.markdown(f"*{advice.closing}*")
    # The plain photo: the annotated one carries measurement labels ("CVA"), which belong in the details.
    photo.image(item.photo_jpeg, caption="Your photo")
    with st.expander("Details (the measurements)"):
        st.image(item.annotated_jpeg, caption="The lines the check measured")
        st.dataframe([{"measure": r.label, "reading": r.reading} for r in measure_rows(item.assessment.measures)],
                     hide_index=True, width="stretch")
        for w in item.assessment.warnings:
            st.caption(f"⚠ {md_escape(w)}")
    # A therapist's link (/Self_check?for=CODE) files the check with them; without one it goes to the clinic's inbox.
    for_code = st.query_params.get("for", "").strip() or None
    with st.expander("Save this self check (optional)"):
        st.caption("It is kept as a self check, apart from your therapist's records, until "
                   + ("your therapist adds it to your file." if for_code else "the clinic adds it to your file."))
        who = st.text_input("Your name or a pseudonym", key="self_name")
        if st.button("Save this check", key="self_save"):
            if not who.strip():
                st.warning("Type your name or a pseudonym first, so the check can be found again.")
            else:
                try:
                    sid = get_store().save_self_check(who, Intake(), [NewPhoto(item.photo_jpeg, name, item.assessment)],
                                                actor=self_check_actor(), for_code=for_code)
                except PostureError as exc:
                    st.error(f"Not saved: {md_escape(str(exc))}")
                else:
                    st.success(f"Saved as self check {sid} for {md_escape(who.strip())}.")
