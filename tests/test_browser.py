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
def page(server):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
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
