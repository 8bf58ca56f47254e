"""`openbook mapping unmapped`: the ledger lines no mapping classifies, grouped by the values a
mapping rule could match, largest pounds first, so the mapping owner writes the rules that
matter first (reference/mapping_rules.csv; see docs/model.md).

    openbook mapping unmapped [--partner P] [--period YYYY-MM] [--by FIELD] [--limit N] [--rules]

Reads the warehouse read-only (the analysts' published copy while a run is writing it); only
current submissions count. --rules prints the keys as mapping_rules.csv lines with the service
line left blank, to fill in and paste. Mistakes are one line on stderr, exit status 2.
"""
from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

from warehouse.plain_text import plural, pounds
from warehouse.settings import Paths

EXIT_USAGE = 2
KEY_FIELDS = ("cost_centre", "expense_type", "counterparty", "description")
DEFAULT_KEY = ("cost_centre", "expense_type", "counterparty")
HEADINGS = {"partner_id": "partner", "cost_centre": "cost centre", "expense_type": "expense type",
            "counterparty": "supplier", "description": "description"}
RULE_COLUMNS = ("partner_id", "priority", "field", "match", "pattern", "service_line", "place_id", "line_type",
                "funding_stream", "scheme_id")


class MappingError(Exception):
    """A mistake on the command line or no warehouse to read: one line for the user."""


def _paths(args) -> Paths:
    if getattr(args, "home", None):
        return Paths(Path(args.home).resolve())
    return Paths.from_env()


def open_read_only(paths: Paths) -> duckdb.DuckDBPyConnection:
    """The warehouse (freshest), else the published copy when a run is writing the warehouse."""
    candidates = [p for p in (paths.warehouse, paths.published) if p.is_file()]
    if not candidates:
        raise MappingError(f"no warehouse in {paths.home}: run `openbook run` first")
    for path in candidates:
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException:
            continue
    raise MappingError(f"the warehouse {paths.warehouse} is busy (a run is writing it) and there is no published copy")


def unmapped_keys(con, key: tuple[str, ...], partner: str | None = None, period: str | None = None) -> list[dict]:
    """Unmapped lines of current submissions grouped by partner and `key`, largest pounds first."""
    for name in key:
        if name not in KEY_FIELDS:  # names are put into the SQL text: only known columns
            raise MappingError(f"--by {name}: expected one of {', '.join(KEY_FIELDS)}")
    columns = ", ".join(f"s.{name}" for name in key)
    rows = con.execute(
        f"SELECT s.partner_id, {columns}, count(*) AS lines, sum(s.amount) AS amount,"
        "        min(s.period) AS first_period, max(s.period) AS last_period"
        " FROM stg_ledger s JOIN load_log l ON l.load_id = s.load_id AND l.status = 'current'"
        " WHERE s.mapped_by = 'unmapped'"
        "   AND ($partner IS NULL OR s.partner_id = $partner) AND ($period IS NULL OR s.period = $period)"
        f" GROUP BY s.partner_id, {columns}"
        f" ORDER BY abs(sum(s.amount)) DESC, count(*) DESC, s.partner_id, {columns}",
        {"partner": partner, "period": period}).fetchall()
    names = ("partner_id", *key, "lines", "amount", "first_period", "last_period")
    return [dict(zip(names, row)) for row in rows]


def _table(keys: list[dict], key: tuple[str, ...], limit: int) -> str:
    shown = keys[:limit]
    header = ["partner_id", *key]
    cells = [[(str(k[c]) if k[c] is not None else "(blank)")[:40] for c in header]
             + [str(k["lines"]), f"{k['amount']:,.2f}",
                k["first_period"] if k["first_period"] == k["last_period"] else f"{k['first_period']}..{k['last_period']}"]
             for k in shown]
    titles = [HEADINGS[c] for c in header] + ["lines", "£", "periods"]
    widths = [max(len(t), *(len(r[i]) for r in cells)) if cells else len(t) for i, t in enumerate(titles)]
    right = {len(header), len(header) + 1}  # numbers align right
    line = lambda values: "  ".join(v.rjust(w) if i in right else v.ljust(w)  # noqa: E731
                                    for i, (v, w) in enumerate(zip(values, widths))).rstrip()
    out = [line(titles), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    if len(keys) > limit:
        rest = keys[limit:]
        out.append(f"... and {len(rest)} more keys: {plural(sum(k['lines'] for k in rest), 'line')}, "
                   f"{pounds(sum((k['amount'] for k in rest), Decimal(0)))} (--limit to see more)")
    return "\n".join(out)


def _rules(keys: list[dict], key: tuple[str, ...], limit: int) -> str:
    """The keys as mapping_rules.csv lines: exact match on the first key field that has a value,
    priority in steps of 10 in pounds order; service line and the rest left for the owner."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RULE_COLUMNS)
    for n, k in enumerate(keys[:limit], start=1):
        field = next((f for f in key if k[f] not in (None, "")), None)
        if field is None:
            continue
        writer.writerow([k["partner_id"], n * 10, field, "exact", k[field], "", "", "expenditure", "", ""])
    return out.getvalue().rstrip("\n")


def cmd_mapping_unmapped(args) -> int:
    if args.period is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.period):
        print(f"openbook mapping unmapped: --period {args.period!r}: expected YYYY-MM, e.g. 2025-06", file=sys.stderr)
        return EXIT_USAGE
    key = tuple(args.by) if args.by else DEFAULT_KEY
    try:
        con = open_read_only(_paths(args))
        try:
            keys = unmapped_keys(con, key, args.partner, args.period)
        finally:
            con.close()
    except (MappingError, duckdb.CatalogException) as error:
        print(f"openbook mapping unmapped: {error}".splitlines()[0], file=sys.stderr)
        return EXIT_USAGE
    if args.rules:
        print(_rules(keys, key, args.limit))
        return 0
    scope = " ".join(filter(None, [f"partner {args.partner}" if args.partner else None,
                                   f"period {args.period}" if args.period else None])) or "all partners and periods"
    if not keys:
        print(f"No unmapped lines ({scope}): every line is classified.")
        return 0
    total = sum((k["amount"] for k in keys), Decimal(0))
    print(f"Unmapped lines (service line 'unclassified'), {scope}: {len(keys)} keys, "
          f"{plural(sum(k['lines'] for k in keys), 'line')}, {pounds(total)}. Largest first; add rules to "
          "reference/mapping_rules.csv (--rules prints them ready to fill in).")
    print(_table(keys, key, args.limit))
    return 0


def add_mapping_commands(sub: argparse._SubParsersAction) -> None:
    mapping = sub.add_parser("mapping", help="mapping of ledger lines to service lines")
    mapping_sub = mapping.add_subparsers(dest="mapping_command", required=True)
    unmapped = mapping_sub.add_parser(
        "unmapped", help="lines no mapping classifies, by partner and key, largest pounds first")
    unmapped.add_argument("--partner", help="one partner id (default: all)")
    unmapped.add_argument("--period", help="one month YYYY-MM (default: all)")
    unmapped.add_argument("--by", action="append", choices=KEY_FIELDS,
                          help="group by this field (repeat for several; default: cost_centre, expense_type, counterparty)")
    unmapped.add_argument("--limit", type=int, default=40, help="keys shown (default 40)")
    unmapped.add_argument("--rules", action="store_true", help="print the keys as mapping_rules.csv lines to fill in")
    unmapped.set_defaults(func=cmd_mapping_unmapped)
