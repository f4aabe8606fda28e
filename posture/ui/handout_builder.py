"""The client-handout builder shared by the intake and history pages (Streamlit glue only).

The therapist ticks what goes in: nothing is ticked by default. What is offered and what
the handout holds are decided by `posture.report.handout` (`offer`, `build`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import streamlit as st

from posture.core.assessment import Assessment
from posture.report import handout
from posture.report.markdown import md_escape
from posture.report.pdf_document import PAPERS


def handout_builder(assessments: Sequence[Assessment], client: str, key: Callable[[str], str],
                    date: dt.date | None = None) -> handout.Handout:
    """An expander listing each finding (in the client's words) with the stretches, exercises
    and habits tied to it, then the general desk advice, a note, and the HTML and PDF
    downloads named `<client>-<date>-handout.<ext>` (`date`: the assessment's, default today).
    `key(name)` gives each widget's key, so a page can start a fresh builder per assessment.
    Returns the handout as ticked."""
    date = date or dt.date.today()
    offered = handout.offer(handout.observed_in(assessments))
    with st.expander("Client handout (plain words, to take home)"):
        st.caption("Tick what this client should take home; nothing goes in until it is ticked. "
                   "The handout always tells the client to stop anything that hurts and to see a doctor for "
                   "numbness, weakness or pain that does not ease.")
        findings: list[str] = []
        items: list[str] = []
        for g in offered.groups:
            st.markdown(f"**{md_escape(g.title)}**")
            if g.finding is not None and st.checkbox(
                "Include: what was seen and what it may mean", key=key(f"handout_finding_{g.finding.code}"),
                help=g.finding.meaning,
            ):
                findings.append(g.finding.code)
            for i in g.items:
                if st.checkbox(f"**{md_escape(i.title)}** ({i.kind}): {md_escape(i.how)}",
                               key=key(f"handout_item_{i.key}")):
                    items.append(i.key)
        note = st.text_area("Note for the client (optional; printed exactly as typed)", key=key("handout_note"))
        paper = st.radio("Paper", PAPERS, horizontal=True, key=key("handout_paper"),
                         format_func=lambda p: "US Letter" if p == "Letter" else p)  # as on the summary's choice
        chosen = handout.build(offered, findings=findings, items=items, note=note, client=client, date=date)
        if chosen.empty:
            st.caption("Nothing ticked yet: the handout would hold only the safety advice.")
        c1, c2 = st.columns(2)
        c1.download_button("Download handout (HTML)", handout.to_html(chosen),
                           handout.download_name(client, date, "html"), "text/html", key=key("handout_html"))
        # The PDF is drawn only when asked for (about 0.5 s, more with Chinese or Japanese text).
        c2.download_button("Download handout (PDF)", lambda: handout.to_pdf(chosen, paper or "A4"),
                           handout.download_name(client, date, "pdf"), "application/pdf", key=key("handout_pdf"))
    return chosen
