"""raw_ledger's work in-process, without Dagster: parse every inbox file, or load every period.

    .venv/bin/python bench/parse_bench.py --home H [--repeat 3] [--load] [--profile out.prof]

`parse`: parse_submission of every inbox file, one after the other (no cache between
repeats). `--load`: load_period of every period into a fresh DuckDB file, which is what the
raw_ledger asset does (scan, parse, write each month as load_period does). Prints seconds of
each repeat and the median, as JSON.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_all(home: Path) -> int:
    from assets.ingest.parse import parse_submission
    from assets.ingest.source_config import load_source_configs, match_config

    configs = load_source_configs(home / "config" / "sources")
    rows = 0
    inbox = home / "inbox"
    for path in sorted(p for p in inbox.rglob("*") if p.is_file()):
        config = match_config(path, inbox, configs)
        if config is not None:
            rows += parse_submission(path, config).rows_read
    return rows


def load_all(home: Path) -> int:
    from assets.ingest import submissions
    from assets.ingest.source_config import load_source_configs
    from warehouse.connection import open_writer

    configs = load_source_configs(home / "config" / "sources")
    submissions._remembered.clear()  # each repeat parses afresh
    files = submissions.scan_inbox(home / "inbox", configs)
    rows = 0
    with tempfile.TemporaryDirectory() as folder, open_writer(Path(folder) / "bench.duckdb") as con:
        for period in submissions.inbox_periods(files):
            rows += sum(o.rows_read for o in submissions.load_period(con, files, period, None))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--load", action="store_true", help="load_period of every period, not only parsing")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the first repeat here")
    args = parser.parse_args(argv)
    work = load_all if args.load else parse_all
    seconds, rows = [], 0
    for repeat in range(args.repeat):
        profiler = cProfile.Profile() if args.profile and repeat == 0 else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        rows = work(args.home)
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        seconds.append(round(time.perf_counter() - started, 2))
    print(json.dumps({"stage": "load" if args.load else "parse", "rows": rows, "seconds": seconds,
                      "median": statistics.median(seconds)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
