"""Streamlit building blocks shared by the app's pages (the UI room: no computation here).

One rule for user text (names, notes, pain areas...): it goes through `md_escape` wherever
Streamlit reads Markdown (body text, alerts, expander and checkbox labels), or `plain()`
for a paragraph of its own. Option labels of select boxes are shown as text already.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from posture.core.assessment import Assessment, assess
from posture.core.body.landmarks import Landmark
from posture.core.errors import PostureError
from posture.core.image.imaging import BGRImage, encode_jpeg, load_image, read_camera_exif
from posture.core.measuring.measures import HEIGHT_RANGE_CM
from posture.live.capture import FULL_BODY, SELF_TIMER_CHOICES, Countdown, GuideEngine, Intended, draw_guidance, override_note
from posture.live.monitor import FrameResult, LiveConfig, LiveEngine, SessionStats
from posture.report.draw import annotate_live
from posture.report.markdown import md_escape, measures_markdown
from posture.store.records import Client, Store

from .auth import app_mode, current_actor
from .workflows import Draft, DraftPhoto, FieldValue, annotated_jpeg, setup_notes

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
                 + ". Start it with `make run` or `python -m posture.ui.serve`, which set this right.")
        st.stop()


def page_style() -> None:
    """Long words (URLs) in user text wrap instead of overflowing their column. A live
    video (streamlit-webrtc) is no wider than lets its 4:3 picture and the buttons under it
    fit the window's height (st.camera_input limits its own height already)."""
    st.html("<style>[data-testid='stMarkdownContainer'], [data-testid='stText']"
            "{overflow-wrap:anywhere}"
            "iframe[title*='streamlit_webrtc']{max-width:max(320px, calc((100vh - 220px) * 4 / 3))}</style>")


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


@contextmanager
def errors_shown() -> Iterator[None]:
    """Run a page so that our errors stop it with their one-line message, never a traceback.

    A client deleted or unshared by someone else meanwhile, a damaged photo file, a refused
    action: each is a PostureError with a message written for the user.
    """
    try:
        yield
    except PostureError as exc:
        st.error(md_escape(str(exc)))


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    """The local database (POSTURE_DATA_DIR or ~/.posture), opened once per server.

    In clinic mode a store call that names no user is refused rather than acting as solo.
    """
    return Store(refuse_solo=app_mode() == "clinic")


@dataclass(frozen=True)
class Assessed:
    """One view's result, ready to show and to save."""

    assessment: Assessment
    photo_jpeg: bytes  # the upright photo, as stored
    annotated_jpeg: bytes
    filename: str


@st.cache_data(show_spinner=False, max_entries=64)
def assess_bytes(frames: tuple[bytes, ...], name: str, view: str, height_cm: float | None, *,
                 camera_level: bool = False, camera_roll_deg: float | None = None, mirrored: bool = False,
                 override: str = "") -> Assessed:
    """Assess one photo (or a burst of webcam frames); errors propagate as PostureError.

    `camera_level`/`camera_roll_deg`: the therapist's statement of the camera, in place of
    the scene's lines; `mirrored`: a mirrored selfie; `override`: the note of a shot taken
    although the capture guidance said not ready (kept in the assessment's warnings)."""
    first = load_image(frames[0], name=name)
    rest = [load_image(f, name=name) for f in frames[1:]]
    result = assess(first, view=view, height_cm=height_cm, burst=rest, camera_level=camera_level,
                    camera_roll_deg=camera_roll_deg, mirrored=mirrored, camera_exif=read_camera_exif(frames[0]))
    if override:
        result = replace(result, warnings=[*result.warnings, override])
    # The photo is stored as loaded: the assessment's `image` block says how to orient it.
    return Assessed(result, encode_jpeg(first.bgr, 92), annotated_jpeg(first, result), name)


def show_setup(a: Assessment, where: DeltaGenerator | None = None) -> None:
    """The photo's set-up above its measures: status, the camera reference, each check that
    is not ok with its reading and fix, and what the view means (contradicted, turned)."""
    notes = setup_notes(a)
    if notes is None:
        return
    box = where if where is not None else st.container()
    headline = {"ok": "Photo set-up: ok", "caution": "Photo set-up: caution — read the notes below",
                "retake": "Photo set-up: retake — the affected measures are withheld"}[notes.status]
    {"ok": box.success, "caution": box.warning, "retake": box.error}[notes.status](headline)
    for line in notes.view:
        box.warning(line)
    box.markdown("\n".join(f"- {t}" for t in (notes.camera, *notes.checks)))


def show_assessed(item: Assessed) -> None:
    a = item.assessment
    left, right = st.columns([3, 2])
    v = a.view
    left.image(item.annotated_jpeg, caption=f"{md_escape(item.filename)}: {v.name.value} view, {v.posture.value} "
               f"({v.source}, confidence {v.confidence:.2f})")
    show_setup(a, right)
    # A Markdown table wraps: every reason shows in full at tablet width (a dataframe cuts it off).
    right.markdown(measures_markdown(a))
    for f in a.findings:
        right.markdown(f"**{f.severity.label.upper()}** — {f.title}")
    if not a.findings:
        right.info("No imbalance cleared its screening threshold by more than its uncertainty.")
    for w in a.warnings:
        right.caption(f"⚠ {md_escape(w)}")


def client_picker(store: Store, page: str, key: str = "client_id") -> Client | None:
    """Sidebar: pick a client or create one. Returns the current client.

    The choice is kept in the session and in the address (`?client=<id>`), so a reload
    comes back to the same client (and to their unsaved draft). Each `page` has its own
    select box, seeded from the session's choice: Streamlit does not hand a widget's value
    to a widget of the same key on another page (History opened on "pick a client").
    """
    clients = store.list_clients(actor=current_actor())
    ids = [c.id for c in clients]
    labels = {c.id: c.name + (f" ({c.birth_date})" if c.birth_date else "") for c in clients}
    state = st.session_state
    select_key = f"{key}_select_{page}"
    # `key` (a plain value) survives page switches; the widget's own state does not.
    if f"{key}_pending" in state:
        state[select_key] = state.pop(f"{key}_pending")
    elif select_key not in state:
        state[select_key] = state.get(key, _client_from_address())
    gone = state[select_key] is not None and state[select_key] not in ids
    if gone:  # deleted (here, in another tab or by a colleague), or no longer shared
        state[select_key] = None
    new_fields = (f"{key}_new_name", f"{key}_new_dob", f"{key}_new_height")
    if state.pop(f"{key}_new_created", False):  # a created client's name is not left to be created twice
        for field_key in new_fields:
            state.pop(field_key, None)
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
                        flash(f"Created: {client_line(c)}")
                        st.rerun()
    if gone:
        st.warning("The client you had open is no longer in your list: deleted (in another tab or by a colleague) "
                   "or no longer shared with you. Nothing typed for them since can be saved; pick a client in the sidebar.")
    return next((c for c in clients if c.id == state.get(key)), None)


def forget_client(client_id: int, key: str = "client_id") -> None:
    """This session deleted `client_id`: no page keeps it chosen (nor warns that it is gone)."""
    state = st.session_state
    for k in [k for k in state if k == key or str(k).startswith(f"{key}_select_")]:
        if state[k] == client_id:
            state[k] = None


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
            store.delete_draft(client.id, actor=current_actor())
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


#: WebRTC on this machine only: no public STUN/TURN servers (they would leak traffic).
NO_ICE: dict[str, list[object]] = {"iceServers": []}
BURST_FRAMES = 5


class GuidedCamera:
    """The guide engine of one live camera, and its self-timer (the video thread reads both)."""

    def __init__(self, engine: GuideEngine) -> None:
        self.engine = engine
        self.countdown: Countdown | None = None

    def on_frame(self, frame):  # type: ignore[no-untyped-def]
        import av

        image = frame.to_ndarray(format="bgr24")
        guidance = self.engine.process(image)
        countdown = self.countdown
        left = None if countdown is None else countdown.remaining(time.monotonic())
        return av.VideoFrame.from_ndarray(draw_guidance(image, guidance, left), format="bgr24")


@dataclass(frozen=True)
class GuidedShot:
    frames: tuple[bytes, ...]
    #: "" when the set-up checks passed; else `capture.override_note` (kept with the photo).
    override: str = ""


def _take(camera: GuidedCamera, key: str, n_frames: int, *, anyway: bool) -> str | None:
    """Take the shot if the guidance says ready (or `anyway`); else say why not."""
    guidance, frames = camera.engine.guidance, camera.engine.burst()
    if guidance is None or len(frames) < n_frames:
        return "No video yet: press START, allow the camera, then take the photo."
    if not guidance.ready and not anyway:
        return ("Not taken yet: " + "; ".join(p.text for p in guidance.blocking)
                + ". Fix this, or press “Take it anyway” (the override is recorded with the photo).")
    note = "" if guidance.ready else override_note(guidance)
    st.session_state[f"shot_{key}"] = GuidedShot(tuple(encode_jpeg(f, 95) for f in frames[-n_frames:]), note)
    camera.countdown = None
    return None


@st.fragment(run_every=0.5)
def _guidance_panel(key: str, n_frames: int) -> None:
    """The prompts beside the video, and the self-timer: when it runs out the shot is taken
    as soon as the checks pass."""
    camera: GuidedCamera = st.session_state[f"guided_{key}"]
    guidance = camera.engine.guidance
    countdown = camera.countdown
    if guidance is None:
        st.info("Press START and allow the camera: the framing and level guidance appears here.")
        return
    if countdown is not None:
        left = countdown.remaining(time.monotonic())
        if left > 0:
            st.info(f"Self-timer: {left:.0f} s")
        elif guidance.ready:
            _take(camera, key, n_frames, anyway=False)
            st.rerun()
        else:
            st.warning("Self-timer done: waiting for the set-up checks to pass (or press “Take it anyway”).")
    (st.success if guidance.ready else st.warning)(
        "Ready: hold still." if guidance.ready else "Before the photo: " + guidance.blocking[0].text)
    st.markdown("\n".join(f"- {p.text}" for p in guidance.prompts) or "- framing, turn and camera level are fine")
    st.caption(f"Level: {guidance.level.text}. The dashed box is the frame the body should fill; the yellow line "
               "in the level indicator shows true vertical.")


def guided_webcam(key: str, *, intended: Intended = "auto", required: tuple[Landmark, ...] = FULL_BODY,
                  n_frames: int = BURST_FRAMES, label: str = f"Capture burst ({BURST_FRAMES} frames)") -> GuidedShot | None:
    """A live camera view with capture guidance drawn on it (the frame to fill, the level
    indicator, the first prompt, the self-timer), the prompts beside it, a capture button,
    a self-timer and "Take it anyway". The shot is the last `n_frames` frames (a burst of
    about 0.2 s), taken only when the checks pass unless overridden (then the override is
    in `GuidedShot.override`)."""
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    camera: GuidedCamera = st.session_state.setdefault(
        f"guided_{key}", GuidedCamera(GuideEngine(intended=intended, required=required, keep=n_frames)))
    # The video beside its controls, not above them: at 1400x900 (and 820 wide) the capture
    # button is on screen whenever the video is, instead of a full-width video's height below it.
    video, controls = st.columns([3, 2])
    with video:
        webrtc_streamer(
            key=f"burst_{key}", mode=WebRtcMode.SENDRECV, rtc_configuration=NO_ICE, server_rtc_configuration=NO_ICE,
            media_stream_constraints={"video": True, "audio": False}, video_frame_callback=camera.on_frame,
            async_processing=True, on_video_ended=camera.engine.release,  # STOP, page switch, peer gone: free the graph
        )
    problem = None
    with controls:
        if st.button(label, key=f"capture_{key}", type="primary", width="stretch"):
            problem = _take(camera, key, n_frames, anyway=False)
        timer, start = st.columns([1, 1], vertical_alignment="bottom")
        seconds = timer.selectbox("Self-timer", SELF_TIMER_CHOICES, format_func=lambda s: f"{s} s", key=f"timer_s_{key}")
        if start.button("Start self-timer", key=f"timer_{key}"):
            camera.countdown = Countdown(float(seconds), time.monotonic())
        if st.button("Take it anyway", key=f"anyway_{key}",
                     help="Take the photo although the set-up checks do not pass; the failed checks are recorded with it."):
            problem = _take(camera, key, n_frames, anyway=True)
        notice = st.container()  # always there: the widgets below keep their place
        if problem:
            notice.warning(problem)
        _guidance_panel(key, n_frames)
    shot: GuidedShot | None = st.session_state.get(f"shot_{key}")
    if shot is not None:
        what = "Burst of" if len(shot.frames) > 1 else "Photo of"
        st.caption(f"{what} {len(shot.frames)} frames captured; they are combined to cut landmark noise.")
        if shot.override:
            st.warning(shot.override.capitalize())
    return shot


# --- the live monitor page: one pose graph per running stream, released when it ends ------


class LiveMonitor:
    """The live page's engine and latest result, shared by streamlit-webrtc's threads and
    the page.

    A pose graph (about 100 MB, freed only by closing it) exists only while a stream runs:
    it starts on the stream's first frame and is closed when the stream ends (`on_ended`,
    which streamlit-webrtc calls on STOP, on a page switch and when the peer goes away) or
    when the browser session ends (`close`, see `live_monitor`). The last result and the
    stream's statistics stay readable after that. A monitor closed for good starts no graph.
    """

    def __init__(self, config: LiveConfig, engine_factory: Callable[[LiveConfig], LiveEngine] = LiveEngine) -> None:
        self.config = config
        self.alerts_seen = 0  # alerts the page has already announced (toast, sound)
        self._engine_factory = engine_factory
        self._lock = threading.Lock()
        self._engine: LiveEngine | None = None
        self._stream_start = 0.0
        self._stats: SessionStats | None = None
        self._last: FrameResult | None = None
        self._closed = False

    @property
    def streaming(self) -> bool:
        """True while a pose graph is held (between a stream's first frame and its end)."""
        return self._engine is not None

    def configure(self, config: LiveConfig) -> bool:
        """New settings from the page, applied from the next frame on: the running stream and
        its statistics go on (a new stream is not started for a changed slider). Returns
        True when something changed."""
        with self._lock:
            if config == self.config:
                return False
            self.config = config
            if self._engine is not None:
                self._engine.config = config
            return True

    def process(self, image: BGRImage, now: float | None = None) -> FrameResult | None:
        """One frame of the current stream (None once the monitor is closed for good)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._closed:
                return None
            if self._engine is None:
                self._engine = self._engine_factory(self.config)
                self._stream_start, self._stats = now, self._engine.stats
                self.alerts_seen = 0  # a new stream counts its alerts from zero
            self._last = self._engine.process(image, now - self._stream_start)
            return self._last

    def on_frame(self, frame):  # type: ignore[no-untyped-def]
        """streamlit-webrtc's video callback: the frame annotated with the result."""
        import av

        image = frame.to_ndarray(format="bgr24")
        result = self.process(image)
        if result is None:
            return frame
        return av.VideoFrame.from_ndarray(annotate_live(image, result), format="bgr24")

    def on_ended(self) -> None:
        """The stream ended: free its pose graph (the next START gets a fresh one)."""
        with self._lock:
            if self._engine is not None:
                self._engine.close()  # before `streaming` turns False: the page says "stopped" once it is freed
                self._engine = None

    def close(self) -> None:
        """The browser session ended: free everything, start nothing again. Idempotent."""
        with self._lock:
            self._closed = True
        self.on_ended()

    def snapshot(self) -> tuple[FrameResult | None, dict[str, object] | None]:
        """The latest result and the current (or last) stream's statistics."""
        with self._lock:
            return self._last, None if self._stats is None else self._stats.to_dict()


@st.cache_resource(scope="session", max_entries=1, on_release=LiveMonitor.close, show_spinner=False)
def live_monitor() -> LiveMonitor:
    """This browser session's monitor. Streamlit releases it (closing its graph) when the
    session disconnects. Settings changes go through `LiveMonitor.configure`, which keeps
    the stream and its statistics."""
    return LiveMonitor(LiveConfig())


def alert_chime(volume: float = 0.25) -> bytes:
    """A soft two-note chime (WAV, 0.6 s): noticeable without startling."""
    import io
    import wave

    import numpy as np

    rate = 22050
    t = np.arange(int(0.3 * rate)) / rate
    envelope = np.exp(-6 * t) * np.minimum(1.0, t / 0.01)  # no click at the start
    notes = [np.sin(2 * np.pi * f * t) * envelope for f in (660.0, 880.0)]
    samples = (np.concatenate(notes) * volume * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buffer.getvalue()
