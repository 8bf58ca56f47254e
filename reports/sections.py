"""Declarative report sections, and the one engine that turns a spec into figures.

A *section* is a table (and optional charts) of one ``rpt_*`` table, shown as a sheet
of the Excel board pack and a page of the HTML site. Adding a section for a new rpt
table is writing a ``Section(...)`` at the bottom of this file and listing it in
``SECTIONS``; neither builder changes. Example (a future plan-vs-actual table):

    PLAN_VS_ACTUAL = Section(
        key="plan-vs-actual", title="Plan vs actual", source="rpt_plan_vs_actual",
        description="Investment plan schemes against ledger spend, FY to date.",
        dims=(Dim("ics_id", "System", "ics"), Dim("scheme_name", "Scheme")),
        values=(
            Measure("plan_ytd", "Plan FY to date", "planned", scope=YTD),
            Measure("actual_ytd", "Actual FY to date", "actual", scope=YTD),
            Derived("slippage", "Slippage", "diff", ("plan_ytd", "actual_ytd")),
        ),
        subtotals=("ics_id",),
        charts=(Chart("slip", "Slippage by scheme", "hbar", x=Dim("scheme_name", "Scheme"),
                      value=Measure("v", "Slippage", "slippage", scope=YTD),
                      x_title="Scheme", y_title="Slippage (£)"),),
    )

How a spec becomes figures (``section_table``): one SQL query over ``source``,
grouped by the dims, each measure an aggregate ``FILTER``ed to its scope (the month,
the previous month, the FY to date, the whole FY, or all rows), restricted to the
system when a single-system pack is asked for and by the spec's own ``where``
fragments. Parameters ($period, $prev_period, $fy, $fy_start, $ics_id) are always
bound, never formatted in. Identifiers in a spec are checked when the spec is made
(shape) and again against the table's columns before the query runs. Rows are then
ordered (the model's order for partner kinds and funding streams, else by label),
subtotalled and totalled in Python with Decimal, and derived columns (movement,
percentage change) are computed on every row, subtotals included.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any, Union

import duckdb

from reports import formatting as f

MONTH, PREV_MONTH, YTD, FY, ALL = "month", "prev_month", "ytd", "fy", "all"
SCOPES = (MONTH, PREV_MONTH, YTD, FY, ALL)
AGGREGATES = ("sum", "min", "max", "avg", "count", "any_value")
CHART_KINDS = ("bar", "stacked_bar", "hbar", "stacked_hbar", "line")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
_PARAMS = ("period", "prev_period", "fy", "fy_start", "ics_id")


class SpecError(ValueError):
    """A section spec is malformed or does not match its rpt table."""


def _ident(name: str, what: str) -> str:
    if not _IDENT.match(name or ""):
        raise SpecError(f"{what} {name!r} is not a plain lower-case SQL identifier")
    return name


# ---------------------------------------------------------------------------
# The spec types
@dataclass(frozen=True)
class Dim:
    """A grouping column of the source table, shown as a text column."""
    key: str
    label: str
    fmt: str = "text"

    def __post_init__(self):
        _ident(self.key, "dim")
        if self.fmt not in f.TEXT_FMTS:
            raise SpecError(f"dim {self.key}: fmt {self.fmt!r} not one of {sorted(f.TEXT_FMTS)}")


@dataclass(frozen=True)
class Measure:
    """An aggregate of a source column over a period scope: agg(column) FILTER (scope)."""
    key: str
    label: str
    column: str
    scope: str = MONTH
    agg: str = "sum"
    fmt: str = "money"
    additive: bool = True     # subtotals add it up (False: subtotal cells left blank)
    show: bool = True         # False: computed (e.g. for a Derived) but not displayed

    def __post_init__(self):
        _ident(self.key, "measure")
        _ident(self.column, f"measure {self.key} column")
        if self.scope not in SCOPES:
            raise SpecError(f"measure {self.key}: scope {self.scope!r} not one of {SCOPES}")
        if self.agg not in AGGREGATES:
            raise SpecError(f"measure {self.key}: agg {self.agg!r} not one of {AGGREGATES}")
        if self.fmt not in f.NUMBER_FMTS:
            raise SpecError(f"measure {self.key}: fmt {self.fmt!r} not one of {sorted(f.NUMBER_FMTS)}")


@dataclass(frozen=True)
class Derived:
    """A value computed from two other values of the same row: a - b, or % change b->a."""
    key: str
    label: str
    op: str                     # "diff" (a - b) | "pct_change" ((a - b) / |b| in %)
    args: tuple[str, str]
    show: bool = True

    def __post_init__(self):
        _ident(self.key, "derived")
        if self.op not in ("diff", "pct_change"):
            raise SpecError(f"derived {self.key}: op {self.op!r} not diff|pct_change")

    @property
    def fmt(self) -> str:
        return "pct" if self.op == "pct_change" else "money"

    @property
    def additive(self) -> bool:
        return False


Value = Union[Measure, Derived]


@dataclass(frozen=True)
class Pivot:
    """Spread one dim's values across columns, showing one measure, plus a total column."""
    on: Dim
    value: str                  # key of a Measure in values
    total_label: str = "Total"


@dataclass(frozen=True)
class Chart:
    """A chart of one measure by a category (x), optionally split into series."""
    key: str
    title: str
    kind: str
    x: Dim
    value: Measure
    x_title: str
    y_title: str
    series: Dim | None = None
    where: tuple[str, ...] = ()
    sort_by_value: bool = False   # categories largest first (else in the dim's own order)

    def __post_init__(self):
        _ident(self.key, "chart")
        if self.kind not in CHART_KINDS:
            raise SpecError(f"chart {self.key}: kind {self.kind!r} not one of {CHART_KINDS}")
        if not self.x_title or not self.y_title:
            raise SpecError(f"chart {self.key}: both axis titles are required")


@dataclass(frozen=True)
class Section:
    key: str                    # slug: HTML page name, element ids
    title: str                  # heading; the sheet name unless sheet_name is given
    source: str                 # an rpt_* table
    dims: tuple[Dim, ...]
    values: tuple[Value, ...]
    description: str = ""
    where: tuple[str, ...] = () # SQL boolean fragments over source; may use $period etc.
    subtotals: tuple[str, ...] = ()   # dim keys, outermost first; a prefix of dims
    total: bool = True
    pivot: Pivot | None = None
    charts: tuple[Chart, ...] = ()
    period_col: str | None = "period"
    fy_col: str | None = "fy"
    system_col: str | None = "ics_id"
    sheet_name: str = ""
    drop_zero_rows: bool = True

    def __post_init__(self):
        if not _SLUG.match(self.key):
            raise SpecError(f"section key {self.key!r} must be a lower-case slug")
        if not self.source.startswith("rpt_"):
            raise SpecError(f"section {self.key}: reports read only rpt_* tables, not {self.source!r}")
        _ident(self.source, f"section {self.key} source")
        for col in (self.period_col, self.fy_col, self.system_col):
            if col is not None:
                _ident(col, f"section {self.key} column")
        keys = [d.key for d in self.dims] + [v.key for v in self.values]
        if len(set(keys)) != len(keys):
            raise SpecError(f"section {self.key}: duplicate column keys {keys}")
        measures = {v.key for v in self.values if isinstance(v, Measure)}
        for v in self.values:
            if isinstance(v, Derived) and not set(v.args) <= measures:
                raise SpecError(f"section {self.key}: {v.key} uses {v.args}, not all measures")
            if isinstance(v, Measure) and self.period_col is None and v.scope in (MONTH, PREV_MONTH, YTD):
                raise SpecError(f"section {self.key}: scope {v.scope} needs a period column")
            if isinstance(v, Measure) and self.fy_col is None and v.scope in (YTD, FY):
                raise SpecError(f"section {self.key}: scope {v.scope} needs an fy column")
        if tuple(self.subtotals) != tuple(d.key for d in self.dims[:len(self.subtotals)]):
            raise SpecError(f"section {self.key}: subtotals {self.subtotals} must be a prefix of the dims")
        if self.pivot is not None:
            if self.pivot.value not in measures:
                raise SpecError(f"section {self.key}: pivot value {self.pivot.value} is not a measure")
            if any(isinstance(v, Derived) for v in self.values):
                raise SpecError(f"section {self.key}: a pivot cannot have derived values")

    @property
    def sheet(self) -> str:
        return self.sheet_name or self.title


RESERVED_SHEETS = ("Cover", "Summary", "Submissions")


def check_sections(sections: tuple[Section, ...]) -> None:
    """The registry as a whole: unique keys, valid and unique sheet names."""
    keys = [sec.key for sec in sections]
    if len(set(keys)) != len(keys):
        raise SpecError(f"duplicate section keys in {keys}")
    seen = {n.casefold() for n in RESERVED_SHEETS}
    for sec in sections:
        sheet = sec.sheet
        if len(sheet) > 31 or _BAD_SHEET.search(sheet) or not sheet.strip() or sheet.startswith("'"):
            raise SpecError(f"section {sec.key}: {sheet!r} cannot be an Excel sheet name "
                            "(at most 31 characters, none of []:*?/\\); give a sheet_name")
        if sheet.casefold() in seen:
            raise SpecError(f"section {sec.key}: sheet name {sheet!r} is already used")
        seen.add(sheet.casefold())


@dataclass(frozen=True)
class ExcelChart:
    """The native chart on the summary sheet: one block's value columns by its first dim."""
    block: str                  # key of a Section in Summary.blocks
    title: str
    x_title: str
    y_title: str


@dataclass(frozen=True)
class Summary:
    title: str
    blocks: tuple[Section, ...]
    excel_chart: ExcelChart | None = None
    charts: tuple[tuple[str, Chart], ...] = ()   # (block key whose source it reads, chart)

    def __post_init__(self):
        keys = {b.key for b in self.blocks}
        for key in [k for k, _ in self.charts] + ([self.excel_chart.block] if self.excel_chart else []):
            if key not in keys:
                raise SpecError(f"summary chart refers to block {key!r}, not one of {sorted(keys)}")
        if self.excel_chart:
            block = next(b for b in self.blocks if b.key == self.excel_chart.block)
            if block.subtotals:      # the chart reads the detail rows as one contiguous range
                raise SpecError(f"the summary chart's block {block.key} cannot have subtotals")


# ---------------------------------------------------------------------------
# What a report is about
@dataclass(frozen=True)
class ReportContext:
    period: str
    ics_id: str | None = None
    run_id: str = ""

    def __post_init__(self):
        f.check_period(self.period)

    @property
    def fy(self) -> str:
        return f.fy_of(self.period)

    @property
    def fy_month(self) -> int:
        return f.fy_month_of(self.period)

    @property
    def prev_period(self) -> str:
        return f.previous_period(self.period)

    @property
    def fy_start(self) -> str:
        return f.fy_start(self.period)

    @property
    def month(self) -> str:
        return f.month_label(self.period)

    @property
    def title(self) -> str:
        return f"Mental health open book — {self.month}"

    def params(self) -> dict[str, Any]:
        return {"period": self.period, "prev_period": self.prev_period, "fy": self.fy,
                "fy_start": self.fy_start, "ics_id": self.ics_id}


def _execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]):
    wanted = set(re.findall(r"\$([a-z_]+)", sql))
    unknown = wanted - set(_PARAMS)
    if unknown:
        raise SpecError(f"unknown SQL parameter(s) {sorted(unknown)}; allowed: {_PARAMS}")
    return con.execute(sql, {k: v for k, v in params.items() if k in wanted})


def _columns_of(con, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    if not rows:
        raise SpecError(f"table {table} does not exist in the warehouse")
    return {r[0] for r in rows}


def _scope_sql(scope: str, period_col: str | None, fy_col: str | None) -> str:
    if scope == MONTH:
        return f"{period_col} = $period"
    if scope == PREV_MONTH:
        return f"{period_col} = $prev_period"
    if scope == YTD:
        return f"({fy_col} = $fy AND {period_col} <= $period)"
    if scope == FY:
        return f"{fy_col} = $fy"
    return "TRUE"


# ---------------------------------------------------------------------------
# Figures
@dataclass
class Column:
    key: str
    label: str
    fmt: str
    is_value: bool              # a number column (money/pct/int) rather than a label


@dataclass
class Row:
    values: dict[str, Any]
    role: str = "detail"        # detail | subtotal | total
    level: int = 0              # for subtotals: index of the dim it totals
    group: tuple = ()           # for subtotals: the raw values of the dims it totals over

    def text(self, col: Column) -> str:
        """Display text of a label column (the subtotal/total wording included)."""
        v = self.values.get(col.key)
        if isinstance(v, _Label):
            return v.text
        return "" if v is None and self.role != "detail" else f.label(v, col.fmt)


@dataclass(frozen=True)
class _Label:
    """A fixed caption in a label column (subtotal and total rows)."""
    text: str


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[Row]
    description: str = ""

    @property
    def label_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.is_value]

    @property
    def value_columns(self) -> list[Column]:
        return [c for c in self.columns if c.is_value]

    @property
    def detail_rows(self) -> list[Row]:
        return [r for r in self.rows if r.role == "detail"]


def _single_system(section: Section, ctx: ReportContext) -> bool:
    return ctx.ics_id is not None and section.system_col is not None


def _effective_dims(section: Section, ctx: ReportContext) -> list[Dim]:
    dims = list(section.dims)
    if _single_system(section, ctx):
        rest = [d for d in dims if d.key != section.system_col]
        if rest:                 # keep it only when it is the block's one dim
            dims = rest
    return dims


def _where(section: Section, ctx: ReportContext, scopes: set[str], extra: tuple[str, ...] = ()) -> str:
    parts = []
    scoped = [_scope_sql(s, section.period_col, section.fy_col) for s in sorted(scopes)]
    if "TRUE" not in scoped:
        parts.append("(" + " OR ".join(scoped) + ")")
    if _single_system(section, ctx):
        parts.append(f"{section.system_col} = $ics_id")
    parts += [f"({w})" for w in section.where + extra]
    return " AND ".join(parts) or "TRUE"


def _check_columns(con, section: Section, needed: set[str]) -> None:
    have = _columns_of(con, section.source)
    missing = sorted(c for c in needed if c is not None and c not in have)
    if missing:
        raise SpecError(f"section {section.key}: {section.source} has no column(s) {missing}")


def section_table(con: duckdb.DuckDBPyConnection, section: Section, ctx: ReportContext) -> Table:
    """Run a section spec: its figures with subtotals, total and derived values."""
    dims = _effective_dims(section, ctx)
    measures = [v for v in section.values if isinstance(v, Measure)]
    pivot = section.pivot
    if pivot is not None and _single_system(section, ctx) and pivot.on.key == section.system_col:
        pivot = None
    group = dims + ([pivot.on] if pivot else [])
    _check_columns(con, section, {d.key for d in group} | {m.column for m in measures}
                   | {section.period_col, section.fy_col}
                   | ({section.system_col} if _single_system(section, ctx) else set()))

    select = [d.key for d in group]
    for m in measures:
        agg = f"{m.agg}({m.column}) FILTER (WHERE {_scope_sql(m.scope, section.period_col, section.fy_col)})"
        if m.additive and m.agg in ("sum", "count"):
            agg = f"coalesce({agg}, 0)"
        select.append(f"{agg} AS {m.key}")
    sql = (f"SELECT {', '.join(select)} FROM {section.source} "
           f"WHERE {_where(section, ctx, {m.scope for m in measures})}"
           + (" GROUP BY ALL" if group else ""))
    cur = _execute(con, sql, ctx.params())
    names = [d[0] for d in cur.description]
    records = [dict(zip(names, r)) for r in cur.fetchall()]

    if pivot is None:
        columns = [Column(d.key, d.label, d.fmt, False) for d in dims] + [
            Column(v.key, v.label, v.fmt, True) for v in section.values if v.show]
        value_keys = [m.key for m in measures]
        additive = {m.key for m in measures if m.additive}
    else:
        pm = next(m for m in measures if m.key == pivot.value)
        on_values = sorted({r[pivot.on.key] for r in records}, key=lambda v: f.sort_key(v, pivot.on.fmt))
        pkeys = [f"p{i}" for i in range(len(on_values))]
        columns = [Column(d.key, d.label, d.fmt, False) for d in dims] + [
            Column(k, f.label(v, pivot.on.fmt), pm.fmt, True) for k, v in zip(pkeys, on_values)]
        columns.append(Column("p_total", pivot.total_label, pm.fmt, True))
        merged: dict[tuple, dict] = {}
        for r in records:
            k = tuple(r[d.key] for d in dims)
            row = merged.setdefault(k, {**{d.key: r[d.key] for d in dims},
                                        **{p: Decimal(0) for p in pkeys}, "p_total": Decimal(0)})
            i = on_values.index(r[pivot.on.key])
            row[pkeys[i]] += r[pm.key] or 0
            row["p_total"] += r[pm.key] or 0
        records = list(merged.values())
        value_keys = pkeys + ["p_total"]
        additive = set(value_keys) if pm.additive else set()

    if section.drop_zero_rows:
        records = [r for r in records if any(r.get(k) not in (None, 0) for k in value_keys)]
    records.sort(key=lambda r: tuple(f.sort_key(r[d.key], d.fmt) for d in dims))

    rows: list[Row] = []
    subtotal_dims = [d for d in dims if d.key in section.subtotals]
    n_sub = len(subtotal_dims)

    def total_of(group_rows: list[dict]) -> dict:
        return {k: (sum((r[k] or 0 for r in group_rows), Decimal(0)) if k in additive else None)
                for k in value_keys}

    def emit(group_rows: list[dict], level: int):
        if level == n_sub:
            rows.extend(Row(dict(r)) for r in group_rows)
            return
        d = subtotal_dims[level]
        start = 0
        while start < len(group_rows):
            end = start
            key = group_rows[start][d.key]
            while end < len(group_rows) and group_rows[end][d.key] == key:
                end += 1
            part = group_rows[start:end]
            emit(part, level + 1)
            vals = {dd.key: part[0][dd.key] for dd in subtotal_dims[:level]}
            vals[d.key] = _Label(f"{f.label(key, d.fmt)} total")
            vals.update(total_of(part))
            rows.append(Row(vals, "subtotal", level,
                            tuple(part[0][dd.key] for dd in subtotal_dims[:level + 1])))
            start = end

    emit(records, 0)
    if section.total and len(records) > 1 and dims:
        vals = {dims[0].key: _Label("Total")}
        vals.update(total_of(records))
        rows.append(Row(vals, "total"))
    for row in rows:
        for v in section.values:
            if isinstance(v, Derived):
                a, b = (row.values.get(k) for k in v.args)
                if v.op == "diff":
                    row.values[v.key] = None if a is None or b is None else a - b
                else:
                    row.values[v.key] = f.pct_change(a, b)
    return Table(section.key, section.title, columns, rows, section.description)


@dataclass
class ChartData:
    chart: Chart
    x_values: list[Any]
    series: list[tuple[Any, list[Decimal]]]   # (series value or None, one value per x)

    def x_labels(self) -> list[str]:
        return [f.label(x, self.chart.x.fmt) for x in self.x_values]

    def series_label(self, s: Any) -> str:
        return self.chart.value.label if self.chart.series is None else f.label(s, self.chart.series.fmt)

    def as_table(self) -> Table:
        """The figures behind the chart, so a reader without the chart sees them too.

        One row per category (x). With series: one column per series plus a total, or,
        when each category falls in a single series (the series only colours it, e.g. a
        partner's kind), a column naming that series and one value column.
        """
        c = self.chart
        xcol = Column("x", c.x.label, c.x.fmt, False)
        n = len(self.x_values)
        if c.series is None or len(self.series) <= 1 or all(
                sum(1 for _, vals in self.series if vals[i]) <= 1 for i in range(n)):
            cols = [xcol]
            if c.series is not None:
                cols.append(Column("s", c.series.label, c.series.fmt, False))
            cols.append(Column("v", c.value.label, c.value.fmt, True))
            rows = []
            for i, x in enumerate(self.x_values):
                hit = [(sv, vals[i]) for sv, vals in self.series if vals[i]] or \
                      [(self.series[0][0] if self.series else None, Decimal(0))]
                rows.append(Row({"x": x, "s": hit[0][0], "v": hit[0][1]}))
        else:
            cols = [xcol] + [Column(f"s{j}", self.series_label(sv), c.value.fmt, True)
                             for j, (sv, _) in enumerate(self.series)]
            cols.append(Column("v", "Total", c.value.fmt, True))
            rows = []
            for i, x in enumerate(self.x_values):
                vals = {f"s{j}": v[i] for j, (_, v) in enumerate(self.series)}
                rows.append(Row({"x": x, **vals, "v": sum(vals.values(), Decimal(0))}))
        if len(rows) > 1:
            tot = {col.key: sum((r.values[col.key] for r in rows), Decimal(0))
                   for col in cols if col.is_value}
            rows.append(Row({"x": _Label("Total"), **tot}, "total"))
        return Table(c.key, c.title, cols, rows)


def chart_data(con: duckdb.DuckDBPyConnection, section: Section, chart: Chart, ctx: ReportContext) -> ChartData:
    m = chart.value
    group = [chart.x] + ([chart.series] if chart.series else [])
    _check_columns(con, section, {d.key for d in group} | {m.column, section.period_col, section.fy_col})
    sql = (f"SELECT {', '.join(d.key for d in group)}, {m.agg}({m.column}) AS v "
           f"FROM {section.source} WHERE {_where(section, ctx, {m.scope}, chart.where)} GROUP BY ALL")
    recs = _execute(con, sql, ctx.params()).fetchall()
    xs = sorted({r[0] for r in recs}, key=lambda v: f.sort_key(v, chart.x.fmt))
    if chart.series is None:
        vals = {r[0]: r[1] for r in recs}
        series = [(None, [vals.get(x) or Decimal(0) for x in xs])] if recs else []
    else:
        ss = sorted({r[1] for r in recs}, key=lambda v: f.sort_key(v, chart.series.fmt))
        vals = {(r[0], r[1]): r[2] for r in recs}
        series = [(s, [vals.get((x, s)) or Decimal(0) for x in xs]) for s in ss]
        series = [(s, v) for s, v in series if any(v)]
    if chart.sort_by_value and series:
        order = sorted(range(len(xs)), key=lambda i: -sum(v[i] for _, v in series))
        xs = [xs[i] for i in order]
        series = [(sv, [v[i] for i in order]) for sv, v in series]
    return ChartData(chart, xs, series)


# ---------------------------------------------------------------------------
# The cover: which submissions the figures rest on
@dataclass
class Submission:
    partner_id: str | None
    partner_name: str
    period: str | None
    file_name: str
    loaded_at: dt.datetime | None
    rows_read: int | None
    rows_loaded: int | None
    rows_quarantined: int | None
    load_status: str
    dq_status: str | None
    error_failures: int | None
    warnings: int | None

    @property
    def in_figures(self) -> bool:
        return self.load_status == "current" and self.dq_status == "passed"

    @property
    def quality(self) -> str:
        if self.load_status == "failed":
            return "Failed to load: not in figures"
        if self.dq_status == "passed":
            w = self.warnings or 0
            return "Passed" if w == 0 else f"Passed ({w} warning{'s' if w != 1 else ''})"
        if self.dq_status == "blocked":
            n = self.error_failures or 0
            return f"Blocked ({n} failed check{'s' if n != 1 else ''}): not in figures"
        return "Not yet checked: not in figures"


@dataclass
class Cover:
    ctx: ReportContext
    systems: list[str]
    data_as_at: dt.datetime | None
    submissions: list[Submission]          # report month's, then earlier, newest period first
    missing: list[str]                     # partner names with no current load this month

    @property
    def this_month(self) -> list[Submission]:
        return [s for s in self.submissions if s.period == self.ctx.period]

    @property
    def earlier(self) -> list[Submission]:
        return [s for s in self.submissions if s.period != self.ctx.period]


# The rpt table that tells which partners (and systems) a pack covers.
PARTNER_SOURCE = "rpt_mh_spend"


def cover(con: duckdb.DuckDBPyConnection, ctx: ReportContext) -> Cover:
    """Systems, data-as-at and the submissions (load_log + dq_load_status) the pack rests on."""
    partners_sql = (f"SELECT partner_id, any_value(partner_name) AS partner_name FROM {PARTNER_SOURCE} "
                    "WHERE ((fy = $fy AND period <= $period) OR period = $prev_period)"
                    + (" AND ics_id = $ics_id" if ctx.ics_id else "") + " GROUP BY partner_id")
    partners = dict(_execute(con, partners_sql, ctx.params()).fetchall())
    if ctx.ics_id:
        systems = [ctx.ics_id]
    else:
        systems = [r[0] for r in _execute(
            con, f"SELECT DISTINCT ics_id FROM {PARTNER_SOURCE} WHERE fy = $fy AND period <= $period "
                 "AND ics_id IS NOT NULL ORDER BY 1", ctx.params()).fetchall()]
    sql = (
        "SELECT l.partner_id, l.period, l.source_file, l.loaded_at, l.rows_read, l.rows_loaded, "
        "l.rows_quarantined, l.status, d.status, d.error_failures, d.warnings "
        "FROM load_log l LEFT JOIN dq_load_status d ON d.load_id = l.load_id "
        "WHERE l.status IN ('current', 'failed') "
        "AND ((l.period >= $fy_start AND l.period <= $period) OR l.period = $prev_period)"
        + (f" AND l.partner_id IN (SELECT partner_id FROM {PARTNER_SOURCE} WHERE ics_id = $ics_id)"
           if ctx.ics_id else ""))
    subs = []
    for (pid, period, src, loaded_at, r_read, r_loaded, r_q, lstatus, dq, errs, warns) in \
            _execute(con, sql, ctx.params()).fetchall():
        subs.append(Submission(pid, partners.get(pid) or pid or "(unknown partner)", period,
                               PurePath(src.replace("\\", "/")).name if src else "",
                               loaded_at, r_read, r_loaded, r_q, lstatus, dq, errs, warns))
    subs.sort(key=lambda s: (-(int((s.period or "0000-00").replace("-", ""))),
                             s.partner_name.casefold(), s.loaded_at or dt.datetime.min))
    used = [s.loaded_at for s in subs if s.load_status == "current" and s.loaded_at]
    have_now = {s.partner_id for s in subs if s.period == ctx.period and s.load_status == "current"}
    missing = sorted((name for pid, name in partners.items() if pid not in have_now), key=str.casefold)
    return Cover(ctx, systems, max(used) if used else None, subs, missing)


# ===========================================================================
# The sections. Add a new rpt table's section here and list it in SECTIONS.
ICS = Dim("ics_id", "System", "ics")
KIND = Dim("partner_kind", "Partner kind", "partner_kind")
PARTNER = Dim("partner_name", "Partner")
SERVICE_LINE = Dim("service_line", "Service line", "code")
MONTH_OF_FY = Dim("period", "Month", "period")

SPEND_MONTH = Measure("month", "This month", "spend", scope=MONTH)
SPEND_PREV = Measure("prev", "Last month", "spend", scope=PREV_MONTH)
SPEND_YTD = Measure("ytd", "FY to date", "spend", scope=YTD)
MOVEMENT = Derived("movement", "Movement", "diff", ("month", "prev"))
MOVEMENT_PCT = Derived("movement_pct", "Movement %", "pct_change", ("month", "prev"))

SPEND_BY_PARTNER = Section(
    key="spend-by-partner",
    title="Spend by partner",
    source="rpt_mh_spend",
    description=("Gross mental-health expenditure by partner and service line, for the month "
                 "and the financial year to date, before eliminating payments between partners."),
    dims=(ICS, KIND, PARTNER, SERVICE_LINE),
    values=(SPEND_MONTH, SPEND_YTD),
    subtotals=("ics_id", "partner_kind"),
    charts=(
        Chart("ytd_by_partner", "FY to date spend by partner", "stacked_hbar",
              x=PARTNER, series=KIND, value=Measure("v", "FY to date", "spend", scope=YTD),
              x_title="Partner", y_title="Spend, FY to date (£)", sort_by_value=True),
    ),
)

SPEND_BY_SERVICE_LINE = Section(
    key="spend-by-service-line",
    title="Spend by service line",
    source="rpt_mh_spend",
    description=("Gross mental-health expenditure by service line across all partners, with "
                 "the movement from last month."),
    dims=(ICS, SERVICE_LINE),
    values=(SPEND_MONTH, SPEND_PREV, MOVEMENT, MOVEMENT_PCT, SPEND_YTD),
    subtotals=("ics_id",),
    charts=(
        Chart("ytd_by_service_line", "FY to date spend by service line", "stacked_hbar",
              x=SERVICE_LINE, series=ICS, value=Measure("v", "FY to date", "spend", scope=YTD),
              x_title="Service line", y_title="Spend, FY to date (£)", sort_by_value=True),
    ),
)

def _count(key: str, label: str, column: str, scope: str = MONTH) -> Measure:
    return Measure(key, label, column, scope=scope, fmt="int")


DATA_QUALITY = Section(
    key="data-quality",
    title="Data quality",
    source="rpt_dq_submissions",
    description=("Each partner's submission for the month: rows received, loaded, set aside "
                 "(quarantined, with the reasons on the next page) and skipped (totals and blank "
                 "rows), and whether it passed its checks. A blocked month is left out of every figure."),
    dims=(ICS, PARTNER, Dim("source_file", "File"), Dim("status", "Status")),
    values=(_count("read", "Rows read", "rows_read"), _count("loaded", "Loaded", "rows_loaded"),
            _count("quarantined", "Set aside", "rows_quarantined"), _count("skipped", "Skipped", "rows_skipped"),
            _count("failed", "Checks failed", "checks_failed"), _count("warnings", "Warnings", "warnings")),
    subtotals=("ics_id",),
    drop_zero_rows=False,
    charts=(
        Chart("set_aside_by_month", "Rows set aside, month by month this financial year", "stacked_bar",
              x=MONTH_OF_FY, series=PARTNER, value=_count("v", "Rows set aside", "rows_quarantined", YTD),
              x_title="Month", y_title="Rows set aside"),
    ),
)

QUARANTINE = Section(
    key="rows-set-aside",
    title="Rows set aside",
    source="rpt_dq_quarantine",
    description=("Rows of this financial year's submissions that were not loaded, by partner, month "
                 "and reason, with the first example: what the partner's finance team should correct."),
    dims=(PARTNER, Dim("period", "Month", "period"), Dim("reason", "Reason"), Dim("example", "Example")),
    values=(_count("rows", "Rows", "rows", YTD),),
    total=True,
)

FAILED_CHECKS = Section(
    key="failed-checks",
    title="Failed checks",
    source="rpt_dq_checks",
    description=("Checks that failed on this financial year's submissions. ERROR checks keep the month "
                 "out of the figures until the partner resubmits; WARN checks are for the partner to confirm."),
    dims=(PARTNER, Dim("period", "Month", "period"), Dim("severity", "Severity"),
          Dim("check_description", "Check"), Dim("sample", "Failing values")),
    values=(_count("rows", "Failing rows", "failing_rows", YTD),),
)

SECTIONS: tuple[Section, ...] = (SPEND_BY_PARTNER, SPEND_BY_SERVICE_LINE, DATA_QUALITY, QUARANTINE, FAILED_CHECKS)

# The summary: headline blocks (each a small Section) and its charts.
_HEADLINE = (SPEND_MONTH, SPEND_PREV, MOVEMENT, MOVEMENT_PCT, SPEND_YTD)
SUMMARY = Summary(
    title="Summary",
    blocks=(
        Section(key="by-system", title="By system", source="rpt_mh_spend",
                description="Total mental-health spend", dims=(ICS,), values=_HEADLINE),
        Section(key="by-partner-kind", title="By partner kind", source="rpt_mh_spend",
                dims=(KIND,), values=_HEADLINE),
        Section(key="ytd-kind-system", title="FY to date by partner kind and system",
                source="rpt_mh_spend", dims=(KIND,), values=(SPEND_YTD,),
                pivot=Pivot(on=ICS, value="ytd")),
    ),
    excel_chart=ExcelChart(block="ytd-kind-system", title="FY to date spend by partner kind",
                           x_title="Partner kind", y_title="Spend, FY to date (£)"),
    charts=(
        ("by-partner-kind",
         Chart("month_by_kind", "Spend by partner kind, month by month this financial year",
               "stacked_bar", x=MONTH_OF_FY, series=KIND,
               value=Measure("v", "Spend", "spend", scope=YTD),
               x_title="Month", y_title="Spend (£)")),
    ),
)
