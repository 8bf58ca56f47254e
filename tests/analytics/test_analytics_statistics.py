"""Statistics recomputed independently in polars from fct_ledger and the reference tables (not
from fct_mh_ledger or any rpt_ table) and compared with the SQL: the funnel limits, z-scores and
deciles of every measure, and the MHIS growth arithmetic."""
from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from analytics_reference import funnel, half_up
from assets.measures import load_measures


@pytest.fixture
def ledger(demo_db) -> pl.DataFrame:
    lines = demo_db.execute("SELECT * FROM fct_ledger").pl()
    service_lines = demo_db.execute("SELECT service_line, mental_health, in_mhis FROM ref_service_lines").pl()
    submitting = demo_db.execute("SELECT partner_id AS counterparty_partner_id, submits FROM ref_partners").pl()
    return (lines.join(service_lines, on="service_line", how="left")
            .join(submitting, on="counterparty_partner_id", how="left")
            .with_columns(submits=pl.col("submits").fill_null(False)))


def expected_numerators(ledger: pl.DataFrame, measure, populations: pl.DataFrame) -> pl.DataFrame:
    n = measure.definition.numerator
    lines = ledger.filter(pl.col("mental_health"), pl.col("line_type").is_in(n.line_types), pl.col("place_id").is_not_null())
    if n.service_lines:
        lines = lines.filter(pl.col("service_line").is_in(n.service_lines))
    if n.funding_streams:
        lines = lines.filter(pl.col("funding_stream").is_in(n.funding_streams))
    if n.partner_kinds:
        lines = lines.filter(pl.col("partner_kind").is_in(n.partner_kinds))
    if n.basis == "net":
        lines = lines.filter(~((pl.col("line_type") == "expenditure") & pl.col("submits")))
    sums = lines.group_by("fy", "place_id").agg(numerator=pl.col("amount").sum())
    return (populations.join(sums, on=["fy", "place_id"], how="left")
            .with_columns(numerator=pl.col("numerator").fill_null(0)).rename({"place_id": "unit_id"}))


def test_funnel_limits_z_scores_and_deciles_match_an_independent_computation(demo_db, ledger):
    populations = demo_db.execute("""SELECT fy, place_id, weighted_population AS denominator FROM ref_populations
                                     WHERE fy IN (SELECT DISTINCT fy FROM fct_ledger)""").pl()
    reported = demo_db.execute("SELECT * FROM rpt_variation").pl()
    checked = 0
    for measure in load_measures():
        assert measure.definition.grouping == "place" and measure.definition.denominator == "weighted_population"
        units = expected_numerators(ledger, measure, populations)
        thresholds = measure.definition.thresholds
        for fy in units["fy"].unique().to_list():
            expected = funnel(units.filter(pl.col("fy") == fy), thresholds.z_95, thresholds.z_998)
            got = {r["unit_id"]: r for r in reported.filter(pl.col("measure_id") == measure.measure_id,
                                                             pl.col("fy") == fy).to_dicts()}
            assert set(got) == set(expected["unit_id"])
            for e in expected.to_dicts():
                r = got[e["unit_id"]]
                assert float(r["numerator"]) == pytest.approx(e["numerator"], abs=0.001)
                assert float(r["rate"]) == pytest.approx(e["rate"], abs=0.00005)
                assert float(r["pooled_rate"]) == pytest.approx(e["pooled"], abs=0.00005)
                assert r["z_score"] == pytest.approx(e["z"], rel=1e-6)
                assert r["between_unit_sd"] == pytest.approx(e["tau"], rel=1e-6)
                for limit in ("lower_998", "lower_95", "upper_95", "upper_998"):
                    assert float(r[limit]) == pytest.approx(e[limit], abs=0.00005), limit
                assert (r["decile"], r["flag"]) == (e["decile"], e["flag"])
                checked += 1
    assert checked == 6 * 2 * len(load_measures())


def test_expected_spend_at_the_pooled_rate_is_exact(demo_db):
    rows = demo_db.execute("""SELECT measure_id, fy, numerator, denominator, expected_numerator, difference_vs_pooled,
                                     sum(numerator) OVER (PARTITION BY measure_id, fy) AS total_numerator,
                                     sum(denominator) OVER (PARTITION BY measure_id, fy) AS total_denominator
                              FROM rpt_variation""").fetchall()
    for _, _, numerator, denominator, expected, difference, total, people in rows:
        assert expected == half_up(total * denominator / people)
        assert difference == numerator - expected


def test_mhis_growth_and_required_spend_recomputed(demo_db, ledger):
    allocations = {(r[0], r[1]): r[2] for r in demo_db.execute("SELECT * FROM ref_allocations").fetchall()}
    spend = (ledger.filter(pl.col("partner_kind") == "icb", pl.col("line_type") == "expenditure", pl.col("in_mhis"),
                           pl.col("funding_stream").is_in(["recurrent", "s75_pooled"]))
             .group_by("partner_id", "fy").agg(pl.col("amount").sum()))
    spend = {(r["partner_id"], r["fy"]): r["amount"] for r in spend.to_dicts()}
    rows = demo_db.execute("""SELECT icb_id, fy, mhis_spend, allocation_growth_pct, mhis_spend_growth_pct, required_spend,
                                     mhis_share_of_allocation_pct FROM rpt_mhis WHERE fy = '2025-26'""").fetchall()
    assert len(rows) == 2
    for icb_id, fy, mhis, growth, spend_growth, required, share in rows:
        prior, allocation, prior_allocation = spend[(icb_id, "2024-25")], allocations[(icb_id, fy)], \
            allocations[(icb_id, "2024-25")]
        assert mhis == spend[(icb_id, fy)]
        assert growth == half_up(100 * (allocation / prior_allocation - 1), "0.0001")
        assert spend_growth == half_up(100 * (mhis / prior - 1), "0.0001")
        assert required == half_up(prior * allocation / prior_allocation)
        assert share == half_up(100 * mhis / allocation, "0.0001")
    growth = dict(demo_db.execute("SELECT icb_id, allocation_growth_pct FROM rpt_mhis WHERE fy = '2025-26'").fetchall())
    assert growth == {"nw_icb": Decimal("5.2000"), "sf_icb": Decimal("4.8000")}  # docs/model.md: 5.2% and 4.8%
