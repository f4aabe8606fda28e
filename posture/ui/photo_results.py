"""A photo's assessment in the app: assessed once per content (cached per server) and shown
as the annotated photo beside its set-up notes, measures, findings and warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from posture.core.assessment import Assessment, assess
from posture.core.image.device import DeviceLevel
from posture.core.image.imaging import encode_jpeg, load_image, read_camera_exif
from posture.core.pair import camera_turn, first_front_and_back
from posture.report.markdown import md_escape, measures_markdown
from posture.report.summary_text import POSSIBLE_HEADING, photo_no_findings_text

from .workflows import annotated_jpeg, setup_notes

#: The largest photo the app takes, in MB (10^6 bytes, as the uploader's chip counts). The server's own limit
#: (server.maxUploadSize, posture/ui/serve.py) is higher on purpose: a file the server refuses
#: becomes a red chip whose reason shows only on hover, with the previous photo's results still
#: on screen; a file that reaches the page is refused here, in words, in place of the results.
UPLOAD_LIMIT_MB = 25


#: What the uploaders' labels say about the limit (the dropzone's own line, with the server's
#: higher limit, is hidden by posture.ui.page.page_style).
UPLOAD_LIMIT_TEXT = f"up to {UPLOAD_LIMIT_MB} MB"


def upload_too_large(name: str, size: int) -> str | None:
    """Why an upload of `size` bytes is refused, in words (None when it is within the limit)."""
    if size <= UPLOAD_LIMIT_MB * 1_000_000:
        return None
    return (f"{md_escape(name)}: the file is {size / 1e6:.1f} MB, over the {UPLOAD_LIMIT_MB} MB limit for a photo. "
            "Save it smaller (a JPEG from the phone or camera is a few MB) and upload it again.")


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
                 override: str = "", device_level: DeviceLevel | None = None) -> Assessed:
    """Assess one photo (or a burst of webcam frames); errors propagate as PostureError.

    `camera_level`/`camera_roll_deg`: the therapist's statement of the camera, in place of
    the scene's lines; `mirrored`: a mirrored selfie; `override`: the note of a shot taken
    although the capture guidance said not ready (kept in the assessment's warnings);
    `device_level`: the level the tablet's or phone's sensor measured at the shot."""
    first = load_image(frames[0], name=name)
    rest = [load_image(f, name=name) for f in frames[1:]]
    result = assess(first, view=view, height_cm=height_cm, burst=rest, camera_level=camera_level,
                    camera_roll_deg=camera_roll_deg, mirrored=mirrored, camera_exif=read_camera_exif(frames[0]),
                    device_level=device_level)
    if override:
        result = replace(result, warnings=[*result.warnings, override])
    # The photo is stored as loaded: the assessment's `image` block says how to orient it.
    return Assessed(result, encode_jpeg(first.bgr, 92), annotated_jpeg(first, result), name)


def camera_turn_between_views(results: list[Assessed]) -> float | None:
    """How far the camera turned between the session's front and back photo, from their
    backgrounds (`pair.camera_turn`); None without both or when it cannot be told."""
    found = first_front_and_back([r.assessment for r in results])
    if found is None:
        return None
    front, back = (results[i] for i in found)
    # What the match depends on besides the photos (how each was oriented, where its person
    # is), so a rerun of the page reuses it instead of decoding and matching both again.
    read_as = tuple((a.image.mirrored, a.image.quarter_turns, a.landmarks.bbox())
                    for a in (front.assessment, back.assessment))
    return _camera_turn(front.photo_jpeg, back.photo_jpeg, read_as, front.assessment, back.assessment)


@st.cache_data(show_spinner=False, max_entries=16)
def _camera_turn(front_jpeg: bytes, back_jpeg: bytes, read_as: object, _front: Assessment,
                 _back: Assessment) -> float | None:
    """Cached on the photos and `read_as`; the assessments (underscored: not hashed) follow from them."""
    return camera_turn(_front, load_image(front_jpeg).bgr, _back, load_image(back_jpeg).bgr)


def show_setup(a: Assessment, where: DeltaGenerator | None = None) -> None:
    """The photo's set-up above its measures: status, the camera reference, each check that
    is not ok with its reading and fix, and what the view means (contradicted, turned)."""
    notes = setup_notes(a)
    if notes is None:
        return
    box = where if where is not None else st.container()
    {"ok": box.success, "caution": box.warning, "retake": box.error}[notes.status](notes.headline)
    for line in notes.view:
        box.warning(line)
    box.markdown("\n".join(f"- {t}" for t in (notes.camera, *notes.checks)))


def show_assessed(item: Assessed) -> None:
    a = item.assessment
    left, right = st.columns([3, 2])
    v = a.view
    left.image(item.annotated_jpeg, caption=f"{md_escape(item.filename)}: {v.name.value} view, {v.posture.value} "
               f"(view {v.how_text})")
    show_setup(a, right)
    # A Markdown table wraps: every reason shows in full at tablet width (a dataframe cuts it off).
    right.markdown(measures_markdown(a))
    for f in a.findings:
        right.markdown(f"**{f.severity.label.upper()}** — {f.title}")
    if not a.findings:
        right.info(photo_no_findings_text(a))
    if a.possible_findings:  # apart, and never a finding
        right.caption(POSSIBLE_HEADING + ": " + "; ".join(f"{f.title} ({f.severity.label})" for f in a.possible_findings))
    for w in a.warnings:
        right.caption(f"⚠ {md_escape(w)}")
