"""The ledger lines behind drill pages, read in grouped passes.

A page's lines are a condition over a source (reports/figure_lines.Condition): a WHERE template
with ``$name`` parameters. Read one page at a time, a site of a thousand pages scans the ledger
two thousand times. Conditions with the same source, amount and template differ only in their
parameters, so they are read together: the parameters that differ between them become the
columns of a small relation with one row per page (``drill_asked``), the template is the join
condition from the lines to it, and one GROUP BY GROUPING SETS gives every page's count, sum and
four breakdowns, one top-N aggregate (``min_by`` with a count) every page's largest lines and its
loads. A parameter with the same value on every page stays a bound parameter, so the scan still
filters on it (the period, the financial year).

``read_one`` is the per-page reading (two queries) and the reference the grouped pass is tested
against (tests/reports/test_drill_pass.py); a template used by one page only is read with it. A view
over fct_ledger (WHOLE_SCANS) is scanned whole whatever the condition, so the lines that any of its
templates of one page match are kept once in a temporary table (ONE_PAGE_LINES), and each of those
pages' two queries reads that: one scan of the ledger for all of them, not one or two per page (at 10M
lines a page of fct_contract_payment_lines cost 2.7 CPU s, almost all of it the view's scan).
"""
from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from typing import Any, Callable, Iterator

import duckdb

from reports.figure_lines import Condition
from reports.spec import DRILL_SOURCES, SpecError
from warehouse.sql_files import quote_ident

LINE_COLUMNS = ("partner_name", "period", "cost_centre", "counterparty", "description", "line_type",
                "amount", "source_file", "source_row", "load_id")
# the four breakdowns' columns, in the order of the pages' breakdowns; the service line's column
# is the source's (its name where the source carries one)
GROUPED_BY = ("partner_name", None, "counterparty", "period")
_ALL_ROLLED_UP = 15                      # grouping() of the four columns when all are rolled up
_PARAM_REF = re.compile(r"\$([a-z_][a-z0-9_]*)")
# the relation of the pages' differing parameters (one struct per page) and its own fields
ASKED = "drill_asked"
ASKED_ROWS = "drill_asked_rows"          # the bound parameter holding it
PAGE_ID = "drill_page_id"
PAGE_LIMIT = "drill_page_limit"
DRILL_LINES = "drill_lines"              # the temporary table of one pass's matching lines
CHANGED_LOADS = "drill_changed_loads"    # the loads `matching` asks about
CHANGED_LINES = "drill_changed_lines"    # the temporary table of their lines in one source
ONE_PAGE_LINES = "drill_one_page_lines"  # the temporary table of the lines of a WHOLE_SCANS view's pages read alone
# Views over fct_ledger, which works out each line's financial year (fy_of(period)) before any condition: no
# filter reaches the ledger's scan, so each query of such a view reads the whole ledger (docs/scaling.md). A
# stored table (fct_mh_ledger) and the views over it filter in the scan: read twice, they cost less than a copy.
WHOLE_SCANS = ("fct_ledger", "fct_contract_payment_lines")


@dataclass
class LinesRead:
    """What a page shows of its lines: their count and sum, the (value, lines, sum) groups of each
    breakdown (0-3, as GROUPED_BY), and the largest lines (LINE_COLUMNS), largest first."""
    count: int = 0
    total: Decimal = Decimal(0)
    groups: dict[int, list[tuple[Any, int, Decimal]]] = field(default_factory=lambda: {i: [] for i in range(4)})
    lines: list[tuple] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)    # every load with a line behind the page (reports/drill_reuse.py)

    def add_group(self, keys: tuple, grouping: int, count: int, total: Any) -> None:
        """One row of the grouping-sets query: the grand total, or one value of one breakdown."""
        if grouping == _ALL_ROLLED_UP:
            self.count, self.total = count, Decimal(total)
            return
        i = [_ALL_ROLLED_UP - (1 << (3 - j)) for j in range(4)].index(grouping)
        self.groups[i].append((keys[i], count, Decimal(total)))

    def in_key_order(self) -> "LinesRead":
        """The breakdowns in one order, by key, whatever order the grouped query returned them in (the
        pages sort them again): the same lines read alone or in a pass make an equal read."""
        for values in self.groups.values():
            values.sort(key=lambda g: (g[0] is None, str(g[0])))
        return self


def read_one(con: duckdb.DuckDBPyConnection, cond: Condition, limit: int, service_line: str,
             lines: str | None = None) -> LinesRead:
    """One page's lines, by two queries with the condition's parameters bound: over ``lines``, a table
    holding at least every line of the source the condition matches (``_alone_lines``), else the source."""
    _check_source(cond.source)
    if lines is None and cond.source in WHOLE_SCANS:     # the matching lines kept once: one scan, not two
        with _alone_lines(con, cond.source, [cond]) as kept:
            return read_one(con, cond, limit, service_line, kept)
    source, where, amount, bound = lines or cond.source, cond.where, cond.amount, _json_safe(cond.bound())
    keys = _keys(service_line)
    read = LinesRead()
    for *values, g, n, v, loads in con.execute(
            f"SELECT {keys}, grouping({keys}) AS g, count(*), coalesce(sum({amount}), 0), "
            f"CASE WHEN grouping({keys}) = {_ALL_ROLLED_UP} THEN list(DISTINCT load_id ORDER BY load_id) END "
            f"FROM {source} WHERE {where} "
            f"GROUP BY GROUPING SETS ({', '.join(f'({k})' for k in keys.split(', '))}, ())", bound).fetchall():
        read.add_group(tuple(values), g, n, v)
        read.loads = loads if loads is not None else read.loads
    read.lines = con.execute(
        f"SELECT {_line_columns(amount)} FROM {source} WHERE {where} "
        f"ORDER BY abs({amount}) DESC, load_id, source_row LIMIT {int(limit)}", bound).fetchall()
    return read.in_key_order()


def read_many(con: duckdb.DuckDBPyConnection, asks: list[tuple[Condition, int]],
              service_line_of: Callable[[str], str]) -> list[LinesRead]:
    """Every asked page's lines (condition, lines to list), in the order asked: one grouped pass per
    template (source, amount, WHERE) shared by several pages, ``read_one`` for a template of one (those of
    a WHOLE_SCANS view over the lines all of them match, kept after one scan)."""
    out: list[LinesRead | None] = [None] * len(asks)
    order = sorted(range(len(asks)), key=lambda i: template_of(asks[i][0]))
    alone: list[int] = []
    for template, members in groupby(order, key=lambda i: template_of(asks[i][0])):
        members = list(members)
        if len(members) == 1:
            alone.append(members[0])
            continue
        for i, read in zip(members, _read_group(con, template, [asks[i] for i in members],
                                                service_line_of(template[0]))):
            out[i] = read
    for source, members in groupby(alone, key=lambda i: asks[i][0].source):   # `alone` is in source order
        members = list(members)
        with _alone_lines(con, source, [asks[i][0] for i in members]) as lines:
            for i in members:
                cond, limit = asks[i]
                out[i] = read_one(con, cond, limit, service_line_of(source), lines)
    return out


def batch_of(conds: list[Condition]) -> list[tuple]:
    """What each condition's page is read with by one ``read_many`` call: its template's other pages; a
    page alone in its template over a WHOLE_SCANS view, with every such page of its view (one scan for all)."""
    count = Counter(template_of(c) for c in conds)
    return [(c.source,) if c.source in WHOLE_SCANS and count[template_of(c)] == 1 else template_of(c) for c in conds]


@contextmanager
def _alone_lines(con: duckdb.DuckDBPyConnection, source: str, conds: list[Condition]) -> Iterator[str | None]:
    """A WHOLE_SCANS view's lines matching any of ``conds`` kept in a temporary table (ONE_PAGE_LINES), every
    column as the view has it, so each condition reads there what it reads in the view; None for another source
    (a stored table, whose scan the condition reaches: read twice, it costs less than a copy)."""
    if source not in WHOLE_SCANS:
        yield None
        return
    _check_source(source)
    wheres, bound = [], {}
    for n, cond in enumerate(conds):     # each condition's parameters named apart: $name -> $drill_<n>_name
        wheres.append(_PARAM_REF.sub(lambda m: f"$drill_{n}_{m.group(1)}", cond.where))
        bound |= {f"drill_{n}_{k}": v for k, v in _json_safe(cond.bound()).items()}
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ONE_PAGE_LINES} AS SELECT * FROM {source} "
                f"WHERE {' OR '.join(f'({w})' for w in wheres)}", bound)
    try:
        yield ONE_PAGE_LINES
    finally:
        con.execute(f"DROP TABLE IF EXISTS {ONE_PAGE_LINES}")


def _read_group(con: duckdb.DuckDBPyConnection, template: tuple[str, str, str],
                asks: list[tuple[Condition, int]], service_line: str) -> list[LinesRead]:
    """The pages of one template: the source joined once to their parameters, the lines that match
    kept in a temporary table (DRILL_LINES), then two queries over it."""
    source, amount, where = template
    joined, bound = _asked(template, asks)
    keys = _keys(service_line)
    columns = ", ".join(dict.fromkeys(keys.split(", ") + [c for c in LINE_COLUMNS if c != "amount"]))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {DRILL_LINES} AS SELECT {ASKED}.{PAGE_ID}, {ASKED}.{PAGE_LIMIT}, "
                f"{columns}, {amount} AS amount FROM {source} "
                f"JOIN (SELECT unnest(${ASKED_ROWS}) AS {ASKED}) AS {ASKED}_relation ON ({joined})", bound)
    try:
        reads = [LinesRead() for _ in asks]
        sets = ", ".join(f"({PAGE_ID}, {k})" for k in keys.split(", "))
        for i, *values, g, n, v in con.execute(
                f"SELECT {PAGE_ID}, {keys}, grouping({keys}) AS g, count(*), coalesce(sum(amount), 0) "
                f"FROM {DRILL_LINES} GROUP BY GROUPING SETS (({PAGE_ID}), {sets})").fetchall():
            reads[i].add_group(tuple(values), g, n, v)
        # each page's largest lines (abs(amount) DESC, load_id, source_row, as read_one orders them) kept by
        # min_by's bounded heap per page rather than a window sorting every matching line; and its loads
        widest = max(int(limit) for _, limit in asks)
        line = ", ".join(f"{c} := {c}" for c in LINE_COLUMNS)
        for i, lines, loads in con.execute(
                f"SELECT {PAGE_ID}, list_slice(min_by(struct_pack({line}), (-abs(amount), load_id, source_row), "
                f"{widest}), 1, any_value({PAGE_LIMIT})), list(DISTINCT load_id ORDER BY load_id) "
                f"FROM {DRILL_LINES} GROUP BY {PAGE_ID}").fetchall():
            reads[i].lines = [tuple(x.values()) for x in lines]
            reads[i].loads = loads
    finally:
        con.execute(f"DROP TABLE IF EXISTS {DRILL_LINES}")
    return [read.in_key_order() for read in reads]


def matching(con: duckdb.DuckDBPyConnection, conds: list[Condition], loads: list[str]) -> list[bool]:
    """Whether each condition matches any line of ``loads``: those loads' lines of each source are kept
    once in a temporary table (CHANGED_LINES: the source filtered on load_id, a scan that skips the other
    loads), then one query per template over them."""
    out = [False] * len(conds)
    order = sorted(range(len(conds)), key=lambda i: template_of(conds[i]))
    by_source = groupby(order, key=lambda i: conds[i].source)
    for source, of_source in by_source:
        _check_source(source)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {CHANGED_LINES} AS SELECT * FROM {source} "
                    f"WHERE list_contains(${CHANGED_LOADS}, load_id)", {CHANGED_LOADS: loads})
        try:
            for template, members in groupby(of_source, key=lambda i: template_of(conds[i])):
                members = list(members)
                joined, bound = _asked(template, [(conds[i], 0) for i in members])
                for (i,) in con.execute(
                        f"SELECT DISTINCT {ASKED}.{PAGE_ID} FROM {CHANGED_LINES} AS {source} "
                        f"JOIN (SELECT unnest(${ASKED_ROWS}) AS {ASKED}) AS {ASKED}_relation ON ({joined})",
                        bound).fetchall():
                    out[members[i]] = True
        finally:
            con.execute(f"DROP TABLE IF EXISTS {CHANGED_LINES}")
    return out


def _asked(template: tuple[str, str, str], asks: list[tuple[Condition, int]]) -> tuple[str, dict[str, Any]]:
    """The join condition from a template's lines to its pages' parameters (``ASKED``, one struct per
    page), and the parameters to bind: those the pages share as themselves, the others in ASKED_ROWS."""
    source, _, where = template
    _check_source(source)
    params = [_json_safe(cond.bound()) for cond, _ in asks]
    names = sorted(set(_PARAM_REF.findall(where)))
    if {PAGE_ID, PAGE_LIMIT, ASKED_ROWS, CHANGED_LOADS} & set(names):
        raise SpecError(f"drill-down condition uses a reserved parameter name: {where}")
    varying = {n for n in names if len({repr(p[n]) for p in params}) > 1}
    bound = {n: params[0][n] for n in names if n not in varying}
    bound[ASKED_ROWS] = [{PAGE_ID: i, PAGE_LIMIT: int(limit), **{n: p[n] for n in varying}}
                         for i, (p, (_, limit)) in enumerate(zip(params, asks))]
    joined = _PARAM_REF.sub(lambda m: f"{ASKED}.{quote_ident(m.group(1))}" if m.group(1) in varying
                            else m.group(0), where)
    return joined, bound


def template_of(cond: Condition) -> tuple[str, str, str]:
    """What pages read together in one pass share: the source, the amount and the WHERE template."""
    return (cond.source, cond.amount, cond.where)


def _keys(service_line: str) -> str:
    return ", ".join(k or service_line for k in GROUPED_BY)


def _line_columns(amount: str) -> str:
    return ", ".join(f"{amount} AS amount" if c == "amount" else c for c in LINE_COLUMNS)


def _check_source(source: str) -> None:
    if source not in DRILL_SOURCES:
        raise SpecError(f"drill-down source {source!r} not one of {DRILL_SOURCES}")


def _json_safe(params: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}
