"""Agency staffing spend against a spending limit (reference/agency_suppliers.csv,
reference/agency_caps.csv) and the planted breach.

The trust books agency cover to the staffing agencies of suppliers.POOLS["wfmh_agency"];
nothing else is paid to them, so "paid to a listed agency" is exactly its agency spend.
Its 2025-26 limit follows NHS England's 2025/26 planning ask (agency spend at least 30%
below 2024/25): 70% of what the trust's ledger paid agencies in 2024-25. The demo's
agency spend does not fall, so the trust is over its limit: the planted breach. The lead
provider gets a limit too and books no agency spend, so one provider is within its limit.
"""
from __future__ import annotations

import polars as pl

from demo import suppliers
from demo.money import money_text, pounds, ratio
from demo.periods import ASSESSED_YEAR, PERIODS, PRIOR_YEAR, fy_of, fy_month

AGENCIES = suppliers.POOLS["wfmh_agency"]
BREACHING_PROVIDER = "wfmh"
WITHIN_PROVIDER = "fsc_lp"
WITHIN_CAP = pounds(250_000)
CUT_BASIS_POINTS = 3000  # NHS England 2025/26: reduce agency spend by at least 30% on 2024/25
BASIS = "NHS England 2025/26 planning: agency spend at least 30% below 2024/25"
SUPPLIER_NOTE = "staffing agency (demo): NHS England approved framework supplier"


def agency_caps(ledger) -> dict[str, int]:
    """Provider -> its ASSESSED_YEAR limit in pence, the trust's from its structural ledger lines."""
    prior = sum(line["amount"] for (partner_id, period), lines in ledger.lines.items()
                if partner_id == BREACHING_PROVIDER and fy_of(period) == PRIOR_YEAR
                for line in lines if line["counterparty"] in AGENCIES)
    cap = ratio(prior, 10_000 - CUT_BASIS_POINTS, 10_000) // pounds(1_000) * pounds(1_000)
    return {BREACHING_PROVIDER: cap, WITHIN_PROVIDER: WITHIN_CAP}


def reference_rows(caps: dict[str, int]) -> dict[str, tuple[tuple, list[tuple]]]:
    return {
        "agency_caps": (("partner_id", "fy", "annual_cap", "basis"),
                        [(pid, ASSESSED_YEAR, money_text(cap), BASIS if pid == BREACHING_PROVIDER else
                          "Provider collaborative's own agency limit (demo)") for pid, cap in caps.items()]),
        "agency_suppliers": (("name", "note"), [(name, SUPPLIER_NOTE) for name in AGENCIES]),
    }


def agency_fact(lines: pl.DataFrame, caps: dict[str, int], error: type[Exception]) -> dict:
    """The planted breach, from the valid lines written: the trust's agency spend in the assessed
    year to the last month against its limit; the lead provider within its own."""
    as_at = max(p for p in PERIODS if fy_of(p) == ASSESSED_YEAR)
    months = fy_month(as_at)
    facts = {}
    for pid, cap in caps.items():
        spend = int(lines.filter(pl.col("partner_id") == pid, pl.col("fy") == ASSESSED_YEAR,
                                 pl.col("line_type") == "expenditure", pl.col("counterparty").is_in(AGENCIES))
                    ["amount"].sum() or 0)
        facts[pid] = (spend, ratio(cap, months, 12))
    spend, cap_ytd = facts[BREACHING_PROVIDER]
    if spend <= cap_ytd:
        raise error(f"{BREACHING_PROVIDER} agency spend {spend} is not over its limit to date {cap_ytd}")
    if facts[WITHIN_PROVIDER][0] > facts[WITHIN_PROVIDER][1]:
        raise error(f"{WITHIN_PROVIDER} agency spend is over its limit: {facts[WITHIN_PROVIDER]}")
    return {"partner_id": BREACHING_PROVIDER, "fy": ASSESSED_YEAR, "as_at": as_at, "fy_month": months,
            "annual_cap": money_text(caps[BREACHING_PROVIDER]), "cap_ytd": money_text(cap_ytd),
            "agency_ytd": money_text(spend), "over_cap": money_text(spend - cap_ytd),
            "agencies": list(AGENCIES), "within_cap": WITHIN_PROVIDER}
