"""Messages on a page: user text shown exactly as typed, and confirmations ("flash") that
survive the rerun after an action.

One rule for user text (names, notes, pain areas...): it goes through `md_escape` wherever
Streamlit reads Markdown (body text, alerts, expander and checkbox labels), or `plain()`
for a paragraph of its own. Option labels of select boxes are shown as text already.
"""

from __future__ import annotations

import streamlit as st

from posture.report.markdown import md_escape


def plain(text: str) -> None:
    """A paragraph of user text, shown exactly as typed (line breaks kept)."""
    st.markdown(md_escape(text))


def flash(message: str) -> None:
    """A confirmation to show after the next rerun (Markdown: escape user text in it)."""
    st.session_state["_flash"] = message


def show_flash() -> None:
    # Always a slot, filled or not: an element that comes and goes would shift the ones
    # below it, and the browser re-creates shifted widgets (an upload in flight is lost).
    slot = st.empty()
    message = st.session_state.pop("_flash", None)
    if message:
        slot.success(message)
