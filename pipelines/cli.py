"""The `openbook` command line."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from analyst.cli import add_analyst_commands
from workbench.cli_mapping import add_mapping_commands
from workbench.cli_counterparties import add_counterparty_commands
from workbench.cli import add_workbench_commands
from warehouse.lake import lake_setting
from warehouse.settings import Paths


def _paths(args) -> Paths:
    if getattr(args, "home", None):
        return Paths(Path(args.home).resolve())
    return Paths.from_env()


def cmd_demo_data(args) -> int:
    from demo.generator import generate_demo

    paths = _paths(args)
    started = time.perf_counter()
    truth = generate_demo(paths.home, seed=args.seed, rows=args.rows)   # the provider alliance included
    files = len(truth.get("files", []))
    print(f"demo system written to {paths.home} ({files} submissions, {time.perf_counter() - started:.1f} s)")
    return 0


# Exit codes of `openbook run` and `openbook report` (README, Command line).
EXIT_OK = 0        # every run loaded or done
EXIT_BLOCKED = 1   # a submission was blocked by its checks; everything else loaded and was published
EXIT_USAGE = 2     # bad arguments or configuration (e.g. --period 2026-13): nothing was run
EXIT_FAILED = 3    # a run failed (see the run's log); nothing it would have changed was published


def cmd_run(args) -> int:
    from assets.partitions import check_period

    if args.period is not None:
        check_period(args.period, "--period")  # before Dagster is even imported
    from pipelines.runner import Runner

    paths = _paths(args)
    started = time.perf_counter()
    runner = Runner(paths)
    summary = runner.run_all(report_period=args.period, everything=args.all, reports=not args.no_reports,
                             progress=lambda msg: print(f"  {msg}", flush=True))
    counts = {status: sum(o.status == status for o in summary.outcomes) for status in ("loaded", "blocked", "failed")}
    # Outcomes are per job and period; one Dagster run can hold several periods' ingest.
    print(f"pipeline finished in {time.perf_counter() - started:.1f} s: {len(summary.steps)} Dagster runs, "
          f"{len(summary.outcomes)} outcomes ({counts['loaded']} loaded, {counts['blocked']} blocked, "
          f"{counts['failed']} failed; run group {runner.run_group})")
    if summary.refused:
        print(f"  {len(summary.refused)} file(s) refused for their period (listed above)")
    _print_where(paths)
    if summary.failed:
        return EXIT_FAILED
    return EXIT_BLOCKED if summary.blocked else EXIT_OK


def cmd_report(args) -> int:
    from assets.partitions import check_period

    check_period(args.period, "--period")
    from pipelines.runner import Runner

    paths = _paths(args)
    runner = Runner(paths)
    runner.check_report_period(args.period)
    ok = runner.run("report_job", args.period,
                    ops={"board_reports": {"config": {"rebuild": True}}} if args.rebuild else None)
    if ok:
        kept = runner.summary.outcomes[-1].detail      # says so when the current reports were kept
        print(f"reports for {args.period}: {paths.reports / args.period}"
              + (f" ({kept}; --rebuild writes them again)" if kept else ""))
        return EXIT_OK
    print(f"{runner.summary.outcomes[-1].line}; the last good reports are untouched", file=sys.stderr)
    return EXIT_FAILED


def cmd_sources_check(args) -> int:
    from assets.ingest.preview import preview

    report, usable = preview(Path(args.config), Path(args.file) if args.file else None,
                             reference_dir=_paths(args).reference)
    print(report)
    # The preview is for people; the exit status tells scripts whether the config is usable
    # (valid, and given a file: parsed, and some line would load into an unblocked month).
    return 0 if usable else 1


def _print_where(paths: Paths) -> None:
    reports = sorted(p for p in paths.reports.glob("20*") if p.is_dir()) if paths.reports.exists() else []
    print("\nWhere things are:")
    lake = lake_setting(paths.home)
    if lake:
        print(f"  warehouse (DuckLake): catalog {lake.catalog}, data {lake.data_path}")
    else:
        print(f"  warehouse (DuckDB): {paths.warehouse}")
    print(f"  analysts' copy:     {paths.published}   (read-only: .venv/bin/openbook sql)")
    print(f"  data dictionary:    {paths.reports / 'dictionary.html'}")
    if reports:
        latest = reports[-1]
        for pack in sorted(latest.glob("*.xlsx")):
            print(f"  board pack:         {pack}")
        print(f"  HTML report:        {latest / 'html' / 'index.html'}")
    print("  Dagster UI:         make ui   (then open http://127.0.0.1:3000)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openbook", description="Open-book mental-health finance analytics")
    parser.add_argument("--home", help="data home (default: $OPENBOOK_HOME or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo-data", help="write the built-in demo system into the data home")
    demo.add_argument("--seed", type=int, default=20261123)
    demo.add_argument("--rows", type=int, default=None, help="scale to about N ledger lines")
    demo.add_argument("--alliance", action="store_true",
                      help="kept for old scripts: the provider alliance's reference data is always written now")
    demo.set_defaults(func=cmd_demo_data)

    run = sub.add_parser("run", help="load everything in the inbox, rebuild the open book, write reports")
    run.add_argument("--period", help="report period YYYY-MM (default: the latest in the inbox)")
    run.add_argument("--all", action="store_true",
                     help="reload reference data and re-run every period's ingest, not only what changed")
    run.add_argument("--no-reports", action="store_true",
                     help="load and publish the warehouse only; leave the board packs and HTML as they are")
    run.set_defaults(func=cmd_run)

    report = sub.add_parser("report", help="write the board packs and HTML for one period")
    report.add_argument("--period", required=True, help="YYYY-MM")
    report.add_argument("--rebuild", action="store_true",
                        help="write the reports even when nothing they are made from changed (else the current ones are kept)")
    report.set_defaults(func=cmd_report)

    sources = sub.add_parser("sources", help="source configs")
    sources_sub = sources.add_subparsers(dest="sources_command", required=True)
    check = sources_sub.add_parser("check", help="validate a source config and preview how a file maps")
    check.add_argument("config")
    check.add_argument("file", nargs="?")
    check.set_defaults(func=cmd_sources_check)
    add_analyst_commands(sub)
    add_workbench_commands(sub)
    add_mapping_commands(sub)
    add_counterparty_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear one-line message for the user, never a traceback
        known = ("SourceConfigError", "SubmissionError", "FileNotFoundError", "SuiteError", "ValueError",
                 "PeriodError", "WarehouseConfigError")
        if type(exc).__name__ in known:
            print(f"openbook: {exc}", file=sys.stderr)
            return EXIT_USAGE
        raise


if __name__ == "__main__":
    sys.exit(main())
