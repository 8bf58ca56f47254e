"""How a money figure that is not a sum of ledger lines was made: the rows and the arithmetic.

reports/figure_lines.py links every figure that is a sum of ledger lines to the page of its lines,
and says why each other money figure is not one. Those made by plain arithmetic from reference data
and from figures of the same row are explained here (``EXPLAIN``: section key -> value key -> how):
a plan or a budget (its rows of reference/investment_plans.csv, reference/budgets.csv, phased by
month), a contract value or a limit (its row of the reference file) and its share to date, a
difference of two figures, a ratio. An explanation is a list of terms (each a reference row with
its file and line, or a figure of the row: a ledger sum linked to its lines, or a figure explained
in turn), added up, then optionally scaled (× a ÷ b, rounded half up to the penny, as the SQL of the
rpt table does) and floored at zero. A subtotal or total adds up the figures of the rows it totals,
each linked to its own page.

Explain pages read ref_ tables (and the rpt table behind the figure) beside the drill pages' fct_
tables: the reference rows are what the figure rests on. The page of each figure is built by
``ExplainSet`` (one per figure, shared by every place showing it) and written by html_site.py
(reports/explain_html.py) under explain/; tests/reports/test_figure_explain.py recomputes every one from the
warehouse.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Mapping

import duckdb

from reports import formatting as f
from reports.figure_lines import MONEY_FMTS, _rows_under
from reports.spec import Measure, Section
from reports.tables import Column, Row, Table
from warehouse import periods


# money, and the percentages whose working is a ratio of money figures
EXPLAINED_FMTS = MONEY_FMTS + ("pct",)


@dataclass(frozen=True)
class Source:
    """The reference row a term was read from: its table, the file it was loaded from and the file's
    line (header = line 1), and the row's columns as shown."""
    table: str
    file: str | None
    line: int | None
    fields: tuple[tuple[str, Any], ...]


@dataclass
class Term:
    label: str
    value: Decimal
    sign: int = 1                    # +1 added, -1 taken off
    column: str | None = None        # a figure of the row: its link is the term's
    href: str | None = None          # the page behind the term (lines or an explanation)
    source: Source | None = None
    fmt: str = "money2"


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

    @property
    def total(self) -> Decimal:
        return sum((t.sign * t.value for t in self.terms), Decimal(0))

    @property
    def scaled(self) -> bool:
        return self.times != 1 or self.per != 1

    @property
    def result(self) -> Decimal:
        value = self.total
        if self.scaled:
            value = (value * self.times / self.per).quantize(Decimal(self.places), rounding=ROUND_HALF_UP)
        if self.floor is not None:
            value = max(value, self.floor)
        return value


@dataclass
class At:
    """The figure being explained: its row of its section's table (facts: every value, hidden keys too)."""
    con: duckdb.DuckDBPyConnection
    section: Section
    table: Table
    row: Row

    @property
    def facts(self) -> dict[str, Any]:
        return self.row.facts


Explainer = Callable[[At], "Explanation | None"]


# ---------------------------------------------------------------------------
# Reference rows
def _ref_file(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The file the table was last loaded from (ref_load_log), or None when the log is not there."""
    try:
        row = con.execute("SELECT source_file FROM ref_load_log WHERE table_name = ? AND status = 'accepted' "
                          "ORDER BY loaded_at DESC LIMIT 1", [table]).fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def _ref_rows(con: duckdb.DuckDBPyConnection, table: str, fields: tuple[str, ...], where: str,
              params: list[Any], order: str) -> list[Source]:
    """Reference rows with where they came from. A CSV file is loaded in file order, so a row's place in
    the table is its line in the file (after the header); from a workbook the line is not known."""
    file = _ref_file(con, table)
    csv = bool(file) and file.lower().endswith(".csv")
    recs = con.execute(f"SELECT rowid, {', '.join(fields)} FROM {table} WHERE {where} ORDER BY {order}",
                       params).fetchall()
    return [Source(table, file, (r[0] + 2) if csv else None, tuple(zip(fields, r[1:]))) for r in recs]


def _field(source: Source, name: str) -> Any:
    return dict(source.fields)[name]


# ---------------------------------------------------------------------------
# How each kind of figure is made
def _label(section: Section, key: str) -> str:
    return next(v.label for v in section.values if v.key == key)


def _in_sentence(label: str) -> str:
    """A column label inside a sentence: its first letter lowered unless it starts an acronym
    ("Plan to date" -> "plan to date", "MHIS spend" stays)."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _figure(at: At, key: str, sign: int = 1) -> Term:
    fmt = next(v.fmt for v in at.section.values if v.key == key)
    return Term(_label(at.section, key), Decimal(at.facts.get(key) or 0), sign, column=key, fmt=fmt)


def _difference(a: str, b: str) -> Explainer:
    """a − b, two figures of the row, each linked to its own page."""
    def explain(at: At):
        return Explanation(f"{_in_sentence(_label(at.section, a))} less {_in_sentence(_label(at.section, b))}",
                           [_figure(at, a), _figure(at, b, -1)])
    return explain


def _plan(whole_year: bool) -> Explainer:
    """A scheme's plan rows of reference/investment_plans.csv, month by month, for the year or to date."""
    def explain(at: At):
        con, facts = at.con, at.facts
        fy, period = facts["fy"], facts["period"]
        last = periods.fy_end(period) if whole_year else period
        rows = _ref_rows(con, "ref_investment_plans", ("icb_id", "scheme_id", "period", "planned_amount"),
                         "icb_id = ? AND scheme_id = ? AND period BETWEEN ? AND ?",
                         [facts["icb_id"], facts["scheme_id"], periods.fy_start(period), last], "period")
        terms = [Term(f"Planned for {f.month_label(_field(s, 'period'))}", Decimal(_field(s, "planned_amount")),
                      source=s) for s in rows]
        return Explanation(f"the scheme's planned amounts for the months of {fy}"
                           + ("" if whole_year else f" to {f.month_label(period)}") + ", added up", terms)
    return explain


def _forecast_profile(at: At):
    return Explanation("actual to date plus the plan for the months still to come (the year's plan less the "
                       "plan to date)", [_figure(at, "actual_ytd"), _figure(at, "fy_plan"), _figure(at, "plan_ytd", -1)])


def _run_rate(at: At):
    month = periods.fy_month_of(at.facts["period"])
    return Explanation(f"actual to date ÷ {month} month{'s' if month != 1 else ''} elapsed × 12, rounded half up "
                       "to the penny", [_figure(at, "actual_ytd")], times=Decimal(12), per=Decimal(month),
                       by=f"× 12 months ÷ {month} elapsed")


def _one_ref(table: str, fields: tuple[str, ...], keys: tuple[tuple[str, str], ...], value: str,
             what: str) -> Explainer:
    """A value read from one reference row: ``keys`` (table column, the row's fact) pick it."""
    def explain(at: At):
        rows = _ref_rows(at.con, table, fields, " AND ".join(f"{col} = ?" for col, _ in keys),
                         [at.facts.get(k) for _, k in keys], "rowid")
        if len(rows) != 1:
            return None              # none, or several the SQL adds up: not one row to show
        return Explanation(what, [Term(_label(at.section, _value_key(at.section, value)),
                                       Decimal(_field(rows[0], value)), source=rows[0])])
    return explain


def _value_key(section: Section, column: str) -> str:
    """The key of the section's value over an rpt column of the same name (annual_budget, annual_cap)."""
    return next((v.key for v in section.values if isinstance(v, Measure) and v.column == column), column)


def _pro_rata(value: str, months: Callable[[duckdb.DuckDBPyConnection, Mapping[str, Any]], int | None],
              what: str) -> Explainer:
    """A year's value (a figure of the row) × the months elapsed ÷ 12, to the penny."""
    def explain(at: At):
        n = months(at.con, at.facts)
        if n is None:
            return None
        return Explanation(f"{_in_sentence(_label(at.section, value))} × {n} month{'s' if n != 1 else ''} {what} ÷ 12, "
                           "rounded half up to the penny", [_figure(at, value)],
                           times=Decimal(n), per=Decimal(12), by=f"× {n} months ÷ 12")
    return explain


def _contract_months(con, facts) -> int | None:
    row = con.execute("SELECT months_elapsed FROM rpt_contracts WHERE contract_id = ? AND fy = ?",
                      [facts["contract_id"], facts["fy"]]).fetchone()
    return row[0] if row else None


def _floored(a: str, b: str) -> Explainer:
    """a − b when more than nothing, else £0 (an over-run, a shortfall, a headroom)."""
    def explain(at: At):
        return Explanation(f"{_in_sentence(_label(at.section, a))} less {_in_sentence(_label(at.section, b))}, when more than "
                           "nothing (else £0)", [_figure(at, a), _figure(at, b, -1)], floor=Decimal(0))
    return explain


def _phased_budget(at: At):
    """The budget to date: each month's phased budget (rpt_mh_budget, annual × the month's share of its
    profile) from April, with the budget row and the profile's weights behind them."""
    con, facts = at.con, at.facts
    period = facts["period"]
    months = con.execute(
        "SELECT period, budget, month_share, phasing_profile FROM rpt_mh_budget WHERE partner_id = ? "
        "AND service_line = ? AND fy = ? AND period <= ? ORDER BY period",
        [facts["partner_id"], facts["service_line"], facts["fy"], period]).fetchall()
    budget = _ref_rows(con, "ref_budgets", ("partner_id", "fy", "service_line", "annual_budget"),
                       "partner_id = ? AND fy = ? AND service_line = ?",
                       [facts["partner_id"], facts["fy"], facts["service_line"]], "rowid")
    terms = [Term(f"Budget for {f.month_label(p)}: {f.money2_text(budget[0].fields[3][1]) if budget else 'the annual budget'}"
                  f" × {share} ({profile})", Decimal(b)) for p, b, share, profile in months]
    if budget and terms:
        terms[0].source = budget[0]
    return Explanation("the annual budget phased by month (its share of the profile's weights, to the penny, "
                       "the rounding remainder in the month of largest weight), April to "
                       f"{f.month_label(period)}, added up", terms)


def _budget_forecast(at: At):
    """Actual to date, the budget still to come, and the trend to date carried over it (rpt_mh_budget's rule)."""
    actual, annual, to_date = (Decimal(at.facts.get(k) or 0) for k in ("actual_ytd", "annual_budget", "budget_ytd"))
    trend = Decimal(0)
    if to_date > 0:
        trend = ((actual - to_date) * (annual - to_date) / to_date).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Explanation("actual to date, plus the budget for the months still to come, plus the trend to date "
                       "carried over them (that budget over- or underspent in the same proportion as the budget "
                       "to date)", [_figure(at, "actual_ytd"), _figure(at, "annual_budget"), _figure(at, "budget_ytd", -1),
                                    Term("Trend: variance to date × (budget for the year − budget to date) ÷ budget "
                                         "to date, rounded half up to the penny", trend)])


def _cap_months(con, facts) -> int:
    return periods.fy_month_of(facts["period"])


def _required(at: At):
    """The standard: last year's MHIS spend × this year's programme allocation ÷ last year's, to the penny
    (reference/allocations.csv)."""
    fy, icb = at.facts["fy"], at.facts["icb_id"]
    prior_fy = f"{int(fy[:4]) - 1}-{fy[2:4]}"
    rows = _ref_rows(at.con, "ref_allocations", ("icb_id", "fy", "programme_allocation"),
                     "icb_id = ? AND fy IN (?, ?)", [icb, fy, prior_fy], "fy")
    alloc = {_field(r, "fy"): Decimal(_field(r, "programme_allocation")) for r in rows}
    prior = at.con.execute("SELECT prior_year_spend FROM rpt_mhis WHERE icb_id = ? AND fy = ?", [icb, fy]).fetchone()
    if fy not in alloc or prior_fy not in alloc or not prior or prior[0] is None:
        return None
    return Explanation(f"last year's MHIS spend grown as the programme allocation grew: × {fy}'s allocation ÷ "
                       f"{prior_fy}'s, rounded half up to the penny",
                       [Term(f"MHIS spend in {prior_fy}", Decimal(prior[0]))], times=alloc[fy],
                       per=alloc[prior_fy], by=f"× the {fy} programme allocation ÷ the {prior_fy} one",
                       times_fmt="money", per_fmt="money",
                       sources=rows)


def _share(at: At):
    """A sector's share: its net spend × 100 ÷ the system's net spend (the system's subtotal), 2 places."""
    total = _subtotal(at)
    if total is None or not total.values.get("net"):
        return None
    return Explanation("the sector's net spend as a percentage of the system's, rounded half up to 2 places",
                       [_figure(at, "net")], times=Decimal(100), per=Decimal(total.values["net"]),
                       by="× 100 ÷ the system's net spend", per_fmt="money",
                       per_href=_beside(total.links["net"]) if total.links.get("net") else None)


def _subtotal(at: At) -> Row | None:
    """The first subtotal below a detail row: the group (a system) it adds up into."""
    rows = at.table.rows
    return next((r for r in rows[rows.index(at.row) + 1:] if r.role == "subtotal" and r.level == 0), None)


def _rate(at: At):
    """Spend per weighted head: the numerator × the measure's scale ÷ the weighted population, 4 places."""
    row = at.con.execute("SELECT scale FROM rpt_variation WHERE measure_id = ? AND unit_id = ? AND fy = ? "
                         "AND grouping = ?", [at.facts["measure_id"], at.facts["unit_id"], at.facts["fy"],
                                              at.facts["grouping"]]).fetchone()
    if not row or not at.facts.get("denominator"):
        return None
    per = "÷ the weighted population" if row[0] == 1 else f"× {row[0]:,} ÷ the weighted population"
    return Explanation(f"spend {per} (reference/populations.csv), rounded half up to 4 places (the page shows it "
                       "to the penny)", [_figure(at, "numerator")], times=Decimal(row[0]),
                       per=Decimal(at.facts["denominator"]), places="0.0001", by=per)


_MHIS_EXPLAIN: dict[str, Explainer] = {
    "required": _required,
    "shortfall": _floored("required", "mhis_spend"),
    "headroom": _floored("mhis_spend", "required"),
}

EXPLAIN: dict[str, dict[str, Explainer]] = {
    "mhis": _MHIS_EXPLAIN,
    "mhis-headline": _MHIS_EXPLAIN,
    "sector-by-recipient": {"share": _share},
    "variation": {"rate": _rate},

    "plan-vs-actual": {
        "fy_plan": _plan(whole_year=True),
        "plan_ytd": _plan(whole_year=False),
        "slippage": _difference("plan_ytd", "actual_ytd"),
        "forecast_run_rate": _run_rate,
        "forecast_profile": _forecast_profile,
        "underspend": _difference("fy_plan", "forecast_profile"),
    },
    "mh-budget": {
        "annual_budget": _one_ref("ref_budgets", ("partner_id", "fy", "service_line", "annual_budget"),
                                  (("partner_id", "partner_id"), ("fy", "fy"), ("service_line", "service_line")),
                                  "annual_budget", "the partner's budget for the service line and year "
                                                   "(reference/budgets.csv)"),
        "budget_ytd": _phased_budget,
        "variance_ytd": _difference("actual_ytd", "budget_ytd"),
        "forecast": _budget_forecast,
        "forecast_variance": _difference("forecast", "annual_budget"),
    },
    "contracts": {
        "annual_value": _one_ref("ref_contracts", ("contract_id", "commissioner_id", "provider_id", "contract_type",
                                                   "annual_value", "start_date", "end_date"),
                                 (("contract_id", "contract_id"),), "annual_value",
                                 "the contract's value for a year (reference/contracts.csv)"),
        "expected_to_date": _pro_rata("annual_value", _contract_months, "of the year reported while in force"),
        "variance": _difference("paid_to_date", "expected_to_date"),
        "overrun": _floored("paid_to_date", "annual_value"),
    },
    "agency-spend": {
        "annual_cap": _one_ref("ref_agency_caps", ("partner_id", "fy", "annual_cap", "basis"),
                               (("partner_id", "partner_id"), ("fy", "fy")), "annual_cap",
                               "the provider's agency spending limit for the year (reference/agency_caps.csv)"),
        "cap_ytd": _pro_rata("annual_cap", _cap_months, "of the year elapsed"),
        "variance": _difference("agency_ytd", "cap_ytd"),
    },
}


def explainer(section: Section, key: str) -> Explainer | None:
    return EXPLAIN.get(section.key, {}).get(key)


# ---------------------------------------------------------------------------
# Pages
@dataclass
class ExplainPage:
    slug: str
    title: str
    section: Section
    value_key: str
    figure_label: str
    figure: Decimal
    fmt: str
    explanation: Explanation
    keys: dict[str, Any] = field(default_factory=dict)     # the row's facts that pick it (for the tests)
    role: str = "detail"
    linked_from: list[tuple[str, str]] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return self.explanation.result == self.figure


def _keys(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The row's keys as JSON can hold them (what a test needs to find the figure again)."""
    return {k: (str(v) if not isinstance(v, (str, int, type(None))) else v) for k, v in facts.items()
            if not isinstance(v, Decimal) and k not in ("flag_text",)}


class ExplainSet:
    """Every explain page of a site, one per figure."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.pages: list[ExplainPage] = []
        self._by_key: dict[str, ExplainPage] = {}

    def link(self, tables: list[tuple[str, str, Section, Table]], folder: str) -> int:
        """Set ``row.links`` of every figure of ``tables`` that EXPLAIN covers and no page links yet
        (rows in table order: a subtotal's rows and a difference's figures are linked before it)."""
        linked = 0
        for href, page_name, section, table in tables:
            for row in table.rows:
                for col in table.columns:
                    if col.key in row.links or explainer(section, col.key) is None:
                        continue
                    page = self._page(section, table, row, col)
                    if page is None:
                        continue
                    where = (href, f"{page_name}: {col.label}")
                    if where not in page.linked_from:
                        page.linked_from.append(where)
                    row.links[col.key] = f"{folder}/{page.slug}.html"
                    linked += 1
        return linked

    def _page(self, section: Section, table: Table, row: Row, col: Column) -> ExplainPage | None:
        value = row.values.get(col.key)
        if value is None or col.fmt not in EXPLAINED_FMTS:
            return None
        if row.role != "detail" and col.fmt not in MONEY_FMTS:
            return None                           # a subtotal of percentages is not the sum of its rows
        if row.role == "detail":
            try:
                how = explainer(section, col.key)(At(self.con, section, table, row))
            except duckdb.CatalogException:     # a cut-down warehouse without the reference table: left unlinked
                how = None
            keys = _keys(row.facts)
        else:
            how = _rows_total(table, row, col)
            keys = {"group": [str(g) for g in row.group]}
        if how is None:
            return None
        for t in how.terms:                       # a figure of the row: the page the row links it to
            if t.column is not None and row.links.get(t.column):
                t.href = _beside(row.links[t.column])
        what = " · ".join(row.text(c) for c in table.label_columns if _names(c) and row.text(c)) or section.title
        ident = json.dumps([section.key, col.key, row.role, keys], sort_keys=True, default=str)
        page = self._by_key.get(ident)
        if page is None:
            slug = f"explain-{section.key}-{hashlib.sha1(ident.encode()).hexdigest()[:10]}"
            page = ExplainPage(slug, f"{col.label}: {what}", section, col.key, col.label, Decimal(value), col.fmt,
                               how, keys, row.role)
            self._by_key[ident] = page
            self.pages.append(page)
        return page


def _names(col: Column) -> bool:
    """A label column naming what the figure is of (not a sentence, a rating or a yes/no beside it)."""
    return not col.prose and col.fmt != "bool" and col.key not in ("status", "rag", "flag", "met")


def _beside(link: str) -> str:
    """A link from the site's root (drill/..., explain/...) as an explain page, one folder down, writes it."""
    return "../" + link


def _rows_total(table: Table, total: Row, col: Column) -> Explanation | None:
    """A subtotal or total: the figures of the rows it adds up, each linked to its own page."""
    rows = _rows_under(table, total)
    if not rows:
        return None
    terms = []
    for r in rows:
        what = " · ".join(r.text(c) for c in table.label_columns if _names(c) and r.text(c))
        terms.append(Term(what, Decimal(r.values.get(col.key) or 0), column=None,
                          href=_beside(r.links[col.key]) if r.links.get(col.key) else None))
    return Explanation(f"the {_in_sentence(col.label)} of the {len(rows)} row{'s' if len(rows) != 1 else ''} "
                       "it adds up", terms)
