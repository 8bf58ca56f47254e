"""The vocabulary of a report section: what a ``Section(...)`` declaration is made of.

A *section* is a table (and optional charts) of one ``rpt_*`` table, shown as a sheet
of the Excel board pack and a page of the HTML site. Its declaration names the source,
the grouping columns (``Dim``), the figures (``Measure``: an aggregate over a period
scope; ``Derived``: movement, percentage change, ratio or share of two measures;
``Text``: a sentence made from the row), and optionally the rows it flags (``Flag``, with
the ledger lines behind a flagged figure: ``Drill``), its order (``Sort``), a ``Pivot``
and its charts (``Chart``; a funnel plot's columns: ``Funnel``). Example (a
plan-vs-actual table):

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

Identifiers in a spec are checked here, when the spec is made (its shape); the query
layer checks them again against the table's columns before a query runs
(reports/section_figures.py, reports/chart_figures.py). The sections themselves are
declared in reports/sections/. This module imports only reports/formatting.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Union

from reports import formatting as f


MONTH, PREV_MONTH, YTD, FY, ALL = "month", "prev_month", "ytd", "fy", "all"
SCOPES = (MONTH, PREV_MONTH, YTD, FY, ALL)
AGGREGATE, DETAIL = "aggregate", "detail"
AGGREGATES = ("sum", "min", "max", "avg", "count", "any_value")
CHART_KINDS = ("bar", "stacked_bar", "hbar", "stacked_hbar", "line", "funnel", "waterfall")
EXCEL_CHART_KINDS = ("bar", "stacked_bar", "hbar", "stacked_hbar", "line", "funnel")
DERIVED_OPS = {"diff": "money", "pct_change": "pct", "ratio": "money2", "share": "pct"}
# Drill-down pages are the one place reports read fct_ tables: these, and nothing else.
DRILL_SOURCES = ("fct_ledger", "fct_mh_ledger", "fct_mh_ledger_by_recipient", "fct_lead_provider_ledger",
                 "fct_sector_share_ledger", "fct_contract_payment_lines")
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
    # its rating on page one: amber (for the group's attention) unless the flag's own rule is a
    # red tolerance, which page one must not soften ("Red: over by more than 3%" under Amber)
    rag: str = "Amber"


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
    end: Measure | None = None    # waterfall: the table's figure its end total is (what is left), to link to it
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
    sheet_name: str = ""        # a part's: the board pack gives it a sheet of its own (the site: its section's page)
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
    # a part with a sheet_name is a sheet of its own in the board pack (reports/excel_pack.py)
    for sec in [s for top in sections for s in (top,) + tuple(p for p in top.parts if p.sheet_name)]:
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
