"""Admin (clinic mode, admins only): accounts, who owns and shares which client, the audit trail.

Everything here goes through posture.store (accounts, records, audit), which checks the
actor again: the navigation hides this page from therapists, and the store refuses them.
The audit trail is read-only here, as everywhere in the app.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import streamlit as st

from posture.core.errors import PostureError
from posture.report.markdown import md_escape
from posture.store import audit
from posture.store.accounts import USER_ROLES, Accounts, User, is_locked, utcnow
from posture.ui.audit_view import audit_rows
from posture.ui.auth import current_actor
from posture.ui.messages import flash, show_flash
from posture.ui.page import get_store

st.set_page_config(page_title="Admin", layout="wide")
st.title("Admin")
actor = current_actor()
if actor.role != "admin":
    st.error("Only an admin can open this page.")
    st.stop()
store = get_store()
accounts = Accounts(store)
show_flash()


def done(message: str) -> None:
    flash(message)
    st.rerun()


def attempt(change: Callable[[], object], success: str, refused: str = "") -> None:
    """Make `change`: its success flashed on the redrawn page, or its refusal shown here
    (after `refused`), escaped: names in messages are typed by people."""
    try:
        change()
    except PostureError as exc:
        st.error(refused + md_escape(str(exc)))
    else:
        done(success)


def state(u: User) -> str:
    if u.disabled:
        return "disabled"
    if u.locked_until is not None and is_locked(u.locked_until, utcnow()):
        return f"locked until {u.locked_until.astimezone().strftime('%H:%M')}"
    return "active"


users = accounts.list_users()
names = {u.id: u.name for u in users}
tab_accounts, tab_clients, tab_audit = st.tabs(["Accounts", "Clients", "Audit trail"])

with tab_accounts:
    st.dataframe([{"user": u.name, "role": u.role, "state": state(u), "failed logins": u.failed_logins,
                   "created": u.created_at.astimezone().strftime("%Y-%m-%d"),
                   "self-check link": f"/Self_check?for={u.self_check_code}" if u.self_check_code else "—"} for u in users],
                 hide_index=True, width="stretch")
    with st.form("add_user", clear_on_submit=True):
        st.subheader("Add a user")
        c1, c2 = st.columns(2)
        new_name = c1.text_input("User name", key="add_name")
        new_role = c2.selectbox("Role", USER_ROLES, key="add_role")
        pw1 = c1.text_input("Password", type="password", key="add_pw1", autocomplete="new-password")
        pw2 = c2.text_input("Password again", type="password", key="add_pw2", autocomplete="new-password")
        if st.form_submit_button("Add user"):
            if pw1 != pw2:
                st.error("The two passwords differ.")
            else:
                try:
                    added = accounts.add(new_name, new_role, pw1, by=actor)
                except PostureError as exc:
                    st.error(f"Not added: {md_escape(str(exc))}")
                else:
                    done(f"Added {added.role} {md_escape(added.name)}.")
    if users:
        st.subheader("Change a user")
        who = st.selectbox("User", [u.id for u in users], format_func=names.get, key="change_user")
        target = next(u for u in users if u.id == who)
        with st.form("passwd", clear_on_submit=True):
            pw = st.text_input(f"New password for {target.name}", type="password", key="passwd_pw",
                               autocomplete="new-password")
            if st.form_submit_button("Set password (also ends a lockout)"):
                attempt(lambda: accounts.set_password(target.name, pw, by=actor),
                        f"New password set for {md_escape(target.name)}.", "Not changed: ")
        label = f"Enable {target.name}" if target.disabled else f"Disable {target.name}"
        if st.button(label, key="toggle_disabled", disabled=target.id == actor.user_id and not target.disabled,
                     help="You cannot disable your own account." if target.id == actor.user_id else None):
            attempt(lambda: accounts.set_disabled(target.name, not target.disabled, by=actor),
                    f"{md_escape(target.name)} is {'enabled' if target.disabled else 'disabled'}.")

with tab_clients:
    therapists = [u for u in users if not u.disabled]
    all_clients = store.list_clients(actor=actor)
    if not all_clients:
        st.info("No clients yet.")
    else:
        shares = {c.id: store.shared_with(c.id, actor=actor) for c in all_clients}
        st.dataframe([{"id": c.id, "client": c.name, "owner": names.get(c.owner_user_id, "—") if c.owner_user_id else "—",
                       "shared with": ", ".join(names.get(i, f"user {i}") for i in shares[c.id])} for c in all_clients],
                     hide_index=True, width="stretch")
        cid = st.selectbox("Client", [c.id for c in all_clients], key="admin_client",
                           format_func={c.id: f"{c.name} (id {c.id})" for c in all_clients}.get)
        chosen = next(c for c in all_clients if c.id == cid)
        user_ids = [u.id for u in therapists]
        c1, c2 = st.columns(2)
        with c1:
            owner = st.selectbox("Owner", [None, *user_ids], key=f"owner_{cid}", format_func=lambda i: "no one" if i is None else names[i],
                                 index=([None, *user_ids].index(chosen.owner_user_id) if chosen.owner_user_id in user_ids else 0))
            if st.button("Reassign", key="reassign", disabled=owner == chosen.owner_user_id):
                attempt(lambda: store.reassign_client(cid, owner, actor=actor),
                        f"{md_escape(chosen.name)} now belongs to {md_escape(names[owner]) if owner else 'no one'}.")
        with c2:
            shared_ids = shares[cid]
            share_to = st.selectbox("Share with", [i for i in user_ids if i not in shared_ids and i != chosen.owner_user_id],
                                    index=None, key=f"share_{cid}", format_func=names.get, placeholder="pick a user")
            if st.button("Share", key="share", disabled=share_to is None) and share_to is not None:
                attempt(lambda: store.share_client(cid, share_to, actor=actor),
                        f"{md_escape(chosen.name)} is shared with {md_escape(names[share_to])}.")
            unshare = st.selectbox("Stop sharing with", shared_ids, index=None, key=f"unshare_{cid}",
                                   format_func=lambda i: names.get(i, f"user {i}"), placeholder="pick a user")
            if st.button("Stop sharing", key="unshare", disabled=unshare is None) and unshare is not None:
                store.unshare_client(cid, unshare, actor=actor)
                done(f"{md_escape(chosen.name)} is no longer shared with {md_escape(names.get(unshare, str(unshare)))}.")

with tab_audit:
    st.caption("Every login, failed login, lockout and logout; every change, export and share of a client; and who "
               "viewed a client (once per user and client every 5 minutes, not every page load). "
               "Times are this server's local time, users by name; the CSV has UTC and user ids. Nothing can edit or delete the trail.")
    f1, f2, f3, f4 = st.columns(4)
    who = f1.selectbox("User", [None, *sorted({u.name for u in users})], key="audit_user",
                       format_func=lambda n: "anyone" if n is None else n)
    action = f2.selectbox("Action", [None, audit.LOGIN, audit.LOGIN_FAILED, "lockout", audit.LOGOUT, audit.CLIENT_VIEW,
                                     audit.CLIENT_CREATE, audit.CLIENT_EDIT, audit.CLIENT_DELETE, audit.CLIENT_EXPORT,
                                     audit.CLIENT_ERASE, audit.CLIENT_SHARE, audit.CLIENT_UNSHARE, audit.CLIENT_REASSIGN,
                                     audit.SESSION_CREATE, audit.SESSION_DELETE, audit.SELF_CHECK_CREATE,
                                     audit.SELF_CHECK_LINK, audit.SELF_CHECK_UNLINK, audit.AUDIT_EXPORT, "user.add", "user.passwd",
                                     "user.disable", "user.enable"],
                          key="audit_action", format_func=lambda a: "any" if a is None else a)
    client_id = f3.number_input("Client id", min_value=1, value=None, step=1, key="audit_client")
    today = dt.date.today()
    period = f4.date_input("From – to", (today - dt.timedelta(days=30), today), key="audit_period")
    since = until = None
    if isinstance(period, tuple) and len(period) == 2:
        local = dt.datetime.now().astimezone().tzinfo
        since = dt.datetime.combine(period[0], dt.time(), local)
        until = dt.datetime.combine(period[1] + dt.timedelta(days=1), dt.time(), local)
    filters = audit.EventFilter(actor_name=who, action=action, client_id=None if client_id is None else int(client_id),
                                since=since, until=until, limit=5000)
    events = audit.list_events(store, filters, actor=actor)
    listed = {c.id: c.name for c in store.list_clients(actor=actor)}
    st.dataframe([dataclasses.asdict(row) for row in audit_rows(events, names, listed)], hide_index=True, width="stretch")
    st.caption(f"{len(events)} event(s), newest first" + (" (the newest 5000 shown)" if len(events) == 5000 else ""))
    # The export is itself an audited action: recorded when prepared, not at every page load.
    if st.button("Prepare CSV of these events", key="audit_prepare"):
        st.session_state["audit_csv"] = (filters, audit.export_csv(store, filters, actor=actor))
    prepared = st.session_state.get("audit_csv")
    if prepared is not None and prepared[0] == filters:  # never a file of other filters than those shown
        st.download_button("Download CSV", prepared[1], "posture-audit.csv", "text/csv", key="audit_download")
