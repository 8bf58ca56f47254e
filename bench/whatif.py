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
  no_dagster      the same data work with no Dagster run, event or check result, by the
                  functions the assets call: every reference table loaded and checked, every
                  file loaded, stg_ledger per period, the stg_ledger suite and the submission
                  checks (control totals, movement, staging) in one grouped pass each, every
                  mart and rpt_ model with its builder and its checks, the published copy and
                  the data dictionary (the floor the orchestration sits on; reports apart)

Prints one JSON line: the variant, seconds, and runs that failed (no_dagster: what failed, and
wall and CPU seconds of each part).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()  # imports are a part of the floor too
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def ephemeral(runner) -> None:
    import dagster as dg

    runner.instance = dg.DagsterInstance.ephemeral()


def no_dagster(home: Path, parts: dict | None = None) -> list[str]:
    """The data work of `openbook run` but the reports, by the functions its assets call, in
    the order its jobs run them, with no Dagster run, event or check result: what each asset
    adds for Dagster only (materialisation metadata queries such as stg_ledger's counts per
    period, check results folded per period, events) is left out, everything that changes
    the warehouse or the published copy is done. `parts` gets wall and CPU seconds of each
    part, the first (imports) since this script started."""
    lap = Laps(parts if parts is not None else {})
    from contextlib import ExitStack

    from analyst import access as analyst
    from analyst.publish import publish, write_dictionary
    from assets.checks import EXPECTATIONS_DIR, check_submissions, current_loads
    from assets.ingest.dagster_assets import CROSS_CHECKS, SUITES, TABLES
    from assets.ingest.last_good import submission_loads
    from assets.ingest.reference_integrity import load_reference
    from assets.ingest.source_config import load_source_configs
    from assets.ingest.submissions import load_period
    from assets.partitions import file_periods, scan
    from assets.quality import sql_runner
    from assets.quality.staging_policy import write_source_checks
    from assets.submission_checks import check_control_totals, check_movements, check_staging
    from assets.warehouse_assets import CHECKS, DOCS, MODELS, build_order, build_sql_model
    from assets.model_builders import BUILDERS
    from warehouse import change_markers
    from warehouse.connection import home_writer
    from warehouse.quality_settings import load_quality_settings
    from warehouse.settings import Paths
    from warehouse.sql_files import run_sql, transaction

    lap("imports")
    paths = Paths(home.resolve())
    held = ExitStack()  # the warehouse as a run holds it: one connection, same settings
    con = held.enter_context(home_writer(paths))
    # reference_job: each table loaded and checked, its suite, the rules across tables
    for table in TABLES:
        load_reference(con, paths.reference, table.removeprefix("ref_"), paths.inbox)
        if SUITES[table]:
            sql_runner.validate_relation(con, table, EXPECTATIONS_DIR / f"{table}.json")
    for _, rule in CROSS_CHECKS.values():
        rule(con, paths)
    lap("reference tables, their suites and rules")
    # ingest_job over every period: raw_ledger, stg_ledger, then their checks
    inbox = scan(paths)
    failed = []
    for period in inbox.periods:
        files = [f for f in inbox.files if period in file_periods(f) or not file_periods(f)]
        failed += [o.source_file for o in load_period(con, files, period, "no-dagster") if o.status == "failed"]
    change_markers.settle(con)
    lap("raw_ledger: every file loaded, change markers settled")
    configs = load_source_configs(paths.source_configs)
    write_source_checks(con, configs)
    for period in inbox.periods:
        with transaction(con), change_markers.writing(con, "stg_ledger") as touched:
            run_sql(con, "staging/stg_ledger", {"period": period})
            touched.loads(submission_loads(con, period))
    change_markers.settle(con)
    lap("stg_ledger per period, source checks, change markers settled")
    settings = load_quality_settings(paths.quality_settings)
    loads = current_loads(con, inbox.periods)
    check_submissions(con, loads, EXPECTATIONS_DIR / "stg_ledger.json")
    check_control_totals(con, loads, configs, settings.control_total_tolerance)
    check_movements(con, inbox.periods, settings.movement_factor)
    check_staging(con, loads, configs)
    lap("checks: stg_ledger suite, control totals, movement, staging")
    # open_book_job: every model in build order with its checks, then publish and the dictionary
    rows = {}
    for name in build_order(MODELS):
        metadata = BUILDERS[name](con, paths) if name in BUILDERS else build_sql_model(con, MODELS[name])
        rows[name] = getattr(metadata["rows"], "value", metadata["rows"])
        if not all(check.evaluate(con, name, DOCS[name])[0] for check in CHECKS[name]):
            failed.append(f"{name} checks")
    lap("every model with its builder and checks")
    publish(paths, run_id="no-dagster")
    lap("publish")
    reader = analyst.connect(paths.home)
    try:
        write_dictionary(reader, paths.reports, {k: v for k, v in rows.items() if analyst.is_public(k)})
    finally:
        reader.close()
    lap("data dictionary")
    held.close()
    lap("closing the warehouse (checkpoint)")
    return failed


class Laps:
    """parts[name] = wall and CPU seconds since the previous lap (the first: since the process started)."""

    def __init__(self, parts: dict):
        self.parts, self.wall, self.cpu = parts, STARTED, 0.0

    def __call__(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.parts[name] = {"wall": round(wall - self.wall, 2), "cpu": round(cpu - self.cpu, 2)}
        self.wall, self.cpu = wall, cpu


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
        parts: dict = {}
        failed = no_dagster(args.home, parts)
        print(json.dumps({"variant": args.variant, "seconds": round(time.perf_counter() - started, 2),
                          "parts": parts, "failed": failed}))
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
