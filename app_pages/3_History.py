"""History: a client's assessments over time, any two side by side, changes and trends."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from posture.core.assessment import Assessment
from posture.core.compare import compare
from posture.core.errors import PostureError
from posture.core.image.imaging import load_image
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
from posture.ui.workflows import (
    annotated_jpeg,
    change_lines,
    change_table,
    counted,
    default_pair,
    key_measures_over_sessions,
    pain_over_sessions,
    pair_problem,
    session_date,
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


@st.cache_data(show_spinner=False, max_entries=256)
def thumbnail(sha256: str, photo_id: int, _a: Assessment) -> bytes:
    """A small annotated photo for the session story (cached: a photo never changes)."""
    return annotated_jpeg(load_image(store.photo_bytes(sha256, actor=actor)), _a, max_side=360)


# --- the session story: pain per area and the key measures over the sessions --------------
pain = pain_over_sessions(sessions)
key = key_measures_over_sessions(sessions)
if len(sessions) == 1:
    only = sessions[0]
    st.info(f"One assessment so far ({session_date(only.created)}). Pain and measures are charted over sessions "
            "from the second assessment on; this one is below.")
else:
    # Sessions evenly spaced by number ("#2 · 3 Mar"), in order: on a time axis two sessions
    # minutes apart share one spot and their labels overlap.
    ticks = list(session_ticks(sessions).values())
    axis = alt.Axis(labelAngle=0 if len(ticks) <= 4 else -35, labelPadding=6, labelLimit=140)
    tooltip_when = alt.Tooltip("when:T", title="time", format="%-d %b %Y %H:%M")
    # One legend entry a line, at full length: measure names are long ("Neck inclination
    # (ear-shoulder line from vertical) (left)") and a cut name is a guess.
    legend = alt.Legend(orient="bottom", columns=1, labelLimit=0)

    def chart(frame: pd.DataFrame, y: alt.Y, colour: str, plot_height: int) -> alt.Chart:
        # The chart fits its container: the height given is the whole chart's, axis and
        # legend included, so each legend line is added to keep the plot itself readable.
        height = plot_height + 45 + 22 * frame[colour].nunique()
        return alt.Chart(frame).mark_line(point=True).encode(
            x=alt.X("session:O", title=None, axis=axis, sort=ticks, scale=alt.Scale(domain=ticks)),
            y=y, color=alt.Color(f"{colour}:N", title=None, legend=legend),
            tooltip=["session", tooltip_when, *[c for c in frame.columns if c not in ("when", "session")]],
        ).properties(height=height)

    # Side by side on a wide window; one under the other when narrow (see the style below).
    st.html("<style>@media (max-width: 1100px){.st-key-story_charts [data-testid=stHorizontalBlock]{flex-wrap:wrap}"
            ".st-key-story_charts [data-testid=stColumn]{min-width:100%}}</style>")
    with st.container(key="story_charts"):
        left, right = st.columns(2)
    left.markdown("**Pain per area (0–10)**")
    if pain:
        frame = pd.DataFrame([{"session": p.session, "when": p.when, "area": p.area, "level": p.level} for p in pain])
        left.altair_chart(chart(frame, alt.Y("level:Q", title="pain", scale=alt.Scale(domain=[0, 10])), "area", 200),
                          width="stretch")
    else:
        left.caption("No pain levels were rated in these sessions' intakes.")
    right.markdown("**Key measures** (degrees)")
    for kind, title in (("frontal", "front and back photos"), ("sagittal", "side photos")):
        rows = [p for p in key if p.kind == kind]
        if rows:
            frame = pd.DataFrame([{"session": p.session, "when": p.when, "measure": p.measure, "value": round(p.value, 1),
                                   "±": round(p.uncertainty, 1)} for p in rows])
            right.caption(title.capitalize())
            right.altair_chart(chart(frame, alt.Y("value:Q", title=None), "measure", 180), width="stretch")
    if not key:
        right.caption("No key measure was taken in these sessions' photos.")

story = []
for s in reversed(sessions):
    rated = ", ".join(f"{a} {lv}/10" for a, lv in s.intake.pain.items() if lv is not None)
    top = [f.title for p in s.photos for f in p.assessment.findings][:3]
    story.append({"session": label(s), "pain": rated or "not rated", "findings": "; ".join(top) or "none cleared its threshold"})
st.dataframe(story, hide_index=True, width="stretch")
with st.expander("Photos by session", expanded=len(sessions) <= 3):
    for s in list(reversed(sessions))[:6]:
        st.caption(label(s))
        cells = st.columns(max(3, len(s.photos)))
        for cell, p in zip(cells, s.photos, strict=False):
            cell.image(thumbnail(p.sha256, p.id, p.assessment), caption=p.assessment.view.name.value)
    if len(sessions) > 6:
        st.caption(f"The {len(sessions) - 6} earlier sessions' photos are in the before/after below.")

# --- before / after ---------------------------------------------------------------------
labels = {s.id: label(s) for s in sessions}
ids = [s.id for s in sessions]
after = sessions[-1]
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
        img_b = load_image(store.photo_bytes(pb.sha256, actor=actor)).bgr
        img_a = load_image(store.photo_bytes(pa.sha256, actor=actor)).bgr
        panel = side_by_side(img_b, pb.assessment, img_a, pa.assessment)
        st.image(panel[:, :, ::-1], caption=f"Before ({session_date(before.created)}, left) and after "
                 f"({session_date(after.created)}, right), scaled to the same body height")
        st.markdown(change_table(compare(pb.assessment, pa.assessment)))
        st.caption("A change counts only when it exceeds the two readings' combined uncertainty (±).")

st.subheader("Pre-session summary of the 'after' assessment")
earlier = [s for s in sessions if s.created < after.created or (s.created == after.created and s.id < after.id)]
previous = [p.assessment for p in earlier[-1].photos] if earlier else []
jpegs = [annotated_jpeg(load_image(store.photo_bytes(p.sha256, actor=actor)), p.assessment) for p in after.photos]
owner = client.name + (" (self check)" if after.kind == "self_check" else "")
summary = Summary([p.assessment for p in after.photos], client=owner, intake=after.intake, annotated_jpegs=jpegs,
                  changes_text=change_lines(previous, [p.assessment for p in after.photos]),
                  created=dt.datetime.fromisoformat(after.created), birth_date=client.birth_date,
                  height_cm=client.height_cm)
# The paper is chosen before the PDF is taken, as on the intake page.
paper = st.radio("Paper", ("A4", "Letter"), horizontal=True, key="summary_paper",
                 format_func=lambda p: "US Letter" if p == "Letter" else p)
d1, d2, _ = st.columns(3)
d1.download_button("Download HTML", to_html(summary), download_name(client.name, summary.created, "html"), "text/html")
d2.download_button("Download PDF", to_pdf(summary, "Letter" if paper == "Letter" else "A4"),
                   download_name(client.name, summary.created, "pdf"), "application/pdf")
handout_builder([p.assessment for p in after.photos], client.name, lambda n: f"{n}@{after.id}",
                dt.date.fromisoformat(after.created[:10]))

with st.expander("Delete an assessment"):
    # Nothing chosen until the therapist picks one: a preselected assessment is one click from gone.
    victim = st.selectbox("Assessment", ids, index=None, format_func=labels.get, key=f"delete_session_{client.id}",
                          placeholder="Choose the assessment to delete")
    if victim is not None and st.checkbox(f"Yes, delete the assessment of {labels[victim]} with its photos",
                                          key=f"sure_session_{victim}") and st.button("Delete assessment"):
        store.delete_session(victim, actor=actor)
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
