"""Sector shares of net spend and the lead provider's delegated budget on the demo system."""
from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal

import polars as pl

from analytics_reference import half_up


def money(text) -> Decimal:
    return Decimal(str(text))


def test_sector_spend_adds_up_to_the_open_books_net_spend(demo_db):
    by_system = dict(((r[0], r[1]), r[2]) for r in demo_db.execute("""
        SELECT ics_id, period, sum(net_spend) FROM rpt_sector_share WHERE geography_level = 'ics' GROUP BY ALL""").fetchall())
    book = dict(((r[0], r[1]), r[2]) for r in demo_db.execute(
        "SELECT ics_id, period, sum(net_spend) FROM rpt_open_book GROUP BY ALL").fetchall())
    assert by_system == book
    by_place = dict(((r[0], r[1]), r[2]) for r in demo_db.execute("""
        SELECT place_id, fy, sum(net_spend) FROM rpt_sector_share WHERE geography_level = 'place' GROUP BY ALL""").fetchall())
    book_places = dict(((r[0], r[1]), r[2]) for r in demo_db.execute("""
        SELECT place_id, fy, sum(net_spend) FROM rpt_open_book WHERE place_id IS NOT NULL GROUP BY ALL""").fetchall())
    assert by_place == book_places


def test_shares_sum_to_a_hundred_and_every_sector_has_every_month(demo_db):
    shares = demo_db.execute("""SELECT geography_level, ics_id, place_id, period, sum(share_pct), sum(ytd_share_pct),
                                       count(*) FROM rpt_sector_share GROUP BY ALL""").fetchall()
    assert len(shares) == (2 + 6) * 24
    for *_, share, ytd_share, sectors in shares:
        assert abs(share - 100) <= Decimal("0.03") and abs(ytd_share - 100) <= Decimal("0.03")
        assert sectors == 4


def test_voluntary_sector_spend_is_the_vcse_partners_own_net_spend(demo_db, truth, demo_home):
    with open(demo_home / "reference" / "partners.csv", encoding="utf-8") as handle:
        vcse = {r["partner_id"] for r in csv.DictReader(handle) if r["kind"] == "vcse"}
    expected = defaultdict(Decimal)
    for r in truth["mh_expenditure_by_partner_period"]:
        if r["partner_id"] in vcse:
            expected[r["period"]] += money(r["expenditure"])
    for pair in truth["inter_partner"]:  # what the voluntary sector passes on to other partners (none in the demo)
        if pair["payer_id"] in vcse:
            expected[pair["period"]] -= money(pair["payer_amount"])
    reported = dict(demo_db.execute("""SELECT period, sum(net_spend) FROM rpt_sector_share
                                       WHERE geography_level = 'ics' AND sector = 'vcse' GROUP BY ALL""").fetchall())
    assert reported == dict(expected)


def test_lead_provider_spend_matches_the_truth_by_subcontractor(demo_db, truth):
    expected = {(r["fy"], r["service_line"], r["paid_to"] or "other"): money(r["spend"])
                for r in truth["lead_provider_spend"]}
    reported = {(r[0], r[1], r[2]): r[3] for r in demo_db.execute("""
        SELECT fy, service_line, subcontractor_id, sum(spend) FROM rpt_lead_provider_subcontractors
        GROUP BY ALL""").fetchall()}
    assert reported == expected


def test_beds_fall_community_investment_rises_and_savings_are_measured_from_the_first_year(demo_db):
    months = demo_db.execute("SELECT * FROM rpt_lead_provider ORDER BY period").pl()
    assert months.height == 24
    first, last = months.row(0, named=True), months.row(-1, named=True)
    assert last["occupied_bed_days"] < first["occupied_bed_days"]
    assert last["out_of_area_placements"] < first["out_of_area_placements"]
    assert last["community_spend"] > first["community_spend"]
    baseline_year = months.filter(pl.col("fy") == "2024-25")
    assert first["baseline_inpatient_spend"] == half_up(baseline_year["inpatient_spend"].sum() / 12)
    assert (months["inpatient_saving"] == months["baseline_inpatient_spend"] - months["inpatient_spend"]).all()
    second_year = months.filter(pl.col("fy") == "2025-26").row(-1, named=True)
    assert second_year["ytd_inpatient_saving"] > 0 and second_year["ytd_community_reinvestment"] > 0
    assert (months["delegated_budget"] == months["delegated_income"]).all()  # both ICBs pay the delegated twelfths


def test_bed_days_and_cost_per_bed_day_by_subcontractor(demo_db, truth):
    activity = {(r[0], r[1]): r[2] for r in demo_db.execute(
        "SELECT period, provider_id, occupied_bed_days FROM ref_lp_activity").fetchall()}
    rows = demo_db.execute("""SELECT period, subcontractor_id, spend, occupied_bed_days, cost_per_occupied_bed_day
                              FROM rpt_lead_provider_subcontractors WHERE occupied_bed_days IS NOT NULL""").fetchall()
    assert {(p, s) for p, s, *_ in rows} == set(activity)
    for period, provider, spend, bed_days, cost in rows:
        assert bed_days == activity[(period, provider)]
        assert cost == half_up(spend / bed_days)
    oakridge = {c for p, s, _, _, c in rows if s == "oakridge"}
    assert oakridge == {Decimal("545.00"), Decimal("560.00")}  # cost and volume: the price per bed day each year
