"""Layout in a real browser at a desktop (1400x900) and a tablet (820x1180) window: History
and the live page fit the width (no sideways scrolling), the live state and measures are on
screen beside the video without scrolling, and a webcam's capture button is in view with it.
Screenshots are written to the test's tmp folder (look at them when a layout changes)."""

import pytest

from .test_browser import _body, _page, _settled, _start_webrtc, _wait_text, _write_y4m

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1400, 900), "tablet": (820, 1180)}

#: Elements that stick out of the window to the right, and whether the page scrolls sideways.
OVERFLOW = """() => {
    const w = document.documentElement.clientWidth;
    const out = Array.from(document.querySelectorAll(
        '[data-testid=stMain] [data-testid=stImage] img, [data-testid=stVegaLiteChart], [data-testid=stDataFrame], '
        + '[data-testid=stAlert], [data-testid=stSelectbox], iframe'))
        .filter(e => e.offsetParent !== null)
        .map(e => [e.getAttribute('data-testid') || e.tagName, Math.round(e.getBoundingClientRect().right)])
        .filter(([_, right]) => right > w + 1);
    return {page: document.documentElement.scrollWidth - w, out};
}"""


def _rect(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }")


def _fits_width(page) -> None:
    result = page.evaluate(OVERFLOW)
    assert result["page"] <= 0 and result["out"] == [], result


@pytest.fixture(scope="module")
def story_client(server, data_dir, assessed):
    """A client with three sessions (pain rated each time; back and side photos)."""
    from posture.core.intake import Intake
    from posture.store.records import NewPhoto, Store

    store = Store(server.data_dir)
    c = store.create_client("Layout Client")
    for names, pain in ((["standing_back_02.jpg"], {"neck": 7, "low back": 4}),
                        (["standing_back_01.jpg", "seated_side_hunched_01.jpg"], {"neck": 5, "low back": 4}),
                        (["standing_back_03.jpg", "seated_side_upright_01.jpg"], {"neck": 3, "low back": 2})):
        store.save_session(c.id, Intake(pain=pain), [NewPhoto((data_dir / n).read_bytes(), n, assessed(n)) for n in names])
    return c


@pytest.mark.parametrize("size", SIZES)
def test_history_fits_the_window(server, pw, story_client, size, tmp_path):
    width, height = SIZES[size]
    browser, page = _page(pw)
    try:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{server.url}/History?client={story_client.id}")
        _wait_text(page, "Layout Client: 3 assessments")
        _wait_text(page, "scaled to the same body height", 60_000)
        page.wait_for_function("document.querySelectorAll('[data-testid=stVegaLiteChart]').length >= 2", timeout=30_000)
        _settled(page)
        assert "Before (" in _body(page) and "later than After" not in _body(page)
        page.screenshot(path=str(tmp_path / f"history-{size}.png"), full_page=True)
        _fits_width(page)
        # The before/after picture is not wider than the window, and is shown whole.
        image = page.locator("[data-testid=stImage] img").last
        image.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / f"history-{size}-compare.png"))
        box = image.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1
    finally:
        browser.close()


def _fake_camera(pw, data_dir, tmp_path, size):
    import cv2

    video = cv2.VideoCapture(str(data_dir / "video_squat_front_01.mp4"))
    frames = [image for ok, image in (video.read() for _ in range(40)) if ok]
    video.release()
    y4m = tmp_path / "cam.y4m"
    _write_y4m(frames, y4m)
    browser, page = _page(pw, ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                               f"--use-file-for-fake-video-capture={y4m}"], permissions=["camera"])
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    return browser, page


@pytest.mark.parametrize("size", SIZES)
def test_live_state_and_measures_beside_the_video_without_scrolling(server, pw, data_dir, tmp_path, size):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    width, height = SIZES[size]
    browser, page = _fake_camera(pw, data_dir, tmp_path, size)
    try:
        for attempt in range(3):  # streamlit-webrtc has a rare start-up race: reload and retry
            page.goto(f"{server.url}/Live_monitor")
            page.frame_locator("iframe[title*='streamlit_webrtc']").get_by_text("START").click(timeout=60_000)
            try:
                page.wait_for_function("() => Number((document.body.innerText.match(/Frames processed: (\\d+)/)"
                                       " || [0, 0])[1]) >= 5 && document.body.innerText.includes('Now:')",
                                       timeout=30_000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    pytest.fail(f"the live page processed no frames; it says:\n{_body(page)[-2000:]}")
        page.wait_for_timeout(1500)  # a fragment re-render after the first frames
        page.screenshot(path=str(tmp_path / f"live-{size}.png"))
        assert page.evaluate("window.scrollY") == 0
        state = _rect(page, "[data-testid=stAlert]:has-text('Posture:')")
        now = _rect(page, "[data-testid=stMarkdownContainer]:has-text('Now:')")
        video = _rect(page, "iframe[title*='streamlit_webrtc']")
        for name, r in (("state", state), ("measures", now), ("video", video)):
            assert r["top"] >= 0 and r["bottom"] <= height and r["right"] <= width + 1, (name, r)
        _fits_width(page)
        # STOP: the state banner gives way to "Stream stopped" (no red "poor" left standing).
        page.frame_locator("iframe[title*='streamlit_webrtc']").get_by_text("STOP").click(timeout=30_000)
        _wait_text(page, "Stream stopped:", 30_000)
        page.wait_for_timeout(1500)
        assert "Posture: poor" not in _body(page) and "Posture: needs attention" not in _body(page)
    finally:
        browser.close()


@pytest.mark.parametrize("size", SIZES)
def test_guided_webcam_capture_button_in_view_with_the_video(server, pw, data_dir, tmp_path, size):
    from playwright.sync_api import Error as PlaywrightError

    width, height = SIZES[size]
    browser, page = _fake_camera(pw, data_dir, tmp_path, size)
    try:
        for attempt in range(3):  # streamlit-webrtc has a rare start-up race: reload and retry
            page.goto(f"{server.url}/Self_check")
            _wait_text(page, "Desk posture self check")
            page.locator("label:has-text('Live camera with self-timer')").first.click()
            try:
                _start_webrtc(page)
                break
            except PlaywrightError:
                if attempt == 2:
                    raise
        page.locator("iframe[title*='streamlit_webrtc']").first.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        page.screenshot(path=str(tmp_path / f"selfcheck-camera-{size}.png"))
        video = _rect(page, "iframe[title*='streamlit_webrtc']")
        button = page.get_by_role("button", name="Take the photo now").bounding_box()
        assert button is not None
        assert video["bottom"] - video["top"] <= height - 100, video  # the picture fits the window...
        assert 0 <= button["y"] and button["y"] + button["height"] <= height, (button, video)  # ...with its button
        _fits_width(page)
    finally:
        browser.close()




APP_CELLS = "[data-testid=stMain] td, [data-testid=stMain] th"
#: Words of the measures tables drawn on more than one line (a word broken mid-word); hyphens,
#: dashes and slashes are break points of their own.
BROKEN_WORDS = """(cells) => {
    const broken = [];
    for (const cell of document.querySelectorAll(cells)) {
        if (cell.offsetParent === null) continue;
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            for (const m of n.data.matchAll(/[^\\s\\-\u2013\u2014\\/]+/g)) {
                const r = document.createRange();
                r.setStart(n, m.index);
                r.setEnd(n, m.index + m[0].length);
                if (new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size > 1) broken.push(m[0]);
            }
        }
    }
    return broken;
}"""


@pytest.mark.parametrize("size", SIZES)
def test_measures_tables_break_no_word(server, pw, size, tmp_path):
    """The sample photos' measures tables beside their photos: at tablet width the measure names
    broke mid-word ("Craniov ertebra l"), the columns squeezed below their longest word."""
    width, height = SIZES[size]
    browser, page = _page(pw)
    try:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(server.url)
        page.get_by_role("button", name="Try with sample photos").click()
        _wait_text(page, "Pre-session posture summary", 120_000)
        _settled(page)
        checked = 0
        for tab in ("Front", "Side", "Back (optional)"):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(300)
            page.locator("[data-testid=stMain] table >> visible=true").first.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / f"intake-{size}-{tab.split()[0].lower()}.png"))
            checked += page.locator("[data-testid=stMain] td").evaluate_all("cells => cells.filter(c => c.offsetParent).length")
            assert page.evaluate(BROKEN_WORDS, APP_CELLS) == [], tab
        assert checked > 20  # the tables were there
        _fits_width(page)
    finally:
        browser.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_html_summarys_tables_break_no_word(pw, assessed, size, tmp_path):
    """The downloaded HTML summary on a tablet: beside long reasons ("not measured: body turned
    41° ..."), the measure column squeezed below its words ("measur e", "alignmen t")."""
    from posture.report.html import to_html
    from posture.report.summary import Summary

    width, height = SIZES[size]
    page_file = tmp_path / "summary.html"
    page_file.write_text(to_html(Summary([assessed("standing_front_04_tpose.jpg"), assessed("standing_back_02.jpg")])),
                         encoding="utf-8")
    browser, page = _page(pw)
    try:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(page_file.as_uri())
        assert page.locator("table.measures td").count() > 20  # the tables are there
        page.screenshot(path=str(tmp_path / f"summary-{size}.png"), full_page=True)
        assert page.evaluate(BROKEN_WORDS, "table td, table th") == []
    finally:
        browser.close()
