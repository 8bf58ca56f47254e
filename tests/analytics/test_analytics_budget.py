"""rpt_mh_budget on a tiny hand-made ledger: phasing in twelfths and by a phasing profile (the most
specific one wins, the rounding remainder in the month with the largest weight), year to date, the
forecast outturn (phased budget to come plus the year-to-date trend), the outturn at month 12 and the RAG
tolerances; a phasing file that cannot share a budget out is refused. The expected figures are worked out
by hand in the comments, not by the SQL."""
from __future__ import annotations

from decimal import Decimal as D

from assets.ingest.reference_integrity import suite_violations
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


NO_PHASING = "partner_id,service_line,fy,fy_month,weight\n"


def _load_phasing(con, tmp_path, phasing: str) -> None:
    path = tmp_path / "budget_phasing.csv"
    path.write_text(phasing, encoding="utf-8")
    run_sql(con, "staging/ref_budget_phasing", {"path": str(path)})


def _budget(con, tmp_path, params=None, budgets=BUDGETS, phasing=NO_PHASING, key=("service_line", "period"),
            lines=LINES):
    build(con, lines)
    path = tmp_path / "budgets.csv"
    path.write_text(budgets, encoding="utf-8")
    run_sql(con, "staging/ref_budgets", {"path": str(path)})
    _load_phasing(con, tmp_path, phasing)
    run_sql(con, "reports/rpt_mh_budget", params or report_params())
    cols = ("budget", "actual", "budget_ytd", "actual_ytd", "variance_ytd", "variance_ytd_pct", "forecast_outturn",
            "forecast_variance", "forecast_variance_pct", "is_outturn", "rag", "phasing_profile")
    rows = con.execute(f"SELECT {', '.join(key)}, {', '.join(cols)} FROM rpt_mh_budget").fetchall()
    return {r[:len(key)]: dict(zip(cols, r[len(key):])) for r in rows}


def test_budget_to_date_variance_and_forecast_by_hand(con, tmp_path):
    rows = _budget(con, tmp_path)
    # rows run to the latest month reported (2025-06): 12 months of last year, 3 of this year, per line
    assert sorted(k for k in rows if k[1] >= "2025-04") == [
        ("adult_community", "2025-04"), ("adult_community", "2025-05"), ("adult_community", "2025-06"),
        ("crisis_house", "2025-04"), ("crisis_house", "2025-05"), ("crisis_house", "2025-06")]
    # crisis, month 3: budget 3 x 100 = 300, actual 110 + 120 + 130 = 360 (the -50 income left out),
    # variance +60 (20%); forecast 360 + (1,200 - 300) + 60 x 9 / 3 = 1,440, 240 over (20%): red (> 3%)
    # (no phasing file: equal twelfths); forecast 360 + (1,200 - 300) + 60 x 900 / 300 = 1,440, 240 over
    # (20%): red (> 3%)
    assert rows[("crisis_house", "2025-06")] == {
        "budget": D("100.00"), "actual": D("130.00"), "budget_ytd": D("300.00"), "actual_ytd": D("360.00"),
        "variance_ytd": D("60.00"), "variance_ytd_pct": D("20.00"), "forecast_outturn": D("1440.00"),
        "forecast_variance": D("240.00"), "forecast_variance_pct": D("20.00"), "is_outturn": False, "rag": "red",
        "phasing_profile": "equal twelfths"}
    # adult community, 1,000 a year: twelfths of 83.333... round to 83.33, so 166.66 to date at month 2
    may = rows[("adult_community", "2025-05")]
    assert (may["budget"], may["budget_ytd"], may["actual"], may["actual_ytd"]) == (
        D("83.33"), D("166.66"), D("0.00"), D("80.00"))
    # month 2: variance 80 - 166.66 = -86.66; the trend carries it over the 833.34 to come in proportion:
    # -86.66 x 833.34 / 166.66 = -433.3208 -> -433.32; forecast 80 + 833.34 - 433.32 = 480.02, 519.98 under
    assert (may["variance_ytd"], may["forecast_outturn"], may["forecast_variance"]) == (
        D("-86.66"), D("480.02"), D("-519.98"))
    # month 3: actual 240 against 249.99: -9.99 (-3.996%, -4.00); trend -9.99 x 750.01 / 249.99 = -29.9716 ->
    # -29.97; forecast 240 + 750.01 - 29.97 = 960.04, 39.96 under (-4.00%): under by more than the 3% red
    # tolerance is amber (money forecast unspent)
    june = rows[("adult_community", "2025-06")]
    assert (june["variance_ytd"], june["variance_ytd_pct"], june["forecast_outturn"], june["forecast_variance_pct"],
            june["rag"]) == (D("-9.99"), D("-4.00"), D("960.04"), D("-4.00"), "amber")


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
    # 1,000 / 12 = 83.333... -> 83.33 a month; every weight is equal, so the remainder goes to the latest
    # month, March: 1,000 - 11 x 83.33 = 83.37
    assert months[:11] == [D("83.33")] * 11 and months[11] == D("83.37")


def test_the_tolerances_are_bound_parameters(con, tmp_path):
    rows = _budget(con, tmp_path, {**report_params(), "mh_budget_red_tolerance_pct": D("25"),
                                   "mh_budget_amber_tolerance_pct": D("15")})
    assert rows[("crisis_house", "2025-06")]["rag"] == "amber"       # 20% over: above 15, not above 25
    assert rows[("adult_community", "2025-06")]["rag"] == "green"    # 4% under: within 25


PHASED_BUDGETS = """partner_id,fy,service_line,annual_budget
wfmh,2025-26,crisis_house,1000.01
wfmh,2025-26,adult_community,900.00
haven,2025-26,adult_community,100.00
haven,2025-26,crisis_house,100.00
nw_icb,2024-25,crisis_house,120.00
"""


def _profile(partner: str, service_line: str, weights: list[str], fy: str = "2025-26") -> str:
    return "".join(f"{partner},{service_line},{fy},{m},{w}\n" for m, w in enumerate(weights, start=1))


PHASING = (NO_PHASING
           # wfmh's crisis house: shares adding up to 1, the last two months heavier
           + _profile("wfmh", "crisis_house", ["0.08"] * 10 + ["0.1", "0.1"])
           # wfmh, every service line: April three times any other month
           + _profile("wfmh", "*", ["3"] + ["1"] * 11)
           # every partner's adult community: nothing in March
           + _profile("*", "adult_community", ["1"] * 11 + ["0"])
           # everyone else: winter (October to March) twice the summer
           + _profile("*", "*", ["1"] * 6 + ["2"] * 6))


def test_the_most_specific_profile_phases_each_budget_to_the_penny(con, tmp_path):
    # rows run to the latest month reported: a line in March 2026 brings the whole year in
    rows = _budget(con, tmp_path, budgets=PHASED_BUDGETS, phasing=PHASING,
                   key=("partner_id", "service_line", "fy_month", "fy"),
                   lines=LINES + [spend("nw_icb", "1.00", service_line="corporate", period="2026-03")])

    def months(partner, line, fy="2025-26"):
        return [rows[(partner, line, m, fy)]["budget"] for m in range(1, 13)]

    # wfmh crisis house (its own profile): 1,000.01 x 0.08 = 80.0008 -> 80.00 (months 1-10), x 0.1 = 100.001
    # -> 100.00 (months 11, 12); 1,000.00 in all, the penny left goes to the latest of the largest: March
    assert months("wfmh", "crisis_house") == [D("80.00")] * 10 + [D("100.00"), D("100.01")]
    # wfmh adult community: wfmh's '*' profile wins over every partner's adult community one. Weights 3 + 11
    # = 14: April 900 x 3 / 14 = 192.857 -> 192.86, other months 900 / 14 = 64.2857 -> 64.29; 900.05 in all,
    # so April, the largest weight, gives back 5p: 192.81
    assert months("wfmh", "adult_community") == [D("192.81")] + [D("64.29")] * 11
    # haven adult community: every partner's adult community profile, 11 months of 1 and a March of 0:
    # 100 / 11 = 9.0909 -> 9.09, 99.99 in all; the penny goes to February (month 11, latest of the largest)
    assert months("haven", "adult_community") == [D("9.09")] * 10 + [D("9.10"), D("0.00")]
    # haven crisis house: the '*' / '*' profile, total weight 18: 100 / 18 = 5.5556 -> 5.56 in summer,
    # 200 / 18 = 11.1111 -> 11.11 in winter; 100.02 in all, March gives back 2p: 11.09
    assert months("haven", "crisis_house") == [D("5.56")] * 6 + [D("11.11")] * 5 + [D("11.09")]
    # 2024-25 has no profile: twelfths of 120
    assert months("nw_icb", "crisis_house", "2024-25") == [D("10.00")] * 12
    assert {(k[0], k[1], k[3]): v["phasing_profile"] for k, v in rows.items()} == {
        ("wfmh", "crisis_house", "2025-26"): "wfmh / crisis_house", ("wfmh", "adult_community", "2025-26"): "wfmh / *",
        ("haven", "adult_community", "2025-26"): "* / adult_community", ("haven", "crisis_house", "2025-26"): "* / *",
        ("nw_icb", "crisis_house", "2024-25"): "equal twelfths"}


def test_the_forecast_carries_the_trend_over_the_phased_budget_to_come(con, tmp_path):
    rows = _budget(con, tmp_path, budgets=PHASED_BUDGETS, phasing=PHASING,
                   key=("partner_id", "service_line", "period"))
    # wfmh crisis house at June: budget to date 3 x 80 = 240, actual 360: 120 over (50%). To come 1,000.01 -
    # 240 = 760.01, over by the same proportion: 120 x 760.01 / 240 = 380.005 -> 380.01; forecast 360 + 760.01
    # + 380.01 = 1,500.02, 500.01 over (500.01 / 1,000.01 = 50.0005%, 50.00): red
    june = rows[("wfmh", "crisis_house", "2025-06")]
    assert (june["budget_ytd"], june["actual_ytd"], june["variance_ytd"], june["variance_ytd_pct"],
            june["forecast_outturn"], june["forecast_variance"], june["forecast_variance_pct"], june["rag"]) == (
        D("240.00"), D("360.00"), D("120.00"), D("50.00"), D("1500.02"), D("500.01"), D("50.00"), "red")
    # wfmh adult community at June: budget to date 192.81 + 64.29 + 64.29 = 321.39, actual 80 + 160 = 240:
    # -81.39 (-25.32%); to come 578.61; trend -81.39 x 578.61 / 321.39 = -146.529 -> -146.53; forecast 240 +
    # 578.61 - 146.53 = 672.08, 227.92 under (-25.32%): amber
    june = rows[("wfmh", "adult_community", "2025-06")]
    assert (june["budget_ytd"], june["variance_ytd"], june["variance_ytd_pct"], june["forecast_outturn"],
            june["forecast_variance"], june["forecast_variance_pct"], june["rag"]) == (
        D("321.39"), D("-81.39"), D("-25.32"), D("672.08"), D("-227.92"), D("-25.32"), "amber")
    # haven spent nothing: the trend (all of the budget to date unspent) leaves nothing forecast
    assert rows[("haven", "crisis_house", "2025-06")]["forecast_outturn"] == D("0.00")


def _violations(con, tmp_path, phasing: str) -> set[str]:
    _load_phasing(con, tmp_path, phasing)
    return {v.check for v in suite_violations(con, "ref_budget_phasing")}


def test_a_profile_that_cannot_share_out_a_budget_is_refused(con, tmp_path):
    assert _violations(con, tmp_path, PHASING) == set()
    eleven_months = NO_PHASING + _profile("wfmh", "*", ["1"] * 11)
    assert any("months_in_profile" in v for v in _violations(con, tmp_path, eleven_months))
    negative = NO_PHASING + _profile("wfmh", "*", ["-1"] + ["1"] * 11)
    assert any("weight" in v for v in _violations(con, tmp_path, negative))
    nothing = NO_PHASING + _profile("wfmh", "*", ["0"] * 12)
    assert any("profile_weight" in v for v in _violations(con, tmp_path, nothing))
    month_13 = PHASING.replace("wfmh,*,2025-26,12,1", "wfmh,*,2025-26,13,1")
    assert any("fy_month" in v for v in _violations(con, tmp_path, month_13))
    twice = PHASING + "wfmh,*,2025-26,1,3\n"
    found = _violations(con, tmp_path, twice)
    assert any("unique" in v for v in found) and any("months_in_profile" in v for v in found)
