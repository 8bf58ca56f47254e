"""Which figures of the site are sums of ledger lines, and which lines.

Every money value of every section (and part, and summary block) is declared here: either as
a sum of lines (``Lines``: the line column summed, the row keys that pick the lines, the base
condition) or as not a sum of lines, with the reason (a ratio, a plan or contract value, a
forecast, a share apportioned by payments...). ``tests/reports/test_figure_drill.py`` holds
that every money value is one or the other, so a new section cannot silently go unlinked or be
linked wrongly; the site links only the first kind.

The registry lives beside the section specs rather than inside them so reports/sections/ stays the
one list of figures and this the one list of what stands behind them (and the two merge
independently). A figure's condition is built here; reports/drilldown.py runs it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Mapping

from reports import figure_drills
from reports.chart_figures import ChartData
from reports.query import ReportContext
from reports.sections.agency import AGENCY_LINES
from reports.sections.mhis import MHIS_SPEND_DRILL
from reports.sections.open_book import PAYEE_SIDE, PAYER_SIDE
from reports.spec import ALL, FY, MONTH, PREV_MONTH, YTD, Drill, Measure, Section, SpecError, Text
from reports.tables import Column, Row, Table
from warehouse import periods

MONEY_FMTS = ("money", "money2")
# a section's filters over its rpt table that hold verbatim over the lines too (the lines carry
# the column): a partner's own page
LINE_FRAGMENTS = frozenset({"partner_id = $partner_id"})
_PARAM_REF = re.compile(r"\$([a-z_][a-z0-9_]*)")


@dataclass(frozen=True)
class Lines:
    """A section's figures as sums of ledger lines.

    ``amounts``: value key -> the line column that sums to it (its scope comes from the
    section's Measure). ``keys``: row key (a dim, or a hidden column of a detail section) ->
    the line column it equals; a subtotal binds the dims it totals over, a total none.
    ``pivot``: the line column a pivot's columns are values of. ``flag_drill``: the value keys
    whose lines are the section's Flag.drill condition (bound from every detail row, flagged
    or not), or ``drill``'s for a detail section that flags nothing (each row names its own
    lines). ``drills``: value key -> the Drill naming a detail row's lines for that figure,
    when they are not the flag's (the month's part of a year to date, one side of a pair).
    ``not_lines``: value key -> why that figure is not linked."""
    amounts: Mapping[str, str] = field(default_factory=dict)
    keys: Mapping[str, str] = field(default_factory=dict)
    where: str = "line_type = 'expenditure'"
    source: str = "fct_mh_ledger"
    pivot: str | None = None
    flag_drill: tuple[str, ...] = ()
    not_lines: Mapping[str, str] = field(default_factory=dict)
    drill: Drill | None = None
    drills: Mapping[str, Drill] = field(default_factory=dict)
    line_scope: str | None = None   # the lines' period scope when not the measure's (an rpt table whose
                                    # month row holds the year to date: YTD)


@dataclass(frozen=True)
class NotLines:
    """A section none of whose figures is a sum of ledger lines, and why."""
    reason: str


@dataclass(frozen=True)
class Condition:
    """The lines behind one figure: ``amount`` summed over ``source`` WHERE ``where`` (params bound)."""
    source: str
    amount: str
    where: str
    params: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, source: str, amount: str, where: str, params: Mapping[str, Any]) -> "Condition":
        """The condition with its parameters frozen (sorted by name, lists as tuples), so the same lines asked
        for twice make the same key, hence one page."""
        return cls(source, amount, where,
                   tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items())))

    @property
    def key(self) -> tuple:
        return (self.source, self.amount, self.where, self.params)

    def bound(self) -> dict[str, Any]:
        return dict(self.params)


_GROSS = "gross_spend"
_NET = "net_spend"
_ELIM = "eliminated_spend"
_FORECAST = "a forecast (the run rate: spend to date / months × 12), not money booked"
_MOVEMENT = "the difference of two linked figures (this month and last month), each linked on its own"
_PCT = "a percentage"
_PLAN = "a plan value from the ICB's investment plan, not ledger lines"

_OPEN_BOOK_DIMS = {"ics_id": "ics_id", "partner_kind": "partner_kind", "partner_name": "partner_name",
                   "service_line_name": "service_line_name", "funding_stream": "funding_stream"}
_OPEN_BOOK_AMOUNTS = {"gross_month": _GROSS, "net_month": _NET, "gross_ytd": _GROSS,
                      "eliminated_ytd": _ELIM, "net_ytd": _NET}
_GROSS_AMOUNTS = {"month": _GROSS, "prev": _GROSS, "ytd": _GROSS}
_HEADLINE_NOT = {"movement": _MOVEMENT}

def _mhis_category_lines(v: Mapping[str, Any]) -> tuple[str, dict]:
    """An rpt_mhis_categories row's lines: the ICB's expenditure in the year on the row's service lines
    from the row's funding streams (any stream for an excluded service line, whose list is null)."""
    params = {"icb_id": v["icb_id"], "fy": v["fy"], "service_lines": list(v["service_lines"] or [])}
    where = ["partner_id = $icb_id", "fy = $fy", "line_type = 'expenditure'",
             "list_contains($service_lines, service_line)"]
    if v.get("funding_streams") is not None:
        where.append("list_contains($funding_streams, funding_stream)")
        params["funding_streams"] = list(v["funding_streams"])
    return " AND ".join(where), params


_COMMISSIONER_NOT = {"payer": "placed spend, plus a share of the spend coded to no place by ICB payments, plus "
                              "what is kept: not whole lines",
                     "moved": "the commissioner view less the host view: a share is in it",
                     "apportioned": "a partner's spend coded to no place shared by ICB payments, not whole lines"}

_MHIS_CATEGORY_DRILL = Drill(keys=("icb_id", "fy", "service_lines", "funding_streams"), source="fct_ledger",
                               where=_mhis_category_lines, figure="amount",
                               title=lambda v: f"{v['icb_name']}: {v['line_name']}, {v.get('fy')}")

def _pair_to_date(v: Mapping[str, Any]) -> tuple[str, dict]:
    """Both sides of a payer and payee's agreement from April to the row's month: their differences added up."""
    return (f"fy = $fy AND period <= $period AND ({PAYER_SIDE} OR {PAYEE_SIDE})",
            {"payer_id": v["payer_id"], "payee_id": v["payee_id"], "fy": periods.fy_of(v["period"]),
             "period": v["period"]})


def _pair_title(v: Mapping[str, Any]) -> str:
    return f"{v['payer_name']} and {v['payee_name']}, {v['period']}"


_PAYER_BOOKED = Drill(keys=("payer_id", "payee_id", "period"), where=f"period = $period AND {PAYER_SIDE}",
                      figure="payer_amount", title=_pair_title)
_DIFFERENCE_TO_DATE = Drill(keys=("payer_id", "payee_id", "period"), where=_pair_to_date, figure="ytd_difference",
                            title=_pair_title)
_AGENCY_MONTH = Drill(keys=("partner_id", "period"),
                      where=f"partner_id = $partner_id AND period = $period AND {AGENCY_LINES}",
                      figure="agency_month", title=lambda v: f"{v['partner_name']}: agency spend in {v['period']}")

FIGURE_LINES: dict[str, Lines | NotLines] = {
    # --- rpt_open_book and rpt_mh_spend: sums of fct_mh_ledger expenditure lines by their keys
    "open-book": Lines(_OPEN_BOOK_AMOUNTS, _OPEN_BOOK_DIMS, not_lines={"forecast": _FORECAST}),
    "spend-by-partner": Lines(_GROSS_AMOUNTS, _OPEN_BOOK_DIMS),
    "spend-by-service-line": Lines(_GROSS_AMOUNTS, _OPEN_BOOK_DIMS, not_lines=_HEADLINE_NOT),
    "net-by-service-line": Lines(_OPEN_BOOK_AMOUNTS, _OPEN_BOOK_DIMS),
    "net-by-funding-stream": Lines(_OPEN_BOOK_AMOUNTS, _OPEN_BOOK_DIMS),
    "net-by-system": Lines(_OPEN_BOOK_AMOUNTS, _OPEN_BOOK_DIMS, not_lines={"forecast": _FORECAST}),
    "by-system": Lines(_GROSS_AMOUNTS, _OPEN_BOOK_DIMS, not_lines=_HEADLINE_NOT),
    # the month-by-month chart picks a month's lines by their period
    "by-partner-kind": Lines(_GROSS_AMOUNTS, {**_OPEN_BOOK_DIMS, "period": "period"}, not_lines=_HEADLINE_NOT),
    "ytd-kind-system": Lines({"p_total": _GROSS}, _OPEN_BOOK_DIMS, pivot="ics_id"),
    # --- a partner's own page (reports/partner_pages.py): the open book's lines of that partner
    "partner-spend": Lines(_OPEN_BOOK_AMOUNTS, _OPEN_BOOK_DIMS),
    "partner-months": Lines({"gross": _GROSS, "eliminated": _ELIM, "net": _NET}, {**_OPEN_BOOK_DIMS, "period": "period"}),
    # --- detail sections: the lines their Flag.drill names, for every row
    # the payer's side and the year to date are sums of lines; the payee's side is its income lines with the
    # sign turned (reports/explain_composed.py)
    "eliminations": Lines(
        flag_drill=("difference",), drills={"payer_amount": _PAYER_BOOKED, "ytd_difference": _DIFFERENCE_TO_DATE},
        not_lines={"payee_amount": "the payee's income lines with their sign turned (money in is booked negative)"}),
    "plan-vs-actual": Lines(
        flag_drill=("actual_ytd",),
        not_lines={"fy_plan": _PLAN, "plan_ytd": _PLAN, "slippage": "plan less actual: a plan value is in it",
                   "forecast_run_rate": _FORECAST, "forecast_profile": "a forecast: actual plus plan to come",
                   "underspend": "a forecast less the plan"}),
    "mhis": Lines(
        flag_drill=("mhis_spend",),
        drills={"prior_year": figure_drills.MHIS_PRIOR_YEAR, "mh_spend": figure_drills.MHIS_ALL_MH},
        not_lines={"required": "the standard: last year's spend grown by the allocation",
                   "shortfall": "required less spend: the standard is in it",
                   "headroom": "spend less required: the standard is in it",
                   "forecast": _FORECAST}),
    # the same lines as the MHIS page's figure (one condition, so one page)
    "mhis-headline": Lines(
        flag_drill=("mhis_spend",), drill=MHIS_SPEND_DRILL,
        not_lines={"required": "the standard: last year's spend grown by the allocation",
                   "shortfall": "required less spend: the standard is in it",
                   "headroom": "spend less required: the standard is in it", "forecast": _FORECAST}),
    "mhis-categories": Lines(
        flag_drill=("amount",), drill=_MHIS_CATEGORY_DRILL,
        drills={"cyp_amount": replace(_MHIS_CATEGORY_DRILL, figure="cyp_amount")}),
    "variation": Lines(
        flag_drill=("numerator",),
        not_lines={"rate": "spend per weighted head: a ratio", "peer_rate": "a ratio over the place's peers",
                   "pooled_rate": "a ratio over every place", "from_median": "a distance between ratios",
                   "apportioned": "trust-wide spend apportioned by population share, not whole lines",
                   "total_rate": "a ratio", "difference": "spend less the pooled rate × population: a ratio is in it"}),
    "provider-benchmarking": NotLines("the trusts' own cost return and activity (reference/alliance_*.csv), "
                                      "not ledger lines: rates, ranks and distances from the median"),
    "funding-consistency": Lines(
        flag_drill=("provider_spend",),
        not_lines={"annual_value": "a contract value, not ledger lines", "value_per_unit": "a ratio",
                   "median": "a median of ratios", "provider_per_unit": "a ratio"}),
    "contracts": Lines(
        flag_drill=("paid_to_date",),
        not_lines={"annual_value": "a contract value, not ledger lines",
                   "expected_to_date": "the contract value pro rata, not ledger lines",
                   "variance": "paid less expected: a contract value is in it",
                   "overrun": "paid less the contract value: a contract value is in it"}),
    "mh-budget": Lines(
        flag_drill=("actual_ytd",),
        not_lines={"annual_budget": "a budget from the partner's budgets file, not ledger lines",
                   "budget_ytd": "the budget phased to date, not ledger lines",
                   "variance_ytd": "actual less budget: a budget is in it",
                   "forecast": "a forecast: actual plus budget to come plus the variance trend",
                   "forecast_variance": "a forecast less the budget"}),
    "agency-spend": Lines(
        flag_drill=("agency_ytd",), drills={"agency_month": _AGENCY_MONTH},
        not_lines={"annual_cap": "a limit from the agency caps file, not ledger lines",
                   "cap_ytd": "the limit phased to date, not ledger lines",
                   "variance": "agency spend less the limit: a limit is in it"}),
    # --- not (yet) expressed as lines
    # the lines each contract pays, the view rpt_contracts sums (and rpt_contract_mix sums its contracts), less
    # the budgets delegated to a lead provider, as rpt_contract_mix leaves them out
    "contract-mix": Lines(
        {"paid": "amount"}, {"ics_id": "ics_id", "contract_type": "contract_type"},
        where="contract_level <> 'delegated_budget'", source="fct_contract_payment_lines",
        not_lines={"annual_value": "contract values by type (reference rows), not ledger lines"}),
    # the host view is the open book's net spend, year to date at each month; the commissioner view shares a
    # partner's spend between systems by ICB payments (apportioned, not whole lines: reports/explain_payer.py)
    "system-by-payer": Lines({"host": _NET}, _OPEN_BOOK_DIMS, line_scope=YTD, not_lines=_COMMISSIONER_NOT),
    "system-by-payer-service-line": Lines({"host": _NET}, _OPEN_BOOK_DIMS, line_scope=YTD,
                                          not_lines=_COMMISSIONER_NOT),
    "system-position": NotLines("plan values and forecasts over all of an ICB's schemes; each scheme's actual "
                                "links to its lines on the Plan against actual page"),
    # the rpt table's month row holds the year to date; its lines carry who received the money
    "sector-by-recipient": Lines(
        {"net": "net_spend", "paid_to_others": "paid_to_others_spend"},
        {"ics_id": "ics_id", "sector": "recipient_sector"}, source="fct_mh_ledger_by_recipient", line_scope=YTD,
        not_lines={"share": _PCT, "share_high": "a percentage: the share plus the unclassified share"}),
    # the rpt table's month row holds the year to date; its lines carry the area (a system or a place) and
    # the delivering partner's sector it is summed by, and their month (the chart's shares month by month)
    "sector-share": Lines(
        {"p_total": "net_spend"},
        {"ics_id": "ics_id", "geography_level": "geography_level", "place_name": "place_name", "period": "period"},
        source="fct_sector_share_ledger", pivot="sector", line_scope=YTD),
    # the lead provider's expenditure lines of each month by category (beds, community, the rest, all)
    "lead-provider": Lines(
        drills=figure_drills.LEAD_PROVIDER_SPEND,
        not_lines={"delegated": "a twelfth of each delegating contract's value, not ledger lines",
                   "income": "its income lines turned positive (the ledger books income as credits)",
                   "saving": "against the first year's monthly average", "reinvestment":
                   "against the first year's monthly average"}),
    "lead-provider-delegated-budget": NotLines("the delegated budget is the delegating contracts' value; the "
                                               "lead provider's spend is a total over its whole ledger, linked "
                                               "on the open book page"),
    # all the lead provider's expenditure lines, April to the month; the split by service line is worked out
    "lead-provider-reconciliation": Lines(
        {"total_spend": "amount"}, {"lead_provider_name": "partner_name"},
        where="partner_kind = 'lead_provider' AND line_type = 'expenditure'", source="fct_ledger",
        not_lines={"non_mh_spend": "all its expenditure less that on mental-health service lines",
                   "mh_spend": "its expenditure on mental-health service lines, as Spend by partner counts it"}),
    # the lead provider's own expenditure lines with who it paid, the view rpt_lead_provider_subcontractors
    # sums (so a figure and its lines group the same way)
    "lead-provider-subcontractors": Lines(
        {"spend": "amount"}, {"subcontractor_name": "subcontractor_name", "subcontractor_kind": "subcontractor_kind",
                              "service_line_name": "service_line_name"},
        source="fct_lead_provider_ledger",
        not_lines={"per_bed_day": "spend per occupied bed day: a ratio"}),
    "flag-register": NotLines("the amount at stake on a flag is the flag's finding (a shortfall, an "
                              "over-run, a difference), linked from the flag's own page"),
    "data-quality": NotLines("row counts, not money"),
    "rows-set-aside": NotLines("row counts, not money"),
    "failed-checks": NotLines("row counts, not money"),
}


def money_values(section: Section) -> list[str]:
    """The keys of a section's money figures as shown (pivot columns stand for the pivoted measure)."""
    return [v.key for v in section.values if v.show and v.fmt in MONEY_FMTS and not isinstance(v, Text)]


def spec_of(section: Section) -> Lines | NotLines | None:
    return FIGURE_LINES.get(section.key)


def _scope(scope: str) -> str:
    """A measure's period scope over the lines (the same words as query._scope_sql)."""
    return {MONTH: "period = $period", PREV_MONTH: "period = $prev_period",
            YTD: "fy = $fy AND period <= $period", FY: "fy = $fy", ALL: "TRUE"}[scope]


def _bind_eq(column: str, name: str, value: Any) -> tuple[str, dict]:
    # IS NOT DISTINCT FROM: a null key (system-wide place, several service lines) is a value too
    return f"{column} IS NOT DISTINCT FROM ${name}", {name: value}


def _measure(section: Section, key: str) -> Measure | None:
    return next((v for v in section.values if isinstance(v, Measure) and v.key == key), None)


def _rename(where: str, params: dict, suffix: str) -> tuple[str, dict]:
    """A condition's $params renamed apart, so several rows' conditions can be OR-ed together."""
    return (_PARAM_REF.sub(lambda m: f"${m.group(1)}{suffix}", where),
            {f"{k}{suffix}": v for k, v in params.items()})


def _drill_of(section: Section) -> Drill | None:
    """The Drill naming a detail row's lines: its flag's, else the registry's own (a section flagging nothing)."""
    if section.flag is not None and section.flag.drill is not None:
        return section.flag.drill
    spec = spec_of(section)
    return spec.drill if isinstance(spec, Lines) else None


def flag_condition(section: Section, row: Row, drill: Drill | None = None) -> Condition:
    """A detail row's lines, as its section's Drill spec names them (flagged or not), or as ``drill`` does."""
    drill = drill or _drill_of(section)
    if callable(drill.where):
        where, params = drill.where(row.facts)
    else:
        where, params = drill.where, {k: row.hidden.get(k) for k in drill.keys}
    wanted = set(_PARAM_REF.findall(where))
    if wanted - set(params):
        raise SpecError(f"section {section.key}: drill-down condition needs {sorted(wanted - set(params))}")
    return Condition.of(drill.source, drill.amount, where, {k: v for k, v in params.items() if k in wanted})


def rows_condition(section: Section, rows: list[Row], drill: Drill | None = None) -> Condition | None:
    """The lines of several detail rows together (None for no row). One row: its own condition, as its flag's, so
    the same lines open the same page."""
    drill = drill or _drill_of(section)
    if len(rows) == 1:
        return flag_condition(section, rows[0], drill)
    parts, params = [], {}
    for i, r in enumerate(rows):
        c = flag_condition(section, r, drill)
        w, p = _rename(c.where, c.bound(), f"_{i}")
        parts.append(f"({w})")
        params.update(p)
    if not parts:
        return None
    return Condition.of(drill.source, drill.amount, " OR ".join(parts), params)


def condition(section: Section, table: Table, row: Row, col: Column,
              ctx: ReportContext) -> Condition | None:
    """The lines behind one figure of a section's table, or None when it is not a sum of lines."""
    spec = spec_of(section)
    if not isinstance(spec, Lines) or row.values.get(col.key) is None:
        return None
    drill = spec.drills.get(col.key) or (_drill_of(section) if col.key in spec.flag_drill else None)
    if drill is not None:
        # a subtotal's lines are its rows' (those with the figure: a row without it adds nothing to it)
        rows = [row] if row.role == "detail" else [r for r in _rows_under(table, row)
                                                     if r.values.get(col.key) is not None]
        return rows_condition(section, rows, drill)
    # a pivot column: the pivoted measure, with the pivot's dim bound to the column's value
    pivot_value = None
    if section.pivot is not None and col.key.startswith("p") and col.key != "p_total":
        if spec.pivot is None or "p_total" not in spec.amounts:
            return None
        measure, amount = _measure(section, section.pivot.value), spec.amounts["p_total"]
        pivot_value = (spec.pivot, _pivot_raw(table, col, section))
    elif col.key in spec.amounts:
        measure = _measure(section, col.key) if section.pivot is None or col.key != "p_total" \
            else _measure(section, section.pivot.value)
        amount = spec.amounts[col.key]
    else:
        return None
    if measure is None:
        return None
    return _sum_condition(section, spec, amount, measure.scope, _row_keys(section, row), pivot_value, ctx)


def _sum_condition(section: Section, spec: Lines, amount: str, scope: str, keys: dict[str, Any],
                   pivot_value: tuple[str, Any] | None, ctx: ReportContext) -> Condition | None:
    """The lines summing to one figure (a table's cell or a chart's point): the spec's base filter,
    the period scope, the keys bound to the line columns they equal, the pivot's value, and the
    section's own filters where they hold over the lines. One builder for both, so the same lines
    make the same condition, hence one page."""
    # a line adding nothing to the figure (an eliminated line's net spend, an income line's gross)
    # is not behind it: left out, so the page lists only the lines that make the figure
    where = [f"({spec.where})", _scope(spec.line_scope or scope), f"{amount} <> 0"]
    params: dict[str, Any] = {}
    if ctx.ics_id is not None:
        where.append("ics_id = $ics_id")
    for key, value in keys.items():
        column = spec.keys.get(key)
        if column is None:
            return None                       # a key the lines do not carry: cannot pick them
        w, p = _bind_eq(column, f"k_{key}", value)
        where.append(w)
        params.update(p)
    if pivot_value is not None:
        w, p = _bind_eq(pivot_value[0], "k_pivot", pivot_value[1])
        where.append(w)
        params.update(p)
    if not set(section.where) <= LINE_FRAGMENTS:
        return None                           # its fragments are over the rpt table, not the lines
    where += list(section.where)
    base = {"period": ctx.period, "prev_period": ctx.prev_period, "fy": ctx.fy, "ics_id": ctx.ics_id,
            "partner_id": ctx.partner_id}
    text = " AND ".join(where)
    wanted = set(_PARAM_REF.findall(text))
    params.update({k: v for k, v in base.items() if k in wanted})
    return Condition.of(spec.source, amount, text, params)


def _row_keys(section: Section, row: Row) -> dict[str, Any]:
    """The keys a row binds: a detail row its dims, a subtotal the dims it totals over, a total none."""
    dims = [d.key for d in section.dims]
    if row.role == "total":
        return {}
    shown = {c for c in row.values}
    if row.role == "subtotal":
        # the subtotal dims the table kept (a one-system pack drops the system), outermost first
        subs = [k for k in section.subtotals if k in shown]
        return dict(zip(subs[:row.level + 1], row.group))
    return {k: row.values.get(k) for k in dims if k in shown}


def _rows_under(table: Table, total: Row) -> list[Row]:
    """The detail rows a subtotal or total adds up."""
    i = table.rows.index(total)
    if total.role == "total":
        return [r for r in table.rows if r.role == "detail"]
    out = []
    for r in reversed(table.rows[:i]):
        if r.role == "subtotal" and r.level <= total.level:
            break
        if r.role == "detail":
            out.append(r)
    return out


def _pivot_raw(table: Table, col: Column, section: Section) -> Any:
    raw = getattr(col, "raw", None)
    if raw is not None:
        return raw
    raise SpecError(f"section {section.key}: pivot column {col.key} has no raw value")


def chart_point_condition(section: Section, data: ChartData, series: int | None, index: int | None,
                          ctx: ReportContext) -> Condition | None:
    """The lines behind one point (bar, line marker) of a section's chart, or None when the point
    is not a sum of ledger lines: its measure must be one of the section's linked sums (same
    column, same aggregate), and the chart's category, series and facet must be columns the lines
    carry. Funnels and waterfalls are not sums of one set of lines; a chart with SQL filters of its
    own (over the rpt table, not the lines) is left unlinked rather than linked wrongly, and so is a
    section's filter that does not hold over the lines (_sum_condition). ``series`` None: the
    category's total over its series (the Total column of the chart's figures); ``index`` None: the
    series' total over every category (the Total row of the chart's figures)."""
    spec, chart = spec_of(section), data.chart
    if not isinstance(spec, Lines) or chart.kind in ("funnel", "waterfall") or chart.where:
        return None
    at = range(len(data.x_values)) if index is None else [index]
    sv = None if series is None else data.series[series][0]
    value = sum((vals[i] or 0 for j, (_, vals) in enumerate(data.series) if series in (None, j) for i in at),
                Decimal(0))
    measure = sv if isinstance(sv, Measure) else chart.value
    if measure.agg != "sum" or measure.fmt not in MONEY_FMTS or not value:
        return None
    amount = _chart_amount(section, spec, measure)
    if amount is None:
        return None
    keys = {chart.x.key: data.x_values[index]} if index is not None else {}
    if chart.series is not None and sv is not None and not isinstance(sv, Measure):
        keys[chart.series.key] = sv
    if chart.facet is not None:
        keys[chart.facet.key] = data.facet
    pivot_value = None
    if section.pivot is not None and section.pivot.on.key in keys:
        if spec.pivot is None:
            return None
        pivot_value = (spec.pivot, keys.pop(section.pivot.on.key))
    # the keys in the order a table's row binds them (the section's dims), as _sum_condition names them
    order = [d.key for d in section.dims]
    ordered = dict(sorted(keys.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
    return _sum_condition(section, spec, amount, measure.scope, ordered, pivot_value, ctx)


def _chart_amount(section: Section, spec: Lines, measure: Measure) -> str | None:
    """The line column a chart's measure sums: that of the section's linked measure over the same
    rpt column (a pivot's measure stands under p_total)."""
    for value in section.values:
        if not isinstance(value, Measure) or value.column != measure.column or value.agg != measure.agg:
            continue
        if value.key in spec.amounts:
            return spec.amounts[value.key]
        if section.pivot is not None and value.key == section.pivot.value and "p_total" in spec.amounts:
            return spec.amounts["p_total"]
    return None

