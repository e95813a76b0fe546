"""One load-and-faults run, start to finish, on loopback and bounded in time.

A PostgreSQL server of the run's own, data generated into it, gunicorn (four sync workers,
the benchmark's production-like settings) in front, then five phases:

1. load: wrk's connections over a mix of public pages and one report CSV, a probe beside
   it timing each URL;
2. a worker killed: the same load, one worker sent SIGKILL a third of the way in;
3. PostgreSQL restarted: the same load and a writer importing small bundles, the server
   stopped (fast shutdown) a third of the way in and started again after a pause;
4. an import interrupted: a bundle of the whole data set under new references imported
   with ``manage.py import_bundle``, the process killed halfway through its transaction (as
   long as a dry run's), every table compared with before;
5. an admin import interrupted: the same bundle's modules imported through the admin, the
   worker serving the confirmation killed halfway through its transaction, every table
   compared again.

Everything started is stopped at the end, on failure and on Ctrl-C too.
"""

import contextlib
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from tooling.bench.server import Server
from tooling.faults.database import checksums, modules_alone, renamed_bundle
from tooling.faults.load import Hit, Probe, Wrk
from tooling.faults.postgres import Postgres
from tooling.faults.webimport import AdminClient, forms_of, serving_worker

IMPORT_APPLICATION = "iqf-loadfault-import"


@dataclass(frozen=True)
class Options:
    scale: float = 1.0
    seed: int = 1
    duration: float = 60.0  # seconds of the load phase
    fault_seconds: float = 20.0  # seconds of load in each fault phase
    pg_down: float = 3.0  # seconds PostgreSQL stays stopped
    connections: int = 50
    workers: int = 4
    probe_threads: int = 2


class HarnessError(RuntimeError):
    """The run itself failed (as opposed to a figure missing its target)."""


def environment(url: str) -> dict[str, str]:
    """The benchmark's production-like settings (no debug, persistent connections checked
    before reuse) on the run's own database."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "CONN_MAX_AGE": "600",
        "DJANGO_ENV": "development",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join([str(settings.BASE_DIR), os.environ.get("PYTHONPATH", "")]),
    }


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(p) - 1]


def _hits_json(hits: list[Hit], origin: float) -> list[dict]:
    """Failed hits, with times relative to ``origin``."""
    return [
        {
            "path": h.path,
            "started_s": round(h.started - origin, 3),
            "ended_s": round(h.ended - origin, 3),
            "status": h.status,
            "error": h.error,
        }
        for h in hits
        if not h.ok
    ]


class Run:
    """``Run(options, workdir=…)()`` runs every phase and returns their figures; whatever
    it started is stopped when it returns or raises."""

    def __init__(self, options: Options, *, workdir: Path, progress=print):
        self.options = options
        self.workdir = workdir
        self.progress = progress
        self.started = time.monotonic()
        self.stack = contextlib.ExitStack()
        self.pg: Postgres | None = None
        self.server: Server | None = None
        self.targets: list[dict] = []
        self._polling = None

    # -- helpers ---------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.progress(f"[{time.monotonic() - self.started:4.0f} s] {text}")

    def manage(self, *arguments: str, timeout: float = 1800, url: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=settings.BASE_DIR,
            env=environment(url or self.pg.url),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise HarnessError(f"manage.py {' '.join(arguments)} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def spawn(self, *arguments: str, url: str | None = None) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *arguments],
            cwd=settings.BASE_DIR,
            env=environment(url or self.pg.url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stack.callback(_kill, process)
        return process

    def wrk(self, seconds: float) -> Wrk:
        found = Wrk(self.server.url(""), self.paths, connections=self.options.connections, seconds=seconds)
        self.stack.callback(found.stop)
        return found.start()

    @property
    def access_log(self) -> Path:
        return self.workdir / "access.log"

    @property
    def paths(self) -> list[str]:
        return [t["url"] for t in self.targets]

    # -- the run -----------------------------------------------------------------------

    def __call__(self) -> dict:
        with self.stack:
            started = time.monotonic()
            data = {"options": self.options.__dict__, "setup": self.set_up()}
            data["load"] = self.load_phase()
            data["worker_kill"] = self.worker_kill_phase()
            data["postgres_restart"] = self.postgres_restart_phase()
            data["interrupted_import"] = self.interrupted_import_phase()
            data["interrupted_web_import"] = self.interrupted_web_import_phase()
            data["after"] = self.still_serving()
            data["seconds"] = time.monotonic() - started
            return data

    def set_up(self) -> dict:
        o = self.options
        self.say("Starting a PostgreSQL server of the run's own")
        self.pg = self.stack.enter_context(Postgres())
        version = self.pg.query("SHOW server_version")[0][0]
        self.say(f"Migrating and generating data at K={o.scale:g}")
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("generate_data", "--scale", f"{o.scale:g}", "--seed", str(o.seed), "--no-progress")
        self.pg.query("VACUUM ANALYZE")
        rows = sum(count for count, _ in checksums(self.pg).values())
        self.manage("loadfault", "--phase", "targets", "--workdir", str(self.workdir))
        self.targets = json.loads((self.workdir / "targets.json").read_text())
        self.say(f"Starting gunicorn with {o.workers} workers")
        self.server = self.stack.enter_context(
            Server(
                workers=o.workers,
                timeout=60,
                env=environment(self.pg.url),
                log=self.workdir / "gunicorn.log",
                # status, time in the worker (µs) and request line of every request
                options=("--access-logfile", str(self.access_log), "--access-logformat", "%(s)s %(D)s %(r)s"),
            )
        )
        for target in self.targets:
            status, _ = self.server.get(target["url"])
            if status != 200:
                raise HarnessError(f"GET {target['url']} answered {status}, not 200")
        # every worker serves every URL once before the clock starts (imports, templates)
        Wrk(self.server.url(""), self.paths, connections=8, seconds=2).start().result()
        return {"postgresql": version, "rows": rows, "targets": self.targets}

    def load_phase(self) -> dict:
        o = self.options
        self.say(f"Load: {o.connections} connections for {o.duration:g} s over {len(self.paths)} URLs")
        offset = self.access_log.stat().st_size
        with Probe(self.server.port, self.paths, threads=o.probe_threads) as probe:
            found = self.wrk(o.duration).result()
        served = _access_lines(self.access_log, offset)
        per_url = []
        for target in self.targets:
            times = [ms for path, _, ms in served if path == target["url"]]
            hits = [h for h in probe.hits if h.path == target["url"]]
            waited = [h.ms for h in hits if h.ok]
            per_url.append(
                {
                    "name": target["name"],
                    "url": target["url"],
                    "served": len(times),
                    "non_2xx": sum(
                        not 200 <= status < 300 for path, status, _ in served if path == target["url"]
                    ),
                    "worker_p50_ms": _percentile(times, 50),
                    "worker_p95_ms": _percentile(times, 95),
                    "probe_requests": len(hits),
                    "probe_failed": sum(not h.ok for h in hits),
                    "probe_p50_ms": _percentile(waited, 50),
                    "probe_p95_ms": _percentile(waited, 95),
                }
            )
        self.say(
            f"  {found.requests} requests, {found.throughput:.0f} req/s, {found.errors} errors, "
            f"p95 {found.p95_ms:.0f} ms"
        )
        return {**found.as_json(), "per_url": per_url, "probe_failed": sum(not h.ok for h in probe.hits)}

    def worker_kill_phase(self) -> dict:
        o = self.options
        self.say(f"Worker killed: {o.fault_seconds:g} s of load, SIGKILL to one worker at a third")
        before = sorted(self.server.worker_pids())
        with Probe(self.server.port, self.paths, threads=o.probe_threads) as probe:
            start = time.time()
            load = self.wrk(o.fault_seconds)
            time.sleep(o.fault_seconds / 3)
            victim = before[0]
            killed_at = time.time()
            os.kill(victim, signal.SIGKILL)
            replaced = None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                now = sorted(self.server.worker_pids())
                if len(now) == o.workers and victim not in now:
                    replaced = time.time() - killed_at
                    break
                time.sleep(0.05)
            found = load.result()
        hits = probe.between(start, time.time())
        after = [h for h in hits if h.started > killed_at]
        failed = [h for h in hits if not h.ok]
        workers_after = len(self.server.worker_pids())
        self.say(
            f"  wrk {found.errors} errors, probe {len(failed)} failed; worker replaced in "
            f"{replaced if replaced is None else round(replaced, 1)} s"
        )
        return {
            "wrk": found.as_json(),
            "killed_pid": victim,
            "killed_at_s": killed_at - start,
            "replaced_after_s": replaced,
            "workers_after": workers_after,
            "probe_requests": len(hits),
            "probe_failed": len(failed),
            "probe_ok_after_kill": sum(h.ok for h in after),
            "probe_failures": _hits_json(hits, killed_at),
            "failed_requests": found.errors + len(failed),
        }

    def postgres_restart_phase(self) -> dict:
        o = self.options
        seconds = o.fault_seconds + o.pg_down
        self.say(
            f"PostgreSQL restarted: {seconds:g} s of load and writes, the server stopped at a "
            f"third for {o.pg_down:g} s"
        )
        log = self.workdir / "writes.jsonl"
        log.unlink(missing_ok=True)
        writer = self.spawn(
            "loadfault", "--phase", "writer", "--workdir", str(self.workdir), "--seconds", f"{seconds:g}"
        )

        # the writer has started writing before the clock starts
        def writing() -> bool:
            return log.exists() and log.stat().st_size > 0 or writer.poll() is not None

        if not self.pg.wait_until(writing, timeout=60):
            raise HarnessError("The writer did not start writing within 60 s")
        if writer.poll() is not None:
            raise HarnessError(f"The writer stopped: {writer.stderr.read()[-2000:]}")
        with Probe(self.server.port, self.paths, threads=o.probe_threads) as probe:
            start = time.time()
            load = self.wrk(seconds)
            time.sleep(seconds / 3)
            down_at = time.time()
            self.pg.stop()
            stopped_at = time.time()
            time.sleep(o.pg_down)
            self.pg.start()
            up_at = time.time()
            found = load.result()
        try:
            _, err = writer.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            raise HarnessError("The writer did not stop") from None
        if writer.returncode:
            raise HarnessError(f"The writer failed: {err[-2000:]}")
        self.manage("loadfault", "--phase", "verify-writes", "--workdir", str(self.workdir))
        writes = json.loads((self.workdir / "writes-verdict.json").read_text())
        attempts = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]

        hits = probe.between(start, time.time())
        failed = [h for h in hits if not h.ok]
        # outside the outage: ended before the stop began, or started over 1 s after the
        # server accepted connections again
        early = [h for h in failed if h.ended < down_at]
        late = [h for h in failed if h.started > up_at + 1]
        wrk_late = {s: n for s, n in found.bad_by_second.items() if s > up_at + 1}
        wrk_early = {s: n for s, n in found.bad_by_second.items() if s + 1 < down_at}
        by_second: dict[int, dict[str, int]] = {}
        for h in failed:
            by_second.setdefault(int(h.started) - int(down_at), {"probe": 0, "wrk": 0})["probe"] += 1
        for second, n in found.bad_by_second.items():
            by_second.setdefault(int(second - int(down_at)), {"probe": 0, "wrk": 0})["wrk"] += n
        last_failure = max((h.started for h in failed), default=None)
        writes_failed = [a for a in attempts if a["outcome"] == "failed"]
        committed = [a for a in attempts if a["outcome"] == "committed"]
        self.say(
            f"  down {up_at - down_at:.1f} s; probe {len(failed)} failed ({len(late)} later than "
            f"1 s after up), wrk {found.errors} errors; writes {writes['attempted']} attempted, "
            f"{len(writes['partial'])} partial"
        )
        return {
            "wrk": found.as_json(),
            "down_at_s": down_at - start,
            "stopped_after_s": stopped_at - down_at,
            # from the start of the wall-clock second in which the stop began
            "down_offset_s": down_at - int(down_at),
            "up_offset_s": up_at - int(down_at),
            "up_after_s": up_at - down_at,
            "probe_requests": len(hits),
            "probe_failed": len(failed),
            "failed_before_down": len(early) + sum(wrk_early.values()),
            "failed_later_than_1s_after_up": len(late) + sum(wrk_late.values()),
            "last_probe_failure_after_up_s": None if last_failure is None else last_failure - up_at,
            "probe_ok_after_up": sum(h.ok for h in hits if h.started > up_at),
            "errors_by_second_from_down": {str(k): v for k, v in sorted(by_second.items())},
            "probe_failures": _hits_json(hits, down_at),
            "writes": writes,
            "writes_committed_after_up": sum(a["started"] > up_at for a in committed),
            "write_median_s": statistics.median(a["ended"] - a["started"] for a in committed)
            if committed
            else None,
            "write_failures": [
                {"ref": a["ref"], "started_s": round(a["started"] - down_at, 3), "error": a["error"]}
                for a in writes_failed
            ],
        }

    def interrupted_import_phase(self) -> dict:
        self.say(
            "Import interrupted: the data exported under new references, imported once as a "
            "dry run to time its transaction, then again and killed halfway through it"
        )
        exported, bundle = self.workdir / "export", self.workdir / "import-bundle"
        self.manage("export_bundle", str(exported))
        rows = renamed_bundle(exported, bundle, "LFI-")
        url = f"{self.pg.url}?application_name={IMPORT_APPLICATION}"
        before = checksums(self.pg)

        # The dry run does the import's whole work in one transaction and rolls it back: its
        # transaction's length (seen from pg_stat_activity) is the real import's.
        dry_started = time.time()
        dry = self.spawn("import_bundle", str(bundle), "--dry-run", url=url)
        spans: dict[float, float] = {}  # the transactions seen: start → last seen (epoch s)
        deadline = time.monotonic() + 1800
        while dry.poll() is None and time.monotonic() < deadline:
            for (began,) in self._import_transactions():
                spans[began] = time.time()
            time.sleep(0.02)
        if dry.poll() is None or dry.returncode:
            _kill(dry)
            raise HarnessError(
                f"The dry run of the import failed or did not finish: "
                f"{dry.stderr.read()[-2000:] if dry.stderr else ''}"
            )
        # a transaction too short for the polling to see: the whole run is an upper bound
        transaction_s = max(
            (last - began for began, last in spans.items()), default=time.time() - dry_started
        )
        if checksums(self.pg) != before:
            raise HarnessError("The dry run changed the database")

        started = time.time()
        process = self.spawn("import_bundle", str(bundle), url=url)
        began = None
        deadline = time.monotonic() + 600
        while process.poll() is None and time.monotonic() < deadline:
            seen = self._import_transactions()
            began = seen[0][0] if seen else None
            if began is not None and time.time() >= began + transaction_s / 2:
                break
            time.sleep(0.02)
        finished_first = process.poll() is not None
        killed_at = time.time()
        process.kill()
        process.wait()
        # the server notices the lost client at its next read or write and rolls back
        gone = self.pg.wait_until(
            lambda: (
                not self.pg.query(
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = %s", [IMPORT_APPLICATION]
                )
            ),
            timeout=120,
        )
        after = checksums(self.pg)
        changed = sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
        into = None if began is None else killed_at - began
        self.say(
            f"  killed {killed_at - started:.1f} s after start, "
            f"{'—' if into is None else f'{into:.1f}'} s into a {transaction_s:.1f} s transaction; "
            f"{len(changed)} tables changed"
        )
        return {
            "bundle_rows": rows,
            "transaction_s": transaction_s,
            "killed_after_s": killed_at - started,
            "killed_into_transaction_s": into,
            "finished_before_kill": finished_first,
            "transaction_open_at_kill": began is not None and not finished_first,
            "backend_gone": gone,
            "tables": len(before),
            "rows_before": sum(c for c, _ in before.values()),
            "rows_after": sum(c for c, _ in after.values()),
            "tables_changed": changed,
        }

    def _poll(self, sql: str, params=None) -> list[tuple]:
        """A statement on a connection kept for polling (new connections cost more than
        the short transactions of a tiny import last)."""
        if self._polling is None or self._polling.closed:
            self._polling = self.pg.connect()
            self.stack.callback(self._polling.close)
        with self._polling.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _import_transactions(self) -> list[tuple[float]]:
        """The start (epoch seconds) of the import connection's open transaction, if any."""
        return self._poll(
            "SELECT EXTRACT(EPOCH FROM xact_start)::float FROM pg_stat_activity "
            "WHERE application_name = %s AND xact_start IS NOT NULL",
            [IMPORT_APPLICATION],
        )

    def interrupted_web_import_phase(self) -> dict:
        self.say(
            "Admin import interrupted: the modules of the same bundle uploaded to the admin's "
            "import (its preview times the transaction), confirmed, and the worker serving the "
            "confirmation killed halfway through its transaction"
        )
        self.manage("loadfault", "--phase", "admin", "--workdir", str(self.workdir))
        admin = json.loads((self.workdir / "admin.json").read_text())
        client = AdminClient(self.server.port, admin["cookie"])
        status, page = client.request("GET", admin["import_url"])
        if status != 200:
            raise HarnessError(f"GET {admin['import_url']} answered {status}")
        formats = forms_of(page).options.get("format", [])
        csv_format = next((value for value, label in formats if label.lower() == "csv"), None)
        if csv_format is None:
            raise HarnessError(f"The admin's import offers no CSV format: {formats}")
        modules = self.workdir / "admin-modules.csv"
        rows = modules_alone(self.workdir / "import-bundle" / "modules.csv", modules)

        # step 1, upload: a dry run of the whole import in a transaction rolled back
        answer: dict = {}

        def post_upload():
            answer["status"], answer["page"] = client.post_form(
                admin["import_url"],
                {"csrfmiddlewaretoken": client.csrf_token(), "format": csv_format, "resource": "0"},
                {"import_file": modules},
            )

        upload = threading.Thread(target=post_upload, daemon=True)
        upload_started = time.time()
        spans = self._watch_transactions(upload)
        if answer.get("status") != 200:
            raise HarnessError(f"The admin's import preview answered {answer.get('status')}")
        confirm = forms_of(answer["page"]).forms.get(admin["process_url"])
        if not confirm or not confirm.get("import_file_name"):
            raise HarnessError("The admin's import preview shows no confirmation form (errors in the file?)")
        transaction_s = max(
            (last - began for began, last in spans.items()), default=time.time() - upload_started
        )
        before = checksums(self.pg)

        # step 2, confirm: killed halfway through its transaction
        outcome: dict = {}

        def post_confirm():
            try:
                outcome["status"] = client.post_form(admin["process_url"], confirm)[0]
            except (OSError, http.client.HTTPException) as error:
                outcome["error"] = f"{type(error).__name__}: {error}"

        confirming = threading.Thread(target=post_confirm, daemon=True)
        started = time.time()
        confirming.start()
        began, victim = None, None
        deadline = time.monotonic() + 600
        while confirming.is_alive() and time.monotonic() < deadline:
            seen = self._open_transactions()
            began = seen[0][0] if seen else None
            if began is not None and time.time() >= began + transaction_s / 2:
                victim = serving_worker(self.server.worker_pids(), self.server.port)
                if victim is not None:
                    break
            time.sleep(0.02)
        finished_first = not confirming.is_alive()
        killed_at = time.time()
        if victim is not None and not finished_first:
            os.kill(victim, signal.SIGKILL)
        confirming.join(60)
        gone = self.pg.wait_until(lambda: not self._open_transactions(), timeout=120)
        after = checksums(self.pg)
        changed = sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
        into = None if began is None else killed_at - began
        self.say(
            f"  worker {victim} killed {'—' if into is None else f'{into:.1f}'} s into a "
            f"{transaction_s:.1f} s transaction; the browser saw "
            f"{outcome.get('error') or outcome.get('status')}; {len(changed)} tables changed"
        )
        return {
            "rows": rows,
            "transaction_s": transaction_s,
            "killed_after_s": killed_at - started,
            "killed_into_transaction_s": into,
            "killed_pid": victim,
            "finished_before_kill": finished_first,
            "transaction_open_at_kill": began is not None and not finished_first and victim is not None,
            "client_saw": outcome.get("error") or outcome.get("status"),
            "backend_gone": gone,
            "tables": len(before),
            "rows_before": sum(c for c, _ in before.values()),
            "rows_after": sum(c for c, _ in after.values()),
            "tables_changed": changed,
        }

    def _open_transactions(self) -> list[tuple[float]]:
        """The start (epoch seconds) of every other client's open transaction."""
        return self._poll(
            "SELECT EXTRACT(EPOCH FROM xact_start)::float FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND xact_start IS NOT NULL ORDER BY xact_start"
        )

    def _watch_transactions(self, thread: threading.Thread) -> dict[float, float]:
        """Run ``thread`` and note the transactions open meanwhile: start → last seen."""
        spans: dict[float, float] = {}
        thread.start()
        deadline = time.monotonic() + 1800
        while thread.is_alive() and time.monotonic() < deadline:
            for (began,) in self._open_transactions():
                spans[began] = time.time()
            time.sleep(0.02)
        thread.join(1)
        return spans

    def still_serving(self) -> dict:
        statuses = {t["url"]: self.server.get(t["url"])[0] for t in self.targets}
        return {"all_200": all(s == 200 for s in statuses.values()), "statuses": statuses}


def _access_lines(log: Path, offset: int) -> list[tuple[str, int, float]]:
    """(path, status, ms in the worker) of each request the access log gained after
    ``offset`` bytes."""
    with open(log, "rb") as handle:
        handle.seek(offset)
        text = handle.read().decode("utf-8", "replace")
    found = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0].isdigit() and parts[1].isdigit():
            found.append((parts[3], int(parts[0]), int(parts[1]) / 1000))
    return found


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.communicate(timeout=10)
