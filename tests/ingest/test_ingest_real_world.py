"""Real-world-style files (tests/fixtures/real_world, see build_fixtures.py) through
parse_submission. Every expected number here was worked out by hand from the fixture."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from assets.ingest import load_source_config, parse_submission
from assets.ingest.canonical import LINES_SCHEMA, QUARANTINE_SCHEMA, SKIPPED_SCHEMA

FIXTURES = Path(__file__).parents[1] / "fixtures" / "real_world"


@dataclass(frozen=True)
class Expected:
    config: str
    file: str
    period: str
    rows_read: int
    total: str  # sum of parsed amounts, to the penny
    line_rows: tuple[int, ...]  # source_row of each parsed line
    quarantined: dict[int, str]  # source_row -> reason_code
    skipped: dict[int, str]  # source_row -> reason


CASES = [
    # 9 data rows on lines 5-13: six lines; blank supplier (10), "12,3O0.00" (11); totals (13).
    # 27,450.00 + 31,200.50 + 125,000.00 - 25,000.00 - 30,500.00 + 1,050,000.00
    Expected("trust_over_25k", "WFMH Expenditure over 25k April 2024.csv", "2024-04", 9, "1178150.50",
             (5, 6, 7, 8, 9, 12), {10: "BLANK_SUPPLIER", 11: "BAD_AMOUNT"}, {13: "totals_row"}),
    # 1,234,567.89 + 26,000.00 + 75,500.25 - 25,000.00 + 40,000.00
    Expected("icb_over_25k", "NHS Example ICB spend over 25k - Sept 2024.csv", "2024-09", 9, "1351068.14",
             (2, 3, 5, 6, 8), {4: "BAD_DATE", 7: "BAD_AMOUNT"}, {9: "blank_row", 10: "totals_row"}),
    # 13 records on lines 2-15 (row 9 spans lines 9-10).
    # 1,250.00 + 612.40 + 5,000.00 - 500.00 + 700.00 + 1,020.30
    Expected("la_over_500", "Spend_over_500_2020-04.csv", "2020-04", 13, "8082.70",
             (2, 3, 4, 5, 9, 13),
             {7: "BAD_DATE", 8: "BLANK_SUPPLIER", 11: "MISSING_FIELD", 12: "EXTRA_FIELDS"},
             {6: "blank_row", 14: "totals_row", 15: "note_row"}),
    # 510.00 + 1,500.75 + 999.99 - 75.25
    Expected("us_dates", "payments_dunmere.csv", "2024-04", 5, "2935.49",
             (2, 3, 4, 6), {5: "BAD_DATE"}, {}),
    # 125,000.00 + 98,000.00 + 12,500.50 - 2,500.00 + 750.00
    Expected("lead_provider_bom_serial", "lp_ledger_202404.csv", "2024-04", 7, "233750.50",
             (2, 3, 4, 5, 8), {6: "BAD_FUNDING_STREAM", 7: "BAD_DATE"}, {}),
    # 12,000.00 - 50,000.00 + 1,250.00 + (100.00 - 25.00)
    Expected("debit_credit", "GL M03 2025-26.csv", "2025-06", 6, "-36675.00",
             (2, 3, 4, 6), {5: "MISSING_FIELD", 7: "BAD_AMOUNT"}, {}),
    # rows 6-16: 1,500,000.00 + 26,500.00 + 26,000.30 - 30,000.00 + 25,000.50
    Expected("compiled_icb_workbook", "NHS Example ICB over 25k compiled 2024-04.xlsx", "2024-04", 11, "1547500.80",
             (6, 7, 8, 9, 11), {10: "BAD_DATE"},
             {12: "blank_row", 13: "totals_row", 14: "blank_row", 15: "note_row", 16: "note_row"}),
    # M10 of 2024-25 is January 2025. 41,250.50 + 8,125.75 + 0.00 - 50,000.00 - 12,500.00
    Expected("management_accounts", "Example Crisis House management accounts M10 2024-25.xlsx", "2025-01", 8,
             "-13123.75", (5, 6, 7, 8, 9), {10: "BAD_AMOUNT"}, {11: "totals_row", 12: "note_row"}),
    # 1,200.50 + 640.00 + 875.25 - 99.99
    Expected("old_xls", "Brookfield payments over 500 March 2024.xls", "2024-03", 5, "2615.76",
             (4, 5, 6, 7), {}, {8: "totals_row"}),
]


def parse(case: Expected):
    return parse_submission(FIXTURES / case.file, load_source_config(FIXTURES / f"{case.config}.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[c.config for c in CASES])
def test_counts_rows_and_totals(case: Expected) -> None:
    parsed = parse(case)
    assert parsed.period == case.period
    assert parsed.rows_read == case.rows_read
    assert parsed.rows_read == parsed.lines.height + parsed.quarantine.height + parsed.skipped.height
    assert tuple(parsed.lines["source_row"]) == case.line_rows
    assert dict(parsed.quarantine.select("source_row", "reason_code").iter_rows()) == case.quarantined
    assert dict(parsed.skipped.select("source_row", "reason").iter_rows()) == case.skipped
    assert parsed.lines["amount"].sum() == Decimal(case.total)


@pytest.mark.parametrize("case", CASES, ids=[c.config for c in CASES])
def test_frames_have_the_contract_schema(case: Expected) -> None:
    parsed = parse(case)
    assert parsed.lines.schema == pl.Schema(LINES_SCHEMA)
    assert parsed.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert parsed.skipped.schema == pl.Schema(SKIPPED_SCHEMA)
    assert parsed.source_file == str(FIXTURES / case.file)
    assert len(parsed.sha256) == 64
    for raw in [*parsed.lines["raw_record"], *parsed.quarantine["raw_record"], *parsed.skipped["raw_record"]]:
        assert isinstance(json.loads(raw), dict)


def line(parsed, source_row: int) -> dict:
    return parsed.lines.filter(pl.col("source_row") == source_row).row(0, named=True)


def test_windows_1252_text_survives_and_redacted_is_kept() -> None:
    parsed = parse(CASES[0])
    assert line(parsed, 6)["counterparty"] == "Café Supplies\u00a0Ltd"
    assert line(parsed, 7)["counterparty"] == "REDACTED"
    assert line(parsed, 8)["counterparty"] == "Smith, Jones & Partners"
    assert line(parsed, 9)["amount"] == Decimal("-30500.00")  # "(30,500.00)"
    assert line(parsed, 12) | {"raw_record": None} == {
        "period": "2024-04",  # the file's month (from its name)
        "source_row": 12,
        "posting_date": date(2024, 4, 30),
        "cost_centre": "Adult Community",
        "expense_type": "Clinical Services",
        "counterparty": "Oakridge Hospital Ltd",
        "description": None,
        "transaction_id": "WF1008",
        "amount": Decimal("1050000.00"),
        "funding_stream": None,
        "extra": None,  # the config keeps no extra columns
        "raw_record": None,
    }


def test_raw_record_is_the_row_as_written() -> None:
    parsed = parse(CASES[0])
    assert json.loads(line(parsed, 5)["raw_record"]) == {
        "Department family": "Department of Health",
        "Entity": "Weald and Fen MH NHS FT",
        "Date": "02/04/2024",
        "Expense type": "Drugs",
        "Expense area": "Pharmacy",
        "Supplier": "Alliance Healthcare",
        "Transaction number": "WF1001",
        "Amount": "£27,450.00",
    }


def test_quarantine_messages_name_file_row_field_and_value() -> None:
    messages = dict(parse(CASES[0]).quarantine.select("source_row", "message").iter_rows())
    assert messages == {
        10: "WFMH Expenditure over 25k April 2024.csv row 10, field counterparty: Supplier is blank",
        11: 'WFMH Expenditure over 25k April 2024.csv row 11, field amount: "12,3O0.00" is not an amount',
    }
    icb = parse(CASES[1]).quarantine
    assert icb.filter(pl.col("source_row") == 7)["message"].item().endswith(
        'field amount: "1,234.567" has more than 2 decimal places (a workbook\'s fraction of a penny? '
        'amounts.sub_penny: round rounds it to the pence shown)'
    )
    assert icb["field"].to_list() == ["posting_date", "amount"]


def test_council_file_numbers_rows_by_physical_line() -> None:
    parsed = parse(CASES[2])
    multi_line = line(parsed, 9)
    assert multi_line["description"] == "Multi-line\nnarrative"
    assert line(parsed, 13)["amount"] == Decimal("1020.30")  # "1,020.30" in quotes
    assert line(parsed, 2)["posting_date"] == date(2020, 4, 30)  # 30-Apr-20
    shifted = parsed.quarantine.filter(pl.col("reason_code") == "EXTRA_FIELDS").row(0, named=True)
    assert shifted["field"] is None
    assert json.loads(shifted["raw_record"])["(extra fields)"] == "Hoists"


def test_us_dates_are_month_first() -> None:
    parsed = parse(CASES[3])
    assert line(parsed, 4)["posting_date"] == date(2024, 4, 12)  # 4/12/2024, not 4 December
    assert line(parsed, 6)["posting_date"] == date(2024, 4, 15)  # 04/15/2024
    assert line(parsed, 6)["amount"] == Decimal("-75.25")  # 75.25-


def test_excel_day_numbers_and_funding_streams() -> None:
    parsed = parse(CASES[4])
    assert parsed.lines.select("posting_date", "funding_stream", "counterparty").rows() == [
        (date(2024, 4, 1), "recurrent", "Oakridge Hospital Ltd"),  # 45383
        (date(2024, 4, 30), "recurrent", "Weald and Fen MH NHS FT"),  # 45412, "Recurrent"
        (date(2024, 4, 18), "non_recurrent", "Café Forensic Services"),  # 45400.5, "Non-recurrent"
        (date(2024, 4, 19), "sdf", "Café Forensic Services"),  # 45401, "SDF"
        (date(2024, 4, 23), None, "Someone Else"),  # blank stream, no default
    ]
    assert "TransactionRef" in json.loads(parsed.lines["raw_record"][0])  # the BOM is not in the name


def test_workbook_cells_become_exact_text() -> None:
    parsed = parse(CASES[6])
    assert line(parsed, 8)["amount"] == Decimal("26000.30")  # stored as 26000.300000000003
    assert line(parsed, 7)["amount"] == Decimal("26500.00")  # text "£26,500.00"
    raw = json.loads(line(parsed, 7)["raw_record"])
    assert raw == {
        "Date": "2024-04-10",
        "Expense Type": "Mental Health",
        "Expense Area": "MH CYP",
        "Supplier": "Youth Space",
        "Transaction Number": "T002",
        "Amount": "£26,500.00",
        "column_9": "check invoice",  # typed right of the table; empty column A is dropped
    }
    assert json.loads(line(parsed, 6)["raw_record"])["Amount"] == "1500000"


def test_management_accounts_use_the_period_end_and_default_stream() -> None:
    parsed = parse(CASES[7])
    assert set(parsed.lines["posting_date"]) == {date(2025, 1, 31)}
    assert set(parsed.lines["funding_stream"]) == {"grant"}
    assert parsed.lines.filter(pl.col("amount") < 0)["counterparty"].to_list() == [
        "NHS North Weald ICB",
        "Ashby Borough Council",
    ]
    assert parsed.lines.filter(pl.col("amount") >= 0)["counterparty"].null_count() == 3


def test_old_xls_reads_date_cells_and_bare_day_numbers() -> None:
    parsed = parse(CASES[8])
    assert parsed.lines["posting_date"].to_list() == [
        date(2024, 3, 4),
        date(2024, 3, 11),
        date(2024, 3, 30),
        date(2024, 3, 28),
    ]
