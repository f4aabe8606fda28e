"""Self check (clients, no account): one seated side-view snapshot, plain-language advice.

Nothing is stored unless the client chooses to save, and then only as a self check, kept
apart from the therapist's records (a therapist may link it to a client on the Clients
page). This page reads no client record and links to no therapist page (see app.py).
"""

from __future__ import annotations

import streamlit as st

from posture.errors import PostureError
from posture.report import DISCLAIMER, Intake, md_escape
from posture.store import NewPhoto
from posture.ui import assess_bytes, get_store, show_assessed
from posture.workflows import desk_advice

st.set_page_config(page_title="Desk self check", layout="wide")
st.title("Desk posture self check")
st.caption(DISCLAIMER)
st.markdown("Sit as you work, **side-on to the camera**, head to hips in view.")

source = st.radio("Photo from", ("Webcam", "Upload"), horizontal=True, key="self_source")
if source == "Webcam":
    shot = st.camera_input("Take a photo", key="self_cam")
    data, name = (shot.getvalue(), "webcam.jpg") if shot else (None, "")
else:
    # No type filter: a refused file says why here instead of becoming a chip.
    up = st.file_uploader("Side-view photo (JPEG, PNG, WebP or BMP)", key="self_upload")
    data, name = (up.getvalue(), up.name) if up else (None, "")

if data is not None:
    try:
        with st.spinner("Checking…"):
            item = assess_bytes((data,), name, "auto", None)
    except PostureError as exc:
        st.error(f"Not checked: {md_escape(str(exc))}")
        st.stop()
    st.subheader("What we see")
    for line in desk_advice(item.assessment):
        st.markdown(f"- {line}")
    show_assessed(item)
    with st.expander("Save this self check (optional)"):
        st.caption("It is kept as a self check, apart from your therapist's records; your therapist can add it "
                   "to your file.")
        who = st.text_input("Your name or a pseudonym", key="self_name")
        if st.button("Save this check", key="self_save"):
            if not who.strip():
                st.warning("Type your name or a pseudonym first, so the check can be found again.")
            else:
                try:
                    sid = get_store().save_self_check(who, Intake(), [NewPhoto(item.photo_jpeg, name, item.assessment)])
                except PostureError as exc:
                    st.error(f"Not saved: {md_escape(str(exc))}")
                else:
                    st.success(f"Saved as self check {sid} for {md_escape(who.strip())}.")
