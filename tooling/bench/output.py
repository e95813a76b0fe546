"""The benchmark's table: every figure with its floor, the ratio and the budget it is held
to (the budgets are set for 100× the source's size on PostgreSQL), printed, and written as
JSON and Markdown."""

import json
import os
import platform
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import django

#: Budgets (DESIGN: fast as it grows; issue "national scale"), in milliseconds and ratios.
PAGE_RATIO, PAGE_P95_MS = 5.0, 150.0
REPORT_RATIO, REPORT_MS = 2.0, 2000.0
ADMIN_MS = 300.0
ADMIN_HELD = ("qualifications", "modules")
MEMORY_MB = 150.0
IMPORT_ROWS_S, IMPORT_RATIO, EXPORT_ROWS_S = 10_000.0, 10.0, 50_000.0
LOAD_P95_MS = 500.0


@dataclass(frozen=True)
class Row:
    group: str
    name: str
    median: str
    p95: str
    queries: str
    floor: str
    ratio: str
    budget: str
    met: bool | None

    @property
    def verdict(self) -> str:
        return "—" if self.met is None else "yes" if self.met else "**no**"


def _ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def rows(data: dict) -> list[Row]:
    found = []
    for f in data["figures"]:
        ratio = f["ratio"]
        ratio_text = "" if ratio is None else f"{ratio:.1f}×" if ratio >= 0.1 else "< 0.1×"
        floor = f"{_ms(f['floor_ms'])} ({f['floor']})" if f["floor_ms"] else ""
        budget, met = "", None
        if f["group"] in ("page", "cached page"):
            budget = f"≤ {PAGE_RATIO:g}× floor, p95 ≤ {PAGE_P95_MS:g} ms"
            met = ratio is not None and ratio <= PAGE_RATIO and f["p95_ms"] <= PAGE_P95_MS
        elif f["group"] in ("report", "csv", "cached report"):
            budget = f"≤ {REPORT_RATIO:g}× floor, ≤ {REPORT_MS / 1000:g} s"
            met = ratio is not None and ratio <= REPORT_RATIO and f["p95_ms"] <= REPORT_MS
        elif f["group"] == "admin" and f["name"] in ADMIN_HELD:
            budget = f"≤ {ADMIN_MS:g} ms"
            met = f["median_ms"] <= ADMIN_MS
        found.append(
            Row(
                f["group"],
                f["name"],
                _ms(f["median_ms"]),
                _ms(f["p95_ms"]),
                "" if f["queries"] is None else str(f["queries"]),
                floor,
                ratio_text,
                budget,
                met,
            )
        )
    for name, floor in data["floors"].items():
        found.append(
            Row("db floor", name, _ms(floor["median_ms"]), _ms(floor["p95_ms"]), "1", "", "", "", None)
        )
    memory = data["memory"]
    if memory:
        found.append(
            Row(
                "memory",
                f"CSV of {memory['report']} ({memory['bytes']:,} bytes), worker peak",
                f"{memory['peak_mb']:.0f} MB",
                "",
                "",
                f"{memory['rss_before_mb']:.0f} MB before",
                f"+{memory['growth_mb']:.0f} MB",
                f"< {MEMORY_MB:g} MB",
                memory["peak_mb"] < MEMORY_MB,
            )
        )
    bundle = data["bundle"]
    if bundle:
        bulk = bundle["bulk_load"]["rows_per_second"]
        found.append(
            Row(
                "bundle",
                f"bulk load ({bundle['bulk_load']['rows']:,} rows)",
                f"{bulk:,.0f} rows/s",
                "",
                "",
                "",
                "",
                "",
                None,
            )
        )
        export = bundle["export"]["rows_per_second"]
        found.append(
            Row(
                "bundle",
                f"export ({bundle['export']['rows']:,} rows)",
                f"{export:,.0f} rows/s",
                "",
                "",
                "",
                "",
                f"≥ {EXPORT_ROWS_S:,.0f} rows/s",
                export >= EXPORT_ROWS_S,
            )
        )
        if "import" in bundle:
            imported = bundle["import"]["rows_per_second"]
            ratio = bulk / imported if imported else None
            found.append(
                Row(
                    "bundle",
                    f"import ({bundle['import']['rows']:,} rows)",
                    f"{imported:,.0f} rows/s",
                    "",
                    "",
                    f"{bulk:,.0f} rows/s (bulk load)",
                    f"{ratio:.1f}× slower" if ratio else "",
                    f"≥ {IMPORT_ROWS_S:,.0f} rows/s, ≤ {IMPORT_RATIO:g}× bulk load",
                    imported >= IMPORT_ROWS_S and ratio is not None and ratio <= IMPORT_RATIO,
                )
            )
    floor_load = next((x for x in data["load"] if x["name"] == "framework floor"), None)
    for x in data["load"]:
        is_floor = x is floor_load
        ratio = x["throughput"] / floor_load["throughput"] if floor_load and not is_floor else None
        found.append(
            Row(
                "load",
                f"{x['name']}: 50 connections, {x['seconds']:.0f} s, {x['errors']} errors",
                _ms(x["p50_ms"]),
                _ms(x["p95_ms"]),
                "",
                f"{x['throughput']:,.0f} req/s",
                f"{ratio:.2f}× floor's req/s" if ratio is not None else "",
                "" if is_floor else f"0 errors, p95 ≤ {LOAD_P95_MS:g} ms",
                None if is_floor else x["errors"] == 0 and x["p95_ms"] <= LOAD_P95_MS,
            )
        )
    return found


HEADINGS = ["group", "what", "median ms", "p95 ms", "queries", "floor", "ratio", "budget (K=100, PG)", "met"]


def markdown(data: dict) -> str:
    machine = data["machine"]
    lines = [
        f"### Benchmark: K={data['scale']:g} on {machine['database']}, {data['date']}",
        "",
        f"{machine['cpu']} ({machine['cores']} cores), {machine['memory_gb']:.0f} GB; "
        f"Python {machine['python']}, Django {machine['django']}; {data['rows']:,} rows; "
        f"timings over HTTP to gunicorn (1 sync worker) on loopback, {data['times']} runs a figure "
        "at most.",
        "",
        "| " + " | ".join(HEADINGS) + " |",
        "|" + "|".join("---" for _ in HEADINGS) + "|",
    ]
    for row in rows(data):
        cells = [
            row.group,
            row.name,
            row.median,
            row.p95,
            row.queries,
            row.floor,
            row.ratio,
            row.budget,
            row.verdict,
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    for note in data.get("notes", []):
        lines += ["", note]
    return "\n".join(lines) + "\n"


def text_table(data: dict) -> str:
    table = [HEADINGS] + [
        [r.group, r.name, r.median, r.p95, r.queries, r.floor, r.ratio, r.budget, r.verdict.strip("*")]
        for r in rows(data)
    ]
    widths = [min(max(len(r[i]) for r in table), 48) for i in range(len(HEADINGS))]
    return "\n".join(
        "  ".join(c[:48].ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table
    )


def machine(database: str) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except OSError:
        memory = 0.0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "database": database,
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def write(data: dict, out: Path, stem: str) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = {**data, "date": data.get("date") or date.today().isoformat()}
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    json_path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    md_path.write_text(markdown(data))
    return json_path, md_path


def _stable(row: Row) -> tuple[str, str]:
    """A row's key across runs: without the counts that differ between them (rows of a
    bundle, bytes of a CSV, seconds and errors of a load)."""
    if row.group == "load":
        return row.group, row.name.split(":")[0]
    if row.group in ("bundle", "memory"):
        return row.group, row.name.split(" (")[0]
    return row.group, row.name


def _cell(row: Row) -> str:
    if row.group == "load":
        return f"{row.median} ({row.p95}); {row.floor}; {row.name.split(', ')[-1]}"
    if row.group == "bundle" and row.floor:
        return f"{row.median} ({row.ratio})"
    if row.p95 and row.group not in ("bundle", "memory"):
        return f"{row.median} ({row.p95})"
    return row.median


def combined(runs: list[dict]) -> str:
    """One Markdown table of several runs side by side (median, and p95 in brackets), with
    the budget and whether the largest PostgreSQL run (the budgets' own) meets it — for
    the README."""
    runs = sorted(runs, key=lambda d: (d["scale"], d["machine"]["database"]))
    tables = [{_stable(r): r for r in rows(d)} for d in runs]
    postgres = [i for i, d in enumerate(runs) if d["machine"]["database"].startswith("PostgreSQL")]
    judged = tables[max(postgres, key=lambda i: runs[i]["scale"])] if postgres else tables[-1]
    order: list[tuple[str, str]] = []
    for table in tables:
        order += [key for key in table if key not in order]
    heads = [f"K={d['scale']:g} {d['machine']['database'].split()[0]}" for d in runs]
    lines = [
        "| what | " + " | ".join(heads) + " | budget (K=100, PostgreSQL) | met |",
        "|---|" + "---|" * (len(runs) + 2),
    ]
    for group, name in order:
        cells = [_cell(table[(group, name)]) if (group, name) in table else "" for table in tables]
        judge = judged.get((group, name))
        label = f"{group}: {name}".replace("|", "\\|")
        lines.append(
            f"| {label} | " + " | ".join(cells) + f" | {judge.budget if judge else ''} | "
            f"{judge.verdict if judge else ''} |"
        )
    return "\n".join(lines) + "\n"
