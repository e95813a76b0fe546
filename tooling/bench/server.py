"""A gunicorn server on a loopback port for the benchmark, timing requests over HTTP, the
peak memory of a worker during one request, and load from wrk."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tooling.bench.timing import Sample, repeat


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving the site (and the framework floor's URL) with ``workers`` sync
    workers, in the environment of the current process or ``env``, with the page cache on
    or off; its output goes to ``log`` when given, and ``options`` are more of gunicorn's
    command-line options."""

    def __init__(
        self,
        *,
        workers: int,
        timeout: int = 300,
        env: dict[str, str] | None = None,
        log: Path | None = None,
        options: tuple[str, ...] = (),
        page_cache: bool = True,
    ):
        self.workers = workers
        self.page_cache = page_cache
        self.timeout = timeout
        self.env = env if env is not None else dict(os.environ)
        self.log = log
        self.options = options
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        gunicorn = Path(sys.executable).with_name("gunicorn")
        output = open(self.log, "ab") if self.log else None  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "tooling.bench.wsgi:application",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                str(self.timeout),
                "--backlog",
                "2048",
                "--log-level",
                "warning",
                *self.options,
            ],
            env={**self.env, "PYTHONUNBUFFERED": "1", "PAGE_CACHE": "true" if self.page_cache else "false"},
            stdout=output,
            stderr=output,
        )
        if output is not None:
            output.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited while starting")
            try:
                if self.get("/__benchmark__/floor/")[0] == 200 and len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_pids(self) -> list[int]:
        """The workers: the processes whose parent is gunicorn's master."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return pids

    def get(self, path: str, cookie: str = "") -> tuple[int, int]:
        """GET over a new connection (sync workers close it after each response); reads
        the whole body. Returns the status and the body's size."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = connection.getresponse()
            size = 0
            while chunk := response.read(65536):
                size += len(chunk)
            return response.status, size
        finally:
            connection.close()

    def time(self, path: str, *, times: int, budget_seconds: float, cookie: str = "") -> Sample:
        status, size = self.get(path, cookie)  # warm-up: caches, connection, plans
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}, not 200")
        sample = Sample(status=status, size=size)
        sample.times = repeat(lambda: self.get(path, cookie), times=times, budget_seconds=budget_seconds)
        return sample

    def peak_memory(self, path: str) -> dict[str, float]:
        """Serve ``path`` once with a single worker and read that worker's resident memory
        before and at its peak during the request (Linux: the peak is reset first)."""
        (pid,) = self.worker_pids()
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets the peak (VmHWM)
        before = _status_kib(pid, "VmRSS")
        status, size = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}, not 200")
        peak = _status_kib(pid, "VmHWM")
        return {
            "rss_before_mb": before / 1024,
            "peak_mb": peak / 1024,
            "growth_mb": (peak - before) / 1024,
            "bytes": size,
        }


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


# -- load ------------------------------------------------------------------------------

WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %d, "duration_us": %d, "socket_errors": %d, "non_2xx": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str | None:
    return shutil.which("wrk")


def load(url: str, *, connections: int, seconds: int, threads: int = 2) -> Load:
    """``connections`` concurrent connections for ``seconds`` seconds with wrk; errors are
    socket errors plus answers other than 2xx."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    try:
        done = subprocess.run(
            [
                wrk_path(),
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    finally:
        os.unlink(script.name)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    found = json.loads(line[len("RESULT ") :])
    return Load(
        found["requests"],
        found["duration_us"] / 1e6,
        found["socket_errors"] + found["non_2xx"],
        found["p50_us"] / 1000,
        found["p95_us"] / 1000,
        found["p99_us"] / 1000,
    )
