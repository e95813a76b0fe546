"""Load and faults (issue 7): load on the public pages, then a worker killed, PostgreSQL
restarted and an import interrupted, each under its target."""

import argparse
import json
import signal
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tooling.management.commands.generate_data import positive_number


class Command(BaseCommand):
    help = (
        "Start a PostgreSQL server of the run's own on a free loopback port, generate data at K "
        "times the source's size into it, serve it with gunicorn (4 workers), then: load with wrk "
        "over the public pages and a report CSV; kill a worker mid-load; restart PostgreSQL "
        "mid-load while a writer imports small bundles; kill an import halfway. Prints each check "
        "with its figure and PASS or MISS and writes benchmarks/loadfault-K.json and .md. Exits "
        "non-zero on a harness error, or with --strict on a missed target."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=positive_number,
            default=1.0,
            metavar="K",
            help="How many times the source's size (default 1).",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--duration", type=positive_number, default=60.0, help="Seconds of the load phase (default 60)."
        )
        parser.add_argument(
            "--fault-seconds",
            type=positive_number,
            default=20.0,
            help="Seconds of load in each fault phase (default 20).",
        )
        parser.add_argument(
            "--pg-down",
            type=positive_number,
            default=3.0,
            help="Seconds PostgreSQL stays stopped (default 3).",
        )
        parser.add_argument(
            "--connections", type=int, default=50, help="wrk's concurrent connections (default 50)."
        )
        parser.add_argument(
            "--out",
            type=Path,
            default=Path(settings.BASE_DIR) / "benchmarks",
            help="Folder for the JSON and Markdown (default benchmarks/).",
        )
        parser.add_argument(
            "--strict", action="store_true", help="Exit non-zero when a check misses its target."
        )
        parser.add_argument(
            "--phase", choices=["targets", "writer", "verify-writes", "admin"], help=argparse.SUPPRESS
        )
        parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
        parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["phase"]:
            return self.phase(options)
        from tooling.bench.server import wrk_path
        from tooling.faults import output
        from tooling.faults.postgres import binaries
        from tooling.faults.run import Options, Run

        if wrk_path() is None:
            raise CommandError("wrk is not installed (make wrk).")
        if binaries() is None:
            raise CommandError("No PostgreSQL server binaries (initdb, pg_ctl): install postgresql.")
        run_options = Options(
            scale=options["scale"],
            seed=options["seed"],
            duration=options["duration"],
            fault_seconds=options["fault_seconds"],
            pg_down=options["pg_down"],
            connections=options["connections"],
        )
        # a SIGTERM unwinds like Ctrl-C, so that the servers are stopped either way
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            with tempfile.TemporaryDirectory(prefix="iqf-loadfault-") as workdir:
                try:
                    data = Run(run_options, workdir=Path(workdir), progress=self.stderr.write)()
                except (RuntimeError, subprocess.SubprocessError) as error:
                    # HarnessError, or a server that would not start or stop in time
                    log = Path(workdir) / "gunicorn.log"
                    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                    raise CommandError(
                        f"{error}" + (f"\n\ngunicorn's log ends:\n{tail}" if tail else "")
                    ) from None
        except KeyboardInterrupt:
            raise CommandError("Interrupted: the servers it started are stopped.") from None
        finally:
            signal.signal(signal.SIGTERM, previous)
        data = output.complete(data, date.today().isoformat())
        stem = f"loadfault-{run_options.scale:g}".replace(".", "_")
        json_path, md_path = output.write(data, options["out"], stem)
        self.stdout.write(output.text_table(data))
        self.stderr.write(f"Written {json_path} and {md_path} ({data['seconds']:.0f} s in all).")
        missed = [c["name"] for c in data["checks"] if not c["passed"]]
        if missed and options["strict"]:
            raise CommandError("Missed: " + "; ".join(missed))

    def phase(self, options) -> None:
        """The parts that run in a process whose database is the run's own."""
        workdir = options["workdir"]
        if options["phase"] == "targets":
            from tooling.bench.targets import page_targets

            targets = [
                {"name": t.name, "url": t.url}
                for t in page_targets()
                if t.name not in ("clusters", "reports index")
            ]
            targets.append({"name": "coverage CSV", "url": "/reports/coverage.csv"})
            (workdir / "targets.json").write_text(json.dumps(targets))
        elif options["phase"] == "writer":
            from tooling.faults.writes import write_loop

            write_loop(workdir=workdir / "writes", seconds=options["seconds"], log=workdir / "writes.jsonl")
        elif options["phase"] == "admin":
            from django.urls import reverse

            from tooling.bench.measure import admin_cookie

            (workdir / "admin.json").write_text(
                json.dumps(
                    {
                        "cookie": admin_cookie(),
                        "import_url": reverse("admin:qualifications_module_import"),
                        "process_url": reverse("admin:qualifications_module_process_import"),
                    }
                )
            )
        elif options["phase"] == "verify-writes":
            from tooling.faults.writes import verify

            verdict = verify(workdir / "writes.jsonl")
            (workdir / "writes-verdict.json").write_text(json.dumps(verdict.as_json()))


def _terminate(signum, frame):
    sys.exit(128 + signum)
