import pytest

from posture.core.imaging import encode_jpeg, load_image
from posture.report.draw import annotate
from posture.report.summary import Intake, Summary, md_escape, to_html, to_markdown

EVIL = "<script>alert('x')</script> **bold** [link](http://x)"


@pytest.fixture(scope="module")
def summary(assessed, data_dir):
    side = assessed("seated_side_hunched_01.jpg")
    back = assessed("standing_back_01.jpg")
    img = load_image(data_dir / "seated_side_hunched_01.jpg").bgr
    intake = Intake(pain={"neck": 7, "lower back": 3}, duration="3 weeks", activities=EVIL, notes=EVIL)
    return Summary([side, back], client=EVIL, intake=intake, annotated_jpegs=[encode_jpeg(annotate(img, side)), None])


def test_html_escapes_user_text_and_embeds_photos(summary):
    html = to_html(summary)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "data:image/jpeg;base64," in html
    assert "http" not in html.replace("http://x", "")  # no external resources (fonts, CDNs)
    assert "neck <b>7/10</b>" in html
    assert "not a diagnosis" in html


def test_markdown_has_findings_ranked_and_limits(summary):
    md = to_markdown(summary)
    assert "<script>" not in md and "\\*\\*bold\\*\\*" in md
    assert "## Key findings" in md and "## Limits of the method" in md
    sev_order = [line.split("**")[1] for line in md.splitlines() if line.startswith("- **") and "—" in line]
    rank = {"MARKED": 3, "MODERATE": 2, "MILD": 1}
    assert [rank[s] for s in sev_order] == sorted((rank[s] for s in sev_order), reverse=True)
    assert "craniovertebral_angle_deg" in md


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
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_is_a_pdf_with_the_text_and_photo(summary):
    from posture.report.summary import DISCLAIMER, to_pdf

    pdf = to_pdf(summary)
    assert pdf[:5] == b"%PDF-" and pdf.count(b"/Subtype /Image") == 1  # one annotated photo given, one embedded
    text = _pdf_text(pdf)
    # User text drawn exactly as typed, never interpreted (the client name is markup-like).
    assert text.count(EVIL) >= 3  # client, activities, notes
    assert "neck 7/10" in text and "lower back 3/10" in text and "3 weeks" in text
    assert " ".join(DISCLAIMER.split()[:6]) in " ".join(text.split())
    for name in ("craniovertebral_angle_deg", "Key findings", "Limits of the method", "Photo 2: back view"):
        assert name in text


UNICODE_NAMES = {
    "polish": "Zofia Łukasiewicz",
    "greek": "Ελένη Παπαδοπούλου",
    "cyrillic": "Дмитрий Шостакович",
    "czech": "Jiří Dvořák",
    "chinese": "王小明",
    "japanese": "やまだ はなこ",
}


def test_pdf_draws_unicode_exactly_and_shows_what_no_font_has(assessed):
    from posture.report.summary import to_pdf

    side = assessed("seated_side_hunched_01.jpg")
    notes = "\n".join(UNICODE_NAMES.values()) + "\nKorean 김민수, emoji 🧘 and 😀"
    summary = Summary([side], client=UNICODE_NAMES["polish"], intake=Intake(notes=notes),
                      changes_text=["Neck inclination: 34.4° → 28.1° (improved)"])
    text = _pdf_text(to_pdf(summary))
    assert "?" not in text  # the bug was "Zofia ?ukasiewicz"; nothing in this summary is a "?"
    assert f"Client: {UNICODE_NAMES['polish']}" in text
    lines = text.splitlines()
    for name in UNICODE_NAMES.values():
        assert any(name in line for line in lines), name
    assert "34.4° → 28.1°" in text
    assert "😀" in text  # DejaVu Sans has this one
    # No embedded font has Hangul or U+1F9D8: each shows as its code point, visibly.
    assert "Korean [U+AE40][U+BBFC][U+C218], emoji [U+1F9D8] and" in text


def test_pdf_text_fallback_keeps_what_a_font_has_and_drops_only_invisible_selectors():
    from posture.report.summary import _pdf_text

    assert _pdf_text("Łódź → Ωμέγα") == "Łódź → Ωμέγα"
    assert _pdf_text("⚠\ufe0f ok") == "⚠\ufe0f ok"  # DejaVu has the emoji-presentation selector
    assert _pdf_text("葛\U000E0100") == "葛"  # an ideographic variation selector no font has: dropped, not shown
    assert _pdf_text("a\r\nb\tc") == "a\nb c"
    assert _pdf_text("\U0001F9B4") == "[U+1F9B4]"


def test_each_photo_shows_its_set_up_checks(assessed):
    from posture.report.summary import Summary, to_html, to_markdown

    a = assessed("standing_front_04_tpose.jpg")  # body turned 41-45 deg: a retake
    md, page = to_markdown(Summary([a])), to_html(Summary([a]))
    assert "Photo set-up: retake" in md and "body turned" in md and "fix: turn to face the camera" in md
    assert "Photo set-up: retake" in page and "body turned" in page
