"""Streamlit building blocks shared by the app's pages (the UI room: no computation here).

One rule for user text (names, notes, pain areas...): it goes through `md_escape` wherever
Streamlit reads Markdown (body text, alerts, expander and checkbox labels), or `plain()`
for a paragraph of its own. Option labels of select boxes are shown as text already.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections import deque
from dataclasses import dataclass

import numpy as np
import streamlit as st

from .assessment import Assessment, assess
from .errors import PostureError
from .imaging import encode_jpeg, load_image
from .report import md_escape
from .store import Client, Store
from .workflows import Draft, DraftPhoto, FieldValue, annotated_jpeg

#: Set to 1 to let the app listen beyond this machine (a clinic network, behind a firewall).
ALLOW_NETWORK_ENV = "POSTURE_ALLOW_NETWORK"


def privacy_problems() -> list[str]:
    """Why the running server would leak client data, in plain words (empty when it is safe)."""
    problems = []
    if st.get_option("browser.gatherUsageStats"):
        problems.append("usage statistics are switched on (browser.gatherUsageStats)")
    address = (st.get_option("server.address") or "").strip()
    if not _is_loopback(address) and os.environ.get(ALLOW_NETWORK_ENV) != "1":
        where = f"address {address}" if address else "every network interface"
        problems.append(f"the server listens on {where}, not only on this machine "
                        f"(set {ALLOW_NETWORK_ENV}=1 to allow it on a clinic network)")
    return problems


def _is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def privacy_guard() -> None:
    """Refuse to run (before any client data is read) unless the privacy settings hold,
    whichever folder the app was started from."""
    problems = privacy_problems()
    if problems:
        st.error("This app holds health data and will not run like this: " + "; ".join(problems)
                 + ". Start it with `make run` or `python -m posture.serve`, which set this right.")
        st.stop()


def page_style() -> None:
    """Long words (URLs) in user text wrap instead of overflowing their column."""
    st.html("<style>[data-testid='stMarkdownContainer'], [data-testid='stText']"
            "{overflow-wrap:anywhere}</style>")


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


def client_line(c: Client) -> str:
    """"Ana, born 1985-03-12, 168 cm", escaped for Markdown."""
    parts = [md_escape(c.name)]
    if c.birth_date:
        parts.append(f"born {c.birth_date}")
    if c.height_cm is not None:
        parts.append(f"{c.height_cm:g} cm")
    return ", ".join(parts)


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    """The local database (POSTURE_DATA_DIR or ~/.posture), opened once per server."""
    return Store()


@dataclass(frozen=True)
class Assessed:
    """One view's result, ready to show and to save."""

    assessment: Assessment
    photo_jpeg: bytes  # the upright photo, as stored
    annotated_jpeg: bytes
    filename: str


@st.cache_data(show_spinner=False, max_entries=64)
def assess_bytes(frames: tuple[bytes, ...], name: str, view: str, height_cm: float | None) -> Assessed:
    """Assess one photo (or a burst of webcam frames); errors propagate as PostureError."""
    first = load_image(frames[0], name=name)
    rest = [load_image(f, name=name) for f in frames[1:]]
    result = assess(first, view=view, height_cm=height_cm, burst=rest)
    return Assessed(result, encode_jpeg(first.bgr, 92), annotated_jpeg(first, result), name)


def show_assessed(item: Assessed) -> None:
    a = item.assessment
    left, right = st.columns([3, 2])
    v = a.view
    left.image(item.annotated_jpeg, caption=f"{md_escape(item.filename)}: {v.name.value} view, {v.posture.value} "
               f"({v.source}, confidence {v.confidence:.2f})")
    rows = [
        {"measure": n, "value": None if m.value is None else round(m.value, 1),
         "±": None if m.uncertainty is None else round(m.uncertainty, 1), "unit": m.unit,
         "note": m.reason or f"confidence {m.confidence:.2f}"}
        for n, m in a.measures.items() if m.relevant
    ]
    right.dataframe(rows, hide_index=True, width="stretch")
    for f in a.findings:
        right.markdown(f"**{f.severity.label.upper()}** — {f.title}")
    if not a.findings:
        right.info("No imbalance cleared its screening threshold by more than its uncertainty.")
    for w in a.warnings:
        right.caption(f"⚠ {md_escape(w)}")


def client_picker(store: Store, key: str = "client_id") -> Client | None:
    """Sidebar: pick a client or create one. Returns the current client.

    The choice is kept in the session and in the address (`?client=<id>`), so a reload
    comes back to the same client (and to their unsaved draft).
    """
    clients = store.list_clients()
    ids = [c.id for c in clients]
    labels = {c.id: c.name + (f" ({c.birth_date})" if c.birth_date else "") for c in clients}
    state = st.session_state
    select_key = f"{key}_select"
    # `key` (a plain value) survives page switches; the widget's own state does not.
    if f"{key}_pending" in state:
        state[select_key] = state.pop(f"{key}_pending")
    elif select_key not in state:
        state[select_key] = state.get(key, _client_from_address())
    if state[select_key] not in ids:
        state[select_key] = None  # e.g. the client was deleted
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
                name = st.text_input("Name or pseudonym")
                dob = st.text_input("Date of birth (optional, YYYY-MM-DD)")
                height = st.number_input("Height in cm (optional)", min_value=0.0, value=None, step=1.0, format="%.0f")
                if st.form_submit_button("Create client"):
                    try:
                        c = store.create_client(name, dob or None, height)
                    except PostureError as exc:
                        st.error(md_escape(str(exc)))
                    else:
                        state[key] = state[f"{key}_pending"] = c.id
                        flash(f"Created: {client_line(c)}")
                        st.rerun()
    return next((c for c in clients if c.id == state.get(key)), None)


def _client_from_address() -> int | None:
    raw = st.query_params.get("client", "")
    return int(raw) if raw.isdigit() else None


# --- the assessment form: whose it is, a fresh start per client, drafts ------------------

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
        payload = store.load_draft(client.id)
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
    title, action = st.columns([5, 1], vertical_alignment="bottom")
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
            store.delete_draft(client.id)
        start_new_assessment()
        st.rerun()
    notices = st.container()  # always there, so the widgets below keep their place
    offer: Draft | None = st.session_state.get(form_key("draft_offer"))
    if offer is not None:
        note, restore, keep = notices.columns([4, 1, 1], vertical_alignment="center")
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
        note, discard = notices.columns([5, 1], vertical_alignment="center")
        note.info(f"Restored the unsaved draft from {restored}.")
        if discard.button("Discard draft", key=form_key("discard_draft")) and client is not None:
            store.delete_draft(client.id)
            start_new_assessment()
            st.rerun()


def restored_photo(view: str) -> DraftPhoto | None:
    """The photo of `view` brought back from a draft (until removed or replaced)."""
    photo: DraftPhoto | None = st.session_state.get(form_key(f"restored_{view}"))
    if photo is None:
        return None
    st.caption(f"From the unsaved draft: {md_escape(photo.filename)}")
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
            store.save_draft(client.id, draft.to_bytes())
        except PostureError as exc:
            st.warning(f"The draft could not be kept ({md_escape(str(exc))}).")
        else:
            state[form_key("draft_digest")] = digest
    return digest


def mark_saved(digest: str) -> None:
    """The form's content is stored: do not keep it as a draft again unless it changes."""
    st.session_state[form_key("draft_digest")] = digest


#: WebRTC on this machine only: no public STUN/TURN servers (they would leak traffic).
NO_ICE: dict[str, list[object]] = {"iceServers": []}
BURST_FRAMES = 5


class FrameGrabber:
    """Keeps the last few frames of a WebRTC stream (called from streamlit-webrtc's thread)."""

    def __init__(self, size: int = BURST_FRAMES) -> None:
        self._lock = threading.Lock()
        self._frames: deque[np.ndarray] = deque(maxlen=size)

    def on_frame(self, frame):  # type: ignore[no-untyped-def]
        image = frame.to_ndarray(format="bgr24")
        with self._lock:
            self._frames.append(image)
        return frame

    def burst(self) -> list[np.ndarray]:
        with self._lock:
            return list(self._frames)


def webcam_burst(key: str) -> tuple[bytes, ...] | None:
    """A live camera view and a button that takes the last 5 frames (about 0.2 s) as a burst."""
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    grabber: FrameGrabber = st.session_state.setdefault(f"grabber_{key}", FrameGrabber())
    webrtc_streamer(
        key=f"burst_{key}", mode=WebRtcMode.SENDRECV, rtc_configuration=NO_ICE, server_rtc_configuration=NO_ICE,
        media_stream_constraints={"video": True, "audio": False}, video_frame_callback=grabber.on_frame,
    )
    if st.button(f"Capture burst ({BURST_FRAMES} frames)", key=f"capture_{key}"):
        frames = grabber.burst()
        if len(frames) < BURST_FRAMES:
            st.warning("No video yet: press START, allow the camera, then capture.")
        else:
            st.session_state[f"burst_{key}_frames"] = tuple(encode_jpeg(f, 95) for f in frames)
    captured = st.session_state.get(f"burst_{key}_frames")
    if captured:
        st.caption(f"Burst of {len(captured)} frames captured; they are combined to cut landmark noise.")
    return captured
