"""The load-and-faults run goes end to end at a tiny scale with short phases and writes its
table. Its timings are not asserted (they depend on the machine); that every check was
made, on real evidence, and written out, is."""

import json
import os

import pytest
from django.core.management import call_command

from iqf.bench.server import wrk_path
from iqf.faults.postgres import binaries

CHECKS = [
    "load: 50 connections",
    "a gunicorn worker killed",
    "PostgreSQL restarted",
    "no partial writes",
    "an import interrupted",
    "an admin import interrupted",
    "still serving at the end",
]


@pytest.fixture
def tools():
    """PostgreSQL's server binaries and wrk: CI installs both (IQF_REQUIRE_BROWSER is set
    there, and nothing may be skipped); elsewhere the test is skipped without them. The run
    starts a server of its own whatever the suite's database, so the suite's PostgreSQL
    run leaves it to the SQLite run rather than spend a minute on it twice."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("Runs once, in the SQLite run: it starts its own PostgreSQL server.")
    missing = [name for name, found in (("PostgreSQL server binaries", binaries()), ("wrk", wrk_path()))
               if found is None]
    if missing:
        if os.environ.get("IQF_REQUIRE_BROWSER"):
            pytest.fail(f"No {' or '.join(missing)}, and IQF_REQUIRE_BROWSER is set (CI runs this test).")
        pytest.skip(f"No {' or '.join(missing)}: install postgresql and wrk (make tools).")


def test_loadfault_runs_every_phase_and_writes_its_verdicts(tools, tmp_path, capsys):
    out = tmp_path / "out"
    call_command("loadfault", scale=0.02, duration=2, fault_seconds=4, pg_down=1, out=out)

    data = json.loads((out / "loadfault-0_02.json").read_text())
    names = [c["name"] for c in data["checks"]]
    assert len(names) == len(CHECKS)
    assert all(name.startswith(prefix) for name, prefix in zip(names, CHECKS, strict=True)), names
    assert all(c["verdict"] in ("PASS", "MISS") for c in data["checks"])

    assert data["load"]["requests"] > 0
    per_url = {u["name"]: u for u in data["load"]["per_url"]}
    assert {"home", "role", "coverage CSV"} <= set(per_url)
    # gunicorn's access log saw wrk's requests, URL by URL
    assert sum(u["served"] for u in per_url.values()) > 0
    # a worker was killed and replaced
    kill = data["worker_kill"]
    assert kill["killed_pid"] > 0 and kill["workers_after"] == 4
    # PostgreSQL went down and up while the writer wrote; every write was judged
    restart = data["postgres_restart"]
    assert restart["up_after_s"] > 0
    writes = restart["writes"]
    assert writes["attempted"] == writes["whole"] + writes["absent"] + len(writes["partial"]) > 0
    # the import was killed inside its transaction and every table compared
    interrupted = data["interrupted_import"]
    assert interrupted["tables"] > 20 and interrupted["bundle_rows"] > 0
    assert interrupted["rows_before"] > 0
    assert data["after"]["all_200"]

    markdown = (out / "loadfault-0_02.md").read_text()
    assert "| check | figure | target | verdict |" in markdown
    printed = capsys.readouterr().out
    assert "Load and faults" in printed and "an import interrupted" in printed
