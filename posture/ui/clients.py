"""The client picker in the sidebar (pick or create a client, kept in the session and the
address) and the one-line description of a client.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import streamlit as st

from posture.core.errors import AccessDeniedError, ClientNotFoundError, PostureError
from posture.core.measuring.measures import HEIGHT_RANGE_CM
from posture.report.markdown import md_escape
from posture.store.records import Client, Store

from .auth import current_actor
from .messages import flash


def client_line(c: Client) -> str:
    """"Ana, born 1985-03-12, 168 cm", escaped for Markdown."""
    parts = [md_escape(c.name)]
    if c.birth_date:
        parts.append(f"born {c.birth_date}")
    if c.height_cm is not None:
        parts.append(f"{c.height_cm:g} cm")
    return ", ".join(parts)


def client_labels(clients: Sequence[Client]) -> dict[int, str]:
    """Each client's label in lists, by id: the name and date of birth, and where two would read
    the same, the client's number too ("Ana (1985-03-12) · no. 7"). Streamlit's select boxes
    tell options apart by their label: with two equal labels the second client could not be
    picked (choosing it chose the first)."""
    base = {c.id: c.name + (f" ({c.birth_date})" if c.birth_date else "") for c in clients}
    repeated = Counter(base.values())
    return {i: f"{text} · no. {i}" if repeated[text] > 1 else text for i, text in base.items()}


def client_picker(store: Store, page: str, key: str = "client_id") -> Client | None:
    """Sidebar: pick a client or create one. Returns the current client.

    The choice is kept in the session and in the address (`?client=<id>`), so a reload
    comes back to the same client (and to their unsaved draft). Each `page` has its own
    select box, seeded from the session's choice: Streamlit does not hand a widget's value
    to a widget of the same key on another page (History opened on "pick a client").
    """
    clients = store.list_clients(actor=current_actor())
    ids = [c.id for c in clients]
    labels = client_labels(clients)
    state = st.session_state
    select_key = f"{key}_select_{page}"
    # `key` (a plain value) survives page switches; the widget's own state does not.
    if f"{key}_pending" in state:
        state[select_key] = state.pop(f"{key}_pending")
    elif select_key not in state:
        state[select_key] = state.get(key, _client_from_address())
    listed: set[int] = state.setdefault(f"{key}_listed", set())  # every client this session's lists have shown
    gone = None
    if state[select_key] is not None and state[select_key] not in ids:
        # Deleted (here, in another tab or by a colleague), no longer shared, or a link to a client not theirs.
        gone = why_not_listed(store, int(state[select_key]), was_listed=state[select_key] in listed)
        state[select_key] = None
    listed.update(ids)
    new_fields = (f"{key}_new_name", f"{key}_new_dob", f"{key}_new_height")
    if state.pop(f"{key}_new_created", False):  # a created client's name is not left to be created twice
        # Set, not dropped: a dropped key leaves the browser showing what was typed (it sends
        # its own value back); a value set here is sent to it.
        for field_key, empty in zip(new_fields, ("", "", None), strict=True):
            state[field_key] = empty
    with st.sidebar:
        st.header("Client")
        # Option labels are drawn as text, not Markdown: names need no escaping here.
        choice = st.selectbox("Client", [None, *ids], format_func=lambda i: "— pick a client —" if i is None else labels[i],
                              key=select_key)
        state[key] = choice
        if choice is None:
            st.query_params.pop("client", None)
        elif st.query_params.get("client") != str(choice):
            st.query_params["client"] = str(choice)
        with st.expander("New client", expanded=not clients):
            with st.form(f"{key}_new", clear_on_submit=False):
                name = st.text_input("Name or pseudonym", key=new_fields[0])
                dob = st.text_input("Date of birth (optional, YYYY-MM-DD)", key=new_fields[1])
                height = st.number_input("Height in cm (optional)", min_value=HEIGHT_RANGE_CM[0],
                                         max_value=HEIGHT_RANGE_CM[1], value=None, step=1.0, format="%.0f",
                                         key=new_fields[2])
                if st.form_submit_button("Create client"):
                    try:
                        c = store.create_client(name, dob or None, height, actor=current_actor())
                    except PostureError as exc:
                        st.error(md_escape(str(exc)))
                    else:
                        state[key] = state[f"{key}_pending"] = c.id
                        state[f"{key}_new_created"] = True
                        twin = any(o.name == c.name and o.birth_date == c.birth_date for o in clients)
                        flash(f"Created: {client_line(c)}" + (
                            f". Another client has the same name{' and date of birth' if c.birth_date else ''}: "
                            f"if they are the same person, delete this one on the Clients page; the list tells "
                            f"them apart by number (this one is no. {c.id})" if twin else ""))
                        st.rerun()
    if gone:
        st.warning(gone)
    return next((c for c in clients if c.id == state.get(key)), None)


def why_not_listed(store: Store, client_id: int, *, was_listed: bool) -> str:
    """The true reason a chosen client is not in the user's list, in words: deleted, no longer
    shared, or (from a link a colleague sent) never shared with them."""
    try:
        store.get_client(client_id, actor=current_actor())
    except ClientNotFoundError:
        if was_listed:
            return ("The client you had open is no longer in your list: deleted (in another tab or by a colleague). "
                    "Nothing typed for them since can be saved; pick a client in the sidebar.")
        return f"The address names client {client_id}, who no longer exists (deleted). Pick a client in the sidebar."
    except AccessDeniedError:
        if was_listed:
            return ("The client you had open is no longer in your list: no longer shared with you. "
                    "Nothing typed for them since can be saved; pick a client in the sidebar.")
        return (f"The address names client {client_id}, who is not one of your clients: a colleague's, not shared "
                "with you. An admin can share them with you; meanwhile pick a client in the sidebar.")
    return "The client you had open is not in your list just now; pick them again in the sidebar."


def forget_client(client_id: int, key: str = "client_id") -> None:
    """This session deleted `client_id`: no page keeps it chosen (nor warns that it is gone)."""
    state = st.session_state
    for k in [k for k in state if k == key or str(k).startswith(f"{key}_select_")]:
        if state[k] == client_id:
            state[k] = None


def _client_from_address() -> int | None:
    raw = st.query_params.get("client", "")
    return int(raw) if raw.isdigit() else None
