"""HTTPS for a tablet: browsers give the camera and the motion sensors only to secure pages.
The launcher serves the app over TLS with Streamlit's own options (`--ssl-cert`/`--ssl-key`),
tested on the loopback with a self-signed certificate made here."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as a clinic would make one for its server's name."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "posture test server")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def _serve(folder: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POSTURE_DATA_DIR": str(folder / "data")}
    return subprocess.Popen([sys.executable, "-m", "posture.ui.serve", *args], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_the_launcher_serves_https_with_a_certificate(tmp_path) -> None:
    cert, key = _self_signed(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = _serve(tmp_path, "--port", str(port), "--ssl-cert", str(cert), "--ssl-key", str(key))
    trusted = ssl.create_default_context(cafile=str(cert))  # the tablet trusts the clinic's certificate
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"the launcher exited: {out}")
            try:
                body = urllib.request.urlopen(f"https://127.0.0.1:{port}/_stcore/health", context=trusted, timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail("the HTTPS server never answered")
                time.sleep(0.3)
        assert body == b"ok"
        page = urllib.request.urlopen(f"https://127.0.0.1:{port}/", context=trusted, timeout=5).read()
        assert b"<html" in page.lower()
        # the same port speaks no plain HTTP, and a client that does not trust the
        # certificate is refused (as a tablet that was not given it)
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5).read()
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(f"https://127.0.0.1:{port}/_stcore/health", context=ssl.create_default_context(),
                                   timeout=5)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stdout:
            proc.stdout.close()


@pytest.mark.parametrize(("args", "says"), [
    (("--ssl-cert", "cert.pem"), "--ssl-cert and --ssl-key go together"),
    (("--ssl-cert", "missing.pem", "--ssl-key", "missing-key.pem"), "missing.pem not found"),
])
def test_the_launcher_refuses_half_a_tls_setting(tmp_path, args, says) -> None:
    proc = _serve(tmp_path, "--port", "1", *args)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 2 and says in out.decode()
