"""The stages bench/run_bench.py times, each run as its own process:

    python bench/stages.py generate  --home H --rows N [--seed S]
    python bench/stages.py baseline  --home H --db FILE
    python bench/stages.py checks    --db FILE --runner sql|sql_per_load|gx
    python bench/stages.py targeted  --home H --period P     (ingest_job of one period, open_book_job, report_job)
    python bench/stages.py lake      --home H --lake DIR     (openbook run with the warehouse on a DuckLake)
    python bench/stages.py breakdown --home H [--since EPOCH]  (per-job and per-step seconds from Dagster's event log)

Each prints one JSON object on its last line of stdout (rows and anything worth keeping);
the parent measures wall time, CPU time and peak RSS of the process from outside.
The openbook stages themselves (run, report) are the real CLI, not code here.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _emit(result: dict) -> int:
    print(json.dumps(result, default=str))
    return 0


# --------------------------------------------------------------------------- demo


def cmd_generate(args) -> int:
    from demo.generator import generate_demo

    truth = generate_demo(Path(args.home), seed=args.seed, rows=args.rows)
    rows = sum(f["rows_read"] for f in truth["files"])
    return _emit({"rows": rows, "files": len(truth["files"])})


# --------------------------------------------------------------------------- baseline


def _duckdb_encoding(encoding: str) -> str:
    """DuckDB 1.4 reads UTF-8, UTF-16 and Latin-1 without extensions; Windows-1252 differs
    from Latin-1 only in 0x80-0x9F, which is close enough for a throughput baseline."""
    encoding = encoding.lower().replace("_", "-")
    if encoding in ("utf-8", "utf8", "utf-8-sig"):
        return "utf-8"
    return "latin-1"


def cmd_baseline(args) -> int:
    """Bare DuckDB: every ledger file of the inbox into persisted tables (one per partner),
    CSVs with read_csv (types sniffed), workbooks read with python-calamine and inserted
    as text. No parsing rules, typing of money, mapping or checks."""
    import duckdb
    import polars as pl
    import python_calamine

    from assets.ingest.source_config import load_source_configs

    home = Path(args.home)
    configs = load_source_configs(home / "config" / "sources")
    db = Path(args.db)
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    rows = files = 0
    timings, tolerant = {}, []
    for partner_id, config in sorted(configs.items()):
        folder = home / "inbox" / partner_id
        paths = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
        if not paths:
            continue
        started = time.perf_counter()
        table = f'"raw_{partner_id}"'
        if config.file.type == "csv":
            # Every column as text: sniffed types fail on the dirty values real files carry
            # ("836O.90"), and a typed parse is the pipeline's job, not the baseline's.
            query = ("CREATE TABLE {table} AS SELECT * FROM read_csv($files, header = true, all_varchar = true,"
                     " filename = true, encoding = $enc{extra})")
            params = {"files": [str(p) for p in paths], "enc": _duckdb_encoding(config.file.encoding)}
            try:
                con.execute(query.format(table=table, extra=""), params)
            except duckdb.Error:  # a ragged row: the tolerant (and slower) reader
                con.execute(query.format(table=table, extra=", strict_mode = false, null_padding = true,"
                                         " union_by_name = true"), params)
                tolerant.append(partner_id)
        else:
            for number, path in enumerate(paths):
                book = python_calamine.CalamineWorkbook.from_path(str(path))
                grid = book.get_sheet_by_index(0).to_python()
                width = max((len(r) for r in grid), default=0)
                frame = pl.DataFrame(
                    {f"c{i}": [None if i >= len(r) or r[i] in (None, "") else str(r[i]) for r in grid]
                     for i in range(width)},
                    schema={f"c{i}": pl.String for i in range(width)},
                ).with_columns(pl.lit(str(path)).alias("filename"))
                con.register("sheet", frame.to_arrow())
                if number == 0:
                    con.execute(f"CREATE TABLE {table} AS SELECT * FROM sheet")
                else:
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM sheet")
                con.unregister("sheet")
        (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        rows += n
        files += len(paths)
        timings[partner_id] = round(time.perf_counter() - started, 3)
    con.execute("CHECKPOINT")
    con.close()
    return _emit({"rows": rows, "files": files, "seconds_by_partner": timings, "tolerant_reader": tolerant,
                  "db_bytes": db.stat().st_size})


# --------------------------------------------------------------------------- checks


def cmd_checks(args) -> int:
    """The stg_ledger suite over a warehouse's stg_ledger (read-only), by one runner:
    sql           sql_runner on the whole table as one batch;
    sql_per_load  sql_runner once per current submission, as assets/checks.py runs it;
    gx            gx_runner (Great Expectations, pandas) on the whole table as one batch."""
    import duckdb

    from assets.quality import gx_runner, sql_runner
    from assets.quality.submission_suite import STG_LEDGER_SUITE, period_bounds, validate_submission

    suite = STG_LEDGER_SUITE
    con = duckdb.connect(str(args.db), read_only=True)
    service_lines = [r[0] for r in con.execute("SELECT service_line FROM ref_service_lines").fetchall()]
    (rows,) = con.execute("SELECT count(*) FROM stg_ledger").fetchone()
    result: dict = {"rows": rows, "runner": args.runner}
    started = time.perf_counter()
    if args.runner == "sql_per_load":
        loads = con.execute(
            "SELECT load_id, partner_id, period FROM load_log WHERE status = 'current' ORDER BY 1").fetchall()
        failed = 0
        for load_id, partner_id, period in loads:
            outcome = validate_submission(con, load_id, partner_id, period)
            failed += not outcome.passed
        result.update(loads=len(loads), loads_failed=failed)
    else:
        first, last = con.execute("SELECT min(period), max(period) FROM stg_ledger").fetchone()
        parameters = {
            "period_start": period_bounds(first)[0], "period_end": period_bounds(last)[1],
            "known_cost_centres": [r[0] for r in con.execute(
                "SELECT DISTINCT cost_centre FROM ref_cost_centre_map").fetchall()],
            "known_service_lines": service_lines,
        }
        if args.runner == "sql":
            outcome = sql_runner.validate_relation(con, "stg_ledger", suite, parameters)
        else:
            import_started = time.perf_counter()
            gx_runner._gx()  # import and context: paid once per process
            result["gx_import_seconds"] = round(time.perf_counter() - import_started, 2)
            frame_started = time.perf_counter()
            frame = con.execute("SELECT * FROM stg_ledger").pl()
            result["read_frame_seconds"] = round(time.perf_counter() - frame_started, 2)
            outcome = gx_runner.validate_frame(frame, suite, parameters)
        result["expectations"] = len(outcome.outcomes)
        result["failed"] = [o.expectation_type + (f" {o.column}" if o.column else "")
                            for o in outcome.outcomes if not o.success]
    result["seconds_inside"] = round(time.perf_counter() - started, 2)
    con.close()
    return _emit(result)


# --------------------------------------------------------------------------- targeted incremental


def cmd_targeted(args) -> int:
    """What a late file needs: the ingest_job of its period, then the open book and the
    reports; the other periods are not touched (the Runner, job by job)."""
    from pipelines.runner import Runner
    from warehouse.settings import Paths

    runner = Runner(Paths(Path(args.home).resolve()))
    ok = all([runner.run("ingest_job", args.period), runner.run("open_book_job"),
              runner.run("report_job", args.report_period or args.period)])
    steps = [{"job": j, "partition": p, "seconds": round(s, 2), "ok": o} for j, p, s, o in runner.summary.steps]
    return _emit({"ok": ok, "steps": steps})


# --------------------------------------------------------------------------- DuckLake


def cmd_lake(args) -> int:
    """`openbook run` with the warehouse on a DuckLake: the home's inbox, reference data and
    configs copied into a fresh home under --lake whose config/warehouse.yaml names a lake in
    it (a DuckDB catalog file, Parquet files in a folder), then the same Dagster jobs."""
    import shutil

    from pipelines.runner import Runner
    from warehouse.settings import Paths

    home, lake_home = Path(args.home), Path(args.lake)
    for part in ("inbox", "reference", "config"):
        shutil.copytree(home / part, lake_home / part, copy_function=shutil.copy2)
    (lake_home / "config" / "warehouse.yaml").write_text(
        "lake:\n  catalog: lake/openbook.ducklake\n  data_path: lake/data\n")
    started = time.perf_counter()
    summary = Runner(Paths(lake_home.resolve())).run_all(progress=lambda _: None)
    seconds = time.perf_counter() - started
    return _emit({"ok": summary.ok, "seconds": round(seconds, 2),
                  "partitions": sum(1 for o in summary.outcomes if o.job == "ingest_job"),
                  "steps": [{"job": j, "partition": p, "seconds": round(s, 2), "ok": o}
                            for j, p, s, o in summary.steps]})


# --------------------------------------------------------------------------- breakdown


def cmd_breakdown(args) -> int:
    """Seconds per job and per step (asset or check) of the runs in the home's Dagster
    instance started after `since`, from the event log: where a run spends its time."""
    import os

    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(Path(args.home).resolve() / "dagster")
    instance = dg.DagsterInstance.get()
    jobs: dict[str, float] = defaultdict(float)
    steps: dict[str, float] = defaultdict(float)
    runs = 0
    for record in instance.get_run_records():
        if record.start_time is None or record.start_time < args.since:
            continue
        runs += 1
        jobs[record.dagster_run.job_name] += (record.end_time or record.start_time) - record.start_time
        started = {}
        for entry in instance.all_logs(record.dagster_run.run_id, of_type={
                dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}):
            key = entry.step_key
            if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START:
                started[key] = entry.timestamp
            elif key in started:
                steps[key] += entry.timestamp - started.pop(key)
    top = sorted(steps.items(), key=lambda kv: -kv[1])
    return _emit({"runs": runs, "jobs": {k: round(v, 2) for k, v in sorted(jobs.items(), key=lambda kv: -kv[1])},
                  "steps": {k: round(v, 2) for k, v in top}})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="stage", required=True)
    p = sub.add_parser("generate")
    p.add_argument("--home", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--seed", type=int, default=20261123)
    p.set_defaults(func=cmd_generate)
    p = sub.add_parser("baseline")
    p.add_argument("--home", required=True)
    p.add_argument("--db", required=True)
    p.set_defaults(func=cmd_baseline)
    p = sub.add_parser("checks")
    p.add_argument("--db", required=True)
    p.add_argument("--runner", choices=("sql", "sql_per_load", "gx"), required=True)
    p.set_defaults(func=cmd_checks)
    p = sub.add_parser("targeted")
    p.add_argument("--home", required=True)
    p.add_argument("--period", required=True)
    p.add_argument("--report-period")
    p.set_defaults(func=cmd_targeted)
    p = sub.add_parser("lake")
    p.add_argument("--home", required=True)
    p.add_argument("--lake", required=True)
    p.set_defaults(func=cmd_lake)
    p = sub.add_parser("breakdown")
    p.add_argument("--home", required=True)
    p.add_argument("--since", type=float, default=0.0)
    p.set_defaults(func=cmd_breakdown)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
