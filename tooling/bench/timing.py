"""Timing requests through the whole Django stack (the WSGI handler a server calls, every
middleware, persistent connections as configured) and timing raw SQL, with statistics."""

import io
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection


@dataclass
class Sample:
    """Repeated timings of one target, in milliseconds."""

    times: list[float] = field(default_factory=list)
    queries: int = 0
    status: int = 0
    size: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        if len(self.times) < 2:
            return self.times[0]
        return statistics.quantiles(self.times, n=20, method="inclusive")[18]


class Client:
    """Sends GET requests to the WSGI handler as a server would, with an optional cookie."""

    def __init__(self, cookie: str = ""):
        self.handler = WSGIHandler()
        self.cookie = cookie

    def environ(self, url: str) -> dict:
        parts = urlsplit(url)
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if self.cookie:
            environ["HTTP_COOKIE"] = self.cookie
        return environ

    def get(self, url: str) -> tuple[int, int]:
        """Request ``url`` and read the whole body; returns the status and the body's size."""
        status: list[int] = []

        def start_response(line: str, headers, exc_info=None):
            status.append(int(line.split(" ", 1)[0]))

        body = self.handler(self.environ(url), start_response)
        size = 0
        try:
            for chunk in body:
                size += len(chunk)
        finally:
            if hasattr(body, "close"):
                body.close()
        return status[0], size


def repeat(call: Callable[[], object], *, times: int, budget_seconds: float, minimum: int = 3) -> list[float]:
    """Run ``call`` up to ``times`` times (at least ``minimum``, then stop once
    ``budget_seconds`` have passed), returning each run's milliseconds."""
    spent, found = 0.0, []
    for n in range(times):
        if n >= minimum and spent > budget_seconds:
            break
        started = time.perf_counter()
        call()
        elapsed = time.perf_counter() - started
        spent += elapsed
        found.append(elapsed * 1000)
    return found


def time_sql(run: Callable[[object], object], *, times: int, budget_seconds: float) -> Sample:
    """A hand-written query run straight through the connection's cursor."""
    with connection.cursor() as cursor:
        run(cursor)  # warm-up
        sample = Sample(queries=1)
        sample.times = repeat(lambda: run(cursor), times=times, budget_seconds=budget_seconds)
    return sample
