"""The assessment form's state in the session: whose assessment it is, widget keys that
start empty for a new assessment, and the client's unsaved draft (kept, offered, restored).
"""

from __future__ import annotations

import streamlit as st

from posture.core.errors import PostureError
from posture.report.markdown import md_escape
from posture.store.records import Client, Store

from .auth import current_actor
from .workflows import Draft, DraftPhoto, FieldValue

_GEN = "form_generation"
_OWNER = "form_owner"
_FIELDS = "form_fields"


def form_key(name: str) -> str:
    """The widget key of `name` in the current assessment. Starting a new assessment
    changes every such key, so every widget (file uploads and cameras too) starts empty."""
    return f"{name}#{st.session_state.get(_GEN, 0)}"


def field(name: str) -> str:
    """`form_key` for an intake field whose value belongs in the draft (any input widget
    but buttons and file/camera inputs; photos are drafted by `keep_draft`)."""
    fields: set[str] = st.session_state.setdefault(_FIELDS, set())
    fields.add(name)
    return form_key(name)


def start_new_assessment() -> None:
    """Forget the current assessment's fields, photos and results (not what was saved)."""
    state = st.session_state
    suffix = f"#{state.get(_GEN, 0)}"
    for k in [k for k in state if isinstance(k, str) and k.endswith(suffix)]:
        del state[k]
    state[_GEN] = state.get(_GEN, 0) + 1
    state[_FIELDS] = set()


def follow_client(store: Store, client: Client | None) -> None:
    """A different client means a different assessment: switching from one client to
    another starts clean. The client's unsaved draft (left by a reload, a closed tab or a
    switch) comes back when the form is untouched; a form already filled in before the
    client was picked is kept, and the draft is offered instead (see `assessment_header`)."""
    state = st.session_state
    owner = client.id if client else None
    if _OWNER in state and state[_OWNER] == owner:
        return
    previous = state.get(_OWNER)
    if previous is not None:
        start_new_assessment()
    state[_OWNER] = owner
    if client is None:
        return
    try:
        payload = store.load_draft(client.id, actor=current_actor())
        draft = Draft.from_bytes(payload) if payload else None
    except (PostureError, ValueError) as exc:
        st.warning(f"The unsaved draft could not be read ({md_escape(str(exc))}); starting a new assessment.")
        return
    if draft is None:
        return
    untouched = state.get(form_key("last_digest")) in (None, state.get(form_key("draft_base")))
    if untouched:
        _restore(draft)
    else:
        state[form_key("draft_offer")] = draft  # the form is not kept as a draft until the therapist chooses


def _restore(draft: Draft) -> None:
    state = st.session_state
    for name, value in draft.fields.items():
        state[field(name)] = value
    for view, photo in draft.photos.items():
        state[form_key(f"restored_{view}")] = photo
    state[form_key("draft_digest")] = state[form_key("draft_base")] = draft.digest()
    state[form_key("draft_restored")] = draft.saved_time


def assessment_header(store: Store, client: Client | None) -> None:
    """Whose assessment this is, in the page body; "New assessment"; the draft notice."""
    # A row whose button keeps its own width: in a sixth of a tablet's page "New assessment"
    # broke mid-word; the title takes what is left, and the button wraps below it when narrow.
    row = st.container(horizontal=True, vertical_alignment="bottom")
    title, action = row.container(), row
    if client is None:
        title.markdown("### Assessment without a client")
        title.caption("Pick or create a client in the sidebar to save it.")
    else:
        title.markdown(f"### Assessment for {md_escape(client.name)}")
        height = f"height {client.height_cm:g} cm" if client.height_cm is not None else \
            "height not recorded (add it on the Clients page for centimetre measures)"
        title.caption(f"{'born ' + client.birth_date + ', ' if client.birth_date else ''}{height}")
    if action.button("New assessment", key=form_key("new_assessment")):
        if client is not None:
            store.delete_draft(client.id, actor=current_actor())
        start_new_assessment()
        st.rerun()
    notices = st.container()  # always there, so the widgets below keep their place
    offer: Draft | None = st.session_state.get(form_key("draft_offer"))
    if offer is not None:
        line = notices.container(horizontal=True, vertical_alignment="center")
        note, restore, keep = line.container(), line, line
        note.warning(f"There is an unsaved draft from {offer.saved_time} for this client. Restore it (this form is "
                     "replaced), or keep this form (the draft is replaced).")
        if restore.button("Restore the draft", key=form_key("restore_offer")):
            start_new_assessment()
            _restore(offer)
            st.rerun()
        if keep.button("Keep this form", key=form_key("keep_form")):
            del st.session_state[form_key("draft_offer")]
            st.rerun()
    restored = st.session_state.get(form_key("draft_restored"))
    if restored:
        line = notices.container(horizontal=True, vertical_alignment="center")
        note, discard = line.container(), line
        note.info(f"Restored the unsaved draft from {restored}.")
        if discard.button("Discard draft", key=form_key("discard_draft")) and client is not None:
            store.delete_draft(client.id, actor=current_actor())
            start_new_assessment()
            st.rerun()


def restored_photo(view: str) -> DraftPhoto | None:
    """The photo of `view` brought back from a draft (until removed or replaced)."""
    photo: DraftPhoto | None = st.session_state.get(form_key(f"restored_{view}"))
    if photo is None:
        return None
    origin = "Sample photo" if st.session_state.get(form_key("samples_loaded")) else "From the unsaved draft"
    st.caption(f"{origin}: {md_escape(photo.filename)}")
    if st.button("Remove this photo", key=form_key(f"remove_restored_{view}")):
        del st.session_state[form_key(f"restored_{view}")]
        st.rerun()
    return photo


def keep_draft(store: Store, client: Client | None, photos: dict[str, DraftPhoto]) -> str:
    """Save the form's fields and `photos` as the client's draft when they changed since
    the last save (nothing is written for an untouched form). Returns the content digest."""
    state = st.session_state
    fields: dict[str, FieldValue] = {}
    for name in sorted(state.get(_FIELDS, set())):
        if form_key(name) not in state:
            continue  # a widget no longer shown (e.g. the level of an area unticked)
        value = state[form_key(name)]
        fields[name] = list(value) if isinstance(value, (list, tuple)) else value
    draft = Draft(fields, photos)
    digest = state[form_key("last_digest")] = draft.digest()
    base = state.setdefault(form_key("draft_base"), digest)  # the untouched form
    offered = form_key("draft_offer") in state  # an older draft waits for the therapist's choice
    if client is not None and not offered and digest not in (base, state.get(form_key("draft_digest"))):
        try:
            store.save_draft(client.id, draft.to_bytes(), actor=current_actor())
        except PostureError as exc:
            st.warning(f"The draft could not be kept ({md_escape(str(exc))}).")
        else:
            state[form_key("draft_digest")] = digest
    return digest


def mark_saved(digest: str) -> None:
    """The form's content is stored: do not keep it as a draft again unless it changes (and
    stop saying it was restored from one: the store dropped the draft with the save)."""
    st.session_state[form_key("draft_digest")] = digest
    st.session_state.pop(form_key("draft_restored"), None)
