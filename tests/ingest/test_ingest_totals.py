"""Totals rows found by arithmetic (issue 16): unlabelled totals and subtotals are skipped,
and the ones that make the file's control total are told from those a later total
includes. Every figure below is added up by hand from the rows written here."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from assets.ingest import SourceConfig, parse_submission
from assets.ingest.source_config import AmountRules
from assets.ingest.submissions import inbox_periods, load_period, scan_inbox
from warehouse.sql_files import run_sql

HEADER = "Date,CC,Supplier,Amount"


def config(**changes) -> SourceConfig:
    document = {
        "partner_id": "trust",
        "file": {"pattern": "*.csv", "type": "csv"},
        "period": {"from_file_name": r"(?P<year>\d{4})-(?P<month>\d{2})"},
        "columns": {"posting_date": "Date", "cost_centre": "CC", "counterparty": "Supplier", "amount": "Amount"},
    }
    document.update(changes)
    return SourceConfig.model_validate(document)


def parse(tmp_path: Path, body: str, cfg: SourceConfig | None = None, name: str = "spend 2024-04.csv"):
    path = tmp_path / name
    path.write_text(f"{HEADER}\n{body}", encoding="utf-8")
    return parse_submission(path, cfg or config())


def reasons(parsed) -> list[tuple[int, str]]:
    return parsed.skipped.select("source_row", "reason").rows()


SUBTOTALS_AND_GRAND_TOTAL = (
    "01/04/2024,C1,A,100.00\n"   # 2
    "02/04/2024,C1,B,50.50\n"    # 3
    ",,,150.50\n"                # 4  100.00 + 50.50: a subtotal
    "03/04/2024,C2,C,-20.00\n"   # 5
    "04/04/2024,C2,D,9.99\n"     # 6
    ",,,-10.01\n"                # 7  -20.00 + 9.99: a subtotal
    ",,,140.49\n"                # 8  150.50 - 10.01: the grand total, which includes rows 4 and 7
)


def test_subtotals_and_a_grand_total(tmp_path: Path) -> None:
    parsed = parse(tmp_path, SUBTOTALS_AND_GRAND_TOTAL)
    assert parsed.lines["source_row"].to_list() == [2, 3, 5, 6]
    assert parsed.quarantine.is_empty()
    assert reasons(parsed) == [(4, "subtotal_row"), (7, "subtotal_row"), (8, "totals_row")]


def test_subtotals_alone_are_the_control_total(tmp_path: Path) -> None:
    parsed = parse(tmp_path, "01/04/2024,C1,A,10.00\n,,,10.00\n01/04/2024,C1,B,5.00\n01/04/2024,C1,C,5.00\n,,,10.00\n")
    assert parsed.lines["source_row"].to_list() == [2, 4, 5]
    assert reasons(parsed) == [(3, "totals_row"), (6, "totals_row")]  # 10.00 + 10.00 = the 20.00 loaded


def test_a_blank_row_that_adds_up_to_nothing_is_a_line(tmp_path: Path) -> None:
    # Row 3 (7.00) is not the 10.00 above it, so it is an ordinary (faulty) line, and row 4
    # is a total of rows 2 and 3: 10.00 + 7.00 = 17.00.
    parsed = parse(tmp_path, "01/04/2024,C1,A,10.00\n,,,7.00\n,,,17.00\n")
    assert parsed.quarantine.select("source_row", "reason_code").rows() == [(3, "MISSING_FIELD")]
    assert reasons(parsed) == [(4, "totals_row")]


def test_arithmetic_can_be_switched_off(tmp_path: Path) -> None:
    parsed = parse(tmp_path, "01/04/2024,C1,A,10.00\n,,,10.00\n",
                   config(skip={"totals_by_arithmetic": False}))
    assert parsed.skipped.is_empty()
    assert parsed.quarantine.select("source_row", "reason_code").rows() == [(3, "MISSING_FIELD")]


def test_month_totals_in_a_file_spanning_months(tmp_path: Path) -> None:
    by_date = config(period={"from_column": "Date"})
    parsed = parse(tmp_path, (
        "01/04/2024,C1,A,1.00\n"   # 2
        "02/04/2024,C1,B,2.00\n"   # 3
        ",,,3.00\n"                # 4  April: 1.00 + 2.00
        "01/05/2024,C1,C,4.00\n"   # 5
        ",,,4.00\n"                # 6  May: 4.00
        ",,,7.00\n"                # 7  the file: 1.00 + 2.00 + 4.00, no one month's total
    ), by_date, name="q.csv")
    assert parsed.skipped.select("period", "source_row", "reason").rows() == [
        ("2024-04", 4, "totals_row"), ("2024-05", 6, "totals_row"), ("2024-05", 7, "subtotal_row")]


def test_the_control_total_check_agrees_with_the_lines_loaded(tmp_path: Path) -> None:
    from assets.submission_checks import control_total_outcome

    inbox = tmp_path / "inbox" / "trust"
    inbox.mkdir(parents=True)
    (inbox / "spend 2024-04.csv").write_text(f"{HEADER}\n{SUBTOTALS_AND_GRAND_TOTAL}", encoding="utf-8")
    con = duckdb.connect()
    run_sql(con, "staging/create_tables")
    files = scan_inbox(tmp_path / "inbox", {"trust": config()})
    [outcome] = load_period(con, files, inbox_periods(files)[0], "run")
    assert (outcome.rows_loaded, outcome.rows_skipped) == (4, 3)
    [(load_id, loaded)] = con.execute(
        "SELECT load_id, sum(amount) FROM raw_ledger GROUP BY ALL").fetchall()
    assert loaded == Decimal("140.49")
    checked = control_total_outcome(con, load_id, ["Amount"], AmountRules(), Decimal("0"))
    assert checked.success and checked.unexpected_count == 0
