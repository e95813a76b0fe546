"""The load-and-faults summary: each check of issue 7 with its figure and PASS or MISS
against the issue's target, printed, and written as JSON and Markdown."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from tooling.bench.output import machine

LOAD_P95_MS = 500.0
WORKER_KILL_MAX_FAILED = 1
AFTER_UP_S = 1.0


@dataclass(frozen=True)
class Check:
    name: str
    figure: str
    target: str
    passed: bool

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "MISS"


def _ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def checks(data: dict) -> list[Check]:
    found = []
    load = data["load"]
    found.append(
        Check(
            f"load: {data['options']['connections']} connections, {load['seconds']:.0f} s, public pages "
            "and a report CSV",
            f"{load['requests']:,} requests, {load['throughput']:,.1f} req/s, {load['errors']} errors "
            f"({load['socket_errors']} socket, {load['non_2xx']} non-2xx), p50 {_ms(load['p50_ms'])}, "
            f"p95 {_ms(load['p95_ms'])}, p99 {_ms(load['p99_ms'])}",
            f"0 errors, p95 ≤ {LOAD_P95_MS:g} ms",
            load["errors"] == 0 and load["p95_ms"] <= LOAD_P95_MS,
        )
    )

    kill = data["worker_kill"]
    replaced = kill["replaced_after_s"]
    found.append(
        Check(
            "a gunicorn worker killed (SIGKILL) mid-load",
            f"{kill['failed_requests']} failed requests (wrk {kill['wrk']['errors']}, probe "
            f"{kill['probe_failed']} of {kill['probe_requests']}); worker replaced after "
            f"{'—' if replaced is None else f'{replaced:.1f} s'}; {kill['probe_ok_after_kill']} probe "
            f"requests answered 200 after the kill; {kill['wrk']['throughput']:,.1f} req/s",
            f"≤ {WORKER_KILL_MAX_FAILED} failed request, service continues",
            kill["failed_requests"] <= WORKER_KILL_MAX_FAILED
            and kill["probe_ok_after_kill"] > 0
            and kill["workers_after"] == data["options"]["workers"],
        )
    )

    restart = data["postgres_restart"]
    last = restart["last_probe_failure_after_up_s"]
    found.append(
        Check(
            "PostgreSQL restarted mid-load (fast shutdown, stopped, started)",
            f"down {restart['up_after_s']:.1f} s; {restart['probe_failed']} of {restart['probe_requests']} "
            f"probe requests and {restart['wrk']['errors']} of {restart['wrk']['requests']:,} wrk requests "
            f"failed; {restart['failed_before_down']} before the stop, "
            f"{restart['failed_later_than_1s_after_up']} later than 1 s after up; last failure "
            f"{'—' if last is None else f'{last:+.1f} s'} from up",
            f"errors only while down, none > {AFTER_UP_S:g} s after up",
            restart["failed_before_down"] == 0
            and restart["failed_later_than_1s_after_up"] == 0
            and restart["probe_ok_after_up"] > 0,
        )
    )

    writes = restart["writes"]
    found.append(
        Check(
            "no partial writes across the restart",
            f"{writes['attempted']} imports attempted ({writes['committed']} committed, {writes['failed']} "
            f"failed): {writes['whole']} whole, {writes['absent']} absent, {len(writes['partial'])} partial, "
            f"{writes['committed_but_absent']} committed but absent, "
            f"{restart['writes_committed_after_up']} committed after up; coverage summary "
            f"{'equals' if writes['coverage_equal'] else 'differs from'} its recomputation",
            "each write wholly present or absent",
            not writes["partial"]
            and writes["committed_but_absent"] == 0
            and writes["coverage_equal"]
            and writes["failed"] > 0
            and restart["writes_committed_after_up"] > 0,
        )
    )

    interrupted = data["interrupted_import"]
    found.append(
        Check(
            "an import interrupted (process killed) halfway",
            f"import of {interrupted['bundle_rows']:,} rows killed "
            + (
                f"{interrupted['killed_into_transaction_s']:.1f} s into its "
                f"{interrupted['transaction_s']:.1f} s transaction; "
                if interrupted["transaction_open_at_kill"]
                else "outside its transaction; "
            )
            + f"{len(interrupted['tables_changed'])} of {interrupted['tables']} tables changed "
            f"({interrupted['rows_before']:,} rows before, {interrupted['rows_after']:,} after)",
            "the database holds nothing of it",
            not interrupted["tables_changed"]
            and interrupted["transaction_open_at_kill"]
            and not interrupted["finished_before_kill"],
        )
    )

    web = data["interrupted_web_import"]
    found.append(
        Check(
            "an admin import interrupted (its gunicorn worker killed) halfway",
            f"confirmed import of {web['rows']:,} modules; worker killed "
            + (
                f"{web['killed_into_transaction_s']:.1f} s into its {web['transaction_s']:.1f} s transaction "
                f"(the browser saw {web['client_saw']}); "
                if web["transaction_open_at_kill"]
                else "outside its transaction; "
            )
            + f"{len(web['tables_changed'])} of {web['tables']} tables changed",
            "the database holds nothing of it",
            not web["tables_changed"] and web["transaction_open_at_kill"],
        )
    )

    found.append(
        Check(
            "still serving at the end",
            "every URL answered 200" if data["after"]["all_200"] else "some URL did not answer 200",
            "every URL 200",
            data["after"]["all_200"],
        )
    )
    return found


def text_table(data: dict) -> str:
    rows = [("check", "figure", "target", "verdict")] + [
        (c.name, c.figure, c.target, c.verdict) for c in checks(data)
    ]
    lines = []
    for name, figure, target, verdict in rows:
        lines.append(
            f"{verdict:<8}{name}\n        {figure}\n        target: {target}"
            if verdict != "verdict"
            else "Load and faults"
        )
    per_url = [
        "",
        "Per URL under load: requests served, time in the worker p50 / p95 (from "
        "gunicorn's access log); the probe's time, queueing included:",
    ] + [
        f"  {u['name']:<20} {u['served']:>6} served, {u['non_2xx']} non-2xx, worker "
        f"{_ms(u['worker_p50_ms'])} / {_ms(u['worker_p95_ms'])}; probe {u['probe_requests']} requests, "
        f"{_ms(u['probe_p50_ms'])} / {_ms(u['probe_p95_ms'])}"
        for u in data["load"]["per_url"]
    ]
    return "\n".join(lines + per_url)


def markdown(data: dict) -> str:
    m = data["machine"]
    o = data["options"]
    lines = [
        f"### Load and faults: K={o['scale']:g}, {data['date']}",
        "",
        f"{m['cpu']} ({m['cores']} cores), {m['memory_gb']:.0f} GB; Python {m['python']}, Django "
        f"{m['django']}, PostgreSQL {data['setup']['postgresql']} (a server of the run's own, "
        f"`fsync=off`); {data['setup']['rows']:,} rows; gunicorn with {o['workers']} sync workers on "
        f"loopback; load from wrk ({o['connections']} connections) plus a probe of "
        f"{o['probe_threads']} clients; fault phases {o['fault_seconds']:g} s of load, PostgreSQL "
        f"down {o['pg_down']:g} s.",
        "",
        "| check | figure | target | verdict |",
        "|---|---|---|---|",
    ]
    for c in checks(data):
        cells = [c.name, c.figure, c.target, "PASS" if c.passed else "**MISS**"]
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    lines += [
        "",
        "Per URL under load: requests served and their time in the worker (gunicorn's access "
        "log, queueing excluded); the probe's requests, end to end (queueing included):",
        "",
        "| page | URL | served | non-2xx | worker p50 ms | worker p95 ms | probe requests | "
        "probe p50 ms | probe p95 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for u in data["load"]["per_url"]:
        lines.append(
            f"| {u['name']} | `{u['url']}` | {u['served']:,} | {u['non_2xx']} | "
            f"{u['worker_p50_ms']:,.0f} | {u['worker_p95_ms']:,.0f} | {u['probe_requests']} | "
            f"{u['probe_p50_ms']:,.0f} | {u['probe_p95_ms']:,.0f} |"
        )
    restart = data["postgres_restart"]
    lines += [
        "",
        "Failed requests by wall-clock second, 0 being the second in which the stop began "
        f"(at {restart['down_offset_s']:.1f}; PostgreSQL accepted connections again at "
        f"{restart['up_offset_s']:.1f}):",
        "",
        "| second | probe | wrk (non-2xx) |",
        "|---|---|---|",
    ]
    for second, n in restart["errors_by_second_from_down"].items():
        lines.append(f"| {int(second):+d} | {n['probe']} | {n['wrk']} |")
    return "\n".join(lines) + "\n"


def complete(data: dict, today: str) -> dict:
    """The run's data with the machine, the date and the checks' verdicts."""
    data = {**data, "date": today, "machine": machine(f"PostgreSQL {data['setup']['postgresql']}")}
    data["checks"] = [asdict(c) | {"verdict": c.verdict} for c in checks(data)]
    return data


def write(data: dict, out: Path, stem: str) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    json_path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    md_path.write_text(markdown(data))
    return json_path, md_path
