"""Clients: find, edit, export everything about a client (one ZIP), delete (with all their
photos and records, after confirmation); self checks saved by clients, to link to a client's file."""

from __future__ import annotations

import tempfile

import streamlit as st

from posture.core.errors import PostureError
from posture.core.measuring.measures import HEIGHT_RANGE_CM
from posture.report.markdown import md_escape
from posture.store.accounts import Accounts
from posture.store.export import export_client
from posture.store.records import SessionCounts
from posture.ui.auth import current_actor
from posture.ui.clients import client_labels, client_line, forget_client
from posture.ui.messages import flash, show_flash
from posture.ui.page import get_store
from posture.ui.workflows import counted

st.set_page_config(page_title="Clients", layout="wide")
st.title("Clients")
store = get_store()
actor = current_actor()
show_flash()

search = st.text_input("Find a client", key="client_search")
clients = store.list_clients(search, actor=actor)
if not clients:
    st.info("No clients yet: create one in the sidebar of the intake page." if not search else "No client matches.")
# Counted, not read: listing a client is not opening them (no view in the audit trail, no assessment parsed).
session_counts = store.session_counts(actor=actor)
labels = client_labels(clients)
for c in clients:
    n = session_counts.get(c.id, SessionCounts())
    counts = counted(n.assessments, "assessment") + (f", {counted(n.self_checks, 'self check')}" if n.self_checks else "")
    with st.expander(f"{md_escape(labels[c.id])} — {counts}"):
        with st.form(f"edit_{c.id}"):
            name = st.text_input("Name or pseudonym", c.name)
            dob = st.text_input("Date of birth (YYYY-MM-DD)", c.birth_date or "")
            height = st.number_input("Height (cm)", min_value=HEIGHT_RANGE_CM[0], max_value=HEIGHT_RANGE_CM[1],
                                     value=c.height_cm, step=1.0, format="%.0f")
            if st.form_submit_button("Save changes"):
                try:
                    saved = store.update_client(c.id, name, dob or None, height, actor=actor)
                except PostureError as exc:
                    st.error(f"Not saved: {md_escape(str(exc))}")
                else:
                    flash(f"Saved: {client_line(saved)}")
                    st.rerun()
        # Export on request: built (and audited) when asked for, not at every page load.
        if st.button("Export everything about this client (ZIP)", key=f"export_{c.id}"):
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    built = export_client(store, c.id, tmp, actor=actor)
                    st.session_state[f"export_zip_{c.id}"] = (built.name, built.read_bytes())
            except PostureError as exc:
                st.error(f"Not exported: {md_escape(str(exc))}")
        if f"export_zip_{c.id}" in st.session_state:
            zip_name, zip_bytes = st.session_state[f"export_zip_{c.id}"]  # client-<id>-<date>.zip: ids, not names
            st.download_button("Download the ZIP (client data, photos, summaries, audit events)",
                               zip_bytes, zip_name, "application/zip", key=f"export_dl_{c.id}")
        if actor.sees_every_client or c.owner_user_id == actor.user_id:  # a shared client is not yours to delete
            saved_any = n.assessments + n.self_checks > 0
            what = f"and their {counts} with the photos" if saved_any else "(nothing is saved for them yet)"
            sure = st.checkbox(f"Yes, delete {md_escape(c.name)} {what}", key=f"sure_{c.id}")
            if st.button("Delete client", key=f"delete_{c.id}", disabled=not sure, type="secondary"):
                try:
                    store.delete_client(c.id, actor=actor)
                except PostureError as exc:
                    st.error(f"Not deleted: {md_escape(str(exc))}")
                else:
                    st.session_state.pop(f"sure_{c.id}", None)
                    st.session_state.pop(f"export_zip_{c.id}", None)
                    forget_client(c.id)
                    flash(f"Deleted {md_escape(c.name)}" + (f" and {counts}." if saved_any else "."))
                    st.rerun()

# Unfiled self checks: a therapist sees those saved through their own link; admins (and solo
# mode) also the clinic's inbox, the checks saved without a link.
unlinked = store.self_checks(actor=actor)
if actor.role == "therapist" and not search:
    me = Accounts(store).get_user(actor.user_id) if actor.user_id is not None else None
    code = me.self_check_code if me is not None else None
    st.caption("Self checks that your clients save through your link come here: "
               + (f"`/Self_check?for={code}` (after this server's address)." if code else "ask an admin for it.")
               + " Those saved without a link go to the clinic's inbox, which admins file.")
if unlinked and not search:
    st.subheader("Self checks saved by clients")
    st.caption("Made on the Self check page, without an account. They stay apart from client records until you "
               "add one to a client's file; it stays marked as a self check there.")
    for s in reversed(unlinked):
        label = store.get_client(s.client_id, actor=actor).name
        cols = st.columns([3, 2, 1], vertical_alignment="bottom")
        cols[0].markdown(f"**Self check** {s.created.replace('T', ' ')} — saved as {md_escape(label)}")
        target = cols[1].selectbox("Add to the file of", [c.id for c in clients], index=None, key=f"link_to_{s.id}",
                                   format_func=labels.get, placeholder="pick a client")
        if cols[2].button("Add", key=f"link_{s.id}", disabled=target is None) and target is not None:
            try:
                store.link_self_check(s.id, target, actor=actor)
            except PostureError as exc:
                st.error(f"Not added: {md_escape(str(exc))}")
            else:
                flash(f"Self check of {s.created.replace('T', ' ')} added to "
                      f"{md_escape(store.get_client(target, actor=actor).name)}.")
                st.rerun()
