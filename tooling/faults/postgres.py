"""A throwaway PostgreSQL server of the fault test's own: a new cluster in a temporary
folder on a free loopback port, which the test can stop, start and restart, and which is
removed when the test ends. Run as the ``postgres`` user when the test runs as root."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2

from tooling.bench.server import free_port

DATABASE = "iqf"


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian's layout), or ``initdb`` on the
    PATH; None when there is none."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: [int(x) for x in p.parent.parent.name.split(".") if x.isdigit()],
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Postgres:
    """``with Postgres() as pg:`` a running server with an empty database ``iqf``."""

    def __init__(self, *, bin_dir: Path | None = None, start_timeout: int = 60):
        self.bin = bin_dir or binaries()
        if self.bin is None:
            raise RuntimeError("No PostgreSQL server binaries (initdb, pg_ctl) are installed.")
        self.start_timeout = start_timeout
        self.port = free_port()
        self.root: Path | None = None

    # -- life cycle --------------------------------------------------------------------

    def __enter__(self) -> "Postgres":
        self.root = Path(tempfile.mkdtemp(prefix="iqf-faults-pg-"))
        try:
            if os.getuid() == 0:
                shutil.chown(self.root, "postgres")
            self._run(
                "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
            )
            self.start()
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DATABASE)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.root is None:
            return
        if (self.data / "postmaster.pid").exists():
            self._run(
                "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop", check=False
            )
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            str(self.start_timeout),
            "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200",
            "start",
        )

    def stop(self) -> None:
        """Fast shutdown: open transactions are rolled back, clients disconnected."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def accepting(self) -> bool:
        try:
            psycopg2.connect(self.url, connect_timeout=2).close()
        except psycopg2.OperationalError:
            return False
        return True

    def _run(self, program: str, *arguments: str, check: bool = True) -> None:
        command = [str(self.bin / program), *arguments]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and done.returncode:
            raise RuntimeError(f"{program} failed: {done.stderr.strip() or done.stdout.strip()}")

    # -- queries -----------------------------------------------------------------------

    def connect(self):
        """A new connection in autocommit mode."""
        connection = psycopg2.connect(self.url, connect_timeout=5)
        connection.autocommit = True
        return connection

    def query(self, sql: str, params=None) -> list[tuple]:
        """Rows of one statement on a connection of its own."""
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def wait_until(self, condition, *, timeout: float, interval: float = 0.1) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(interval)
        return condition()
