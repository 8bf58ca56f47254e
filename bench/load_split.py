"""Where raw_ledger's CPU goes: parse_bench's `--load` (scan, parse, and each month written as
load_period writes it) with the CPU seconds (time.process_time: every thread of the process) of each
DuckDB statement added up by its first three words, and of the parse's pieces.

    .venv/bin/python bench/load_split.py --home H

Prints the load's CPU and wall seconds, the statements' count, the largest COMMITs (the one that
checkpoints stands out) and the final CHECKPOINT, then the pieces, largest first.
"""
from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

cpu: collections.Counter = collections.Counter()
commits: list[float] = []


def timed(name: str, function):
    def measured(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            cpu[name] += time.process_time() - started
    return measured


class Measured:
    """A DuckDB connection whose statements' CPU is added up (the loader only executes and registers)."""

    def __init__(self, con) -> None:
        self._con = con

    def execute(self, sql: str, *args):
        started = time.process_time()
        try:
            return self._con.execute(sql, *args)
        finally:
            spent = time.process_time() - started
            key = "sql: " + " ".join(sql.split()[:3])
            cpu[key] += spent
            cpu["sql statements"] += 1
            if key == "sql: COMMIT":
                commits.append(spent)

    def __getattr__(self, name: str):
        return getattr(self._con, name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True, type=Path)
    args = parser.parse_args(argv)

    from assets.ingest import parse, submissions
    from assets.ingest.source_config import load_source_configs
    from warehouse.connection import open_writer

    submissions.parse_submission = timed("parse_submission", parse.parse_submission)
    for name in ("read_table", "_totals", "_with_row_month"):
        setattr(parse, name, timed(f"  {name}", getattr(parse, name)))
    parse.FieldParser.run = timed("  FieldParser.run", parse.FieldParser.run)
    submissions._replace_partition = timed("_replace_partition", submissions._replace_partition)

    configs = load_source_configs(args.home / "config" / "sources")
    files = submissions.scan_inbox(args.home / "inbox", configs)
    with tempfile.TemporaryDirectory() as folder, open_writer(Path(folder) / "bench.duckdb") as con:
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        measured = Measured(con)
        for period in submissions.inbox_periods(files):
            submissions.load_period(measured, files, period, None)
        load_cpu, load_wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
        started = time.process_time()
        con.execute("CHECKPOINT")
        checkpoint = time.process_time() - started
    statements = cpu.pop("sql statements")
    print(f"load: {load_cpu:.2f} CPU s, {load_wall:.2f} wall s, {statements} statements;"
          f" final CHECKPOINT {checkpoint:.2f} CPU s")
    print("largest COMMITs (CPU s):", [round(c, 3) for c in sorted(commits)[-3:]],
          f"median {sorted(commits)[len(commits) // 2]:.3f}" if commits else "")
    small = sum(v for k, v in cpu.items() if k.startswith("sql: ") and k not in ("sql: COMMIT", "sql: INSERT INTO raw_ledger"))
    print(f"{small:8.2f}  sql: every other statement")
    for name, seconds in sorted(cpu.items(), key=lambda item: -item[1])[:20]:
        print(f"{seconds:8.2f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
