"""The planted bad rows: which files get which, and the rows themselves.

A bad row is an extra line that is valid in every respect but one (a garbled amount, an
impossible date, an unmapped cost centre, a blank supplier). They pay external suppliers
on cost centres no planted fact depends on, so the facts hold with or without them.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from demo import suppliers
from demo.cost_centres import (
    LA_CODE_BASE, OCCASIONAL_CC, OCCASIONAL_MONTHS, UNKNOWN_CODES, CostCentre,
)
from demo.flows import PLANTS
from demo.ledgers import ICB_PREFIX, LINE_FIELDS, NON_PAY, random_weekday
from demo.money import pounds
from demo.periods import PERIODS, last_day

BAD_AMOUNT = "BAD_AMOUNT"
UNKNOWN_COST_CENTRE = "UNKNOWN_COST_CENTRE"
BAD_DATE = "BAD_DATE"
BLANK_SUPPLIER = "BLANK_SUPPLIER"
DUPLICATE_TRANSACTION = "DUPLICATE_TRANSACTION"
QUARANTINE_REASONS = (BAD_AMOUNT, UNKNOWN_COST_CENTRE, BAD_DATE, BLANK_SUPPLIER, DUPLICATE_TRANSACTION)
TOTALS_ROW, BLANK_ROW = "totals_row", "blank_row"

# Which partners' files get a bad row of each kind (one row each, in a month drawn at random).
BAD_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (BAD_AMOUNT, ("nw_icb", "sf_icb", "la_ashby", "la_dunmere", "fsc_lp", "wfmh", "youth_space")),
    (UNKNOWN_COST_CENTRE, ("nw_icb", "la_elmfen", "la_brookcarrow", "wfmh", "peerlink")),
    (BAD_DATE, ("sf_icb", "la_ashby", "la_elmfen", "wfmh")),
    (BLANK_SUPPLIER, ("nw_icb", "la_dunmere", "la_brookcarrow")),  # layouts where a supplier is required
)
BLANK_ROWS: tuple[tuple[str, int], ...] = (("la_dunmere", 2), ("wfmh", 1))
# The row exported twice: the first out-of-area placement payment in the file.
DUPLICATED_COST_CENTRE = "SF4140"
VCSE_TEMPLATE = "PL-CAR-20"  # the cost centre an unmapped peerlink row copies


@dataclass
class DefectPlan:
    bad_lines: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    blank_rows: dict[tuple[str, str], int] = field(default_factory=dict)
    duplicate: tuple[str, str, str] = (*PLANTS.duplicate, DUPLICATED_COST_CENTRE)

    def count(self) -> int:
        """Rows the plan adds to the files: bad rows, blank rows and the repeated payment."""
        return sum(len(v) for v in self.bad_lines.values()) + sum(self.blank_rows.values()) + 1


def plan_defects(rng: random.Random, centres: dict[tuple[str, str], CostCentre]) -> DefectPlan:
    plan = DefectPlan()
    for reason, partner_ids in BAD_ROWS:
        for partner_id in partner_ids:
            period = rng.choice(_allowed_periods(partner_id))
            line = _bad_line(rng, partner_id, period, reason, centres)
            plan.bad_lines.setdefault((partner_id, period), []).append(line)
    for partner_id, count in BLANK_ROWS:
        plan.blank_rows[(partner_id, rng.choice(_allowed_periods(partner_id)))] = count
    return plan


def _allowed_periods(partner_id: str) -> list[str]:
    """Keep bad rows out of the resubmitted month and the duplicate's file (their facts stay
    simple), and out of Youth Space's event months (its bad row uses the events cost centre)."""
    excluded = {PLANTS.resubmission, PLANTS.duplicate}
    return [p for p in PERIODS if (partner_id, p) not in excluded
            and not (partner_id == OCCASIONAL_CC.partner_id and p[5:] in OCCASIONAL_MONTHS)]


def _bad_line(rng: random.Random, partner_id: str, period: str, reason: str,
              centres: dict[tuple[str, str], CostCentre]) -> dict:
    line = dict.fromkeys(LINE_FIELDS)
    line.update(_template(rng, partner_id, period, reason, centres))
    line["defect"] = reason
    if reason == UNKNOWN_COST_CENTRE:
        line["cost_centre"] = UNKNOWN_CODES[partner_id]
        line["cc_name"] = f"{line['cc_name']} (new)"
    elif reason == BLANK_SUPPLIER:
        line["counterparty"] = None
    return line


def _template(rng: random.Random, partner_id: str, period: str, reason: str,
              centres: dict[tuple[str, str], CostCentre]) -> dict:
    """An ordinary external payment of the partner, with its cost centre's attributes spelt out
    (an unmapped cost centre cannot take them from the map)."""
    fields = dict(posting_date=random_weekday(rng, period))
    if partner_id in ICB_PREFIX:
        centre = centres[(partner_id, f"{ICB_PREFIX[partner_id]}5501")]
        fields.update(amount=rng.randint(pounds(25_000), pounds(90_000)),
                      counterparty=rng.choice(suppliers.POOLS["icb_chc"]))
    elif partner_id == "wfmh":
        centre = centres[("wfmh", "WF2110")]
        supplier = rng.choice(suppliers.POOLS["wfmh_nonpay"])
        code, name = rng.choice(NON_PAY)
        fields.update(amount=rng.randint(pounds(200), pounds(9_000)), counterparty=supplier, expense_code=code,
                      expense_type=name, description=f"Inv {rng.randint(100_000, 999_999)} {supplier}")
    elif partner_id == "fsc_lp":
        centre = centres[("fsc_lp", "FSC-300")]
        supplier = rng.choice(suppliers.POOLS["lp_community"])
        fields.update(amount=rng.randint(pounds(200), pounds(5_000)), counterparty=supplier,
                      description=f"Inv {rng.randint(10_000, 99_999)} {supplier}")
    elif partner_id in LA_CODE_BASE:
        centre = centres[(partner_id, f"{LA_CODE_BASE[partner_id]}210")]
        fields.update(amount=rng.randint(pounds(600), pounds(9_000)),
                      counterparty=rng.choice(suppliers.POOLS["la_social_care"]), expense_type="Residential care")
    else:
        # Voluntary sector: the layout has one row per cost centre, so the bad row must be on one
        # the month has no other row for: Youth Space's events costs, or an unmapped code.
        if partner_id != OCCASIONAL_CC.partner_id and reason != UNKNOWN_COST_CENTRE:
            raise ValueError(f"no spare cost centre for a {reason} row in {partner_id}'s accounts")
        centre = OCCASIONAL_CC if partner_id == OCCASIONAL_CC.partner_id else centres[(partner_id, VCSE_TEMPLATE)]
        fields.update(amount=rng.randint(pounds(1_000), pounds(3_000)), posting_date=last_day(period))
    line = dict(cost_centre=centre.code, cc_name=centre.name, area=centre.area or None,
                division=centre.division or None, expense_type=centre.expense_type or None,
                funding_stream=centre.funding_stream)
    line.update(fields)
    return line
