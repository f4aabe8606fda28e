"""Clients: find, edit, delete (with all their photos and records, after confirmation)."""

from __future__ import annotations

import streamlit as st

from posture.errors import PostureError
from posture.ui import get_store

st.set_page_config(page_title="Clients", layout="wide")
st.title("Clients")
store = get_store()

search = st.text_input("Find a client", key="client_search")
clients = store.list_clients(search)
if not clients:
    st.info("No clients yet: create one in the sidebar of the intake page." if not search else "No client matches.")
for c in clients:
    sessions = store.sessions(c.id)
    with st.expander(f"{c.name} — {len(sessions)} assessment(s)"):
        with st.form(f"edit_{c.id}"):
            name = st.text_input("Name or pseudonym", c.name)
            dob = st.text_input("Date of birth", c.birth_date or "")
            height = st.number_input("Height (cm)", 0.0, 250.0, float(c.height_cm or 0.0), 1.0)
            if st.form_submit_button("Save changes"):
                try:
                    store.update_client(c.id, name, dob or None, height if height >= 50 else None)
                except PostureError as exc:
                    st.error(str(exc))
                else:
                    st.success("Saved")
                    st.rerun()
        sure = st.checkbox(f"Yes, delete {c.name} and all {len(sessions)} assessment(s) and photos", key=f"sure_{c.id}")
        if st.button("Delete client", key=f"delete_{c.id}", disabled=not sure, type="secondary"):
            store.delete_client(c.id)
            st.session_state.pop(f"sure_{c.id}", None)
            st.success(f"Deleted {c.name}")
            st.rerun()
