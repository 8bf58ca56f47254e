"""The lead provider's total on its own sheet (all its expenditure) and on Spend by partner (mental-health
service lines only) differ by its hub and corporate cost; the Lead provider sheet carries that difference as
a reconciling line. Both totals are recomputed from the demo's planted truth (the generator's own ledger
before any file was written) and the service-line reference, and the line must be their difference to the
penny - in rpt_lead_provider and in the written board packs."""
from __future__ import annotations

import csv
import re
from decimal import Decimal

import openpyxl

LP = "fsc_lp"


def _fy_of(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    start = year if month >= 4 else year - 1
    return f"{start}-{str(start + 1)[2:]}"


def _expected(truth: dict, demo_home, fy: str, through: str) -> tuple[Decimal, Decimal]:
    """(all the lead provider's expenditure, its mental-health expenditure) in `fy` up to `through`."""
    mental_health = {r["service_line"]: r["mental_health"].strip().lower() == "true" for r in csv.DictReader(
        (demo_home / "reference" / "service_lines.csv").open(encoding="utf-8"))}
    total = sum((Decimal(r["spend"]) for r in truth["lead_provider_spend"]
                 if r["partner_id"] == LP and r["fy"] == fy), Decimal(0))
    not_mh = sum((Decimal(r["spend"]) for r in truth["lead_provider_spend"]
                  if r["partner_id"] == LP and r["fy"] == fy and not mental_health[r["service_line"]]), Decimal(0))
    mh = sum((Decimal(r["expenditure"]) for r in truth["mh_expenditure_by_partner_period"]
              if r["partner_id"] == LP and _fy_of(r["period"]) == fy and r["period"] <= through), Decimal(0))
    assert total - not_mh == mh          # the truth's two views agree with each other
    return total, mh


def test_the_reconciling_line_is_the_difference_between_the_two_totals(demo_db, demo_home, truth):
    (latest,) = demo_db.execute("SELECT max(period) FROM rpt_lead_provider").fetchone()
    fy = _fy_of(latest)
    total, mh = _expected(truth, demo_home, fy, latest)
    assert total - mh == Decimal("660676.50")        # the "£660,677" of the issue, on the current demo
    got = demo_db.execute("SELECT sum(total_spend), sum(non_mh_spend), sum(mh_spend) FROM rpt_lead_provider "
                          "WHERE lead_provider_id = $lp AND fy = $fy", {"lp": LP, "fy": fy}).fetchone()
    assert got == (total, total - mh, mh)
    (spend_by_partner,) = demo_db.execute("SELECT sum(spend) FROM rpt_mh_spend WHERE partner_id = $lp AND fy = $fy",
                                          {"lp": LP, "fy": fy}).fetchone()
    assert spend_by_partner == mh


def test_every_pack_carries_the_reconciling_line(demo_home, truth):
    # the packs of a year end (the truth's lead-provider spend is by whole year): the demo's latest, 2026-03
    packs = sorted(p for p in (demo_home / "reports").glob("*/openbook-board-pack-*.xlsx")
                   if re.fullmatch(r"\d{4}-03", p.parent.name))
    assert len(packs) >= 3
    for path in packs:
        period = path.parent.name
        total, mh = _expected(truth, demo_home, _fy_of(period), period)
        rows = [list(r) for r in openpyxl.load_workbook(path, read_only=True)["Lead provider"].iter_rows(values_only=True)]
        start = next(i for i, r in enumerate(rows) if r[0] == "Reconciliation to Spend by partner, FY to date")
        head = next(i for i in range(start, len(rows)) if rows[i][0] == "Lead provider")
        header, line = rows[head], rows[head + 1]
        values = {h: line[i] for i, h in enumerate(header) if h}
        assert Decimal(str(values["Total spend (this sheet)"])) == total, path.name
        assert Decimal(str(values["Corporate and hub cost excluded from the mental-health view"])) == total - mh
        assert Decimal(str(values["Mental-health spend (as on Spend by partner)"])) == mh
