"""Rebalancing scenarios: overlays run through the same SQL as the actual position. A move conserves
money to the penny and shifts exactly the figures it should; a hand-back moves only the plan; funding
like services alike moves the ICB's spend and MHIS but not the open book's net spend."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import polars as pl
import pytest
from workbench_helpers import identical, table_diff

from workbench.flags import attach_read_only
from workbench.scenarios import (Scenario, ScenarioError, compare, model_graph, models_to_rerun, overlay_lines,
                                 rerun_models, run_scenario, split_evenly, split_pro_rata)
from warehouse.settings import Paths
from warehouse.sql_files import run_sql

MOVE = {"description": "Move £100,000 of community framework money into Carrow's crisis house",
        "changes": [{"move": {"amount": "100000.00", "from_scheme": "NW-S01", "to_service_line": "crisis_house",
                              "to_place": "carrow", "from_period": "2026-03", "until_period": "2026-03"}}]}
UNCHANGED = ("rpt_mhis", "rpt_eliminations", "rpt_contracts", "rpt_funding_consistency", "rpt_lead_provider",
             "rpt_lead_provider_subcontractors", "rpt_contract_mix")


def scenario(body: dict) -> Scenario:
    return Scenario.model_validate(body)


@pytest.fixture(scope="module")
def carrow(demo_home):
    run = run_scenario(Paths(demo_home).warehouse, "carrow-crisis", scenario(MOVE))
    yield run
    run.close()


def test_the_move_books_two_tagged_lines_that_cancel(carrow):
    lines = overlay_lines(carrow)
    assert [(l["partner_id"], l["scheme_id"], l["service_line"], l["place_id"], l["amount"]) for l in lines] == [
        ("nw_icb", "NW-S01", "adult_community", None, Decimal("-100000.00")),
        ("nw_icb", None, "crisis_house", "carrow", Decimal("100000.00"))]
    assert sum(l["amount"] for l in lines) == Decimal("0.00")
    tags = carrow.con.execute("SELECT DISTINCT load_id FROM fct_ledger WHERE load_id LIKE 'scenario:%'").fetchall()
    assert tags == [("scenario:carrow-crisis",)]
    base_lines = carrow.con.execute("SELECT count(*) FROM base.main.fct_ledger").fetchone()[0]
    assert carrow.con.execute("SELECT count(*) FROM fct_ledger").fetchone()[0] == base_lines + 2


def test_the_move_changes_the_schemes_actual_by_exactly_the_amount(carrow):
    diff = table_diff(carrow.con, "rpt_plan_vs_actual", ("scheme_id", "period"), "actual")
    assert [(r[0], r[1], r[3] - r[2]) for r in diff] == [("NW-S01", "2026-03", Decimal("-100000.00"))]
    ytd = table_diff(carrow.con, "rpt_plan_vs_actual", ("scheme_id", "period"), "actual_ytd")
    assert [(r[0], r[1], r[3] - r[2]) for r in ytd] == [("NW-S01", "2026-03", Decimal("-100000.00"))]
    position = table_diff(carrow.con, "rpt_system_position", ("ics_id", "fy"), "net_forecast_underspend")
    assert [(r[0], r[1], r[3] - r[2]) for r in position] == [("north_weald", "2025-26", Decimal("100000.00"))]


def test_the_move_adds_exactly_the_amount_to_carrow_crisis_and_nothing_to_the_total(carrow):
    keys = ("ics_id", "place_id", "partner_id", "service_line", "funding_stream", "period")
    diff = table_diff(carrow.con, "rpt_open_book", keys, "net_spend")
    assert [(r[1], r[3], r[5], r[7] - r[6]) for r in diff] == [
        ("carrow", "crisis_house", "2026-03", Decimal("100000.00")),
        (None, "adult_community", "2026-03", Decimal("-100000.00"))]
    (actual, moved) = carrow.con.execute(
        "SELECT (SELECT sum(net_spend) FROM base.main.rpt_open_book), (SELECT sum(net_spend) FROM rpt_open_book)"
    ).fetchone()
    assert moved - actual == Decimal("0.00")
    numerators = table_diff(carrow.con, "rpt_variation", ("measure_id", "unit_id", "fy"), "numerator")
    assert [(r[0], r[1], r[2], r[4] - r[3]) for r in numerators] == [
        ("crisis_spend_per_head", "carrow", "2025-26", Decimal("100000.00")),
        ("mh_spend_per_head", "carrow", "2025-26", Decimal("100000.00"))]


def test_the_move_changes_nothing_else(carrow):
    for table in UNCHANGED:
        assert identical(carrow.con, table), f"{table} changed"
    sector = table_diff(carrow.con, "rpt_sector_share", ("geography_level", "ics_id", "place_id", "period", "sector"),
                        "net_spend")
    assert [(r[0], r[2], r[3], r[4], r[6] - r[5]) for r in sector] == [
        ("place", "carrow", "2026-03", "nhs", Decimal("100000.00"))]
    other_years = carrow.con.execute(
        "SELECT count(*) FROM (SELECT * FROM base.main.rpt_plan_vs_actual WHERE fy = '2024-25' "
        "EXCEPT ALL SELECT * FROM rpt_plan_vs_actual WHERE fy = '2024-25')").fetchone()[0]
    assert other_years == 0


def test_the_comparison_puts_scenario_beside_actual(carrow):
    fy, as_at, blocks = compare(carrow)
    assert (fy, as_at) == ("2025-26", "2026-03")
    by_key = {b.block.key: b for b in blocks}
    assert set(by_key) == {"break_even", "schemes", "mhis", "variation", "sector_share", "mh_spend", "flags"}
    underspend = next(f for f in by_key["break_even"].figures
                      if f.subject == "North Weald ICS" and f.label == "net forecast underspend")
    assert underspend.change == Decimal("100000.00")
    assert [f.subject for f in by_key["schemes"].figures][0] == "Community mental health framework roll-out"
    assert by_key["schemes"].unchanged_subjects == 9
    assert {f.subject for f in by_key["variation"].figures} == {
        "Carrow: Crisis spend per weighted head", "Carrow: Mental-health spend per weighted head"}
    assert all(f.change in (None, 0) for f in by_key["mhis"].figures)
    total = next(f for f in by_key["mh_spend"].figures if f.subject == "All systems" and f.label == "net spend")
    assert total.change == Decimal("0.00")


def test_an_empty_overlay_reproduces_the_actual_position_exactly(warehouse):
    """The scenario database runs the project's own SQL: with nothing overlaid, every model it
    re-runs comes out row for row the warehouse's."""
    con = attach_read_only(warehouse)
    run_sql(con, "reports/scenario_overlay")
    run_sql(con, "reports/scenario_apply", {"scenario": "nothing", "source_file": "none"})
    rerun = rerun_models(con)
    checked = [name for name in rerun if name.startswith(("rpt_", "fct_")) and name != "rpt_flags"]
    assert {"rpt_system_position", "rpt_mhis", "rpt_variation", "rpt_sector_share", "rpt_open_book"} <= set(checked)
    for name in checked:
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'base' AND table_name = $t",
                       {"t": name}).fetchone()[0]:
            assert identical(con, name), f"{name} differs with an empty overlay"


def test_models_are_rerun_after_what_they_read():
    graph = model_graph()
    order = models_to_rerun(graph)
    assert {"fct_mh_ledger", "rpt_plan_vs_actual", "rpt_system_position", "rpt_mhis", "rpt_variation",
            "rpt_sector_share", "rpt_open_book", "rpt_flags"} <= set(order)
    assert not {"dim_partner", "dim_place", "dq_load_status", "fct_ledger"} & set(order)
    for position, name in enumerate(order):
        assert not graph[name][1] & set(order[position + 1:]), f"{name} runs before something it reads"


def test_moving_an_awkward_amount_over_months_conserves_every_penny(warehouse):
    body = {"description": "odd pence", "changes": [{"move": {
        "amount": "1000.01", "from_scheme": "SF-S03", "to_scheme": "SF-S01", "from_period": "2026-01"}}]}
    run = run_scenario(warehouse, "odd-pence", scenario(body))
    try:
        lines = overlay_lines(run)
        assert sorted({l["period"] for l in lines}) == ["2026-01", "2026-02", "2026-03"]
        out = sorted(l["amount"] for l in lines if l["scheme_id"] == "SF-S03")
        assert out == [Decimal("-333.35"), Decimal("-333.33"), Decimal("-333.33")]
        assert sum(l["amount"] for l in lines) == 0
        diff = table_diff(run.con, "rpt_plan_vs_actual", ("scheme_id", "period"), "actual")
        moved = {(r[0]): sum(d[3] - d[2] for d in diff if d[0] == r[0]) for r in diff}
        assert moved == {"SF-S01": Decimal("1000.01"), "SF-S03": Decimal("-1000.01")}
        # SDF (outside the MHIS) moved into a recurrent scheme: the MHIS spend rises by exactly the amount
        mhis = table_diff(run.con, "rpt_mhis", ("icb_id", "fy"), "mhis_spend")
        assert [(r[0], r[1], r[3] - r[2]) for r in mhis] == [("sf_icb", "2025-26", Decimal("1000.01"))]
    finally:
        run.close()


def test_hand_back_moves_the_plan_not_the_ledger(warehouse, demo_db):
    body = {"description": "hand back SF-S01's slippage", "changes": [{"hand_back": {
        "amount": "500000.00", "scheme": "SF-S01", "from_period": "2025-10"}}]}
    run = run_scenario(warehouse, "hand-back", scenario(body))
    try:
        assert overlay_lines(run) == []
        plan = pl.DataFrame(demo_db.execute(
            "SELECT period, planned_amount FROM ref_investment_plans WHERE scheme_id = 'SF-S01' "
            "AND period BETWEEN '2025-10' AND '2026-03' ORDER BY period").fetchall(),
            schema=["period", "planned"], orient="row")
        changes = run.con.execute("SELECT period, planned_amount FROM scenario_plan_changes ORDER BY period").fetchall()
        assert [c[0] for c in changes] == plan["period"].to_list()
        assert sum(c[1] for c in changes) == Decimal("-500000.00")
        for (_, change), planned in zip(changes, plan["planned"].to_list()):   # pro rata to the plan
            assert abs(-change - Decimal("500000.00") * planned / sum(plan["planned"].to_list())) < Decimal("0.02")
        fy_plan = table_diff(run.con, "rpt_system_position", ("ics_id", "fy"), "fy_plan")
        assert [(r[0], r[1], r[3] - r[2]) for r in fy_plan] == [("south_fen", "2025-26", Decimal("-500000.00"))]
        underspend = table_diff(run.con, "rpt_system_position", ("ics_id", "fy"), "net_forecast_underspend")
        assert [(r[0], r[3] - r[2]) for r in underspend] == [("south_fen", Decimal("-500000.00"))]
        for table in ("rpt_mhis", "rpt_open_book", "rpt_variation", "rpt_sector_share"):
            assert identical(run.con, table), table
        assert not table_diff(run.con, "rpt_plan_vs_actual", ("scheme_id", "period"), "actual")
    finally:
        run.close()


def test_funding_crisis_houses_alike_moves_icb_spend_and_mhis_not_net_spend(warehouse, demo_db, truth):
    price = Decimal("95000.00")
    body = {"description": "all crisis houses on one recurrent block", "changes": [{"fund_like_services": {
        "service_line": "crisis_house", "capacity_unit": "beds", "annual_price_per_unit": str(price),
        "funding_stream": "recurrent", "from_period": "2025-04"}}]}
    run = run_scenario(warehouse, "crisis-houses", scenario(body))
    try:
        assert "(NW-HAV-ASH, SF-HAV-DUN, SF-HAV-FEN)" in run.applied[0].text
        houses = truth["facts"]["crisis_house_funding"]["houses"]
        months = 12
        # independently: each house's ICB payments in 2025-26 (ledger) and the new block
        paid = pl.DataFrame(demo_db.execute(
            "SELECT partner_id, place_id, funding_stream, sum(amount) FROM fct_ledger WHERE fy = '2025-26' "
            "AND counterparty_partner_id = 'haven' AND line_type = 'expenditure' AND service_line = 'crisis_house' "
            "GROUP BY ALL").fetchall(), schema=["icb", "place", "stream", "paid"], orient="row")
        new_block = {h["house"]: (price * h["capacity_beds"] / 12).quantize(Decimal("0.01"), ROUND_HALF_UP) * months
                     for h in houses}
        spend = table_diff(run.con, "rpt_mhis", ("icb_id", "fy"), "mhis_spend")
        expected = {}
        for h in houses:
            old = paid.filter((pl.col("place") == h["house"]))
            old_in_mhis = sum(old.filter(pl.col("stream").is_in(["recurrent", "s75_pooled"]))["paid"].to_list(),
                              Decimal(0))
            expected[h["commissioner_id"]] = expected.get(h["commissioner_id"], Decimal(0)) \
                + new_block[h["house"]] - old_in_mhis
        assert {(r[0], r[1]): r[3] - r[2] for r in spend} == {(icb, "2025-26"): d for icb, d in expected.items()}
        # Haven books the same change as income: both sides move together and still agree
        assert not table_diff(run.con, "rpt_eliminations", ("payer_id", "payee_id", "period"), "difference")
        moved = table_diff(run.con, "rpt_eliminations", ("payer_id", "payee_id", "period"), "payer_amount")
        assert {(r[0], r[1]) for r in moved} == {("nw_icb", "haven"), ("sf_icb", "haven")} and len(moved) == 24
        # the ICBs' payments to Haven are eliminated, so consolidated net spend does not move
        (net_a, net_s) = run.con.execute("SELECT (SELECT sum(net_spend) FROM base.main.rpt_open_book), "
                                         "(SELECT sum(net_spend) FROM rpt_open_book)").fetchone()
        assert net_a == net_s
        flags = {r[0] for r in run.con.execute("SELECT flag_id FROM rpt_flags").fetchall()}
        actual_flags = {r[0] for r in run.con.execute("SELECT flag_id FROM scenario_actual_flags").fetchall()}
        assert "FUND-SF-HAV-FEN" in actual_flags and "FUND-SF-HAV-FEN" in flags   # the contract itself is unchanged
    finally:
        run.close()


BAD = [
    ({"description": "x", "changes": [{"move": {"amount": "-5", "from_scheme": "NW-S01", "to_scheme": "NW-S04",
                                                "from_period": "2026-01"}}]}, "changes.0.move.amount"),
    ({"description": "x", "changes": [{"move": {"amount": "5.001", "from_scheme": "NW-S01", "to_scheme": "NW-S04",
                                                "from_period": "2026-01"}}]}, "at most two decimal places"),
    ({"description": "x", "changes": [{"move": {"amount": "5", "from_scheme": "NW-S01", "to_scheme": "NW-S04",
                                                "to_service_line": "camhs", "from_period": "2026-01"}}]},
     "either to_service_line"),
    ({"description": "x", "changes": [{"move": {"amount": "5", "form_scheme": "NW-S01", "to_scheme": "NW-S04",
                                                "from_period": "2026-01"}}]},
     "changes.0.move.form_scheme: unknown key"),
    ({"description": "x", "changes": [{"move": {"amount": "5", "from_scheme": "NW-S01", "to_scheme": "NW-S04",
                                                "from_period": "2026-1"}}]}, "is not a month"),
    ({"description": "x", "changes": [{"move": {}, "hand_back": {}}]}, "changes.0"),
    ({"description": "x", "changes": []}, "at least one change"),
    ({"changes": [{"hand_back": {"amount": 1, "scheme": "SF-S01", "from_period": "2025-10"}}]}, "description"),
]


@pytest.mark.parametrize("body, message", BAD)
def test_a_bad_scenario_is_an_error_naming_the_key(tmp_path, body, message):
    import yaml

    from workbench.scenarios import load_scenario

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert str(error.value).startswith(str(path)) and message in str(error.value), str(error.value)


WRONG_FOR_THE_DATA = [
    ({"move": {"amount": "5", "from_scheme": "NW-S99", "to_scheme": "NW-S04", "from_period": "2026-01"}},
     "unknown scheme 'NW-S99'"),
    ({"move": {"amount": "5", "from_scheme": "NW-S01", "to_scheme": "SF-S01", "from_period": "2026-01"}},
     "unknown scheme of nw_icb 'SF-S01'"),
    ({"move": {"amount": "5", "from_scheme": "NW-S01", "to_service_line": "crisis_house", "to_place": "dunmere",
               "from_period": "2026-01"}}, "unknown place in nw_icb's system 'dunmere'"),
    ({"move": {"amount": "5", "from_scheme": "NW-S01", "to_service_line": "crisis", "from_period": "2026-01"}},
     "unknown service line 'crisis'"),
    ({"move": {"amount": "5", "from_scheme": "NW-S01", "to_scheme": "NW-S04", "from_period": "2026-04"}},
     "no month reported from 2026-04 to 2027-03 (the data run to 2026-03)"),
    ({"hand_back": {"amount": "99000000", "scheme": "SF-S01", "from_period": "2025-10"}}, "is more than the"),
    ({"fund_like_services": {"service_line": "crisis_house", "capacity_unit": "rooms", "annual_price_per_unit": 1,
                             "from_period": "2025-04"}}, "unknown capacity unit"),
]


@pytest.mark.parametrize("change, message", WRONG_FOR_THE_DATA)
def test_a_change_that_does_not_fit_the_data_fails_clearly(warehouse, change, message):
    with pytest.raises(ScenarioError) as error:
        run_scenario(warehouse, "wrong", scenario({"description": "x", "changes": [change]}))
    assert message in str(error.value) and "changes.0." in str(error.value), str(error.value)


def test_splits_add_up_to_the_penny():
    assert split_evenly(Decimal("100.00"), 3) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sum(split_evenly(Decimal("0.05"), 7)) == Decimal("0.05")
    shares = split_pro_rata(Decimal("1000.00"), [Decimal("1"), Decimal("2"), Decimal("3")])
    assert shares == [Decimal("166.66"), Decimal("333.33"), Decimal("500.01")] and sum(shares) == Decimal("1000.00")


def test_scenario_commands(workbench, wb_home, tmp_path):
    import openpyxl
    import yaml

    folder = wb_home / "config" / "scenarios"
    folder.mkdir(parents=True)
    (folder / "carrow-crisis.yaml").write_text(yaml.safe_dump(MOVE, sort_keys=False), encoding="utf-8")
    (folder / "typo.yaml").write_text("description: x\nchanges:\n  - mvoe: {}\n", encoding="utf-8")
    code, out, _ = workbench("scenario", "list")
    assert code == 0 and "carrow-crisis" in out and "typo" in out and "INVALID" in out
    workbook = tmp_path / "carrow.xlsx"
    code, out, err = workbench("scenario", "compare", "carrow-crisis", "--xlsx", str(workbook), "--lines")
    assert code == 0, err
    assert "Break-even" in out and "Mental Health Investment Standard" in out and "Sector share" in out
    assert "-100,000.00" in out and "+100,000.00" in out
    assert "scenario:carrow-crisis" in out
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames[:3] == ["Scenario", "Break Even", "Schemes"]
    row = next(r for r in book["Break Even"].iter_rows(min_row=4, values_only=True)
               if r[1] == "net forecast underspend" and r[4])
    assert row[4] == 100000.0
    code, _, err = workbench("scenario", "compare", "typo")
    assert code == 2 and err.startswith("openbook scenario: ") and "changes.0.mvoe: unknown key" in err
    assert err.count("\n") == 1
    code, _, err = workbench("scenario", "compare", "nope")
    assert code == 2 and "no scenario 'nope'" in err and "carrow-crisis" in err
