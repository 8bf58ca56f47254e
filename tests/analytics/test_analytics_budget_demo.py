"""The demo's budgets against the pipeline: rpt_mh_budget at each year's month 12 recomputed in plain
Python from the generated reference/budgets.csv and the truth manifest's actuals (not from the SQL),
the planted overspend rated red and flagged, and the lead provider's spend over its delegated budget
flagged with the truth's figure."""
from __future__ import annotations

import csv
from decimal import Decimal

import yaml

from warehouse.report_settings import SETTINGS


def _tolerances() -> tuple[Decimal, Decimal]:
    settings = yaml.safe_load(SETTINGS.read_text(encoding="utf-8"))
    return Decimal(str(settings["mh_budget_amber_tolerance_pct"])), Decimal(str(settings["mh_budget_red_tolerance_pct"]))


def _expected_outturns(demo_home, truth) -> dict[tuple[str, str, str], tuple]:
    """Per partner, service line and year at month 12: budget, actual, variance, per cent and RAG, by the rule
    in docs/model.md (the outturn is the year's actual; red over by more than the red tolerance, amber over by
    more than the amber one or under by more than the red one)."""
    amber, red = _tolerances()
    actual = {(r["partner_id"], r["service_line"], r["fy"]): Decimal(r["actual"]) for r in truth["mh_budget"]}
    with open(demo_home / "reference" / "budgets.csv", encoding="utf-8") as handle:
        budgets = list(csv.DictReader(handle))
    assert len(budgets) == len(actual)
    out = {}
    for b in budgets:
        key = (b["partner_id"], b["service_line"], b["fy"])
        budget, spent = Decimal(b["annual_budget"]), actual[key]
        variance = spent - budget
        pct = (100 * variance / budget).quantize(Decimal("0.01"))
        rag = "red" if pct > red else "amber" if pct > amber or pct < -red else "green"
        out[key] = (budget, spent, variance, pct, rag)
    return out


def test_every_budget_at_month_12_recomputes_from_the_demo_files(demo_home, demo_db, truth):
    expected = _expected_outturns(demo_home, truth)
    rows = demo_db.execute("""
        SELECT partner_id, service_line, fy, annual_budget, actual_ytd, forecast_variance, forecast_variance_pct, rag,
               budget_ytd, forecast_outturn, is_outturn
        FROM rpt_mh_budget WHERE fy_month = 12""").fetchall()
    assert {(r[0], r[1], r[2]) for r in rows} == set(expected)
    for partner, line, fy, budget, actual, variance, pct, rag, budget_ytd, forecast, is_outturn in rows:
        assert (budget, actual, variance, pct, rag) == expected[(partner, line, fy)], (partner, line, fy)
        assert budget_ytd == budget and forecast == actual and is_outturn   # month 12: the outturn itself


def test_the_planted_overspend_is_the_one_red_budget_and_is_flagged(demo_home, demo_db, truth):
    fact = truth["facts"]["budget_overspend"]
    expected = _expected_outturns(demo_home, truth)
    red = [k for k, v in expected.items() if v[4] == "red"]
    assert red == [(fact["partner_id"], fact["service_line"], fact["fy"])]
    assert expected[red[0]][2] == Decimal(fact["variance"]) and expected[red[0]][3] == Decimal(fact["variance_pct"])
    flags = demo_db.execute("SELECT flag_id, amount, ics_id, summary FROM rpt_flags WHERE kind = 'budget_overspend'"
                            ).fetchall()
    assert [(f[0], f[1], f[2]) for f in flags] == [
        (f"BUDGET-{fact['partner_id']}-{fact['service_line']}", Decimal(fact["variance"]), "north_weald")]
    assert "outturn" in flags[0][3] and "rebalanc" not in flags[0][3]


def test_the_lead_provider_over_its_delegated_budget_is_flagged(demo_db, truth):
    fact = truth["facts"]["lead_provider_overspend"]
    (row,) = demo_db.execute("""
        SELECT ytd_delegated_budget, ytd_total_spend, ytd_over_delegated_budget FROM rpt_lead_provider
        WHERE lead_provider_id = $lp AND fy = $fy AND fy_month = 12""", {"lp": fact["lead_provider_id"],
                                                                         "fy": fact["fy"]}).fetchall()
    assert row == (Decimal(fact["delegated_budget"]), Decimal(fact["spend"]), Decimal(fact["over"]))
    flags = demo_db.execute("""SELECT flag_id, amount, ics_id, years_flagged FROM rpt_flags
                               WHERE kind = 'lead_provider_overspend'""").fetchall()
    over_years = ", ".join(fy for fy, y in sorted(fact["years"].items()) if Decimal(y["over"]) > 0)
    assert flags == [(f"LPOVER-{fact['lead_provider_id']}", Decimal(fact["over"]), "south_fen", over_years)]
