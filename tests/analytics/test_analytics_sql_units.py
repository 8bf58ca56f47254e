"""The open-book marts and the agreement-of-balances report on tiny hand-made ledgers, and
the report settings file (no demo system needed)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from warehouse.report_settings import SETTINGS, report_params
from warehouse.sql_files import run_sql

PARTNERS = [("nw_icb", "icb", "north_weald", True), ("sf_icb", "icb", "south_fen", True),
            ("wfmh", "nhs_trust", "north_weald", True), ("haven", "vcse", None, True),
            ("oakridge", "independent", "south_fen", False)]
PLACES = [("ashby", "north_weald", "North Weald ICS"), ("fenwick", "south_fen", "South Fen ICS")]
SERVICE_LINES = [("crisis_house", True, True), ("adult_community", True, True), ("corporate", False, False)]


def build(con, lines: list[dict], params: dict | None = None) -> None:
    """Reference tables, passed submissions holding `lines`, then the marts and the report."""
    con.execute("CREATE TABLE ref_partners (partner_id VARCHAR, name VARCHAR, kind VARCHAR, ics_id VARCHAR, submits BOOLEAN)")
    con.executemany("INSERT INTO ref_partners VALUES (?, ?, ?, ?, ?)",
                    [(p, p.upper(), kind, ics, submits) for p, kind, ics, submits in PARTNERS])
    con.execute("CREATE TABLE ref_places (place_id VARCHAR, place_name VARCHAR, ics_id VARCHAR, ics_name VARCHAR)")
    con.executemany("INSERT INTO ref_places VALUES (?, ?, ?, ?)", [(p, p.title(), i, n) for p, i, n in PLACES])
    con.execute("""CREATE TABLE ref_service_lines (service_line VARCHAR, name VARCHAR, mhis_category VARCHAR,
                   in_mhis BOOLEAN, exclusion_reason VARCHAR, mental_health BOOLEAN)""")
    con.executemany("INSERT INTO ref_service_lines VALUES (?, ?, '', ?, '', ?)",
                    [(s, s.title(), in_mhis, mh) for s, in_mhis, mh in SERVICE_LINES])
    for row, line in enumerate(lines, start=1):
        line = {"counterparty": None, "place_id": None, "funding_stream": "recurrent", "period": "2025-04", **line}
        con.execute("""INSERT INTO stg_ledger (load_id, partner_id, period, source_file, source_row, cost_centre,
                       counterparty_partner_id, amount, funding_stream, service_line, place_id, line_type)
                       VALUES ($load, $partner, $period, 'f.csv', $row, 'CC', $counterparty, $amount, $stream,
                               $service_line, $place, $line_type)""",
                    {"load": f"{line['partner']}.{line['period']}", "partner": line["partner"], "period": line["period"],
                     "row": row, "counterparty": line["counterparty"], "amount": Decimal(line["amount"]),
                     "stream": line["funding_stream"], "service_line": line["service_line"], "place": line["place_id"],
                     "line_type": line["line_type"]})
    con.execute("""CREATE TABLE dq_load_status AS SELECT DISTINCT load_id, partner_id, period, source_file,
                   'passed' AS status FROM stg_ledger""")
    for model in ("dim_partner", "dim_service_line", "fct_ledger", "fct_mh_ledger", "fct_inter_partner"):
        run_sql(con, f"marts/{model}")
    run_sql(con, "reports/rpt_eliminations", params or report_params())


def spend(partner, amount, service_line="crisis_house", **kw):
    return {"partner": partner, "amount": amount, "service_line": service_line, "line_type": "expenditure", **kw}


def income(partner, amount, service_line="crisis_house", **kw):
    return {"partner": partner, "amount": amount, "service_line": service_line, "line_type": "income", **kw}


def test_haven_lines_without_a_place_take_the_funders_system_or_the_both_systems_bucket(con):
    build(con, [
        spend("haven", "100.00", place_id="fenwick"),
        income("haven", "-90.00", counterparty="nw_icb"),
        spend("haven", "7.00", service_line="adult_community"),
        spend("haven", "5.00", service_line="corporate"),
    ])
    rows = con.execute("SELECT amount, ics_id, ics_name, ics_attribution FROM fct_mh_ledger ORDER BY amount").fetchall()
    assert rows == [(Decimal("-90.00"), "north_weald", "North Weald ICS", "counterparty"),
                    (Decimal("7.00"), "both_systems", "Both systems", "both_systems"),
                    (Decimal("100.00"), "south_fen", "South Fen ICS", "place")]  # corporate is not mental health


def test_payments_to_submitting_partners_are_eliminated_and_others_keep_the_payees_sector(con):
    build(con, [
        spend("nw_icb", "1000.00", counterparty="wfmh"),
        spend("nw_icb", "300.00", counterparty="oakridge"),
        spend("nw_icb", "40.00"),
        spend("wfmh", "600.00", place_id="ashby"),
        income("wfmh", "-1000.00", counterparty="nw_icb"),
    ])
    rows = {r[0]: r[1:] for r in con.execute("""
        SELECT amount, is_eliminated, gross_spend, eliminated_spend, net_spend, sector, sector_basis
        FROM fct_mh_ledger""").fetchall()}
    assert rows[Decimal("1000.00")] == (True, Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00"), "nhs",
                                        "paid_to_partner")
    assert rows[Decimal("300.00")] == (False, Decimal("300.00"), Decimal("0.00"), Decimal("300.00"), "independent",
                                       "paid_to_partner")
    assert rows[Decimal("40.00")][4:] == ("nhs", "own_ledger")
    assert rows[Decimal("-1000.00")][:4] == (False, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert con.execute("SELECT sum(net_spend) FROM fct_mh_ledger").fetchone()[0] == Decimal("940.00")


def test_each_side_of_a_payment_and_the_agreement_of_balances_thresholds(con):
    build(con, [
        spend("nw_icb", "10000.00", counterparty="wfmh", period="2025-04"),
        income("wfmh", "-7500.00", counterparty="nw_icb", period="2025-04"),       # 2,500.00 short: matched
        spend("nw_icb", "10000.00", counterparty="wfmh", period="2025-05"),
        income("wfmh", "-7499.99", counterparty="nw_icb", period="2025-05"),       # 2,500.01 short: mismatched
        spend("sf_icb", "500000.00", counterparty="wfmh", period="2026-03"),
        income("wfmh", "-199999.99", counterparty="sf_icb", period="2026-03"),     # month 12, 300,000.01 short
        income("haven", "-50.00", counterparty="sf_icb", period="2026-03"),        # the payer booked nothing
        spend("nw_icb", "75.00", counterparty="oakridge", period="2025-04"),       # oakridge sends no ledger
    ])
    rows = {(r[0], r[1], r[2]): r[3:] for r in con.execute("""
        SELECT payer_id, payee_id, period, payer_amount, payee_amount, difference, status, must_explain
        FROM rpt_eliminations""").fetchall()}
    assert rows == {
        ("nw_icb", "wfmh", "2025-04"): (Decimal("10000.00"), Decimal("7500.00"), Decimal("2500.00"), "matched", False),
        ("nw_icb", "wfmh", "2025-05"): (Decimal("10000.00"), Decimal("7499.99"), Decimal("2500.01"), "mismatched",
                                        False),
        ("sf_icb", "wfmh", "2026-03"): (Decimal("500000.00"), Decimal("199999.99"), Decimal("300000.01"),
                                        "mismatched", True),
        ("sf_icb", "haven", "2026-03"): (Decimal("0.00"), Decimal("50.00"), Decimal("-50.00"), "matched", False),
    }
    ytd = con.execute("""SELECT ytd_difference FROM rpt_eliminations
                         WHERE payer_id = 'nw_icb' AND period = '2025-05'""").fetchone()[0]
    assert ytd == Decimal("5000.01")


def test_thresholds_are_bound_parameters(con):
    params = {**report_params(), "aob_statement_threshold": Decimal("10000.00"),
              "aob_month12_threshold": Decimal("1000000.00")}
    build(con, [spend("sf_icb", "500000.00", counterparty="wfmh", period="2026-03"),
                income("wfmh", "-490000.00", counterparty="sf_icb", period="2026-03")], params)
    assert con.execute("SELECT status, must_explain, statement_threshold FROM rpt_eliminations").fetchall() == [
        ("matched", False, Decimal("10000.00"))]


def test_the_settings_file_holds_every_parameter_with_nhs_defaults():
    params = report_params()
    assert params["aob_statement_threshold"] == Decimal("2500.00")
    assert params["aob_month12_threshold"] == Decimal("300000.00")
    assert SETTINGS.name == "settings.yaml"


def test_a_mistyped_setting_names_the_file_and_key(tmp_path):
    bad = tmp_path / "settings.yaml"
    bad.write_text(SETTINGS.read_text(encoding="utf-8").replace("aob_month12_threshold", "aob_month_12_threshold"),
                   encoding="utf-8")
    with pytest.raises(ValueError, match=r"settings.yaml: invalid settings: aob_month12_threshold: Field required; "
                                         r"aob_month_12_threshold: Extra inputs are not permitted"):
        report_params(bad)
