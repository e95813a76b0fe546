"""The load-and-faults run goes end to end at a tiny scale with short phases and writes its
table. Its timings are not asserted (they depend on the machine); that every check was
made, on real evidence, and written out, is."""

import json
import os

import pytest
from django.core.management import call_command

from tooling.bench.server import wrk_path
from tooling.faults.postgres import binaries

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
    missing = [
        name
        for name, found in (("PostgreSQL server binaries", binaries()), ("wrk", wrk_path()))
        if found is None
    ]
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


# -- the verdicts, from figures made up for each case ----------------------------------


def figures(**changes) -> dict:
    """A run whose every check passes; ``changes`` replace parts, as ``phase__key=value``."""
    wrk = {
        "requests": 1000,
        "seconds": 60.0,
        "socket_errors": 0,
        "non_2xx": 0,
        "errors": 0,
        "throughput": 16.7,
        "p50_ms": 100.0,
        "p95_ms": 400.0,
        "p99_ms": 450.0,
    }
    data = {
        "options": {"connections": 50, "workers": 4},
        "load": {**wrk, "per_url": []},
        "worker_kill": {
            "wrk": {**wrk, "errors": 1},
            "failed_requests": 1,
            "probe_failed": 0,
            "probe_requests": 10,
            "replaced_after_s": 0.2,
            "probe_ok_after_kill": 5,
            "workers_after": 4,
        },
        "postgres_restart": {
            "wrk": wrk,
            "up_after_s": 3.5,
            "probe_failed": 4,
            "probe_requests": 12,
            "failed_before_down": 0,
            "failed_later_than_1s_after_up": 0,
            "last_probe_failure_after_up_s": -0.5,
            "probe_ok_after_up": 5,
            "writes_committed_after_up": 2,
            "writes": {
                "attempted": 10,
                "committed": 6,
                "failed": 4,
                "whole": 6,
                "absent": 4,
                "partial": [],
                "committed_but_absent": 0,
                "coverage_equal": True,
            },
        },
        "interrupted_import": {
            "bundle_rows": 500,
            "transaction_s": 2.0,
            "killed_into_transaction_s": 1.0,
            "transaction_open_at_kill": True,
            "finished_before_kill": False,
            "tables": 59,
            "rows_before": 900,
            "rows_after": 900,
            "tables_changed": [],
        },
        "interrupted_web_import": {
            "rows": 80,
            "transaction_s": 0.4,
            "killed_into_transaction_s": 0.2,
            "client_saw": "RemoteDisconnected",
            "transaction_open_at_kill": True,
            "tables": 59,
            "tables_changed": [],
        },
        "after": {"all_200": True},
    }
    for key, value in changes.items():
        phase, _, name = key.partition("__")
        part = data[phase]
        *path, last = name.split("__")
        for step in path:
            part = part[step]
        part[last] = value
    return data


def verdicts(data: dict) -> dict[str, bool]:
    from tooling.faults.output import checks

    return {c.name.split(":")[0].split(" (")[0]: c.passed for c in checks(data)}


def test_every_check_passes_on_figures_that_meet_every_target():
    assert all(verdicts(figures()).values())


@pytest.mark.parametrize(
    ("change", "missed"),
    [
        ({"load__p95_ms": 501.0}, "load"),
        ({"load__errors": 1}, "load"),
        ({"worker_kill__failed_requests": 2}, "a gunicorn worker killed"),
        ({"worker_kill__probe_ok_after_kill": 0}, "a gunicorn worker killed"),
        ({"postgres_restart__failed_later_than_1s_after_up": 1}, "PostgreSQL restarted mid-load"),
        ({"postgres_restart__failed_before_down": 1}, "PostgreSQL restarted mid-load"),
        (
            {"postgres_restart__writes__partial": [{"ref": "LFW00003"}]},
            "no partial writes across the restart",
        ),
        ({"postgres_restart__writes__coverage_equal": False}, "no partial writes across the restart"),
        # a restart that interrupted no write, or after which none committed, proves nothing
        ({"postgres_restart__writes__failed": 0}, "no partial writes across the restart"),
        ({"postgres_restart__writes_committed_after_up": 0}, "no partial writes across the restart"),
        ({"interrupted_import__tables_changed": ["qualifications_module"]}, "an import interrupted"),
        ({"interrupted_import__finished_before_kill": True}, "an import interrupted"),
        ({"interrupted_web_import__transaction_open_at_kill": False}, "an admin import interrupted"),
    ],
)
def test_a_check_misses_when_its_figure_misses_its_target(change, missed):
    found = verdicts(figures(**change))
    assert [name for name, passed in found.items() if not passed] == [missed]


def test_the_renamed_bundle_gives_every_reference_a_prefix_and_keeps_the_rest(tmp_path):
    from tooling.faults.database import modules_alone, renamed_bundle

    source = tmp_path / "bundle"
    source.mkdir()
    (source / "modules.csv").write_text(
        "ref,title,level,learning_hours,notes,qualification_ref\nM/1,Play,2,10,,Q/1\nM/2,Talk,3,,,\n",
        encoding="utf-8",
    )
    (source / "roles.csv").write_text("role,level,description\nPlayworker,2,\n", encoding="utf-8")
    rows = renamed_bundle(source, tmp_path / "renamed", "LFI-")
    assert rows == 3
    assert (tmp_path / "renamed" / "modules.csv").read_text().splitlines() == [
        "ref,title,level,learning_hours,notes,qualification_ref",
        "LFI-M/1,Play,2,10,,LFI-Q/1",
        "LFI-M/2,Talk,3,,,",
    ]
    assert (tmp_path / "renamed" / "roles.csv").read_text().splitlines()[1] == "Playworker,2,"
    assert modules_alone(tmp_path / "renamed" / "modules.csv", tmp_path / "alone.csv") == 2
    assert (tmp_path / "alone.csv").read_text().splitlines()[1] == "LFI-M/1,Play,2,10,,"
