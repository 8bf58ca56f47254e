"""How a money figure that is not a sum of ledger lines was made: the rows and the arithmetic.

reports/figure_lines.py links every figure that is a sum of ledger lines to the page of its lines,
and says why each other money figure is not one. Those made by plain arithmetic from reference data
and from figures of the same row are explained here (``EXPLAIN``: section key -> value key -> how):
a plan or a budget (its rows of reference/investment_plans.csv, reference/budgets.csv, phased by
month), a contract value or a limit (its row of the reference file) and its share to date, a
difference of two figures, a ratio, a run-rate forecast, the lead provider's delegated budget, its
providers' bed days and out-of-area placements (reference/lp_activity.csv), and any figure a section
derives from two others of its row (spec.Derived: a percentage, a change, a cost per bed day); in
explain_plans.py and explain_lead_provider.py, a budget variance as a percentage, the allocation's growth
and shares of it, a system's position over its schemes, the lead provider's income, first-year baseline
and reconciliation; in explain_peers.py and explain_payer.py, the rates, medians and coverage that
compare a unit with its peers and the commissioner view of a partner's spend; and, in explain_composed.py,
the figures made from other rows of their table or the other side's lines (a contract type's value and
share, a sector's share were all the unclassified money its, what a payee booked).
The vocabulary is explain_working.py. An explanation is a list of terms (each a reference row with its
file and line, or a figure of the row: a ledger sum linked to its lines, or a figure explained in turn,
or a sum of ledger lines of its own linked to a drill page), added up, then optionally scaled (× a ÷ b,
rounded half up to the penny, as the SQL of the rpt table does) and floored at zero. A subtotal or total
adds up the figures of the rows it totals, each linked to its own page.

Explain pages read ref_ tables (and the rpt table behind the figure) beside the drill pages' fct_
tables: the reference rows are what the figure rests on. The page of each figure is built by
``ExplainSet`` (one per figure, shared by every place showing it) and written by html_site.py
(reports/explain_html.py) under explain/; tests/reports/test_figure_explain.py recomputes every one
from the warehouse.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Mapping

import duckdb

from reports import explain_composed, explain_funnel, explain_lead_provider, explain_payer, explain_peers, explain_plans
from reports import formatting as f
from reports.explain_working import (At, Explainer, Explanation, Term, beside, field_of, figure, in_sentence, label_of,
                                     page_identity, row_keys, subtotal_below, value_key)
from reports.figure_lines import MONEY_FMTS, Condition, _rows_under
from reports.spec import Derived, Section
from reports.tables import Column, Row, Table
from warehouse import periods


# money, the percentages whose working is a ratio of money figures, the counts read from reference rows (a
# contract's capacity, the lead provider's bed days) and the trusts' rates in their measures' own units
EXPLAINED_FMTS = MONEY_FMTS + ("pct", "int", "dec1", "dec2")


# ---------------------------------------------------------------------------
# How each kind of figure is made
def _difference(a: str, b: str) -> Explainer:
    """a − b, two figures of the row, each linked to its own page."""
    def explain(at: At):
        return Explanation(f"{in_sentence(label_of(at.section, a))} less {in_sentence(label_of(at.section, b))}",
                           [figure(at, a), figure(at, b, -1)])
    return explain


def _plan(whole_year: bool) -> Explainer:
    """A scheme's plan rows of reference/investment_plans.csv, month by month, for the year or to date."""
    def explain(at: At):
        facts = at.facts
        fy, period = facts["fy"], facts["period"]
        last = periods.fy_end(period) if whole_year else period
        rows = at.ref_rows("ref_investment_plans", ("icb_id", "scheme_id", "period", "planned_amount"),
                           "icb_id = ? AND scheme_id = ? AND period BETWEEN ? AND ?",
                           [facts["icb_id"], facts["scheme_id"], periods.fy_start(period), last], "period")
        terms = [Term(f"Planned for {f.month_label(field_of(s, 'period'))}", Decimal(field_of(s, "planned_amount")),
                      source=s) for s in rows]
        return Explanation(f"the scheme's planned amounts for the months of {fy}"
                           + ("" if whole_year else f" to {f.month_label(period)}") + ", added up", terms)
    return explain


def _forecast_profile(at: At):
    return Explanation("actual to date plus the plan for the months still to come (the year's plan less the "
                       "plan to date)", [figure(at, "actual_ytd"), figure(at, "fy_plan"), figure(at, "plan_ytd", -1)])


def _run_rate(at: At):
    month = periods.fy_month_of(at.facts["period"])
    return Explanation(f"actual to date ÷ {month} month{'s' if month != 1 else ''} elapsed × 12, rounded half up "
                       "to the penny", [figure(at, "actual_ytd")], times=Decimal(12), per=Decimal(month),
                       by=f"× 12 months ÷ {month} elapsed")


def _one_ref(table: str, fields: tuple[str, ...], keys: tuple[tuple[str, str], ...], value: str,
             what: str, definition: str = "") -> Explainer:
    """A value read from one reference row: ``keys`` (table column, the row's fact) pick it."""
    def explain(at: At):
        rows = at.ref_rows(table, fields, " AND ".join(f"{col} = ?" for col, _ in keys),
                           [at.facts.get(k) for _, k in keys], "rowid")
        if len(rows) != 1:
            return None              # none, or several the SQL adds up: not one row to show
        key = value_key(at.section, value)
        return Explanation(what, [Term(label_of(at.section, key), Decimal(field_of(rows[0], value)), source=rows[0],
                                       fmt=_fmt_of(at.section, key, exact=True))], definition=definition)
    return explain


def _pro_rata(value: str, months: Callable[[duckdb.DuckDBPyConnection, Mapping[str, Any]], int | None],
              what: str) -> Explainer:
    """A year's value (a figure of the row) × the months elapsed ÷ 12, to the penny."""
    def explain(at: At):
        n = months(at.con, at.facts)
        if n is None:
            return None
        return Explanation(f"{in_sentence(label_of(at.section, value))} × {n} month{'s' if n != 1 else ''} {what} ÷ 12, "
                           "rounded half up to the penny", [figure(at, value)],
                           times=Decimal(n), per=Decimal(12), by=f"× {n} months ÷ 12")
    return explain


def _contract_months(con, facts) -> int | None:
    row = con.execute("SELECT months_elapsed FROM rpt_contracts WHERE contract_id = ? AND fy = ?",
                      [facts["contract_id"], facts["fy"]]).fetchone()
    return row[0] if row else None


def _floored(a: str, b: str) -> Explainer:
    """a − b when more than nothing, else £0 (an over-run, a shortfall, a headroom)."""
    def explain(at: At):
        return Explanation(f"{in_sentence(label_of(at.section, a))} less {in_sentence(label_of(at.section, b))}, when more than "
                           "nothing (else £0)", [figure(at, a), figure(at, b, -1)], floor=Decimal(0))
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
    budget = at.ref_rows("ref_budgets", ("partner_id", "fy", "service_line", "annual_budget"),
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
                       "to date)", [figure(at, "actual_ytd"), figure(at, "annual_budget"), figure(at, "budget_ytd", -1),
                                    Term("Trend: variance to date × (budget for the year − budget to date) ÷ budget "
                                         "to date, rounded half up to the penny", trend)])


def _cap_months(con, facts) -> int:
    return periods.fy_month_of(facts["period"])


def _required(at: At):
    """The standard: last year's MHIS spend × this year's programme allocation ÷ last year's, to the penny
    (reference/allocations.csv)."""
    fy, icb = at.facts["fy"], at.facts["icb_id"]
    prior_fy = f"{int(fy[:4]) - 1}-{fy[2:4]}"
    rows = at.ref_rows("ref_allocations", ("icb_id", "fy", "programme_allocation"),
                       "icb_id = ? AND fy IN (?, ?)", [icb, fy, prior_fy], "fy")
    alloc = {field_of(r, "fy"): Decimal(field_of(r, "programme_allocation")) for r in rows}
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
    total = subtotal_below(at)
    if total is None or not total.values.get("net"):
        return None
    return Explanation("the sector's net spend as a percentage of the system's, rounded half up to 2 places",
                       [figure(at, "net")], times=Decimal(100), per=Decimal(total.values["net"]),
                       by="× 100 ÷ the system's net spend", per_fmt="money",
                       per_href=beside(total.links["net"]) if total.links.get("net") else None)


def _rate(at: At):
    """Spend per weighted head: the numerator × the measure's scale ÷ the weighted population, 4 places."""
    row = at.con.execute("SELECT scale FROM rpt_variation WHERE measure_id = ? AND unit_id = ? AND fy = ? "
                         "AND grouping = ?", [at.facts["measure_id"], at.facts["unit_id"], at.facts["fy"],
                                              at.facts["grouping"]]).fetchone()
    if not row or not at.facts.get("denominator"):
        return None
    per = "÷ the weighted population" if row[0] == 1 else f"× {row[0]:,} ÷ the weighted population"
    return Explanation(f"spend {per} (reference/populations.csv), rounded half up to 4 places (the page shows it "
                       "to the penny)", [figure(at, "numerator")], times=Decimal(row[0]),
                       per=Decimal(at.facts["denominator"]), places="0.0001", by=per)


_OPEN_BOOK_COLUMNS = ("ics_id", "partner_kind", "partner_name", "service_line_name", "funding_stream")


def _open_book_forecast(at: At):
    """The open book's forecast outturn: each of its rows (system, place, partner, service line, funding stream)
    forecast on its own, net to date × 12 ÷ the months elapsed, to the penny; a figure over several rows adds
    their forecasts up (rpt_open_book's rule, so the pennies are the table's)."""
    if at.period is None:
        return None
    keys = [k for k in _OPEN_BOOK_COLUMNS if k in at.facts]
    rows = at.con.execute(
        "SELECT place_name, partner_name, service_line_name, funding_stream, ytd_net_spend, fy_month "
        "FROM rpt_open_book WHERE period = ? " + "".join(f"AND {k} IS NOT DISTINCT FROM ? " for k in keys)
        + "ORDER BY partner_name, service_line_name, funding_stream, place_name",
        [at.period] + [at.facts[k] for k in keys]).fetchall()
    if not rows:
        return None
    month = rows[0][5]
    definition = ("Net of payments between partners (each pound counted once, where it is finally spent), host "
                  "view (as the open book files each partner), mental-health service lines only; a run rate, not "
                  "money booked.")
    if len(rows) == 1 and "net_ytd" in at.facts:
        return Explanation(f"net spend to date ÷ {month} month{'s' if month != 1 else ''} elapsed × 12, rounded "
                           "half up to the penny", [figure(at, "net_ytd")], times=Decimal(12), per=Decimal(month),
                           by=f"× 12 months ÷ {month} elapsed", definition=definition)
    shown = [k for k in ("partner_name", "service_line_name", "funding_stream") if k not in keys]
    rows = [r for r in rows if r[4]]                # a row with no net spend forecasts nothing
    terms = [Term(" · ".join([str(r[1 + ("partner_name", "service_line_name", "funding_stream").index(k)])
                              for k in shown] + [r[0]])
                  + f": {f.money2_text(r[4])} net to date × 12 ÷ {month}, to the penny",
                  (Decimal(r[4]) * 12 / month).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) for r in rows]
    return Explanation(f"the forecast of each of the open book's {len(rows)} rows with net spend behind the figure (net spend to "
                       f"date ÷ {month} months elapsed × 12, each rounded half up to the penny), added up", terms,
                       definition=definition)


def _mhis_forecast(at: At):
    row = at.con.execute("SELECT months_reported FROM rpt_mhis WHERE icb_id = ? AND fy = ?",
                         [at.facts["icb_id"], at.facts["fy"]]).fetchone()
    if not row or not row[0]:
        return None
    month = row[0]
    return Explanation(f"MHIS spend to date ÷ {month} month{'s' if month != 1 else ''} reported × 12, rounded half "
                       "up to the penny", [figure(at, "mhis_spend")], times=Decimal(12), per=Decimal(month),
                       by=f"× 12 months ÷ {month} reported",
                       definition="Gross, the ICB's own ledger: its MHIS service lines from the funding streams in "
                                  "the MHIS base (learning disability and autism, ADHD, SDF and other ring-fenced or "
                                  "non-recurrent money left out); a run rate, not money booked.")


# ---------------------------------------------------------------------------
# The lead provider's delegated budget: a twelfth of each delegating contract's annual value a month
_LP_DEFINITION = ("The budget the ICBs delegated to the lead provider: a twelfth of the annual value of each "
                  "contract to it (reference/contracts.csv) for every month the contract is in force; its spend is "
                  "all its own ledger's expenditure (mental health, hub and corporate costs).")


def _lead_provider(at: At) -> str | None:
    row = at.con.execute("SELECT partner_id FROM dim_partner WHERE partner_kind = 'lead_provider' AND "
                         "partner_name = ?", [at.facts.get("lead_provider_name")]).fetchone() \
        if at.facts.get("lead_provider_name") else \
        at.con.execute("SELECT partner_id FROM dim_partner WHERE partner_kind = 'lead_provider'").fetchone()
    return row[0] if row else None


def _delegated_terms(at: At, months: list[str]) -> list[Term] | None:
    """Each delegating contract's twelfth (to the penny) × the months of ``months`` it is in force."""
    lp = _lead_provider(at)
    if lp is None:
        return None
    contracts = at.ref_rows("ref_contracts", ("contract_id", "commissioner_id", "provider_id", "annual_value",
                                              "start_date", "end_date"), "provider_id = ?", [lp], "rowid")
    terms = []
    for c in contracts:
        start, end = str(field_of(c, "start_date"))[:7], str(field_of(c, "end_date"))
        live = [m for m in months if start <= m and f"{m}-01" <= end]
        if not live:
            continue
        twelfth = (Decimal(field_of(c, "annual_value")) / 12).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        terms.append(Term(f"{field_of(c, 'contract_id')}: {f.money2_text(field_of(c, 'annual_value'))} ÷ 12 = "
                          f"{f.money2_text(twelfth)} a month, × {len(live)} month{'s' if len(live) != 1 else ''} in "
                          "force", twelfth * len(live), source=c))
    return terms


def _delegated_to_date(at: At):
    period = at.facts.get("period") or at.period
    months = [m for m in _fy_months(period) if m <= period]
    terms = _delegated_terms(at, months)
    if terms is None:
        return None
    return Explanation(f"a twelfth of each delegating contract's annual value (rounded half up to the penny) for "
                       f"each month from April to {f.month_label(period)} it is in force, added up", terms,
                       definition=_LP_DEFINITION)


def _delegated_month(at: At):
    terms = _delegated_terms(at, [at.facts["period"]])
    if terms is None:
        return None
    return Explanation(f"a twelfth of the annual value of each contract delegating budget to the lead provider in "
                       f"force in {f.month_label(at.facts['period'])}, rounded half up to the penny, added up", terms,
                       definition=_LP_DEFINITION)


def _lp_spend_lines(at: At) -> Condition | None:
    lp, period = _lead_provider(at), at.facts.get("period") or at.period
    if lp is None or period is None:
        return None
    return Condition("fct_ledger", "amount", "partner_id = $partner_id AND fy = $fy AND period <= $period AND "
                     "line_type = 'expenditure' AND amount <> 0",
                     (("fy", periods.fy_of(period)), ("partner_id", lp), ("period", period)))


def _lp_spend(at: At):
    spend = figure(at, "spend")
    spend.lines = _lp_spend_lines(at)
    return Explanation("all the lead provider's expenditure from April to the month, as its own ledger books it",
                       [spend], definition=_LP_DEFINITION)


def _lp_over(at: At):
    spend = figure(at, "spend")
    spend.lines = _lp_spend_lines(at)
    return Explanation("spend to date less the budget delegated for those months", [spend, figure(at, "delegated", -1)],
                       definition=_LP_DEFINITION)


def _fy_months(period: str) -> list[str]:
    first = periods.fy_start(period)
    months, m = [], first
    while m <= periods.fy_end(period):
        months.append(m)
        y, mo = periods.year_month(m)
        m = f"{y + mo // 12}-{mo % 12 + 1:02d}"
    return months


# ---------------------------------------------------------------------------
# The lead provider's activity: its providers' monthly returns (reference/lp_activity.csv)
def _activity(column: str, by_subcontractor: bool) -> Explainer:
    """Occupied bed days or out-of-area placements: the month's row of each provider (the lead provider's page),
    or the subcontractor's rows from April to the month (its spend by subcontractor), added up."""
    def explain(at: At):
        period = at.facts.get("period") or at.period
        if period is None:
            return None
        if by_subcontractor:
            where, params = ("provider_id IN (SELECT partner_id FROM dim_partner WHERE partner_name = ?) AND "
                             "period BETWEEN ? AND ?", [at.facts.get("subcontractor_name"), periods.fy_start(period),
                                                        period])
        else:
            where, params = "period = ?", [period]
        rows = at.ref_rows("ref_lp_activity", ("period", "provider_id", column), where, params, "period, rowid")
        if not rows:
            return None
        what = in_sentence(label_of(at.section, value_key(at.section, column)))
        terms = [Term(f"{field_of(r, 'provider_id')}, {f.month_label(field_of(r, 'period'))}",
                      Decimal(field_of(r, column) or 0), source=r, fmt="int") for r in rows]
        scope = (f"the subcontractor's months from April to {f.month_label(period)}" if by_subcontractor
                 else f"each provider's return for {f.month_label(period)}")
        return Explanation(f"{what} from {scope} (reference/lp_activity.csv), added up", terms,
                           definition=f"{what[:1].upper()}{what[1:]} as the providers return them to the lead "
                                      "provider each month (reference/lp_activity.csv), not ledger lines.")
    return explain


# the definition of a section's Derived figures where the section's basis does not say enough
_DERIVED_DEFINITIONS = {
    "lead-provider-delegated-budget": _LP_DEFINITION,
    "lead-provider-subcontractors": ("The lead provider's own expenditure paid to the subcontractor for the service "
                                     "line from April to the month (its ledger), over the occupied bed days the "
                                     "subcontractor returned for those months (reference/lp_activity.csv)."),
}
_CONTRACT_FIELDS = ("contract_id", "commissioner_id", "provider_id", "contract_type", "annual_value", "start_date",
                    "end_date")
_MHIS_EXPLAIN: dict[str, Explainer] = {
    "required": _required,
    "forecast": _mhis_forecast,
    "shortfall": _floored("required", "mhis_spend"),
    "headroom": _floored("mhis_spend", "required"),
}

EXPLAIN: dict[str, dict[str, Explainer]] = {
    "mhis": _MHIS_EXPLAIN,
    "mhis-headline": _MHIS_EXPLAIN,
    "sector-by-recipient": {"share": _share, "share_high": explain_composed.share_if_unclassified},
    "variation": {"rate": _rate, "peer_rate": explain_peers.PEER_RATE, "pooled_rate": explain_peers.POOLED_RATE,
                  "from_median": explain_peers.from_median, "difference": explain_peers.above_pooled,
                  "total_rate": explain_peers.total_rate, "apportioned": explain_peers.apportioned,
                  "coverage": explain_peers.coverage},
    "provider-benchmarking": {"median": explain_peers.trust_median, "from_median": explain_peers.trust_from_median,
                              "rate": explain_peers.trust_rate, "peer_rate": explain_peers.trust_peer_rate},
    "funding-consistency": {
        "value_per_unit": explain_peers.per_unit("annual_value", "the contract's annual value"),
        "median": explain_peers.like_median,
        "vs_median": explain_peers.against_median,
        "provider_per_unit": explain_peers.per_unit("provider_spend", "the provider's own spend on the service"),
        "annual_value": _one_ref("ref_contracts", _CONTRACT_FIELDS, (("contract_id", "contract_id"),), "annual_value",
                                 "the contract's value for a year (reference/contracts.csv)",
                                 explain_peers.FUNDING_DEFINITION),
        "capacity": _one_ref("ref_contracts", _CONTRACT_FIELDS + ("capacity", "capacity_unit"),
                             (("contract_id", "contract_id"),), "capacity",
                             "the contract's capacity, in its unit (reference/contracts.csv)",
                             explain_peers.FUNDING_DEFINITION),
    },
    "system-by-payer": {"apportioned": explain_payer.apportioned, "share": explain_payer.payment_share,
                        "payer": explain_payer.commissioner_view},
    "system-by-payer-service-line": {"apportioned": explain_payer.apportioned_by_service_line,
                                     "payer": explain_payer.commissioner_view_by_service_line},
    "contract-mix": {"annual_value": explain_composed.contract_type_value,
                     "share": explain_composed.contract_type_share},
    "eliminations": {"payee_amount": explain_composed.payee_booked},
    "open-book": {"forecast": _open_book_forecast},
    "net-by-system": {"forecast": _open_book_forecast},
    "lead-provider": {"delegated": _delegated_month,
                      "bed_days": _activity("occupied_bed_days", by_subcontractor=False),
                      "oaps": _activity("out_of_area_placements", by_subcontractor=False)},
    "lead-provider-subcontractors": {"bed_days": _activity("occupied_bed_days", by_subcontractor=True),
                                     "oaps": _activity("out_of_area_placements", by_subcontractor=True)},
    "lead-provider-delegated-budget": {"delegated": _delegated_to_date, "spend": _lp_spend, "over": _lp_over},

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
        "annual_value": _one_ref("ref_contracts", _CONTRACT_FIELDS, (("contract_id", "contract_id"),), "annual_value",
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

# the site's only: a place's z-score, worked from its standard deviation (a square root of variances, each its own
# page); the board pack's Explain sheet keeps to its key figures
STATISTICS: dict[str, dict[str, Explainer]] = {"variation": {"z": explain_funnel.z_score}}

# the kinds explained in modules of their own (a section's dict is shared by another: copied, not changed)
for _more in (explain_plans.EXPLAIN, explain_lead_provider.EXPLAIN):
    for _key, _explainers in _more.items():
        EXPLAIN[_key] = {**EXPLAIN.get(_key, {}), **_explainers}


def _derived(d: Derived) -> Explainer:
    """A figure made from two others of its row by the section's Derived rule (reports/section_figures.py):
    a less b, a as a percentage of b (or of the change from b), or a per b."""
    a, b = d.args

    def explain(at: At):
        base = Decimal(at.facts.get(b) or 0)
        what_a, what_b = in_sentence(label_of(at.section, a)), in_sentence(label_of(at.section, b))
        definition = _DERIVED_DEFINITIONS.get(at.section.key) or (
            f"Made from the row's {what_a} and {what_b}, each as the {at.section.title} table counts it "
            f"({at.section.basis}); each links to its own lines or working.")
        if d.op == "diff":
            how = _difference(a, b)(at)
            how.definition = definition
            return how
        if base == 0:
            return None
        per_href = beside(at.row.links[b]) if at.row.links.get(b) else None
        if d.op == "ratio":
            return Explanation(f"{what_a} ÷ {what_b}, rounded half up to the penny", [figure(at, a)], per=base,
                               by=f"÷ {what_b}", per_fmt=_fmt_of(at.section, b), per_href=per_href,
                               definition=definition)
        if d.op == "share":
            return Explanation(f"{what_a} as a percentage of {what_b}, rounded half up to 1 place", [figure(at, a)],
                               times=Decimal(100), per=base, places="0.1", by=f"× 100 ÷ {what_b}",
                               per_fmt=_fmt_of(at.section, b), per_href=per_href, definition=definition)
        return Explanation(f"the change from {what_b} to {what_a} as a percentage of {what_b} (its size, whatever "
                           "its sign), rounded half up to 1 place", [figure(at, a), figure(at, b, -1)],
                           times=Decimal(100), per=abs(base), places="0.1", by=f"× 100 ÷ {what_b}",
                           per_fmt=_fmt_of(at.section, b), per_href=per_href, definition=definition)
    return explain


def _fmt_of(section: Section, key: str, exact: bool = False) -> str:
    """A figure's format (``exact``), or as a multiplier or divisor: pounds, or a plain number (bed days)."""
    fmt = next(v.fmt for v in section.values if v.key == key)
    return fmt if exact else "money" if fmt in MONEY_FMTS else "number"


def derived_rule(section: Section, key: str) -> Derived | None:
    """The section's Derived rule of the figure, when the section makes it from two others of its row."""
    return next((v for v in section.values if isinstance(v, Derived) and v.key == key), None)


def explainer(section: Section, key: str) -> Explainer | None:
    """The section's own explainer of the figure, else its Derived rule's."""
    found = EXPLAIN.get(section.key, {}).get(key)
    if found is None:
        d = derived_rule(section, key)
        found = _derived(d) if d is not None else None
    return found


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


class ExplainSet:
    """Every explain page of a site, one per figure."""

    def __init__(self, con: duckdb.DuckDBPyConnection, period: str | None = None, drill_set: Any = None,
                 statistics: bool = False):
        self.con = con
        self.statistics = statistics              # the site's: the z-scores' workings too (STATISTICS)
        self.period = period                      # the month the site reports
        self.drill_set = drill_set                # reports/drilldown.DrillSet: pages for a term's own lines
        self.pages: list[ExplainPage] = []
        self._by_key: dict[str, ExplainPage] = {}
        self._folder = "explain"
        self._shared: dict = {}                   # what several figures' workings read alike (At.shared)

    def link(self, tables: list[tuple[str, str, Section, Table]], folder: str) -> int:
        """Set ``row.links`` of every figure of ``tables`` that EXPLAIN covers and no page links yet
        (rows in table order: a subtotal's rows and a difference's figures are linked before it)."""
        linked = 0
        for href, page_name, section, table in tables:
            for row in table.rows:
                for col in table.columns:
                    if col.key in row.links or self._explainer(section, col.key) is None:
                        continue
                    page = self._page(section, table, row, col)
                    if page is None:
                        continue
                    where = (href, f"{page_name}: {col.label}")
                    if where not in page.linked_from:
                        page.linked_from.append(where)
                    row.links[col.key] = f"{folder}/{page.slug}.html"
                    linked += 1
        self._folder = folder
        self._link_other_figures()
        return linked

    @property
    def shared(self) -> dict:
        """What the workings of several figures read alike (At.shared), for a chart's figures' workings."""
        return self._shared

    @property
    def folder(self) -> str:
        """The site's folder of explain pages, as the pages linking to them write it."""
        return self._folder

    def figure_page(self, section: Section, table: Table, row: Row, col: Column,
                    linked_from: tuple[str, str]) -> "ExplainPage | None":
        """The page of one figure of a table no page shows (a row of an earlier month a chart draws)."""
        page = self._page(section, table, row, col)
        if page is not None and linked_from not in page.linked_from:
            page.linked_from.append(linked_from)
        return page

    def sum_page(self, section: Section, value_key: str, title: str, label: str, fmt: str, keys: dict[str, Any],
                 terms: list[tuple[str, Decimal, str]], linked_from: tuple[str, str]) -> "ExplainPage":
        """A figure a chart shows that adds up figures the site links (a partner's forecast variance over its
        service lines, a system's shares added up): each term linked to its own page (from the site's root)."""
        how = Explanation(f"the {len(terms)} figure{'s' if len(terms) != 1 else ''} it adds up, each linked to its "
                          "own page", [Term(what, value, href=beside(href), fmt=fmt) for what, value, href in terms])
        return self.chart_page(section, value_key, title, label, how.result, fmt, keys, how, linked_from,
                               role="subtotal")

    def chart_page(self, section: Section, value_key: str, title: str, label: str, figure: Decimal, fmt: str,
                   keys: dict[str, Any], how: Explanation, linked_from: tuple[str, str],
                   role: str = "detail") -> "ExplainPage":
        """The page of a chart's figure that no table shows, worked as ``how`` (its terms' own lines linked)."""
        ident = page_identity(section.key, value_key, role, keys)
        page = self._by_key.get(ident)
        if page is None:
            slug = f"explain-{section.key}-{hashlib.sha1(ident.encode()).hexdigest()[:10]}"
            page = ExplainPage(slug, title, section, value_key, label, Decimal(figure), fmt, how, keys, role)
            self._by_key[ident] = page
            self.pages.append(page)
            self._link_lines(page)
            self._term_pages(page)
        if linked_from not in page.linked_from:
            page.linked_from.append(linked_from)
        return page

    def _explainer(self, section: Section, key: str) -> Explainer | None:
        found = STATISTICS.get(section.key, {}).get(key) if self.statistics else None
        return found or explainer(section, key)

    def _link_other_figures(self) -> None:
        """A term that is another figure's explained result (another system's part of the same partner's
        spend, a scheme's plan on Plan against actual) links to that figure's page, once every page is made."""
        by_figure: dict[tuple[str, str], list[ExplainPage]] = {}
        for page in self.pages:
            by_figure.setdefault((page.section.key, page.value_key), []).append(page)
        for page in self.pages:
            for t in page.explanation.terms + page.explanation.factors:
                other = self._by_key.get(t.explained_by or "")
                if other is None and t.figure_of is not None:
                    section_key, value_key, keys = t.figure_of
                    other = next((p for p in by_figure.get((section_key, value_key), ())
                                  if all(p.keys.get(k) == v for k, v in keys)), None)
                if other is not None and t.href is None:
                    t.href = beside(f"{self._folder}/{other.slug}.html")

    def _term_pages(self, page: "ExplainPage") -> None:
        """A term with a working of its own that no table shows (the lead provider's first-year baseline) gets a
        page of its own, shared by every figure it is a term of (a term page's own such terms get theirs in turn:
        a z-score's standard deviation, and the spread between the peers it is made from)."""
        for t in page.explanation.terms + page.explanation.factors:
            if t.working is None:
                continue
            term_page = self._by_key.get(t.explained_by)
            if term_page is None:
                section_key, value_key, role, keys = json.loads(t.explained_by)
                # linked from the pages of the figures it is a term of (a part's key names no page of the site)
                term_page = ExplainPage(
                    f"explain-{section_key}-{hashlib.sha1(t.explained_by.encode()).hexdigest()[:10]}", t.label,
                    page.section, value_key, t.label, t.value, t.fmt, t.working, keys, role)
                self._by_key[t.explained_by] = term_page
                self.pages.append(term_page)
                self._link_lines(term_page)
                self._term_pages(term_page)
            if t.href is None:
                t.href = beside(f"{self._folder}/{term_page.slug}.html")
            term_page.linked_from.append((f"{self._folder}/{page.slug}.html", f"How it is made: {page.title}"))

    def _link_lines(self, page: "ExplainPage") -> None:
        """Each term (and multiplier or divisor) that is a sum of ledger lines of its own opens its drill page."""
        how = page.explanation
        if self.drill_set is None:
            return
        here = (f"{self._folder}/{page.slug}.html", f"How it is made: {page.title}")
        for t in how.terms + how.factors:
            if t.lines is not None and t.href is None and t.value != 0:     # £0: no lines to show
                lines = self.drill_set.point(t.lines, page.section, f"{t.label}: {page.title}", t.label, t.value,
                                             "money2", here)
                t.href = beside(f"drill/{lines.slug}.html") if lines is not None else None

    def _page(self, section: Section, table: Table, row: Row, col: Column) -> ExplainPage | None:
        value = row.values.get(col.key)
        if value is None or col.fmt not in EXPLAINED_FMTS:
            return None
        derived = derived_rule(section, col.key) is not None
        if row.role != "detail" and col.fmt not in MONEY_FMTS + ("int",) and not derived:
            return None                           # a subtotal of percentages is not the sum of its rows
        if row.role == "detail" or derived:       # a subtotal's Derived figure: its rule over the subtotal's figures
            try:
                how = self._explainer(section, col.key)(At(self.con, section, table, row, self.period,
                                                           self._shared))
            except (duckdb.CatalogException, duckdb.BinderException):
                how = None                        # a cut-down warehouse without the table or column: left unlinked
            keys = row_keys(row.facts) if row.role == "detail" else {"group": [str(g) for g in row.group]}
        else:
            how = _rows_total(table, row, col)
            keys = {"group": [str(g) for g in row.group]}
        if how is None:
            return None
        for t in how.terms:                       # a figure of the row: the page the row links it to
            if t.column is not None and row.links.get(t.column):
                t.href = beside(row.links[t.column])
        what = " · ".join(row.text(c) for c in table.label_columns if _names(c) and row.text(c)) or section.title
        ident = page_identity(section.key, col.key, row.role, keys)
        page = self._by_key.get(ident)
        if page is None:
            slug = f"explain-{section.key}-{hashlib.sha1(ident.encode()).hexdigest()[:10]}"
            page = ExplainPage(slug, f"{col.label}: {what}", section, col.key, col.label, shown(value, col.fmt),
                               col.fmt, how, keys, row.role)
            self._by_key[ident] = page
            self.pages.append(page)
            self._link_lines(page)
            self._term_pages(page)
        return page


_SHOWN_PLACES = {"dec1": "0.1", "dec2": "0.01"}


def shown(value: Any, fmt: str) -> Decimal:
    """A figure as its page states it: a statistic held as a double (a z-score) to the places the table shows it
    (its working is exact Decimal arithmetic, rounded to those places), any other figure as it is."""
    if isinstance(value, float) and fmt in _SHOWN_PLACES:
        return Decimal(repr(value)).quantize(Decimal(_SHOWN_PLACES[fmt]), rounding=ROUND_HALF_UP)
    return Decimal(value)


def _names(col: Column) -> bool:
    """A label column naming what the figure is of (not a sentence, a rating or a yes/no beside it)."""
    return not col.prose and col.fmt != "bool" and col.key not in ("status", "rag", "flag", "met")



def _rows_total(table: Table, total: Row, col: Column) -> Explanation | None:
    """A subtotal or total: the figures of the rows it adds up, each linked to its own page."""
    rows = _rows_under(table, total)
    if not rows:
        return None
    terms = []
    for r in rows:
        what = " · ".join(r.text(c) for c in table.label_columns if _names(c) and r.text(c))
        terms.append(Term(what, Decimal(r.values.get(col.key) or 0), column=None,
                          href=beside(r.links[col.key]) if r.links.get(col.key) else None))
    return Explanation(f"the {in_sentence(col.label)} of the {len(rows)} row{'s' if len(rows) != 1 else ''} "
                       "it adds up", terms)

