"""The benchmark runs end to end at a tiny scale and writes its table. Its figures are not
asserted (they depend on the machine); that every figure was measured, on a page that
answered 200, and written out, is."""

import json
import os

import pytest
from django.core.management import call_command

from reports.registry import REPORTS
from tooling.bench.output import HEADINGS
from tooling.bench.server import wrk_path
from tooling.bench.targets import ADMIN_CHANGELISTS

PAGE_TYPES = {
    "home",
    "clusters",
    "cluster",
    "role",
    "qualification",
    "module",
    "finder (two facets)",
    "finder (no filter)",
    "finder (search)",
    "role move",
    "providers",
    "common core",
    "reports index",
}


@pytest.fixture
def database_url(tmp_path):
    """The benchmark's databases: beside the suite's own on PostgreSQL, else SQLite files in
    a temporary folder."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else f"sqlite:///{tmp_path / 'bench' / 'iqf.sqlite3'}"


def test_benchmark_runs_end_to_end_and_writes_its_table(tmp_path, database_url, capsys):
    load_seconds = 2 if wrk_path() else 0
    out = tmp_path / "out"
    call_command(
        "benchmark",
        scale=0.02,
        times=2,
        seconds_per_figure=1,
        load_seconds=load_seconds,
        out=out,
        database_url=database_url,
        drop=True,
    )
    vendor = "postgresql" if database_url.startswith("postgres") else "sqlite"
    data = json.loads((out / f"benchmark-{vendor}-0_02.json").read_text())

    measured = {(f["group"], f["name"]) for f in data["figures"]}
    assert {("page", name) for name in PAGE_TYPES} <= measured
    assert {(group, name) for name in REPORTS for group in ("report", "csv")} <= measured
    assert {("admin", name) for name, _ in ADMIN_CHANGELISTS} <= measured
    # pages and report pages again as deployed, from the page cache
    assert {("cached page", name) for name in PAGE_TYPES} <= measured
    assert {("cached report", name) for name in REPORTS} <= measured
    assert ("floor", "framework floor (trivial view)") in measured
    for figure in data["figures"]:
        assert figure["runs"] >= 2 and figure["median_ms"] > 0, figure
        assert (figure["queries"] is None) == figure["group"].startswith("cached"), figure
        if figure["group"] in ("report", "csv", "cached report"):
            assert figure["floor"] == "database" and figure["floor_ms"] > 0, figure
    assert set(data["floors"]) == set(REPORTS)
    assert data["memory"]["peak_mb"] > 0
    for part in ("export", "bulk_load", "import"):
        assert data["bundle"][part]["rows"] > 0 and data["bundle"][part]["rows_per_second"] > 0
    # the bundle holds every generated row the import reads back
    assert data["bundle"]["import"]["rows"] == data["bundle"]["export"]["rows"]
    if load_seconds:
        assert {x["name"] for x in data["load"]} == {
            "framework floor",
            "role",
            "finder (two facets)",
            "role, page cache off",
            "finder (two facets), page cache off",
        }
        assert all(x["requests"] > 0 for x in data["load"])

    markdown = (out / f"benchmark-{vendor}-0_02.md").read_text()
    assert "| " + " | ".join(HEADINGS) + " |" in markdown
    assert markdown.count("\n| page |") == len(PAGE_TYPES)
    plans = (out / f"benchmark-{vendor}-0_02-plans.txt").read_text()
    assert all(f"database floor {name}" in plans for name in REPORTS)
    printed = capsys.readouterr().out
    assert "framework floor (trivial view)" in printed and "met" in printed


def test_combined_runs_line_up_and_are_judged_by_the_largest_postgresql_run():
    """Two runs of different sizes and databases: rows whose names carry counts (bundle
    rows, load errors) still share a line, and the verdict is the PostgreSQL run's even
    though SQLite sorts after it."""
    from tooling.bench.output import combined

    def run(database: str, scale: float, export_rows_s: float, errors: int) -> dict:
        return {
            "scale": scale,
            "machine": {"database": database},
            "figures": [],
            "floors": {},
            "memory": None,
            "bundle": {
                "bulk_load": {"rows": int(1000 * scale), "rows_per_second": 500_000.0},
                "export": {"rows": int(1000 * scale), "rows_per_second": export_rows_s},
            },
            "load": [
                {
                    "name": "role",
                    "seconds": 60,
                    "errors": errors,
                    "p50_ms": 10.0,
                    "p95_ms": 20.0,
                    "throughput": 100.0,
                }
            ],
        }

    table = combined([run("SQLite 3.40", 100, 10_000.0, 3), run("PostgreSQL 15", 100, 90_000.0, 0)])
    lines = table.splitlines()
    export = next(line for line in lines if line.startswith("| bundle: export |"))
    assert "90,000 rows/s" in export and "10,000 rows/s" in export
    assert export.endswith("| yes |")  # PostgreSQL's 90,000 meets ≥ 50,000; SQLite's does not
    load = next(line for line in lines if line.startswith("| load: role |"))
    assert "0 errors" in load and "3 errors" in load
    assert sum(line.startswith("| load: role") for line in lines) == 1
