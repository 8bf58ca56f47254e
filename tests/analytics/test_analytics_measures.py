"""Measure definitions load and fail clearly; the one measure template on tiny hand-made
tables (no demo system needed)."""
from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from analytics_reference import dersimonian_laird, peer_comparison
from warehouse.measures import MEASURES_DIR, MeasureError, build_variation, load_measure, load_measures
from warehouse.sql_files import SQL_DIR, run_sql

GOOD = """title: Crisis spend per weighted head
description: Crisis lines.
numerator:
  service_lines: [crisis_house]
denominator: weighted_population
higher_is_better: true
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- definitions ------------------------------------------------------------------------

def test_every_shipped_measure_loads_with_its_file_name_as_id():
    measures = load_measures(MEASURES_DIR)
    ids = {m.measure_id for m in measures}
    assert {"mh_spend_per_head", "crisis_spend_per_head", "cyp_spend_per_head"} <= ids
    crisis = next(m for m in measures if m.measure_id == "crisis_spend_per_head")
    assert crisis.definition.numerator.service_lines == ["crisis_house", "crisis_home_treatment"]
    assert crisis.definition.thresholds.z_95 == 1.96 and crisis.definition.thresholds.z_998 == 3.09


@pytest.mark.parametrize("text, key, message", [
    (GOOD + "thresholdz: {z_95: 2}\n", "thresholdz", "unknown key"),
    (GOOD.replace("service_lines:", "service_line:"), "numerator.service_line", "unknown key"),
    (GOOD.replace("weighted_population", "raw_population"), "denominator", "weighted_population"),
    (GOOD.replace("[crisis_house]", "[crisis_house]\n  funding_streams: [recurent]"),
     "numerator.funding_streams.0", "recurrent"),
    (GOOD.replace("higher_is_better: true\n", ""), "higher_is_better", "Field required"),
    # the unit decides the denominators and the numerator's source (issue 17)
    (GOOD + "grouping: provider\n", "denominator", "not a provider denominator"),
    (GOOD.replace("weighted_population", "occupied_bed_days"), "denominator", "not a place denominator"),
    (GOOD.replace("[crisis_house]", "[crisis_house]\n  source: provider_finance"),
     "numerator.source", "does not fit grouping place"),
    (GOOD.replace("weighted_population", "occupied_bed_days").replace("[crisis_house]",
     "[crisis_house]\n  source: provider_finance\n  basis: gross") + "grouping: provider\n",
     "numerator", "basis: only for source ledger"),
    (GOOD.replace("weighted_population", "weighted_population_served").replace("  service_lines: [crisis_house]",
     "  source: provider_activity") + "grouping: provider\n", "numerator", "activity: required"),
    (GOOD + "scale: 0\n", "scale", "greater than or equal to 1"),
    (GOOD + "thresholds: {z_95: 3.5, z_998: 3.09}\n", "thresholds", "z_95 < z_998"),
])
def test_a_bad_definition_names_the_file_and_the_key(tmp_path, text, key, message):
    path = write(tmp_path, "bad_measure", text)
    with pytest.raises(MeasureError) as error:
        load_measure(path)
    assert str(path) in str(error.value)
    assert f"{key}: " in str(error.value) and message in str(error.value)


def test_a_file_name_that_cannot_be_an_id_is_refused(tmp_path):
    with pytest.raises(MeasureError, match="Crisis-Spend.yaml: a measure's file name is its id"):
        load_measure(write(tmp_path, "Crisis-Spend", GOOD))


def test_an_unknown_service_line_is_refused_before_anything_is_built(tmp_path):
    con = tiny_warehouse([("a", "north_weald", 1000)], [])
    con.execute("CREATE TABLE rpt_variation AS SELECT 'kept' AS measure_id")
    path = write(tmp_path, "crisis", GOOD.replace("[crisis_house]", "[crisis_house, crisis_hous]"))
    with pytest.raises(MeasureError, match=r"crisis.yaml: invalid measure: numerator.service_lines.1: 'crisis_hous'"):
        build_variation(con, tmp_path)
    assert con.execute("SELECT measure_id FROM rpt_variation").fetchall() == [("kept",)]


# --- the template on tiny tables ---------------------------------------------------------

def tiny_warehouse(places: list[tuple[str, str, int]], lines: list[tuple]) -> duckdb.DuckDBPyConnection:
    """places: (place_id, ics_id, weighted population); lines: (place_id, service_line,
    funding_stream, partner_kind, line_type, amount, is_eliminated), all in 2025-26."""
    con = duckdb.connect()
    con.execute("""CREATE TABLE dim_place (place_id VARCHAR, place_name VARCHAR, ics_id VARCHAR, ics_name VARCHAR,
                   fy VARCHAR, weighted_population DECIMAL(18,2), mh_need_index DECIMAL(9,4),
                   mh_weighted_population DECIMAL(18,6))""")
    for place_id, ics_id, population in places:
        con.execute("INSERT INTO dim_place VALUES (?, ?, ?, ?, '2025-26', ?, 1.0, ?)",
                    [place_id, place_id.title(), ics_id, ics_id.title(), population, population])
    con.execute("""CREATE TABLE dim_service_line AS SELECT * FROM (VALUES
                   ('crisis_house', true), ('camhs', true), ('corporate', false)) t(service_line, mental_health)""")
    con.execute("""CREATE TABLE fct_mh_ledger (place_id VARCHAR, ics_id VARCHAR, fy VARCHAR, period VARCHAR,
                   service_line VARCHAR, funding_stream VARCHAR, partner_kind VARCHAR, line_type VARCHAR,
                   amount DECIMAL(18,2), is_eliminated BOOLEAN)""")
    ics_of = {p: i for p, i, _ in places}
    for place_id, service_line, stream, kind, line_type, amount, eliminated in lines:
        # "@north_weald": a line coded to no place, spent by a partner of that system
        place, ics = (None, place_id[1:]) if place_id.startswith("@") else (place_id, ics_of[place_id])
        con.execute("INSERT INTO fct_mh_ledger VALUES (?, ?, '2025-26', '2025-04', ?, ?, ?, ?, ?, ?)",
                    [place, ics, service_line, stream, kind, line_type, amount, eliminated])
    for name in ("alliance_providers", "alliance_populations", "alliance_activity", "alliance_finance"):
        # the provider units' tables, empty (no alliance): the one template reads them for provider measures
        run_sql(con, f"staging/ref_{name}", {"path": str(SQL_DIR / "staging" / "empty" / f"{name}.csv")})
    return con


def variation(con, folder) -> dict[tuple[str, str], dict]:
    build_variation(con, folder)
    rows = con.execute("SELECT * FROM rpt_variation").pl().to_dicts()
    return {(r["measure_id"], r["unit_id"]): r for r in rows}


def spend(place_id, amount, service_line="crisis_house", stream="recurrent", kind="vcse", eliminated=False,
          line_type="expenditure"):
    return (place_id, service_line, stream, kind, line_type, Decimal(amount), eliminated)


def test_numerator_filters_are_bound_lists_and_basis_decides_eliminations(tmp_path):
    con = tiny_warehouse([("a", "north_weald", 1000), ("b", "north_weald", 1000)], [
        spend("a", "100.00"), spend("a", "7.00", service_line="camhs"),
        spend("a", "50.00", stream="grant"), spend("a", "20.00", kind="icb"),
        spend("a", "1000.00", eliminated=True), spend("a", "-3.00", line_type="income"),
        spend("b", "200.00"),
    ])
    write(tmp_path, "net_all", "title: t\ndescription: d\nnumerator: {}\ndenominator: weighted_population\n"
                               "higher_is_better: true\n")
    write(tmp_path, "gross_crisis", "title: t\ndescription: d\nnumerator: {service_lines: [crisis_house], "
                                    "basis: gross}\ndenominator: weighted_population\nhigher_is_better: true\n")
    write(tmp_path, "recurrent_vcse", "title: t\ndescription: d\nnumerator: {funding_streams: [recurrent], "
                                      "partner_kinds: [vcse]}\ndenominator: weighted_population\n"
                                      "higher_is_better: false\n")
    write(tmp_path, "income", "title: t\ndescription: d\nnumerator: {line_types: [income]}\n"
                              "denominator: weighted_population\nhigher_is_better: true\n")
    rows = variation(con, tmp_path)
    assert rows[("net_all", "a")]["numerator"] == Decimal("177.00")
    assert rows[("gross_crisis", "a")]["numerator"] == Decimal("1170.00")
    assert rows[("recurrent_vcse", "a")]["numerator"] == Decimal("107.00")
    assert rows[("income", "a")]["numerator"] == Decimal("-3.00")
    assert rows[("income", "b")]["numerator"] == Decimal("0.00")  # a unit with no lines is still compared
    assert rows[("net_all", "a")]["rate"] == Decimal("0.1770") and rows[("net_all", "b")]["rate"] == Decimal("0.2000")
    assert rows[("net_all", "a")]["pooled_rate"] == Decimal("0.1885")
    assert rows[("net_all", "a")]["expected_numerator"] == Decimal("188.50")
    assert rows[("net_all", "a")]["difference_vs_pooled"] == Decimal("-11.50")
    assert {r["units"] for r in rows.values()} == {2}


def test_rates_are_rounded_half_up_and_too_few_peers_show_a_rank_not_a_flag(tmp_path):
    con = tiny_warehouse([(p, "south_fen", 3) for p in "abcd"], [spend(p, "1.00") for p in "abcd"])
    write(tmp_path, "m", GOOD)
    rows = variation(con, tmp_path)
    assert {r["rate"] for r in rows.values()} == {Decimal("0.3333")}
    assert {r["decile"] for r in rows.values()} == {10}
    # three peers each, fewer than the default five: no limits, no flags; rank and distance instead
    assert {(r["peers"], r["assessed"], r["flag"], r["comparison"]) for r in rows.values()} == {
        (3, False, "none", "not assessed")}
    assert {(r["upper_95"], r["z_score"]) for r in rows.values()} == {(None, None)}
    assert {(r["rate_rank"], r["median_rate"], r["distance_from_median"]) for r in rows.values()} == {
        (1, Decimal("0.3333"), Decimal("0.0000"))}
    assert {r["between_unit_sd"] for r in rows.values()} == {0.0}


SIX = {"a": 10_000, "b": 12_000, "c": 9_000, "d": 11_000, "e": 10_000, "f": 8_000}
SIX_SPEND = {"a": "10000.00", "b": "12360.00", "c": "8820.00", "d": "11110.00", "e": "14000.00", "f": "7920.00"}


def test_an_outlier_is_flagged_with_the_statistics_of_an_independent_computation(tmp_path):
    con = tiny_warehouse([(p, "north_weald", n) for p, n in SIX.items()], [spend(p, a) for p, a in SIX_SPEND.items()])
    write(tmp_path, "m", GOOD.replace("higher_is_better: true", "higher_is_better: false"))
    rows = variation(con, tmp_path)
    expected = peer_comparison(pl.DataFrame({"unit_id": list(SIX), "numerator": [float(a) for a in SIX_SPEND.values()],
                                             "denominator": [float(n) for n in SIX.values()]}))
    for e in expected.to_dicts():
        got = rows[("m", e["unit_id"])]
        assert got["z_score"] == pytest.approx(e["z"], rel=1e-9, abs=1e-9)
        assert float(got["peer_rate"]) == pytest.approx(e["centre"], abs=5e-5)
        assert float(got["upper_95"]) == pytest.approx(e["upper_95"], abs=5e-5)
        assert float(got["lower_998"]) == pytest.approx(e["lower_998"], abs=5e-5)
        assert got["between_unit_sd"] == pytest.approx(e["tau"], rel=1e-9, abs=1e-12)
        assert (got["decile"], got["rate_rank"], got["flag"]) == (e["decile"], e["rank"], e["flag"])
    assert {k[1]: r["flag"] for k, r in rows.items() if r["flag"] != "none"} == {"e": "above_998"}
    # e never sets its own limits: its peers' rate excludes it
    assert rows[("m", "e")]["peer_rate"] == Decimal("1.0042")                      # 50,210 / 50,000
    assert rows[("m", "e")]["comparison"] == "above peers"     # neutral, whatever higher_is_better says
    assert rows[("m", "e")]["difference_vs_pooled"] == Decimal("14000.00") - rows[("m", "e")]["expected_numerator"]


def test_pounds_or_pence_give_the_same_z_scores_and_limits_scale_with_the_money(tmp_path):
    """The old Poisson funnel's variance (pooled rate / denominator) changed 100-fold with the unit of
    money; the within-unit variance (cv x centre)^2 / denominator scales with the money squared, so
    every z-score and flag is the same in pence, and every limit is 100 times the pounds one."""
    pounds = variation(tiny_warehouse([(p, "north_weald", n) for p, n in SIX.items()],
                                      [spend(p, a) for p, a in SIX_SPEND.items()]), write(tmp_path, "m", GOOD).parent)
    pence = variation(tiny_warehouse([(p, "north_weald", n) for p, n in SIX.items()],
                                     [spend(p, str(Decimal(a) * 100)) for p, a in SIX_SPEND.items()]), tmp_path)
    for key, r in pounds.items():
        p = pence[key]
        assert p["z_score"] == pytest.approx(r["z_score"], rel=1e-12)
        assert (p["flag"], p["rate_rank"], p["decile"]) == (r["flag"], r["rate_rank"], r["decile"])
        assert p["between_unit_sd"] == pytest.approx(100 * r["between_unit_sd"], rel=1e-12)
        for limit in ("lower_998", "lower_95", "upper_95", "upper_998"):
            assert float(p[limit]) == pytest.approx(100 * float(r[limit]), abs=0.006), limit


def test_limits_widen_where_the_population_is_smaller(tmp_path):
    """Two places with the same peers' rate but different populations: the smaller has the wider limits."""
    places = {"a": 10_000, "b": 10_000, "c": 10_000, "d": 10_000, "e": 10_000, "small": 1_000, "large": 100_000}
    con = tiny_warehouse([(p, "north_weald", n) for p, n in places.items()],
                         [spend(p, str(n)) for p, n in places.items()])          # every rate 1.00
    write(tmp_path, "m", GOOD)
    rows = variation(con, tmp_path)
    wide = {k[1]: float(r["upper_95"]) - float(r["lower_95"]) for k, r in rows.items()}
    assert wide["small"] > 2 * wide["a"] > 2 * wide["large"]   # within-unit variance (cv x 1)^2 / population


def test_min_peers_is_a_setting(tmp_path):
    con = tiny_warehouse([(p, "north_weald", n) for p, n in SIX.items()], [spend(p, a) for p, a in SIX_SPEND.items()])
    write(tmp_path, "m", GOOD + "min_peers: 6\n")
    rows = variation(con, tmp_path)
    assert {(r["assessed"], r["flag"]) for r in rows.values()} == {(False, "none")}
    assert rows[("m", "e")]["rate_rank"] == 1 and rows[("m", "e")]["distance_from_median"] == Decimal("0.3950")
    with pytest.raises(MeasureError, match="min_peers"):
        load_measure(write(tmp_path, "bad", GOOD + "min_peers: 1\n"))


def test_unplaced_spend_is_apportioned_by_weighted_population_within_its_system(tmp_path):
    con = tiny_warehouse([("a", "north_weald", 1000), ("b", "north_weald", 3000), ("c", "south_fen", 2000)],
                         [spend("a", "10.00"), spend("b", "30.00"), spend("c", "40.00"),
                          spend("@north_weald", "100.00"), spend("@south_fen", "7.00")])
    write(tmp_path, "m", GOOD)
    rows = variation(con, tmp_path)
    assert {k[1]: (r["numerator"], r["apportioned_numerator"], r["total_numerator"]) for k, r in rows.items()} == {
        "a": (Decimal("10.00"), Decimal("25.00"), Decimal("35.00")),      # 100 x 1,000 / 4,000
        "b": (Decimal("30.00"), Decimal("75.00"), Decimal("105.00")),
        "c": (Decimal("40.00"), Decimal("7.00"), Decimal("47.00"))}
    assert rows[("m", "a")]["rate"] == Decimal("0.0100") and rows[("m", "a")]["total_rate"] == Decimal("0.0350")
    assert {r["coverage_pct"] for r in rows.values()} == {Decimal("42.8")}      # 80 of 187 placed


def test_the_between_unit_variance_reproduces_a_published_example(tmp_path):
    """DerSimonian R, Kacker R (2007). Random-effects model for meta-analysis of clinical trials: an
    update. Contemporary Clinical Trials 28:105-114, Tables 3 and 4 (pp. 111-112): the CLASP trials
    (aspirin in pregnancy, six trials, log odds ratios), DerSimonian-Laird tau = 0.2323 (the
    metafor package's test of the same example, tests/testthat/test_analysis_example_dersimonian2007.r,
    checks the same figure). Each trial becomes a peer whose rate is its log odds ratio + 2 (DL's tau
    does not move with a shift; rates must be positive) and whose denominator makes the template's
    within-unit variance (cv x centre)^2 / denominator equal the trial's variance; a seventh unit
    is compared with them, so its between_unit_sd is the DL tau of the six."""
    n1 = [156, 303, 565, 1570, 103, 4659]
    n2 = [74, 303, 477, 1565, 105, 4650]
    a = [5, 5, 12, 69, 9, 313]
    c = [8, 17, 9, 94, 11, 352]
    y = [math.log(ai * (m2 - ci) / (ci * (m1 - ai))) for ai, ci, m1, m2 in zip(a, c, n1, n2)]
    v = [1 / ai + 1 / (m1 - ai) + 1 / ci + 1 / (m2 - ci) for ai, ci, m1, m2 in zip(a, c, n1, n2)]
    assert round(math.sqrt(dersimonian_laird(y, v)), 4) == 0.2323          # the reference, by itself
    shifted = [yi + 2 for yi in y]
    centre = sum(yi / vi for yi, vi in zip(shifted, v)) / sum(1 / vi for vi in v)
    cv = 1000.0
    denominators = [(cv * centre) ** 2 / vi for vi in v]
    places = [(f"t{i}", "north_weald", Decimal(f"{d:.2f}")) for i, d in enumerate(denominators)]
    lines = [spend(f"t{i}", f"{d * yi:.2f}") for i, (d, yi) in enumerate(zip(denominators, shifted))]
    con = tiny_warehouse(places + [("x", "north_weald", Decimal("1000000.00"))], lines + [spend("x", "1.00")])
    write(tmp_path, "clasp", GOOD + f"within_unit_cv: {cv}\n")
    rows = variation(con, tmp_path)
    assert round(rows[("clasp", "x")]["between_unit_sd"], 4) == 0.2323
    assert float(rows[("clasp", "x")]["peer_rate"]) == pytest.approx(centre, abs=5e-5)


def test_grouping_by_ics_sums_the_places(tmp_path):
    con = tiny_warehouse([("a", "north_weald", 1000), ("b", "north_weald", 3000), ("c", "south_fen", 2000)],
                         [spend("a", "10.00"), spend("b", "30.00"), spend("c", "40.00")])
    write(tmp_path, "by_system", GOOD + "grouping: ics\n")
    rows = variation(con, tmp_path)
    assert {k[1]: (r["numerator"], r["denominator"]) for k, r in rows.items()} == {
        "north_weald": (Decimal("40.00"), Decimal("4000.00")), "south_fen": (Decimal("40.00"), Decimal("2000.00"))}


def test_a_removed_measure_leaves_no_rows_behind(tmp_path):
    con = tiny_warehouse([("a", "north_weald", 1000)], [spend("a", "10.00")])
    write(tmp_path, "first", GOOD)
    second = write(tmp_path, "second", GOOD)
    variation(con, tmp_path)
    second.unlink()
    assert {k[0] for k in variation(con, tmp_path)} == {"first"}


def test_a_provider_measure_naming_a_line_the_cost_return_lacks_is_refused(tmp_path):
    con = tiny_warehouse([("ashby", "north_weald", 1000)], [])
    con.execute("INSERT INTO ref_alliance_providers VALUES ('a', 'A', 't1', 'Trust one', 'north_weald', false)")
    con.execute("INSERT INTO ref_alliance_finance VALUES ('2025-04', 't1', 'inpatient_acute', 'inpatient', 10.00)")
    write(tmp_path, "provider_bed_cost", """title: Cost per occupied bed day
description: Inpatient spend per occupied bed day.
numerator:
  source: provider_finance
  service_lines: [inpatient_acutee]
denominator: occupied_bed_days
grouping: provider
higher_is_better: false
""")
    with pytest.raises(MeasureError, match="numerator.service_lines.0: 'inpatient_acutee' is not a service line of "
                                           "the trusts' cost return"):
        build_variation(con, tmp_path)
