"""The benchmark runs end to end at a tiny scale and writes its table. Its figures are not
asserted (they depend on the machine); that every figure was measured, on a page that
answered 200, and written out, is."""

import json
import os

import pytest
from django.core.management import call_command

from commoncore.reports import REPORTS
from iqf.bench.output import HEADINGS
from iqf.bench.server import wrk_path
from iqf.bench.targets import ADMIN_CHANGELISTS

PAGE_TYPES = {"home", "clusters", "cluster", "role", "qualification", "module", "finder (two facets)",
              "role move", "providers", "common core", "reports index"}


@pytest.fixture
def database_url(tmp_path):
    """The benchmark's databases: beside the suite's own on PostgreSQL, else SQLite files in
    a temporary folder."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else f"sqlite:///{tmp_path / 'bench' / 'iqf.sqlite3'}"


def test_benchmark_runs_end_to_end_and_writes_its_table(tmp_path, database_url, capsys):
    load_seconds = 1 if wrk_path() else 0
    out = tmp_path / "out"
    call_command("benchmark", scale=0.02, times=2, seconds_per_figure=1, load_seconds=load_seconds,
                 out=out, database_url=database_url, drop=True)
    vendor = "postgresql" if database_url.startswith("postgres") else "sqlite"
    data = json.loads((out / f"benchmark-{vendor}-0_02.json").read_text())

    measured = {(f["group"], f["name"]) for f in data["figures"]}
    assert {("page", name) for name in PAGE_TYPES} <= measured
    assert {(group, name) for name in REPORTS for group in ("report", "csv")} <= measured
    assert {("admin", name) for name, _ in ADMIN_CHANGELISTS} <= measured
    assert ("floor", "framework floor (trivial view)") in measured
    for figure in data["figures"]:
        assert figure["runs"] >= 2 and figure["median_ms"] > 0, figure
        assert figure["queries"] is not None, figure
        if figure["group"] in ("report", "csv"):
            assert figure["floor"] == "database" and figure["floor_ms"] > 0, figure
    assert set(data["floors"]) == set(REPORTS)
    assert data["memory"]["peak_mb"] > 0
    for part in ("export", "bulk_load", "import"):
        assert data["bundle"][part]["rows"] > 0 and data["bundle"][part]["rows_per_second"] > 0
    # the bundle holds every generated row the import reads back
    assert data["bundle"]["import"]["rows"] == data["bundle"]["export"]["rows"]
    if load_seconds:
        assert {x["name"] for x in data["load"]} == {"framework floor", "role", "finder (two facets)"}
        assert all(x["requests"] > 0 for x in data["load"])

    markdown = (out / f"benchmark-{vendor}-0_02.md").read_text()
    assert "| " + " | ".join(HEADINGS) + " |" in markdown
    assert markdown.count("\n| page |") == len(PAGE_TYPES)
    plans = (out / f"benchmark-{vendor}-0_02-plans.txt").read_text()
    assert all(f"database floor {name}" in plans for name in REPORTS)
    printed = capsys.readouterr().out
    assert "framework floor (trivial view)" in printed and "met" in printed
