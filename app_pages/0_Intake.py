"""Intake assessment (therapist): client, intake form, front/side/back photos, findings,
pre-session summary, saved locally. Thin shell: all work is in the `posture` package.

Every widget of the assessment is keyed with `form_key`/`field` (posture.ui.widgets): a client
switch or "New assessment" starts a clean form, and `field` values are kept in the draft.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st

from posture.core.body.views import VIEW_CHOICES, VIEW_HELP, View, ViewName
from posture.core.errors import PostureError
from posture.core.image.imaging import ACCEPTED_TEXT, read_camera_exif
from posture.core.intake import PAIN_AREAS, Intake
from posture.live.capture import Intended
from posture.report.filenames import download_name
from posture.report.html import to_html
from posture.report.markdown import chart_svg, md_escape, page_markdown
from posture.report.pdf import to_pdf
from posture.report.summary import Summary
from posture.report.summary_text import DISCLAIMER
from posture.store.records import NewPhoto
from posture.ui.assessment_form import (
    assessment_header,
    field,
    follow_client,
    form_key,
    keep_draft,
    mark_saved,
    restored_photo,
)
from posture.ui.auth import current_actor
from posture.ui.clients import client_picker
from posture.ui.device_capture import device_shots
from posture.ui.guided_camera import guided_webcam
from posture.ui.handout_builder import handout_builder
from posture.ui.messages import show_flash
from posture.ui.page import get_store
from posture.ui.photo_results import (
    UPLOAD_LIMIT_TEXT,
    assess_bytes,
    camera_turn_between_views,
    show_assessed,
    upload_too_large,
)
from posture.ui.samples import leave_samples_for, sample_button
from posture.ui.workflows import DraftPhoto, change_lines, work_setup_text

st.set_page_config(page_title="Posture intake", layout="wide")

VIEWS = (("front", "Front"), ("side", "Side"), ("back", "Back (optional)"))
MAX_SHOTS = 5
#: The view each tab asks for, for the capture guidance's turn prompts.
INTENDED: dict[str, Intended] = {"front": "front", "side": "side", "back": "back"}
NOT_RATED = "not rated"
PAIN_LEVELS = (NOT_RATED, *range(11))


def intake_form() -> Intake:
    """The intake answers; nothing the therapist did not touch is recorded as an answer."""
    st.subheader("1. Intake")
    c1, c2 = st.columns(2)
    with c1:
        areas = st.multiselect("Where does it hurt?", PAIN_AREAS, key=field("pain_areas"))
        levels = {area: st.select_slider(f"{area}: pain 0–10", PAIN_LEVELS, key=field(f"pain_{area}"))
                  for area in areas}
        duration = st.text_input("How long has it hurt?", key=field("duration"))
    with c2:
        activities = st.text_area("Recent usual or unusual activities (last week or so)", key=field("activities"))
        hours = st.number_input("Desk hours per day", 0.0, 24.0, None, 0.5, key=field("desk_hours"))
        mostly = st.radio("At work mostly", ("sitting", "standing", "mixed"), index=None, horizontal=True,
                          key=field("work_mostly"))
        notes = st.text_area("Notes", key=field("notes"))
    pain = {area: None if level == NOT_RATED else int(level) for area, level in levels.items()}
    return Intake(pain=pain, duration=duration, activities=activities, work_setup=work_setup_text(hours, mostly),
                  notes=notes)


def capture(view_key: str, label: str) -> DraftPhoto | None:
    """Upload a photo, take a guided webcam burst (5 frames in 0.2 s), or take shots one by one
    with the device's camera (a tablet's level with them). Several frames of one pose are
    combined. A photo restored from a draft counts until replaced. A guided shot taken against the set-up checks keeps its override note (a draft
    field, so a reload keeps it too)."""
    source = st.radio(f"{label}: source", ("Upload", "Webcam burst", "Camera (tablet or webcam)"), horizontal=True,
                      key=field(f"src_{view_key}"))
    taken: DraftPhoto | None = None
    note = ""
    if source == "Upload":
        # No type filter here: a refused type would become a chip whose reason shows only on
        # hover, with the previous photo's results still on screen. Every file is read and a
        # refusal says why, in place of the results.
        f = st.file_uploader(f"{label} photo ({ACCEPTED_TEXT}; {UPLOAD_LIMIT_TEXT})", key=form_key(f"up_{view_key}"))
        if f is not None and (refused := upload_too_large(f.name, f.size)):
            st.error(refused)
            return None  # nothing of this view is shown or summarised: not the previous photo either
        taken = DraftPhoto(f.name, (f.getvalue(),)) if f else None
    elif source == "Webcam burst":
        shot = guided_webcam(form_key(view_key), intended=INTENDED[view_key])
        taken = DraftPhoto(f"{view_key}-burst.jpg", shot.frames) if shot else None
        note = shot.override if shot else ""
    else:
        # A tablet's or a webcam's single shots, each checked like the burst; a tablet's level goes with them.
        shots = device_shots(form_key(view_key), intended=INTENDED[view_key], max_shots=MAX_SHOTS)
        taken = DraftPhoto(f"{view_key}-camera.jpg", shots.frames, shots.level) if shots else None
        note = shots.override if shots else ""
    if taken is not None:
        st.session_state[field(f"override_{view_key}")] = note
    return taken or restored_photo(view_key)


def tab_mismatch(view_key: str, view: View) -> str | None:
    """The photo's view disagrees with the tab it was put in (a front photo in the Back tab), in
    words; None when they agree or the view is neither front, back nor side (turned)."""
    seen = {ViewName.FRONT: "front", ViewName.BACK: "back", ViewName.LEFT: "side", ViewName.RIGHT: "side"}.get(view.name)
    if seen is None or seen == view_key:
        return None
    how = "set by hand to" if view.source == "user" else "detected as"
    return (f"This photo's view is {how} {view.name.value}, but it is in the {view_key.capitalize()} tab. "
            f"Put it in the {seen.capitalize()} tab, or correct the view above if the detection is wrong.")


CAMERA_CHOICES = ("measured from the scene (default)", "levelled on a tripod", "rolled by a stated angle")


@dataclass(frozen=True)
class PhotoOptions:
    view: str
    camera_level: bool
    camera_roll_deg: float | None
    mirrored: bool
    override: str


def photo_options(view_key: str, photo: DraftPhoto) -> PhotoOptions:
    """Per photo: mirrored selfie (preset from EXIF), the view (with what left/right mean),
    and the camera reference (the scene's lines, or the therapist's statement)."""
    state = st.session_state
    exif = read_camera_exif(photo.frames[0])
    # A new photo starts from its own EXIF and from the measured camera: the choices belong
    # to one photo. The photo's digest is a draft field, so a restored draft keeps them.
    digest = hashlib.sha256(photo.frames[0]).hexdigest()[:16]
    if state.get(field(f"options_for_{view_key}")) != digest:
        state[field(f"options_for_{view_key}")] = digest
        state[field(f"selfie_{view_key}")] = exif.front_camera
        state[field(f"camera_{view_key}")] = CAMERA_CHOICES[0]
        state[field(f"roll_{view_key}")] = None
    mirrored = st.checkbox("This photo is a mirrored selfie (front camera)", key=field(f"selfie_{view_key}"),
                           help="Selfie camera apps often mirror the picture, which swaps the client's left and right. "
                                "Ticked, the photo is flipped back before measuring.")
    exif_note = st.container()  # always there, so the widgets below keep their place
    if exif.front_camera:
        exif_note.caption(f"Preset from the photo's EXIF: taken with a front camera ({md_escape(exif.lens_model)}). "
                          "Untick it if the camera app did not mirror the picture.")
    c1, c2, c3 = st.columns([2, 3, 2])
    view = c1.selectbox("View (detected automatically; correct it if wrong)", VIEW_CHOICES, key=field(f"view_{view_key}"),
                        help=VIEW_HELP)
    c1.caption("left / right: the client's side that is toward the camera.")
    camera = c2.radio("Camera", CAMERA_CHOICES, key=field(f"camera_{view_key}"),
                      help="By default the camera's roll and pitch are measured from the scene's vertical lines (shown in "
                           "yellow on the photo) and the landmarks levelled by them. Override it when you know better.")
    stated = camera == CAMERA_CHOICES[2]
    roll = c3.number_input("Stated roll (°)", -45.0, 45.0, None, 0.5, key=field(f"roll_{view_key}"), disabled=not stated,
                           help="+ when the room's verticals lean to the right in the photo")
    if stated and roll is None:
        c3.caption("Type the roll; until then the scene's measurement is used.")
    return PhotoOptions(view, camera == CAMERA_CHOICES[1], float(roll) if stated and roll is not None else None, mirrored,
                        str(state.get(form_key(f"override_{view_key}")) or ""))


def main() -> None:
    st.title("Intake assessment")
    st.warning(DISCLAIMER, icon="⚠️")
    store = get_store()
    client = client_picker(store, "intake")
    leave_samples_for(client.id if client else None)
    follow_client(store, client)
    show_flash()
    assessment_header(store, client)
    if client is None:
        # the header's caption already says to pick a client to save: this adds only where else to go
        st.info("For a quick desk check without an account, use **Self check**.")
        sample_button()
    intake = intake_form()

    st.subheader("2. Photos")
    st.caption("Whole body in frame, camera level at about hip height, client standing relaxed.")
    height = client.height_cm if client else None
    results = []
    photos: dict[str, DraftPhoto] = {}
    for (view_key, label), tab in zip(VIEWS, st.tabs([lbl for _, lbl in VIEWS]), strict=True):
        with tab:
            photo = capture(view_key, label)
            if photo is None:
                continue
            photos[view_key] = photo
            opts = photo_options(view_key, photo)
            try:
                with st.spinner(f"Assessing the {label.lower()} photo…"):
                    item = assess_bytes(photo.frames, photo.filename, opts.view, height, camera_level=opts.camera_level,
                                        camera_roll_deg=opts.camera_roll_deg, mirrored=opts.mirrored,
                                        override=opts.override, device_level=photo.device_level)
            except PostureError as exc:
                st.error(f"Not assessed: {md_escape(str(exc))}")
                continue
            results.append(item)
            if wrong := tab_mismatch(view_key, item.assessment.view):
                st.warning(wrong)
            show_assessed(item)
    digest = keep_draft(store, client, photos)

    if not results:
        return
    # The change is against the session before this form's: once saved, the form's own session
    # is the newest and must not be its own baseline.
    saved_session = st.session_state.get(form_key("saved_session"))
    past = [s for s in store.sessions(client.id, actor=current_actor()) if s.id != saved_session] if client else []
    changes = change_lines([p.assessment for p in past[-1].photos], [r.assessment for r in results]) if past else []
    summary = Summary([r.assessment for r in results], client=client.name if client else "", intake=intake,
                      annotated_jpegs=[r.annotated_jpeg for r in results], changes_text=changes,
                      birth_date=client.birth_date if client else None, height_cm=height,
                      camera_turn_deg=camera_turn_between_views(results))

    st.subheader("3. Pre-session summary")
    # The first page: user text in it went through md_escape (shown exactly as typed, line breaks
    # kept); the disclaimer is at the top of the page already. The body chart beside it.
    text_col, chart_col = st.columns([3, 1])
    text_col.markdown(page_markdown(summary))
    if svg := chart_svg(summary, 240):
        chart_col.image(svg, caption="Pain by area, 0–10 (grey: not rated)")
    paper = st.radio("Paper", ("A4", "Letter"), horizontal=True, key=form_key("paper"),
                     format_func=lambda p: "US Letter" if p == "Letter" else p)
    c1, c2, c3, c4 = st.columns(4)
    who = client.name if client else ""
    c1.download_button("Download HTML", to_html(summary), download_name(who, summary.created, "html"), "text/html")
    c2.download_button("Download PDF", to_pdf(summary, "Letter" if paper == "Letter" else "A4"),
                       download_name(who, summary.created, "pdf"), "application/pdf")
    c3.download_button("Download JSON", summary.to_json(), download_name(who, summary.created, "json"),
                       "application/json")
    if client is not None:
        # Saving twice the same photos and intake (a rerun after the click) must not duplicate.
        signature = hashlib.sha256(f"{client.id}:{digest}".encode()).hexdigest()
        if st.session_state.get(form_key("saved")) == signature:
            c4.success("Saved")
            st.success(f"Saved as session {saved_session} for {md_escape(client.name)}.")
        elif c4.button("Save assessment", type="primary", key=form_key("save")):
            try:
                # The key makes a second submit of the same form (another tab, a double click racing
                # the rerun) return the first session instead of storing a duplicate.
                sid = store.save_session(client.id, intake, [NewPhoto(r.photo_jpeg, r.filename, r.assessment) for r in results],
                                         actor=current_actor(), idempotency_key=signature[:64])
            except PostureError as exc:
                st.error(f"Not saved: {md_escape(str(exc))}")
            else:
                st.session_state[form_key("saved")] = signature
                st.session_state[form_key("saved_session")] = sid
                mark_saved(digest)  # the store dropped the draft with the save
                st.rerun()  # redrawn as saved: the draft notice gone, the change against the session before
    handout_builder([r.assessment for r in results], client.name if client else "", form_key)


main()
