"""The Streamlit pages through AppTest (no browser): intake, upload, errors, save, clients,
history, self check. Each test has its own data folder."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("POSTURE_ALLOW_NETWORK", raising=False)
    from streamlit import config

    from posture.ui import get_store

    # What `python -m posture.serve` sets, whatever folder pytest runs from.
    saved = {k: config.get_option(k) for k in ("browser.gatherUsageStats", "server.address")}
    config.set_option("browser.gatherUsageStats", False)
    config.set_option("server.address", "127.0.0.1")
    get_store.clear()  # the cached store belongs to the previous test's folder
    yield tmp_path / "data"
    get_store.clear()
    for k, v in saved.items():
        config.set_option(k, v)


def _run(page: str = "app.py", client: int | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    if client is not None:
        at.query_params["client"] = str(client)
    at.run()
    assert not at.exception, at.exception
    return at


def _key(at: AppTest, name: str) -> str:
    """The widget key of an intake field in the current assessment (see posture.ui.form_key)."""
    generation = at.session_state["form_generation"] if "form_generation" in at.session_state else 0
    return f"{name}#{generation}"


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _texts(at: AppTest) -> str:
    """Every Markdown source, alert and caption on the page (what AppTest sees of it)."""
    parts = [m.value for m in [*at.markdown, *at.caption, *at.success, *at.info, *at.warning, *at.error]]
    return "\n".join(map(str, parts))


def _new_client(at: AppTest, name: str) -> None:
    at.sidebar.text_input[0].set_value(name)
    at.sidebar.button[0].click()
    at.run()


def test_intake_upload_findings_save(data_dir, data_folder):
    at = _run("app.py")
    assert any("not a diagnosis" in w.value for w in at.warning)
    _new_client(at, "<b>Jane</b>")
    at.text_area(key=_key(at, "notes")).set_value("<script>x</script> sore after moving house")
    at.file_uploader(key=_key(at, "up_side")).upload("side.jpg", (data_dir / "seated_side_hunched_01.jpg").read_bytes(), "image/jpeg")
    at.run()
    assert not at.exception and not at.error
    text = " ".join(m.value for m in at.markdown)
    assert "Trunk likely leaning forward" in text
    assert "<script>" not in text
    save = next(b for b in at.button if b.label == "Save assessment")
    save.click()
    at.run()
    assert any("Saved as session" in s.value for s in at.success)

    from posture.store import Store

    store = Store(data_folder)
    (client,) = store.list_clients()
    assert client.name == "<b>Jane</b>"
    (session,) = store.sessions(client.id)
    assert session.intake.notes.startswith("<script>") and session.photos[0].assessment.view.name.value == "left"


def test_bad_upload_shows_error_and_keeps_form(data_dir):
    at = _run("app.py")
    at.text_input(key=_key(at, "duration")).set_value("three weeks")
    at.file_uploader(key=_key(at, "up_front")).upload("notes.jpg", b"not a photo at all", "image/jpeg")
    at.run()
    assert not at.exception
    assert any("not an image" in e.value for e in at.error)
    assert at.text_input(key=_key(at, "duration")).value == "three weeks"


def test_no_person_upload(data_dir):
    at = _run("app.py")
    at.file_uploader(key=_key(at, "up_front")).upload("room.jpg", (data_dir / "no_person_01.jpg").read_bytes(), "image/jpeg")
    at.run()
    assert any("no person found" in e.value for e in at.error)


def test_clients_page_edit_and_delete(data_dir, data_folder):
    from posture.report import Intake
    from posture.store import NewPhoto, Store
    from posture import assess

    store = Store(data_folder)
    c = store.create_client("Old Name")
    store.save_session(c.id, Intake(), [NewPhoto((data_dir / "standing_back_02.jpg").read_bytes(), "b.jpg",
                                                  assess(data_dir / "standing_back_02.jpg"))])
    at = _run("pages/2_Clients.py")
    assert "Old Name — 1 assessment(s)" in at.expander[0].label
    delete = next(b for b in at.button if b.label == "Delete client")
    assert delete.disabled  # confirmation first
    at.checkbox(key=f"sure_{c.id}").check()
    at.run()
    next(b for b in at.button if b.label == "Delete client").click()
    at.run()
    assert store.list_clients() == [] and list(store.photos_dir.glob("*.jpg")) == []


def test_history_compares_two_sessions(data_dir, data_folder):
    from posture import assess
    from posture.report import Intake
    from posture.store import NewPhoto, Store

    store = Store(data_folder)
    c = store.create_client("Hist")
    for name in ("standing_back_01.jpg", "standing_back_02.jpg"):
        store.save_session(c.id, Intake(), [NewPhoto((data_dir / name).read_bytes(), name, assess(data_dir / name))])
    at = AppTest.from_file(str(ROOT / "pages/3_History.py"), default_timeout=120)
    at.session_state["client_id"] = c.id
    at.run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1  # the change table
    assert any("combined uncertainty" in x.value for x in at.caption)
    assert {b.label for b in at.get("download_button")} >= {"Download HTML", "Download PDF"}


def test_self_check_gives_advice_and_stores_nothing(data_dir, data_folder):
    at = _run("pages/4_Self_check.py")
    at.radio(key="self_source").set_value("Upload")
    at.run()
    at.file_uploader(key="self_upload").upload("me.jpg", (data_dir / "seated_side_hunched_01.jpg").read_bytes(), "image/jpeg")
    at.run()
    assert not at.exception
    advice = " ".join(m.value for m in at.markdown)
    assert "forward" in advice and "not a diagnosis" in advice
    from posture.store import Store

    assert Store(data_folder).list_clients() == []
