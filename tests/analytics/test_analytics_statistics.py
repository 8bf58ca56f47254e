"""Statistics recomputed independently in polars from fct_ledger and the reference tables (not
from fct_mh_ledger or any rpt_ table) and compared with the SQL: each place against its peers (the
limits, z-scores, ranks and deciles of every measure), the apportioned unplaced spend and the
coverage, and the MHIS growth arithmetic."""
from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from analytics_reference import half_up, peer_comparison
from warehouse.measures import load_measures


def place_measures():
    """The measures of places (the ledger over weighted population); the provider alliance's are checked
    against their own source in test_analytics_provider_measures.py (issue 17)."""
    return [m for m in load_measures() if m.definition.grouping != "provider"]


@pytest.fixture
def ledger(demo_db) -> pl.DataFrame:
    lines = demo_db.execute("SELECT * FROM fct_ledger").pl()
    service_lines = demo_db.execute("SELECT service_line, mental_health, in_mhis FROM ref_service_lines").pl()
    submitting = demo_db.execute("SELECT partner_id AS counterparty_partner_id, submits FROM ref_partners").pl()
    return (lines.join(service_lines, on="service_line", how="left")
            .join(submitting, on="counterparty_partner_id", how="left")
            .with_columns(submits=pl.col("submits").fill_null(False)))


def measure_lines(ledger: pl.DataFrame, measure) -> pl.DataFrame:
    """The ledger lines of a measure's numerator, placed or not."""
    n = measure.definition.numerator
    lines = ledger.filter(pl.col("mental_health"), pl.col("line_type").is_in(n.line_types))
    if n.service_lines:
        lines = lines.filter(pl.col("service_line").is_in(n.service_lines))
    if n.funding_streams:
        lines = lines.filter(pl.col("funding_stream").is_in(n.funding_streams))
    if n.partner_kinds:
        lines = lines.filter(pl.col("partner_kind").is_in(n.partner_kinds))
    if n.basis == "net":
        lines = lines.filter(~((pl.col("line_type") == "expenditure") & pl.col("submits")))
    return lines


def expected_numerators(ledger: pl.DataFrame, measure, populations: pl.DataFrame) -> pl.DataFrame:
    lines = measure_lines(ledger, measure).filter(pl.col("place_id").is_not_null())
    sums = lines.group_by("fy", "place_id").agg(numerator=pl.col("amount").sum())
    return (populations.join(sums, on=["fy", "place_id"], how="left")
            .with_columns(numerator=pl.col("numerator").fill_null(0)).rename({"place_id": "unit_id"}))


def test_peer_comparison_limits_z_scores_and_deciles_match_an_independent_computation(demo_db, ledger):
    populations = demo_db.execute("""SELECT fy, place_id, weighted_population AS denominator FROM ref_populations
                                     WHERE fy IN (SELECT DISTINCT fy FROM fct_ledger)""").pl()
    reported = demo_db.execute("SELECT * FROM rpt_variation").pl()
    checked = 0
    for measure in place_measures():   # the provider measures: test_analytics_provider_measures.py
        d = measure.definition
        assert d.grouping == "place" and d.denominator == "weighted_population"
        units = expected_numerators(ledger, measure, populations)
        for fy in units["fy"].unique().to_list():
            expected = peer_comparison(units.filter(pl.col("fy") == fy), d.thresholds.z_95, d.thresholds.z_998,
                                       d.within_unit_cv, d.min_peers)
            got = {r["unit_id"]: r for r in reported.filter(pl.col("measure_id") == measure.measure_id,
                                                             pl.col("fy") == fy).to_dicts()}
            assert set(got) == set(expected["unit_id"])
            for e in expected.to_dicts():
                r = got[e["unit_id"]]
                assert float(r["numerator"]) == pytest.approx(e["numerator"], abs=0.001)
                assert float(r["rate"]) == pytest.approx(e["rate"], abs=0.00005)
                assert float(r["peer_rate"]) == pytest.approx(e["centre"], abs=0.00005)
                assert r["z_score"] == pytest.approx(e["z"], rel=1e-6)
                assert r["between_unit_sd"] == pytest.approx(e["tau"], rel=1e-6, abs=1e-9)
                assert r["rate_sd"] == pytest.approx(e["sd"], rel=1e-6)
                for limit in ("lower_998", "lower_95", "upper_95", "upper_998"):
                    assert float(r[limit]) == pytest.approx(e[limit], abs=0.00005), limit
                assert float(r["median_rate"]) == pytest.approx(e["median"], abs=0.00005)
                assert (r["decile"], r["rate_rank"], r["flag"], r["comparison"], r["assessed"]) == (
                    e["decile"], e["rank"], e["flag"], e["comparison"], e["assessed"])
                checked += 1
    assert checked == 6 * 2 * len(place_measures())


def test_unplaced_spend_is_apportioned_by_weighted_population_within_the_spenders_system(demo_db, ledger):
    """Lines with no place go to the places of the line's system (fct_ledger: the partner's ICS) by
    their share of its weighted population; coverage is placed spend over all of it."""
    places = demo_db.execute("""SELECT fy, place_id, ics_id, weighted_population FROM ref_populations
                                JOIN ref_places USING (place_id)""").pl()
    reported = demo_db.execute("SELECT * FROM rpt_variation").pl()
    for measure in place_measures():   # the provider measures: test_analytics_provider_measures.py
        lines = measure_lines(ledger, measure)
        unplaced = (lines.filter(pl.col("place_id").is_null()).group_by("fy", "ics_id")
                    .agg(unplaced=pl.col("amount").sum()))
        for r in reported.filter(pl.col("measure_id") == measure.measure_id).to_dicts():
            place = places.filter(pl.col("fy") == r["fy"], pl.col("place_id") == r["unit_id"]).to_dicts()[0]
            system = places.filter(pl.col("fy") == r["fy"], pl.col("ics_id") == place["ics_id"])
            pot = unplaced.filter(pl.col("fy") == r["fy"], pl.col("ics_id") == place["ics_id"])["unplaced"]
            pot = pot[0] if len(pot) else Decimal(0)
            assert r["apportioned_numerator"] == half_up(pot * place["weighted_population"]
                                                         / system["weighted_population"].sum())
            assert r["total_numerator"] == r["numerator"] + r["apportioned_numerator"]
            year = lines.filter(pl.col("fy") == r["fy"])
            placed = year.filter(pl.col("place_id").is_not_null())["amount"].sum()
            assert r["coverage_pct"] == half_up(Decimal(100) * placed / year["amount"].sum(), "0.1")
    # about half of net mental-health spend is coded to a place: the rest is trust- or ICB-wide
    assert set(reported.filter(pl.col("measure_id") == "mh_spend_per_head")["coverage_pct"].to_list()) <= {
        Decimal(x) / 10 for x in range(450, 551)}


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
