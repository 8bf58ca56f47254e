"""Partners' annual mental-health budgets (reference/budgets.csv) and the two budget facts the
demo plants: one partner's service line overspent against its budget, and the lead provider
spending more than the ICBs delegated to it.

A budget is set from the year the partner actually had, so the demo's figures stay close to
plan whatever the seed: every budget is the year's spend plus 2.5% (an underspend inside the 3%
tolerance: green at outturn), rounded to the nearest £100, except the planted line, whose budget is its
spend less `PLANTS.budget_overspend_pct` per cent (an overspend well past the red tolerance). The 2.5%
margin keeps lumpy lines (LD and autism placements, ADHD drugs) from forecasting red from December on,
when extrapolating their year to date would otherwise cross the 3% tolerance for a month or two.
"""
from __future__ import annotations

from decimal import Decimal

import polars as pl

from demo.flows import PLANTS, contracts
from demo.money import money_text, ratio
from demo.periods import ASSESSED_YEAR, FINANCIAL_YEARS
from demo.system import PARTNERS

HEADER = ("partner_id", "fy", "service_line", "annual_budget")
_HUNDRED_POUNDS = 10_000  # pence


class BudgetFactError(AssertionError):
    """The generated data no longer shows a budget fact the demo promises."""


def _to_hundred(pence: int) -> int:
    return ratio(pence, 1, _HUNDRED_POUNDS) * _HUNDRED_POUNDS


def budget_rows(lines: pl.DataFrame) -> list[dict]:
    """Per partner, financial year and mental-health service line it spends on: its budget and the
    year's actual (gross mental-health expenditure in its own ledger), pence as money text."""
    spend = (lines.filter(pl.col("line_type") == "expenditure", pl.col("mental_health"))
             .group_by("partner_id", "fy", "service_line").agg(pl.col("amount").sum())
             .sort("partner_id", "fy", "service_line"))
    rows = []
    for r in spend.to_dicts():
        actual = int(r["amount"])
        planted = (r["partner_id"], r["service_line"]) == PLANTS.budget_overspend and r["fy"] == ASSESSED_YEAR
        factor = 1000 - 10 * PLANTS.budget_overspend_pct if planted else 1025
        rows.append({"partner_id": r["partner_id"], "fy": r["fy"], "service_line": r["service_line"],
                     "annual_budget": money_text(_to_hundred(ratio(actual, factor, 1000))),
                     "actual": money_text(actual)})
    return rows


def budget_overspend(rows: list[dict]) -> dict:
    """The planted line at outturn (month 12 of the assessed year): budget, actual, variance, per cent."""
    partner_id, service_line = PLANTS.budget_overspend
    row = next((r for r in rows if (r["partner_id"], r["service_line"], r["fy"])
                == (partner_id, service_line, ASSESSED_YEAR)), None)
    if row is None:
        raise BudgetFactError(f"no mental-health spend for the planted budget line {PLANTS.budget_overspend}")
    budget, actual = Decimal(row["annual_budget"]), Decimal(row["actual"])
    variance = actual - budget
    return {"partner_id": partner_id, "service_line": service_line, "fy": ASSESSED_YEAR,
            "annual_budget": row["annual_budget"], "actual": row["actual"], "variance": f"{variance:.2f}",
            "variance_pct": f"{(100 * variance / budget).quantize(Decimal('0.01')):.2f}"}


def lead_provider_overspend(lines: pl.DataFrame) -> dict:
    """Per financial year: what the ICBs delegated to the lead provider (the annual values of the
    contracts paying it) and what it spent (all its expenditure); it must be over in the assessed year."""
    (lead_provider,) = [p.partner_id for p in PARTNERS if p.kind == "lead_provider"]
    years = {}
    for fy in FINANCIAL_YEARS:
        delegated = sum(c.annual_value for c in contracts() if c.provider_id == lead_provider and c.covers(fy))
        spent = int(lines.filter(pl.col("partner_id") == lead_provider, pl.col("fy") == fy,
                                 pl.col("line_type") == "expenditure")["amount"].sum())
        years[fy] = {"delegated_budget": money_text(delegated), "spend": money_text(spent),
                     "over": money_text(spent - delegated)}
    if Decimal(years[ASSESSED_YEAR]["over"]) <= 0:
        raise BudgetFactError(f"the lead provider is not over its delegated budget in {ASSESSED_YEAR}: {years}")
    return {"lead_provider_id": lead_provider, "fy": ASSESSED_YEAR, "years": years,
            **years[ASSESSED_YEAR]}
