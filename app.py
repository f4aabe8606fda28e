"""The app's entry point: privacy check, then the pages.

Run with `make run` (or `python -m posture.ui.serve`), which sets the privacy options
whatever the folder it is started from. Nothing leaves this machine: the model runs
locally, usage statistics are off, data is stored in POSTURE_DATA_DIR (default ~/.posture).

Navigation is built here rather than from the pages/ folder so the client-facing self
check shows no link to the therapist's pages (Clients, History hold every client's data).
"""

from __future__ import annotations

import streamlit as st

from posture.ui.widgets import page_style, privacy_guard

st.set_page_config(page_title="Posture", layout="wide")
privacy_guard()
page_style()

intake = st.Page("pages/0_Intake.py", title="Intake assessment", default=True)
live = st.Page("pages/1_Live_monitor.py", title="Live monitor", url_path="Live_monitor")
clients = st.Page("pages/2_Clients.py", title="Clients", url_path="Clients")
history = st.Page("pages/3_History.py", title="History", url_path="History")
self_check = st.Page("pages/4_Self_check.py", title="Self check", url_path="Self_check")
therapist_pages = (intake, live, clients, history, self_check)

# Hidden: every page is reachable at its address, and links are drawn below, page by page.
page = st.navigation(therapist_pages, position="hidden")
if page is not self_check:
    with st.sidebar:
        for p in therapist_pages:
            st.page_link(p)
page.run()
