"""Performance and scale: openbook measured side by side with bare DuckDB, in one run.

    .venv/bin/python bench/run_bench.py --sizes 1000000 10000000 --out bench-results/

For each size the demo system is generated at that many ledger lines into a temporary
data home, then each stage runs in a fresh process (so its peak RSS is its own, read with
os.wait4) on the same machine in the same run:

  baseline              bare DuckDB: every ledger file into persisted tables (read_csv,
                        all text; workbooks through python-calamine); no checks
  full run              `openbook --home H run`: reference data, ingest + staging + checks
                        of every period, marts and rpt_ tables, the latest reports
  incremental run       one partner-month arrives late (a file held back from the full run
                        is copied into the inbox for its period), `openbook run` again
  incremental targeted  another late file, through the jobs it needs only (ingest_job of
                        its period, open_book_job, report_job)
  reports               `openbook report --period <latest> --rebuild` (built, not kept)
  checks                the stg_ledger suite over the warehouse's stg_ledger: SQL runner
                        (whole table; once per submission as the pipeline does) and Great
                        Expectations (whole table); at the smallest size unless told
  lake                  `openbook run` again with the warehouse on a DuckLake (a DuckDB
                        catalog file and Parquet files; warehouse/lake.py), --skip-lake to leave out

It prints a table (stage, rows, wall s, rows/s, x baseline, CPU s, peak RSS MiB), checks
the targets, and writes results.json and results.md (plus a per-job / per-step breakdown of
each Dagster run, from the run's own event log) under --out. Exit status 0 when every
stage ran, whether or not the targets are met (they are reported, not asserted).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ROOT / "bench" / "stages.py"
MiB = 1024 * 1024

TARGETS = {
    "full_vs_baseline": 2.0,  # full run within 2x the bare DuckDB load, wall and CPU (at the largest size)
    "incremental_share": 0.05,  # a late partner-month costs at most 5% of a full run, end to end
    "peak_rss_gib": 1.5,  # peak memory of the full run at the largest size
    "scaling": 10.0,  # full run at 10x the rows takes at most 10x the time
    "orchestration_share": 0.10,  # what is not data work: under 10% of the full run
}


@dataclass
class Stage:
    name: str
    rows: int
    wall: float
    cpu: float
    peak_rss_mib: float
    ok: bool
    load_before: float
    load_after: float
    detail: dict = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall if self.wall else 0.0


# --------------------------------------------------------------------------- running a stage


def run_process(argv: list[str], log: Path, timeout: float | None = None) -> tuple[int, float, float, float, str]:
    """(exit status, wall s, CPU s, peak RSS MiB, last stdout line) of one process and
    everything it waited for. wait4 gives this process tree's own rusage, so each stage's
    peak is its own however many stages ran before. Its ru_maxrss is the peak of the largest
    single process of the tree, not of the tree's processes added up: `openbook run` is one
    process (Dagster runs in-process), so for it the two are the same."""
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "POLARS_SKIP_CPU_CHECK": "1"}
    with open(log, "w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = None if timeout is None else started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return (process.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
            lines[-1] if lines else "")


def stage(name: str, argv: list[str], logs: Path, rows: int | None = None, timeout: float | None = None,
          progress=print) -> Stage:
    progress(f"  {name} ...")
    before = os.getloadavg()[0]
    code, wall, cpu, rss, last = run_process(argv, logs / f"{name.replace(' ', '_')}.log", timeout)
    detail = {}
    if last.startswith("{"):
        try:
            detail = json.loads(last)
        except json.JSONDecodeError:
            pass
    result = Stage(name, rows if rows is not None else int(detail.get("rows", 0)), wall, cpu, rss, code == 0, before,
                   os.getloadavg()[0], detail)
    progress(f"    {wall:8.1f} s wall, {cpu:8.1f} s CPU, {rss:7.0f} MiB peak{'' if result.ok else '  FAILED'}")
    return result


def py(*args: str) -> list[str]:
    return [sys.executable, *args]


def openbook(*args: str) -> list[str]:
    """The `openbook` command (the console script runs pipelines.cli:main), started from
    this checkout: run with cwd=ROOT, `-m` imports the code beside this file even when the
    venv's editable install points at another tree (a snapshot being benchmarked)."""
    return py("-m", "pipelines.cli", *args)


# --------------------------------------------------------------------------- one size


def late_files(home: Path, truth: dict) -> list[dict]:
    """Two files to hold back and deliver late: CSV submissions (never a superseded or
    resubmitted one) of two local authorities for the same period, the last but one."""
    files = [f for f in truth["files"] if not f["superseded"]]
    by_key = {}
    for f in truth["files"]:
        by_key.setdefault((f["partner_id"], f["period"]), []).append(f)
    periods = sorted({f["period"] for f in files})
    period = periods[-2]
    chosen = [f for f in files if f["period"] == period and f["partner_id"] in ("la_dunmere", "la_elmfen")
              and len(by_key[(f["partner_id"], f["period"])]) == 1]
    if len(chosen) != 2:
        raise SystemExit(f"cannot find the two late files for {period}")
    return chosen


def bench_size(rows: int, work: Path, out: Path, args, progress=print) -> dict:
    home = work / f"home-{rows}"
    logs = out / "logs" / str(rows)
    shutil.rmtree(home, ignore_errors=True)
    results: list[Stage] = []
    progress(f"size {rows:,} ledger lines (home {home})")

    generated = stage("generate demo", py(str(STAGES), "generate", "--home", str(home), "--rows", str(rows),
                                          "--seed", str(args.seed)), logs, progress=progress)
    if not generated.ok:
        raise SystemExit(f"demo generation failed: see {logs}")
    truth = json.loads((home / "demo_truth.json").read_text())
    late = late_files(home, truth)
    held = home.parent / f"held-back-{rows}"
    shutil.rmtree(held, ignore_errors=True)
    held.mkdir()
    for f in late:  # kept by partner: two councils' files share a name
        (held / f["partner_id"]).mkdir()
        shutil.move(home / f["path"], held / f["partner_id"] / Path(f["path"]).name)
    file_rows = sum(f["rows_read"] for f in truth["files"])
    late_rows = [f["rows_read"] for f in late]
    inbox_rows = file_rows - sum(late_rows)

    baseline = stage("baseline: bare DuckDB load", py(str(STAGES), "baseline", "--home", str(home), "--db",
                                                       str(work / f"baseline-{rows}.duckdb")),
                     logs, rows=inbox_rows, progress=progress)
    results.append(baseline)
    (work / f"baseline-{rows}.duckdb").unlink(missing_ok=True)

    # the same work with no Dagster, on a copy of the home as the full run finds it (mtimes kept)
    copy = work / f"no-dagster-{rows}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(home, copy, copy_function=shutil.copy2)
    results.append(stage("no orchestration: the same work without Dagster",
                         py(str(ROOT / "bench" / "whatif.py"), "--home", str(copy), "--variant", "no_dagster"),
                         logs, rows=inbox_rows, timeout=args.timeout, progress=progress))
    shutil.rmtree(copy, ignore_errors=True)

    since = time.time()
    full = stage("openbook full run", openbook("--home", str(home), "run"), logs, rows=inbox_rows,
                 timeout=args.timeout, progress=progress)
    results.append(full)
    full.detail["breakdown"] = breakdown(home, since, logs, "full")

    def deliver(f: dict) -> None:
        target = home / f["path"]
        shutil.copyfile(held / f["partner_id"] / Path(f["path"]).name, target)  # arrives now: a fresh mtime

    deliver(late[0])
    since = time.time()
    incremental = stage("incremental: openbook run after one late file", openbook("--home", str(home), "run"),
                        logs, rows=late_rows[0], timeout=args.timeout, progress=progress)
    incremental.detail.update(file=late[0]["path"], period=late[0]["period"],
                              breakdown=breakdown(home, since, logs, "incremental"))
    results.append(incremental)

    latest = max(f["period"] for f in truth["files"])
    deliver(late[1])
    targeted = stage("incremental: targeted jobs for one late file",
                     py(str(STAGES), "targeted", "--home", str(home), "--period", late[1]["period"],
                        "--report-period", latest), logs, rows=late_rows[1], timeout=args.timeout, progress=progress)
    targeted.detail.update(file=late[1]["path"])
    results.append(targeted)

    fct_rows = _count(home, "fct_ledger")
    results.append(stage(f"reports alone ({latest})", openbook("--home", str(home), "report", "--period", latest, "--rebuild"),
                         logs, rows=fct_rows, timeout=args.timeout, progress=progress))

    if rows in args.checks_sizes:
        warehouse = home / "warehouse" / "openbook.duckdb"
        for runner, label in (("sql", "checks: SQL runner, whole stg_ledger"),
                              ("sql_per_load", "checks: SQL runner, per submission"),
                              ("gx", "checks: Great Expectations, whole stg_ledger")):
            results.append(stage(label, py(str(STAGES), "checks", "--db", str(warehouse), "--runner", runner),
                                 logs, timeout=args.timeout, progress=progress))

    if not args.skip_lake:
        lake_dir = work / f"lake-{rows}"
        shutil.rmtree(lake_dir, ignore_errors=True)
        results.append(stage("openbook run on DuckLake (DuckDB catalog file)",
                             py(str(STAGES), "lake", "--home", str(home), "--lake", str(lake_dir)),
                             logs, timeout=args.timeout, progress=progress))
        if not args.keep:
            shutil.rmtree(lake_dir, ignore_errors=True)

    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(held, ignore_errors=True)
    return {"rows": rows, "file_rows": file_rows, "generate": asdict(generated),
            "stages": [asdict(s) | {"rows_per_s": s.rows_per_s, "x_baseline": s.wall / baseline.wall,
                                    "x_baseline_cpu": s.cpu / baseline.cpu if baseline.cpu else 0.0}
                       for s in results]}


def breakdown(home: Path, since: float, logs: Path, label: str) -> dict:
    """Per-job and per-step seconds of the Dagster runs started after `since` (a separate,
    untimed process: it imports Dagster)."""
    code, *_, last = run_process(py(str(STAGES), "breakdown", "--home", str(home), "--since", str(since)),
                                 logs / f"breakdown-{label}.log")
    try:
        return json.loads(last) if code == 0 else {}
    except json.JSONDecodeError:
        return {}


def _count(home: Path, table: str) -> int:
    import duckdb

    con = duckdb.connect(str(home / "warehouse" / "openbook.duckdb"), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


# --------------------------------------------------------------------------- targets and output


def by_name(size: dict, prefix: str) -> dict | None:
    return next((s for s in size["stages"] if s["name"].startswith(prefix)), None)


def judge(sizes: list[dict]) -> list[dict]:
    """Each target, the figure measured and whether it is met."""
    verdicts = []
    largest, smallest = sizes[-1], sizes[0]
    full = by_name(largest, "openbook full run")
    base = by_name(largest, "baseline")
    if full and base:
        ratio = full["wall"] / base["wall"]
        cpu = full["cpu"] / base["cpu"] if base["cpu"] else 0.0
        verdicts.append({"target": f"full run within {TARGETS['full_vs_baseline']:g}x bare DuckDB load "
                                   f"({largest['rows']:,} lines)",
                         "measured": f"{ratio:.1f}x wall ({full['wall']:.1f} s vs {base['wall']:.1f} s); "
                                     f"{cpu:.1f}x CPU ({full['cpu']:.1f} s vs {base['cpu']:.1f} s)",
                         "met": ratio <= TARGETS["full_vs_baseline"] and cpu <= TARGETS["full_vs_baseline"]})
    for size in sizes:
        full, inc = by_name(size, "openbook full run"), by_name(size, "incremental: openbook run")
        targeted = by_name(size, "incremental: targeted")
        if full and inc:
            share = inc["wall"] / full["wall"]
            text = f"{share:.0%} of the full run ({inc['wall']:.1f} s vs {full['wall']:.1f} s; CPU {inc['cpu'] / full['cpu']:.0%})"
            jobs = inc.get("detail", {}).get("breakdown", {}).get("jobs", {})
            if "ingest_job" in jobs:  # the part that grows with the late file, not with the system
                text += (f"; of which its period's ingest job {jobs['ingest_job']:.1f} s "
                         f"({jobs['ingest_job'] / full['wall']:.1%} of the full run), rebuilding the open book "
                         f"{jobs.get('open_book_job', 0):.1f} s and the reports {jobs.get('report_job', 0):.1f} s")
            if targeted:
                text += f"; targeted jobs {targeted['wall'] / full['wall']:.0%} ({targeted['wall']:.1f} s)"
            verdicts.append({"target": f"incremental (one late partner-month) at most "
                                       f"{TARGETS['incremental_share']:.0%} of a full run ({size['rows']:,} lines)",
                             "measured": text, "met": share <= TARGETS["incremental_share"]})
    for size in sizes:
        full, bare = by_name(size, "openbook full run"), by_name(size, "no orchestration")
        reports = by_name(size, "reports alone")
        if full and bare and reports and bare["ok"]:
            # the full run less the same data work without Dagster (bench/whatif.py no_dagster:
            # load, stage, check, every model with its checks, publish) and less writing the
            # reports (measured alone, in a process of its own: its start, imports and Dagster run
            # are subtracted too)
            share = max(0.0, full["wall"] - bare["wall"] - reports["wall"]) / full["wall"]
            verdicts.append({"target": f"orchestration under {TARGETS['orchestration_share']:.0%} of the full run "
                                       f"({size['rows']:,} lines)",
                             "measured": f"{share:.0%} (full {full['wall']:.1f} s - same work without Dagster "
                                         f"{bare['wall']:.1f} s - reports {reports['wall']:.1f} s)",
                             "met": share < TARGETS["orchestration_share"]})
    full = by_name(largest, "openbook full run")
    if full:
        gib = full["peak_rss_mib"] / 1024
        late = by_name(largest, "incremental: openbook run")  # the same pipeline on a warm warehouse: said too
        also = f"; after one late file {late['peak_rss_mib'] / 1024:.2f} GiB" if late else ""
        verdicts.append({"target": f"full run peak RSS under {TARGETS['peak_rss_gib']:g} GiB ({largest['rows']:,} lines)",
                         "measured": f"{gib:.2f} GiB{also}", "met": gib < TARGETS["peak_rss_gib"]})
    if len(sizes) > 1:
        small, large = by_name(smallest, "openbook full run"), by_name(largest, "openbook full run")
        if small and large:
            factor = largest["rows"] / smallest["rows"]
            rss = large["peak_rss_mib"] / small["peak_rss_mib"]
            verdicts.append({"target": f"peak RSS sublinear ({factor:g}x rows)",
                             "measured": f"{rss:.1f}x ({small['peak_rss_mib']:.0f} -> {large['peak_rss_mib']:.0f} MiB)",
                             "met": rss < factor})
            wall = large["wall"] / small["wall"]
            cpu = large["cpu"] / small["cpu"] if small["cpu"] else 0.0
            limit = TARGETS["scaling"] * factor / 10
            verdicts.append({"target": f"full run {largest['rows']:,} at most {limit:g}x {smallest['rows']:,}",
                             "measured": f"{wall:.1f}x wall ({small['wall']:.1f} s -> {large['wall']:.1f} s); "
                                         f"{cpu:.1f}x CPU",
                             "met": wall <= limit})
    return verdicts


def table_lines(size: dict) -> list[str]:
    head = f"| {'stage':<52} | {'rows':>11} | {'wall s':>8} | {'rows/s':>10} | {'x baseline':>10} | " \
           f"{'CPU s':>7} | {'x baseline CPU':>14} | {'peak RSS MiB':>12} |"
    lines = [head, "|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|"]
    for s in size["stages"]:
        lines.append(f"| {s['name'] + ('' if s['ok'] else ' (FAILED)'):<52} | {s['rows']:>11,} | {s['wall']:>8.1f} | "
                     f"{s['rows_per_s']:>10,.0f} | {s['x_baseline']:>10.1f} | {s['cpu']:>7.1f} | "
                     f"{s.get('x_baseline_cpu', 0.0):>14.1f} | {s['peak_rss_mib']:>12.0f} |")
    return lines


def markdown(report: dict) -> str:
    env = report["environment"]
    out = [f"# openbook benchmark, {report['finished_at']}", "",
           *([f"Measured: {report['label']}", ""] if report.get("label") else []),
           f"{env['cpus']} CPUs, {env['memory_gib']:.0f} GiB RAM, Python {env['python']}, DuckDB {env['duckdb']}, "
           f"polars {env['polars']}, commit {env['commit']}; load average at start {env['load_at_start']:.1f}. "
           "Each stage is its own process; wall and CPU seconds are that process tree's, peak RSS its largest "
           "process's (wait4's ru_maxrss). "
           "`x baseline` is wall time over the bare DuckDB load of the same files.", ""]
    for size in report["sizes"]:
        g = size["generate"]
        out += [f"## {size['rows']:,} ledger lines ({size['file_rows']:,} rows in the files; "
                f"demo generated in {g['wall']:.1f} s)", ""] + table_lines(size) + [""]
        for s in size["stages"]:
            if s["detail"].get("remeasured"):
                out += [f"- {s['name']}: re-measured {s['detail']['remeasured']}"]
            b = s["detail"].get("breakdown")
            if b and b.get("jobs"):
                jobs = ", ".join(f"{k} {v:.1f} s" for k, v in b["jobs"].items())
                steps = ", ".join(f"{k} {v:.1f} s" for k, v in list(b["steps"].items())[:8])
                out += [f"- {s['name']}: {b['runs']} Dagster runs; by job: {jobs}; top steps: {steps}"]
        out.append("")
    if report.get("scaling"):
        out += [f"Full run {report['scaling']['large']:,} / {report['scaling']['small']:,} lines: "
                f"{report['scaling']['ratio']:.1f}x the time.", ""]
    out += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    out += [f"| {v['target']} | {v['measured']} | {'yes' if v['met'] else 'NO'} |" for v in report["targets"]]
    return "\n".join(out) + "\n"


def environment() -> dict:
    import duckdb
    import polars

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
        commit += "+changes" if dirty.strip() else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024 ** 3
    return {"cpus": os.cpu_count(), "memory_gib": memory, "python": platform.python_version(),
            "duckdb": duckdb.__version__, "polars": polars.__version__, "platform": platform.platform(),
            "commit": commit, "load_at_start": os.getloadavg()[0]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--work", type=Path, help="where the temporary data homes go (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data homes and lakes")
    parser.add_argument("--checks-sizes", type=int, nargs="*", help="sizes to run the checks stages at "
                                                                    "(default: the smallest)")
    parser.add_argument("--skip-lake", action="store_true", help="leave out the run on DuckLake")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per stage before it is killed")
    parser.add_argument("--label", default="", help="what is being measured (e.g. the commit), kept in the results")
    parser.add_argument("--render", type=Path, help="only re-render results.md (and the targets) from this "
                                                    "results.json")
    args = parser.parse_args(argv)
    if args.render:
        report = json.loads(args.render.read_text())
        for size in report["sizes"]:  # figures added since the file was written
            base = next(s for s in size["stages"] if s["name"].startswith("baseline"))
            for s in size["stages"]:
                s.setdefault("x_baseline_cpu", s["cpu"] / base["cpu"] if base["cpu"] else 0.0)
        _write(report, args.render.parent, keep_time=True)
        print(markdown(report))
        return 0
    args.sizes = sorted(args.sizes)
    args.checks_sizes = args.sizes[:1] if args.checks_sizes is None else args.checks_sizes
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="openbook-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    report = {"started_at": _now(), "label": args.label, "environment": environment(), "targets_set": TARGETS,
              "sizes": []}
    for rows in args.sizes:
        report["sizes"].append(bench_size(rows, work, args.out, args))
        _write(report, args.out)  # partial results survive a later failure
        print("\n".join(table_lines(report["sizes"][-1])), flush=True)
    if len(args.sizes) > 1:
        small, large = by_name(report["sizes"][0], "openbook full run"), by_name(report["sizes"][-1],
                                                                                 "openbook full run")
        report["scaling"] = {"small": args.sizes[0], "large": args.sizes[-1], "ratio": large["wall"] / small["wall"]}
    _write(report, args.out)
    print()
    print(markdown(report))
    if not args.keep and args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(s["ok"] for size in report["sizes"] for s in size["stages"]) else 1


def _write(report: dict, out: Path, keep_time: bool = False) -> None:
    if not keep_time or "finished_at" not in report:
        report["finished_at"] = _now()
    report["targets"] = judge(report["sizes"]) if report["sizes"] else []
    (out / "results.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (out / "results.md").write_text(markdown(report))


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


if __name__ == "__main__":
    sys.exit(main())
