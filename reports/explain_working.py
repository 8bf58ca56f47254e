"""The vocabulary of an explain page's working (reports/figure_explain.py builds the pages): the terms added
up, the scaling and rounding, the reference rows behind them with their file and line, the ledger lines
behind a term, and the units a rate or a median is taken over. Each kind of figure's explainer (in
figure_explain.py, explain_peers.py, explain_payer.py) is a function from ``At`` (the figure's row) to an
``Explanation``; the helpers here read the row's figures and the reference rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any, Callable, Mapping

import duckdb

from reports.figure_lines import Condition
from reports.spec import Measure, Section
from reports.tables import Row, Table


@dataclass(frozen=True)
class Source:
    """The reference row a term was read from: its table, the file it was loaded from and the file's
    line (header = line 1), and the row's columns as shown."""
    table: str
    file: str | None
    line: int | None
    fields: tuple[tuple[str, Any], ...]
    sheet: str | None = None         # a workbook's sheet: the line is the sheet's row

    @property
    def file_text(self) -> str:
        """The file (and a workbook's sheet) as a reader opens it."""
        where = self.file or self.table
        return f"{where}, sheet {self.sheet}" if self.sheet else where

    @property
    def where(self) -> str:
        """Where the row is: 'contracts.csv, line 4', 'Register.xlsx, sheet Contracts, row 7'."""
        if not self.line:
            return self.file_text
        return f"{self.file_text}, {'row' if self.sheet else 'line'} {self.line}"




@dataclass
class Term:
    label: str
    value: Decimal
    sign: int = 1                    # +1 added, -1 taken off
    column: str | None = None        # a figure of the row: its link is the term's
    href: str | None = None          # the page behind the term (lines or an explanation)
    source: Source | None = None
    fmt: str = "money2"
    lines: Condition | None = None   # the ledger lines summing to the term: linked to their drill page
    explained_by: str | None = None  # another figure's explain page (its identity): linked to it
    working: "Explanation | None" = None   # how the term is made, when no table shows it (a baseline): the page
                                           # of identity ``explained_by`` is made from it
    figure_of: tuple[str, str, tuple[tuple[str, Any], ...]] | None = None  # another table's figure (section key,
                                           # value key, row keys it has): linked to that figure's explain page


@dataclass
class Listing:
    """The units a figure is taken over (the peers of a rate, the like contracts of a median), one row each,
    with a note beside the rows that make the figure ("the median: the middle of 7")."""
    caption: str
    columns: tuple[tuple[str, str], ...]          # (label, fmt)
    rows: list[tuple[tuple[Any, ...], str]]       # (values, note)
    why: str = ""


@dataclass
class Explanation:
    rule: str                        # the arithmetic in words
    terms: list[Term]
    times: Decimal = Decimal(1)      # the sum of the terms × times ÷ per, rounded half up to ``places``
    per: Decimal = Decimal(1)
    places: str = "0.01"
    floor: Decimal | None = None     # the result is at least this (an over-run is never negative)
    by: str = ""                     # what times and per are, in words ("× 100 ÷ the system's net spend")
    per_href: str | None = None      # the page behind the divisor, when it is a figure with one
    times_fmt: str = "number"        # "money" when the multiplier or the divisor is pounds
    per_fmt: str = "number"
    sources: list[Source] = field(default_factory=list)   # reference rows behind times and per
    rounded: bool = False            # rounded to ``places`` though not scaled (a difference of unrounded rates)
    definition: str = ""             # what the figure counts (net or gross, which view, what is left out)
    listing: Listing | None = None
    factors: list[Term] = field(default_factory=list)   # the multiplier or divisor as figures of their own
                                                         # (a sum of ledger lines), each linked to its page
    root: bool = False               # the square root of the sum, before the rounding (a standard deviation from
                                     # its variances)

    @property
    def total(self) -> Decimal:
        return sum((t.sign * t.value for t in self.terms), Decimal(0))

    @property
    def scaled(self) -> bool:
        return self.times != 1 or self.per != 1 or self.rounded or self.root

    @property
    def result(self) -> Decimal:
        value = self.total
        if self.scaled:
            value = value * self.times / self.per
            if self.root:
                value = value.sqrt(Context(prec=40))
            value = value.quantize(Decimal(self.places), rounding=ROUND_HALF_UP)
        if self.floor is not None:
            value = max(value, self.floor)
        return value


@dataclass
class At:
    """The figure being explained: its row of its section's table (facts: every value, hidden keys too),
    and the month the site reports (the rows of an rpt table that holds the year to date at each month)."""
    con: duckdb.DuckDBPyConnection
    section: Section
    table: Table
    row: Row
    period: str | None = None
    # what the workings of several figures of one set read alike (a system's spend coded to no place, shared by
    # all its places' pages), read once: key -> value, kept by the ExplainSet
    shared: dict = field(default_factory=dict)

    @property
    def facts(self) -> dict[str, Any]:
        return self.row.facts

    def once(self, key: tuple, read: Callable[[], Any]) -> Any:
        """``read()``'s value, read the first time ``key`` is asked for in the set."""
        if key not in self.shared:
            self.shared[key] = read()
        return self.shared[key]

    def ref_rows(self, table: str, fields: tuple[str, ...], where: str, params: list[Any],
                 order: str) -> list[Source]:
        """ref_rows on this figure's connection, the table's file looked up once in the set (the workings of a
        build cite a few reference tables hundreds of times)."""
        return ref_rows(self.con, table, fields, where, params, order,
                        loaded_from=self.once(("ref_file", table), lambda: ref_file(self.con, table)))


Explainer = Callable[[At], "Explanation | None"]


# ---------------------------------------------------------------------------
# Reference rows
def ref_file(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str | None, str | None, list[int] | None]:
    """The file the table was last loaded from (ref_load_log), the workbook's sheet and the sheet's row of each
    of the table's rows (a workbook source), or Nones when the log is not there (or predates the rows)."""
    try:
        # the description is read from what execute returned: the connection may be a wrapper that records queries
        result = con.execute("SELECT * FROM ref_load_log WHERE table_name = ? AND status = 'accepted' "
                             "ORDER BY loaded_at DESC LIMIT 1", [table])
        row = result.fetchone()
        names = [d[0] for d in result.description]
    except duckdb.Error:
        return None, None, None
    if row is None:
        return None, None, None
    got = dict(zip(names, row))
    return got["source_file"], got.get("sheet"), got.get("source_rows")


def ref_rows(con: duckdb.DuckDBPyConnection, table: str, fields: tuple[str, ...], where: str,
             params: list[Any], order: str, loaded_from: tuple | None = None) -> list[Source]:
    """Reference rows with where they came from. A CSV file is loaded in file order, so a row's place in
    the table is its line in the file (after the header); a workbook's rows are at the sheet rows the load
    recorded; else the line is not known. ``loaded_from``: the table's ref_file, when already read."""
    file, sheet, rows_at = loaded_from if loaded_from is not None else ref_file(con, table)
    csv = bool(file) and file.lower().endswith(".csv")
    recs = con.execute(f"SELECT rowid, {', '.join(fields)} FROM {table} WHERE {where} ORDER BY {order}",
                       params).fetchall()

    def line(rowid: int) -> int | None:
        if csv:
            return rowid + 2
        return rows_at[rowid] if rows_at and rowid < len(rows_at) else None
    return [Source(table, file, line(r[0]), tuple(zip(fields, r[1:])), sheet if not csv else None) for r in recs]


def field_of(source: Source, name: str) -> Any:
    return dict(source.fields)[name]


# ---------------------------------------------------------------------------
# The row's figures
def label_of(section: Section, key: str) -> str:
    return next(v.label for v in section.values if v.key == key)


def in_sentence(label: str) -> str:
    """A column label inside a sentence: its first letter lowered unless it starts an acronym
    ("Plan to date" -> "plan to date", "MHIS spend" stays)."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def figure(at: At, key: str, sign: int = 1) -> Term:
    fmt = next(v.fmt for v in at.section.values if v.key == key)
    return Term(label_of(at.section, key), Decimal(at.facts.get(key) or 0), sign, column=key, fmt=fmt)


def subtotal_below(at: At) -> Row | None:
    """The first subtotal below a detail row: the group (a system) it adds up into. A one-system pack's table has
    no System column and so no system subtotals: its total is the system's."""
    rows = at.table.rows
    if not any(r.role == "subtotal" for r in rows):
        return next((r for r in rows if r.role == "total"), None)
    return next((r for r in rows[rows.index(at.row) + 1:] if r.role == "subtotal" and r.level == 0), None)


def value_key(section: Section, column: str) -> str:
    """The key of the section's value over an rpt column of the same name (annual_budget, annual_cap)."""
    return next((v.key for v in section.values if isinstance(v, Measure) and v.column == column), column)


def beside(link: str) -> str:
    """A link from the site's root (drill/..., explain/...) as an explain page, one folder down, writes it."""
    return "../" + link


def rounded_to(fmt: str, places: str) -> str:
    """What a working rounds to, in words: the penny (money to 0.01), else its decimal places."""
    if fmt in ("money", "money2") and places == "0.01":
        return "the penny"
    n = len(places) - 2
    return f"{n} decimal place{'s' if n != 1 else ''}"


def half_up(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def row_keys(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The row's keys as JSON can hold them (what a test needs to find the figure again)."""
    return {k: (str(v) if not isinstance(v, (str, int, type(None))) else v) for k, v in facts.items()
            if not isinstance(v, Decimal) and k not in ("flag_text",)}


def page_identity(section_key: str, value_key: str, role: str, keys: Mapping[str, Any]) -> str:
    """What makes a figure one page: its section, its value and its row's keys (the same figure shown in
    two places shares a page; another figure's explanation names a term's page by it)."""
    return json.dumps([section_key, value_key, role, keys], sort_keys=True, default=str)
