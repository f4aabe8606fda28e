"""Clinic mode in the app: the setting, the login page, inactivity expiry, the current actor.

Solo mode (the default) has no login and acts as `SOLO`, as the app always did. Clinic mode
(`POSTURE_MODE=clinic` in the server's environment) shows a login page before any
therapist page; the self check stays open without an account and acts as `SELF_CHECK`.

The session is Streamlit's own: the logged-in user is held in `st.session_state`, which
lives on the server and belongs to one browser tab's connection; no cookie or token is
sent to the browser, so there is nothing to steal or replay, and a closed tab or a reload
is a new session that logs in again. Each full rerun of the app is activity; a session
without activity for `POSTURE_IDLE_MINUTES` (default 30) is logged out at its next rerun,
and a watcher re-runs the app once a minute so an unattended screen is cleared too.
Every rerun also re-reads the user, so a disabled account is logged out at once.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import streamlit as st

from posture.core.errors import UsageError
from posture.store.accounts import Accounts
from posture.store.actor import SELF_CHECK, SOLO, Actor

from .launch_policy import Mode, app_mode

IDLE_ENV = "POSTURE_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 30.0

_ACTOR = "_auth_actor"
_LAST_SEEN = "_auth_last_seen"  # time.monotonic() of the last full rerun
_NOTICE = "_auth_notice"  # why the last session ended, shown on the login page


def idle_limit_s() -> float:
    raw = os.environ.get(IDLE_ENV, "").strip()
    try:
        minutes = float(raw) if raw else DEFAULT_IDLE_MINUTES
    except ValueError as exc:
        raise UsageError(f"{IDLE_ENV}={raw!r} is not a number of minutes.") from exc
    if not 1 <= minutes <= 24 * 60:
        raise UsageError(f"{IDLE_ENV} must be between 1 and 1440 minutes (it is {minutes:g}).")
    return minutes * 60.0


def expired(last_seen: float | None, now: float, limit_s: float) -> bool:
    """A session with no activity for `limit_s` seconds has expired (the boundary included)."""
    return last_seen is not None and now - last_seen >= limit_s


@dataclass(frozen=True)
class Gate:
    """What app.py needs to build the navigation: who is acting, and whether clinic mode is on."""

    mode: Mode
    actor: Actor | None  # None: clinic mode and nobody logged in


def session_actor(accounts: Accounts | None, now: float | None = None) -> Gate:
    """Who this browser session acts as, before any page runs: SOLO in solo mode; in clinic
    mode the logged-in user (re-read from the database), or None after a logout, an expiry
    or a disabled account. Counts this rerun as activity."""
    mode = app_mode()
    if mode == "solo":
        return Gate(mode, SOLO)
    assert accounts is not None, "clinic mode needs the accounts"
    state = st.session_state
    actor: Actor | None = state.get(_ACTOR)
    now = time.monotonic() if now is None else now
    if actor is None:
        return Gate(mode, None)
    if expired(state.get(_LAST_SEEN), now, idle_limit_s()):
        end_session(accounts, actor, reason="inactivity",
                    notice=f"You were logged out after {idle_limit_s() / 60:g} minutes without activity.")
        return Gate(mode, None)
    user = accounts.get_user(actor.user_id) if actor.user_id is not None else None
    if user is None or user.disabled:
        end_session(accounts, actor, reason="account disabled", notice="This account was disabled by an admin.")
        return Gate(mode, None)
    if user.role != actor.role:  # an admin changed the role: the session follows
        actor = user.actor()
        state[_ACTOR] = actor
    state[_LAST_SEEN] = now
    return Gate(mode, actor)


def current_actor() -> Actor:
    """The actor for a page's store calls. In clinic mode a page reached without a login
    (run on its own, not through app.py) stops here before reading anything."""
    if app_mode() == "solo":
        return SOLO
    actor: Actor | None = st.session_state.get(_ACTOR)
    if actor is None:
        st.error("Log in first.")
        st.stop()
    return actor


def self_check_actor() -> Actor:
    """The self check acts as SELF_CHECK in clinic mode (never reads records), SOLO in solo mode."""
    return SOLO if app_mode() == "solo" else SELF_CHECK


def end_session(accounts: Accounts, actor: Actor, *, reason: str, notice: str = "") -> None:
    accounts.record_logout(actor, reason=reason)
    for key in (_ACTOR, _LAST_SEEN):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[_NOTICE] = notice


def login_page(accounts: Accounts) -> None:
    """The login form. On success the session holds the user's actor and the app re-runs."""
    st.title("Posture — log in")
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.info(notice)
    with st.form("login"):
        name = st.text_input("User name", key="login_name", autocomplete="username")
        password = st.text_input("Password", type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary")
    st.caption("Clients doing a self check need no account: ask the therapist for the self-check address.")
    if not submitted:
        return
    result = accounts.authenticate(name, password)
    if result.actor is None:
        st.error(result.message)
        return
    st.session_state[_ACTOR] = result.actor
    st.session_state[_LAST_SEEN] = time.monotonic()
    st.rerun()


def logout_button(accounts: Accounts, actor: Actor) -> None:
    """Sidebar: who is logged in, and the logout button."""
    st.caption(f"Logged in as {actor.name} ({actor.role})")
    if st.button("Log out", key="logout"):
        end_session(accounts, actor, reason="logout", notice="You are logged out.")
        st.rerun()


@st.fragment(run_every=60)
def idle_watch() -> None:
    """Re-runs the app once the session has expired, so an unattended screen does not keep
    showing client records until someone touches it. Fragment runs are not activity."""
    if expired(st.session_state.get(_LAST_SEEN), time.monotonic(), idle_limit_s()):
        st.rerun(scope="app")
