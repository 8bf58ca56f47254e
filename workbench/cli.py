"""The oversight group's workbench commands of the `openbook` CLI: `openbook flags` and `openbook scenario`.

pipelines/cli.py hooks them in with `add_workbench_commands(sub)`.

    openbook flags list [--status new|open|overdue|closed|recurred] [--period YYYY-MM] [--ics ICS]
    openbook flags show <flag_id>
    openbook flags decide <flag_id> --explained "reason"
                                   | --action ["note"] --owner X --due YYYY-MM-DD
                                   | --adjudicated "agreed position"
                                   | --close "reason"
                                   [--by NAME] [--on YYYY-MM-DD]
    openbook scenario list
    openbook scenario compare <name> [--fy 2025-26] [--xlsx FILE] [--lines]

Both read the warehouse read-only (the published copy while a run is writing it) and never change
it: `flags decide` writes only <home>/config/flag_decisions.yaml (atomically); the warehouse's
rpt_flag_register, which the board pack shows, picks the decision up on the next `openbook run`.
Mistakes (unknown flag id, missing reason, bad date, an action due in the past, a bad scenario file)
are one-line messages on stderr with exit status 2, never tracebacks.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from contextlib import contextmanager
from pathlib import Path

from warehouse.settings import Paths

EXIT_USAGE = 2


def _paths(args) -> Paths:
    if getattr(args, "home", None):
        return Paths(Path(args.home).resolve())
    return Paths.from_env()


def _fail(prefix: str, message: str) -> int:
    print(f"{prefix}: {message}", file=sys.stderr)
    return EXIT_USAGE


@contextmanager
def _no_pandas():
    """DuckDB's client imports pandas (seconds) the first time it binds a parameter, only to check
    for pandas values; these commands bind none, so the import is made to fail fast instead."""
    if "pandas" in sys.modules:
        yield
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get("pandas", 0) is None:
            del sys.modules["pandas"]


def _today(args) -> dt.date:
    return getattr(args, "today", None) or dt.date.today()


# ---------------------------------------------------------------------------------------------
# openbook flags
def cmd_flags_list(args) -> int:
    from workbench import flags

    paths = _paths(args)
    try:
        with _no_pandas():
            doc = flags.load_decisions(flags.decisions_path(paths))
            con = flags.live_register(paths, doc, _today(args))
            try:
                rows = flags.register_rows(con, args.status, args.period, args.ics)
                orphans = flags.orphan_decisions(con, doc)
            finally:
                con.close()
    except flags.FlagError as error:
        return _fail("openbook flags", str(error))
    if not rows:
        print("no flags" + (f" with status {args.status}" if args.status else "")
              + (f" first seen by {args.period}" if args.period else ""))
    else:
        print(flags.register_table(rows))
        counts = {}
        for row in rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        print(f"\n{len(rows)} flag{'s' if len(rows) != 1 else ''}: "
              + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    if orphans:
        print(f"note: {flags.decisions_path(paths)} has decisions on flags no longer raised: {', '.join(orphans)}")
    return 0


def cmd_flags_show(args) -> int:
    from workbench import flags

    paths = _paths(args)
    try:
        with _no_pandas():
            con = flags.live_register(paths, today=_today(args))
            try:
                rows = {r["flag_id"]: r for r in flags.register_rows(con)}
            finally:
                con.close()
        if args.flag_id not in rows:
            raise flags.FlagError(flags.unknown_flag_message(args.flag_id, sorted(rows)))
    except flags.FlagError as error:
        return _fail("openbook flags", str(error))
    print(flags.flag_details(rows[args.flag_id]))
    return 0


def cmd_flags_decide(args) -> int:
    from workbench import flags

    paths = _paths(args)
    chosen = [k for k in ("explained", "action", "adjudicated", "close") if getattr(args, k) is not None]
    try:
        if len(chosen) != 1:
            raise flags.FlagError("give one decision: --explained, --action, --adjudicated or --close")
        kind = chosen[0]
        if kind != "action" and (args.owner is not None or args.due is not None):
            raise flags.FlagError("--owner and --due go with --action")
        fields = {"by": args.by, "on": args.on}
        if kind == "explained":
            decision_kind, fields["reason"] = "explained", args.explained
        elif kind == "action":
            decision_kind = "action"
            fields.update(reason=args.action, owner=args.owner, due=args.due)
        elif kind == "adjudicated":
            decision_kind, fields["position"] = "adjudicated", args.adjudicated
        else:
            decision_kind, fields["reason"] = "closed", args.close
        with _no_pandas():
            decision, row = flags.decide(paths, args.flag_id, decision_kind, today=_today(args), **fields)
    except flags.FlagError as error:
        return _fail("openbook flags decide", str(error))
    print(f"recorded on {args.flag_id}: {row['latest_decision_text']} ({decision.by}, {decision.date.isoformat()})")
    print(f"status now: {row['status']}; written to {flags.decisions_path(paths)}")
    print("the board pack shows it after the next `openbook run`")
    return 0


# ---------------------------------------------------------------------------------------------
# openbook scenario
def cmd_scenario_list(args) -> int:
    from workbench import scenarios

    paths = _paths(args)
    names = scenarios.scenario_names(paths)
    if not names:
        print(f"no scenarios yet: write one in {scenarios.scenarios_dir(paths)}/<name>.yaml (see docs/workbench.md)")
        return 0
    for name in names:
        try:
            scenario = scenarios.load_scenario(scenarios.scenario_path(paths, name))
            kinds = ", ".join(c.kind for c in scenario.changes)
            print(f"{name:<30} {scenario.description}  [{kinds}]")
        except scenarios.ScenarioError as error:
            print(f"{name:<30} INVALID: {error}")
    return 0


def cmd_scenario_compare(args) -> int:
    from workbench import scenarios
    from workbench.flags import FlagError

    paths = _paths(args)
    try:
        with _no_pandas():
            run = scenarios.run_named(paths, args.name)
            try:
                fy, as_at, results = scenarios.compare(run, args.fy)
                text = scenarios.comparison_text(run, fy, as_at, results)
                lines = scenarios.overlay_lines(run) if args.lines else []
                written = scenarios.write_xlsx(run, fy, as_at, results, Path(args.xlsx)) if args.xlsx else None
            finally:
                run.close()
    except (scenarios.ScenarioError, FlagError) as error:
        return _fail("openbook scenario", str(error))
    print(text, end="")
    if lines:
        print("\nOverlay ledger lines (tagged load_id scenario:" + args.name + ")")
        for line in lines:
            print(f"  {line['period']}  {line['partner_id']:<8} {line['cost_centre']:<10} {line['service_line']:<22} "
                  f"{line['place_id'] or '-':<10} {line['funding_stream']:<13} {line['line_type']:<11} "
                  f"{line['amount']:>15,.2f}  {line['description']}")
    if written:
        print(f"\nworkbook: {written}")
    return 0


# ---------------------------------------------------------------------------------------------
def add_workbench_commands(sub: argparse._SubParsersAction) -> None:
    """Add `flags` and `scenario` to the openbook command line's subparsers."""
    flags_parser = sub.add_parser("flags", help="the flag register: list flags, record decisions")
    flags_sub = flags_parser.add_subparsers(dest="flags_command", required=True)

    listing = flags_sub.add_parser("list", help="the flags the analytics raise, with their status")
    listing.add_argument("--status", choices=("new", "open", "overdue", "closed", "recurred"))
    listing.add_argument("--period", help="only flags first seen in or before this month (YYYY-MM)")
    listing.add_argument("--ics", help="only flags of this system (e.g. north_weald)")
    listing.set_defaults(func=cmd_flags_list)

    showing = flags_sub.add_parser("show", help="one flag in full, with every decision")
    showing.add_argument("flag_id")
    showing.set_defaults(func=cmd_flags_show)

    decide = flags_sub.add_parser("decide", help="record a decision on a flag")
    decide.add_argument("flag_id")
    # nargs="?" so that a missing reason is our clear one-line message, not argparse's usage dump
    decide.add_argument("--explained", nargs="?", const="", metavar="REASON", help="the flag is explained: why")
    decide.add_argument("--action", nargs="?", const="", metavar="NOTE",
                        help="an action is set (with --owner and --due); optional note")
    decide.add_argument("--owner", help="who owns the action")
    decide.add_argument("--due", help="when the action is due (YYYY-MM-DD)")
    decide.add_argument("--adjudicated", nargs="?", const="", metavar="POSITION", help="the agreed position")
    decide.add_argument("--close", nargs="?", const="", metavar="REASON", help="close the flag: why")
    decide.add_argument("--by", help="who records the decision (default: your user name)")
    decide.add_argument("--on", help="the date of the decision (YYYY-MM-DD, default today)")
    decide.set_defaults(func=cmd_flags_decide)

    scenario = sub.add_parser("scenario", help="rebalancing scenarios compared with the actual position")
    scenario_sub = scenario.add_subparsers(dest="scenario_command", required=True)
    listing = scenario_sub.add_parser("list", help="the scenarios in <home>/config/scenarios/")
    listing.set_defaults(func=cmd_scenario_list)
    comparing = scenario_sub.add_parser("compare", help="a scenario beside the actual position")
    comparing.add_argument("name", help="the scenario's file name without .yaml")
    comparing.add_argument("--fy", help="financial year to compare (default: the year the scenario changes)")
    comparing.add_argument("--xlsx", help="also write the comparison to this workbook")
    comparing.add_argument("--lines", action="store_true", help="also list the overlay ledger lines")
    comparing.set_defaults(func=cmd_scenario_compare)


def build_parser() -> argparse.ArgumentParser:
    """The workbench commands on their own (`python -m workbench.cli ...`), as they are
    under `openbook` once hooked in."""
    parser = argparse.ArgumentParser(prog="openbook", description="The oversight group's workbench")
    parser.add_argument("--home", help="data home (default: $OPENBOOK_HOME or ./data)")
    add_workbench_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
