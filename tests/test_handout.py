"""The client handout: what is offered, that nothing goes in unless ticked, the safety text,
user text shown exactly as typed (HTML and PDF), file names, and the page builder."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import pytest

from posture.core.errors import ConfigError
from posture.core.measuring.findings import Severity, evaluate, load_thresholds
from posture.report import handout as H
from tests.conftest import with_measures

DAY = dt.date(2026, 11, 30)
EVIL = "<script>alert('x')</script> **bold** [link](http://x) & <b>b</b>"
NAMES = "Zoë Łukasiewicz 王小明 Ωμέγα"


@pytest.fixture(scope="module")
def cat() -> H.Catalogue:
    return H.load_catalogue()


def seen(code: str, cat: H.Catalogue, sides: dict[str, str] | None = None) -> H.Observed:
    words = cat.findings[H.catalogue_code(code, cat) or code]
    text = words.seen.format(**sides) if sides else words.seen_any
    return H.Observed(code, Severity.MODERATE, text, words.meaning, words.items)


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    """Extracted text with line wrapping undone."""
    return re.sub(r"\s+", " ", text)


# --- the catalogue ---------------------------------------------------------------------------


def test_every_finding_code_has_plain_words_and_items(cat):
    codes = set(load_thresholds()) | {"upper_crossed"}
    assert codes <= set(cat.findings)
    for code in codes:
        words = cat.findings[code]
        assert "likely" in words.seen and "likely" in words.seen_any
        assert words.items, code
        # No clinical terms in what the client reads.
        for term in ("syndrome", "valgus", "varus", "obliquity", "flexion", "trapezius", "cervical"):
            assert term not in (words.seen + words.seen_any + words.meaning).lower(), (code, term)


def test_items_have_a_one_line_how_to_and_desk_basics_are_general(cat):
    for item in cat.items.values():
        assert item.kind in H.KINDS and "\n" not in item.how and len(item.how) <= 170, item.key
    general = {cat.items[k].title for k in cat.general}
    assert {"Screen at eye level", "Short breaks", "Chair and feet"} <= general
    assert all(cat.items[k].kind == "habit" for k in cat.general)


def test_catalogue_errors_are_one_line(tmp_path):
    bad = tmp_path / "x.toml"
    bad.write_text('general = ["nope"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"general: unknown item\(s\) nope"):
        H.load_catalogue(bad)
    bad.write_text('[items.a]\nkind = "pill"\ntitle = "A"\nhow = "b"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="kind must be one of habit, stretch, exercise"):
        H.load_catalogue(bad)
    with pytest.raises(ConfigError, match="no such exercises file"):
        H.load_catalogue(tmp_path / "missing.toml")


# --- what is offered and what goes in -----------------------------------------------------------


def test_only_items_tied_to_present_findings_plus_desk_advice_are_offered(cat):
    offered = H.offer([seen("shoulder_tilt", cat, {"side": "left", "direction": ""})], cat)
    assert [g.title for g in offered.groups] == ["Your left shoulder likely sits higher than the other.", H.DESK_GROUP]
    assert set(offered.item_keys) == set(cat.findings["shoulder_tilt"].items) | set(cat.general)
    assert "clamshell" not in offered.item_keys and "chin_tuck" not in offered.item_keys
    assert len(offered.item_keys) == len(set(offered.item_keys))  # each item once
    # No findings: only the general desk advice.
    bare = H.offer([], cat)
    assert bare.finding_codes == () and set(bare.item_keys) == set(cat.general)


def test_an_item_tied_to_two_findings_is_offered_once(cat):
    offered = H.offer([seen("forward_head", cat), seen("neck_flexion", cat)], cat)
    assert offered.item_keys.count("chin_tuck") == 1
    assert "chin_tuck" in [i.key for i in offered.groups[0].items]  # under the first finding


def test_nothing_goes_in_unless_ticked(cat):
    offered = H.offer([seen("forward_head", cat), seen("knee_valgus_left", cat)], cat)
    h = H.build(offered, client="Ana", date=DAY)
    assert h.empty and not h.findings and not h.habits and not h.exercises
    html, text = H.to_html(h), flat(pdf_text(H.to_pdf(h)))
    for g in offered.groups:
        for i in g.items:
            assert i.how not in html and i.title not in text
        if g.finding:
            assert g.finding.seen not in html and g.finding.meaning not in text
    assert "What we saw" not in html and "Stretches and exercises" not in text


def test_only_ticked_offered_items_go_in_in_offer_order(cat):
    offered = H.offer([seen("forward_head", cat)], cat)
    h = H.build(offered, findings=["forward_head", "hip_tilt"], items=["chest_doorway_stretch", "chin_tuck",
                "screen_eye_level", "clamshell"], date=DAY)
    assert [o.code for o in h.findings] == ["forward_head"]  # hip_tilt was not offered
    assert [i.key for i in h.exercises] == ["chin_tuck", "chest_doorway_stretch"]  # clamshell was not offered
    assert [i.key for i in h.habits] == ["screen_eye_level"]


def test_desk_basics_come_before_finding_habits(cat):
    offered = H.offer([seen("shoulder_tilt", cat, {"side": "right", "direction": ""})], cat)
    h = H.build(offered, items=["bag_both_sides", "regular_breaks"], date=DAY)
    assert [i.key for i in h.habits] == ["regular_breaks", "bag_both_sides"]


# --- output -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def everything(cat) -> H.Handout:
    offered = H.offer([seen("forward_head", cat), seen("shoulder_tilt", cat, {"side": "left", "direction": ""})], cat)
    return H.build(offered, findings=offered.finding_codes, items=offered.item_keys, note=EVIL + "\n" + NAMES,
                   client=NAMES + " <script>", date=DAY)


def test_safety_text_once_whatever_is_ticked(cat, everything):
    empty = H.build(H.offer([], cat), date=DAY)
    for h in (empty, everything):
        assert H.to_html(h).count(H.SAFETY) == 1
        assert flat(pdf_text(H.to_pdf(h))).count(H.SAFETY) == 1
    assert "numbness, weakness" in H.SAFETY and "hurts" in H.SAFETY


def test_html_shows_user_text_exactly_as_typed(everything):
    page = H.to_html(everything)
    assert "<script>" not in page and "<b>b</b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; **bold** [link](http://x) &amp; &lt;b&gt;b&lt;/b&gt;" in page
    assert "<strong>" not in page  # never read as Markdown
    assert f"{NAMES} &lt;script&gt;" in page
    assert "http" not in page.replace("http://x", "")  # self-contained
    # The ticked items with their how-to, and the findings in plain words.
    for i in everything.habits + everything.exercises:
        assert i.how.replace("'", "&#x27;") in page
    assert "Your left shoulder likely sits higher than the other." in page


def test_pdf_reads_back_ticked_items_and_unicode_text(everything):
    text = flat(pdf_text(H.to_pdf(everything)))
    for i in everything.habits + everything.exercises:
        assert i.title in text and i.how in text
    for o in everything.findings:
        assert o.seen in text
    assert EVIL in text  # drawn as typed: no markup interpreted or dropped
    assert NAMES in text and "王小明" in text and "Ωμέγα" in text and "?" not in NAMES


def test_pdf_pages_carry_client_date_and_page_numbers(everything):
    from pypdf import PdfReader

    for paper, width_pt in (("A4", 595.28), ("Letter", 612.0)):
        reader = PdfReader(io.BytesIO(H.to_pdf(everything, paper)))
        n = len(reader.pages)
        assert n >= 2
        for k, page in enumerate(reader.pages, 1):
            assert float(page.mediabox.width) == pytest.approx(width_pt, abs=0.1)
            text = flat(page.extract_text())
            assert f"Page {k} of {n}" in text and "30 November 2026" in text and "王小明" in text


def test_characters_no_font_has_show_their_code_point(cat):
    h = H.build(H.offer([], cat), note="한", client="Kim", date=DAY)
    assert "[U+D55C]" in pdf_text(H.to_pdf(h))


@pytest.mark.parametrize(("client", "expected"), [
    ("Ana Souza", "Ana-Souza-2026-11-30-handout.pdf"),
    ("../../etc/passwd", "etc-passwd-2026-11-30-handout.pdf"),
    ("王小明", "client-2026-11-30-handout.pdf"),  # the summary's rule: ASCII letters and digits
    ("Łukasiewicz Zoë", "Lukasiewicz-Zoe-2026-11-30-handout.pdf"),
    ("O'Neil <b>", "O-Neil-b-2026-11-30-handout.pdf"),
    ("", "client-2026-11-30-handout.pdf"),
    ("...", "client-2026-11-30-handout.pdf"),
])
def test_download_name_is_sanitised(client, expected):
    assert H.download_name(client, DAY, "pdf") == expected


# --- findings from real photos ------------------------------------------------------------------


def _with(a, **values):
    """A real assessment with some measures replaced and its findings recomputed."""
    b = with_measures(a, **values)
    return dataclasses.replace(b, findings=evaluate(b.measures, load_thresholds()))


@pytest.fixture(scope="module")
def front_back(assessed):
    return assessed("standing_front_05_video.jpg"), assessed("standing_back_01.jpg")


def test_findings_merged_across_views_with_the_side_they_agree_on(front_back):
    front, back = front_back
    agree = H.observed_in([_with(front, shoulder_tilt_deg=(5.0, 0.4)), _with(back, shoulder_tilt_deg=(4.5, 0.4))])
    shoulders = [o for o in agree if o.code == "shoulder_tilt"]
    assert len(shoulders) == 1 and shoulders[0].seen == "Your left shoulder likely sits higher than the other."
    assert shoulders[0].severity is Severity.MODERATE
    disagree = H.observed_in([_with(front, shoulder_tilt_deg=(5.0, 0.4)), _with(back, shoulder_tilt_deg=(-4.5, 0.4))])
    assert [o.seen for o in disagree if o.code == "shoulder_tilt"] == ["One shoulder likely sits higher than the other."]
    # Opposite but within its margin in the other view: not a disagreement.
    within = H.observed_in([_with(front, shoulder_tilt_deg=(5.0, 0.4)), _with(back, shoulder_tilt_deg=(-0.5, 0.4))])
    assert [o.seen for o in within if o.code == "shoulder_tilt"] == ["Your left shoulder likely sits higher than the other."]


def test_knee_direction_in_plain_words(front_back):
    front, _ = front_back
    found = H.observed_in([_with(front, left_knee_valgus_deg=(-12.0, 0.5), right_knee_valgus_deg=(11.0, 0.5))])
    words = {o.code: o.seen for o in found}
    assert words["knee_valgus_left"] == "Your left knee likely points outward when you stand."
    assert words["knee_valgus_right"] == "Your right knee likely points inward when you stand."


def test_no_findings_offers_desk_advice_only(front_back):
    front, _ = front_back
    level = _with(front, **{n: (0.0, 0.3) for n in ("shoulder_tilt_deg", "hip_tilt_deg", "head_tilt_deg", "trunk_lean_deg",
                                                    "left_knee_valgus_deg", "right_knee_valgus_deg")})
    assert H.offer(H.observed_in([level])).finding_codes == ()


# --- the page builder ---------------------------------------------------------------------------


def _builder_page(assessments):
    import datetime as dt

    import streamlit as st

    from posture.ui.handout_builder import handout_builder

    st.session_state["handout"] = handout_builder(assessments, "王小明 <b>", lambda n: n, dt.date(2026, 11, 30))


def test_builder_ticks_nothing_by_default_and_takes_what_is_ticked(front_back):
    from streamlit.testing.v1 import AppTest

    front, _ = front_back
    a = _with(front, shoulder_tilt_deg=(5.0, 0.4))
    at = AppTest.from_function(_builder_page, args=([a],), default_timeout=60).run()
    assert not at.exception
    boxes = {c.key: c for c in at.checkbox}
    assert boxes and not any(c.value for c in boxes.values())
    assert "handout_finding_shoulder_tilt" in boxes and "handout_item_bag_both_sides" in boxes
    assert "handout_item_clamshell" not in boxes  # no knee finding, no knee exercise
    assert at.session_state["handout"].empty
    at.checkbox(key="handout_finding_shoulder_tilt").check()
    at.checkbox(key="handout_item_neck_side_stretch").check()
    at.checkbox(key="handout_item_screen_eye_level").check()
    at.text_area(key="handout_note").input("**gently** <3")
    at.run()
    h = at.session_state["handout"]
    assert [o.code for o in h.findings] == ["shoulder_tilt"]
    assert [i.key for i in h.exercises] == ["neck_side_stretch"] and [i.key for i in h.habits] == ["screen_eye_level"]
    assert h.note == "**gently** <3" and h.client == "王小明 <b>"
    # The group title is the client's wording, shown as text (no Markdown from the catalogue).
    assert any("Your left shoulder likely sits higher" in m.value for m in at.markdown)
