"""Start the app with its privacy settings, from any folder: `python -m posture.ui.serve`.

Streamlit reads `.streamlit/config.toml` from the current folder only, so `streamlit run
/path/to/app.py` started elsewhere would send usage statistics, listen on every network
interface and look up the machine's external address. This launcher passes the settings
on the command line instead (they win over any config file); app.py also refuses to run
without them (posture.ui.page.privacy_guard).

An address beyond this machine is refused, with one line and exit status 2, unless both
POSTURE_ALLOW_NETWORK=1 and POSTURE_MODE=clinic are set (posture.ui.launch_policy): solo mode
has no logins.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .launch_policy import ALLOW_NETWORK_ENV, MODE_ENV, network_problem

APP = Path(__file__).resolve().parents[2] / "app.py"

#: Client data is health data: nothing leaves this machine.
SETTINGS: dict[str, str] = {
    "browser.gatherUsageStats": "false",
    "server.headless": "true",
    # MB. Above the app's photo limit (posture.ui.photo_results.UPLOAD_LIMIT_MB, 25 MB) so that a
    # file over it reaches the page and is refused there in words, not as a chip with a tooltip.
    "server.maxUploadSize": "100",
    "server.enableXsrfProtection": "true",
    # streamlit-webrtc races with fast reruns (sessions judged stale before the first frame).
    "runner.fastReruns": "false",
    "client.toolbarMode": "minimal",
}


def streamlit_command(port: int, address: str = "127.0.0.1", tls: tuple[Path, Path] | None = None) -> list[str]:
    """The `python -m streamlit run` command line with every privacy setting explicit;
    `tls`: (certificate, key) PEM files to serve HTTPS (a tablet's camera and motion sensor
    need a secure page)."""
    settings = {**SETTINGS, "server.address": address, "server.port": str(port)}
    if tls is not None:
        settings |= {"server.sslCertFile": str(tls[0]), "server.sslKeyFile": str(tls[1])}
    flags = [arg for name, value in settings.items() for arg in (f"--{name}", value)]
    return [sys.executable, "-m", "streamlit", "run", str(APP), *flags]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m posture.ui.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")))
    parser.add_argument("--address", default="127.0.0.1",
                        help=f"listen address; anything but this machine also needs {ALLOW_NETWORK_ENV}=1 and {MODE_ENV}=clinic")
    parser.add_argument("--ssl-cert", type=Path, help="serve HTTPS with this certificate (PEM; with --ssl-key)")
    parser.add_argument("--ssl-key", type=Path, help="the certificate's private key (PEM)")
    args = parser.parse_args(argv)
    if not APP.is_file():
        print(f"posture.ui.serve: {APP} not found (run from a source checkout)", file=sys.stderr)
        return 2
    problem = network_problem(args.address)
    if problem is not None:
        print(f"posture.ui.serve: refused: {problem}", file=sys.stderr)
        return 2
    if (args.ssl_cert is None) != (args.ssl_key is None):
        print("posture.ui.serve: --ssl-cert and --ssl-key go together", file=sys.stderr)
        return 2
    tls = None if args.ssl_cert is None else (args.ssl_cert.resolve(), args.ssl_key.resolve())
    for path in tls or ():
        if not path.is_file():
            print(f"posture.ui.serve: {path} not found", file=sys.stderr)
            return 2
    command = streamlit_command(args.port, args.address, tls)
    os.execv(command[0], command)  # the server replaces this process: signals reach it directly
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
