"""Where a full `openbook run` spends its time: cProfile, folded into the parts that matter.

    .venv/bin/python bench/profile_run.py --home H [--prof out.prof] [--json out.json]
    .venv/bin/python bench/profile_run.py --load out.prof           (fold an existing profile)

Runs `openbook --home H run` under cProfile in this process (so the home should be a fresh
demo: `openbook --home H demo-data --rows N`), then prints seconds per part: Dagster's own
bookkeeping (run creation, event storage), DuckDB connection open/close (a close
checkpoints), DuckDB statements by the function that ran them, polars, parsing, reports.
Profiling slows Python-heavy code more than DuckDB's C++, so read shares, not absolutes.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (label, file suffix, function name): cumulative seconds of that function.
CUMULATIVE = [
    ("total: openbook run", "pipelines/cli.py", "cmd_run"),
    ("Dagster: create each run (planned-asset events)", "run_domain.py", "create_run_for_job"),
    ("Dagster: store events (SQLite event log)", "sqlite_event_log.py", "store_event"),
    ("ingest: raw_ledger asset", "assets/ingest/dagster_assets.py", "raw_ledger"),
    ("ingest:   parse_submission (polars)", "assets/ingest/parse.py", "parse_submission"),
    ("ingest:   _replace_partition (DuckDB delete + insert)", "assets/ingest/submissions.py", "_replace_partition"),
    ("ingest: stg_ledger asset (sql/staging/stg_ledger.sql)", "assets/ingest/dagster_assets.py", "stg_ledger"),
    ("checks: suite runner (sql_runner.validate_groups)", "assets/quality/sql_runner.py", "validate_groups"),
    ("checks: record_results (dq_results inserts)", "assets/checks.py", "record_results"),
    ("marts and rpt_ tables (run_sql)", "warehouse/sql_files.py", "run_sql"),
    ("reports: write_reports", "assets/report_assets.py", "write_reports"),
    ("Warehouse.writer (open, create_tables, close)", "warehouse/connection.py", "open_writer"),
]
# (label, function name as cProfile shows a builtin): own seconds of that builtin.
OWN = [
    ("DuckDB: connect", "<built-in method _duckdb.connect>"),
    ("DuckDB: close (checkpoint)", "<built-in method _duckdb.close>"),
    ("DuckDB: execute", "<built-in method _duckdb.execute>"),
    ("DuckDB: executemany", "<built-in method _duckdb.executemany>"),
    ("polars: LazyFrame.collect", "<method 'collect' of 'builtins.PyLazyFrame' objects>"),
    ("SQLite: commit", "<method 'commit' of 'sqlite3.Connection' objects>"),
    ("SQLite: execute", "<method 'execute' of 'sqlite3.Cursor' objects>"),
    ("SQLite: close", "<method 'close' of 'sqlite3.Connection' objects>"),
]


def fold(stats: pstats.Stats) -> dict:
    raw = stats.stats  # (file, line, function) -> (primitive calls, calls, own s, cumulative s, callers)
    cumulative = {}
    for label, suffix, function in CUMULATIVE:
        matches = [v for (file, _, name), v in raw.items() if name == function and file.endswith(suffix)]
        cumulative[label] = {"seconds": round(max((v[3] for v in matches), default=0.0), 2),
                             "calls": max((v[1] for v in matches), default=0)}
    own = {}
    execute_by_caller: dict[str, float] = defaultdict(float)
    for label, function in OWN:
        matches = [(k, v) for k, v in raw.items() if k[2] == function]
        own[label] = {"seconds": round(sum(v[2] for _, v in matches), 2), "calls": sum(v[1] for _, v in matches)}
        if function.endswith("_duckdb.execute>") or function.endswith("_duckdb.executemany>"):
            for _, v in matches:
                for (file, _, name), caller in v[4].items():
                    execute_by_caller[f"{Path(file).parent.name}/{Path(file).name}:{name}"] += caller[2]
    top = dict(sorted(((k, round(v, 2)) for k, v in execute_by_caller.items()), key=lambda kv: -kv[1])[:12])
    return {"cumulative": cumulative, "own": own, "duckdb_statements_by_caller": top}


def show(folded: dict) -> str:
    lines = [f"{'part (cumulative)':<58} {'seconds':>8} {'calls':>7}"]
    lines += [f"{k:<58} {v['seconds']:>8.1f} {v['calls']:>7}" for k, v in folded["cumulative"].items()]
    lines += ["", f"{'builtin (own time)':<58} {'seconds':>8} {'calls':>7}"]
    lines += [f"{k:<58} {v['seconds']:>8.1f} {v['calls']:>7}" for k, v in folded["own"].items()]
    lines += ["", "DuckDB execute/executemany own seconds, by the function that called it:"]
    lines += [f"  {k:<56} {v:>8.1f}" for k, v in folded["duckdb_statements_by_caller"].items()]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path)
    parser.add_argument("--load", type=Path, help="fold this .prof instead of running")
    parser.add_argument("--prof", type=Path, help="keep the raw profile here")
    parser.add_argument("--json", type=Path, help="write the folded figures here")
    args = parser.parse_args(argv)
    if args.load:
        stats = pstats.Stats(str(args.load))
    else:
        if not args.home:
            parser.error("--home or --load")
        from pipelines.cli import main as openbook

        profile = cProfile.Profile()
        code = profile.runcall(openbook, ["--home", str(args.home), "run"])
        if args.prof:
            profile.dump_stats(str(args.prof))
        stats = pstats.Stats(profile)
        if code:
            print(f"openbook run exited {code}", file=sys.stderr)
    folded = fold(stats)
    print(show(folded))
    if args.json:
        args.json.write_text(json.dumps(folded, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
