"""The analysts' commands of the `openbook` CLI: `openbook sql` and `openbook query`.

pipelines/cli.py hooks them in with `add_analyst_commands(sub)`. Both read only the
published copy of the warehouse (analyst/access.py), so they never block a run.

    openbook sql                                   on a terminal: harlequin, read-only
    openbook sql --plain                           the small built-in shell instead
    openbook sql < checks.sql                      statements read from stdin (the built-in shell)
    openbook sql -c "SELECT ..." [--format table|csv|parquet|xlsx|json|md] [-o FILE]
    openbook sql -f query.sql -o result.xlsx
    openbook query --list
    openbook query <name> [--<param> VALUE ...] [--format ...] [-o FILE] [--sql]
"""
from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from warehouse.settings import Paths


def _paths(args) -> Paths:
    if getattr(args, "home", None):
        return Paths(Path(args.home).resolve())
    return Paths.from_env()


def _fail(prefix: str, message: str, code: int) -> int:
    print(f"{prefix}: {message}", file=sys.stderr)
    return code


def _about(con, **extra) -> dict:
    from analyst import access as analyst

    info = analyst.publish_info(con) or {}
    about = {"warehouse": "openbook analysts' warehouse (published copy, read-only)",
             "published at (UTC)": info.get("published_at"), "from run": info.get("run_id")}
    about.update(extra)
    return about


def _written(count: int, output: str | None, fmt: str) -> None:
    if output:
        print(f"{count:,} row{'s' if count != 1 else ''} written to {output} ({fmt})", file=sys.stderr)


def cmd_sql(args) -> int:
    from analyst import access as analyst
    from analyst import sql_shell

    analyst.SKIP_PANDAS_IMPORT = True

    paths = _paths(args)
    one_shot = args.sql_command is not None or args.sql_file is not None
    if not one_shot and (args.output or args.format):
        return _fail("openbook sql", "-o and --format go with -c \"<query>\" or -f <file.sql>", 2)
    try:
        fmt = sql_shell.format_for(args.output, args.format)
        sql = args.sql_command
        if args.sql_file is not None:
            sql = Path(args.sql_file).read_text(encoding="utf-8")
        con = analyst.connect(paths.home)
    except (OSError, ValueError) as exc:
        return _fail("openbook sql", str(exc), 2)
    try:
        if one_shot:
            try:
                count = sql_shell.run_one_shot(con, sql, fmt=fmt, output=args.output,
                                               about=_about(con, source=args.sql_file or "-c"),
                                               width=sql_shell.terminal_width())
            except Exception as exc:   # one line, never a traceback
                return _fail("openbook sql", f"Error: {analyst.friendly_error(exc)}", 1)
            _written(count, args.output, fmt)
            return 0
        on_terminal = sys.stdin.isatty() and sys.stdout.isatty()
        if on_terminal and not args.plain:
            con.close()
            launched = sql_shell.open_in_harlequin(paths.published)
            if launched is not None:
                return launched
            print("openbook sql: harlequin is not installed (make install); using the built-in shell",
                  file=sys.stderr)
            con = analyst.connect(paths.home)
        shell = sql_shell.Shell(con, max_rows=args.max_rows, path=paths.published,
                                width=sql_shell.terminal_width())
        if on_terminal:
            return sql_shell.interactive(shell, banner=sql_shell.banner(con, paths.published))
        return shell.run(sys.stdin)
    finally:
        con.close()


def _list_queries() -> int:
    from analyst import access as analyst

    queries = analyst.saved_queries()
    print(f"Saved queries ({len(queries)}), in {analyst.QUERIES_DIR}:\n")
    for q in queries.values():
        print(q.name)
        print(textwrap.fill(q.description, 92, initial_indent="    ", subsequent_indent="    "))
        if q.params:
            print(textwrap.fill("parameters: " + q.signature, 92, initial_indent="    ",
                                subsequent_indent="        "))
        if q.example:
            print(f"    e.g. {q.example}")
        print()
    print("Run one with: openbook query <name> [--<param> value ...] [--format table|csv|parquet|xlsx|json|md] [-o FILE]")
    return 0


def _query_parser(q) -> argparse.ArgumentParser:
    from analyst.sql_shell import FORMATS

    parser = argparse.ArgumentParser(
        prog=f"openbook query {q.name}", description=q.description,
        epilog=f"e.g. {q.example}" if q.example else None)
    for p in q.params:
        flags = [f"--{p.name}"] + ([f"--{p.name.replace('_', '-')}"] if "_" in p.name else [])
        default = "required" if p.required else f"default: {p.default}"
        parser.add_argument(*flags, dest=p.name, metavar="VALUE", default=None,
                            help=f"{p.note + '; ' if p.note else ''}{default}")
    parser.add_argument("--format", choices=FORMATS, help=FORMAT_HELP)
    parser.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    parser.add_argument("--sql", action="store_true", help="print the query's SQL instead of running it")
    return parser


def cmd_query(args) -> int:
    from analyst import access as analyst
    from analyst import sql_shell

    analyst.SKIP_PANDAS_IMPORT = True

    if args.list or not args.name:
        if args.query_args:
            return _fail("openbook query", "give a query name first: openbook query <name> [--param value ...]", 2)
        return _list_queries()
    try:
        q = analyst.saved_query(args.name)
    except analyst.QueryError as exc:
        return _fail("openbook query", str(exc), 2)
    options = _query_parser(q).parse_args(args.query_args)
    if options.sql:
        print(q.sql, end="" if q.sql.endswith("\n") else "\n")
        return 0
    values = {p.name: getattr(options, p.name) for p in q.params if getattr(options, p.name) is not None}
    paths = _paths(args)
    try:
        fmt = sql_shell.format_for(options.output, options.format)
        bound = q.bind(values)
        con = analyst.connect(paths.home)
    except (OSError, ValueError) as exc:
        return _fail("openbook query", str(exc), 2)
    try:
        q.check_known(con, bound)
    except analyst.QueryError as exc:
        con.close()
        return _fail(f"openbook query {q.name}", str(exc), 2)
    try:
        about = _about(con, query=q.name, **{f"--{k}": ("(default)" if v is None else v) for k, v in bound.items()})
        cursor = analyst.run(con, q.sql, bound)
        count = sql_shell.emit(cursor, fmt, options.output, out=sys.stdout, sql=q.sql, about=about,
                               width=sql_shell.terminal_width())
    except Exception as exc:   # one line, never a traceback
        return _fail(f"openbook query {q.name}", f"Error: {analyst.friendly_error(exc)}", 1)
    finally:
        con.close()
    _written(count, options.output, fmt)
    return 0


FORMAT_HELP = "output format (default: the one -o's extension names, else a table fitted to the terminal)"
OUTPUT_HELP = ("write the result to FILE, in the format its extension names: .csv .parquet .xlsx .json .md "
               "(.txt a text table); another extension needs --format. In .csv and .xlsx, text starting "
               "with = + - @ tab or CR gets a leading ' so a spreadsheet never runs it as a formula")


def add_analyst_commands(subparsers) -> None:
    """Add `sql` and `query` to the `openbook` sub-command parsers (pipelines/cli.py)."""
    from analyst.sql_shell import FORMATS

    sql = subparsers.add_parser(
        "sql", help="SQL on the analysts' read-only warehouse: harlequin, or one query with -c/-f",
        description="SQL on the published, read-only copy of the warehouse. Without -c or -f on a "
                    "terminal: harlequin, DuckDB's terminal SQL IDE, with the copy open read-only "
                    "(--plain for the small built-in shell); with stdin from a file or pipe, its "
                    "statements are run in turn (.help lists the dot commands).")
    source = sql.add_mutually_exclusive_group()
    source.add_argument("-c", "--command", dest="sql_command", metavar="SQL", help="run this SQL and print or save its result")
    source.add_argument("-f", "--file", dest="sql_file", metavar="FILE", help="run the SQL in FILE")
    sql.add_argument("--format", choices=FORMATS, help=FORMAT_HELP)
    sql.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    sql.add_argument("--plain", action="store_true", help="on a terminal, the built-in shell instead of harlequin")
    sql.add_argument("--max-rows", type=int, default=50, metavar="N", help="rows the built-in shell shows per result (default 50)")
    sql.set_defaults(func=cmd_sql)

    query = subparsers.add_parser(
        "query", help="run a saved query (sql/queries/<name>.sql); --list shows them",
        description="Run a saved query on the analysts' warehouse. `openbook query <name> --help` "
                    "shows its parameters.")
    query.add_argument("--list", action="store_true", help="list the saved queries and their parameters")
    query.add_argument("name", nargs="?", help="the saved query")
    query.add_argument("query_args", nargs=argparse.REMAINDER,
                       help="--<param> VALUE ..., --format, -o FILE, --sql (see openbook query <name> --help)")
    query.set_defaults(func=cmd_query)
