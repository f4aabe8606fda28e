"""The Streamlit page through AppTest (no browser): upload, results, errors on screen."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def app():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def test_page_shows_disclaimer(app):
    assert any("not a diagnosis" in w.value for w in app.warning)


def test_upload_shows_measures_findings_and_downloads(app, data_dir):
    app.sidebar.text_input(key="client").set_value("<b>Jane</b>")
    app.file_uploader(key="uploads").upload("side.jpg", (data_dir / "seated_side_hunched_01.jpg").read_bytes(), "image/jpeg")
    app.run()
    assert not app.exception
    assert not app.error
    text = " ".join(m.value for m in app.markdown)
    assert "Trunk likely leaning forward" in text
    assert "&lt;b&gt;Jane&lt;/b&gt;" in text or "Jane" in text
    assert len(app.dataframe) == 1


def test_bad_upload_shows_error_and_keeps_page(app, data_dir):
    app.file_uploader(key="uploads").upload("notes.jpg", b"not a photo at all", "image/jpeg")
    app.run()
    assert not app.exception
    assert any("not an image" in e.value for e in app.error)
