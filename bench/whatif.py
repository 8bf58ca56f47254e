"""What orchestration costs, measured without changing the pipeline's code: the same
`Runner.run_all` as `openbook run`, with one thing changed in this process only. (The
earlier variants here, one connection per run, FSST raw records and one INSERT per check
result set, measured fixes that are now in the pipeline itself.)

    .venv/bin/python bench/whatif.py --home H --variant VARIANT
    .venv/bin/python bench/whatif.py --pristine H --work DIR --variants as_is ephemeral no_dagster [--json out.json]
        (each variant on its own copy of a freshly generated home, in its own process:
         wall and CPU seconds and peak RSS as bench/run_bench.py measures them)

variants
  as_is           Runner.run_all unchanged (the control)
  ephemeral       Dagster's instance in memory: no SQLite run and event storage (what a
                  PostgreSQL-backed instance, or fewer events, would save)
  no_dagster      the same asset functions' work with no Dagster at all: load_file for every
                  file, sql/staging/stg_ledger.sql per period, the stg_ledger suite in one
                  grouped pass over every submission through the SQL runner, then every mart and rpt_ model (the
                  floor the orchestration sits on)

Prints one JSON line: the variant, seconds, and runs that failed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def ephemeral(runner) -> None:
    import dagster as dg

    runner.instance = dg.DagsterInstance.ephemeral()


def no_dagster(home: Path) -> list[str]:
    from contextlib import ExitStack

    from assets.checks import EXPECTATIONS_DIR, check_submissions, current_loads
    from assets.ingest.dagster_assets import REFERENCE_TABLES
    from assets.ingest.reference_files import reference_file
    from assets.ingest.source_config import load_source_configs
    from assets.ingest.submissions import inbox_periods, load_period, scan_inbox
    from warehouse.report_settings import report_params
    from warehouse.model_graph import model_graph
    from warehouse.settings import Paths
    from warehouse.sql_files import run_sql
    from warehouse.connection import open_writer

    paths = Paths(home.resolve())
    held = ExitStack()  # the warehouse as a run holds it: one connection, same settings
    con = held.enter_context(open_writer(paths.warehouse))
    for name in REFERENCE_TABLES:
        run_sql(con, f"staging/ref_{name}", {"path": str(reference_file(paths.reference, name))})
    files = scan_inbox(paths.inbox, load_source_configs(paths.source_configs))
    failed = []
    periods = inbox_periods(files)
    for period in periods:
        for outcome in load_period(con, files, period, "no-dagster"):
            if outcome.status == "failed":
                failed.append(outcome.source_file)
        run_sql(con, "staging/stg_ledger", {"period": period})
    # the suite in one grouped pass over every submission, as one ingest run does
    check_submissions(con, current_loads(con, periods), EXPECTATIONS_DIR / "stg_ledger.json")
    params = report_params()
    for layer, name in [(m.layer, m.path.stem) for m in model_graph().self_contained()]:
        run_sql(con, f"{layer}/{name}", params)
    held.close()
    return failed


VARIANTS = ("as_is", "ephemeral", "no_dagster")


def compare(pristine: Path, work: Path, variants: list[str], out: Path | None) -> int:
    import shutil

    from run_bench import run_process  # bench/ is on sys.path when this file runs as a script

    results = []
    for variant in variants:
        home = work / f"whatif-{variant}"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(pristine, home, copy_function=shutil.copy2)  # keep mtimes: resubmissions stay newer
        before = os.getloadavg()[0]
        code, wall, cpu, rss, last = run_process(
            [sys.executable, str(Path(__file__).resolve()), "--home", str(home), "--variant", variant],
            work / f"whatif-{variant}.log")
        detail = json.loads(last) if last.startswith("{") else {}
        results.append({"variant": variant, "ok": code == 0, "wall": round(wall, 1), "cpu": round(cpu, 1),
                        "peak_rss_mib": round(rss), "load_before": before, "load_after": os.getloadavg()[0],
                        "by_job": detail.get("by_job", {})})
        print(f"{variant:<16} {wall:8.1f} s wall {cpu:8.1f} s CPU {rss:7.0f} MiB{'' if code == 0 else '  FAILED'}",
              flush=True)
        shutil.rmtree(home, ignore_errors=True)
    if out:
        out.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(r["ok"] for r in results) else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path)
    parser.add_argument("--variant", choices=VARIANTS)
    parser.add_argument("--pristine", type=Path, help="compare variants, each on a copy of this home")
    parser.add_argument("--work", type=Path, help="where the copies go (with --pristine)")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.pristine:
        if not args.work:
            parser.error("--pristine needs --work")
        args.work.mkdir(parents=True, exist_ok=True)
        return compare(args.pristine, args.work, args.variants, args.json)
    if not (args.home and args.variant):
        parser.error("--home and --variant (or --pristine)")
    started = time.perf_counter()
    if args.variant == "no_dagster":
        failed = no_dagster(args.home)
        print(json.dumps({"variant": args.variant, "seconds": round(time.perf_counter() - started, 2),
                          "failed": failed}))
        return 0 if not failed else 1
    from pipelines.runner import Runner
    from warehouse.settings import Paths

    runner = Runner(Paths(args.home.resolve()))
    if args.variant == "ephemeral":
        ephemeral(runner)
    summary = runner.run_all(progress=lambda message: print(f"  {message}", file=sys.stderr, flush=True))
    failed = [f"{job} {partition}" for job, partition, _, ok in summary.steps if not ok]
    by_job: dict[str, float] = {}
    for job, _, seconds, _ in summary.steps:
        by_job[job] = round(by_job.get(job, 0.0) + seconds, 2)
    print(json.dumps({"variant": args.variant, "seconds": round(time.perf_counter() - started, 2),
                      "by_job": by_job, "failed": failed, "pid": os.getpid()}))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
