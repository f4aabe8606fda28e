"""What the real-browser tests share: where Chromium is, how it is started, and the app
server they drive (the launcher, `python -m posture.ui.serve`, started from a folder that is
not the project's, on a free loopback port with its own data folder; "restart" means
stopping that process and starting a new one on the same folder)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
#: No network but the loopback: every other host name fails to resolve.
BASE_ARGS = ["--no-sandbox", "--disable-background-networking", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run `make browser` (apt-get install chromium)")


class Server:
    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir, self.log = data_dir, log
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "POSTURE_DATA_DIR": str(self.data_dir)}
        with open(self.log, "ab") as fh:
            # Not started from the project folder: .streamlit/config.toml is not read, the
            # launcher's own settings must keep the app private (app.py refuses otherwise).
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "posture.ui.serve", "--port", str(port)],
                cwd=self.data_dir.parent, stdout=fh, stderr=subprocess.STDOUT, env=env,
            )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"streamlit exited: {self.log.read_text()}")
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy: {self.log.read_text()}")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
            self.proc = None


def photo_input(page, view: str):  # noqa: ANN001, ANN201 (a Playwright page and locator)
    """The file input of one view's uploader, found by its label ("Front photo (…"): the
    position of an input in the page is not the tab's, since all tabs render at once and in
    whichever order their elements arrive."""
    uploader = page.locator("[data-testid=stFileUploader]").filter(has_text=f"{view} photo (")
    return uploader.locator("input[type=file]")
