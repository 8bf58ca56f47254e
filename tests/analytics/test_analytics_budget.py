"""rpt_mh_budget on a tiny hand-made ledger: phasing in twelfths, year to date, the forecast outturn
(phased budget to come plus the variance trend), the outturn at month 12 and the RAG tolerances. The
expected figures are worked out by hand in the comments, not by the SQL."""
from __future__ import annotations

from decimal import Decimal as D

from tests.analytics.test_analytics_sql_units import build, income, spend
from warehouse.report_settings import report_params
from warehouse.sql_files import run_sql

BUDGETS = """partner_id,fy,service_line,annual_budget
wfmh,2025-26,crisis_house,1200.00
wfmh,2025-26,adult_community,1000.00
wfmh,2024-25,crisis_house,1000.00
"""

LINES = [
    spend("wfmh", "1100.00", period="2024-07"),                       # last year: 1,100 against 1,000
    spend("wfmh", "110.00", period="2025-04"),
    spend("wfmh", "120.00", period="2025-05"),
    spend("wfmh", "130.00", period="2025-06"),
    income("wfmh", "-50.00", period="2025-06"),                       # income is not netted off
    spend("wfmh", "80.00", service_line="adult_community", period="2025-04"),
    spend("wfmh", "160.00", service_line="adult_community", period="2025-06"),
]


def _budget(con, tmp_path, params=None):
    build(con, LINES)
    path = tmp_path / "budgets.csv"
    path.write_text(BUDGETS, encoding="utf-8")
    run_sql(con, "staging/ref_budgets", {"path": str(path)})
    run_sql(con, "reports/rpt_mh_budget", params or report_params())
    cols = ("budget", "actual", "budget_ytd", "actual_ytd", "variance_ytd", "variance_ytd_pct", "forecast_outturn",
            "forecast_variance", "forecast_variance_pct", "is_outturn", "rag")
    rows = con.execute(f"SELECT service_line, period, {', '.join(cols)} FROM rpt_mh_budget").fetchall()
    return {(r[0], r[1]): dict(zip(cols, r[2:])) for r in rows}


def test_budget_to_date_variance_and_forecast_by_hand(con, tmp_path):
    rows = _budget(con, tmp_path)
    # rows run to the latest month reported (2025-06): 12 months of last year, 3 of this year, per line
    assert sorted(k for k in rows if k[1] >= "2025-04") == [
        ("adult_community", "2025-04"), ("adult_community", "2025-05"), ("adult_community", "2025-06"),
        ("crisis_house", "2025-04"), ("crisis_house", "2025-05"), ("crisis_house", "2025-06")]
    # crisis, month 3: budget 3 x 100 = 300, actual 110 + 120 + 130 = 360 (the -50 income left out),
    # variance +60 (20%); forecast 360 + (1,200 - 300) + 60 x 9 / 3 = 1,440, 240 over (20%): red (> 3%)
    assert rows[("crisis_house", "2025-06")] == {
        "budget": D("100.00"), "actual": D("130.00"), "budget_ytd": D("300.00"), "actual_ytd": D("360.00"),
        "variance_ytd": D("60.00"), "variance_ytd_pct": D("20.00"), "forecast_outturn": D("1440.00"),
        "forecast_variance": D("240.00"), "forecast_variance_pct": D("20.00"), "is_outturn": False, "rag": "red"}
    # adult community, 1,000 a year: twelfths 83.33, then 166.67 to date (month 2's budget 83.34)
    may = rows[("adult_community", "2025-05")]
    assert (may["budget"], may["budget_ytd"], may["actual"], may["actual_ytd"]) == (
        D("83.34"), D("166.67"), D("0.00"), D("80.00"))
    # month 2: variance 80 - 166.67 = -86.67; forecast 80 + 833.33 - 86.67 x 10 / 2 (433.35) = 479.98
    assert (may["variance_ytd"], may["forecast_outturn"], may["forecast_variance"]) == (
        D("-86.67"), D("479.98"), D("-520.02"))
    # month 3: actual 240 against 250: -10 (-4%); forecast 240 + 750 - 10 x 9 / 3 = 960, 40 under (-4%):
    # under by more than the 3% red tolerance is amber (money forecast unspent)
    june = rows[("adult_community", "2025-06")]
    assert (june["variance_ytd"], june["variance_ytd_pct"], june["forecast_outturn"], june["forecast_variance_pct"],
            june["rag"]) == (D("-10.00"), D("-4.00"), D("960.00"), D("-4.00"), "amber")


def test_month_12_is_the_outturn_and_the_months_add_up_to_the_budget(con, tmp_path):
    rows = _budget(con, tmp_path)
    march = rows[("crisis_house", "2025-03")]
    # month 12: nothing left to forecast; 1,100 spent against 1,000 is 100 over (10%): red
    assert (march["budget_ytd"], march["actual_ytd"], march["forecast_outturn"], march["forecast_variance"],
            march["forecast_variance_pct"], march["is_outturn"], march["rag"]) == (
        D("1000.00"), D("1100.00"), D("1100.00"), D("100.00"), D("10.00"), True, "red")
    months = [rows[("crisis_house", p)]["budget"] for p in sorted(p for s, p in rows if s == "crisis_house"
                                                                   and p <= "2025-03")]
    assert len(months) == 12 and sum(months) == D("1000.00")
    # 1,000 / 12 = 83.333...: the rounded running twelfths put the pennies in months 2, 5, 8 and 11
    assert months[:3] == [D("83.33"), D("83.34"), D("83.33")]


def test_the_tolerances_are_bound_parameters(con, tmp_path):
    rows = _budget(con, tmp_path, {**report_params(), "mh_budget_red_tolerance_pct": D("25"),
                                   "mh_budget_amber_tolerance_pct": D("15")})
    assert rows[("crisis_house", "2025-06")]["rag"] == "amber"       # 20% over: above 15, not above 25
    assert rows[("adult_community", "2025-06")]["rag"] == "green"    # 4% under: within 25
