"""Figures made from plans, budgets and allocations (reports/figure_explain.py dispatches here): a budget
variance as a percentage of its budget, the MHIS page's allocation growth and shares of the allocation
(reference/allocations.csv), and each system's position for the year: its ICB's schemes on Plan against
actual added up, each scheme's figure linked to its own working there (its plan rows) or to its lines.
"""
from __future__ import annotations

from decimal import Decimal

from reports import formatting as f
from reports.explain_working import (At, Explainer, Explanation, Term, beside, field_of, figure, in_sentence,
                                     label_of)
from reports.figure_lines import flag_condition
from reports.sections.plans_and_budgets import PLAN_VS_ACTUAL
from reports.tables import Row


def percent_of(a: str, b: str, places: str) -> Explainer:
    """a as a percentage of b, two money figures of the row, rounded half up to ``places`` (rpt's rule)."""
    def explain(at: At):
        base = Decimal(at.facts.get(b) or 0)
        if base == 0:
            return None
        what_b = in_sentence(label_of(at.section, b))
        return Explanation(f"{in_sentence(label_of(at.section, a))} as a percentage of {what_b}, rounded half up",
                           [figure(at, a)], times=Decimal(100), per=base, places=places, by=f"× 100 ÷ {what_b}",
                           per_fmt="money", per_href=beside(at.row.links[b]) if at.row.links.get(b) else None)
    return explain


# ---------------------------------------------------------------------------
# The MHIS page: the ICB's programme allocation (reference/allocations.csv)
_ALLOCATION = ("The ICB's programme allocation for the financial year as reference/allocations.csv states it; "
               "spend is the ICB's own ledger, {what}.")


def _prior_fy(fy: str) -> str:
    return f"{int(fy[:4]) - 1}-{fy[2:4]}"


def _allocations(at: At) -> dict[str, Term]:
    """The ICB's allocation rows for the row's year and the year before, as terms citing their rows."""
    fy, icb = at.facts["fy"], at.facts["icb_id"]
    rows = at.ref_rows("ref_allocations", ("icb_id", "fy", "programme_allocation"), "icb_id = ? AND fy IN (?, ?)",
                       [icb, fy, _prior_fy(fy)], "fy")
    return {field_of(r, "fy"): Term(f"Programme allocation {field_of(r, 'fy')}",
                                    Decimal(field_of(r, "programme_allocation")), source=r) for r in rows}


def allocation_growth(at: At):
    fy = at.facts["fy"]
    prior_fy = _prior_fy(fy)
    alloc = _allocations(at)
    prior = alloc.get(prior_fy)
    if fy not in alloc or prior is None or prior.value == 0:
        return None
    prior.sign = -1
    return Explanation(f"the growth of the programme allocation from {prior_fy} to {fy} as a percentage of the "
                       f"{prior_fy} one, rounded half up", [alloc[fy], prior], times=Decimal(100), per=prior.value,
                       places="0.0001", by=f"× 100 ÷ the {prior_fy} allocation", per_fmt="money",
                       definition=("The ICB's programme allocation for each financial year as reference/"
                                   "allocations.csv states it; the standard grows last year's MHIS spend by it."))


def share_of_allocation(spend: str, what: str) -> Explainer:
    """A spend figure of the row as a percentage of the year's programme allocation, rounded half up to 4 places."""
    def explain(at: At):
        alloc = _allocations(at).get(at.facts["fy"])
        if alloc is None or alloc.value == 0:
            return None
        return Explanation(f"{in_sentence(label_of(at.section, spend))} as a percentage of the {at.facts['fy']} "
                           "programme allocation, rounded half up", [figure(at, spend)], times=Decimal(100),
                           per=alloc.value, places="0.0001", by=f"× 100 ÷ the {at.facts['fy']} programme allocation",
                           per_fmt="money", sources=[alloc.source], definition=_ALLOCATION.format(what=what))
    return explain


# ---------------------------------------------------------------------------
# System position: the ICB's schemes as at the latest month, added up
_POSITION = ("The system's ICB's investment schemes (reference/investment_plans.csv) as at {month}, each as the "
             "Plan against actual page shows it: {what}.")


def _schemes(at: At) -> list[tuple]:
    as_at = at.facts.get("as_at_period")
    if as_at is None or at.facts.get("ics_id") is None:
        return []
    return at.con.execute(
        "SELECT icb_id, scheme_id, scheme_name, fy, period, fy_plan, actual_ytd, forecast_outturn_run_rate, "
        "forecast_outturn_plan_profile, forecast_underspend_plan_profile FROM rpt_plan_vs_actual "
        "WHERE ics_id = ? AND period = ? ORDER BY scheme_name, scheme_id", [at.facts["ics_id"], str(as_at)]).fetchall()


_COLUMN = {"fy_plan": 5, "actual_ytd": 6, "forecast_run_rate": 7, "forecast_profile": 8, "underspend": 9}


def position(value: str, which: str = "all") -> Explainer:
    """A plan-against-actual figure over the ICB's schemes: all of them added up, or (``which``) only the
    forecast underspends (to rebalance) or the forecast overspends (to cover, their sign turned)."""
    def explain(at: At):
        schemes = _schemes(at)
        if not schemes:
            return None
        terms = []
        for s in schemes:
            v = Decimal(s[_COLUMN[value]] or 0)
            if (which == "under" and v <= 0) or (which == "over" and v >= 0):
                continue
            keys = (("icb_id", s[0]), ("scheme_id", s[1]), ("period", s[4]))
            label = f"{s[2]}: {in_sentence(label_of(PLAN_VS_ACTUAL, value))}" + (" (negative: over plan)"
                                                                                if which == "over" else "")
            term = Term(label, v, -1 if which == "over" else 1, figure_of=("plan-vs-actual", value, keys))
            if value == "actual_ytd":               # its lines: the scheme's actual on Plan against actual
                term.figure_of = None
                term.lines = flag_condition(PLAN_VS_ACTUAL, Row({}, hidden={"icb_id": s[0], "scheme_id": s[1],
                                                                             "fy": s[3], "period": s[4]}))
            terms.append(term)
        if not terms:                               # no scheme under (or over) its plan: £0, nothing behind it
            return None
        pva = in_sentence(label_of(PLAN_VS_ACTUAL, value))
        rule = {"all": f"the {pva} of each of the ICB's {len(schemes)} schemes, added up",
                "under": f"the {pva} of each scheme forecast to spend less than its plan, added up",
                "over": f"the {pva} of each scheme forecast to spend more than its plan (a negative underspend), "
                        "added up with the sign turned"}[which]
        return Explanation(rule, terms, definition=_POSITION.format(
            month=f.month_label(str(at.facts["as_at_period"])), what={
                "all": f"its {pva}", "under": "money forecast unspent on schemes behind plan, which could be "
                                              "moved to other schemes in year",
                "over": "money forecast spent over plan on schemes ahead of it"}[which]))
    return explain


EXPLAIN: dict[str, dict[str, Explainer]] = {
    "mh-budget": {"variance_pct": percent_of("variance_ytd", "budget_ytd", "0.01"),
                  "forecast_pct": percent_of("forecast_variance", "annual_budget", "0.01")},
    "mhis": {"allocation_growth": allocation_growth,
             "mhis_share": share_of_allocation("mhis_spend", "MHIS spend: its MHIS service lines from the funding "
                                                             "streams in the MHIS base"),
             "mh_share": share_of_allocation("mh_spend", "all mental-health spend: every mental-health service "
                                                         "line, any funding stream")},
    "system-position": {"fy_plan": position("fy_plan"), "actual_ytd": position("actual_ytd"),
                        "forecast_run_rate": position("forecast_run_rate"),
                        "forecast_profile": position("forecast_profile"),
                        "net_underspend": position("underspend"), "rebalance": position("underspend", "under"),
                        "cover": position("underspend", "over")},
}
