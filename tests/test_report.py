import pytest

from posture.draw import annotate
from posture.imaging import encode_jpeg, load_image
from posture.report import Intake, Summary, md_escape, to_html, to_markdown

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
    assert md_escape("a_b*c<d>") == "a\\_b\\*c&lt;d&gt;"


def test_intake_validates_pain_level():
    with pytest.raises(ValueError, match="0-10"):
        Intake(pain={"neck": 12})


def test_annotation_draws_on_a_copy(assessed, data_dir):
    img = load_image(data_dir / "standing_back_01.jpg").bgr
    out = annotate(img, assessed("standing_back_01.jpg"))
    assert out.shape == img.shape and (out != img).any()
    assert (img == load_image(data_dir / "standing_back_01.jpg").bgr).all()


def test_pdf_is_a_pdf_with_the_text_and_photo(summary):
    from posture.report import to_pdf

    pdf = to_pdf(summary)
    assert pdf[:5] == b"%PDF-" and b"/Subtype /Image" in pdf
    assert len(pdf) > 20_000
