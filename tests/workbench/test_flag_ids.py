"""rpt_flags on the demo: every planted finding is raised with the id its kind and keys give, and the
ids survive a re-run, a resubmission (new load ids, moved rows) and later months."""
from __future__ import annotations

import re
from decimal import Decimal

import polars as pl
from workbench_helpers import build_flags, flag_rows, restated

from workbench.flags import FLAG_ID


def test_every_planted_finding_is_a_flag_with_its_stable_id(warehouse, truth):
    facts = truth["facts"]
    flags = flag_rows(build_flags(warehouse))
    fenwick = next(h for h in facts["crisis_house_funding"]["houses"]
                   if h["house"] == facts["crisis_house_funding"]["non_recurrent_house"])
    mismatch, overrun, mhis = facts["elimination_mismatch"], facts["contract_overrun"], facts["mhis"]
    slipping = facts["slipping_scheme"]
    expected = {
        f"VAR-mh_spend_per_head-{facts['outlier_place']['place_id']}": ("variation_outlier", None),
        f"FUND-{fenwick['contract_id']}": ("funding_inconsistency", Decimal(fenwick["annual_value"])),
        f"SLIP-{slipping['scheme_id']}-{slipping['fy']}": ("slippage", None),
        f"MHIS-{mhis['failing_icb']}-{mhis['fy']}": ("mhis_risk", Decimal(mhis[mhis["failing_icb"]]["shortfall"])),
        f"ELIM-{mismatch['payer_id']}-{mismatch['payee_id']}-{mismatch['period']}":
            ("reconciliation_break", Decimal(mismatch["difference"])),
        f"OVER-{overrun['contract_id']}-{overrun['fy']}": ("contract_overrun", Decimal(overrun["overrun"])),
    }
    for flag_id, (kind, amount) in expected.items():
        assert flag_id in flags, f"{flag_id} not raised; raised: {sorted(flags)}"
        assert flags[flag_id]["kind"] == kind
        if amount is not None:
            assert flags[flag_id]["amount"] == amount, flag_id
    # the meeting ICB is not flagged, and the slipping scheme's slippage is plan less actual to date
    assert not any(f.startswith(f"MHIS-{mhis['meeting_icb']}") for f in flags)
    slip = flags[f"SLIP-{slipping['scheme_id']}-{slipping['fy']}"]
    assert slip["first_seen_period"] <= slipping["as_at"] and slip["amount"] > 0


def test_flag_ids_are_unique_well_formed_and_carry_no_load_ids(warehouse, demo_db):
    con = build_flags(warehouse)
    ids = [r[0] for r in con.execute("SELECT flag_id FROM rpt_flags").fetchall()]
    assert ids and len(ids) == len(set(ids))
    assert all(FLAG_ID.match(i) for i in ids), ids
    load_ids = [r[0] for r in demo_db.execute("SELECT load_id FROM load_log").fetchall()]
    keys = " ".join(ids + [r[0] for r in con.execute("SELECT source_keys FROM rpt_flags").fetchall()])
    assert not [load for load in load_ids if load in keys]
    summaries = con.execute("SELECT count(*) FROM rpt_flags WHERE summary IS NULL OR subject IS NULL "
                            "OR first_seen_period IS NULL OR last_seen_period < first_seen_period").fetchone()[0]
    assert summaries == 0


def test_variation_flags_are_exactly_the_flagged_units(warehouse, demo_db):
    """Recomputed from rpt_variation in polars: one VAR flag per flagged measure and unit, first seen
    in the first year flagged, amount the latest year's difference from the pooled rate."""
    variation = pl.DataFrame(demo_db.execute(
        "SELECT measure_id, unit_id, fy, flag, difference_vs_pooled FROM rpt_variation").fetchall(),
        schema=["measure_id", "unit_id", "fy", "flag", "difference"], orient="row")
    flagged = variation.filter(pl.col("flag") != "none")
    expected = (flagged.sort("fy").group_by(["measure_id", "unit_id"])
                .agg(pl.col("fy").first().alias("first_fy"), pl.col("difference").last().alias("amount"))
                .with_columns(flag_id=pl.lit("VAR-") + pl.col("measure_id") + pl.lit("-") + pl.col("unit_id")))
    flags = {k: v for k, v in flag_rows(build_flags(warehouse)).items() if k.startswith("VAR-")}
    assert set(flags) == set(expected["flag_id"])
    for row in expected.iter_rows(named=True):
        assert flags[row["flag_id"]]["first_seen_fy"] == row["first_fy"]
        assert flags[row["flag_id"]]["amount"] == row["amount"]


def test_flags_are_identical_when_rebuilt(warehouse):
    first = flag_rows(build_flags(warehouse))
    second = flag_rows(build_flags(warehouse))
    assert first == second and first


def test_flag_ids_survive_a_resubmission(warehouse):
    """wfmh resubmits 2025-11: every line gets a new load id and moves down a row, and one line is
    corrected by £10; every flag keeps its id and amount. A second resubmission books the £125,000
    wfmh had missed: the reconciliation break goes, every other flag keeps its id."""
    actual = flag_rows(build_flags(warehouse))
    resubmitted = """
        SELECT * REPLACE (
            CASE WHEN partner_id = 'wfmh' AND period = '2025-11' THEN 'wfmh.2025-11.v2.resubmitted' ELSE load_id END
                AS load_id,
            CASE WHEN partner_id = 'wfmh' AND period = '2025-11' THEN source_row + 1 ELSE source_row END AS source_row,
            CASE WHEN partner_id = 'wfmh' AND period = '2025-11' AND line_type = 'expenditure'
                      AND source_row = (SELECT min(source_row) FROM base.main.fct_ledger
                                        WHERE partner_id = 'wfmh' AND period = '2025-11' AND line_type = 'expenditure')
                 THEN amount + 10 ELSE amount END AS amount)
        FROM base.main.fct_ledger"""
    again = flag_rows(restated(warehouse, resubmitted))
    assert set(again) == set(actual)
    for flag_id, row in actual.items():
        if not flag_id.startswith("VAR-"):      # a £10 correction moves only the per-head variation amounts
            assert again[flag_id]["amount"] == row["amount"], flag_id
        assert again[flag_id]["first_seen_period"] == row["first_seen_period"], flag_id
    corrected = resubmitted + """
        UNION ALL BY NAME
        SELECT * REPLACE ('wfmh.2025-11.v2.resubmitted' AS load_id, 999999 AS source_row, -125000.00 AS amount,
                          'correction' AS description)
        FROM base.main.fct_ledger
        WHERE partner_id = 'wfmh' AND period = '2025-11' AND line_type = 'income' AND counterparty_partner_id = 'nw_icb'
        QUALIFY row_number() OVER (ORDER BY source_row) = 1"""
    fixed = flag_rows(restated(warehouse, corrected))
    assert "ELIM-nw_icb-wfmh-2025-11" in actual and "ELIM-nw_icb-wfmh-2025-11" not in fixed
    assert set(fixed) == set(actual) - {"ELIM-nw_icb-wfmh-2025-11"}


def test_flag_ids_survive_later_months(warehouse):
    """The register as at 2025-12 (data to December) and as at 2026-03: a flag raised in December
    keeps its id in March, and its first-seen month does not move for monthly findings."""
    december = flag_rows(restated(warehouse, "SELECT * FROM base.main.fct_ledger WHERE period <= '2025-12'"))
    march = flag_rows(build_flags(warehouse))
    assert {"VAR-mh_spend_per_head-carrow", "SLIP-SF-S01-2025-26", "ELIM-nw_icb-wfmh-2025-11",
            "MHIS-sf_icb-2025-26"} <= set(december)
    assert "OVER-NW-PL-2025-26" not in december           # the over-run payments come in 2025-12 and 2026-01
    lost = set(december) - set(march)
    assert not lost, f"flags of December lost their ids by March: {lost}"
    for flag_id in ("SLIP-SF-S01-2025-26", "ELIM-nw_icb-wfmh-2025-11", "VAR-mh_spend_per_head-carrow"):
        assert december[flag_id]["first_seen_period"] == march[flag_id]["first_seen_period"], flag_id
    assert december["MHIS-sf_icb-2025-26"]["last_seen_period"] == "2025-12"
    assert march["MHIS-sf_icb-2025-26"]["last_seen_period"] == "2026-03"
    assert re.search(r"forecast not to meet", december["MHIS-sf_icb-2025-26"]["summary"])
