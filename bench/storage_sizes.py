"""Bytes on disk per ledger line, on both paths, for the national sizing
(bench/national_sizing.py): the demo generated at each size, `openbook run`, then the
same inbox run again with the warehouse on a DuckLake (bench/stages.py lake: a DuckDB catalog
file and Parquet files).

    .venv/bin/python bench/storage_sizes.py --sizes 40000 1000000 --json docs/bench/storage-DATE.json

Sizes from about 40,000 lines (the demo's default): much smaller demos fail their own
budget facts (demo/budgets.py). Two sizes, because a small warehouse is mostly fixed overhead (reference tables, check
results, DuckDB's block allocation): the sizing takes the growth between them per line.
Sizes are apparent bytes of the files (du -b), after the processes have closed them.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from run_bench import openbook, py  # noqa: E402

STAGES = ROOT / "bench" / "stages.py"


def tree_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def measure(rows: int, work: Path, seed: int) -> dict:
    home, lake = work / f"home-{rows}", work / f"lake-{rows}"
    run = lambda argv: subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, text=True)  # noqa: E731
    generated = json.loads(run(py(str(STAGES), "generate", "--home", str(home), "--rows", str(rows),
                                  "--seed", str(seed))).stdout.strip().splitlines()[-1])
    inbox = tree_bytes(home / "inbox")
    run(openbook("--home", str(home), "run"))
    loaded = json.loads(run(py(str(STAGES), "lake", "--home", str(home), "--lake", str(lake)))
                        .stdout.strip().splitlines()[-1])
    result = {"rows": generated["rows"], "files": generated["files"], "partitions": loaded["partitions"],
              "inbox_bytes": inbox,
              "warehouse_bytes": tree_bytes(home / "warehouse" / "openbook.duckdb"),
              "published_bytes": tree_bytes(home / "published"),
              "dagster_sqlite_bytes": tree_bytes(home / "dagster"),
              "reports_bytes": tree_bytes(home / "reports"),
              "lake_parquet_bytes": tree_bytes(lake / "lake" / "data"),
              "lake_catalog_bytes": tree_bytes(lake / "lake" / "openbook.ducklake"),
              "lake_published_bytes": tree_bytes(lake / "published")}
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(lake, ignore_errors=True)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=20261123)  # bench/run_bench.py's
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="openbook-storage-"))
    try:
        results = [measure(rows, work, args.seed) for rows in sorted(args.sizes)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for r in results:
        print(json.dumps(r))
    if args.json:
        args.json.write_text(json.dumps({"sizes": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
