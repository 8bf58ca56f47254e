"""Tiny hand-made frames through the staging SQL; expected values worked out by hand."""
from decimal import Decimal

from pathlib import Path

from assets.ingest.reference_files import reference_file
from warehouse import periods
from warehouse.sql_files import run_sql, statements


def test_financial_year_macros(con):
    rows = con.execute(
        "SELECT p, fy_of(p), fy_month_of(p) FROM (VALUES ('2024-04'), ('2024-12'), ('2025-03'), ('2025-04'), ('2026-01')) t(p)"
    ).fetchall()
    assert rows == [
        ("2024-04", "2024-25", 1), ("2024-12", "2024-25", 9), ("2025-03", "2024-25", 12),
        ("2025-04", "2025-26", 1), ("2026-01", "2025-26", 10),
    ]


def test_financial_year_range_macros(con):
    rows = con.execute("SELECT fy, fy_first_period(fy), fy_last_period(fy) FROM (VALUES ('2024-25'), ('2099-00')) t(fy)").fetchall()
    assert rows == [("2024-25", "2024-04", "2025-03"), ("2099-00", "2099-04", "2100-03")]


def test_a_year_range_holds_exactly_the_months_of_that_year(con):
    # models match lines to a year by `period BETWEEN fy_first_period(fy) AND fy_last_period(fy)` instead
    # of fy_of(period) = fy: the same lines for every month a deployment can hold (2010-01 on), each
    # month's year taken from warehouse/periods.py, not from the SQL macros
    months = [f"{y}-{m:02d}" for y in range(2010, 2100) for m in range(1, 13)]
    years = sorted({periods.fy_of(p) for p in months})
    matched = set(con.execute("""SELECT p, fy FROM unnest($months) m(p), unnest($years) y(fy)
                                 WHERE p BETWEEN fy_first_period(fy) AND fy_last_period(fy)""",
                              {"months": months, "years": years}).fetchall())
    assert matched == {(p, periods.fy_of(p)) for p in months}


def test_statement_splitter_keeps_semicolons_inside_lines():
    text = "-- header\nSELECT 'a;b';\n\nSELECT 2; -- trailing\nSELECT 3"
    assert statements(text) == ["-- header\nSELECT 'a;b'", "SELECT 2", "SELECT 3"]


def _reference(con):
    con.execute("""CREATE TABLE ref_cost_centre_map AS SELECT * FROM (VALUES
        ('p1', 'CC1', 'Crisis', 'crisis_house', 'ashby', 'recurrent', 'expenditure', NULL),
        ('p1', 'INC', 'Income', 'income', NULL, 'recurrent', 'income', NULL)
    ) t(partner_id, cost_centre, cost_centre_name, service_line, place_id, funding_stream, line_type, scheme_id)""")
    con.execute("""CREATE TABLE ref_partner_aliases AS SELECT * FROM (VALUES
        ('NHS North Weald ICB', 'nw_icb'), ('north weald icb', 'nw_icb')) t(alias, partner_id)""")
    run_sql(con, "staging/ref_mapping_rules", {"path": str(reference_file(Path("/nonexistent"), "mapping_rules"))})


def _raw(con, rows):
    for source_row, cost_centre, counterparty, txn, amount, stream in rows:
        con.execute(
            "INSERT INTO raw_ledger VALUES ('L1', 'p1', '2024-05', '/in/p1/f.csv', ?, DATE '2024-05-02', ?, NULL, ?, NULL, ?, ?, ?, '{}', NULL)",
            [source_row, cost_centre, counterparty, txn, Decimal(amount), stream])


def test_stg_ledger_maps_and_keeps_every_line(con):
    # Deliberately changed with mapping by rules (issue 16): a repeated transaction id and an
    # unknown cost centre are kept (unclassified), not quarantined; see tests/ingest/test_ingest_staging_rules.py.
    _reference(con)
    _raw(con, [
        (2, "CC1", "Supplier A", "T1", "100.00", None),
        (3, "CC1", "Supplier A", "T1", "100.00", None),          # repeat of row 2: kept by default
        (4, "XX9", "Supplier B", "T2", "50.00", None),           # unknown cost centre: unclassified
        (5, "INC", " NHS NORTH WEALD ICB ", "T3", "-250.50", None),
        (6, "CC1", None, None, "10.25", "non_recurrent"),        # stream from the file wins
    ])
    run_sql(con, "staging/stg_ledger", {"period": "2024-05"})
    staged = con.execute(
        "SELECT source_row, service_line, place_id, line_type, funding_stream, counterparty_partner_id, amount"
        " FROM stg_ledger ORDER BY source_row").fetchall()
    assert staged == [
        (2, "crisis_house", "ashby", "expenditure", "recurrent", None, Decimal("100.00")),
        (3, "crisis_house", "ashby", "expenditure", "recurrent", None, Decimal("100.00")),
        (4, "unclassified", None, "expenditure", "unclassified", None, Decimal("50.00")),
        (5, "income", None, "income", "recurrent", "nw_icb", Decimal("-250.50")),
        (6, "crisis_house", "ashby", "expenditure", "non_recurrent", None, Decimal("10.25")),
    ]
    assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)


def test_stg_ledger_rerun_is_idempotent(con):
    _reference(con)
    con.execute("INSERT INTO source_checks VALUES ('p1', true, 'warn', 0)")
    _raw(con, [(2, "CC1", "S", "T1", "1.00", None), (3, "XX", "S", "T1", "2.00", None)])
    for _ in range(2):
        run_sql(con, "staging/stg_ledger", {"period": "2024-05"})
    assert con.execute("SELECT count(*) FROM stg_ledger").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 1


def test_a_totals_row_that_is_not_a_number_is_reported_not_raised(con):
    from assets.ingest.source_config import AmountRules
    from assets.submission_checks import control_total_outcome

    # a raw row is its cells, with the file's column names once per load
    con.execute("INSERT INTO raw_columns VALUES ('L1', '[\"Amount\"]')")
    con.execute("INSERT INTO skipped_rows VALUES ('L1', 'p1', '2024-05', 'f.csv', 9, 'totals_row', '[\"TBC\"]')")
    outcome = control_total_outcome(con, "L1", ["Amount"], AmountRules(), Decimal("0"))
    assert not outcome.success and outcome.unexpected_sample[0]["control_total"] == "TBC"
