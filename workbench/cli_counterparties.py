"""`openbook counterparties`: review the counterparty register and record decisions.

    openbook counterparties review [--limit N] [--rules]
    openbook counterparties decide "<name as written>" --class CLASS [--register-id ID] --reason "why"
                                   [--by NAME] [--on YYYY-MM-DD]

`review` classifies the warehouse's counterparties live with the register and the decisions file as
they are now (workbench/counterparties.py, the same functions the dim_counterparty asset runs) and
lists the unknown ones by pounds paid; --rules adds those only a name rule classified. `decide` appends
to <home>/config/counterparty_decisions.csv (atomically); dim_counterparty picks it up on the next
`openbook run`. Mistakes are one-line messages on stderr with exit status 2.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from warehouse.settings import Paths

EXIT_USAGE = 2
DECISIONS = Path("config") / "counterparty_decisions.csv"


def _paths(args) -> Paths:
    return Paths(Path(args.home).resolve()) if getattr(args, "home", None) else Paths.from_env()


def _fail(message: str) -> int:
    print(f"openbook counterparties: {message}", file=sys.stderr)
    return EXIT_USAGE


def live_rows(paths: Paths) -> list[dict]:
    from workbench import counterparties
    from workbench.flags import FlagError, base_database, attach_read_only

    try:
        con = attach_read_only(base_database(paths))
    except FlagError as error:
        raise counterparties.CounterpartyError(str(error)) from None
    try:
        return counterparties.register_rows(con, counterparties.read_register(paths.reference / "counterparties.csv"),
                                            counterparties.read_decisions(paths.home / DECISIONS))
    finally:
        con.close()


def cmd_review(args) -> int:
    from workbench.counterparties import CounterpartyError, review_lines

    try:
        rows = live_rows(_paths(args))
    except CounterpartyError as error:
        return _fail(str(error))
    print("\n".join(review_lines(rows, args.limit, args.rules)))
    return 0


def cmd_decide(args) -> int:
    from workbench.counterparties import CounterpartyError, decide, normalise

    paths = _paths(args)
    try:
        on = dt.date.fromisoformat(args.on).isoformat() if args.on else dt.date.today().isoformat()
    except ValueError:
        return _fail(f"--on {args.on!r} is not a date (YYYY-MM-DD)")
    try:
        known = {normalise(r["counterparty"]) for r in live_rows(paths)}
        if normalise(args.name) not in known:
            raise CounterpartyError(f"no counterparty {args.name!r} in the ledgers (see `openbook counterparties review`)")
        if not args.reason.strip():
            raise CounterpartyError("--reason must say why")
        decide(paths.home / DECISIONS, args.name, args.klass, args.register_id, args.by, on, args.reason)
    except CounterpartyError as error:
        return _fail(str(error))
    print(f"recorded: {args.name} -> {args.klass} ({args.by}, {on}); the next `openbook run` updates dim_counterparty")
    return 0


def add_counterparty_commands(sub) -> None:
    from workbench.counterparties import CLASSES

    parser = sub.add_parser("counterparties", help="the counterparty register: review unclassified, record decisions")
    commands = parser.add_subparsers(dest="counterparties_command", required=True)
    review = commands.add_parser("review", help="unclassified counterparties by pounds paid")
    review.add_argument("--limit", type=int, default=25)
    review.add_argument("--rules", action="store_true", help="also list those only a name rule classified")
    review.set_defaults(func=cmd_review)
    decide = commands.add_parser("decide", help="record who a counterparty is")
    decide.add_argument("name", help="the counterparty as written in the ledger")
    decide.add_argument("--class", dest="klass", required=True, choices=sorted(CLASSES))
    decide.add_argument("--register-id", help="ODS:<code>, GB-CHC-<number> or GB-COH-<number>")
    decide.add_argument("--reason", required=True)
    decide.add_argument("--by", default="analyst")
    decide.add_argument("--on", help="date of the decision (default today)")
    decide.set_defaults(func=cmd_decide)
