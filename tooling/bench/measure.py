"""The measurements of one benchmark run, taken in a process whose database is the
benchmark's: pages, reports, CSVs and admin changelists over HTTP against gunicorn, their
query counts in-process, the framework and database floors, query plans, the peak memory
of the largest CSV export, bundle export and bulk-load throughput, and load."""

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from tooling.bench import bundles
from tooling.bench.floors import floors
from tooling.bench.server import Server, load, wrk_path
from tooling.bench.targets import Target, admin_targets, page_targets, report_targets
from tooling.bench.timing import Client, time_sql
from tooling.bench.urls import FLOOR_PATH

BENCH_USER = "benchmark.admin"


@dataclass
class Figure:
    group: str
    name: str
    url: str = ""
    median_ms: float = 0.0
    p95_ms: float = 0.0
    runs: int = 0
    queries: int | None = None
    size: int = 0
    floor: str = ""
    floor_ms: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.median_ms / self.floor_ms if self.floor_ms else None


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    floors: dict[str, dict] = field(default_factory=dict)
    memory: dict = field(default_factory=dict)
    bundle: dict = field(default_factory=dict)
    load: list[dict] = field(default_factory=list)
    plans: list[tuple[str, str, str]] = field(default_factory=list)  # title, sql, plan
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "figures": [{**asdict(f), "ratio": f.ratio} for f in self.figures],
            "floors": self.floors,
            "memory": self.memory,
            "bundle": self.bundle,
            "load": self.load,
            "notes": self.notes,
        }


class SlowestQuery:
    """An execute wrapper that counts statements and keeps the slowest one."""

    def __init__(self):
        self.count = 0
        self.slowest: tuple[float, str, object] = (-1.0, "", None)

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            if not many and elapsed > self.slowest[0]:
                self.slowest = (elapsed, sql, params)


def admin_cookie() -> str:
    """A session cookie of the benchmark's superuser (created in the benchmark's database)."""
    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_USER, defaults={"is_staff": True, "is_superuser": True}
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def explain(sql: str, params) -> str:
    """The plan of a statement: EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite."""
    prefix = "EXPLAIN (ANALYZE, BUFFERS)" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    with connection.cursor() as cursor:
        cursor.execute(f"{prefix} {sql}", params)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def _count_queries(client: Client, target: Target, results: Results) -> tuple[int, int]:
    """Request ``target`` in-process once: checks it answers 200, counts its queries, and
    keeps the plan of its slowest query for reports."""
    watch = SlowestQuery()
    with connection.execute_wrapper(watch):
        status, size = client.get(target.url)
    if status != 200:
        raise RuntimeError(f"GET {target.url} answered {status}, not 200")
    if target.group in ("report", "csv") and watch.slowest[1]:
        ms, sql, params = watch.slowest
        title = f"{target.group} {target.name}: slowest of {watch.count} queries ({ms * 1000:.0f} ms)"
        results.plans.append((title, sql, explain(sql, params)))
    return watch.count, size


def measure(
    *, times: int, budget_seconds: float, load_seconds: int, workdir: Path, progress=print
) -> Results:
    settings.ROOT_URLCONF = "tooling.bench.urls"
    results = Results()
    cookie = admin_cookie()
    targets = page_targets() + report_targets() + admin_targets()
    client = Client()
    admin_client = Client(cookie)
    counted = {}
    for target in targets:
        counted[target] = _count_queries(admin_client if target.group == "admin" else client, target, results)
    connection.close()  # the server's worker has its own connection

    # every page rendered, as on the first request after a change to the content
    with Server(workers=1, page_cache=False) as server:
        floor = server.time(FLOOR_PATH, times=max(times, 50), budget_seconds=budget_seconds)
        results.figures.append(
            Figure(
                "floor",
                "framework floor (trivial view)",
                FLOOR_PATH,
                floor.median,
                floor.p95,
                len(floor.times),
                0,
                floor.size,
            )
        )
        progress(f"framework floor: {floor.median:.2f} ms")
        for target in targets:
            sample = server.time(
                target.url,
                times=times,
                budget_seconds=budget_seconds,
                cookie=cookie if target.group == "admin" else "",
            )
            queries, _ = counted[target]
            figure = Figure(
                target.group,
                target.name,
                target.url,
                sample.median,
                sample.p95,
                len(sample.times),
                queries,
                sample.size,
            )
            if target.group in ("page", "admin"):
                figure.floor, figure.floor_ms = "framework", floor.median
            results.figures.append(figure)
            progress(
                f"{target.group} {target.name}: {sample.median:.1f} ms (p95 {sample.p95:.1f}), "
                f"{queries} queries"
            )
    # as deployed: pages kept until the content changes (the warm-up request fills the cache)
    connection.close()
    with Server(workers=1) as server:
        for target in targets:
            if target.group not in ("page", "report"):
                continue
            sample = server.time(target.url, times=times, budget_seconds=budget_seconds)
            figure = Figure(
                f"cached {target.group}",
                target.name,
                target.url,
                sample.median,
                sample.p95,
                len(sample.times),
                None,
                sample.size,
            )
            if target.group == "page":
                figure.floor, figure.floor_ms = "framework", floor.median
            results.figures.append(figure)
            progress(f"cached {target.group} {target.name}: {sample.median:.1f} ms (p95 {sample.p95:.1f})")

    for name, found in floors().items():
        sample = time_sql(found.run, times=times, budget_seconds=budget_seconds)
        results.floors[name] = {"median_ms": sample.median, "p95_ms": sample.p95, "runs": len(sample.times)}
        results.plans.append((f"database floor {name}", found.sql, explain(found.sql, found.params)))
        for figure in results.figures:
            if figure.group in ("report", "csv", "cached report") and figure.name == name:
                figure.floor, figure.floor_ms = "database", sample.median
        progress(f"database floor {name}: {sample.median:.1f} ms")

    csvs = [f for f in results.figures if f.group == "csv"]
    largest = max(csvs, key=lambda f: f.size)
    connection.close()
    with Server(workers=1) as server:
        server.get(FLOOR_PATH)
        results.memory = {"report": largest.name, "url": largest.url, **server.peak_memory(largest.url)}
    progress(f"peak memory of {largest.url}: {results.memory['peak_mb']:.0f} MB")

    bundle = workdir / "bundle"
    results.bundle["export"] = bundles.export(bundle)
    progress(f"bundle export: {results.bundle['export']['rows_per_second']:,.0f} rows/s")
    results.bundle["bulk_load"] = bundles.bulk_load(bundle)
    progress(f"bulk load: {results.bundle['bulk_load']['rows_per_second']:,.0f} rows/s")

    if load_seconds:
        if wrk_path() is None:
            results.notes.append("The load test did not run: wrk is not installed (make tools).")
        else:
            loaded = [t for t in targets if t.name in ("role", "finder (two facets)")]
            for page_cache in (True, False):
                connection.close()
                with Server(workers=4, page_cache=page_cache) as server:
                    for target in [Target("load", "framework floor", FLOOR_PATH), *loaded]:
                        if not page_cache and target.url == FLOOR_PATH:
                            continue
                        name = (
                            target.name
                            if page_cache or target.url == FLOOR_PATH
                            else f"{target.name}, page cache off"
                        )
                        # every worker serves the page before the clock starts (first
                        # requests import code and compile templates)
                        load(server.url(target.url), connections=8, seconds=2)
                        found = load(server.url(target.url), connections=50, seconds=load_seconds)
                        results.load.append(
                            {"name": name, "url": target.url, **asdict(found), "throughput": found.throughput}
                        )
                        progress(
                            f"load {name}: {found.throughput:.0f} req/s, "
                            f"p95 {found.p95_ms:.0f} ms, {found.errors} errors"
                        )
    return results
