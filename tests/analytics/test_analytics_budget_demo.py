"""The demo's budgets against the pipeline: rpt_mh_budget at each year's month 12, and every month's
phased budget, budget to date, variance, forecast outturn and RAG, recomputed in plain Python from the
generated reference/budgets.csv and reference/budget_phasing.csv and the truth manifest's actuals (not
from the SQL); the planted winter profile phases the planted line as the truth says; the planted overspend
rated red and flagged, and the lead provider's spend over its delegated budget flagged with the truth's
figure."""
from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal

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


PENNY = Decimal("0.01")


def _penny(amount: Decimal) -> Decimal:
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def _profiles(demo_home) -> dict[tuple[str, str, str], list[Decimal]]:
    """(partner or '*', service line or '*', fy) -> the twelve weights, April first."""
    profiles: dict[tuple[str, str, str], dict[int, Decimal]] = {}
    with open(demo_home / "reference" / "budget_phasing.csv", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            profiles.setdefault((r["partner_id"], r["service_line"], r["fy"]), {})[int(r["fy_month"])] = \
                Decimal(r["weight"])
    assert all(sorted(w) == list(range(1, 13)) for w in profiles.values())
    return {key: [w[m] for m in range(1, 13)] for key, w in profiles.items()}


def _phase(annual: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """docs/model.md: annual x weight / total to the penny, the remainder in the largest-weight month
    (the latest of them on a tie)."""
    total = sum(weights)
    months = [_penny(annual * w / total) for w in weights]
    largest = max(range(12), key=lambda m: (weights[m], m))
    months[largest] += annual - sum(months)
    return months


def _expected_months(demo_home, truth) -> dict[tuple[str, str, str], dict]:
    """Per partner, service line and month (period): the figures by the rules in docs/model.md."""
    amber, red = _tolerances()
    profiles = _profiles(demo_home)
    monthly = {(r["partner_id"], r["service_line"], r["fy"]): r["monthly_actual"] for r in truth["mh_budget"]}
    with open(demo_home / "reference" / "budgets.csv", encoding="utf-8") as handle:
        budgets = list(csv.DictReader(handle))
    out = {}
    for b in budgets:
        partner, line, fy = b["partner_id"], b["service_line"], b["fy"]
        annual = Decimal(b["annual_budget"])
        chosen = next(((p, s) for p, s in ((partner, line), (partner, "*"), ("*", line), ("*", "*"))
                       if (p, s, fy) in profiles), None)
        weights = profiles[(*chosen, fy)] if chosen else [Decimal(1)] * 12
        budget_ytd = actual_ytd = Decimal(0)
        start = int(fy[:4])
        for month, budget in enumerate(_phase(annual, weights), start=1):
            period = f"{start + (month > 9)}-{(month + 2) % 12 + 1:02d}"
            actual = Decimal(monthly[(partner, line, fy)].get(period, "0"))
            budget_ytd += budget
            actual_ytd += actual
            variance = actual_ytd - budget_ytd
            to_come = annual - budget_ytd
            forecast = actual_ytd + to_come + (_penny(variance * to_come / budget_ytd) if budget_ytd else 0)
            pct = _penny(100 * (forecast - annual) / annual)
            out[(partner, line, period)] = {
                "phasing_profile": f"{chosen[0]} / {chosen[1]}" if chosen else "equal twelfths",
                "budget": budget, "budget_ytd": budget_ytd, "actual": actual, "actual_ytd": actual_ytd,
                "variance_ytd": variance, "forecast_outturn": forecast, "forecast_variance": forecast - annual,
                "forecast_variance_pct": pct,
                "rag": "red" if pct > red else "amber" if pct > amber or pct < -red else "green"}
    return out


def test_every_month_of_every_budget_recomputes_from_the_demo_files(demo_home, demo_db, truth):
    expected = _expected_months(demo_home, truth)
    cols = list(next(iter(expected.values())))
    rows = demo_db.execute(f"SELECT partner_id, service_line, period, {', '.join(cols)} FROM rpt_mh_budget"
                           ).fetchall()
    assert {r[:3] for r in rows} == set(expected)      # the demo reports every month of both years
    for r in rows:
        assert dict(zip(cols, r[3:])) == expected[r[:3]], r[:3]
    # the planted profiles are used: the trust's own for its crisis line, everyone's for the others
    profiles = {(k[0], k[1]): v["phasing_profile"] for k, v in expected.items() if k[2] == "2025-04"}
    assert profiles[("wfmh", "crisis_home_treatment")] == "wfmh / crisis_home_treatment"
    assert profiles[("nw_icb", "crisis_home_treatment")] == "* / crisis_home_treatment"
    assert profiles[("nw_icb", "crisis_house")] == "equal twelfths"


def test_the_planted_winter_profile_phases_the_planted_line_as_the_truth_says(demo_db, truth):
    fact = truth["facts"]["budget_overspend"]
    months = [r[0] for r in demo_db.execute("""
        SELECT budget FROM rpt_mh_budget WHERE partner_id = $p AND service_line = $s AND fy = $fy
        ORDER BY fy_month""", {"p": fact["partner_id"], "s": fact["service_line"], "fy": fact["fy"]}).fetchall()]
    assert months == [Decimal(m) for m in fact["phased_budget"]]
    assert sum(months) == Decimal(fact["annual_budget"])
    # winter pressure: December and January budgets are a third above the summer months'
    assert months[8] > months[0] * Decimal("1.3") and months[9] > months[0] * Decimal("1.3")


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
