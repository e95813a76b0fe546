"""Instruments for load and faults: wrk over a rotating mix of URLs, which also counts its
answers other than 2xx by wall-clock second, and a probe, a few client threads beside the
load that record the start, end and outcome of every request they make."""

import http.client
import json
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass

from tooling.bench.server import WRK_REPORT

# wrk runs one Lua state per thread: each rotates through the paths (starting at a
# different place) and counts answers other than 2xx per wall-clock second (LuaJIT's ffi
# reads the clock); done() gathers the threads' counts and prints them after the summary.
WRK_MIX = """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } loadfault_timeval;
int gettimeofday(loadfault_timeval *tv, void *tz);
]]
local clock = ffi.new("loadfault_timeval")
local function now()
  ffi.C.gettimeofday(clock, nil)
  return tonumber(clock.tv_sec)
end

local paths = {%(paths)s}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("start", #threads * 7)
end

function init(args)
  counter = start
  bad = {}
  bad_total = 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    local second = now()
    bad[second] = (bad[second] or 0) + 1
    bad_total = bad_total + 1
  end
end

local report = done
done = function(summary, latency, requests)
  local total, seconds = 0, {}
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad_total")
    for second, n in pairs(thread:get("bad")) do
      seconds[second] = (seconds[second] or 0) + n
    end
  end
  local parts = {}
  for second, n in pairs(seconds) do
    table.insert(parts, string.format('"%%d": %%d', second, n))
  end
  io.write(string.format('\\nBAD {"total": %%d, "by_second": {%%s}}\\n', total, table.concat(parts, ", ")))
  report(summary, latency, requests)
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    socket_errors: int
    non_2xx: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    bad_by_second: dict[int, int]  # answers other than 2xx, by wall-clock second

    @property
    def errors(self) -> int:
        return self.socket_errors + self.non_2xx

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict:
        return {**asdict(self), "errors": self.errors, "throughput": self.throughput}


class Wrk:
    """wrk in the background: ``start()``, do something, ``result()``."""

    def __init__(
        self,
        base_url: str,
        paths: list[str],
        *,
        connections: int,
        seconds: float,
        threads: int = 2,
        timeout_s: int = 10,
    ):
        self.base_url, self.paths = base_url, paths
        self.connections, self.seconds = connections, max(1, round(seconds))
        self.threads, self.timeout_s = threads, timeout_s
        self.process: subprocess.Popen | None = None
        self.script = ""

    def start(self) -> "Wrk":
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_REPORT)  # defines done(), which the mix wraps
            script.write(WRK_MIX % {"paths": ", ".join(json.dumps(p) for p in self.paths)})
        self.script = script.name
        self.process = subprocess.Popen(
            [
                "wrk",
                f"-t{self.threads}",
                f"-c{self.connections}",
                f"-d{self.seconds}s",
                "--timeout",
                f"{self.timeout_s}s",
                "-s",
                self.script,
                self.base_url,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return self

    def result(self) -> WrkResult:
        try:
            out, err = self.process.communicate(timeout=self.seconds + self.timeout_s + 60)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError("wrk did not finish in time") from None
        finally:
            os.unlink(self.script)
        if self.process.returncode:
            raise RuntimeError(f"wrk failed: {err.strip() or out.strip()}")
        lines = out.splitlines()
        found = json.loads(next(x for x in lines if x.startswith("RESULT "))[len("RESULT ") :])
        bad = json.loads(next(x for x in lines if x.startswith("BAD "))[len("BAD ") :])
        return WrkResult(
            found["requests"],
            found["duration_us"] / 1e6,
            found["socket_errors"],
            bad["total"],
            found["p50_us"] / 1000,
            found["p95_us"] / 1000,
            found["p99_us"] / 1000,
            found["max_us"] / 1000,
            {int(k): v for k, v in sorted(bad["by_second"].items())},
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass(frozen=True)
class Hit:
    path: str
    started: float  # wall-clock seconds (time.time())
    ended: float
    status: int | None  # None: no answer (the error says why)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def ms(self) -> float:
        return (self.ended - self.started) * 1000


class Probe:
    """``threads`` clients requesting the paths in turn, one new connection a request (as
    the sync workers close it after each answer), recording every outcome."""

    def __init__(self, port: int, paths: list[str], *, threads: int = 4, timeout_s: float = 10):
        self.port, self.paths, self.threads, self.timeout_s = port, paths, threads, timeout_s
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> "Probe":
        for n in range(self.threads):
            # each client starts at a different place in the list
            thread = threading.Thread(
                target=self._run, args=(n * len(self.paths) // self.threads,), daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout_s + 5)

    def _run(self, offset: int) -> None:
        n = offset
        while not self._stop.is_set():
            path = self.paths[n % len(self.paths)]
            n += 1
            hit = self.get(path)
            with self._lock:
                self.hits.append(hit)

    def get(self, path: str) -> Hit:
        started = time.time()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout_s)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return Hit(path, started, time.time(), response.status)
        except (OSError, http.client.HTTPException) as error:
            return Hit(path, started, time.time(), None, f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    def between(self, start: float, end: float) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if start <= h.started < end]
