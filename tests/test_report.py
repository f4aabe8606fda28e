"""The pre-session summary: structure of the Markdown, HTML and PDF, findings merged across
views by region, areas listed once, the disclaimer once, paper sizes, page numbers, names."""

import dataclasses
import datetime as dt
import io
import json
import re

import pytest

from posture.core.image.imaging import encode_jpeg, load_image
from posture.core.intake import Intake
from posture.core.measuring.findings import Severity, evaluate, load_thresholds
from posture.core.measuring.measures import Measure
from posture.report.draw import annotate
from posture.report.filenames import download_name
from posture.report.html import to_html
from posture.report.markdown import md_escape, page_markdown, to_markdown
from posture.report.pdf import to_pdf
from posture.report.regions import REGIONS, merge
from posture.report.summary import Summary
from posture.report.summary_text import PAIR_HEADING, POSSIBLE_HEADING

EVIL = "<script>alert('x')</script> **bold** [link](http://x)"
WHEN = dt.datetime(2025, 3, 14, 10, 30)


def refind(a, **values):
    """Assessment `a` (a real photo through the real pipeline) with some measures set to
    known values, name=(value, uncertainty), and its findings evaluated again from them."""
    measures = dict(a.measures)
    for name, (value, u) in values.items():
        measures[name] = Measure(name, measures[name].unit, value, u, 0.9)
    return dataclasses.replace(a, measures=measures, findings=evaluate(measures, load_thresholds()))


@pytest.fixture(scope="module")
def photos(assessed):
    return assessed("standing_front_05_video.jpg"), assessed("standing_back_02.jpg"), assessed("seated_side_hunched_01.jpg")


@pytest.fixture(scope="module")
def summary(photos, data_dir):
    front, back, side = photos
    front = refind(front, shoulder_tilt_deg=(5.0, 0.3), head_tilt_deg=(6.0, 0.5))
    back = refind(back, shoulder_tilt_deg=(4.2, 0.4))
    side = refind(side, craniovertebral_angle_deg=(50.0, 1.0), neck_on_trunk_flexion_deg=(40.0, 1.0))
    img = load_image(data_dir / "seated_side_hunched_01.jpg").bgr
    intake = Intake(pain={"neck": 7, "lower back": 3, "shoulders": None, "other": 2}, duration="3 weeks",
                    activities=EVIL, notes=EVIL)
    return Summary([front, back, side], client=EVIL, intake=intake, created=WHEN, birth_date="1984-06-02",
                   height_cm=172, annotated_jpegs=[None, None, encode_jpeg(annotate(img, side))])


def _finding_ids(groups):
    return [m.id for g in groups for m in g.findings]


def test_front_and_back_give_one_finding_per_problem(summary):
    groups = summary.regions()
    assert [g.region for g in groups] == list(REGIONS)
    ids = _finding_ids(groups)
    assert len(ids) == len(set(ids)) and ids.count("shoulder_tilt") == 1
    in_shoulders = [g for g in groups if g.region == "shoulders"][0].findings
    # The side view's forward head and flexed trunk make Janda's upper-crossed pattern: a shoulder-girdle finding.
    assert {m.id for m in in_shoulders} == {"shoulder_tilt", "upper_crossed"}
    (shoulders,) = [m for m in in_shoulders if m.id == "shoulder_tilt"]
    assert shoulders.title == "Uneven shoulders: left shoulder likely higher"
    assert [(r.view, r.raised) for r in shoulders.readings] == [("front", True), ("back", True)]
    assert [r.reading for r in shoulders.readings] == ["left higher by 5.0° ± 0.3°", "left higher by 4.2° ± 0.4°"]
    assert shoulders.agreement == ""  # both views agree
    head = [g for g in groups if g.region == "head and neck"][0]
    assert {m.id for m in head.findings} == {"head_tilt", "forward_head", "neck_flexion"}
    assert [int(m.severity) for m in head.findings] == sorted((int(m.severity) for m in head.findings), reverse=True)


def test_views_that_disagree_are_said_to(photos):
    front, back, _ = photos
    opposite = merge([refind(front, shoulder_tilt_deg=(5.0, 0.3)), refind(back, shoulder_tilt_deg=(-5.0, 0.3))])
    (m,) = [x for g in opposite for x in g.findings if x.id == "shoulder_tilt"]
    assert m.title == "Uneven shoulders: the views disagree on the side"
    assert "disagree" in m.agreement and "left" in m.agreement and "right" in m.agreement
    # The back view reads the other way, clearly but below the cut-off (2.0 < 2.5 + 2 x 0.3).
    other_way = merge([refind(front, shoulder_tilt_deg=(5.0, 0.3)), refind(back, shoulder_tilt_deg=(-2.0, 0.3))])
    (m,) = [x for g in other_way for x in g.findings if x.id == "shoulder_tilt"]
    assert m.title.startswith("Uneven shoulders: left") and "back view reads the other way" in m.agreement
    # Same side, within the screening range: not confirmed, which is not a contradiction.
    weak = merge([refind(front, shoulder_tilt_deg=(5.0, 0.3)), refind(back, shoulder_tilt_deg=(1.0, 0.3))])
    (m,) = [x for g in weak for x in g.findings if x.id == "shoulder_tilt"]
    assert m.agreement.startswith("Not confirmed by the back view (left higher by 1.0° ± 0.3°")


def test_a_knee_read_valgus_in_one_view_and_varus_in_the_other_is_a_disagreement(photos):
    """Both titles name the left knee, so reading the side from the words merged them into one
    confident "likely varus": the side comes from the measure's sign."""
    front, back, _ = photos
    merged = merge([refind(front, left_knee_valgus_deg=(12.0, 0.5)), refind(back, left_knee_valgus_deg=(-12.0, 0.5))])
    (m,) = [x for g in merged for x in g.findings if x.id == "knee_valgus_left"]
    assert m.title == "Left knee: the views disagree on the side"
    assert "valgus" in m.agreement and "varus" in m.agreement


def test_regions_without_findings_say_whether_they_were_assessed(photos):
    _, _, side = photos
    groups = {g.region: g for g in merge([refind(side, craniovertebral_angle_deg=(75.0, 1.0))])}
    assert groups["knees"].status == "not assessed: no photo measured it"  # a side view has no knee alignment
    assert groups["head and neck"].status.startswith("nothing beyond the screening cut-offs (left view")


def test_areas_to_consider_are_tied_to_their_finding_and_listed_once(summary):
    areas = summary.areas()
    base = [a.split(" (")[0].lower() for a in areas]
    assert len(base) == len(set(base)), areas
    assert "upper trapezius" in base and "levator scapulae" in base
    html = to_html(summary)
    assert html.count("upper trapezius") == 1 and html.count("levator scapulae") == 1
    # Each finding keeps the areas no earlier finding named.
    findings = [m for g in summary.regions() for m in g.findings]
    assert all(m.areas for m in findings[:1])


def test_html_structure(summary):
    html = to_html(summary)
    assert html.count("<svg") == 1 and "class='bodychart'" in html  # the body chart, inline
    assert "data-area='neck' data-level='7'" in html
    assert "not on the chart: other 2/10" in html
    order = [html.index(f"data-region='{r}'") for r in REGIONS]
    assert order == sorted(order)
    assert html.count("class='finding'") == len(_finding_ids(summary.regions()))
    # Severity named once per finding: in its badge, never in the words.
    for li in re.findall(r"<li class='finding'.*?</li>", html, re.S):
        words = re.sub(r"<span class='sev[^>]*>[a-z]+</span>", "", li).lower()
        assert not any(s.label in words for s in Severity if s is not Severity.NONE), li
        assert len(re.findall(r"class='sev ", li)) == 1
    assert html.count("not a diagnosis") == 1
    for fact in ("Client", "Date", "Age", "Height"):
        assert f"<dt>{fact}</dt>" in html
    assert "<dd class='user'>40</dd>" in html and "172 cm" in html
    assert "Shoulder tilt" in html and "shoulder_tilt_deg" not in html and "None" not in html
    assert "data:image/jpeg;base64," in html


def test_html_escapes_user_text(summary):
    html = to_html(summary)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "http" not in html.replace("http://x", "").replace("http://www.w3.org/2000/svg", "")  # nothing external


def test_markdown_first_page_and_escaping(summary):
    md = to_markdown(summary)
    assert "<script>" not in md and "\\*\\*bold\\*\\*" in md
    assert md.index("## Intake at a glance") < md.index("## Photo set-up") < md.index("## Findings by region") \
        < md.index("## Photo 1") < md.index("## Limits of the method")
    assert md.count("not a diagnosis") == 1 and "| Shoulder tilt | left higher by 5.0° ± 0.3° |" in md
    assert md.count("**Uneven shoulders: left shoulder likely higher** · moderate") == 1
    page = page_markdown(summary)
    assert "not a diagnosis" not in page  # the app's page says it once itself
    assert "## Photo 1" not in page and "## Findings by region" in page
    # under the page's own "3. Pre-session summary": no heading as big as the page's title
    headings = [line for line in page.splitlines() if line.startswith("#")]
    assert headings and all(h.startswith("###") for h in headings), headings
    assert "### Pre-session posture summary" in page and "#### Findings by region" in page


def _pdf_pages(pdf: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(pdf)).pages


@pytest.mark.parametrize(("paper", "size_pt"), [("A4", (595.28, 841.89)), ("Letter", (612.0, 792.0))])
def test_pdf_paper_page_numbers_and_client_on_every_page(summary, paper, size_pt):
    pdf = to_pdf(summary, paper)
    pages = _pdf_pages(pdf)
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(size_pt, abs=0.1)
        text = page.extract_text()
        assert f"Page {n} of {len(pages)}" in text
        assert "2025-03-14" in text and EVIL in text  # client and date in every footer
    assert pdf.count(b"/Subtype /Image") == 1  # one annotated photo given, one embedded
    everything = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert everything.count("not a diagnosis") == 1
    first = pages[0].extract_text()
    for part in ("Intake at a glance", "Photo set-up", "Findings by region", "Head and neck", "neck 7/10"):
        assert part in first, part
    # The findings (six here) may run onto page 2; the photos come after all of them.
    before_photos = everything[:everything.index("Photo 1: front view, standing Set-up:")]  # its section
    for part in ("Shoulders", "Trunk", "Pelvis", "Knees", "Uneven shoulders: left shoulder likely higher"):
        assert part in before_photos, part
    # the findings by region end where the pair and the possible findings (kept apart) begin
    findings_part = re.split("|".join(map(re.escape, (PAIR_HEADING, POSSIBLE_HEADING.split(" (")[0]))), before_photos)[0]
    badges = re.findall(r"\b(mild|moderate|marked)\b", findings_part)
    assert len(badges) == len(_finding_ids(summary.regions()))  # severity named once a finding, in its badge



def test_pdf_footer_stays_at_the_page_margins_when_a_measures_table_breaks_across_pages(assessed, data_dir):
    """Three real photos, each annotated, with a height and an intake: the second photo's
    measures table (right of its photo) breaks onto the next page. Every page's footer starts at
    the left margin and its page number at the same place (the table had moved the footer to
    its own left edge, mid-page, where the date overprinted "Page 2 of 4")."""
    from pypdf import PdfReader

    from posture import assess
    from posture.ui.workflows import annotated_jpeg

    names = ["standing_front_05_video.jpg", "standing_side_01.jpg", "seated_side_hunched_01.jpg"]
    photos = [assess(data_dir / n, height_cm=172) for n in names]
    jpegs = [annotated_jpeg(load_image(data_dir / n), a) for n, a in zip(names, photos, strict=True)]
    def read(notes_repeat: int) -> tuple[list, list, list, int]:
        intake = Intake(pain={"neck": 7, "lower back": 3, "shoulders": 4}, duration="about three weeks",
                        activities="moved house last weekend; long days at a laptop",
                        work_setup="8 h a day at a desk; mostly sitting at work",
                        notes="Example intake " * notes_repeat)
        summary = Summary(photos, client="Dana Example", intake=intake, annotated_jpegs=jpegs, created=WHEN,
                          height_cm=172, birth_date="1984-06-02")
        pages = PdfReader(io.BytesIO(to_pdf(summary))).pages
        footers, numbers, openings = [], [], []
        for n, page in enumerate(pages, 1):
            runs: list[tuple[float, float, str]] = []
            page.extract_text(visitor_text=lambda t, cm, tm, fd, fs, runs=runs: runs.append((tm[4], tm[5], t)) if t.strip() else None)
            footers += [(x, y) for x, y, t in runs if t.startswith("Pre-session posture summary · Dana Example · 2025-03-14")]
            numbers += [(x, y) for x, y, t in runs if t.strip() == f"Page {n} of {len(pages)}"]
            openings.append(runs[0][2])
        return footers, numbers, openings, len(pages)

    # Notes of growing length move the photos down the pages until a measures table breaks
    # across two (its heading row then opens a page): the case the footer went wrong in.
    from posture.core.measuring.formatting import label
    from posture.core.measuring.measures import MEASURES

    table_rows = {"measure", *(label(s.name) for s in MEASURES)}  # a measures table's heading, or one of its rows

    def table_breaks(openings: list[str]) -> bool:
        return any(o.strip() in table_rows for o in openings[1:])

    for repeat in range(0, 120, 8):
        footers, numbers, openings, n_pages = read(repeat)
        if table_breaks(openings):
            break
    assert table_breaks(openings), openings  # a measures table did break across pages
    assert len(footers) == len(numbers) == n_pages >= 3
    margin_pt = 15 / 25.4 * 72
    assert all(margin_pt <= x < margin_pt + 5 for x, _ in footers), footers
    assert len({(round(x, 1), round(y, 1)) for x, y in numbers}) == 1, numbers


def test_pdf_refuses_other_paper(summary):
    with pytest.raises(ValueError, match="A4 or Letter"):
        to_pdf(summary, "A3")  # type: ignore[arg-type]


@pytest.mark.parametrize(("client", "expected"), [
    ("Zofia Łukasiewicz", "Zofia-Lukasiewicz-2025-03-14-summary.pdf"),
    ("José Ñúñez", "Jose-Nunez-2025-03-14-summary.pdf"),
    ("../../etc/passwd", "etc-passwd-2025-03-14-summary.pdf"),
    ("王小明", "client-2025-03-14-summary.pdf"),
    ("", "client-2025-03-14-summary.pdf"),
    ("a" * 60, "a" * 40 + "-2025-03-14-summary.pdf"),
])
def test_download_names_are_sanitised(client, expected):
    assert download_name(client, WHEN, "pdf") == expected
    assert download_name(client, WHEN.date(), ".html") == expected.replace(".pdf", ".html")


def test_json_export_carries_client_and_date(summary):
    data = json.loads(summary.to_json())
    assert data["client"] == EVIL and data["date"] == "2025-03-14" and data["age"] == 40
    assert data["intake"]["pain"]["neck"] == 7 and len(data["assessments"]) == 3


def test_age_on_the_session_date():
    day = dt.datetime(2025, 6, 1)
    assert Summary([], created=day, birth_date="1984-06-02").age == 40  # birthday tomorrow
    assert Summary([], created=day, birth_date="1984-06-01").age == 41
    assert Summary([], created=day, birth_date="not a date").age is None



#: The patterns GitHub-flavoured Markdown turns into live links in text, after escapes are
#: undone (mdast-util-gfm-autolink-literal, as bundled in Streamlit's frontend).
GFM_AUTOLINKS = (re.compile(r"(https?:\/\/|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.I),
                 re.compile(r"(?<![^\s\W])([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"))


@pytest.mark.parametrize("text", ["Visit https://example.com/a?b=c now", "http://192.168.1.5:8501", "www.example.org",
                                  "mail ana.k@example.com", "HTTPS://EXAMPLE.COM", "notes:\nsee www.x.org\nthanks"])
def test_user_text_with_an_address_is_never_a_live_link(text):
    """A URL or an e-mail address in a name or notes stays plain text on a page, shown as typed."""
    from .conftest import markdown_shown

    escaped = md_escape(text)
    unescaped = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped).replace("  \n", "\n")  # what the parser's text holds
    assert not [p.pattern for p in GFM_AUTOLINKS if p.search(unescaped)], unescaped
    assert markdown_shown(escaped).replace("  \n", "\n") == text


def test_md_escape():
    assert md_escape("a_b*c<d>") == "a\\_b\\*c\\<d\\>"
    assert md_escape("O'Neil") == "O\\'Neil"  # no HTML entity: Markdown would show "&#x27;"
    assert md_escape(":red[x] $y$") == "\\:red\\[x\\] \\$y\\$"  # Streamlit's colour and maths syntax
    assert md_escape("one\ntwo") == "one  \ntwo"  # a hard line break
    assert md_escape("    code?") == "&#32;&#32;&#32;&#32;code\\?"  # never an indented code block


def test_intake_validates_pain_level():
    with pytest.raises(ValueError, match="0-10"):
        Intake(pain={"neck": 12})


def test_annotation_draws_on_a_copy(assessed, data_dir):
    img = load_image(data_dir / "standing_back_01.jpg").bgr
    out = annotate(img, assessed("standing_back_01.jpg"))
    assert out.shape == img.shape and (out != img).any()
    assert (img == load_image(data_dir / "standing_back_01.jpg").bgr).all()


def _pdf_text(pdf: bytes) -> str:
    """The text a PDF reader extracts (through each font's ToUnicode map, as copy-paste does)."""
    return "\n".join(page.extract_text() for page in _pdf_pages(pdf))


UNICODE_NAMES = {
    "polish": "Zofia Łukasiewicz",
    "greek": "Ελένη Παπαδοπούλου",
    "cyrillic": "Дмитрий Шостакович",
    "czech": "Jiří Dvořák",
    "chinese": "王小明",
    "japanese": "やまだ はなこ",
}


def test_pdf_draws_unicode_exactly_and_shows_what_no_font_has(assessed):
    side = assessed("seated_side_hunched_01.jpg")
    notes = "\n".join(UNICODE_NAMES.values()) + "\nKorean 김민수, emoji 🧘 and 😀"
    summary = Summary([side], client=UNICODE_NAMES["polish"], intake=Intake(notes=notes),
                      changes_text=["Neck inclination: 34.4° → 28.1° (improved)"])
    text = _pdf_text(to_pdf(summary))
    assert "?" not in text  # the bug was "Zofia ?ukasiewicz"; nothing in this summary is a "?"
    assert f"Client\n{UNICODE_NAMES['polish']}" in text
    lines = text.splitlines()
    for name in UNICODE_NAMES.values():
        assert any(name in line for line in lines), name
    assert "34.4° → 28.1°" in text
    assert "😀" in text  # DejaVu Sans has this one
    # No embedded font has Hangul or U+1F9D8: each shows as its code point, visibly.
    assert "Korean [U+AE40][U+BBFC][U+C218], emoji [U+1F9D8] and" in text


def test_pdf_text_fallback_keeps_what_a_font_has_and_drops_only_invisible_selectors():
    from posture.report.pdf_document import pdf_text

    assert pdf_text("Łódź → Ωμέγα") == "Łódź → Ωμέγα"
    assert pdf_text("⚠\ufe0f ok") == "⚠\ufe0f ok"  # DejaVu has the emoji-presentation selector
    assert pdf_text("葛\U000E0100") == "葛"  # an ideographic variation selector no font has: dropped, not shown
    assert pdf_text("a\r\nb\tc") == "a\nb c"
    assert pdf_text("\U0001F9B4") == "[U+1F9B4]"


def test_each_photo_shows_its_set_up_checks(assessed):
    a = assessed("standing_front_04_tpose.jpg")  # body turned 41-45 deg: a retake
    md, page = to_markdown(Summary([a])), to_html(Summary([a]))
    read = "only shoulder tilt is read"
    assert ", set-up retake: " in md and read in md and "fix: ask the client to turn about 4" in md
    assert "class='st-retake'>retake<" in page and read in page and "fix: ask the client to turn about 4" in page
    skier = assessed("standing_front_03_skier.jpg")  # 52 deg: between front and side, nothing read
    md = to_markdown(Summary([skier]))
    assert ", set-up retake: " in md and "fix: turn to face the camera" in md



def test_a_photo_that_read_nothing_does_not_say_no_imbalance(assessed):
    """A photo whose every measure is withheld (here a camera about 2 m up, 31° down) raised no
    finding because it read nothing: it says so, not "no imbalance is likely"."""
    from posture.report.summary_text import NO_FINDINGS, NO_MEASURES, photo_no_findings_text

    high = assessed("standing_back_02.jpg")
    assert not high.findings and all(m.value is None for m in high.measures.values() if m.relevant)
    assert photo_no_findings_text(high) == NO_MEASURES
    level = assessed("standing_front_05_video.jpg")
    assert not level.findings and any(m.value is not None for m in level.measures.values())
    assert photo_no_findings_text(level) == NO_FINDINGS
