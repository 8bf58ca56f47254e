"""Run openbook in this process with a pause planted at a chosen point, so a test can kill
it there with SIGKILL. Nothing in the project changes: the pause wraps module functions
that the real code calls at that point. Usage:

    python tests/reliability/faulty_openbook.py --pause-at POINT --marker FILE [--skip N] -- ARGS

ARGS are `openbook` arguments (e.g. `--home H run`), or `load-period H PERIOD`, which
loads one period's inbox files the way the raw_ledger asset does, or `write-reports H
PERIOD`, which writes the period's reports the way the board_reports asset does; these
two skip Dagster's start-up, to keep the tests quick.
When the pause is reached, FILE is written (saying where) and the process sleeps until
killed. POINT is one of:

  load          inside a partner-period's load transaction: the old rows deleted and the
                new ones inserted, the load_log row and COMMIT not yet done;
  report-build  reports half built: board packs written, HTML not yet;
  report-swap   the new reports just made live, the old version not yet removed.
--skip N lets the first N arrivals at the point pass.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def pause(marker: Path, where: dict) -> None:
    marker.write_text(json.dumps(where))
    while True:
        time.sleep(60)


def plant(point: str, marker: Path, skip: int) -> None:
    arrivals = {"n": 0}

    def arrive(where: dict) -> None:
        arrivals["n"] += 1
        if arrivals["n"] > skip:
            pause(marker, where)

    if point == "load":
        from assets.ingest import submissions

        replace, now = submissions._replace_partition, submissions._now
        current: dict = {}

        def replace_partition(con, item, parsed, *args, **kwargs):
            current["item"] = (parsed.partner_id, parsed.period, str(item.path))
            try:
                return replace(con, item, parsed, *args, **kwargs)
            finally:
                current.clear()

        def now_in_transaction():
            # _now() is called for the load_log row: every DELETE and INSERT before it has run.
            if current:
                partner_id, period, path = current["item"]
                arrive({"partner_id": partner_id, "period": period, "file": path})
            return now()

        submissions._replace_partition, submissions._now = replace_partition, now_in_transaction
    elif point in ("report-build", "report-swap"):
        from assets import report_assets

        if point == "report-build":
            build_html = report_assets.build_html_site

            def build_html_site(con, period, out_dir, **kwargs):
                arrive({"period": period, "folder": str(out_dir.parent)})
                return build_html(con, period, out_dir, **kwargs)

            report_assets.build_html_site = build_html_site
        else:
            remove, calls = report_assets._remove_versions, {"n": 0}

            def remove_versions(reports_home, period, keep):
                calls["n"] += 1
                if calls["n"] % 2 == 0:  # the second call of a write_reports: just after the swap
                    arrive({"period": period, "live": str(keep)})
                return remove(reports_home, period, keep)

            report_assets._remove_versions = remove_versions
    else:
        raise SystemExit(f"unknown pause point {point!r}")


def load_period(home: Path, period: str) -> int:
    from assets.ingest.source_config import load_source_configs
    from assets.ingest.submissions import load_period, scan_inbox
    from warehouse.sql_files import run_sql
    from warehouse.settings import Paths
    from warehouse.connection import open_writer

    paths = Paths(home)
    configs = load_source_configs(paths.source_configs)
    files = scan_inbox(paths.inbox, configs)
    with open_writer(paths.warehouse) as con:
        outcomes = load_period(con, files, period, "load-period")
        run_sql(con, "staging/stg_ledger", {"period": period})
    print(json.dumps([o.status for o in outcomes]))
    return 0


def write_reports(home: Path, period: str) -> int:
    import os

    from assets.report_assets import write_reports as write
    from warehouse.settings import Paths
    from warehouse.connection import open_writer

    from assets import report_inputs

    # a new set each time, as a run after a change writes one: the swap is under test, not the
    # keeping of an unchanged set
    report_inputs.unchanged = lambda con, version: False
    paths = Paths(home)
    with open_writer(paths.warehouse) as con:
        print(write(con, period, paths.reports, f"write-reports-{os.getpid()}"))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pause-at")
    parser.add_argument("--marker", type=Path)
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    if options.pause_at:
        plant(options.pause_at, options.marker, options.skip)
    if args[:1] == ["load-period"]:
        return load_period(Path(args[1]), args[2])
    if args[:1] == ["write-reports"]:
        return write_reports(Path(args[1]), args[2])
    from pipelines.cli import main as openbook

    return openbook(args)


if __name__ == "__main__":
    sys.exit(main())
