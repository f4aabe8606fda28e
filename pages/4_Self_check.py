"""Self check (clients, no account): one seated side-view snapshot, plain-language advice.
Nothing is stored unless you choose to save it."""

from __future__ import annotations

import streamlit as st

from posture.errors import PostureError
from posture.report import DISCLAIMER, Intake
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
    up = st.file_uploader("Side-view photo", type=["jpg", "jpeg", "png", "webp", "bmp"], key="self_upload")
    data, name = (up.getvalue(), up.name) if up else (None, "")

if data is not None:
    try:
        with st.spinner("Checking…"):
            item = assess_bytes((data,), name, "auto", None)
    except PostureError as exc:
        st.error(str(exc))  # the message already names the file
        st.stop()
    st.subheader("What we see")
    for line in desk_advice(item.assessment):
        st.markdown(f"- {line}")
    show_assessed(item)
    with st.expander("Save this check to a history (optional)"):
        who = st.text_input("Your name or a pseudonym", key="self_name")
        if st.button("Save", key="self_save") and who.strip():
            store = get_store()
            match = [c for c in store.list_clients(who) if c.name == who.strip()]
            client = match[0] if match else store.create_client(who)
            store.save_session(client.id, Intake(notes="self check"), [NewPhoto(item.photo_jpeg, name, item.assessment)])
            st.success(f"Saved for {client.name}.")
