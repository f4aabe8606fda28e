"""Streamlit shell over the `posture` package: upload photos, see measures and findings,
download the pre-session summary. All computation lives in the package.

Run with `make run`. Nothing leaves this machine (usage statistics are off in
.streamlit/config.toml; the model runs locally).
"""

from __future__ import annotations

import json

import streamlit as st

from posture import PostureError, assess
from posture.draw import annotate
from posture.imaging import encode_jpeg, load_image
from posture.report import DISCLAIMER, PAIN_AREAS, Intake, Summary, to_html, to_markdown
from posture.views import VIEW_CHOICES

st.set_page_config(page_title="Posture assessment", layout="wide")


@st.cache_data(show_spinner=False, max_entries=32)
def _assess_cached(data: bytes, name: str, view: str, height_cm: float | None):  # type: ignore[no-untyped-def]
    loaded = load_image(data, name=name)
    result = assess(loaded, view=view, height_cm=height_cm)
    return result, encode_jpeg(annotate(loaded.bgr, result), 85)


def main() -> None:
    st.title("Posture assessment")
    st.warning(DISCLAIMER, icon="⚠️")

    with st.sidebar:
        st.header("Client")
        client = st.text_input("Name or pseudonym", key="client")
        height = st.number_input("Height (cm, optional)", min_value=0.0, max_value=250.0, value=0.0, step=1.0, key="height")
        st.header("Intake")
        pain: dict[str, int] = {}
        areas = st.multiselect("Where does it hurt?", PAIN_AREAS, key="pain_areas")
        for area in areas:
            pain[area] = st.slider(f"{area}: pain 0-10", 0, 10, 3, key=f"pain_{area}")
        duration = st.text_input("How long has it hurt?", key="duration")
        activities = st.text_area("Recent usual or unusual activities", key="activities")
        work = st.text_input("Work set-up (desk hours, sitting/standing)", key="work")
        notes = st.text_area("Notes", key="notes")

    st.subheader("Photos")
    st.caption("Front, side and optionally back views, whole body in frame, camera level at about hip height.")
    files = st.file_uploader(
        "Upload photos (JPEG, PNG, WebP, BMP)", type=["jpg", "jpeg", "png", "webp", "bmp"],
        accept_multiple_files=True, key="uploads",
    )
    height_cm = float(height) if height and height >= 50 else None
    results = []
    jpegs: list[bytes | None] = []
    for i, f in enumerate(files or []):
        view = st.selectbox(f"View for {f.name}", VIEW_CHOICES, key=f"view_{i}_{f.name}")
        try:
            with st.spinner(f"Assessing {f.name}…"):
                result, jpeg = _assess_cached(f.getvalue(), f.name, view, height_cm)
        except PostureError as exc:
            st.error(f"{f.name}: {exc}")
            continue
        results.append(result)
        jpegs.append(jpeg)
        _show(result, jpeg)

    if results:
        intake = Intake(pain=pain, duration=duration, activities=activities, work_setup=work, notes=notes)
        summary = Summary(results, client=client, intake=intake, annotated_jpegs=jpegs)
        st.subheader("Pre-session summary")
        st.markdown(to_markdown(summary).split("## Photo 1")[0])
        c1, c2, c3 = st.columns(3)
        c1.download_button("Download HTML", to_html(summary), "posture-summary.html", "text/html")
        c2.download_button("Download Markdown", to_markdown(summary), "posture-summary.md", "text/markdown")
        c3.download_button(
            "Download JSON", json.dumps([r.to_dict() for r in results], indent=2), "posture-assessment.json",
            "application/json",
        )


def _show(result, jpeg: bytes) -> None:  # type: ignore[no-untyped-def]
    left, right = st.columns([3, 2])
    v = result.view
    left.image(jpeg, caption=f"{result.image.path}: {v.name.value} view, {v.posture.value} ({v.source}, confidence {v.confidence:.2f})")
    rows = [
        {"measure": n, "value": None if m.value is None else round(m.value, 1), "±": None if m.uncertainty is None else round(m.uncertainty, 1),
         "unit": m.unit, "note": m.reason or f"confidence {m.confidence:.2f}"}
        for n, m in result.measures.items()
        if m.relevant
    ]
    right.dataframe(rows, hide_index=True, width="stretch")
    for f in result.findings:
        right.markdown(f"**{f.severity.label.upper()}** — {f.title}")
    if not result.findings:
        right.info("No imbalance cleared its screening threshold by more than its uncertainty.")
    for w in result.warnings:
        right.caption(f"⚠ {w}")


main()
