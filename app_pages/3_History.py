"""History: a client's assessments over time, any two side by side, changes and trends."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from posture.core.assessment import Assessment
from posture.core.compare import CHANGE_RULE, compare
from posture.core.errors import PostureError
from posture.core.image.imaging import encode_jpeg, load_image
from posture.report.filenames import download_name
from posture.report.html import to_html
from posture.report.markdown import md_escape
from posture.report.pdf import to_pdf
from posture.report.summary import Summary
from posture.report.summary_text import DISCLAIMER
from posture.store.records import SessionRecord
from posture.ui.auth import current_actor
from posture.ui.clients import client_picker
from posture.ui.handout_builder import handout_builder
from posture.ui.messages import flash, show_flash
from posture.ui.page import get_store
from posture.ui.trend_chart import WHISKER_NOTE, measures_chart, pain_chart
from posture.ui.workflows import (
    annotated_jpeg,
    change_lines,
    change_table,
    counted,
    default_after,
    default_pair,
    key_measures_over_sessions,
    pain_over_sessions,
    pair_problem,
    session_date,
    session_findings_text,
    session_label,
    session_ticks,
    shared_views,
    side_by_side,
)

st.set_page_config(page_title="History", layout="wide")
st.title("History and before/after")
st.caption(DISCLAIMER)
store = get_store()
actor = current_actor()
client = client_picker(store, "history")
show_flash()
if client is None:
    st.info("Pick a client in the sidebar.")
    st.stop()
# Self checks the therapist added to this client's file are shown, marked as such; the
# comparison opens on the previous and the latest assessment.
sessions = store.sessions(client.id, kind=None, actor=actor)
if not sessions:
    st.info(f"No saved assessments for {md_escape(client.name)} yet.")
    st.stop()


numbers = {s.id: i for i, s in enumerate(sessions, 1)}


def label(s: SessionRecord) -> str:
    return session_label(s, numbers[s.id])


checks = len(sessions) - len([s for s in sessions if s.kind == "assessment"])
st.subheader(f"{md_escape(client.name)}: {counted(len(sessions) - checks, 'assessment')}"
             + (f", {counted(checks, 'self check')}" if checks else ""))


# What is drawn from stored photos is cached per server: a stored photo and its assessment
# never change, and redrawing them on every rerun made History slow to open (benchmarks/history.py).
# The keys are photo ids: a page only asks for photos of sessions its user may see.
@st.cache_data(show_spinner=False, max_entries=256)
def annotated(sha256: str, photo_id: int, _a: Assessment, max_side: int = 1400) -> bytes:
    """A stored photo annotated (a thumbnail at `max_side` 360, or the summary's picture)."""
    return annotated_jpeg(load_image(store.photo_bytes(sha256, actor=actor)), _a, max_side=max_side)


@st.cache_data(show_spinner=False, max_entries=32)
def before_after_panel(before_sha: str, before_id: int, _before: Assessment, after_sha: str, after_id: int,
                       _after: Assessment) -> bytes:
    """The two photos side by side, scaled to the same body height, as a JPEG."""
    img_b = load_image(store.photo_bytes(before_sha, actor=actor)).bgr
    img_a = load_image(store.photo_bytes(after_sha, actor=actor)).bgr
    return encode_jpeg(side_by_side(img_b, _before, img_a, _after), 90)


# --- the session story: pain per area and the key measures over the sessions --------------
pain = pain_over_sessions(sessions)
key = key_measures_over_sessions(sessions)
if len(sessions) == 1:
    only = sessions[0]
    st.info(f"One assessment so far ({session_date(only.created)}). Pain and measures are charted over sessions "
            "from the second assessment on; this one is below.")
else:
    ticks = list(session_ticks(sessions).values())
    # Side by side on a wide window; one under the other when narrow (see the style below).
    st.html("<style>@media (max-width: 1100px){.st-key-story_charts [data-testid=stHorizontalBlock]{flex-wrap:wrap}"
            ".st-key-story_charts [data-testid=stColumn]{min-width:100%}}</style>")
    with st.container(key="story_charts"):
        left, right = st.columns(2)
    left.markdown("**Pain per area (0–10)**")
    if pain:
        left.altair_chart(pain_chart(pain, ticks), width="stretch")
    else:
        left.caption("No pain levels were rated in these sessions' intakes.")
    right.markdown("**Key measures** (degrees)")
    for kind, title in (("frontal", "front and back photos"), ("sagittal", "side photos")):
        rows = [p for p in key if p.kind == kind]
        if rows:
            right.caption(title.capitalize())
            right.altair_chart(measures_chart(rows, ticks), width="stretch")
    if key:
        right.caption(WHISKER_NOTE)
    else:
        right.caption("No key measure was taken in these sessions' photos.")

story = []
for s in reversed(sessions):
    rated = ", ".join(f"{a} {lv}/10" for a, lv in s.intake.pain.items() if lv is not None)
    story.append({"session": label(s), "pain": rated or "not rated", "findings": session_findings_text(s)})
st.dataframe(story, hide_index=True, width="stretch")
# The thumbnails are drawn only while the expander is open (its content runs even when closed).
photos_panel = st.expander("Photos by session", expanded=len(sessions) <= 3, key=f"photos_by_session_{client.id}",
                           on_change="rerun")
if photos_panel.open:
    with photos_panel:
        for s in list(reversed(sessions))[:6]:
            st.caption(label(s))
            cells = st.columns(max(3, len(s.photos)))
            for cell, p in zip(cells, s.photos, strict=False):
                cell.image(annotated(p.sha256, p.id, p.assessment, 360), caption=p.assessment.view.name.value)
        if len(sessions) > 6:
            st.caption(f"The {len(sessions) - 6} earlier sessions' photos are in the before/after below.")

# --- before / after ---------------------------------------------------------------------
labels = {s.id: label(s) for s in sessions}
ids = [s.id for s in sessions]
after = default_after(sessions)  # the latest assessment: a self check is not the default "After"
pair = default_pair(sessions)
if pair is not None:
    st.subheader("Before and after")
    c1, c2, c3 = st.columns([2, 2, 1])
    # Keyed by client: another client opens on their own previous and latest assessment.
    before_id = c1.selectbox("Before", ids, index=ids.index(pair[0]), format_func=labels.get, key=f"before_{client.id}")
    after_id = c2.selectbox("After", ids, index=ids.index(pair[1]), format_func=labels.get, key=f"after_{client.id}")
    before = next(s for s in sessions if s.id == before_id)
    after = next(s for s in sessions if s.id == after_id)
    problem = pair_problem(before, after)
    views = shared_views(before, after)
    if problem is not None:
        c3.selectbox("View", ["—"], disabled=True, key="hist_view_none")
        st.error(problem)
    elif not views:
        c3.selectbox("View", ["—"], disabled=True, key="hist_view_none")
        b_views = ", ".join(p.assessment.view.name.value for p in before.photos) or "none"
        a_views = ", ".join(p.assessment.view.name.value for p in after.photos) or "none"
        st.warning(f"These two assessments have no view in common (before: {b_views}; after: {a_views}).")
    else:
        # Keyed by the pair: the picker opens on a view both assessments have.
        view = c3.selectbox("View", views, key=f"hist_view_{before.id}_{after.id}")
        pb = next(p for p in before.photos if p.assessment.view.name.value == view)
        pa = next(p for p in after.photos if p.assessment.view.name.value == view)
        panel = before_after_panel(pb.sha256, pb.id, pb.assessment, pa.sha256, pa.id, pa.assessment)
        st.image(panel, caption=f"Before ({session_date(before.created)}, left) and after "
                 f"({session_date(after.created)}, right), scaled to the same body height")
        st.markdown(change_table(compare(pb.assessment, pa.assessment)))
        st.caption(CHANGE_RULE)

# With one assessment there is no before/after: the heading names the session, not "after".
st.subheader("Pre-session summary of the 'after' assessment" if pair is not None
             else f"Pre-session summary: {session_label(after)}")
earlier = [s for s in sessions if s.created < after.created or (s.created == after.created and s.id < after.id)]
previous = [p.assessment for p in earlier[-1].photos] if earlier else []
owner = client.name + (" (self check)" if after.kind == "self_check" else "")
after_photos = after.photos


def summary() -> Summary:
    """The 'after' assessment's summary, built when a download is asked for (not on every rerun)."""
    return Summary([p.assessment for p in after_photos], client=owner, intake=after.intake,
                   annotated_jpegs=[annotated(p.sha256, p.id, p.assessment) for p in after_photos],
                   changes_text=change_lines(previous, [p.assessment for p in after_photos]),
                   created=dt.datetime.fromisoformat(after.created), birth_date=client.birth_date,
                   height_cm=client.height_cm)


# The paper is chosen before the PDF is taken, as on the intake page.
paper = st.radio("Paper", ("A4", "Letter"), horizontal=True, key="summary_paper",
                 format_func=lambda p: "US Letter" if p == "Letter" else p)
created = dt.datetime.fromisoformat(after.created)
d1, d2, _ = st.columns(3)
d1.download_button("Download HTML", lambda: to_html(summary()), download_name(client.name, created, "html"), "text/html")
d2.download_button("Download PDF", lambda: to_pdf(summary(), "Letter" if paper == "Letter" else "A4"),
                   download_name(client.name, created, "pdf"), "application/pdf")
handout_builder([p.assessment for p in after.photos], client.name, lambda n: f"{n}@{after.id}",
                dt.date.fromisoformat(after.created[:10]))

with st.expander("Delete an assessment"):
    # Nothing chosen until the therapist picks one: a preselected assessment is one click from gone.
    victim = st.selectbox("Assessment", ids, index=None, format_func=labels.get, key=f"delete_session_{client.id}",
                          placeholder="Choose the assessment to delete")
    # Confirmed by a tick first: the button stays greyed out until then, as for a client.
    sure = victim is not None and st.checkbox(f"Yes, delete the assessment of {labels[victim]} with its photos",
                                              key=f"sure_session_{victim}")
    if st.button("Delete assessment", disabled=not sure, key=f"delete_session_button_{client.id}") and victim is not None:
        store.delete_session(victim, actor=actor)
        st.session_state.pop(f"delete_session_{client.id}", None)
        st.session_state.pop(f"sure_session_{victim}", None)
        flash(f"Deleted the assessment of {md_escape(labels[victim])} with its photos.")
        st.rerun()

filed_checks = [s.id for s in sessions if s.kind == "self_check"]
if filed_checks:
    with st.expander("Take a self check out of this file"):
        st.caption("For a check filed under the wrong client: it goes back among the unfiled self checks of this "
                   "client's therapist (the Clients page), to be filed again. Both moves are recorded in the audit trail.")
        wrong = st.selectbox("Self check", filed_checks, index=None, format_func=labels.get,
                             key=f"unlink_check_{client.id}", placeholder="Choose the self check")
        if wrong is not None and st.button("Take it out of this file", key=f"unlink_{wrong}"):
            try:
                store.unlink_self_check(wrong, actor=actor)
            except PostureError as exc:
                st.error(f"Not moved: {md_escape(str(exc))}")
            else:
                flash(f"The self check of {labels[wrong]} is back among the unfiled self checks.")
                st.rerun()
