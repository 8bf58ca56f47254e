"""raw_ledger and stg_ledger of a whole home again, in-process: every period loaded into a copy of
the home's warehouse whose ledger tables were emptied, the change markers settled, every period
staged. What a full run's two steps do, on the reference data the warehouse already holds, with
the tables kept to compare (EXCEPT ALL) with another tree's.

    cp H/warehouse/openbook.duckdb W && .venv/bin/python bench/reingest.py --home H --warehouse W

Prints CPU seconds (time.process_time: every thread of the process) of the load, the settle, the
staging and the final CHECKPOINT.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EMPTIED = ("raw_ledger", "quarantine", "skipped_rows", "stg_ledger", "load_log", "load_configs", "raw_columns",
           "held_raw_ledger", "held_quarantine", "held_skipped_rows", "held_stg_ledger", "change_markers")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True, type=Path, help="its inbox and config/sources are read")
    parser.add_argument("--warehouse", required=True, type=Path, help="a copy of a warehouse of that home")
    args = parser.parse_args(argv)

    from assets.ingest.source_config import load_source_configs
    from assets.ingest.submissions import inbox_periods, load_period, scan_inbox
    from warehouse import change_markers
    from warehouse.connection import open_writer
    from warehouse.sql_files import run_sql, transaction

    with open_writer(args.warehouse) as con:
        for table in EMPTIED:
            con.execute(f"DELETE FROM {table}")
        con.execute("CHECKPOINT")
        files = scan_inbox(args.home / "inbox", load_source_configs(args.home / "config" / "sources"))
        started, wall = time.process_time(), time.perf_counter()
        for period in inbox_periods(files):
            load_period(con, files, period, "reingest")
        loaded, wall = time.process_time(), time.perf_counter() - wall
        change_markers.settle(con)
        settled = time.process_time()
        for period in inbox_periods(files):
            with transaction(con):
                run_sql(con, "staging/stg_ledger", {"period": period})
        staged = time.process_time()
        con.execute("CHECKPOINT")
        done = time.process_time()
    print(f"load {loaded - started:.2f} CPU s ({wall:.1f} wall); settle {settled - loaded:.2f}; "
          f"staging {staged - settled:.2f}; checkpoint {done - staged:.2f}; total {done - started:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
