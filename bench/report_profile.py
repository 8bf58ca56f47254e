"""One period's report build, timed and profiled in this process.

    .venv/bin/python bench/report_profile.py --home DATA_HOME --period YYYY-MM --out DIR [--profile FILE]
        [--before BEFORE_HOME]

Builds every report of the period (the board packs and the HTML site, as the report job's
`write_reports` with rebuild) from a copy of the home's warehouse into DIR/reports, with a fixed
run id, so two builds can be compared file by file (bench/compare_reports.py). With --before, the
build timed is the report job after a late file: BEFORE_HOME's warehouse (the one before the file
came) is built first, untimed, then the home's beside it as the job builds it (not rebuild: what did
not change is kept from the first build). Prints wall and
CPU seconds, and with --profile writes the cProfile stats and prints where the time went (wall
seconds under the profiler, parts overlapping: the drill pages' reading is queries too): the
warehouse's queries, the workbooks, the site's pages by kind, and the files' writing.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from assets.report_assets import write_reports  # noqa: E402
from warehouse.settings import Paths  # noqa: E402

# (part, module path fragment and function name): each part's cumulative time in the profile
PARTS = (
    # DuckDB's own time shows under the report connection's execute (its C++ methods are not profiled)
    ("warehouse queries (report_inputs.Recording.execute)", ("report_inputs.py", "execute")),
    ("  parsing them for the tables they read", ("model_graph.py", "tables_read")),
    ("board packs: build_board_pack", ("excel_pack.py", "build_board_pack")),
    ("  Transactions sheet", ("excel_transactions.py", "write_transactions")),
    ("  save (excel_streamed.save)", ("excel_streamed.py", "save")),
    ("  Explain sheets", ("excel_explain.py", None)),
    ("section tables (both packs and site)", ("section_figures.py", "section_table")),
    ("HTML site: build_html_site", ("html_site.py", "build_html_site")),
    ("  drill pages read (DrillSet passes)", ("drill_pass.py", None)),
    ("  explain workings (ExplainSet.link)", ("figure_explain.py", "link")),
    ("  which drill pages to keep (drill_reuse.plan)", ("drill_reuse.py", "plan")),
    ("  explain pages rendered", ("html_site.py", "_explain_body")),
    ("  drill pages rendered", ("html_site.py", "_drill_body")),
    ("  section pages rendered", ("html_site.py", "_section_body")),
    ("  plotly figures", ("plotly/", None)),
    ("file writes (_write, fsync)", ("html_site.py", "_write")),
)


def _cumulative(stats: pstats.Stats, where: str, name: str | None) -> float:
    """The cumulative time of the functions matching (file fragment, name), counting no call
    twice: only entries none of whose callers match too."""
    total = 0.0
    for (file, _, func), (_, _, _, cum, callers) in stats.stats.items():
        if where not in file or (name is not None and func != name):
            continue
        if any(where in c[0] and (name is None or c[2] == name) for c in callers):
            continue
        total += cum
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--period", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--profile")
    parser.add_argument("--before", help="a home whose warehouse is built first: the time is then a late file's")
    args = parser.parse_args()
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory(dir=out) as scratch:
        if args.before:
            db = Path(scratch) / "before.duckdb"
            shutil.copyfile(Paths(Path(args.before)).warehouse, db)
            with duckdb.connect(str(db)) as con:
                write_reports(con, args.period, out / "reports", run_id="report-profile", rebuild=True)
            db.unlink()
        db = Path(scratch) / "openbook.duckdb"
        shutil.copyfile(Paths(Path(args.home)).warehouse, db)   # the home is only read
        con = duckdb.connect(str(db))
        profiler = cProfile.Profile() if args.profile else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        written = write_reports(con, args.period, out / "reports", run_id="report-profile",
                                rebuild=not args.before)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        con.close()
    print(f"reports for {args.period}: {wall:.1f} s wall, {cpu:.1f} s CPU -> {written.folder}")
    if profiler:
        profiler.dump_stats(args.profile)
        stats = pstats.Stats(args.profile)
        for label, (where, name) in PARTS:
            print(f"  {label:<58} {_cumulative(stats, where, name):7.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
