"""History: a client's assessments over time, any two side by side, changes and trends."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from posture.core.compare import compare
from posture.core.imaging import load_image
from posture.report.summary import DISCLAIMER, Summary, md_escape, to_html, to_pdf
from posture.store.records import SessionRecord
from posture.ui.handout_builder import handout_builder
from posture.ui.widgets import client_picker, get_store, show_flash
from posture.ui.workflows import annotated_jpeg, change_lines, change_rows, side_by_side, trends

st.set_page_config(page_title="History", layout="wide")
st.title("History and before/after")
st.caption(DISCLAIMER)
store = get_store()
client = client_picker(store)
show_flash()
if client is None:
    st.info("Pick a client in the sidebar.")
    st.stop()
# Self checks the therapist added to this client's file are shown, marked as such; the
# default comparison is between the first and the last assessment.
sessions = store.sessions(client.id, kind=None)
if not sessions:
    st.info(f"No saved assessments for {md_escape(client.name)} yet.")
    st.stop()
assessments = [s for s in sessions if s.kind == "assessment"] or sessions


def label(s: SessionRecord) -> str:
    return s.created.replace("T", " ") + (" (self check)" if s.kind == "self_check" else "")


checks = len(sessions) - len([s for s in sessions if s.kind == "assessment"])
st.subheader(f"{md_escape(client.name)}: {len(sessions) - checks} assessment(s)"
             + (f", {checks} self check(s)" if checks else ""))
for s in reversed(sessions):
    views = ", ".join(p.assessment.view.name.value for p in s.photos)
    top = [f.title for p in s.photos for f in p.assessment.findings][:3]
    st.markdown(f"- **{label(s)}** — {views}" + (f" — {'; '.join(top)}" if top else ""))

labels = {s.id: label(s) for s in sessions}
ids = [s.id for s in sessions]
c1, c2, c3 = st.columns(3)
before_id = c1.selectbox("Before", ids, index=ids.index(assessments[0].id), format_func=labels.get, key="before")
after_id = c2.selectbox("After", ids, index=ids.index(assessments[-1].id), format_func=labels.get, key="after")
all_views = sorted({p.assessment.view.name.value for s in sessions for p in s.photos})
view = c3.selectbox("View", all_views, key="hist_view")

before = next(s for s in sessions if s.id == before_id)
after = next(s for s in sessions if s.id == after_id)
pb = next((p for p in before.photos if p.assessment.view.name.value == view), None)
pa = next((p for p in after.photos if p.assessment.view.name.value == view), None)
if pb is None or pa is None:
    st.warning(f"Both assessments need a {view} view photo to compare.")
else:
    img_b = load_image(store.photo_bytes(pb.sha256)).bgr
    img_a = load_image(store.photo_bytes(pa.sha256)).bgr
    from posture.report.draw import annotate

    panel = side_by_side(annotate(img_b, pb.assessment), pb.assessment, annotate(img_a, pa.assessment), pa.assessment)
    st.image(panel[:, :, ::-1], caption="Before (left) and after (right), scaled to the same body height")
    st.dataframe(change_rows(compare(pb.assessment, pa.assessment)), hide_index=True, width="stretch")
    st.caption("A change counts only when it exceeds the two readings' combined uncertainty (±).")

series = trends(sessions, view)
if series:
    st.subheader("Trend")
    name = st.selectbox("Measure", sorted(series), key="trend_measure")
    st.line_chart({"date": [p.date for p in series[name]], name: [p.value for p in series[name]]}, x="date", y=name)

st.subheader("Pre-session summary of the 'after' assessment")
earlier = [s for s in sessions if s.created < after.created or (s.created == after.created and s.id < after.id)]
previous = [p.assessment for p in earlier[-1].photos] if earlier else []
jpegs = [annotated_jpeg(load_image(store.photo_bytes(p.sha256)), p.assessment) for p in after.photos]
owner = client.name + (" (self check)" if after.kind == "self_check" else "")
summary = Summary([p.assessment for p in after.photos], client=owner, intake=after.intake, annotated_jpegs=jpegs,
                  changes_text=change_lines(previous, [p.assessment for p in after.photos]))
d1, d2 = st.columns(2)
d1.download_button("Download HTML", to_html(summary), f"posture-summary-{after.id}.html", "text/html")
d2.download_button("Download PDF", to_pdf(summary), f"posture-summary-{after.id}.pdf", "application/pdf")
handout_builder([p.assessment for p in after.photos], client.name, lambda n: f"{n}@{after.id}",
                dt.date.fromisoformat(after.created[:10]))

with st.expander("Delete an assessment"):
    victim = st.selectbox("Assessment", ids, format_func=labels.get, key="delete_session")
    if st.checkbox("Yes, delete it with its photos", key="sure_session") and st.button("Delete assessment"):
        store.delete_session(victim)
        st.rerun()
