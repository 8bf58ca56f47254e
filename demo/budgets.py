"""Partners' annual mental-health budgets (reference/budgets.csv), how they are phased over the
year (reference/budget_phasing.csv) and the two budget facts the demo plants: one partner's service
line overspent against its budget, and the lead provider spending more than the ICBs delegated to it.

Phasing: in the assessed year crisis resolution and home treatment budgets are weighted towards the
winter (every partner's a little, `SERVICE_LINE_WINTER`; the trust's planted line strongly,
`PLANTED_LINE_WINTER`, which as the more specific profile wins for it); every other budget, and every
budget of the prior year, is phased in equal twelfths. The demo's actual spend is not seasonal, so the
mild profile is kept mild enough to leave every other budget's RAG as it was in every month.

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
PHASING_HEADER = ("partner_id", "service_line", "fy", "fy_month", "weight")
_HUNDRED_POUNDS = 10_000  # pence

# Relative weights, April to March. Winter pressure on crisis services: the trust's crisis line peaks
# in December and January (12 against 9 in the summer), so its January takes the rounding remainder.
PLANTED_LINE_WINTER = (9, 9, 9, 9, 9, 9, 10, 11, 12, 12, 11, 10)
SERVICE_LINE_WINTER = (39, 39, 39, 39, 39, 39, 41, 41, 41, 41, 41, 41)


def phasing_profiles() -> list[dict]:
    """The profiles of reference/budget_phasing.csv: partner ('*' for all), service line, year, weights."""
    partner_id, service_line = PLANTS.budget_overspend
    return [{"partner_id": "*", "service_line": service_line, "fy": ASSESSED_YEAR,
             "weights": list(SERVICE_LINE_WINTER)},
            {"partner_id": partner_id, "service_line": service_line, "fy": ASSESSED_YEAR,
             "weights": list(PLANTED_LINE_WINTER)}]


def phasing_rows(profiles: list[dict]) -> list[tuple]:
    return [(p["partner_id"], p["service_line"], p["fy"], str(month), str(weight))
            for p in profiles for month, weight in enumerate(p["weights"], start=1)]


def phased(annual_pence: int, weights: list[int]) -> list[int]:
    """The twelve monthly budgets in pence: annual x weight / total, rounded half up, the remainder in the
    month with the largest weight (the latest of them on a tie)."""
    months = [ratio(annual_pence, w, sum(weights)) for w in weights]
    largest = max(range(12), key=lambda m: (weights[m], m))
    months[largest] += annual_pence - sum(months)
    return months


class BudgetFactError(AssertionError):
    """The generated data no longer shows a budget fact the demo promises."""


def _to_hundred(pence: int) -> int:
    return ratio(pence, 1, _HUNDRED_POUNDS) * _HUNDRED_POUNDS


def budget_rows(lines: pl.DataFrame) -> list[dict]:
    """Per partner, financial year and mental-health service line it spends on: its budget, the
    year's actual (gross mental-health expenditure in its own ledger) and that actual month by month
    (period -> amount, months with none left out), pence as money text."""
    mh_spend = lines.filter(pl.col("line_type") == "expenditure", pl.col("mental_health"))
    spend = (mh_spend.group_by("partner_id", "fy", "service_line").agg(pl.col("amount").sum())
             .sort("partner_id", "fy", "service_line"))
    monthly: dict[tuple, dict[str, str]] = {}
    for r in (mh_spend.group_by("partner_id", "fy", "service_line", "period").agg(pl.col("amount").sum())
              .sort("period").to_dicts()):
        monthly.setdefault((r["partner_id"], r["fy"], r["service_line"]), {})[r["period"]] = money_text(int(r["amount"]))
    rows = []
    for r in spend.to_dicts():
        actual = int(r["amount"])
        planted = (r["partner_id"], r["service_line"]) == PLANTS.budget_overspend and r["fy"] == ASSESSED_YEAR
        factor = 1000 - 10 * PLANTS.budget_overspend_pct if planted else 1025
        rows.append({"partner_id": r["partner_id"], "fy": r["fy"], "service_line": r["service_line"],
                     "annual_budget": money_text(_to_hundred(ratio(actual, factor, 1000))),
                     "actual": money_text(actual),
                     "monthly_actual": monthly[(r["partner_id"], r["fy"], r["service_line"])]})
    return rows


def budget_overspend(rows: list[dict]) -> dict:
    """The planted line at outturn (month 12 of the assessed year): budget, actual, variance, per cent,
    and its budget phased by its own winter profile, April to March."""
    partner_id, service_line = PLANTS.budget_overspend
    row = next((r for r in rows if (r["partner_id"], r["service_line"], r["fy"])
                == (partner_id, service_line, ASSESSED_YEAR)), None)
    if row is None:
        raise BudgetFactError(f"no mental-health spend for the planted budget line {PLANTS.budget_overspend}")
    budget, actual = Decimal(row["annual_budget"]), Decimal(row["actual"])
    variance = actual - budget
    return {"partner_id": partner_id, "service_line": service_line, "fy": ASSESSED_YEAR,
            "annual_budget": row["annual_budget"], "actual": row["actual"], "variance": f"{variance:.2f}",
            "variance_pct": f"{(100 * variance / budget).quantize(Decimal('0.01')):.2f}",
            "phasing_profile": f"{partner_id} / {service_line}",
            "phased_budget": [money_text(m) for m in phased(int(budget * 100), list(PLANTED_LINE_WINTER))]}


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
