"""The Streamlit pages through AppTest (no browser): intake, upload, errors, save, clients,
history, self check. Each test has its own data folder."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import TWO_BACK_PHOTOS, markdown_shown

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("POSTURE_ALLOW_NETWORK", raising=False)
    from streamlit import config

    from posture.ui.page import get_store

    # What `python -m posture.ui.serve` sets, whatever folder pytest runs from.
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



def _measure_tables(at: AppTest) -> list[str]:
    """The photos' measures tables on the page (two-column Markdown, see summary.measures_markdown)."""
    return [m.value for m in at.markdown if m.value.startswith("| measure | reading |")]


def _key(at: AppTest, name: str) -> str:
    """The widget key of an intake field in the current assessment (see posture.ui.widgets.form_key)."""
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
    assert "Trunk likely" in text
    assert "<script>" not in text
    save = next(b for b in at.button if b.label == "Save assessment")
    save.click()
    at.run()
    assert any("Saved as session" in s.value for s in at.success)

    from posture.store.records import Store

    store = Store(data_folder)
    (client,) = store.list_clients()
    assert client.name == "<b>Jane</b>"
    (session,) = store.sessions(client.id)
    assert session.intake.notes.startswith("<script>") and session.photos[0].assessment.view.name.value == "left"


def _changes(at: AppTest) -> list[str]:
    """The summary's "Change since last assessment" lines on the intake page."""
    page = next((m.value for m in at.markdown if "## Change since last assessment" in m.value), "")
    section = page.split("## Change since last assessment", 1)[1].split("\n## ", 1)[0] if page else ""
    return [line[2:] for line in section.splitlines() if line.startswith("- ")]


def test_after_saving_the_change_is_still_against_the_session_before(data_dir, data_folder):
    """Once saved, the form's own session is the newest: it must not become its own baseline
    (the page then said "no change beyond measurement noise"), and a first assessment has none."""
    from posture import assess
    from posture.core.intake import Intake
    from posture.store.records import NewPhoto, Store

    store = Store(data_folder)
    first = store.create_client("First visit")
    again = store.create_client("Second visit")
    hunched = data_dir / "seated_side_hunched_01.jpg"
    store.save_session(again.id, Intake(), [NewPhoto(hunched.read_bytes(), hunched.name, assess(hunched))])

    at = _run("app.py", client=again.id)
    at.file_uploader(key=_key(at, "up_side")).upload("upright.jpg", (data_dir / "seated_side_upright_01.jpg").read_bytes(), "image/jpeg")
    at.run()
    before_saving = _changes(at)
    assert any("→" in line for line in before_saving), before_saving  # hunched -> upright changes
    _button(at, "Save assessment").click()
    at.run()
    assert any("Saved as session" in s.value for s in at.success), _texts(at)
    at.run()  # any later rerun
    assert _changes(at) == before_saving
    assert not any("Restored the unsaved draft" in i.value for i in at.info)

    at = _run("app.py", client=first.id)
    at.file_uploader(key=_key(at, "up_side")).upload("upright.jpg", (data_dir / "seated_side_upright_01.jpg").read_bytes(), "image/jpeg")
    at.run()
    _button(at, "Save assessment").click()
    at.run()
    at.run()
    assert any("Saved as session" in s.value for s in at.success), _texts(at)
    assert _changes(at) == []


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
    from posture import assess
    from posture.core.intake import Intake
    from posture.store.records import NewPhoto, Store

    store = Store(data_folder)
    c = store.create_client("Old Name")
    store.save_session(c.id, Intake(), [NewPhoto((data_dir / "standing_back_02.jpg").read_bytes(), "b.jpg",
                                                  assess(data_dir / "standing_back_02.jpg"))])
    at = _run("app_pages/2_Clients.py")
    assert "Old Name — 1 assessment" in at.expander[0].label
    delete = next(b for b in at.button if b.label == "Delete client")
    assert delete.disabled  # confirmation first
    at.checkbox(key=f"sure_{c.id}").check()
    at.run()
    next(b for b in at.button if b.label == "Delete client").click()
    at.run()
    assert store.list_clients() == [] and list(store.photos_dir.glob("*.jpg")) == []


def test_history_compares_two_sessions(data_dir, data_folder):
    from posture import assess
    from posture.core.intake import Intake
    from posture.store.records import NewPhoto, Store

    store = Store(data_folder)
    c = store.create_client("Hist")
    for name in TWO_BACK_PHOTOS:
        store.save_session(c.id, Intake(), [NewPhoto((data_dir / name).read_bytes(), Path(name).name, assess(data_dir / name))])
    at = AppTest.from_file(str(ROOT / "app_pages/3_History.py"), default_timeout=120)
    at.session_state["client_id"] = c.id
    at.run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1  # the session story
    (table,) = [m.value for m in at.markdown if m.value.startswith("| measure | before → after |")]  # the change table
    assert "Shoulder tilt" in table and "°" in table and "None" not in table
    assert any("combined uncertainty" in x.value for x in at.caption)
    assert {b.label for b in at.get("download_button")} >= {"Download HTML", "Download PDF"}


def test_history_charts_the_margin_and_opens_after_on_an_assessment(data_dir, data_folder):
    import json as _json

    from posture import assess
    from posture.core.intake import Intake
    from posture.store.records import NewPhoto, Store

    store = Store(data_folder)
    c = store.create_client("Trend")
    ids = []
    first, second = TWO_BACK_PHOTOS
    for name, kind in ((first, "assessment"), (second, "assessment"), (second, "self_check")):  # the self check is the latest
        photo = NewPhoto((data_dir / name).read_bytes(), Path(name).name, assess(data_dir / name))
        ids.append(store.save_session(c.id, Intake(), [photo], kind))
    at = AppTest.from_file(str(ROOT / "app_pages/3_History.py"), default_timeout=120)
    at.session_state["client_id"] = c.id
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key=f"after_{c.id}").value == ids[1]  # the latest assessment, not the self check
    assert at.selectbox(key=f"before_{c.id}").value == ids[0]
    specs = [_json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
    measures = [s for s in specs if "layer" in s]
    whiskers = [layer["encoding"] for s in measures for layer in s["layer"] if layer["mark"]["type"] == "rule"]
    assert whiskers and all((w["y"]["field"], w["y2"]["field"]) == ("low", "high") for w in whiskers)
    assert any(x.value.startswith("Whiskers: each reading ± 2 × its uncertainty") for x in at.caption)



def test_history_draws_nothing_it_does_not_show_and_nothing_twice(data_dir, data_folder, monkeypatch):
    """Opening History for a client with 4 assessments annotates no photo for the closed
    "Photos by session" panel nor for a summary nobody downloaded, writes no PDF, and a rerun
    redraws nothing (it took 7.2 s to open: every run re-read, re-annotated and re-wrote them)."""
    from posture import assess
    from posture.core.intake import Intake
    from posture.report import pdf
    from posture.store.records import NewPhoto, Store
    from posture.ui import workflows

    calls: dict[str, int] = {"annotated_jpeg": 0, "to_pdf": 0, "side_by_side": 0}

    def counted_call(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(workflows, "annotated_jpeg", counted_call("annotated_jpeg", workflows.annotated_jpeg))
    monkeypatch.setattr(workflows, "side_by_side", counted_call("side_by_side", workflows.side_by_side))
    monkeypatch.setattr(pdf, "to_pdf", counted_call("to_pdf", pdf.to_pdf))
    store = Store(data_folder)
    c = store.create_client("Four Visits")
    photo = data_dir / "standing_back_02.jpg"
    a = assess(photo)
    for i in range(4):  # distinct photo files, as real visits have
        data = photo.read_bytes()
        store.save_session(c.id, Intake(), [NewPhoto(data[:2] + b"\xff\xfe\x00\x04" + f"{i:02d}".encode() + data[2:],
                                                    "back.jpg", a)])
    at = AppTest.from_file(str(ROOT / "app_pages/3_History.py"), default_timeout=120)
    at.query_params["client"] = str(c.id)
    at.run()
    assert not at.exception, at.exception
    assert calls == {"annotated_jpeg": 0, "to_pdf": 0, "side_by_side": 1}, calls
    at.radio(key="summary_paper").set_value("Letter")
    at.run()
    assert not at.exception, at.exception
    assert calls == {"annotated_jpeg": 0, "to_pdf": 0, "side_by_side": 1}, calls  # a rerun redraws nothing
    assert {b.label for b in at.get("download_button")} >= {"Download HTML", "Download PDF"}

def test_self_check_gives_advice_and_stores_nothing(data_dir, data_folder):
    at = _run("app_pages/4_Self_check.py")
    at.radio(key="self_source").set_value("Upload")
    at.run()
    at.file_uploader(key="self_upload").upload("me.jpg", (data_dir / "seated_side_hunched_01.jpg").read_bytes(), "image/jpeg")
    at.run()
    assert not at.exception
    advice = " ".join(m.value for m in at.markdown)
    assert "forward" in advice and "not a diagnosis" in advice
    from posture.store.records import Store

    assert Store(data_folder).list_clients() == []


# --- issue 8: right client, right person, right text -------------------------------------

HOSTILE = ("O'Neil", "*star*", "[link](http://127.0.0.2/x)", ":red[red]", "$x^2$", "<b>bold</b>",
           "Ana ![x](http://127.0.0.3/p.png)")


def _upload(at: AppTest, view: str, path: Path) -> None:
    at.file_uploader(key=_key(at, f"up_{view}")).upload(path.name, path.read_bytes(), "image/jpeg")
    at.run()
    assert not at.exception, at.exception


def test_privacy_guard_refuses_usage_statistics_and_open_address(monkeypatch):
    from streamlit import config

    config.set_option("browser.gatherUsageStats", True)
    at = _run()
    assert any("will not run" in e.value and "usage statistics" in e.value for e in at.error)
    assert not at.title  # stopped before the page

    config.set_option("browser.gatherUsageStats", False)
    config.set_option("server.address", "0.0.0.0")
    at = _run()
    assert any("will not run" in e.value and "0.0.0.0" in e.value for e in at.error)
    monkeypatch.setenv("POSTURE_ALLOW_NETWORK", "1")  # a clinic network, deliberately...
    at = _run()
    assert any("will not run" in e.value and "solo mode, which has no logins" in e.value for e in at.error)
    monkeypatch.setenv("POSTURE_MODE", "clinic")  # ...needs clinic mode's logins
    at = _run()
    assert not at.error and "Log in" in [b.label for b in at.button]


def test_launcher_passes_the_privacy_settings():
    from posture.ui.serve import APP, streamlit_command

    cmd = streamlit_command(8765)
    options = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert cmd[4] == str(APP) and APP.is_file()
    assert options["--browser.gatherUsageStats"] == "false" and options["--server.address"] == "127.0.0.1"
    assert options["--server.headless"] == "true" and options["--server.port"] == "8765"


def test_untouched_fields_are_not_answers(data_dir, data_folder):
    from posture.report.html import to_html
    from posture.store.records import Store

    at = _run()
    _new_client(at, "Unanswered")
    at.multiselect(key=_key(at, "pain_areas")).select("neck").select("lower back")
    at.run()
    assert at.radio(key=_key(at, "work_mostly")).value is None
    _upload(at, "side", data_dir / "seated_side_hunched_01.jpg")
    from posture.report.markdown import md_escape

    assert md_escape("neck (not rated)") in _texts(at) and "/10" not in _texts(at) and "mostly" not in _texts(at)
    _button(at, "Save assessment").click()
    at.run()
    store = Store(data_folder)
    (client,) = store.list_clients()
    (session,) = store.sessions(client.id)
    assert session.intake.pain == {"neck": None, "lower back": None}
    assert session.intake.work_setup == ""
    from posture.report.summary import Summary

    html = to_html(Summary([p.assessment for p in session.photos], intake=session.intake))
    assert "neck <i>not rated</i>" in html and "/10" not in html


def test_rated_pain_and_work_setup_are_recorded(data_dir, data_folder):
    from posture.store.records import Store

    at = _run()
    _new_client(at, "Answered")
    at.multiselect(key=_key(at, "pain_areas")).select("neck")
    at.run()
    at.select_slider(key=_key(at, "pain_neck")).set_value(6)
    at.radio(key=_key(at, "work_mostly")).set_value("standing")
    at.number_input(key=_key(at, "desk_hours")).set_value(4.5)
    _upload(at, "side", data_dir / "seated_side_hunched_01.jpg")
    _button(at, "Save assessment").click()
    at.run()
    store = Store(data_folder)
    (session,) = store.sessions(store.list_clients()[0].id)
    assert session.intake.pain == {"neck": 6}
    assert session.intake.work_setup == "4.5 h a day at a desk; mostly standing at work"


def test_client_switch_and_new_assessment_start_clean(data_dir, data_folder):
    from posture.store.records import Store

    store = Store(data_folder)
    store.create_client("Bea", height_cm=171)
    at = _run()
    _new_client(at, "Ana")
    at.text_area(key=_key(at, "notes")).set_value("Ana's notes")
    _upload(at, "side", data_dir / "seated_side_hunched_01.jpg")
    assert any("Assessment for Ana" in m.value for m in at.markdown)
    bea = next(c for c in store.list_clients() if c.name == "Bea")
    at.sidebar.selectbox(key="client_id_select_intake").set_value(bea.id)
    at.run()
    assert any("Assessment for Bea" in m.value for m in at.markdown)
    assert any("height 171 cm" in c.value for c in at.caption)
    assert at.text_area(key=_key(at, "notes")).value == ""
    assert "Ana's notes" not in _texts(at) and not _measure_tables(at) and "Save assessment" not in [b.label for b in at.button]

    at.text_area(key=_key(at, "notes")).set_value("Bea's notes")
    at.run()
    _button(at, "New assessment").click()
    at.run()
    assert at.text_area(key=_key(at, "notes")).value == ""
    assert store.load_draft(bea.id) is None  # a new assessment drops the draft too


def test_reload_restores_the_draft(data_dir, data_folder):
    from posture.store.records import Store

    at = _run()
    _new_client(at, "Drafty")
    (client,) = Store(data_folder).list_clients()
    at.text_area(key=_key(at, "notes")).set_value("typed before the reload\nsecond line")
    at.multiselect(key=_key(at, "pain_areas")).select("neck")
    at.run()
    _upload(at, "side", data_dir / "seated_side_hunched_01.jpg")
    assert Store(data_folder).load_draft(client.id) is not None

    again = _run(client=client.id)  # a new browser session: the reload
    assert again.text_area(key=_key(again, "notes")).value == "typed before the reload\nsecond line"
    assert again.multiselect(key=_key(again, "pain_areas")).value == ["neck"]
    assert any("Restored the unsaved draft from" in i.value for i in again.info)
    assert "Trunk likely" in _texts(again)  # the photo came back and was assessed
    _button(again, "Save assessment").click()
    again.run()
    store = Store(data_folder)
    assert store.load_draft(client.id) is None
    (session,) = store.sessions(client.id)
    assert session.intake.notes == "typed before the reload\nsecond line"
    again.run()
    assert store.load_draft(client.id) is None  # a rerun of the saved form is not a new draft


def test_clients_page_validates_and_confirms(data_folder):
    from posture.core.measuring.measures import HEIGHT_RANGE_CM
    from posture.store.records import Store

    store = Store(data_folder)
    c = store.create_client("Ana")
    at = _run("app_pages/2_Clients.py")
    assert at.number_input[0].value is None  # no height: empty, not 0.00
    at.text_input[2].set_value("12/03/1985")
    at.button[0].click()
    at.run()
    assert any("Date of birth must be YYYY-MM-DD" in markdown_shown(e.value) for e in at.error)
    assert store.get_client(c.id).birth_date is None
    at.text_input[2].set_value("1985-03-12")
    # the height box offers only the range the store accepts (the store's own message is tested in test_store)
    assert (at.number_input[0].min, at.number_input[0].max) == HEIGHT_RANGE_CM
    at.number_input[0].set_value(168)
    at.button[0].click()
    at.run()
    assert any(markdown_shown(s.value) == "Saved: Ana, born 1985-03-12, 168 cm" for s in at.success)


def test_self_check_is_saved_apart_and_says_why_not(data_dir, data_folder):
    from posture.store.records import Store

    store = Store(data_folder)
    ana = store.create_client("Ana")
    at = _run("app_pages/4_Self_check.py")
    at.radio(key="self_source").set_value("Upload")
    at.run()
    at.file_uploader(key="self_upload").upload("me.jpg", (data_dir / "seated_side_hunched_01.jpg").read_bytes(), "image/jpeg")
    at.run()
    _button(at, "Save this check").click()
    at.run()
    assert any("Type your name or a pseudonym first" in w.value for w in at.warning)
    at.text_input(key="self_name").set_value("Ana")  # a therapist's client of that name exists
    _button(at, "Save this check").click()
    at.run()
    assert any("Saved as self check" in s.value for s in at.success)
    assert store.sessions(ana.id, kind=None) == [] and [c.name for c in store.list_clients()] == ["Ana"]
    (check,) = store.self_checks()
    assert check.kind == "self_check"

    clients = _run("app_pages/2_Clients.py")
    assert any(m.value.startswith("**Self check**") for m in clients.markdown)


def test_hostile_text_is_escaped_on_every_page(data_dir, data_folder, assessed):
    from posture.core.intake import Intake
    from posture.report.markdown import md_escape
    from posture.store.records import NewPhoto, Store

    store = Store(data_folder)
    photo = data_dir / "seated_side_hunched_01.jpg"
    for name in HOSTILE:
        c = store.create_client(name)
        store.save_session(c.id, Intake(notes=" / ".join(HOSTILE)), [NewPhoto(photo.read_bytes(), "s.jpg", assessed(photo.name))])
    clients = _run("app_pages/2_Clients.py")
    labels = [e.label for e in clients.expander] + [c.label for c in clients.checkbox]
    for name in HOSTILE:
        assert any(label.startswith(md_escape(name) + " — ") for label in labels), name
    raw = "\n".join(labels)
    assert "![x](" not in raw and "*star*" not in raw and ":red[" not in raw

    ana = store.list_clients("Ana")[0]
    history = AppTest.from_file(str(ROOT / "app_pages/3_History.py"), default_timeout=120)
    history.session_state["client_id"] = ana.id
    history.run()
    assert any(h.value.startswith(md_escape(ana.name) + ":") for h in history.subheader)

    at = _run(client=ana.id)
    assert any(m.value == f"### Assessment for {md_escape(ana.name)}" for m in at.markdown)
    at.text_area(key=_key(at, "notes")).set_value("O'Neil said:\n\n" + "\n".join(HOSTILE))
    _upload(at, "side", photo)
    summary = next(m.value for m in at.markdown if "Pre-session posture summary" in m.value)
    assert "&#x27;" not in summary and "O\\'Neil said\\:  \n&#32;  \n" in summary
    for text in HOSTILE:
        assert md_escape(text) in summary


def test_html_report_keeps_line_breaks_and_wraps_long_words():
    from posture.core.intake import Intake
    from posture.report.html import to_html
    from posture.report.summary import Summary

    html = to_html(Summary([], intake=Intake(notes="line one\nline two")))
    assert "<span class='user'>line one\nline two</span>" in html
    assert ".user{white-space:pre-wrap;overflow-wrap:anywhere}" in html


def test_rejected_upload_replaces_the_results(data_dir):
    at = _run()
    _upload(at, "front", data_dir / "standing_front_05_video.jpg")
    assert _measure_tables(at) and not at.error
    at.file_uploader(key=_key(at, "up_front")).upload("IMG_0001.heic", b"\x00\x00\x00\x18ftypheic not decodable", "image/heic")
    at.run()
    assert len(at.error) == 1 and "IMG_0001.heic" in markdown_shown(at.error[0].value)
    assert not _measure_tables(at)  # the previous photo's results are gone


# --- issue 7: set-up per photo, the camera reference, selfies, contradicted views ------------


def _saved_photo(at: AppTest, data_folder: Path):
    _button(at, "Save assessment").click()
    at.run()
    assert any("Saved as session" in s.value for s in at.success), _texts(at)
    from posture.store.records import Store

    store = Store(data_folder)
    (client,) = store.list_clients()
    (session,) = store.sessions(client.id)
    (photo,) = session.photos
    return photo.assessment


def test_setup_block_and_camera_override_rerun_with_the_stated_camera(data_dir, data_folder):
    at = _run("app.py")
    _new_client(at, "Cam")
    _upload(at, "side", data_dir / "standing_side_01.jpg")
    text = _texts(at)
    # The set-up above the measures: status, the measured camera, each check not ok with its fix.
    assert "Photo set-up: caution" in text
    assert re.search(r"camera rolled [+−]\d\.\d° ± \d\.\d° and pointing \d+° (up|down), from \d+ vertical lines — "
                     r"shown in yellow on the photo", text), text
    assert "Body turned to the camera (caution): body turned" in text and "next time: ask the client to turn" in text
    assert "stated by you" not in text

    at.radio(key=_key(at, "camera_side")).set_value("levelled on a tripod")
    at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    # a spirit level gives the roll; the pitch still comes from the scene's lines (this scene has them)
    assert re.search(r"camera levelled on a tripod \(stated by you\): roll taken as stated; pointing \d+° (up|down), "
                     r"from the scene", text), text
    assert "camera rolled" not in text

    at.radio(key=_key(at, "camera_side")).set_value("rolled by a stated angle")
    at.run()
    at.number_input(key=_key(at, "roll_side")).set_value(2.0)
    at.run()
    assert "camera roll +2.0° (stated by you)" in _texts(at)
    a = _saved_photo(at, data_folder)
    assert a.setup is not None and a.setup.camera.status == "stated" and a.setup.camera.roll_deg == pytest.approx(2.0)
    assert a.to_dict()["setup"]["camera"]["status"] == "stated"


def test_selfie_checkbox_flips_the_photo_back(data_dir, data_folder):
    at = _run("app.py")
    _new_client(at, "Selfie")
    _upload(at, "back", data_dir / "standing_back_04_tpose.jpg")
    assert not at.checkbox(key=_key(at, "selfie_back")).value  # no front-camera EXIF: not preset
    assert not any("Preset from the photo's EXIF" in c.value for c in at.caption)
    shown = _texts(at)
    at.checkbox(key=_key(at, "selfie_back")).check()
    at.run()
    assert not at.exception, at.exception
    assert _texts(at) != shown
    a = _saved_photo(at, data_folder)
    assert a.image.mirrored and a.to_dict()["image"]["mirrored"] is True
    assert any("mirrored selfie" in w for w in a.warnings)
    # Left and right swap: the shoulder line (-1.9 deg unflipped) tilts the other way.
    from posture import assess

    plain = assess(data_dir / "standing_back_04_tpose.jpg").measures["shoulder_tilt_deg"].value
    flipped = a.measures["shoulder_tilt_deg"].value
    assert plain is not None and flipped is not None and plain < 0 < flipped


def test_front_camera_exif_presets_the_selfie_question(data_dir):
    import io

    from PIL import Image

    buf = io.BytesIO()
    with Image.open(data_dir / "standing_back_01.jpg") as img:
        exif = img.getexif()
        exif.get_ifd(0x8769)[0xA434] = "iPhone 12 front camera 2.71mm f/2.2"  # LensModel
        img.save(buf, "JPEG", exif=exif)
    at = _run("app.py")
    at.file_uploader(key=_key(at, "up_back")).upload("selfie.jpg", buf.getvalue(), "image/jpeg")
    at.run()
    assert not at.exception, at.exception
    assert at.checkbox(key=_key(at, "selfie_back")).value
    assert any("Preset from the photo's EXIF: taken with a front camera (iPhone 12 front camera" in c.value
               for c in at.caption)
    assert any("flipped back" in c.value for c in at.caption)  # the assessment's warning: it was flipped


def test_a_view_that_contradicts_the_landmarks_is_warned_and_raises_nothing(data_dir):
    at = _run("app.py")
    _upload(at, "side", data_dir / "seated_side_hunched_01.jpg")
    assert "Trunk likely" in _texts(at)
    select = at.selectbox(key=_key(at, "view_side"))
    assert "LEFT side is toward the camera" in select.help  # what left/right mean, next to the picker
    select.set_value("front")
    at.run()
    warnings = " ".join(w.value for w in at.warning)
    assert "The chosen view contradicts the photo: you chose front, but the landmarks show a left view" in warnings
    assert "No findings are raised from it" in warnings
    assert "Trunk likely" not in _texts(at)


def test_a_turned_body_is_explained(data_dir):
    at = _run("app.py")
    _upload(at, "front", data_dir / "standing_front_03_skier.jpg")  # 52° from front, 38° from a side
    assert "Photo set-up: retake" in " ".join(e.value for e in at.error)
    assert any(w.value.startswith("Turned: the body is turned") and "No measure is taken" in w.value for w in at.warning)



def _read_damaged_photo(folder: str, sha256: str) -> None:
    """An AppTest script: what every page runs under (app.py's guard), reading a damaged photo."""
    from posture.store.records import Store
    from posture.ui.page import errors_shown

    with errors_shown():
        Store(folder).photo_bytes(sha256)


def test_a_damaged_photo_file_stops_the_page_with_one_line_not_a_traceback(data_dir, data_folder, assessed):
    """app.py runs every page inside `errors_shown`: a store error (here a photo whose bytes no
    longer match their hash) is shown as its one-line message, never as an exception."""
    from posture.core.intake import Intake
    from posture.store.records import NewPhoto, Store

    store = Store(data_folder)
    c = store.create_client("Damaged")
    name = "standing_back_01.jpg"
    sid = store.save_session(c.id, Intake(), [NewPhoto((data_dir / name).read_bytes(), name, assessed(name))])
    (photo,) = next(s for s in store.sessions(c.id) if s.id == sid).photos
    (path,) = store.photos_dir.glob(f"{photo.sha256}*")
    path.write_bytes(path.read_bytes()[:-100] + b"\0" * 100)
    at = AppTest.from_function(_read_damaged_photo, args=(str(data_folder), photo.sha256), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "is damaged: its content no longer matches its hash" in at.error[0].value.replace("\\", "")
    assert "with errors_shown():\n    page.run()" in (ROOT / "app.py").read_text()  # every page runs under it


def test_the_chosen_client_follows_to_history_and_back(data_folder):
    """A client picked (or opened from the address) on one page is the client on the next:
    History opened on "pick a client" because a select box's value does not carry over to
    the box of the same key on another page."""
    from posture.store.records import Store

    store = Store(data_folder)
    ann, bob = store.create_client("Ann"), store.create_client("Bob")
    at = _run("app.py", client=ann.id)
    assert any("Assessment for Ann" in m.value for m in at.markdown)
    at.switch_page("app_pages/3_History.py")
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="client_id_select_history").value == ann.id
    assert "No saved assessments for Ann yet." in _texts(at)
    at.sidebar.selectbox(key="client_id_select_history").set_value(bob.id)
    at.run()
    at.switch_page("app_pages/0_Intake.py")
    at.run()
    assert any("Assessment for Bob" in m.value for m in at.markdown), _texts(at)


def test_a_client_deleted_elsewhere_is_said_not_silently_dropped(data_folder):
    # Another tab (or a colleague) deletes the client this page has open: the next rerun says
    # so in words, instead of falling back to "pick a client" with the typing gone unexplained.
    from posture.store.records import Store

    store = Store(data_folder)
    c = store.create_client("Open Elsewhere")
    at = _run("app.py", client=c.id)
    assert at.sidebar.selectbox(key="client_id_select_intake").value == c.id
    assert not any("no longer in your list" in w.value for w in at.warning)
    store.delete_client(c.id)
    at.run()
    assert not at.exception, at.exception
    assert any("no longer in your list" in w.value for w in at.warning)
    assert at.sidebar.selectbox(key="client_id_select_intake").value is None
    at.run()  # said once: the choice is cleared now
    assert not any("no longer in your list" in w.value for w in at.warning)


def test_new_client_form_is_emptied_once_the_client_is_created(data_folder):
    # The name left in the form invited a second click, and a second client of the same name.
    from posture.store.records import Store

    at = _run("app.py")
    at.sidebar.text_input(key="client_id_new_name").set_value("Fresh Client")
    next(b for b in at.sidebar.button if b.label == "Create client").click()
    at.run()
    assert not at.exception, at.exception
    assert [c.name for c in Store(data_folder).list_clients()] == ["Fresh Client"]
    assert at.sidebar.text_input(key="client_id_new_name").value == ""
    assert at.sidebar.selectbox(key="client_id_select_intake").value is not None  # and it is the one chosen


def test_deleting_the_open_client_here_gives_no_gone_warning(data_folder):
    from posture.store.records import Store

    store = Store(data_folder)
    c = store.create_client("Deleted Here")
    at = _run("app.py", client=c.id)
    at.switch_page("app_pages/2_Clients.py")
    at.run()
    at.checkbox(key=f"sure_{c.id}").check()
    at.run()
    next(b for b in at.button if b.label == "Delete client").click()
    at.run()
    assert [m.value for m in at.success] == ["Deleted Deleted Here."]  # nothing saved: no "and no assessments"
    at.switch_page("app_pages/0_Intake.py")
    at.run()
    assert not at.exception and not any("no longer in your list" in w.value for w in at.warning)


# --- issue 18 item 11: rough edges a new user meets ---------------------------------------------


def _image_captions(at: AppTest) -> str:
    """The captions of every image on the page (st.image's are not caption elements)."""
    found: list[str] = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "image":
            found.extend(img.caption for img in node.proto.imgs)
        for child in (node.children.values() if isinstance(getattr(node, "children", None), dict) else ()):
            walk(child)

    walk(at._tree)
    return " ".join(found)


def test_a_front_photo_in_the_back_tab_is_flagged_and_a_hand_set_view_reads_in_words(data_dir):
    at = _run("app.py")
    _upload(at, "back", data_dir / "standing_front_05_video.jpg")
    warnings = " ".join(w.value for w in at.warning)
    assert "This photo's view is detected as front, but it is in the Back tab. Put it in the Front tab" in warnings
    captions = _image_captions(at)
    # 17° off square: confidence 1 - 17/45 (a front view holds to 45°)
    assert "front view, standing (view detected automatically, confidence 0.6" in captions and "auto," not in captions
    at.selectbox(key=_key(at, "view_back")).set_value("back")  # the therapist knows better: it is a back view
    at.run()
    assert not at.exception, at.exception
    assert "in the Back tab" not in " ".join(w.value for w in at.warning)
    captions = _image_captions(at)
    assert "back view, standing (view set by hand)" in captions and "user" not in captions and "1.00" not in captions


def test_deleting_an_assessment_asks_first_and_says_it_is_done(data_dir, data_folder):
    from posture import assess
    from posture.core.intake import Intake
    from posture.store.records import NewPhoto, Store

    store = Store(data_folder)
    c = store.create_client("Two Visits")
    photo = data_dir / "standing_back_02.jpg"
    for _ in range(2):
        store.save_session(c.id, Intake(), [NewPhoto(photo.read_bytes(), "back.jpg", assess(photo))])
    at = _run("app_pages/3_History.py", client=c.id)
    assert _button(at, "Delete assessment").disabled  # nothing chosen, nothing confirmed
    first = store.sessions(c.id)[0].id
    at.selectbox(key=f"delete_session_{c.id}").set_value(first)
    at.run()
    assert _button(at, "Delete assessment").disabled  # chosen, not yet confirmed
    at.checkbox(key=f"sure_session_{first}").check()
    at.run()
    _button(at, "Delete assessment").click()
    at.run()
    assert not at.exception, at.exception
    assert [s.id for s in store.sessions(c.id)] != [] and first not in [s.id for s in store.sessions(c.id)]
    assert any(m.value.startswith("Deleted the assessment of \\#1 · ") and m.value.endswith("with its photos.")
               for m in at.success), [m.value for m in at.success]


def test_two_clients_of_one_name_can_each_be_picked_and_a_twin_is_pointed_out(data_folder):
    """Streamlit tells a select box's options apart by their label: two clients listed alike
    made the second unpickable (choosing it chose the first). Labels that would repeat carry
    the client's number, and creating a look-alike says so."""
    from posture.store.records import Store

    store = Store(data_folder)
    first = store.create_client("Ana", "1985-03-12")
    second = store.create_client("Ana", "1985-03-12")
    store.create_client("Bo")
    at = _run("app.py")
    box = at.sidebar.selectbox[0]
    assert len(set(box.options)) == len(box.options), box.options
    assert {f"Ana (1985-03-12) · no. {first.id}", f"Ana (1985-03-12) · no. {second.id}", "Bo"} <= set(box.options)
    box.set_value(second.id)
    at.run()
    assert at.session_state["client_id"] == second.id
    clients_page = _run("app_pages/2_Clients.py")
    assert len({e.label for e in clients_page.expander}) == 3
    at.sidebar.text_input[0].set_value("Bo")
    at.sidebar.button[0].click()
    at.run()
    assert any("Another client has the same name: if they are the same person" in s.value for s in at.success), \
        [s.value for s in at.success]


def test_history_of_one_assessment_does_not_call_it_after(data_dir, data_folder):
    from posture import assess
    from posture.core.intake import Intake
    from posture.store.records import NewPhoto, Store

    store = Store(data_folder)
    c = store.create_client("Once")
    name = TWO_BACK_PHOTOS[0]
    store.save_session(c.id, Intake(), [NewPhoto((data_dir / name).read_bytes(), name, assess(data_dir / name))])
    at = _run("app_pages/3_History.py", client=c.id)
    headings = [s.value for s in at.subheader]
    assert not any("after" in h.lower() for h in headings), headings
    assert any(h.startswith("Pre-session summary: ") and "(back)" in h for h in headings), headings
