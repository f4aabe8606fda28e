"""Real-browser end-to-end test of the app (Debian's Chromium driven by Playwright)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
             "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited: {log.read_text()}")
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            pytest.fail(f"streamlit did not become healthy: {log.read_text()}")
        time.sleep(0.3)
    yield url, log
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def pw():
    """One Playwright driver for the module (the sync API allows only one at a time)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def page(server, pw):
    browser = pw.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-background-networking", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
    )
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
    yield context.new_page()
    browser.close()


def test_upload_shows_annotated_photo_findings_and_downloads_summary(server, page, data_dir, tmp_path):
    url, log = server
    page.goto(url)
    page.get_by_text("Screening aid only").wait_for(timeout=30_000)
    page.locator("input[type=file]").set_input_files(str(data_dir / "seated_side_hunched_01.jpg"))
    page.get_by_text("Trunk likely leaning forward").first.wait_for(timeout=60_000)
    # The annotated photo is served and decodes (this failed with starlette 1.x).
    page.wait_for_function("Array.from(document.images).some(i => i.complete && i.naturalWidth > 0)", timeout=20_000)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download HTML").click()
    path = tmp_path / "summary.html"
    dl.value.save_as(path)
    html = path.read_text()
    assert "Pre-session posture summary" in html and "data:image/jpeg;base64," in html
    assert "Traceback" not in log.read_text()


def _write_y4m(video: Path, out: Path, frames: int = 60) -> None:
    """A fake-webcam file from a real video: 640x480 I420, the picture letterboxed."""
    import cv2
    import numpy as np

    cap = cv2.VideoCapture(str(video))
    with open(out, "wb") as fh:
        fh.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            ok, image = cap.read()
            if not ok:
                break
            h, w = image.shape[:2]
            f = min(640 / w, 480 / h)
            small = cv2.resize(image, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
            canvas = np.full((480, 640, 3), 128, np.uint8)
            y, x = (480 - small.shape[0]) // 2, (640 - small.shape[1]) // 2
            canvas[y : y + small.shape[0], x : x + small.shape[1]] = small
            fh.write(b"FRAME\n" + cv2.cvtColor(canvas, cv2.COLOR_BGR2YUV_I420).tobytes())
    cap.release()


def test_live_page_processes_fake_webcam_frames(server, pw, data_dir, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    url, log = server
    y4m = tmp_path / "cam.y4m"
    _write_y4m(data_dir / "video_squat_front_01.mp4", y4m)
    browser = pw.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={y4m}", "--disable-background-networking",
              "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
    )
    page = browser.new_context(permissions=["camera"]).new_page()
    frames = 0
    for _attempt in range(3):  # streamlit-webrtc has a rare start-up race: reload and retry
        page.goto(f"{url}/Live_monitor")
        page.frame_locator("iframe[title*='streamlit_webrtc']").get_by_text("START").click(timeout=60_000)
        try:
            page.get_by_text("Frames processed:").wait_for(timeout=15_000)
        except PlaywrightTimeout:
            continue
        # The status fragment re-renders every second: wait for one render that shows it all.
        handle = page.wait_for_function(
            """() => {
                const t = document.body.innerText;
                const m = t.match(/Frames processed: (\\d+)/);
                return m && Number(m[1]) >= 20 && t.includes("Posture:") && t.includes("shoulder_tilt_deg") ? t : null;
            }""",
            timeout=30_000,
        )
        text = handle.json_value()
        frames = int(text.split("Frames processed:")[1].split()[0])
        break
    else:
        text = page.inner_text("body")
    browser.close()
    assert frames >= 20, text
    assert "Posture:" in text, text  # the state ...
    assert "shoulder_tilt_deg" in text, text  # ... and the per-measure statistics are shown
    assert "Traceback" not in log.read_text()
