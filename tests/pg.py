"""A throw-away PostgreSQL server for the tests and the load benchmark: Debian's `initdb` into a
temporary folder and `pg_ctl` on a free loopback port (no Unix socket, no password: trust on
127.0.0.1 only, and the data folder is deleted afterwards).

PostgreSQL refuses to run as root, so as root the server runs as `nobody` (through `runuser`),
in a folder owned by it. `find_bin()` looks in /usr/lib/postgresql/*/bin (Debian's place), then
on PATH; without the binaries `PgServer.start` raises PgUnavailable with the reason (the tests
skip loudly; `make test` installs Debian's `postgresql` first).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

USER = "posture"


class PgUnavailable(RuntimeError):
    pass


def find_bin() -> Path | None:
    """The newest PostgreSQL bin folder holding initdb and pg_ctl."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    def __init__(self) -> None:
        self.folder: Path | None = None
        self.port = 0
        self.bin_dir = Path()
        self._as: list[str] = []
        self.options = ""

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def start(self, durable: bool = False) -> PgServer:
        """Start the server; `durable=False` (tests) turns fsync off, True keeps PostgreSQL's defaults."""
        bin_dir = find_bin()
        if bin_dir is None:
            raise PgUnavailable("PostgreSQL's initdb/pg_ctl not found (install Debian's postgresql: `make test` does)")
        self.folder = Path(tempfile.mkdtemp(prefix="posture-pg-"))
        data = self.folder / "data"
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.folder, nobody.pw_uid, nobody.pw_gid)  # 0700, owned by the server's user only
            self._as = ["runuser", "-u", "nobody", "--"]
        init = subprocess.run([*self._as, str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
                               "-E", "UTF8", "--locale=C", "--no-sync"], capture_output=True, text=True)
        if init.returncode != 0:
            raise PgUnavailable(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
        last = ""
        for _ in range(5):  # the port may be taken between free_port() and the server's bind
            self.port = free_port()
            options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300"
            if not durable:
                options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            self.bin_dir = bin_dir
            self.options = options
            run = subprocess.run([*self._as, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "log"),
                                  "-o", options, "-w", "-t", "60", "start"], capture_output=True, text=True)
            if run.returncode == 0:
                return self
            last = (self.folder / "log").read_text(errors="replace")[-2000:] if (self.folder / "log").exists() else run.stderr
        raise PgUnavailable(f"pg_ctl could not start PostgreSQL: {last.strip()}")

    def restart(self) -> None:
        """Stop the server at once (as a crash would: `-m immediate`) and start it again on the same port."""
        data = str(self.folder / "data") if self.folder else ""
        subprocess.run([*self._as, str(self.bin_dir / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
                       capture_output=True, text=True, check=True)
        subprocess.run([*self._as, str(self.bin_dir / "pg_ctl"), "-D", data, "-l", str(self.folder / "log") if self.folder else "",
                        "-o", self.options, "-w", "-t", "60", "start"], capture_output=True, text=True, check=True)

    def stop(self) -> None:
        if self.folder is None:
            return
        subprocess.run([*self._as, str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"],
                       capture_output=True, text=True)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=USER, dbname="postgres", autocommit=True)

    def create_database(self, name: str) -> str:
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create_two_roles(self, name: str) -> tuple[str, str]:
        """docs/clinic.md's two roles: `<name>_owner` owns a new database `name` (it runs the
        migrations), `<name>_app` is an ordinary login with no rights yet. Returns their URLs."""
        with self._admin() as conn:
            conn.execute(f'CREATE ROLE "{name}_owner" LOGIN')
            conn.execute(f'CREATE ROLE "{name}_app" LOGIN')
            conn.execute(f'CREATE DATABASE "{name}" OWNER "{name}_owner"')
        base = f"@127.0.0.1:{self.port}/{name}"
        return f"postgresql+psycopg://{name}_owner{base}", f"postgresql+psycopg://{name}_app{base}"

    def drop_two_roles(self, name: str) -> None:
        self.drop_database(name)
        with self._admin() as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{name}_app"')
            conn.execute(f'DROP ROLE IF EXISTS "{name}_owner"')
