"""Where the open book's seconds go: each model's build and each of its checks, in build order,
in one process on a copy of a warehouse (no Dagster), as the `open_book_models` step runs them.

    .venv/bin/python bench/open_book_steps.py --warehouse W.duckdb --home H [--top 25]

W is copied first (W is left as it was), so the same state can be timed again, on main and on a
branch: e.g. the warehouse of a home copied just after a late file's ingest_job run. H is the data
home (the builders read its reference and config folders). CPU seconds (user + system of this
process, DuckDB's threads included) and wall seconds per step, then the data dictionary's row
counts of the same warehouse, given the views' counts the builds took where the code can take them.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Clock:
    def __init__(self):
        self.steps: list[tuple[str, float, float]] = []

    def time(self, label: str, fn, *args):
        cpu, wall = _cpu(), time.perf_counter()
        out = fn(*args)
        self.steps.append((label, _cpu() - cpu, time.perf_counter() - wall))
        return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)

    from analyst import access
    from assets import warehouse_assets as wa
    from warehouse.connection import open_writer
    from warehouse.settings import Paths

    paths = Paths(Path(args.home).resolve())
    clock = Clock()
    with tempfile.TemporaryDirectory(dir=Path(args.warehouse).parent) as tmp:
        db = Path(tmp) / "openbook.duckdb"
        shutil.copyfile(args.warehouse, db)
        start_cpu, start_wall = _cpu(), time.perf_counter()
        with open_writer(db) as con:
            rows = {}
            for name in wa.build_order(set(wa.MODELS)):
                model = wa.MODELS[name]
                if name in wa.BUILDERS:
                    metadata = clock.time(f"{name} build", wa.BUILDERS[name], con, paths)
                else:
                    metadata = clock.time(f"{name} build", wa.build_sql_model, con, model)
                rows[name] = metadata["rows"].value
                for check in wa.CHECKS[name]:
                    result = clock.time(f"{name} {check.name}", check.result, con, name, wa.DOCS[name])
                    if not result.passed:
                        print(f"check failed: {name} {check.name}", file=sys.stderr)
            models = (_cpu() - start_cpu, time.perf_counter() - start_wall)
            try:  # code that takes the views' counts from their builds
                clock.time("data dictionary: row counts (catalog)", lambda: access.catalog(con, view_rows=rows))
            except TypeError:  # code that counts every view again
                clock.time("data dictionary: row counts (catalog)", access.catalog, con)
    print(f"models and checks: {models[0]:.2f} s CPU, {models[1]:.2f} s wall")
    print(f"{'step':<60} {'CPU s':>7} {'wall s':>7}")
    for label, cpu, wall in sorted(clock.steps, key=lambda s: -s[1])[:args.top]:
        print(f"{label:<60} {cpu:7.2f} {wall:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
