"""Drill-down: the ledger lines behind a flagged figure.

Drill-down pages are the one place reports read fct_ tables (fct_ledger and fct_mh_ledger,
see ``spec.DRILL_SOURCES``); every other figure in the packs and the site comes from an
rpt_ table. A flagged row of a detail section names its lines with its ``Drill`` spec: an SQL
condition over the source bound with the row's own keys. A page is bounded: it lists at
most ``spec.DRILL_LIMIT`` lines, the largest first, and states the figure, the sum of
every line behind it, and the number and sum of the lines not shown, so the page reconciles
to the figure whatever its size.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from pathlib import PurePosixPath
from typing import Any, Iterator

import duckdb

from reports import drill_pass, figure_lines
from reports.figure_lines import Condition
from reports.spec import DRILL_LIMIT, Section
from reports.tables import Column, Row, Table

# A figure's page (one not flagged) lists fewer lines than a flag's: there are many more of them,
# and the breakdowns above the lines already explain the figure; the remainder is still stated.
FIGURE_LIMIT = 100
# Each breakdown shows its largest rows; the rest are summed in one row so it adds up to the figure.
BREAKDOWN_ROWS = 12
BREAKDOWNS = (("partner", "Partner"), ("service_line", "Service line"), ("counterparty", "Counterparty"),
              ("period", "Month"))


@dataclass
class Breakdown:
    key: str
    label: str
    rows: list[tuple[Any, int, Decimal]]    # (value, lines, sum)
    rest: int = 0                           # values not shown, summed in one row
    rest_total: Decimal = Decimal(0)
    rest_lines: int = 0

    @property
    def total(self) -> Decimal:
        return sum((r[2] for r in self.rows), Decimal(0)) + self.rest_total


@dataclass
class DrillLine:
    partner_name: str | None
    period: str | None
    cost_centre: str | None
    counterparty: str | None
    description: str | None
    line_type: str | None
    amount: Decimal
    source_file: str | None
    source_row: int | None
    load_id: str | None

    @property
    def file_name(self) -> str:
        """The file as the partner sent it: its path from the inbox (partner folder and name)."""
        if not self.source_file:
            return ""
        path = self.source_file.replace("\\", "/")
        if "/inbox/" in f"/{path}":
            return f"/{path}".split("/inbox/", 1)[1]
        return PurePosixPath(path).name


@dataclass
class DrillPage:
    slug: str                   # file name under drill/, without .html
    title: str
    section: Section
    flag_text: str
    figure_label: str
    figure: Decimal | None
    fmt: str                    # the figure's format (money, money2)
    condition: Condition        # the lines behind the figure
    limit: int                  # how many of them are listed
    # what the lines hold, None until they are read (DrillSet reads every page's at once)
    lines: list[DrillLine] | None = None    # the lines shown, largest first
    line_count: int | None = None           # every line behind the figure
    line_total: Decimal | None = None       # their sum
    facts: dict[str, Any] = field(default_factory=dict)
    breakdowns: list[Breakdown] = field(default_factory=list)
    linked_from: list[tuple[str, str]] = field(default_factory=list)   # (href from the site root, label)
    see_also: list = field(default_factory=list)   # flag_links.Link: other flags and warnings on the same lines
    loads: list[str] = field(default_factory=list)  # every load with a line behind the figure (reports/drill_reuse.py)

    def fill(self, read: drill_pass.LinesRead, service_line_names: dict[str, str] | None = None) -> None:
        """The page's lines as read: count, sum, breakdowns (none when no line) and those listed.
        `service_line_names`: each code's name, where the source carries only the code."""
        self.lines = [DrillLine(*r) for r in read.lines]
        self.line_count, self.line_total = read.count, read.total
        self.loads = read.loads
        self.breakdowns = [_breakdown(key, label, _named(read.groups[i], service_line_names)
                                      if key == "service_line" and service_line_names else read.groups[i],
                                      chronological=(key == "period"))
                           for i, (key, label) in enumerate(BREAKDOWNS)] if read.count else []

    @property
    def shown_total(self) -> Decimal:
        return sum((x.amount for x in self.lines), Decimal(0))

    @property
    def not_shown(self) -> int:
        return self.line_count - len(self.lines)

    @property
    def not_shown_total(self) -> Decimal:
        return self.line_total - self.shown_total

    @property
    def reconciles(self) -> bool:
        return self.figure is not None and self.figure == self.line_total


def slug(section: Section, row: Row, used: set[str]) -> str:
    """A readable, unique file name for a row's drill-down page, from its keys."""
    drill = section.flag.drill
    parts = [section.key] + [str(row.hidden.get(k)) for k in drill.keys if row.hidden.get(k) is not None]
    text = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")[:90].strip("-") or section.key
    name, n = text, 2
    while name in used:
        name, n = f"{text}-{n}", n + 1
    used.add(name)
    return name


def drill_page(con: duckdb.DuckDBPyConnection, section: Section, row: Row, name: str,
               limit: int = DRILL_LIMIT) -> DrillPage:
    """The ledger lines behind one flagged row of a detail section (largest first, at most ``limit``)."""
    return _read_alone(con, _flag_page(section, row, name, limit))


def _flag_page(section: Section, row: Row, name: str, limit: int) -> DrillPage:
    """A flagged row's page, its lines not read yet."""
    drill = section.flag.drill
    value = next(v for v in section.values if v.key == drill.figure)
    return DrillPage(slug=name, title=drill.title(row.facts), section=section,
                     flag_text=row.values.get("flag_text") or "", figure_label=value.label,
                     figure=row.values.get(drill.figure), fmt=value.fmt, facts=row.facts,
                     condition=figure_lines.flag_condition(section, row), limit=limit)


def lines_page(con: duckdb.DuckDBPyConnection, cond: Condition, *, name: str, title: str,
               section: Section, figure_label: str, figure: Decimal | None, fmt: str,
               flag_text: str = "", limit: int = FIGURE_LIMIT, facts: dict | None = None,
               columns: set[str] | None = None) -> DrillPage:
    """The lines behind a figure, read alone: their count and sum, four breakdowns each adding up
    to that sum (one grouping-sets query), and the largest ``limit`` lines."""
    page = DrillPage(slug=name, title=title, section=section, flag_text=flag_text, figure_label=figure_label,
                     figure=figure, fmt=fmt, facts=facts or {}, condition=cond, limit=limit)
    return _read_alone(con, page, columns)


def _read_alone(con: duckdb.DuckDBPyConnection, page: DrillPage, columns: set[str] | None = None) -> DrillPage:
    """The page with its lines read by its own two queries (reports/drill_pass.read_one)."""
    columns = columns if columns is not None else _columns(con, page.condition.source)
    column = _service_line(columns)
    page.fill(drill_pass.read_one(con, page.condition, page.limit, column),
              service_line_names(con) if column == "service_line" else None)
    return page


def _service_line(columns: set[str]) -> str:
    """The column a source's service-line breakdown groups by: the line's name where it carries one."""
    return "service_line_name" if "service_line_name" in columns else "service_line"


def service_line_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each service line's name by its code (dim_service_line): a breakdown over a source that
    carries only the code (fct_ledger) shows the names, as every other table of the reports does.
    None known where the warehouse has no such table (a test's few tables)."""
    try:
        return dict(con.execute("SELECT service_line, service_line_name FROM dim_service_line").fetchall())
    except duckdb.CatalogException:
        return {}


def _named(groups: list[tuple[Any, int, Decimal]], names: dict[str, str]) -> list[tuple[Any, int, Decimal]]:
    """A service-line breakdown's codes as their names (a code with none kept as it is)."""
    return [(names.get(value, value), lines, total) for value, lines, total in groups]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}


def _breakdown(key: str, label: str, groups: list[tuple[Any, int, Decimal]], *, chronological: bool) -> Breakdown:
    """One breakdown, largest first (months in order); past BREAKDOWN_ROWS the rest in one row, so
    the table still adds up to the figure."""
    if chronological:
        groups = sorted(groups, key=lambda g: (g[0] is None, g[0] or ""))
        return Breakdown(key, label, groups)
    groups = sorted(groups, key=lambda g: (-abs(g[2]), str(g[0])))
    shown, rest = groups[:BREAKDOWN_ROWS], groups[BREAKDOWN_ROWS:]
    return Breakdown(key, label, shown, len(rest), sum((g[2] for g in rest), Decimal(0)),
                     sum(g[1] for g in rest))


_SQL_WORDS = {"and", "or", "not", "is", "distinct", "from", "in", "null", "true", "false", "list_contains"}


class DrillSet:
    """Every drill-down page of a site, one per distinct set of lines: two figures with the same
    condition (the open book's net spend of a row and the same figure on the spend page) share a
    page, which lists every place linking to it.

    Registering a figure (``flagged``, ``figure``, ``point``) names its page at once and reads
    nothing; the lines of every page registered are read together, in grouped passes
    (reports/drill_pass.py), when ``pages`` is first asked for after a registration: the site
    links every figure first, then asks for the pages to write them."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self._pages: list[DrillPage] = []
        self._unread: list[DrillPage] = []
        self._by_key: dict[tuple, DrillPage] = {}
        self._used: set[str] = set()
        self._cols: dict[str, set[str]] = {}
        self._names: dict[str, str] | None = None   # service lines' names, read once when first needed

    @property
    def service_line_names(self) -> dict[str, str]:
        """Each service line's name by its code, as this set's pages show them (read once)."""
        if self._names is None:
            self._names = service_line_names(self.con)
        return self._names

    @property
    def pages(self) -> list[DrillPage]:
        """Every page, its lines read."""
        for _ in self.in_turn():
            pass
        return self._pages

    def in_turn(self) -> Iterator[DrillPage]:
        """Every page, those not read yet read one template at a time (the pages one grouped pass
        reads, reports/drill_pass.py; the pages alone in their template over a view scanned whole, all of
        that view's at once: drill_pass.batch_of): a caller that lets go of each page once it is written
        (``let_go``) holds one template's lines at a time, not every page's
        (docs/scaling.md, "Memory: the report job")."""
        unread = {id(p) for p in self._unread}
        yield from (p for p in self._pages if id(p) not in unread)
        batch = dict(zip((id(p) for p in self._unread), drill_pass.batch_of([p.condition for p in self._unread])))
        in_order = sorted(self._unread, key=lambda p: batch[id(p)])
        for _, pages in groupby(in_order, key=lambda p: batch[id(p)]):
            pages = list(pages)
            reads = drill_pass.read_many(self.con, [(p.condition, p.limit) for p in pages],
                                         lambda source: _service_line(self._columns(source)))
            read = {id(p) for p in pages}
            self._unread = [p for p in self._unread if id(p) not in read]
            named = _service_line(self._columns(pages[0].condition.source)) == "service_line"
            for page, lines in zip(pages, reads):
                page.fill(lines, self.service_line_names if named else None)
            del reads
            yield from pages

    def let_go(self, page: DrillPage) -> None:
        """Drop a written page's lines and breakdowns; its count, sum and loads stay (the flags' list
        and the site's record of its pages read them). ``pages`` reads them again if asked."""
        page.lines, page.breakdowns = None, []
        self._unread.append(page)

    @property
    def registered(self) -> list[DrillPage]:
        """Every page registered so far, its lines read or not."""
        return list(self._pages)

    def keep(self, slugs: set[str]) -> None:
        """Leave these pages' lines unread: the site keeps their files from its last build."""
        self._unread = [p for p in self._unread if p.slug not in slugs]

    def flagged(self, section: Section, row: Row) -> DrillPage:
        """A flagged row's page, named from its keys (as before figures had pages of their own)."""
        cond = figure_lines.flag_condition(section, row)
        page = self._by_key.get(cond.key)
        if page is None:
            page = self._add(_flag_page(section, row, slug(section, row, self._used), DRILL_LIMIT))
        return page

    def figure(self, cond: Condition, section: Section, table: Table, row: Row, col: Column,
               linked_from: tuple[str, str]) -> DrillPage | None:
        """The page of a figure's lines; None when the warehouse's lines lack a column the condition
        needs (a cut-down warehouse): the figure is then left unlinked rather than linked wrongly."""
        # the row's labels name the figure; sentences beside it (a status, a definition, the flag) do not
        what = " · ".join(row.text(c) for c in table.label_columns if not c.prose
                          and row.text(c)) or section.title
        return self.point(cond, section, f"{col.label}: {what}", col.label, row.values.get(col.key), col.fmt,
                          linked_from)

    def point(self, cond: Condition, section: Section, title: str, label: str, figure: Any, fmt: str,
              linked_from: tuple[str, str]) -> DrillPage | None:
        """The page of any figure's lines (a table's cell or a chart's point), shared by every
        figure with the same lines; None when the warehouse's lines cannot be read (see figure)."""
        page = self._by_key.get(cond.key)
        if page is None and not self._readable(cond):
            return None
        if page is None:
            name = f"{section.key}-{hashlib.sha1(repr(cond.key).encode()).hexdigest()[:10]}"
            page = self._add(DrillPage(slug=name, title=title, section=section, flag_text="", figure_label=label,
                                       figure=figure, fmt=fmt, condition=cond, limit=FIGURE_LIMIT))
        if linked_from not in page.linked_from:
            page.linked_from.append(linked_from)
        return page

    def _columns(self, source: str) -> set[str]:
        if source not in self._cols:
            self._cols[source] = _columns(self.con, source)
        return self._cols[source]

    def _readable(self, cond: Condition) -> bool:
        # the columns the condition names: not its strings, parameters, subqueries over reference tables
        # (the agency suppliers) or functions
        text = re.sub(r"'[^']*'|\$[a-z_0-9]+|\(SELECT [^()]*\)|\b[a-z_]+\(", " ", cond.where)
        words = set(re.findall(r"\b([a-z_][a-z0-9_]*)\b", text))
        needed = (words - _SQL_WORDS) | {cond.amount}
        subqueried = re.findall(r"\(SELECT [^()]* FROM ([a-z_][a-z0-9_]*)\)", cond.where)
        return needed <= self._columns(cond.source) and all(self._columns(t) for t in subqueried)

    def _add(self, page: DrillPage) -> DrillPage:
        self._by_key[page.condition.key] = page
        self._pages.append(page)
        self._unread.append(page)
        return page
