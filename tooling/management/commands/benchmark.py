"""Measure the IQF at K times the source's size, against its floors, in one run."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tooling.bench import output
from tooling.bench.databases import BenchDatabase, bench_databases
from tooling.management.commands.generate_data import positive_number


def _environment(database: BenchDatabase) -> dict[str, str]:
    """The environment of the measured processes: the benchmark's database, production-like
    settings (no debug, persistent connections), everything else as given."""
    return {
        **os.environ,
        "DATABASE_URL": database.url,
        "DEBUG": "false",
        "CONN_MAX_AGE": "600",
        "DJANGO_ENV": "development",
        "PYTHONUNBUFFERED": "1",
    }


class Command(BaseCommand):
    help = (
        "Generate data at K times the source's size into a database of the benchmark's own "
        "(SQLite under .bench/, or beside DATABASE_URL's database on its PostgreSQL server), "
        "then time every page type, report, CSV and main admin changelist over HTTP against "
        "gunicorn with their query counts, the framework and database floors, the peak memory "
        "of the largest CSV export, bundle export, import and bulk-load throughput and, with "
        "--load-seconds, load from wrk. Prints one table and writes it as JSON and Markdown."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=positive_number,
            metavar="K",
            help="How many times the source's size (required unless --combine).",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--database-url",
            default=os.environ.get("DATABASE_URL", ""),
            help="A PostgreSQL server's URL: the benchmark creates its databases "
            "beside the one named. Default: $DATABASE_URL, else SQLite files.",
        )
        parser.add_argument(
            "--times", type=int, default=30, help="Timed requests per figure, at most (default 30)."
        )
        parser.add_argument(
            "--seconds-per-figure",
            type=float,
            default=15.0,
            help="Stop repeating a figure after this long (at least 3 runs).",
        )
        parser.add_argument(
            "--load-seconds",
            type=int,
            default=0,
            help="Seconds of load per URL with 50 connections (0: no load test).",
        )
        parser.add_argument(
            "--out",
            type=Path,
            default=Path(settings.BASE_DIR) / "benchmarks",
            help="Folder for the JSON, Markdown and query plans (default benchmarks/).",
        )
        parser.add_argument(
            "--reuse", action="store_true", help="Keep the data database of an earlier run at the same scale."
        )
        parser.add_argument(
            "--drop",
            action="store_true",
            help="Drop the data database at the end (default: keep it for --reuse).",
        )
        parser.add_argument(
            "--combine",
            nargs="+",
            type=Path,
            metavar="JSON",
            help="Print the tables of earlier runs side by side (no measuring).",
        )
        parser.add_argument("--phase", choices=["measure", "import"], help=argparse.SUPPRESS)
        parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["combine"]:
            runs = [json.loads(path.read_text()) for path in options["combine"]]
            self.stdout.write(output.combined(runs))
            return None
        if options["phase"] == "measure":
            return self.measure_phase(options)
        if options["phase"] == "import":
            return self.import_phase(options)
        return self.run(options)

    # -- the whole run ---------------------------------------------------------------

    def run(self, options) -> None:
        scale, seed = options["scale"], options["seed"]
        if scale is None:
            raise CommandError("--scale K is required.")
        data_db, import_db = bench_databases(options["database_url"], scale)
        self.say(f"Benchmark at K={scale:g} on {data_db.vendor}: data in {data_db.name}")
        started = time.monotonic()
        if options["reuse"] and data_db.exists() and self.holds_scale(data_db, scale):
            self.manage(data_db, "migrate", "--noinput", "-v", "0")
        else:
            data_db.create()
            self.manage(data_db, "migrate", "--noinput", "-v", "0")
            self.manage(
                data_db,
                "generate_data",
                "--scale",
                f"{scale:g}",
                "--seed",
                str(seed),
                *(["--no-progress"] if not sys.stderr.isatty() else []),
            )
        with tempfile.TemporaryDirectory(prefix="iqf-bench-") as workdir:
            workdir = Path(workdir)
            self.manage(
                data_db,
                "benchmark",
                "--scale",
                f"{scale:g}",
                "--phase",
                "measure",
                "--workdir",
                str(workdir),
                "--times",
                str(options["times"]),
                "--seconds-per-figure",
                str(options["seconds_per_figure"]),
                "--load-seconds",
                str(options["load_seconds"]),
            )
            data = json.loads((workdir / "measure.json").read_text())
            import_db.create()
            try:
                self.manage(import_db, "migrate", "--noinput", "-v", "0")
                self.manage(
                    import_db,
                    "benchmark",
                    "--scale",
                    f"{scale:g}",
                    "--phase",
                    "import",
                    "--workdir",
                    str(workdir),
                )
                data["bundle"]["import"] = json.loads((workdir / "import.json").read_text())
            finally:
                import_db.drop()
            plans = (workdir / "plans.txt").read_text()
        if options["drop"]:
            data_db.drop()
        data.update(
            scale=scale,
            seed=seed,
            date=date.today().isoformat(),
            times=options["times"],
            machine=output.machine(data["database_version"]),
        )
        stem = f"benchmark-{data_db.vendor}-{scale:g}".replace(".", "_")
        json_path, md_path = output.write(data, options["out"], stem)
        (options["out"] / f"{stem}-plans.txt").write_text(plans)
        self.stdout.write(output.text_table(data))
        self.say(
            f"Written {json_path}, {md_path} and the query plans beside them "
            f"({time.monotonic() - started:.0f} s in all)."
        )

    def holds_scale(self, database: BenchDatabase, scale: float) -> bool:
        """Whether the database already holds generated data of this size (for --reuse)."""
        found = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from qualifications.models import Qualification as Q; print(Q.objects.count())",
            ],
            env=_environment(database),
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
        )
        from tooling.generate.plan import plan_for

        return found.returncode == 0 and found.stdout.strip().splitlines()[-1:] == [
            str(plan_for(scale).qualifications)
        ]

    def manage(self, database: BenchDatabase, *arguments: str) -> None:
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments], env=_environment(database), cwd=settings.BASE_DIR
        )
        if done.returncode:
            raise CommandError(f"manage.py {' '.join(arguments)} failed on {database.name}")

    def say(self, text: str) -> None:
        self.stderr.write(text)

    # -- phases, each in a process whose database is the benchmark's -------------------

    def measure_phase(self, options) -> None:
        from tooling.bench.measure import measure

        workdir = options["workdir"]
        with connection.cursor() as cursor:
            # fresh statistics and visibility information, as a maintained database has
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
            cursor.execute(
                "SELECT version()"
                if connection.vendor == "postgresql"
                else "SELECT 'SQLite ' || sqlite_version()"
            )
            version = cursor.fetchone()[0].split(" on ")[0]
        with connection.cursor() as cursor:
            rows = 0
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                rows += cursor.fetchone()[0]
        results = measure(
            times=options["times"],
            budget_seconds=options["seconds_per_figure"],
            load_seconds=options["load_seconds"],
            workdir=workdir,
            progress=self.say,
        )
        data = {**results.as_json(), "database_version": version, "rows": rows}
        (workdir / "measure.json").write_text(json.dumps(data))
        (workdir / "plans.txt").write_text(
            "\n\n".join(f"== {title}\n\n{sql}\n\n{plan}" for title, sql, plan in results.plans) + "\n"
        )

    def import_phase(self, options) -> None:
        from tooling.bench import bundles

        workdir = options["workdir"]
        found = bundles.import_(workdir / "bundle")
        self.say(f"bundle import: {found['rows_per_second']:,.0f} rows/s")
        (workdir / "import.json").write_text(json.dumps(found))
