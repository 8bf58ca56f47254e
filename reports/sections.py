"""Declarative report sections, and the one engine that turns a spec into figures.

A *section* is a table (and optional charts) of one ``rpt_*`` table, shown as a sheet
of the Excel board pack and a page of the HTML site. Adding a section for a new rpt
table is writing a ``Section(...)`` at the bottom of this file and listing it in
``SECTIONS``; neither builder changes. Example (a plan-vs-actual table):

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

How a spec becomes figures (``section_table``):

* ``mode="aggregate"`` (the default): one SQL query over ``source``, grouped by the
  dims, each measure an aggregate ``FILTER``ed to its scope (the month, the previous
  month, the FY to date, the whole FY, or all rows).
* ``mode="detail"``: the source's own rows, one table row each, no aggregation: the
  rows in the measures' one scope (e.g. this FY's rows of a yearly table), each
  measure simply a column. A detail section may *flag* rows (``Flag``: an SQL
  condition, the flag in words, and where the ledger lines behind it are - ``Drill``)
  and may order its rows (``Sort``, flagged rows first).

Either way rows are restricted to the system when a single-system pack is asked for,
and by the spec's own ``where`` fragments. Parameters ($period, $prev_period, $fy,
$fy_start, $ics_id) are always bound, never formatted in. Identifiers in a spec are
checked when the spec is made (shape) and again against the table's columns before the
query runs. Rows are then ordered (the spec's ``order_by``, else the model's order for
partner kinds and funding streams, else by label), subtotalled and totalled in Python
with Decimal, and derived columns (movement, percentage change, ratios) and text
columns (``Text``: a sentence made from the row) are computed on every row.

A section may have ``parts``: further small sections shown below it on the same sheet
and page (e.g. the contract mix under the contracts). Charts (``Chart``) are bar, line,
``funnel`` (a funnel plot: rate against denominator with control limits around the
pooled rate, outliers labelled) or ``waterfall`` (a total, the steps taken off it, the
total left); ``facet`` draws one chart per value of a column, ``also`` draws further
measures as series, and ``excel=True`` draws a bar, line or funnel chart natively in
the workbook as well. Every chart is followed by the figures behind it.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path, PurePath
from typing import Any, Callable, Mapping, Union

import duckdb

from reports import formatting as f
from warehouse import periods

MONTH, PREV_MONTH, YTD, FY, ALL = "month", "prev_month", "ytd", "fy", "all"
SCOPES = (MONTH, PREV_MONTH, YTD, FY, ALL)
AGGREGATE, DETAIL = "aggregate", "detail"
AGGREGATES = ("sum", "min", "max", "avg", "count", "any_value")
CHART_KINDS = ("bar", "stacked_bar", "hbar", "stacked_hbar", "line", "funnel", "waterfall")
EXCEL_CHART_KINDS = ("bar", "stacked_bar", "hbar", "stacked_hbar", "line", "funnel")
DERIVED_OPS = {"diff": "money", "pct_change": "pct", "ratio": "money2", "share": "pct"}
# Drill-down pages are the one place reports read fct_ tables: these, and nothing else.
DRILL_SOURCES = ("fct_ledger", "fct_mh_ledger", "fct_mh_ledger_by_recipient")
DRILL_LIMIT = 500
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
_PARAMS = ("period", "prev_period", "fy", "fy_start", "ics_id", "partner_id")
_PARAM_REF = re.compile(r"\$([a-z_][a-z0-9_]*)")


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
    blank: str | None = None    # shown for a null value (default "(blank)")

    def __post_init__(self):
        _ident(self.key, "dim")
        if self.fmt not in f.TEXT_FMTS:
            raise SpecError(f"dim {self.key}: fmt {self.fmt!r} not one of {sorted(f.TEXT_FMTS)}")


@dataclass(frozen=True)
class Measure:
    """An aggregate of a source column over a period scope: agg(column) FILTER (scope).

    In a detail section the column itself (no aggregate); the scope picks the rows."""
    key: str
    label: str
    column: str
    scope: str = MONTH
    agg: str = "sum"
    fmt: str = "money"
    additive: bool = True     # subtotals add it up (False: subtotal cells left blank)
    show: bool = True         # False: computed (e.g. for a Derived or a Text) but not displayed

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
    """A value computed from two other values of the same row:
    diff (a - b), pct_change ((a - b) / |b| in %), ratio (a / b, to the penny) or share (a / b in %)."""
    key: str
    label: str
    op: str
    args: tuple[str, str]
    show: bool = True

    def __post_init__(self):
        _ident(self.key, "derived")
        if self.op not in DERIVED_OPS:
            raise SpecError(f"derived {self.key}: op {self.op!r} not one of {sorted(DERIVED_OPS)}")

    @property
    def fmt(self) -> str:
        return DERIVED_OPS[self.op]

    @property
    def additive(self) -> bool:
        return False


@dataclass(frozen=True)
class Text:
    """A text column made from the row's values (dims, measures, derived; hidden ones too),
    e.g. a position or a status in words. ``totals``: made on subtotal and total rows too."""
    key: str
    label: str
    make: Callable[[Mapping[str, Any]], str | None]
    show: bool = True
    totals: bool = False

    def __post_init__(self):
        _ident(self.key, "text")
        if not callable(self.make):
            raise SpecError(f"text {self.key}: make must be a function of the row's values")

    fmt = "text"
    additive = False


Value = Union[Measure, Derived, Text]


@dataclass(frozen=True)
class Sort:
    """Order rows by a value (within their subtotal group): descending, or by size (abs)."""
    key: str
    descending: bool = False
    by_abs: bool = False


@dataclass(frozen=True)
class Drill:
    """Where the ledger lines behind a flagged row are, for its drill-down page.

    ``where`` is an SQL condition over ``source`` (fct_ledger or fct_mh_ledger: drill-down
    pages are the one place reports read fct_ tables) using ``$key`` parameters bound from
    the row's columns named in ``keys``; or a function of those values returning
    (condition, parameters) when the condition depends on the row (e.g. a measure's filters).
    The lines' ``amount`` add up to the row's ``figure`` (the key of one of its values)."""
    keys: tuple[str, ...]
    where: str | Callable[[Mapping[str, Any]], tuple[str, dict]]
    figure: str
    title: Callable[[Mapping[str, Any]], str]
    source: str = "fct_ledger"
    amount: str = "amount"

    def __post_init__(self):
        if self.source not in DRILL_SOURCES:
            raise SpecError(f"drill-down source {self.source!r} not one of {DRILL_SOURCES}")
        for k in self.keys:
            _ident(k, "drill-down key")
        _ident(self.amount, "drill-down amount")
        if isinstance(self.where, str):
            unknown = set(_PARAM_REF.findall(self.where)) - set(self.keys)
            if unknown:
                raise SpecError(f"drill-down condition uses ${sorted(unknown)}, not among its keys {self.keys}")


@dataclass(frozen=True)
class Flag:
    """Which rows of a detail section are flagged (an SQL condition over the source row),
    the flag in words (a function of the row's values), what a flag is called in the
    summary's count, and where the ledger lines behind a flagged figure are."""
    where: str
    label: str
    text: Callable[[Mapping[str, Any]], str]
    drill: Drill | None = None
    first: bool = False            # flagged rows first (within their subtotal group)
    column: str = "Flag"


@dataclass(frozen=True)
class Pivot:
    """Spread one dim's values across columns, showing one measure, plus a total column."""
    on: Dim
    value: str                  # key of a Measure in values
    total_label: str = "Total"


@dataclass(frozen=True)
class Funnel:
    """The columns of a funnel plot (rpt_variation): each unit's denominator, the pooled rate of
    every unit, the centre the unit is compared with (its peers' rate: every other unit), its
    four limits and its flag. Each unit has its own limits (its peers differ), so the limits are
    drawn through each unit's own."""
    denominator: str = "denominator"
    pooled: str = "pooled_rate"
    centre: str = "peer_rate"
    lower_998: str = "lower_998"
    lower_95: str = "lower_95"
    upper_95: str = "upper_95"
    upper_998: str = "upper_998"
    flag: str = "flag"
    denominator_label: str = "Weighted population"

    def columns(self) -> tuple[str, ...]:
        cols = (self.denominator, self.pooled, self.centre, self.lower_998, self.lower_95,
                self.upper_95, self.upper_998, self.flag)
        for c in cols:
            _ident(c, "funnel column")
        return cols


@dataclass(frozen=True)
class Chart:
    """A chart of one measure by a category (x), optionally split into series.

    ``also``: further measures drawn as series beside ``value`` (e.g. plan and actual).
    ``facet``: one chart per value of this column. ``funnel`` / ``waterfall`` kinds: see
    the module docstring. ``excel``: drawn natively in the workbook too (bar and line kinds).
    ``total_row``: the figures table ends with a total (off for shares and running totals)."""
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
    also: tuple[Measure, ...] = ()
    facet: Dim | None = None
    excel: bool = False
    total_row: bool = True
    funnel: Funnel | None = None
    start: Measure | None = None  # waterfall: the total the steps are taken off
    start_label: str = ""
    end_label: str = ""
    step_label: str = "{}"        # waterfall: a step's label, from its category's label

    def __post_init__(self):
        _ident(self.key, "chart")
        if self.kind not in CHART_KINDS:
            raise SpecError(f"chart {self.key}: kind {self.kind!r} not one of {CHART_KINDS}")
        if not self.x_title or not self.y_title:
            raise SpecError(f"chart {self.key}: both axis titles are required")
        if self.also and self.series is not None:
            raise SpecError(f"chart {self.key}: series come from a dim or from measures, not both")
        if self.kind == "funnel":
            if self.funnel is None:
                raise SpecError(f"chart {self.key}: a funnel chart needs its Funnel columns")
            self.funnel.columns()
        if self.kind == "waterfall" and (self.start is None or not self.start_label or not self.end_label):
            raise SpecError(f"chart {self.key}: a waterfall needs a start measure, start_label and end_label")
        if self.excel and self.kind not in EXCEL_CHART_KINDS:
            raise SpecError(f"chart {self.key}: {self.kind} charts are not drawn in Excel "
                            f"(their figures are); excel=True needs one of {EXCEL_CHART_KINDS}")

    @property
    def measures(self) -> tuple[Measure, ...]:
        return (self.value,) + self.also


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
    mode: str = AGGREGATE
    flag: Flag | None = None
    order_by: tuple[Sort, ...] = ()
    parts: tuple["Section", ...] = ()
    basis: str | None = None    # what the figures are, under the title ("£, net of eliminations")
    hidden: tuple[str, ...] = ()  # detail mode: further source columns its Text and Flag read
    # Totals that add up partners' files: say under the table which partners' files list only the
    # larger payments (their coverage_threshold), set by the builders from the pack's submissions.
    coverage_note: bool = False

    def __post_init__(self):
        if not _SLUG.match(self.key):
            raise SpecError(f"section {self.key!r} must be a lower-case slug")
        if not self.source.startswith("rpt_"):
            raise SpecError(f"section {self.key}: reports read only rpt_* tables, not {self.source!r}")
        _ident(self.source, f"section {self.key} source")
        if self.mode not in (AGGREGATE, DETAIL):
            raise SpecError(f"section {self.key}: mode {self.mode!r} not {AGGREGATE} or {DETAIL}")
        for col in (self.period_col, self.fy_col, self.system_col):
            if col is not None:
                _ident(col, f"section {self.key} column")
        keys = [d.key for d in self.dims] + [v.key for v in self.values] + (["flag_text"] if self.flag else [])
        if len(set(keys)) != len(keys):
            raise SpecError(f"section {self.key}: duplicate column keys {keys}")
        measures = {v.key for v in self.values if isinstance(v, Measure)}
        numbers = measures | {v.key for v in self.values if isinstance(v, Derived)}
        for v in self.values:
            if isinstance(v, Derived) and not set(v.args) <= measures:
                raise SpecError(f"section {self.key}: {v.key} uses {v.args}, not all measures")
            if isinstance(v, Measure) and self.period_col is None and v.scope in (MONTH, PREV_MONTH, YTD):
                raise SpecError(f"section {self.key}: scope {v.scope} needs a period column")
            if isinstance(v, Measure) and self.fy_col is None and v.scope in (YTD, FY):
                raise SpecError(f"section {self.key}: scope {v.scope} needs an fy column")
        if tuple(self.subtotals) != tuple(d.key for d in self.dims[:len(self.subtotals)]):
            raise SpecError(f"section {self.key}: subtotals {self.subtotals} must be a prefix of the dims")
        for srt in self.order_by:
            if srt.key not in numbers and srt.key not in {d.key for d in self.dims}:
                raise SpecError(f"section {self.key}: order_by {srt.key!r} is not one of its dims or values")
        if self.pivot is not None:
            if self.pivot.value not in measures:
                raise SpecError(f"section {self.key}: pivot value {self.pivot.value} is not a measure")
            if any(isinstance(v, (Derived, Text)) for v in self.values):
                raise SpecError(f"section {self.key}: a pivot cannot have derived or text values")
        if self.mode == DETAIL:
            if self.pivot is not None:
                raise SpecError(f"section {self.key}: a detail section cannot pivot")
            scopes = {v.scope for v in self.values if isinstance(v, Measure)}
            if len(scopes) > 1:
                raise SpecError(f"section {self.key}: a detail section's measures share one scope "
                                f"(it picks the rows), not {sorted(scopes)}")
        for col in self.hidden:
            _ident(col, f"section {self.key} hidden column")
        if self.hidden and self.mode != DETAIL:
            raise SpecError(f"section {self.key}: only a detail section reads hidden columns")
        if self.flag is not None:
            if self.mode != DETAIL:
                raise SpecError(f"section {self.key}: only a detail section flags rows")
            if self.flag.drill is not None and self.flag.drill.figure not in numbers:
                raise SpecError(f"section {self.key}: drill-down figure {self.flag.drill.figure!r} "
                                "is not one of its values")
        for part in self.parts:
            if part.parts:
                raise SpecError(f"section {self.key}: part {part.key} cannot have parts of its own")

    @property
    def sheet(self) -> str:
        return self.sheet_name or self.title

    @property
    def row_scope(self) -> str:
        """A detail section's rows: the scope its measures share (all rows when none)."""
        scopes = {v.scope for v in self.values if isinstance(v, Measure)}
        return next(iter(scopes)) if scopes else ALL


RESERVED_SHEETS = ("Cover", "Summary", "Submissions")


def check_sections(sections: tuple[Section, ...]) -> None:
    """The registry as a whole: unique keys (parts included), valid and unique sheet names."""
    keys = [k for sec in sections for k in [sec.key] + [p.key for p in sec.parts]]
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
    charts = [c.key for sec in sections for part in (sec,) + sec.parts for c in part.charts]
    if len(set(charts)) != len(charts):          # chart keys name the HTML elements of a page
        raise SpecError(f"duplicate chart keys in {charts}")


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
    flags_after: str | None = None   # the count of flags goes after this block (None: no count)
    description: str = ""

    def __post_init__(self):
        keys = {b.key for b in self.blocks}
        for key in [k for k, _ in self.charts] + ([self.excel_chart.block] if self.excel_chart else []) \
                + ([self.flags_after] if self.flags_after else []):
            if key not in keys:
                raise SpecError(f"summary refers to block {key!r}, not one of {sorted(keys)}")
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
    partner_id: str | None = None      # a partner's own page (reports/partner_pages.py)

    def __post_init__(self):
        periods.year_month(self.period)

    @property
    def fy(self) -> str:
        return periods.fy_of(self.period)

    @property
    def fy_month(self) -> int:
        return periods.fy_month_of(self.period)

    @property
    def prev_period(self) -> str:
        return periods.previous_period(self.period)

    @property
    def fy_start(self) -> str:
        return periods.fy_start(self.period)

    @property
    def month(self) -> str:
        return f.month_label(self.period)

    @property
    def title(self) -> str:
        return f"Mental health open book — {self.month}"

    def params(self) -> dict[str, Any]:
        return {"period": self.period, "prev_period": self.prev_period, "fy": self.fy,
                "fy_start": self.fy_start, "ics_id": self.ics_id, "partner_id": self.partner_id}


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
        return f"({fy_col} = $fy AND {period_col} <= $period)" if period_col else f"{fy_col} = $fy"
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
    blank: str | None = None    # a label column's text for a null value (default: the format's)
    prose: bool = False         # sentences (a Text or the flag): given room to wrap
    raw: Any = None             # a pivot column: the pivoted dim's value (its drill-down binds it)


@dataclass
class Row:
    values: dict[str, Any]
    role: str = "detail"        # detail | subtotal | total
    level: int = 0              # for subtotals: index of the dim it totals
    group: tuple = ()           # for subtotals: the raw values of the dims it totals over
    flagged: bool = False       # a detail row its section's Flag raises
    hidden: dict[str, Any] = field(default_factory=dict)   # drill-down keys, not shown
    links: dict[str, str] = field(default_factory=dict)    # column key -> href (HTML only)

    @property
    def facts(self) -> dict[str, Any]:
        """Every value of the row, hidden ones included (what Text, Flag and Drill functions read)."""
        return {**self.hidden, **self.values}

    def text(self, col: Column) -> str:
        """Display text of a label column (the subtotal/total wording included)."""
        v = self.values.get(col.key)
        if isinstance(v, _Label):
            return v.text
        if v is None:
            return "" if self.role != "detail" else (col.blank if col.blank is not None
                                                      else f.label(v, col.fmt))
        return f.label(v, col.fmt)


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
    section: Section | None = None
    parts: list["Table"] = field(default_factory=list)
    note: str = ""              # shown under the table (e.g. the coverage of the partners' files)

    @property
    def label_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.is_value]

    @property
    def value_columns(self) -> list[Column]:
        return [c for c in self.columns if c.is_value]

    @property
    def detail_rows(self) -> list[Row]:
        return [r for r in self.rows if r.role == "detail"]

    @property
    def flagged_rows(self) -> list[Row]:
        return [r for r in self.rows if r.flagged]


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
    if scoped and "TRUE" not in scoped:
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


def _quantize(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _derive(op: str, a: Any, b: Any) -> Decimal | None:
    if a is None or b is None:
        return None
    if op == "diff":
        return a - b
    if op == "pct_change":
        return f.pct_change(a, b)
    if b == 0:
        return None
    if op == "ratio":
        return _quantize(Decimal(a) / Decimal(b), "0.01")
    return _quantize(Decimal(a) * 100 / Decimal(b), "0.1")      # share


def _sort_value(v: Any, srt: Sort) -> tuple:
    if v is None:
        return (1, 0)
    if isinstance(v, (int, float, Decimal)):
        x = abs(v) if srt.by_abs else v
        return (0, -x if srt.descending else x)
    return (0, str(v))


def section_table(con: duckdb.DuckDBPyConnection, section: Section, ctx: ReportContext) -> Table:
    """Run a section spec (and its parts): its figures with subtotals, total, derived and text values."""
    table = _one_table(con, section, ctx)
    table.parts = [_one_table(con, part, ctx) for part in section.parts]
    return table


def _one_table(con: duckdb.DuckDBPyConnection, section: Section, ctx: ReportContext) -> Table:
    dims = _effective_dims(section, ctx)
    measures = [v for v in section.values if isinstance(v, Measure)]
    drill = section.flag.drill if section.flag else None
    hidden = list(dict.fromkeys((drill.keys if drill else ()) + section.hidden))
    pivot = section.pivot
    if pivot is not None and _single_system(section, ctx) and pivot.on.key == section.system_col:
        pivot = None
    group = dims + ([pivot.on] if pivot else [])
    _check_columns(con, section, {d.key for d in group} | {m.column for m in measures}
                   | {section.period_col, section.fy_col}
                   | set(hidden)
                   | ({section.system_col} if _single_system(section, ctx) else set()))

    if section.mode == DETAIL:
        select = [d.key for d in dims] + [f"{m.column} AS {m.key}" for m in measures]
        select += [f"{k} AS __k_{k}" for k in hidden]
        select.append(f"coalesce(({section.flag.where}), FALSE) AS __flagged" if section.flag
                      else "FALSE AS __flagged")
        sql = (f"SELECT {', '.join(select)} FROM {section.source} "
               f"WHERE {_where(section, ctx, {section.row_scope})}")
    else:
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

    shown = [v for v in section.values if v.show]
    if pivot is None:
        columns = [Column(d.key, d.label, d.fmt, False, d.blank) for d in dims] + [
            Column(v.key, v.label, v.fmt, not isinstance(v, Text), prose=isinstance(v, Text)) for v in shown]
        value_keys = [m.key for m in measures]
        additive = {m.key for m in measures if m.additive}
    else:
        pm = next(m for m in measures if m.key == pivot.value)
        on_values = sorted({r[pivot.on.key] for r in records}, key=lambda v: f.sort_key(v, pivot.on.fmt))
        pkeys = [f"p{i}" for i in range(len(on_values))]
        columns = [Column(d.key, d.label, d.fmt, False, d.blank) for d in dims] + [
            Column(k, f.label(v, pivot.on.fmt), pm.fmt, True, raw=v) for k, v in zip(pkeys, on_values)]
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
    if section.flag:
        columns.append(Column("flag_text", section.flag.column, "text", False, prose=True))

    if section.drop_zero_rows and section.mode == AGGREGATE:
        records = [r for r in records if any(r.get(k) not in (None, 0) for k in value_keys)]

    subtotal_dims = [d for d in dims if d.key in section.subtotals]
    first = bool(section.flag and section.flag.first)

    def order(r: dict) -> tuple:
        return (tuple(f.sort_key(r[d.key], d.fmt) for d in subtotal_dims)
                + ((0 if r.get("__flagged") else 1,) if first else ())
                + tuple(_sort_value(r.get(s.key), s) for s in section.order_by)
                + tuple(f.sort_key(r[d.key], d.fmt) for d in dims))
    records.sort(key=order)

    rows: list[Row] = []
    n_sub = len(subtotal_dims)

    def total_of(group_rows: list[dict]) -> dict:
        return {k: (sum((r[k] or 0 for r in group_rows), Decimal(0)) if k in additive else None)
                for k in value_keys}

    def detail_row(r: dict) -> Row:
        hidden = {k[4:]: v for k, v in r.items() if k.startswith("__k_")}
        vals = {k: v for k, v in r.items() if not k.startswith("__")}
        return Row(vals, flagged=bool(r.get("__flagged")), hidden=hidden)

    def emit(group_rows: list[dict], level: int):
        if level == n_sub:
            rows.extend(detail_row(r) for r in group_rows)
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
                row.values[v.key] = _derive(v.op, a, b)
        for v in section.values:
            if isinstance(v, Text):
                row.values[v.key] = (v.make(row.facts) or "") if (row.role == "detail" or v.totals) else ""
        if section.flag:
            row.values["flag_text"] = section.flag.text(row.facts) if row.flagged else ""
    return Table(section.key, section.title, columns, rows, section.description, section)


# ---------------------------------------------------------------------------
# The count of flags (the summary's), from the section tables already built
def flag_counts(pairs: list[tuple[Section, Table]]) -> Table:
    """One row per section (or part) that flags rows: what it flags, how many rows its page flags as at
    the month, and how many of the pack's flag register rows it raises (when the pack has the register:
    that column adds up to the register's rows, the same system and month)."""
    register = next((t for sec, t in pairs if sec.source == "rpt_flag_register"), None)
    in_register: dict[Any, int] = {}
    for r in (register.rows if register else []):
        if r.role == "detail":
            src = r.hidden.get("source_table")
            in_register[src] = in_register.get(src, 0) + 1
    cols = [Column("section", "Page", "text", False), Column("what", "What is flagged", "text", False),
            Column("flags", "Flags", "int", True)]
    if register is not None:
        cols.append(Column("register", "In the flag register", "int", True))
    rows = []
    for sec, table in pairs:
        for s_, t in [(sec, table)] + list(zip(sec.parts, table.parts)):
            if s_.flag is not None:
                row = Row({"section": sec.sheet, "what": s_.flag.label, "flags": len(t.flagged_rows)})
                if register is not None:
                    row.values["register"] = in_register.pop(s_.source, 0)
                row.hidden["section_key"] = sec.key
                rows.append(row)
    if in_register:             # a flag whose source no page flags: still counted, so the total is the register's
        other = Row({"section": "Flag register", "what": "Other flags", "flags": 0, "register": sum(in_register.values())})
        other.hidden["section_key"] = register.section.key if register.section else "flag-register"
        rows.append(other)
    if len(rows) > 1:
        total = Row({"section": _Label("Total"), "what": None, "flags": sum(r.values["flags"] for r in rows)}, "total")
        if register is not None:
            total.values["register"] = sum(r.values["register"] for r in rows)
        rows.append(total)
    return Table("flags", "Flags raised", cols, rows,
                 "Rows the analytics flag for the oversight group, page by page; each is explained "
                 "in words on its page, with the ledger lines behind it in the HTML report. Flags: the rows "
                 "each page flags as at this month (contract under-runs and schemes overspending included). In "
                 "the flag register: the register's flags (assessed as at the latest month reported, first seen "
                 "by this month) that each page raises; they add up to the register's rows.")


# ---------------------------------------------------------------------------
# Charts
@dataclass
class ChartData:
    chart: Chart
    x_values: list[Any]
    series: list[tuple[Any, list[Decimal]]]   # (series value, a Measure, or None; one value per x)
    facet: Any = None
    facet_label: str = ""
    steps: list[str] = field(default_factory=list)     # waterfall: absolute | relative | total per x
    links: dict[tuple[int, int], str] = field(default_factory=dict)   # (series, x) -> its lines' page (HTML)

    @property
    def key(self) -> str:
        if self.facet is None:
            return self.chart.key
        return f"{self.chart.key}-{re.sub(r'[^a-z0-9]+', '-', str(self.facet).lower()).strip('-')}"

    @property
    def title(self) -> str:
        return f"{self.chart.title}: {self.facet_label}" if self.facet_label else self.chart.title

    def x_labels(self) -> list[str]:
        if self.chart.kind == "waterfall":
            return [str(x) for x in self.x_values]
        return [f.label(x, self.chart.x.fmt) for x in self.x_values]

    def series_label(self, s: Any) -> str:
        if isinstance(s, Measure):
            return s.label
        return self.chart.value.label if self.chart.series is None else f.label(s, self.chart.series.fmt)

    def as_table(self) -> Table:
        """The figures behind the chart, so a reader without the chart sees them too.

        One row per category (x). With series: one column per series plus a total, or,
        when each category falls in a single series (the series only colours it, e.g. a
        partner's kind), a column naming that series and one value column. Measures drawn
        side by side (``also``) get a column each and no total column.
        """
        c = self.chart
        if c.kind == "waterfall":
            cols = [Column("x", c.x_title, "text", False), Column("v", c.value.label, c.value.fmt, True)]
            # the start and end totals stay in place (a subtotal row), between them the steps
            rows = [Row({"x": x, "v": v}, "subtotal" if k == "total" else "detail")
                    for x, v, k in zip(self.x_values, self.series[0][1], self.steps)]
            return Table(self.key, self.title, cols, rows)
        xcol = Column("x", c.x.label, c.x.fmt, False)
        n = len(self.x_values)
        if c.also:
            cols = [xcol] + [Column(f"s{j}", m.label, m.fmt, True) for j, (m, _) in enumerate(self.series)]
            rows = [Row({"x": x, **{f"s{j}": v[i] for j, (_, v) in enumerate(self.series)}},
                        links={f"s{j}": self.links[j, i] for j in range(len(self.series)) if (j, i) in self.links})
                    for i, x in enumerate(self.x_values)]
        elif c.series is None or len(self.series) <= 1 or all(
                sum(1 for _, vals in self.series if vals[i]) <= 1 for i in range(n)):
            cols = [xcol]
            if c.series is not None:
                cols.append(Column("s", c.series.label, c.series.fmt, False))
            cols.append(Column("v", c.value.label, c.value.fmt, True))
            rows = []
            for i, x in enumerate(self.x_values):
                hit = [(j, sv, vals[i]) for j, (sv, vals) in enumerate(self.series) if vals[i]] or \
                      [(0, self.series[0][0] if self.series else None, Decimal(0))]
                j = hit[0][0]
                rows.append(Row({"x": x, "s": hit[0][1], "v": hit[0][2]},
                                links={"v": self.links[j, i]} if (j, i) in self.links else {}))
        else:
            cols = [xcol] + [Column(f"s{j}", self.series_label(sv), c.value.fmt, True)
                             for j, (sv, _) in enumerate(self.series)]
            cols.append(Column("v", "Total", c.value.fmt, True))
            rows = []
            for i, x in enumerate(self.x_values):
                vals = {f"s{j}": v[i] for j, (_, v) in enumerate(self.series)}
                rows.append(Row({"x": x, **vals, "v": sum(vals.values(), Decimal(0))},
                                links={f"s{j}": self.links[j, i] for j in range(len(self.series))
                                       if (j, i) in self.links}))
        if len(rows) > 1 and c.total_row:
            tot = {col.key: sum((r.values[col.key] for r in rows), Decimal(0))
                   for col in cols if col.is_value}
            rows.append(Row({"x": _Label("Total"), **tot}, "total"))
        return Table(self.key, self.title, cols, rows)


@dataclass
class FunnelPoint:
    label: str
    denominator: Decimal
    rate: Decimal
    limits: dict[str, Decimal | None]        # lower_998, lower_95, upper_95, upper_998 (none: not assessed)
    flag: str
    centre: Decimal | None = None            # the rate of the unit's peers, which it is compared with


@dataclass
class FunnelData:
    """A funnel plot: each unit's rate against its denominator, and the limits as curves."""
    chart: Chart
    points: list[FunnelPoint]
    pooled: Decimal | None
    curves: dict[str, list[tuple[float, float]]]   # limit name -> (denominator, rate) points
    facet: Any = None
    facet_label: str = ""

    key = ChartData.key
    title = ChartData.title

    @property
    def series(self) -> list:          # truthy when there is something to draw
        return self.points

    def as_table(self) -> Table:
        c, fn = self.chart, self.chart.funnel
        money = c.value.fmt
        cols = [Column("x", c.x.label, c.x.fmt, False),
                Column("d", fn.denominator_label, "int", True),
                Column("v", c.value.label, money, True),
                Column("p", "Pooled rate", money, True),
                Column("c", "Peers' rate", money, True),
                Column("lower_998", "Lower 99.8%", money, True), Column("lower_95", "Lower 95%", money, True),
                Column("upper_95", "Upper 95%", money, True), Column("upper_998", "Upper 99.8%", money, True),
                Column("flag", "Flag", "code", False)]
        rows = [Row({"x": p.label, "d": p.denominator, "v": p.rate, "p": self.pooled, "c": p.centre, **p.limits,
                     "flag": p.flag}, flagged=p.flag not in (None, "none")) for p in self.points]
        return Table(self.key, self.title, cols, rows)


def _facets(con, section: Section, chart: Chart, ctx: ReportContext, scope: str) -> list[tuple[Any, str]]:
    if chart.facet is None:
        return [(None, "")]
    sql = (f"SELECT DISTINCT {chart.facet.key} FROM {section.source} "
           f"WHERE {_where(section, ctx, {scope}, chart.where)}")
    values = sorted((r[0] for r in _execute(con, sql, ctx.params()).fetchall()),
                    key=lambda v: f.sort_key(v, chart.facet.fmt))
    return [(v, f.label(v, chart.facet.fmt)) for v in values]


def charts_data(con: duckdb.DuckDBPyConnection, section: Section, chart: Chart,
                ctx: ReportContext) -> list[ChartData | FunnelData]:
    """A chart's figures: one ChartData (or FunnelData) per facet value (one when unfaceted)."""
    scope = chart.value.scope
    _check_columns(con, section, {chart.x.key, section.period_col, section.fy_col}
                   | {m.column for m in chart.measures}
                   | ({chart.series.key} if chart.series else set())
                   | ({chart.facet.key} if chart.facet else set())
                   | (set(chart.funnel.columns()) if chart.funnel else set())
                   | ({chart.start.column} if chart.start else set()))
    out = []
    for facet, facet_label in _facets(con, section, chart, ctx, scope):
        extra = chart.where + ((f"{chart.facet.key} = {_sql_literal(facet)}",) if chart.facet else ())
        if chart.kind == "funnel":
            out.append(_funnel_data(con, section, chart, ctx, extra, facet, facet_label))
        elif chart.kind == "waterfall":
            out.append(_waterfall_data(con, section, chart, ctx, extra, facet, facet_label))
        else:
            data = _bar_data(con, section, chart, ctx, extra)
            data.facet, data.facet_label = facet, facet_label
            out.append(data)
    return out


def chart_data(con: duckdb.DuckDBPyConnection, section: Section, chart: Chart, ctx: ReportContext) -> ChartData:
    """An unfaceted chart's figures."""
    if chart.facet is not None:
        raise SpecError(f"chart {chart.key} is faceted: use charts_data")
    return charts_data(con, section, chart, ctx)[0]


def _sql_literal(value: Any) -> str:
    """A facet value as an SQL literal (values come from the table itself, quoted safely)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _bar_data(con, section: Section, chart: Chart, ctx: ReportContext, extra: tuple[str, ...]) -> ChartData:
    if chart.also:
        sel = ", ".join(f"{m.agg}({m.column}) FILTER (WHERE {_scope_sql(m.scope, section.period_col, section.fy_col)})"
                        f" AS {m.key}" for m in chart.measures)
        sql = (f"SELECT {chart.x.key}, {sel} FROM {section.source} "
               f"WHERE {_where(section, ctx, {m.scope for m in chart.measures}, extra)} GROUP BY ALL")
        recs = _execute(con, sql, ctx.params()).fetchall()
        xs = sorted({r[0] for r in recs}, key=lambda v: f.sort_key(v, chart.x.fmt))
        by_x = {r[0]: r[1:] for r in recs}
        series = [(m, [by_x[x][j] if by_x[x][j] is not None else Decimal(0) for x in xs])
                  for j, m in enumerate(chart.measures)] if recs else []
        return ChartData(chart, xs, series)
    m = chart.value
    group = [chart.x] + ([chart.series] if chart.series else [])
    sql = (f"SELECT {', '.join(d.key for d in group)}, {m.agg}({m.column}) AS v "
           f"FROM {section.source} WHERE {_where(section, ctx, {m.scope}, extra)} GROUP BY ALL")
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


def _waterfall_data(con, section: Section, chart: Chart, ctx: ReportContext, extra: tuple[str, ...],
                    facet: Any, facet_label: str) -> ChartData:
    """Start total, then each category's amount taken off it, then what is left."""
    m, st = chart.value, chart.start
    scope_m = _scope_sql(m.scope, section.period_col, section.fy_col)
    scope_s = _scope_sql(st.scope, section.period_col, section.fy_col)
    sql = (f"SELECT {chart.x.key}, {m.agg}({m.column}) FILTER (WHERE {scope_m}) AS step, "
           f"{st.agg}({st.column}) FILTER (WHERE {scope_s}) AS start FROM {section.source} "
           f"WHERE {_where(section, ctx, {m.scope, st.scope}, extra)} GROUP BY ALL")
    recs = _execute(con, sql, ctx.params()).fetchall()
    if not recs:
        return ChartData(chart, [], [], facet, facet_label)
    start = sum((r[2] or Decimal(0) for r in recs), Decimal(0))
    steps = sorted(((r[0], r[1] or Decimal(0)) for r in recs if r[1]),
                   key=lambda t: f.sort_key(t[0], chart.x.fmt))
    labels = [chart.start_label] + [chart.step_label.format(f.label(x, chart.x.fmt)) for x, _ in steps] \
        + [chart.end_label]
    values = [start] + [-v for _, v in steps] + [start - sum((v for _, v in steps), Decimal(0))]
    kinds = ["total"] + ["relative"] * len(steps) + ["total"]
    return ChartData(chart, labels, [(None, values)], facet, facet_label, kinds)


def _funnel_data(con, section: Section, chart: Chart, ctx: ReportContext, extra: tuple[str, ...],
                 facet: Any, facet_label: str) -> FunnelData:
    fn = chart.funnel
    cols = [chart.x.key, chart.value.column, fn.denominator, fn.pooled, fn.centre,
            fn.lower_998, fn.lower_95, fn.upper_95, fn.upper_998, fn.flag]
    sql = (f"SELECT {', '.join(cols)} FROM {section.source} "
           f"WHERE {_where(section, ctx, {chart.value.scope}, extra)} ORDER BY {fn.denominator}")
    recs = _execute(con, sql, ctx.params()).fetchall()
    points = [FunnelPoint(f.label(r[0], chart.x.fmt), r[2], r[1],
                          {"lower_998": r[5], "lower_95": r[6], "upper_95": r[7], "upper_998": r[8]}, r[9],
                          r[4])
              for r in recs if r[2]]
    pooled = recs[0][3] if recs else None
    curves: dict[str, list[tuple[float, float]]] = {}
    # each unit is compared with its own peers, so its limits are its own: the lines join each
    # unit's limits in order of population (no unit's limits are drawn from another's)
    for name in ("lower_998", "lower_95", "upper_95", "upper_998"):
        line = [(float(p.denominator), float(p.limits[name])) for p in points if p.limits[name] is not None]
        if line:
            curves[name] = line
    if points and pooled is not None:
        lo = float(min(pt.denominator for pt in points)) * 0.7
        hi = float(max(pt.denominator for pt in points)) * 1.15
        curves["pooled"] = [(lo, float(pooled)), (hi, float(pooled))]
    return FunnelData(chart, points, pooled, curves, facet, facet_label)


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
    ledger_to: dt.date | None = None          # the latest posting date among its lines in the figures
    coverage_threshold: int | None = None     # smallest payment its file lists (source config); None: not stated

    @property
    def coverage(self) -> str:
        """What the file lists, in words: a total of an 'over £25k' file leaves the smaller payments out."""
        if self.coverage_threshold is None:
            return "Not stated"
        if self.coverage_threshold == 0:
            return "Every payment"
        return f"Payments of £{self.coverage_threshold:,} and over"

    @property
    def in_figures(self) -> bool:
        return self.load_status == "current" and self.dq_status == "passed"

    @property
    def quality(self) -> str:
        if self.load_status == "failed":
            return "Failed to load: not in figures"
        if self.load_status == "rejected":
            return "Resubmission blocked: the previous submission stays in the figures"
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


def submissions_table(subs: list[Submission], *, with_period: bool, with_rows_read: bool = True) -> Table:
    """The submissions a pack rests on, as the workbook and the site show them: each with when it
    was loaded, how far its ledger runs (its latest posting date) and what its file lists."""
    cols = ([Column("period", "Period", "period", False)] if with_period else []) + [
        Column("partner", "Partner", "text", False),
        Column("file", "File", "text", False),
        Column("coverage", "File lists", "text", False),
        Column("ledger_to", "Ledger to", "text", False, blank=""),
        Column("loaded_at", "Loaded at", "datetime", False),
        *([Column("rows_read", "Rows read", "int", True)] if with_rows_read else []),
        Column("rows_loaded", "Rows loaded", "int", True),
        Column("rows_quarantined", "Rows quarantined", "int", True),
        Column("quality", "Data quality", "text", False),
    ]
    rows = [Row({"period": x.period, "partner": x.partner_name, "file": x.file_name, "coverage": x.coverage,
                 "ledger_to": x.ledger_to.strftime("%d %b %Y") if x.ledger_to else None, "loaded_at": x.loaded_at, "rows_read": x.rows_read,
                 "rows_loaded": x.rows_loaded, "rows_quarantined": x.rows_quarantined, "quality": x.quality})
            for x in subs]
    return Table("submissions", "Submissions", cols, rows)


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
        "l.rows_quarantined, l.status, d.status, d.error_failures, d.warnings, f.ledger_to, c.coverage_threshold "
        "FROM load_log l LEFT JOIN dq_load_status d ON d.load_id = l.load_id "
        "LEFT JOIN load_configs c ON c.load_id = l.load_id "
        "LEFT JOIN (SELECT load_id, max(posting_date) AS ledger_to FROM fct_ledger GROUP BY load_id) f "
        "ON f.load_id = l.load_id "
        "WHERE l.status IN ('current', 'failed', 'rejected') "
        "AND ((l.period >= $fy_start AND l.period <= $period) OR l.period = $prev_period)"
        + (f" AND l.partner_id IN (SELECT partner_id FROM {PARTNER_SOURCE} WHERE ics_id = $ics_id)"
           if ctx.ics_id else ""))
    subs = []
    for (pid, period, src, loaded_at, r_read, r_loaded, r_q, lstatus, dq, errs, warns, ledger_to, threshold) in \
            _execute(con, sql, ctx.params()).fetchall():
        subs.append(Submission(pid, partners.get(pid) or pid or "(unknown partner)", period,
                               PurePath(src.replace("\\", "/")).name if src else "",
                               loaded_at, r_read, r_loaded, r_q, lstatus, dq, errs, warns, ledger_to, threshold))
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
# One display name per service line everywhere: the reference's service_line_name (dim_service_line),
# never the code humanised ('camhs' would read 'CAMHS' here and "Children and young people's mental
# health" on the next sheet).
SERVICE_LINE = Dim("service_line_name", "Service line")
SERVICE_LINE_NAME = Dim("service_line_name", "Service line", blank="Several service lines")
FUNDING_STREAM = Dim("funding_stream", "Funding stream", "funding_stream")
MONTH_OF_FY = Dim("period", "Month", "period")

SPEND_MONTH = Measure("month", "This month", "spend", scope=MONTH)
SPEND_PREV = Measure("prev", "Last month", "spend", scope=PREV_MONTH)
SPEND_YTD = Measure("ytd", "FY to date", "spend", scope=YTD)
MOVEMENT = Derived("movement", "Movement", "diff", ("month", "prev"))
MOVEMENT_PCT = Derived("movement_pct", "Movement %", "pct_change", ("month", "prev"))

# Only partners of the system a single-system pack is for (tables without an ics_id column:
# a partner's system is the one rpt_mh_spend files its spend under).
def _partner_in_system(*columns: str) -> str:
    return "$ics_id IS NULL OR " + " OR ".join(
        f"{c} IN (SELECT partner_id FROM rpt_mh_spend WHERE ics_id = $ics_id)" for c in columns)


def _m(v: Any) -> str:
    return f.money_text(v)


def _p(v: Any) -> str:
    return f.money2_text(v)


def _month(v: Any) -> str:
    return f.month_label(v) if v else ""


def _words(code_text: str | None) -> str:
    """Model codes inside a sentence from the warehouse, in words ('non_recurrent' -> 'non-recurrent')."""
    text = code_text or ""
    for code in ("non_recurrent", "cost_and_volume", "s75_pooled"):
        text = text.replace(code, f.CODE_LABELS.get(code, f.FUNDING_STREAMS.get(code, code)).lower())
    return text.replace("_", " ")


SPEND_BY_PARTNER = Section(
    key="spend-by-partner",
    title="Spend by partner",
    source="rpt_mh_spend",
    description=("Gross mental-health expenditure by partner and service line, for the month "
                 "and the financial year to date, before eliminating payments between partners."),
    dims=(ICS, KIND, PARTNER, SERVICE_LINE),
    values=(SPEND_MONTH, SPEND_YTD),
    subtotals=("ics_id", "partner_kind"),
    basis="£ gross expenditure",
    coverage_note=True,
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
    description=("Gross mental-health expenditure by service line across all partners (each partner's spend "
                 "as it booked it, so a pound paid on by one partner to another is counted by both), with "
                 "the movement from last month. Net spend, each pound counted once, is in the two tables "
                 "below: by service line and by funding stream."),
    dims=(ICS, SERVICE_LINE),
    values=(SPEND_MONTH, SPEND_PREV, MOVEMENT, MOVEMENT_PCT, SPEND_YTD),
    subtotals=("ics_id",),
    basis="£ gross expenditure",
    parts=tuple(
        Section(key=key, title=title, source="rpt_open_book", dims=(ICS, dim),
                description=(f"Net mental-health expenditure {what}: gross as the partners booked it, less "
                             "the payments to partners that send their own ledgers (eliminated: that "
                             "partner's spend of the money is counted instead), so each pound counts once. "
                             "The totals are the open book's."),
                values=(Measure("net_month", "Net, month", "net_spend"),
                        Measure("gross_ytd", "Gross FY to date", "gross_spend", scope=YTD),
                        Measure("eliminated_ytd", "Eliminated FY to date", "eliminated_spend", scope=YTD),
                        Measure("net_ytd", "Net FY to date", "net_spend", scope=YTD)),
                subtotals=("ics_id",), basis="£ mental-health expenditure: gross, eliminated and net")
        for key, title, dim, what in (
            ("net-by-service-line", "Net spend by service line", SERVICE_LINE_NAME, "by service line"),
            ("net-by-funding-stream", "Net spend by funding stream", FUNDING_STREAM,
             "by funding stream (recurrent, non-recurrent, SDF, section 75 pooled, grant)"))),
    charts=(
        Chart("ytd_by_service_line", "FY to date spend by service line", "stacked_hbar",
              x=SERVICE_LINE, series=ICS, value=Measure("v", "FY to date", "spend", scope=YTD),
              x_title="Service line", y_title="Spend, FY to date (£)", sort_by_value=True),
    ),
)


# --- the open book ----------------------------------------------------------
OPEN_BOOK = Section(
    key="open-book",
    title="Open book",
    source="rpt_open_book",
    description=("The consolidated open book: each partner's mental-health expenditure by service line "
                 "and funding stream. Gross is what the partner booked; eliminated is the part it paid "
                 "to another partner that sends its own ledger (that partner's spend of the money is "
                 "counted instead); net counts each pound once, where it is finally spent. Forecast "
                 "outturn is the net run rate: spend to date / months elapsed × 12."),
    coverage_note=True,
    dims=(ICS, KIND, PARTNER, SERVICE_LINE_NAME, FUNDING_STREAM),
    values=(Measure("gross_month", "Gross, month", "gross_spend"),
            Measure("net_month", "Net, month", "net_spend"),
            Measure("gross_ytd", "Gross FY to date", "gross_spend", scope=YTD),
            Measure("eliminated_ytd", "Eliminated FY to date", "eliminated_spend", scope=YTD),
            Measure("net_ytd", "Net FY to date", "net_spend", scope=YTD),
            Measure("forecast", "Forecast outturn (net)", "forecast_outturn_net_spend")),
    subtotals=("ics_id", "partner_kind"),
    basis="£ mental-health expenditure: gross, eliminated and net",
    charts=(
        Chart("gross_to_net", "From gross to net spend, FY to date", "waterfall", x=KIND,
              value=Measure("v", "£ FY to date", "eliminated_spend", scope=YTD),
              start=Measure("g", "Gross", "gross_spend", scope=YTD), facet=ICS,
              start_label="Gross spend", end_label="Net spend",
              step_label="{} eliminations",
              x_title="Step", y_title="£, FY to date"),
    ),
)


# --- the open book by who pays --------------------------------------------------
SYSTEM_BY_PAYER = Section(
    key="system-by-payer",
    title="Each system's spend by who pays (commissioner view)",
    sheet_name="System by payer",            # Excel sheet names are at most 31 characters
    source="rpt_system_by_payer",
    description=("Net mental-health spend, financial year to date, in two views. Commissioner view (who pays): "
                 "spend coded to a place belongs to the place's system; a partner's other spend is shared "
                 "between the systems whose ICBs pay it, in proportion to what each ICB paid it this year to "
                 "date - an NHS trust's by each ICB's contract income, the lead provider's by each ICB's "
                 "delegated budget (the ICB-to-partner payments themselves are eliminated from the open book). "
                 "A partner no ICB pays stays with its host system. Host view (second): as the open book files "
                 "it, under the system that hosts the partner. Both views count every pound once; summed over "
                 "the systems they agree."),
    dims=(ICS, KIND, PARTNER),
    values=(Measure("payer", "Commissioner view", "payer_net_spend"),
            Measure("host", "Host view", "host_net_spend"),
            Derived("moved", "Commissioner less host", "diff", ("payer", "host")),
            Measure("apportioned", "Shared by ICB payments", "apportioned_net_spend"),
            Measure("share", "System's share of ICB payments", "payment_share_pct", fmt="pct", additive=False)),
    subtotals=("ics_id",),
    basis="£ net of eliminations, FY to date: commissioner view, then host view",
    charts=(
        Chart("system_by_payer", "Each system's net spend, FY to date: commissioner view and host view", "bar",
              x=ICS, value=Measure("a", "Commissioner view (who pays)", "payer_net_spend"),
              also=(Measure("b", "Host view", "host_net_spend"),),
              x_title="System", y_title="£ net, FY to date", excel=True, total_row=False),
    ),
)


# --- eliminations: agreement of balances --------------------------------------
def _aob_text(v: Mapping[str, Any]) -> str:
    return (f"In {_month(v['period'])} {v['payer_name']} booked {_p(v['payer_amount'])} paid to "
            f"{v['payee_name']}, which booked {_p(v['payee_amount'])} received: a difference of "
            f"{_p(v['difference'])}, above the {_m(v['threshold'])} threshold. To be agreed between "
            "the two finance teams.")


ELIMINATIONS = Section(
    key="eliminations",
    title="Eliminations: agreement of balances",
    sheet_name="Agreement of balances",
    source="rpt_eliminations",
    mode=DETAIL,
    description=("Money paid by one partner to another that sends its own ledger is in both ledgers and "
                 "is eliminated from the open book. Both sides should agree: the payer's payments against "
                 "the payee's income, month by month. This month's agreement for every pair of partners, "
                 "and every month of the year that did not agree (a difference above the statement "
                 "threshold), mismatches first."),
    dims=(Dim("payer_name", "Payer"), Dim("payee_name", "Payee"), MONTH_OF_FY,
          Dim("status", "Status", "code")),
    values=(Measure("payer_amount", "Payer booked", "payer_amount", scope=YTD),
            Measure("payee_amount", "Payee booked", "payee_amount", scope=YTD),
            Measure("difference", "Difference", "difference", scope=YTD),
            Measure("ytd_difference", "Difference FY to date", "ytd_difference", scope=YTD),
            Measure("threshold", "Threshold", "statement_threshold", scope=YTD, show=False, additive=False)),
    # A pair belongs to the payer's system (the payee's when the payer has none): the money is the
    # payer's, and it is the rule the flag register files the break under (rpt_flags), so a system's
    # pack counts the same breaks on this page, on its summary and in its register.
    # Partners with no system in dim_partner fall back to where rpt_mh_spend files their spend.
    where=("period = $period OR status = 'mismatched'",
           "$ics_id IS NULL OR coalesce((SELECT ics_id FROM dim_partner WHERE partner_id = payer_id), "
           "(SELECT ics_id FROM dim_partner WHERE partner_id = payee_id), "
           f"CASE WHEN {_partner_in_system('payer_id', 'payee_id')} THEN $ics_id END) = $ics_id"),
    system_col=None,
    total=False,
    basis="£ as each side booked it",
    flag=Flag(where="status = 'mismatched'", label="Balances that do not agree", text=_aob_text, first=True,
              drill=Drill(keys=("payer_id", "payee_id", "period"),
                          where=("period = $period AND ((partner_id = $payer_id AND counterparty_partner_id "
                                 "= $payee_id AND line_type = 'expenditure') OR (partner_id = $payee_id AND "
                                 "counterparty_partner_id = $payer_id AND line_type = 'income'))"),
                          figure="difference",
                          title=lambda v: f"{v['payer_name']} and {v['payee_name']}, {_month(v['period'])}")),
)


# --- plan against actual ------------------------------------------------------
def _slip_text(v: Mapping[str, Any]) -> str:
    behind = (v["slippage"] or 0) >= 0
    return (f"{v['scheme_name']} is {_m(abs(v['slippage']))} ({f.pct_text(abs(v['slippage_pct'] or 0))}) "
            f"{'behind' if behind else 'ahead of'} plan to date: {_m(v['actual_ytd'])} spent against "
            f"{_m(v['plan_ytd'])} planned. Forecast outturn {_m(v['forecast_profile'])} by plan profile "
            f"({_m(v['forecast_run_rate'])} at the run rate) against a plan of {_m(v['fy_plan'])} for the year.")


_PLAN = Measure("plan_line", "Plan to date", "plan_ytd", scope=YTD)
PLAN_VS_ACTUAL = Section(
    key="plan-vs-actual",
    title="Plan against actual",
    source="rpt_plan_vs_actual",
    mode=DETAIL,
    description=("Each ICB investment scheme's plan against the ICB's ledger spend on the scheme's cost "
                 "centres, to the end of the month. Slippage is plan to date less actual to date "
                 "(positive: behind plan); a scheme more than the threshold behind plan is slipping. "
                 "Forecast outturn by run rate is actual to date / months × 12; by plan profile, actual "
                 "to date plus the plan for the months to come."),
    dims=(ICS, Dim("scheme_name", "Scheme"), SERVICE_LINE_NAME, Dim("status", "Status", "code")),
    values=(Measure("fy_plan", "Plan for the year", "fy_plan"),
            Measure("plan_ytd", "Plan to date", "plan_ytd"),
            Measure("actual_ytd", "Actual to date", "actual_ytd"),
            Measure("slippage", "Slippage", "slippage_ytd"),
            Derived("slippage_pct", "Slippage %", "share", ("slippage", "plan_ytd")),
            Measure("forecast_run_rate", "Forecast (run rate)", "forecast_outturn_run_rate"),
            Measure("forecast_profile", "Forecast (plan profile)", "forecast_outturn_plan_profile"),
            Measure("underspend", "Forecast underspend", "forecast_underspend_plan_profile")),
    subtotals=("ics_id",),
    basis="£, the ICBs' investment plans",
    flag=Flag(where="status IN ('slipping', 'overspending')", label="Schemes slipping or overspending",
              text=_slip_text,
              drill=Drill(keys=("icb_id", "scheme_id", "fy", "period"),
                          where=("partner_id = $icb_id AND scheme_id = $scheme_id AND line_type = 'expenditure' "
                                 "AND fy = $fy AND period <= $period"),
                          figure="actual_ytd",
                          title=lambda v: f"{v['scheme_name']}: actual spend to {_month(v.get('period'))}")),
    charts=(
        Chart("plan_against_actual", "Plan against actual over the year (running totals)", "line",
              x=MONTH_OF_FY, value=_PLAN,
              also=(Measure("actual_line", "Actual to date", "actual_ytd", scope=YTD),), facet=ICS,
              x_title="Month", y_title="£, FY to date", excel=True, total_row=False),
    ),
)


# --- MH budget against actual ------------------------------------------------------
def _over_under(amount: Any) -> str:
    return f"{_m(abs(amount))} {'over' if (amount or 0) > 0 else 'under'}"


def _budget_text(v: Mapping[str, Any]) -> str:
    """The position in words: the outturn at month 12 (nothing left to rebalance), else the forecast."""
    if v.get("annual_budget") is None:
        return ""
    pct = v.get("forecast_pct")
    pct_text = f" ({f.pct_text(abs(pct))})" if pct is not None else ""
    if v.get("is_outturn"):
        return (f"Outturn {_m(v['forecast'])} against a budget of {_m(v['annual_budget'])}: "
                f"{_over_under(v['forecast_variance'])}{pct_text}.")
    return (f"{_over_under(v['variance_ytd'])} budget to date. Forecast outturn {_m(v['forecast'])} against "
            f"{_m(v['annual_budget'])}: {_over_under(v['forecast_variance'])}{pct_text} on the trend to date.")


def _budget_flag_text(v: Mapping[str, Any]) -> str:
    return (f"{v['partner_name']}, {v['service_line_name']}: {_budget_text(v)} Red: over by more than "
            f"{f.pct_text(v['red_tolerance_pct'])} of the annual budget.")


MH_BUDGET = Section(
    key="mh-budget",
    title="MH budget against actual",
    sheet_name="MH budget",
    source="rpt_mh_budget",
    mode=DETAIL,
    description=("Each partner's mental-health budget for a service line (reference/budgets.csv) against its "
                 "own mental-health spend on it (gross, as its ledger books it: payments to other partners "
                 "included, income not netted off), financial year to date. The annual budget is phased by "
                 "month by the most specific profile in reference/budget_phasing.csv (the partner's for the "
                 "service line, the partner's, the service line's, then everyone's), else in equal twelfths, "
                 "each month to the penny with the rounding remainder in the month of largest weight. "
                 "Variance is actual less budget (positive: overspent). Forecast outturn is actual to date plus "
                 "the phased budget for the remaining months plus the year-to-date trend: that budget over- or "
                 "underspent in the same proportion as the budget to date; at month 12 it is the outturn. "
                 "RAG on the forecast against the annual "
                 "budget: red over by more than the red tolerance, amber over by more than the amber tolerance "
                 "or under by more than the red one (sql/settings.yaml)."),
    dims=(Dim("ics_id", "System", "ics", blank="Both systems"), PARTNER, SERVICE_LINE,
          Dim("rag", "RAG", "code")),
    values=(Measure("annual_budget", "Budget for the year", "annual_budget"),
            Measure("budget_ytd", "Budget to date", "budget_ytd"),
            Measure("actual_ytd", "Actual to date", "actual_ytd"),
            Measure("variance_ytd", "Variance to date", "variance_ytd"),
            Measure("variance_pct", "Variance to date %", "variance_ytd_pct", fmt="pct", additive=False),
            Measure("forecast", "Forecast outturn (month 12: outturn)", "forecast_outturn"),
            Measure("forecast_variance", "Forecast variance", "forecast_variance"),
            Measure("forecast_pct", "Forecast variance %", "forecast_variance_pct", fmt="pct", additive=False),
            Measure("red_tolerance_pct", "Red tolerance %", "red_tolerance_pct", fmt="pct", additive=False,
                    show=False),
            Text("position", "Position", _budget_text),
            Text("phasing", "Phased by", lambda v: v.get("phasing_profile"))),
    hidden=("is_outturn", "service_line_name", "phasing_profile", "month_share"),
    subtotals=("ics_id",),
    basis="£, each partner's own ledger against its budget",
    flag=Flag(where="rag = 'red'", label="Budgets over the red tolerance", text=_budget_flag_text, first=True,
              drill=Drill(keys=("partner_id", "service_line", "fy", "period"), source="fct_mh_ledger",
                          where=("partner_id = $partner_id AND service_line = $service_line AND fy = $fy "
                                 "AND period <= $period AND line_type = 'expenditure'"),
                          figure="actual_ytd",
                          title=lambda v: (f"{v['partner_name']}, {v['service_line_name']}: actual spend to "
                                           f"{_month(v.get('period'))}"))),
    charts=(
        Chart("budget_variance", "Forecast variance against budget by partner (positive: over)", "hbar",
              x=PARTNER, value=Measure("v", "Forecast variance", "forecast_variance"),
              x_title="Partner", y_title="£ forecast over (+) or under (-) budget", sort_by_value=True),
    ),
)


# --- system position ------------------------------------------------------------
def _position_text(v: Mapping[str, Any]) -> str:
    net, rebalance, cover = v.get("net_underspend"), v.get("rebalance") or 0, v.get("cover") or 0
    if net is None:
        return ""
    as_at = v.get("as_at_period")
    if as_at and periods.fy_month_of(str(as_at)) == 12:
        # month 12: the year is over, so the position is the outturn; nothing is left to rebalance in year
        if net == 0:
            return f"Outturn: break-even against the plan of {_m(v['fy_plan'])}."
        if net > 0:
            return (f"Outturn {_m(net)} under plan: {_m(rebalance)} unspent on schemes behind plan"
                    f"{f', {_m(cover)} spent over plan on schemes ahead of it' if cover else ''}.")
        return (f"Outturn {_m(-net)} over plan: {_m(cover)} of overspends on schemes ahead of plan against "
                f"{_m(rebalance)} of underspends.")
    if net == 0:
        return f"Break-even: forecast to spend the plan of {_m(v['fy_plan'])}."
    if net > 0:
        ahead = (f"to schemes ahead of plan (which need {_m(cover)}) or to new schemes" if cover
                 else "to other or new schemes")
        return (f"Forecast {_m(net)} under plan. {_m(rebalance)} forecast unspent on schemes behind plan "
                f"could be rebalanced in year {ahead}; otherwise {_m(net)} could be handed back.")
    return (f"Forecast {_m(-net)} over plan: {_m(cover)} of overspends on schemes ahead of plan against "
            f"{_m(rebalance)} of underspends to offset them.")


SYSTEM_POSITION = Section(
    key="system-position",
    title="System position",
    source="rpt_system_position",
    description=("Each system's investment-plan position for the year, as at the latest month loaded: "
                 "plan against actual over all its ICB's schemes, both forecast outturns, and the money "
                 "that could be rebalanced between schemes in year or handed back. Underspends are by "
                 "plan profile (actual to date plus the plan still to come)."),
    dims=(ICS, Dim("as_at_period", "As at", "period")),
    values=(Measure("schemes", "Schemes", "schemes", scope=FY, fmt="int"),
            Measure("slipping", "Slipping", "slipping_schemes", scope=FY, fmt="int"),
            Measure("fy_plan", "Plan for the year", "fy_plan", scope=FY),
            Measure("actual_ytd", "Actual to date", "actual_ytd", scope=FY),
            Measure("forecast_run_rate", "Forecast (run rate)", "forecast_outturn_run_rate", scope=FY),
            Measure("forecast_profile", "Forecast (plan profile)", "forecast_outturn_plan_profile", scope=FY),
            Measure("net_underspend", "Net forecast underspend", "net_forecast_underspend", scope=FY),
            Measure("rebalance", "Could be rebalanced", "underspend_to_rebalance", scope=FY),
            Measure("cover", "Overspends to cover", "overspend_to_cover", scope=FY),
            Text("position", "Position", _position_text, totals=True)),
    period_col=None,
    basis="£, the ICBs' investment plans",
    charts=(
        Chart("position", "Forecast underspends: rebalance in year or hand back", "bar", x=ICS,
              value=Measure("rebalance", "Could be rebalanced", "underspend_to_rebalance", scope=FY),
              also=(Measure("cover", "Overspends to cover", "overspend_to_cover", scope=FY),
                    Measure("net", "Net: could be handed back", "net_forecast_underspend", scope=FY)),
              x_title="System", y_title="£ forecast for the year", excel=True, total_row=False),
    ),
)


# --- MHIS ---------------------------------------------------------------------------
def _mhis_status(v: Mapping[str, Any]) -> str:
    met, required = v.get("met"), v.get("required")
    if met is True:
        return f"Met: {_m(v.get('headroom'))} headroom"
    if met is False:
        return f"Not met: {_m(v.get('shortfall'))} short"
    if required is None:
        return "Not assessed: no prior year loaded"
    forecast = v.get("forecast")
    if forecast is not None and forecast >= required:
        return "Part year: forecast to meet it"
    return f"Part year: forecast {_m(required - (forecast or 0))} short"


def _mhis_text(v: Mapping[str, Any]) -> str:
    said = (f"{v['icb_name']} spent {_m(v['mhis_spend'])} on the MHIS base in {v.get('fy')} against "
            f"{_m(v['required'])} required (last year's {_m(v['prior_year'])} grown by the allocation's "
            f"{f.pct_text(v['allocation_growth'])})")
    if v.get("met") is False:
        return f"{said}: {_m(v['shortfall'])} short, so the standard is not met."
    return f"{said}: at the run rate it will spend {_m(v['forecast'])}, short of the standard."


def _mhis_category_definition(v: Mapping[str, Any]) -> str:
    """A row's definition (the SQL states it); a part's subtotal and an ICB's total say what they add up."""
    if v.get("definition"):
        return v["definition"]
    if isinstance(v.get("part"), _Label):
        return ("MHIS spend: the categories above, the MHIS sheet's MHIS spend" if "MHIS spend" in v["part"].text
                else "Mental-health spend left out of the MHIS: the exclusions above")
    return "All mental-health spend (MHIS spend + each exclusion): the MHIS sheet's All MH spend"


MHIS_CATEGORIES = Section(
    key="mhis-categories",
    title="MHIS by category, and what is outside it",
    source="rpt_mhis_categories",
    mode=DETAIL,
    description=("Each ICB's spend as NHS England's MHIS return reports it: MHIS spend by MHIS category, "
                 "children and young people's categories shown separately (of which CYP), then every "
                 "exclusion with its reason, so MHIS spend + the exclusions = all its mental-health spend "
                 "to the penny. Gross, as the ICB's own ledger books it (credits netted; payments to "
                 "partners not eliminated). The category of each service line is reference/service_lines.csv; "
                 "the funding streams in and out of the MHIS are sql/settings.yaml (docs/model.md, "
                 "'MHIS by category')."),
    dims=(Dim("icb_name", "ICB"), Dim("part", "Part"), Dim("line_name", "MHIS category or exclusion")),
    values=(Measure("amount", "£ in the year", "amount", scope=FY),
            Measure("cyp_amount", "Of which children and young people", "cyp_amount", scope=FY),
            Measure("line_order", "Order", "line_order", scope=FY, fmt="int", additive=False, show=False),
            Text("definition", "Definition", _mhis_category_definition, totals=True)),
    subtotals=("icb_name", "part"),
    order_by=(Sort("line_order"),),
    period_col=None,
    total=False,
    drop_zero_rows=False,
    basis="£ gross, the ICBs' own ledgers, financial year (to date)",
    hidden=("icb_id", "fy", "service_lines", "funding_streams", "definition"),
)


_MHIS_VALUES = (
    Measure("mhis_spend", "MHIS spend", "mhis_spend", scope=FY),
    Measure("prior_year", "Prior year", "prior_year_spend", scope=FY),
    Measure("allocation_growth", "Allocation growth %", "allocation_growth_pct", scope=FY, fmt="pct",
            additive=False),
    Measure("required", "Required", "required_spend", scope=FY),
    Measure("shortfall", "Shortfall", "shortfall", scope=FY),
    Measure("headroom", "Headroom", "headroom", scope=FY),
    Measure("forecast", "Forecast (run rate)", "forecast_mhis_spend", scope=FY),
)
MHIS = Section(
    key="mhis",
    title="Mental Health Investment Standard",
    sheet_name="MHIS",
    source="rpt_mhis",
    mode=DETAIL,
    description=("Each ICB's spend on the Mental Health Investment Standard base (its own ledger, MHIS "
                 "service lines, recurrent and section 75 pooled funds) against the standard: last year's "
                 "spend grown by the growth in its programme allocation. The standard is assessed on a "
                 "complete year; a part year shows the run-rate forecast. Mental-health share is all its "
                 "mental-health spend, any fund, as a share of its programme allocation."),
    dims=(ICS, Dim("icb_name", "ICB"), Dim("met", "Met", "bool")),
    values=_MHIS_VALUES + (
        Measure("months", "Months", "months_reported", scope=FY, fmt="int", additive=False, show=False),
        Measure("mhis_share", "MHIS share of allocation %", "mhis_share_of_allocation_pct", scope=FY,
                fmt="pct", additive=False),
        Measure("mh_spend", "All MH spend", "mh_spend", scope=FY),
        Measure("mh_share", "MH share of allocation %", "mh_share_of_allocation_pct", scope=FY, fmt="pct",
                additive=False),
        Text("status", "Status", _mhis_status)),
    period_col=None,
    basis="£, the ICBs' own ledgers",
    flag=Flag(where="NOT coalesce(met, forecast_met, TRUE)", label="ICBs not meeting the standard",
              text=_mhis_text,
              drill=Drill(keys=("icb_id", "fy"), source="fct_mh_ledger",
                          where=("partner_id = $icb_id AND fy = $fy AND line_type = 'expenditure' AND in_mhis "
                                 "AND funding_stream IN ('recurrent', 's75_pooled')"),
                          figure="mhis_spend", title=lambda v: f"{v['icb_name']}: MHIS spend {v.get('fy')}")),
    charts=(
        Chart("mhis_against_required", "MHIS spend against the standard", "bar",
              x=Dim("icb_name", "ICB"), value=Measure("spend", "MHIS spend", "mhis_spend", scope=FY),
              also=(Measure("req", "Required", "required_spend", scope=FY),),
              x_title="ICB", y_title="£ in the year", excel=True, total_row=False),
    ),
    parts=(MHIS_CATEGORIES,),
)


# --- variation -------------------------------------------------------------------
MEASURES_DIR = Path(__file__).resolve().parent.parent / "sql" / "measures"


def _measure_subject(name: str) -> str:
    """'Mental-health spend per weighted head' -> 'mental health'."""
    subject = re.split(r"\s+spend\s+per\s+", name or "", maxsplit=1)[0].replace("-", " ")
    first = subject.split(" ", 1)[0]
    return subject if first.isupper() else subject[:1].lower() + subject[1:]


def _variation_text(v: Mapping[str, Any]) -> str:
    diff = v.get("difference") or 0
    need_weighted = v.get("denominator_name") in ("mh_weighted_population", "need_weighted_population")
    per = "per need-weighted head" if need_weighted else "per weighted head"
    return (f"{v['unit_name']} spends {_p(v['rate'])} {per} on {_measure_subject(v['measure_name'])} against "
            f"{_p(v['peer_rate'])} for its peers (every other place): {f.label(v['flag'], 'code').lower()} "
            f"({_m(abs(diff))} {'more' if diff >= 0 else 'less'} than at the pooled rate of all places).")


def _variation_lines(v: Mapping[str, Any]) -> tuple[str, dict]:
    """The ledger lines of a measure's numerator: the measure's own filters (its YAML file,
    as assets/measures.py reads it) over fct_mh_ledger, for the unit and year."""
    import yaml
    doc = yaml.safe_load((MEASURES_DIR / f"{v['measure_id']}.yaml").read_text(encoding="utf-8")) or {}
    num = doc.get("numerator") or {}
    unit_col = "ics_id" if v.get("grouping") == "ics" else "place_id"
    params: dict[str, Any] = {"unit_id": v["unit_id"], "fy": v["fy"],
                              "line_types": list(num.get("line_types") or ["expenditure"])}
    sql = [f"{unit_col} = $unit_id", "fy = $fy", "list_contains($line_types, line_type)"]
    for key, col in (("service_lines", "service_line"), ("funding_streams", "funding_stream"),
                     ("partner_kinds", "partner_kind")):
        if num.get(key):
            sql.append(f"list_contains(${key}, {col})")
            params[key] = list(num[key])
    if (num.get("basis") or v.get("basis") or "net") == "net":
        sql.append("NOT is_eliminated")
    return " AND ".join(sql), params


# --- provider benchmarking (issue 17): the provider measures of rpt_variation, a part of the Variation
# sheet and page. The alliance's trusts are few (four): ranked and placed against the median, not flagged.
def _provider_numerator(v: Mapping[str, Any]) -> str:
    """'£12,345,679' (a cost-return measure) or '412 out-of-area placements' (an activity count)."""
    if v.get("numerator_source") == "provider_activity":
        return f"{f.int_text(v.get('numerator'))} {str(v.get('rate_unit') or '').split(' per ')[0]}"
    return _m(v.get("numerator"))


def _provider_denominator(v: Mapping[str, Any]) -> str:
    """The denominator with its unit: '60,140 occupied bed days', '949,256 weighted population served'."""
    name = v.get("denominator_name")
    if name == "provider_total_spend":
        return f"{_m(v.get('denominator'))} (all the trust's spend)"
    return f"{f.int_text(v.get('denominator'))} {str(name or '').replace('_', ' ')}"


PROVIDER_BENCHMARKING = Section(
    key="provider-benchmarking",
    title="Provider benchmarking: the alliance's trusts",
    source="rpt_variation",
    mode=DETAIL,
    where=("grouping = 'provider'",),
    description=("The mental-health trusts of the provider alliance compared with each other on the measures of "
                 "sql/measures/ whose unit is the provider: each measure's numerator is the trust's own cost "
                 "return or activity (reference/alliance_*.csv, not its ledger), its denominator the weighted "
                 "population the trust serves, its occupied bed days or its total spend, as stated on each row. "
                 "Same method as the places (each trust against the other trusts), but four trusts have three "
                 "peers each, fewer than the five a comparison with limits needs: so nothing is flagged, and the "
                 "rank (1 = highest rate) and the distance from the median say where a trust stands. A high or "
                 "low rate is a question to ask, not a judgement."),
    dims=(Dim("measure_name", "Measure"), Dim("unit_name", "Trust"), ICS),
    values=(Text("numerator_text", "Numerator", _provider_numerator),
            Text("denominator_text", "Denominator", _provider_denominator),
            Measure("rate", "Rate", "rate", scope=FY, fmt="dec2", additive=False),
            Text("unit", "Unit", lambda v: v.get("rate_unit")),
            Measure("rank", "Rank", "rate_rank", scope=FY, fmt="int", additive=False),
            Measure("median", "Median rate", "median_rate", scope=FY, fmt="dec2", additive=False),
            Measure("from_median", "From median", "distance_from_median", scope=FY, fmt="dec2", additive=False),
            Measure("peer_rate", "Other trusts' rate", "peer_rate", scope=FY, fmt="dec2", additive=False),
            Measure("decile", "Decile", "decile", scope=FY, fmt="int", additive=False),
            Text("definition", "Definition", lambda v: v.get("measure_description"))),
    period_col=None,
    system_col=None,            # the alliance spans both systems: every pack shows all its trusts
    total=False,
    hidden=("numerator", "denominator", "numerator_source", "denominator_name", "rate_unit", "measure_description"),
    basis="each measure in its own unit (the Unit column), financial year",
    charts=(
        Chart("provider_rates", "Each trust's rate", "hbar", x=Dim("unit_name", "Trust"),
              value=Measure("rate", "Rate", "rate", scope=FY, fmt="dec2", agg="any_value"),
              facet=Dim("measure_name", "Measure"), x_title="Trust",
              y_title="Rate, in the measure's unit (see its title and the Unit column)", total_row=False),
    ),
)


VARIATION = Section(
    key="variation",
    title="Variation between places and providers",
    sheet_name="Variation",
    source="rpt_variation",
    mode=DETAIL,
    description=("Spend per weighted head of population coded to each place, for each measure, compared with "
                 "the place's peers (every other place; the place itself never sets its own limits). The "
                 "limits (95% and 99.8%) allow for the size of each place's population and for the usual "
                 "variation between its peers, and are the same whether spend is counted in pounds or pence "
                 "(method and references: docs/model.md, 'Measures of variation'). Above or below peers is a "
                 "position, not a judgement. With fewer than five peers nothing is flagged: the rank and the "
                 "distance from the median say where a place stands. Spend with no place (trust-wide "
                 "services) is apportioned to the places of the spending partner's system by their share of "
                 "its weighted population and shown beside the placed spend (Apportioned, Per head incl. "
                 "apportioned); coverage is the share of the measure's spend coded to a place. Flags rest on "
                 "placed spend: a service coded to one place but serving more (e.g. a trust-wide unit) shows "
                 "as that place above its peers. Decile 10 is the highest-spending tenth. Spend is net of "
                 "payments between partners. Below the places and their funnel plot, the trusts of the provider "
                 "alliance are compared with each other."),
    dims=(Dim("measure_name", "Measure"), Dim("unit_name", "Place"), ICS, Dim("flag", "Position", "code")),
    values=(Measure("numerator", "Spend", "numerator", scope=FY),
            Measure("denominator", "Weighted population", "denominator", scope=FY, fmt="int"),
            Measure("rate", "Per head", "rate", scope=FY, fmt="money2", additive=False),
            Measure("peer_rate", "Peers' rate", "peer_rate", scope=FY, fmt="money2", additive=False),
            Measure("pooled_rate", "Pooled rate", "pooled_rate", scope=FY, fmt="money2", additive=False),
            Measure("z", "z-score", "z_score", scope=FY, fmt="dec2", additive=False),
            Measure("rank", "Rank", "rate_rank", scope=FY, fmt="int", additive=False),
            Measure("from_median", "From median per head", "distance_from_median", scope=FY, fmt="money2",
                    additive=False),
            Measure("decile", "Decile", "decile", scope=FY, fmt="int", additive=False),
            Measure("apportioned", "Apportioned", "apportioned_numerator", scope=FY),
            Measure("total_rate", "Per head incl. apportioned", "total_rate", scope=FY, fmt="money2",
                    additive=False),
            Measure("coverage", "Coverage %", "coverage_pct", scope=FY, fmt="pct", additive=False),
            Measure("difference", "Above (below) pooled", "difference_vs_pooled", scope=FY)),
    where=("grouping <> 'provider'",),   # the trusts: the part below (PROVIDER_BENCHMARKING)
    period_col=None,
    total=False,
    hidden=("denominator_name",),
    parts=(PROVIDER_BENCHMARKING,),
    basis="£ per weighted head, net of eliminations",
    flag=Flag(where="flag <> 'none'", label="Places above or below their peers' limits", text=_variation_text,
              drill=Drill(keys=("measure_id", "unit_id", "fy", "grouping", "basis"), source="fct_mh_ledger",
                          where=_variation_lines, figure="numerator",
                          title=lambda v: f"{v['unit_name']}: {v['measure_name']}, {v.get('fy')}")),
    charts=(
        Chart("funnel", "Funnel plot", "funnel", x=Dim("unit_name", "Place"),
              value=Measure("rate", "£ per weighted head", "rate", scope=FY, fmt="money2"),
              funnel=Funnel(), facet=Dim("measure_name", "Measure"),
              x_title="Weighted population", y_title="£ per weighted head", excel=True),
    ),
)


# --- funding consistency ------------------------------------------------------------
def _funding_text(v: Mapping[str, Any]) -> str:
    return (f"{v['provider_name']}, {v['place_name']} ({v['contract_id']}, {_m(v['value_per_unit'])} per "
            f"{(v.get('capacity_unit') or 'unit').rstrip('s')} against a median of {_m(v['median'])}): "
            f"{_words(v.get('flag_reasons'))}.")


FUNDING_CONSISTENCY = Section(
    key="funding-consistency",
    title="Funding consistency",
    source="rpt_funding_consistency",
    mode=DETAIL,
    description=("Like services funded unlike: contracts for the same service, with the same unit of capacity "
                 "and the same kind of provider, side by side. A contract is flagged when its funding stream "
                 "or contract type differs from its like contracts', or its value per unit of capacity is "
                 "more than the threshold from their median. The provider's own spend on the service (its "
                 "ledger) is shown beside the contract's value."),
    dims=(SERVICE_LINE_NAME, Dim("contract_id", "Contract"), Dim("commissioner_name", "Commissioner"),
          Dim("provider_name", "Provider"), Dim("place_name", "Place"), Dim("contract_type", "Type", "code"),
          FUNDING_STREAM, Dim("capacity_unit", "Unit")),
    values=(Measure("annual_value", "Annual value", "annual_value", scope=FY),
            Measure("capacity", "Capacity", "capacity", scope=FY, fmt="dec1", additive=False),
            Measure("value_per_unit", "Value per unit", "value_per_unit", scope=FY, additive=False),
            Measure("median", "Median of like contracts", "median_value_per_unit", scope=FY, additive=False),
            Measure("vs_median", "Against median %", "value_vs_median_pct", scope=FY, fmt="pct", additive=False),
            Measure("provider_spend", "Provider's spend", "provider_spend", scope=FY),
            Measure("provider_per_unit", "Provider's spend per unit", "provider_spend_per_unit", scope=FY,
                    additive=False)),
    period_col=None,
    system_col=None,
    where=(_partner_in_system("commissioner_id"),),
    total=False,
    hidden=("flag_reasons",),
    basis="£, contracts with a capacity",
    flag=Flag(where="flagged", label="Like services funded unlike", text=_funding_text,
              drill=Drill(keys=("provider_id", "fy", "service_line", "place_id"),
                          where=("partner_id = $provider_id AND fy = $fy AND line_type = 'expenditure' AND "
                                 "service_line = $service_line AND ($place_id IS NULL OR place_id = $place_id)"),
                          figure="provider_spend",
                          title=lambda v: f"{v['provider_name']}, {v['place_name']}: its own spend "
                                          f"on {v.get('service_line_name') or 'the service'}, {v.get('fy')}")),
)


# --- sector share -----------------------------------------------------------------
# The headline is by who received the money (rpt_sector_share_by_recipient): a finance director asking
# "how much goes to the voluntary sector" means money paid to charities, wherever the payer sits. The
# older view by delivering partner (rpt_sector_share) follows, labelled as such.
_RECIPIENT = Dim("sector", "Sector (who received the money)", "sector")
_RECIPIENT_SHARE = Measure("share", "Share", "share_pct", fmt="pct", additive=False)
_RECIPIENT_HIGH = Measure("share_high", "Share if all unclassified were this sector", "share_high_pct",
                          fmt="pct", additive=False)


def _band_text(v: Mapping[str, Any]) -> str:
    share, high = v.get("share"), v.get("share_high")
    if share is None:
        return ""
    if v.get("sector") == "unclassified":
        return f"The band: up to {f.pct_text(share)} more on any sector"
    if high is None or high == share:
        return f"{f.pct_text(share)}"
    return f"{f.pct_text(share)} to {f.pct_text(high)}"


SECTOR_BY_RECIPIENT = Section(
    key="sector-by-recipient",
    title="Sector share by who received the money",
    sheet_name="Sector by recipient",        # Excel sheet names are at most 31 characters
    source="rpt_sector_share_by_recipient",
    description=("Net mental-health spend, financial year to date, counted by who received the money: the "
                 "sector of the organisation paid (statutory NHS, local authority, voluntary sector (VCSE), "
                 "independent sector). Net of eliminations: a payment to a partner that sends its own ledger is "
                 "left out and that partner's own spend counted instead, so no pound is counted twice. In house: "
                 "money a partner pays its own staff, individuals or ordinary private suppliers (agency staff, "
                 "utilities, goods), or a line naming no one, counts to the paying partner's own sector - the "
                 "partner delivers the service itself. Unclassified: money paid to suppliers the counterparty "
                 "register cannot yet place in a sector (awaiting review); it makes an uncertainty band - each "
                 "sector's true share lies between its share and its share plus the unclassified share. Paid "
                 "to others is the part paid to organisations of the sector outside the paying partner. The "
                 "view by delivering partner (the partner's kind) is on the next page."),
    dims=(ICS, _RECIPIENT),
    values=(Measure("net", "Net spend FY to date", "net_spend"),
            _RECIPIENT_SHARE, _RECIPIENT_HIGH,
            Text("band", "Share band", _band_text),
            Measure("paid_to_others", "Paid to others (not in house)", "paid_to_others")),
    subtotals=("ics_id",),
    drop_zero_rows=False,         # every sector, even at £0: its band still says what it could be
    basis="£ net of eliminations, FY to date, by who received the money",
    charts=(
        Chart("recipient_shares", "Share of net spend by who received the money, FY to date", "stacked_hbar",
              x=ICS, series=_RECIPIENT, value=Measure("v", "Share, FY to date", "share_pct", fmt="pct",
                                                      additive=False),
              x_title="System", y_title="Share of net spend (%)", excel=True, total_row=False),
        # NHS left out: at 60-85% it would flatten the bands of the sectors the question is about.
        Chart("recipient_band", "Non-NHS sectors: share, and the most it could be if all unclassified money "
              "were theirs", "bar", x=_RECIPIENT,
              value=Measure("lo", "Share", "share_pct", fmt="pct", additive=False),
              also=(Measure("hi", "Share if all unclassified were this sector", "share_high_pct", fmt="pct",
                            additive=False),),
              where=("sector NOT IN ('nhs', 'unclassified')",), facet=ICS,
              x_title="Sector (who received the money)", y_title="Share of net spend (%)", excel=True,
              total_row=False),
    ),
)

_AREA = (ICS, Dim("geography_level", "Level", "code"), Dim("place_name", "Area"))
_AREA_ORDER = (Sort("ics_id"), Sort("geography_level"), Sort("place_name"))   # each system, then its places
SECTOR_SHARE = Section(
    key="sector-share",
    title="Sector share by delivering partner",
    sheet_name="Sector by partner",
    source="rpt_sector_share",
    description=("Net mental-health spend by delivering partner: the sector of the partner that delivers the "
                 "service - statutory NHS, local authority, voluntary (VCSE) and independent - for each system "
                 "(all its spend, system-wide services included) and each place (spend coded to the place), "
                 "financial year to date. Payments to suppliers outside the partnership count to the paying "
                 "partner's sector, so money an NHS body pays a charity counts as NHS here; the previous page "
                 "counts it by who received the money."),
    dims=_AREA,
    values=(Measure("ytd", "FY to date", "ytd_net_spend"),),
    pivot=Pivot(on=Dim("sector", "Sector", "sector"), value="ytd"),
    total=False,
    order_by=_AREA_ORDER,
    basis="£ net of eliminations, by delivering partner",
    charts=(
        Chart("sector_shares", "Share of net spend by delivering partner's sector, FY to date", "stacked_hbar",
              x=Dim("place_name", "Area"), series=Dim("sector", "Sector", "sector"),
              value=Measure("v", "Share, FY to date", "ytd_share_pct", fmt="pct", additive=False),
              facet=ICS, x_title="Area", y_title="Share of net spend (%)", excel=True, total_row=False),
        Chart("sector_trend", "Share of net spend by delivering partner's sector, month by month", "line",
              x=MONTH_OF_FY, series=Dim("sector", "Sector", "sector"),
              value=Measure("v", "Share in the month", "share_pct", scope=YTD, fmt="pct", additive=False),
              where=("geography_level = 'ics'",), facet=ICS, x_title="Month",
              y_title="Share of the month's net spend (%)", excel=True, total_row=False),
    ),
)


# --- contracts ------------------------------------------------------------------------
def _contract_text(v: Mapping[str, Any]) -> str:
    if v["status"] == "overrun":
        return (f"Over-run: {v['commissioner_name']} has paid {v['provider_name']} {_m(v['paid_to_date'])} "
                f"this year against an annual value of {_m(v['annual_value'])}: {_m(v['overrun'])} over.")
    return (f"Under-run: {v['commissioner_name']} has paid {v['provider_name']} {_m(v['paid_to_date'])} "
            f"against {_m(v['expected_to_date'])} expected by now on a {f.label(v['contract_type'], 'code').lower()} "
            f"contract: {_m(-(v['variance'] or 0))} under.")


CONTRACTS = Section(
    key="contracts",
    title="Contracts",
    source="rpt_contracts",
    mode=DETAIL,
    description=("Each contract's value against what its commissioner has paid the provider this year (the "
                 "commissioner's payments naming the provider, on the contract's funding stream, service line "
                 "and place). Expected to date is the value pro rata to the months elapsed. Over-runs are "
                 "payments above the annual value; block and grant contracts paid less than expected by more "
                 "than the tolerance under-run."),
    dims=(ICS, Dim("commissioner_name", "Commissioner"), Dim("provider_name", "Provider"),
          Dim("contract_id", "Contract"), Dim("contract_level", "Level", "code"),
          Dim("contract_type", "Type", "code"), SERVICE_LINE_NAME, Dim("status", "Status", "code")),
    values=(Measure("annual_value", "Annual value", "annual_value", scope=FY),
            Measure("expected_to_date", "Expected to date", "expected_to_date", scope=FY),
            Measure("paid_to_date", "Paid to date", "paid_to_date", scope=FY),
            Measure("variance", "Paid less expected", "variance_to_expected", scope=FY),
            Measure("overrun", "Over-run", "overrun", scope=FY),
            Derived("utilisation", "Paid % of value", "share", ("paid_to_date", "annual_value"))),
    period_col=None,
    subtotals=("ics_id",),
    basis="£, contracts in force this year",
    flag=Flag(where="status IN ('overrun', 'underrun')", label="Contract over- and under-runs",
              text=_contract_text, first=True,
              drill=Drill(keys=("commissioner_id", "provider_id", "fy", "funding_stream", "service_line",
                                "place_id"),
                          where=("partner_id = $commissioner_id AND counterparty_partner_id = $provider_id AND "
                                 "fy = $fy AND line_type = 'expenditure' AND funding_stream = $funding_stream "
                                 "AND ($service_line IS NULL OR service_line = $service_line) "
                                 "AND ($place_id IS NULL OR place_id = $place_id)"),
                          figure="paid_to_date",
                          title=lambda v: f"{v['contract_id']}: {v['commissioner_name']} paying "
                                          f"{v['provider_name']}, {v.get('fy')}")),
    parts=(
        Section(key="contract-mix", title="How contracts are let", source="rpt_contract_mix",
                description=("Block, cost and volume, grant and spot contracts by number and value, per "
                             "system. Budgets delegated to the lead provider are left out: it lets that money "
                             "again as its own subcontracts, which are counted."),
                dims=(ICS, Dim("contract_type", "Type", "code")),
                values=(Measure("contracts", "Contracts", "contracts", scope=FY, fmt="int"),
                        Measure("annual_value", "Annual value", "annual_value", scope=FY),
                        Measure("share", "Share of value %", "share_of_value_pct", scope=FY, fmt="pct",
                                additive=False),
                        Measure("paid", "Paid to date", "paid_to_date", scope=FY)),
                period_col=None, subtotals=("ics_id",), basis="£, provider-facing contracts",
                charts=(Chart("contract_mix", "Share of contract value by type", "stacked_hbar", x=ICS,
                              series=Dim("contract_type", "Type", "code"),
                              value=Measure("v", "Share of value", "share_of_value_pct", scope=FY, fmt="pct",
                                            additive=False),
                              x_title="System", y_title="Share of contract value (%)", excel=True,
                              total_row=False),)),
    ),
)


# --- the lead provider ------------------------------------------------------------------
def _lp_over_text(v: Mapping[str, Any]) -> str:
    return (f"{v['lead_provider_name']} spent {_m(v['spend'])} from April to {_month(v.get('period'))} against "
            f"{_m(v['delegated'])} delegated for those months: {_m(v['over'])} over its delegated budget.")


LEAD_PROVIDER = Section(
    key="lead-provider",
    title="Lead provider",
    source="rpt_lead_provider",
    description=("The lead provider's delegated secure-care budget month by month: what the ICBs delegated, "
                 "what it spent on beds and on community services, its occupied bed days and out-of-area "
                 "placements, and the saving on beds and the reinvestment in the community against its "
                 "first year's monthly average."),
    dims=(MONTH_OF_FY,),      # one lead provider (ref_lp_activity holds one's activity)
    values=(Measure("delegated", "Delegated budget", "delegated_budget", scope=YTD),
            Measure("income", "Income received", "delegated_income", scope=YTD),
            Measure("inpatient", "Beds (inpatient)", "inpatient_spend", scope=YTD),
            Measure("community", "Community", "community_spend", scope=YTD),
            Measure("other", "Other", "other_spend", scope=YTD),
            Measure("total_spend", "Total spend", "total_spend", scope=YTD),
            Measure("bed_days", "Occupied bed days", "occupied_bed_days", scope=YTD, fmt="int"),
            Measure("oaps", "Out-of-area placements", "out_of_area_placements", scope=YTD, fmt="int"),
            Measure("saving", "Saving on beds", "inpatient_saving", scope=YTD),
            Measure("reinvestment", "Community reinvestment", "community_reinvestment", scope=YTD)),
    system_col=None,
    basis="£, the lead provider's own ledger",
    charts=(
        Chart("lp_beds_community", "Beds and community spend against the first year's average", "line",
              x=MONTH_OF_FY, value=Measure("a", "Beds (inpatient)", "inpatient_spend", scope=YTD),
              also=(Measure("b", "Beds: first-year average", "baseline_inpatient_spend", scope=YTD),
                    Measure("c", "Community", "community_spend", scope=YTD),
                    Measure("d", "Community: first-year average", "baseline_community_spend", scope=YTD)),
              x_title="Month", y_title="£ in the month", excel=True, total_row=False),
    ),
    parts=(
        Section(key="lead-provider-delegated-budget", title="Against the delegated budget, FY to date",
                source="rpt_lead_provider", mode=DETAIL,
                description=("All the lead provider's expenditure (beds, community, hub and corporate costs) "
                             "from April to the month against the budget the ICBs delegated to it for those "
                             "months (a twelfth of each delegating contract's annual value a month). Spending "
                             "more than was delegated is flagged; the flag belongs to the lead provider's own "
                             "system's pack."),
                dims=(Dim("lead_provider_name", "Lead provider"),),
                values=(Measure("delegated", "Delegated budget to date", "ytd_delegated_budget"),
                        Measure("spend", "Spend to date", "ytd_total_spend"),
                        Measure("over", "Over (+) or under (-) the delegated budget", "ytd_over_delegated_budget"),
                        Derived("over_pct", "Over %", "share", ("over", "delegated"))),
                basis="£, the lead provider's own ledger", hidden=("period",),
                total=False, drop_zero_rows=False,
                flag=Flag(where="ytd_over_delegated_budget > 0", label="Lead provider over its delegated budget",
                          text=_lp_over_text, first=True)),
        # The reconciling line between this sheet's total spend and the lead provider's spend on Spend by partner.
        Section(key="lead-provider-reconciliation", title="Reconciliation to Spend by partner, FY to date",
                source="rpt_lead_provider", system_col=None,
                description=("Total spend above is all the lead provider's expenditure. Spend by partner, the open "
                             "book and every other mental-health figure count mental-health service lines only, so "
                             "they leave out its hub and corporate costs (service lines that are not mental "
                             "health, and any unclassified lines): total spend less that cost is its spend on "
                             "Spend by partner."),
                dims=(Dim("lead_provider_name", "Lead provider"),),
                values=(Measure("total_spend", "Total spend (this sheet)", "total_spend", scope=YTD, fmt="money2"),
                        Measure("non_mh_spend", "Corporate and hub cost excluded from the mental-health view",
                                "non_mh_spend", scope=YTD, fmt="money2"),
                        Measure("mh_spend", "Mental-health spend (as on Spend by partner)", "mh_spend",
                                scope=YTD, fmt="money2")),
                basis="£, the lead provider's own ledger", total=False),
        Section(key="lead-provider-subcontractors", title="Spend by subcontractor, FY to date",
                source="rpt_lead_provider_subcontractors", system_col=None,
                description=("Who the lead provider paid: each subcontractor in the partnership, and "
                             "everything else (other providers, suppliers and its own staff) together, with "
                             "the subcontractor's occupied bed days and the cost per occupied bed day."),
                dims=(Dim("subcontractor_name", "Paid to"),
                      Dim("subcontractor_kind", "Kind", "partner_kind", blank="—"),
                      Dim("service_line_name", "Service line")),
                values=(Measure("spend", "Spend FY to date", "spend", scope=YTD),
                        Measure("bed_days", "Occupied bed days", "occupied_bed_days", scope=YTD, fmt="int",
                                additive=False),
                        Measure("oaps", "Out-of-area placements", "out_of_area_placements", scope=YTD,
                                fmt="int", additive=False),
                        Derived("per_bed_day", "Cost per occupied bed day", "ratio", ("spend", "bed_days"))),
                basis="£, the lead provider's own ledger",
                charts=(Chart("lp_subcontractors", "Lead provider spend by who it paid, FY to date",
                              "stacked_hbar", x=Dim("subcontractor_name", "Paid to"),
                              series=Dim("service_line_name", "Service line"),
                              value=Measure("v", "Spend FY to date", "spend", scope=YTD),
                              x_title="Paid to", y_title="£, FY to date", sort_by_value=True),)),
    ),
)


# --- data quality ------------------------------------------------------------------------
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
    basis="rows of the partners' files",
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
    basis="rows of the partners' files",
)

FAILED_CHECKS = Section(
    key="failed-checks",
    title="Failed checks",
    source="rpt_dq_checks",
    description=("Checks that failed on this financial year's submissions. ERROR checks keep the month "
                 "out of the figures until the partner resubmits; WARN checks are for the partner to confirm."),
    dims=(PARTNER, Dim("period", "Month", "period"), Dim("severity", "Severity"),
          Dim("check_description", "Check"), Dim("sample", "Failing values", "sample")),
    values=(_count("rows", "Failing rows", "failing_rows", YTD),),
    basis="rows of the partners' files",
)


# --- agency staffing spend against its limit ----------------------------------------
def _agency_text(v: Mapping[str, Any]) -> str:
    return (f"{v['partner_name']} has paid staffing agencies {_m(v['agency_ytd'])} this financial year to "
            f"{_month(v.get('period'))}, {_m(v['variance'])} ({f.pct_text(v['variance_pct'] or 0)}) over its "
            f"limit to date of {_m(v['cap_ytd'])} ({_m(v['annual_cap'])} for the year: {v.get('cap_basis')}).")


AGENCY = Section(
    key="agency-spend",
    title="Agency staff spend against the limit",
    sheet_name="Agency spend",
    source="rpt_agency_spend",
    mode=DETAIL,
    description=("Agency staffing spend of each NHS provider against its agency spending limit, financial year "
                 "to date. Agency spend is what the provider's ledger paid (credits netted) to the staffing "
                 "agencies listed in reference/agency_suppliers.csv; a line paid to any other supplier is not "
                 "counted, whatever its description, so a new agency counts once it is listed. The limit is "
                 "reference/agency_caps.csv (a whole-year figure per provider, with what it rests on), phased "
                 "evenly: to date = limit × months elapsed / 12. Red: over the limit to date; amber: at or "
                 "above 95% of it (sql/settings.yaml, agency_amber_pct); green: below."),
    dims=(ICS, PARTNER, Dim("rag", "RAG", "code")),
    values=(Measure("annual_cap", "Limit for the year", "annual_cap"),
            Measure("cap_ytd", "Limit to date", "cap_ytd"),
            Measure("agency_ytd", "Agency spend to date", "agency_ytd"),
            Measure("variance", "Over (under) the limit", "variance_ytd"),
            Derived("variance_pct", "Over (under) %", "share", ("variance", "cap_ytd")),
            Measure("agency_month", "Agency spend, month", "agency_spend"),
            Text("basis", "Limit rests on", lambda v: v.get("cap_basis"))),
    hidden=("cap_basis",),
    basis="£ paid to staffing agencies, against each provider's limit",
    total=False,
    drop_zero_rows=False,
    flag=Flag(where="rag = 'red'", label="Providers over their agency spending limit", text=_agency_text,
              drill=Drill(keys=("partner_id", "fy", "period"),
                          where=("partner_id = $partner_id AND fy = $fy AND period <= $period "
                                 "AND line_type = 'expenditure' AND lower(trim(regexp_replace(counterparty, "
                                 "'\\s+', ' ', 'g'))) IN (SELECT name_key FROM ref_agency_suppliers)"),
                          figure="agency_ytd",
                          title=lambda v: f"{v['partner_name']}: agency spend to {_month(v.get('period'))}")),
    charts=(
        Chart("agency_against_limit", "Agency spend against the limit over the year (running totals)", "line",
              x=MONTH_OF_FY, value=Measure("agency_line", "Agency spend to date", "agency_ytd", scope=YTD),
              also=(Measure("cap_line", "Limit to date", "cap_ytd", scope=YTD),), facet=PARTNER,
              x_title="Month", y_title="£, FY to date", excel=True, total_row=False),
    ),
)

# In the order of an MHFOG pack: the open book and its balances, plans, the standard, variation,
# consistency, sectors, contracts, the lead provider; the gross spend behind the open book; data quality.
FLAG_REGISTER = Section(
    key="flag-register",
    title="Flag register",
    source="rpt_flag_register",
    mode=DETAIL,
    description=("Every flag the analytics raise - variation outliers, like services funded unlike, slipping "
                 "schemes, the Mental Health Investment Standard at risk, agreement-of-balances breaks, "
                 "contract over-runs, mental-health budgets over the red tolerance and the lead provider over "
                 "its delegated budget - first seen by this month, with the oversight group's latest decision "
                 "and the flag's status: new, open, overdue (an action past its due date), closed, or "
                 "recurred (raised again after it was closed). Decisions are recorded with "
                 "`openbook flags decide` and appear here after the next run. See also names the other flags, "
                 "data-quality warnings and possible repeat payments on the same ledger lines, with the money "
                 "they share."),
    basis="£ at stake on each flag (see its finding)",
    dims=(Dim("ics_id", "System", "ics", blank="Both systems"), Dim("flag_id", "Flag"),
          Dim("status_text", "Status"), Dim("kind_name", "Kind"), Dim("subject", "Subject"),
          Dim("first_seen_period", "First seen", "period"), Dim("latest_decision_text", "Latest decision"),
          Dim("summary", "What the analytics found"),
          # other flags, warnings and possible repeat payments on the same ledger lines (rpt_flag_links)
          Dim("see_also", "See also (same ledger lines)", blank="")),
    values=(Measure("amount", "Amount at stake", "amount", scope=ALL, additive=False),
            Measure("status_order", "Status order", "status_order", scope=ALL, fmt="int", additive=False,
                    show=False),
            Measure("kind_order", "Kind order", "kind_order", scope=ALL, fmt="int", additive=False,
                    show=False)),
    where=("first_seen_period <= $period",),
    hidden=("source_table",),       # the page that raises the flag, for the summary's count (flag_counts)
    order_by=(Sort("status_order"), Sort("kind_order")),
    period_col=None, fy_col=None, total=False, drop_zero_rows=False,
)

# --- the commissioner view by service line (issue 17) -------------------------------------
SYSTEM_BY_PAYER_SERVICE_LINE = Section(
    key="system-by-payer-service-line",
    title="Each system's spend by who pays, by service line (commissioner view)",
    sheet_name="Payer view by service line",  # Excel sheet names are at most 31 characters
    source="rpt_system_by_payer_service_line",
    description=("Net mental-health spend, financial year to date, by service line, in the two views of 'Each "
                 "system's spend by who pays'. Commissioner view (who pays): spend coded to a place belongs to "
                 "the place's system; a partner's other spend on a service line is shared between the systems "
                 "whose ICBs pay the partner, in the same proportions as there (what each ICB paid it this year "
                 "to date). A partner no ICB pays stays with its host system. Host view (second): as the open "
                 "book files it. Every pound of each partner's service line is counted once, and each system's "
                 "total is the same as on the by-partner view to the penny (the pennies of rounding are placed "
                 "so both add up)."),
    dims=(ICS, SERVICE_LINE),
    values=(Measure("payer", "Commissioner view", "payer_net_spend"),
            Measure("host", "Host view", "host_net_spend"),
            Derived("moved", "Commissioner less host", "diff", ("payer", "host")),
            Measure("apportioned", "Shared by ICB payments", "apportioned_net_spend")),
    subtotals=("ics_id",),
    basis="£ net of eliminations, FY to date: commissioner view, then host view",
)

SECTIONS: tuple[Section, ...] = (
    OPEN_BOOK, SYSTEM_BY_PAYER, SYSTEM_BY_PAYER_SERVICE_LINE, ELIMINATIONS, PLAN_VS_ACTUAL, SYSTEM_POSITION, MH_BUDGET, MHIS, VARIATION,
    FUNDING_CONSISTENCY,
    SECTOR_BY_RECIPIENT, SECTOR_SHARE, CONTRACTS, LEAD_PROVIDER, AGENCY, SPEND_BY_PARTNER, SPEND_BY_SERVICE_LINE,
    FLAG_REGISTER, DATA_QUALITY, QUARANTINE, FAILED_CHECKS,
)

# The summary: headline blocks (each a small Section), the count of flags, and its charts.
_HEADLINE = (SPEND_MONTH, SPEND_PREV, MOVEMENT, MOVEMENT_PCT, SPEND_YTD)
SUMMARY = Summary(
    title="Summary",
    description=("Net spend counts each pound once, where it is finally spent (payments between partners "
                 "that send their own ledgers eliminated); gross is as each partner booked it."),
    blocks=(
        Section(key="net-by-system", title="Net mental-health spend by system (the open book)",
                source="rpt_open_book", dims=(ICS,),
                values=(Measure("net_month", "Net, month", "net_spend"),
                        Measure("net_ytd", "Net FY to date", "net_spend", scope=YTD),
                        Measure("gross_ytd", "Gross FY to date", "gross_spend", scope=YTD),
                        Measure("eliminated_ytd", "Eliminated FY to date", "eliminated_spend", scope=YTD),
                        Measure("forecast", "Forecast outturn (net)", "forecast_outturn_net_spend"))),
        Section(key="mhis-headline", title="Mental Health Investment Standard", source="rpt_mhis",
                mode=DETAIL, dims=(Dim("icb_name", "ICB"),),
                values=(Measure("mhis_spend", "MHIS spend", "mhis_spend", scope=FY),
                        Measure("required", "Required", "required_spend", scope=FY),
                        Measure("shortfall", "Shortfall", "shortfall", scope=FY),
                        Measure("headroom", "Headroom", "headroom", scope=FY),
                        Measure("forecast", "Forecast", "forecast_mhis_spend", scope=FY, show=False),
                        Text("status", "Status", _mhis_status)),
                period_col=None, total=False, hidden=("met",)),
        Section(key="by-system", title="Gross spend by system", source="rpt_mh_spend",
                description="Total mental-health spend", dims=(ICS,), values=_HEADLINE),
        Section(key="by-partner-kind", title="Gross spend by partner kind", source="rpt_mh_spend",
                dims=(KIND,), values=_HEADLINE),
        Section(key="ytd-kind-system", title="Gross FY to date by partner kind and system",
                source="rpt_mh_spend", dims=(KIND,), values=(SPEND_YTD,),
                pivot=Pivot(on=ICS, value="ytd")),
    ),
    flags_after="mhis-headline",
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
