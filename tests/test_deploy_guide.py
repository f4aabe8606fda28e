"""The launcher's network rule and docs/clinic.md's deploy guide, run as written.

Solo mode has no logins, so an address beyond this machine needs POSTURE_ALLOW_NETWORK=1 *and*
POSTURE_MODE=clinic; the launcher refuses otherwise with one line and exit status 2, and the
app's privacy guard refuses the same when Streamlit is started by hand. The guide's
environment block is read from the guide itself, so a guide that drops POSTURE_MODE fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from posture.ui import serve

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "clinic.md"
NETWORK_VARS = ("POSTURE_MODE", "POSTURE_ALLOW_NETWORK")


def guide_environment() -> dict[str, str]:
    """The KEY=VALUE lines of the guide's environment block (step 2 of "Deploying for a clinic")."""
    text = GUIDE.read_text()
    deploy = text[text.index("## Deploying for a clinic"):]
    block = next(b for b in re.findall(r"```sh\n(.*?)```", deploy, re.S) if "POSTURE_DATA_DIR=" in b)
    pairs = (line.split("#", 1)[0].strip().split("=", 1) for line in block.splitlines())
    return {kv[0]: kv[1] for kv in pairs if len(kv) == 2}


def guide_network_command() -> list[str]:
    """Step 3's command for listening on the clinic network directly, as the guide spells it."""
    deploy = GUIDE.read_text().split("## Deploying for a clinic", 1)[1]
    (command,) = re.findall(r"`(POSTURE_ALLOW_NETWORK=1 python -m posture\.ui\.serve [^`]*)`", deploy)
    return command.split()


def launch(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in NETWORK_VARS}
    return subprocess.run([sys.executable, "-m", "posture.ui.serve", *args], env={**clean, **env},
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


@pytest.mark.parametrize("env, why", [
    ({"POSTURE_ALLOW_NETWORK": "1"}, "in solo mode, which has no logins"),
    ({"POSTURE_ALLOW_NETWORK": "1", "POSTURE_MODE": "solo"}, "in solo mode, which has no logins"),
    ({"POSTURE_MODE": "clinic"}, "not only on this machine (set POSTURE_ALLOW_NETWORK=1 and POSTURE_MODE=clinic"),
    ({"POSTURE_ALLOW_NETWORK": "1", "POSTURE_MODE": "clinc"}, "POSTURE_MODE='clinc' is not a mode"),
])
def test_launcher_refuses_the_network_without_clinic_mode_in_one_line(env, why):
    done = launch(["--address", "0.0.0.0", "--port", "1"], env)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("posture.ui.serve: refused: ")
    assert why in done.stderr


def _command_run(monkeypatch, args: list[str]) -> list[str]:
    """What main() would exec (the server itself is not started)."""
    ran: list[list[str]] = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: ran.append(list(argv)))
    assert serve.main(args) == 0
    (command,) = ran
    return command


def test_guide_environment_sets_clinic_mode_and_its_network_command_is_accepted(monkeypatch):
    env = guide_environment()
    assert env["POSTURE_MODE"] == "clinic"
    for name in NETWORK_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    prefix, *rest = guide_network_command()
    name, value = prefix.split("=")
    monkeypatch.setenv(name, value)
    assert rest[:3] == ["python", "-m", "posture.ui.serve"]
    command = _command_run(monkeypatch, rest[3:])
    assert command[command.index("--server.address") + 1] == "0.0.0.0"
    # The same command without the guide's POSTURE_MODE line is the solo server the issue found.
    monkeypatch.delenv("POSTURE_MODE")
    assert serve.main(rest[3:]) == 2


def test_loopback_needs_nothing(monkeypatch):
    for name in NETWORK_VARS:
        monkeypatch.delenv(name, raising=False)
    for address in ("127.0.0.1", "localhost", "::1"):
        command = _command_run(monkeypatch, ["--address", address])
        assert command[command.index("--server.address") + 1] == address


def test_privacy_guard_refuses_a_network_address_in_solo_mode_even_when_allowed(monkeypatch):
    from streamlit import config

    from posture.ui.page import privacy_problems

    saved = config.get_option("server.address")
    try:
        config.set_option("server.address", "0.0.0.0")
        monkeypatch.setenv("POSTURE_ALLOW_NETWORK", "1")
        monkeypatch.delenv("POSTURE_MODE", raising=False)
        (problem,) = privacy_problems()
        assert "solo mode, which has no logins" in problem
        monkeypatch.setenv("POSTURE_MODE", "clinic")
        assert privacy_problems() == []
    finally:
        config.set_option("server.address", saved)


def test_guide_as_written_serves_the_login_page_on_loopback(tmp_path, pg_two_roles, monkeypatch, capsys):
    """Step 1's two roles (the owner runs `posture db upgrade --app-role`), step 2's environment
    (the app role's URL, host and folders swapped for the test server's), the launcher on
    127.0.0.1: the server is healthy, and the app it serves, as the app role, asks for a login."""
    from sqlalchemy.engine import make_url
    from streamlit.testing.v1 import AppTest

    from posture import cli
    from tests.pg import free_port

    owner_url, app_url = pg_two_roles
    guide = GUIDE.read_text()
    assert "posture db upgrade --app-role posture" in guide and "createdb --owner posture_owner posture" in guide
    monkeypatch.setenv("POSTURE_DATABASE_URL", owner_url)
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "owner"))
    assert cli.main(["db", "upgrade", "--app-role", make_url(app_url).username or ""]) == 0
    capsys.readouterr()
    env = guide_environment()
    assert make_url(env["POSTURE_DATABASE_URL"]).username == "posture"  # the app role, not posture_owner
    env["POSTURE_DATABASE_URL"] = app_url
    env["POSTURE_DATA_DIR"] = str(tmp_path / "srv")
    env["POSTURE_PHOTO_DIR"] = str(tmp_path / "srv" / "photos")
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if k not in NETWORK_VARS}
    clean["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])  # this checkout's code
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "posture.ui.serve", "--port", str(port)],
                                env={**clean, **env, "PYTHONUNBUFFERED": "1"}, stdout=out, stderr=subprocess.STDOUT,
                                cwd=tmp_path)
    try:
        healthy = False
        for _ in range(200):  # polls the server until it answers (at most ~60 s), never a fixed sleep
            if proc.poll() is not None:
                pytest.fail(f"the launcher exited: {log.read_text()}")
            try:
                healthy = urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=0.3).read() == b"ok"
            except OSError:
                pass
            if healthy:
                break
            try:
                proc.wait(timeout=0.3)
            except subprocess.TimeoutExpired:
                pass
        assert healthy, log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    from streamlit import config

    from posture.ui.page import get_store

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    saved = {k: config.get_option(k) for k in ("browser.gatherUsageStats", "server.address")}
    config.set_option("browser.gatherUsageStats", False)
    config.set_option("server.address", "127.0.0.1")
    get_store.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()
        assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
        assert [b.label for b in at.button if b.label == "Log in"] == ["Log in"]
    finally:
        get_store.clear()
        for k, v in saved.items():
            config.set_option(k, v)
