"""The writer that runs while PostgreSQL restarts, and the check that none of its writes is
partial.

Each write imports a small bundle of its own (through the same service as
``manage.py import_bundle``): a qualification, three modules, their memberships, an
accepted mapping review and two judgements, so one transaction writes rows in eight tables
(the coverage summary, the history and the import log included). Afterwards each write is
either wholly present or wholly absent, and the coverage summary equals its recomputation.
"""

import csv
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from bundles.models import BundleImport
from bundles.services import bundle_import
from bundles.sheets import BundleError
from commoncore import summary
from commoncore.models import Attribute, MappingReview, QualificationCoverage
from qualifications.models import Module, Qualification, QualificationModule

WRITER = "loadfault.writer"
MODULES = 3


def _ref(n: int) -> str:
    return f"LFW{n:05d}"


def _bundle(folder: Path, n: int) -> Path:
    ref = _ref(n)
    modules = [f"{ref}-M{i}" for i in range(1, MODULES + 1)]
    sheets = {
        "qualification_types": [["name"], ["Fault-test writes"]],
        "awarding_bodies": [["name"], ["Fault-test writer"]],
        "qualifications": [
            [
                "ref",
                "title",
                "type",
                "awarding_body",
                "level",
                "learning_hours",
                "status",
                "source",
                "source_url",
                "notes",
            ],
            [
                ref,
                f"Fault-test write {n}",
                "Fault-test writes",
                "Fault-test writer",
                "3",
                "100",
                "current",
                "",
                "",
                "",
            ],
        ],
        "modules": [
            ["ref", "title", "level", "learning_hours", "notes"],
            *[[m, f"Fault-test module {m}", "3", "30", ""] for m in modules],
        ],
        "qualification_modules": [
            ["qualification_ref", "module_ref", "mandatory"],
            *[[ref, m, "yes" if i == 0 else "no"] for i, m in enumerate(modules)],
        ],
        "mapping_reviews": [
            ["qualification_ref", "framework", "status", "mapped_by", "moderated_by"],
            [ref, "", "accepted", WRITER, ""],
        ],
        "attributes": [
            ["framework", "area", "qualification_ref", "module_ref"],
            ["", "1", "", modules[0]],
            ["", "2", ref, ""],
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder


#: What one whole write leaves in each table.
EXPECTED = {
    "qualification": 1,
    "qualification history": 1,
    "modules": MODULES,
    "memberships": MODULES,
    "mapping review": 1,
    "judgements": 2,
    "coverage summary": 2,
    "import log": 1,
}


def write_loop(*, workdir: Path, seconds: float, log: Path) -> None:
    """Import one small bundle after another for ``seconds``, appending each attempt's
    outcome to ``log`` (JSON lines). A failed attempt is logged and the next one made on
    a new connection, as the next request of a web worker would."""
    get_user_model().objects.get_or_create(username=WRITER)
    deadline = time.monotonic() + seconds
    n = 0
    with open(log, "a", encoding="utf-8") as out:
        while time.monotonic() < deadline:
            n += 1
            folder = _bundle(workdir / f"lfw-{n:05d}", n)
            started = time.time()
            try:
                connection.close_if_unusable_or_obsolete()
                bundle_import(path=folder)
                outcome, error = "committed", ""
            except (DatabaseError, BundleError) as failure:
                outcome, error = "failed", f"{type(failure).__name__}: {failure}".splitlines()[0]
            out.write(
                json.dumps(
                    {
                        "n": n,
                        "ref": _ref(n),
                        "bundle": folder.name,
                        "started": started,
                        "ended": time.time(),
                        "outcome": outcome,
                        "error": error,
                    }
                )
                + "\n"
            )
            out.flush()
            if outcome == "failed":
                time.sleep(0.05)


def _present(n: int, bundle: str) -> dict[str, int]:
    ref = _ref(n)
    counts = {
        "qualification": Qualification.objects.filter(ref=ref).count(),
        "qualification history": Qualification.history.filter(ref=ref).count(),
        "modules": Module.objects.filter(ref__startswith=f"{ref}-M").count(),
        "memberships": QualificationModule.objects.filter(module__ref__startswith=f"{ref}-M").count(),
        "mapping review": MappingReview.objects.filter(qualification__ref=ref).count(),
        "judgements": (
            Attribute.objects.filter(qualification__ref=ref).count()
            + Attribute.objects.filter(module__ref__startswith=f"{ref}-M").count()
        ),
        "coverage summary": QualificationCoverage.objects.filter(qualification__ref=ref).count(),
        "import log": BundleImport.objects.filter(name=bundle).count(),
    }
    return counts


def _coverage_rows() -> list[tuple]:
    return list(
        QualificationCoverage.objects.order_by("qualification_id", "framework_id", "area_id").values_list(
            "qualification_id",
            "framework_id",
            "area_id",
            "whole_possible",
            "whole_guaranteed",
            "elements_possible",
            "elements_guaranteed",
        )
    )


@dataclass(frozen=True)
class WritesVerdict:
    attempted: int
    committed: int
    failed: int
    whole: int
    absent: int
    partial: list[dict]
    committed_but_absent: int
    coverage_rows: int
    coverage_equal: bool

    def as_json(self) -> dict:
        return asdict(self)


def verify(log: Path) -> WritesVerdict:
    """Every attempt in ``log`` wholly present or wholly absent (a committed one present),
    and the coverage summary equal to a recomputation (made and rolled back)."""
    attempts = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    whole = absent = committed_absent = 0
    partial = []
    for attempt in attempts:
        counts = _present(attempt["n"], attempt["bundle"])
        if counts == EXPECTED:
            whole += 1
        elif not any(counts.values()):
            absent += 1
            committed_absent += attempt["outcome"] == "committed"
        else:
            partial.append({"ref": attempt["ref"], "outcome": attempt["outcome"], "counts": counts})
    stored = _coverage_rows()
    with transaction.atomic():
        summary.refresh()
        recomputed = _coverage_rows()
        transaction.set_rollback(True)
    return WritesVerdict(
        attempted=len(attempts),
        committed=sum(a["outcome"] == "committed" for a in attempts),
        failed=sum(a["outcome"] == "failed" for a in attempts),
        whole=whole,
        absent=absent,
        partial=partial,
        committed_but_absent=committed_absent,
        coverage_rows=len(stored),
        coverage_equal=stored == recomputed,
    )
