"""The app's entry point: privacy check, then the pages.

Run with `make run` (or `python -m posture.ui.serve`), which sets the privacy options
whatever the folder it is started from. Nothing leaves this machine: the model runs
locally, usage statistics are off, data is stored in POSTURE_DATA_DIR (default ~/.posture).

Navigation is built here so the client-facing self check shows no link to the therapist's
pages (Clients, History hold every client's data). The pages live in app_pages/, not pages/:
Streamlit lists a pages/ folder by itself on first load, before this script runs ("app",
"Admin"), a menu of every page for a moment, to anyone.
In clinic mode (POSTURE_MODE=clinic, see posture.ui.auth) only the login page and the self
check are reachable without logging in, and only admins get the Admin page.
"""

from __future__ import annotations

import streamlit as st

from posture.core.errors import PostureError
from posture.store.accounts import Accounts
from posture.ui import auth
from posture.ui.page import errors_shown, get_store, page_style, privacy_guard

st.set_page_config(page_title="Posture", layout="wide")
privacy_guard()
page_style()

intake = st.Page("app_pages/0_Intake.py", title="Intake assessment", default=True)
live = st.Page("app_pages/1_Live_monitor.py", title="Live monitor", url_path="Live_monitor")
clients = st.Page("app_pages/2_Clients.py", title="Clients", url_path="Clients")
history = st.Page("app_pages/3_History.py", title="History", url_path="History")
self_check = st.Page("app_pages/4_Self_check.py", title="Self check", url_path="Self_check")
therapist_pages = (intake, live, clients, history, self_check)

try:
    accounts = Accounts(get_store()) if auth.app_mode() == "clinic" else None
    gate = auth.session_actor(accounts)
except PostureError as exc:
    st.error(str(exc))
    st.stop()
if gate.actor is None:  # clinic mode, nobody logged in: the login page and the self check only
    assert accounts is not None
    def log_in() -> None:
        auth.login_page(accounts)

    login = st.Page(log_in, title="Log in", url_path="login", default=True)
    # A therapist page's address (a bookmark, a link to /History?client=3) opens the login
    # page there, and that page once logged in, not "Page not found" and the intake.
    stand_ins = [st.Page(log_in, title="Log in", url_path=p.url_path) for p in (live, clients, history)]
    stand_ins.append(st.Page(log_in, title="Log in", url_path="Admin"))
    st.navigation([login, *stand_ins, self_check], position="hidden").run()
    st.stop()
if gate.actor.role == "admin":
    therapist_pages += (st.Page("app_pages/5_Admin.py", title="Admin", url_path="Admin"),)

# Hidden: every page is reachable at its address, and links are drawn below, page by page.
page = st.navigation(therapist_pages, position="hidden")
if page is not self_check:
    with st.sidebar:
        for p in therapist_pages:
            st.page_link(p)
        if accounts is not None:
            auth.logout_button(accounts, gate.actor)
            auth.idle_watch()
with errors_shown():
    page.run()
