"""Money against what was planned: the ICBs' investment schemes against their spend, each
partner's mental-health budget against its spend, and each system's position for the year."""
from __future__ import annotations

from typing import Any, Mapping

from reports import formatting as f
from reports.sections.shared import ICS, MONTH_OF_FY, PARTNER, SERVICE_LINE, SERVICE_LINE_NAME, _m, _month
from reports.spec import DETAIL, FY, YTD, Chart, Derived, Dim, Drill, Flag, Measure, Section, Text
from warehouse import periods


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


def _phasing_text(v: Mapping[str, Any]) -> str | None:
    """The profile that phased the budget, in words. rpt_mh_budget names it '<partner> / <service line>' as in
    reference/budget_phasing.csv ('*' for every one); the profile is the row's own partner's or service line's
    or everyone's (the most specific that exists), and the row names both, so the words say only whose it is."""
    profile = v.get("phasing_profile")
    if profile is None or " / " not in profile:
        return profile                          # 'equal twelfths' (or nothing): already words
    partner, service_line = profile.split(" / ", 1)
    whose = "everyone's profile" if partner == "*" else "the partner's profile"
    return f"{whose} for {'every service line' if service_line == '*' else 'this service line'}"


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
            Text("phasing", "Phased by", _phasing_text)),
    hidden=("is_outturn", "service_line_name", "phasing_profile", "month_share"),
    subtotals=("ics_id",),
    basis="£, each partner's own ledger against its budget",
    flag=Flag(where="rag = 'red'", label="Budgets over the red tolerance", text=_budget_flag_text, first=True,
              rag="Red",
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
